"""Online inquiry: every platform at once (PRC-06), 3-day reports and extensions (PRC-07),
corrections (PRC-08), the PRC-09 mean, delivery (PRC-10), objections (APR-12/14/15)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import calendar, clock
from core.errors import DomainError
from core.models import Deadline, ServiceRecord
from pricing.models import Inquiry, InquiryRequest, Objection, PricingStep
from pricing.platforms import PlatformReport
from pricing.services import (
    fix_blockers,
    inquiry_close_window,
    inquiry_deliver_electronic,
    inquiry_fix,
    inquiry_report_record,
    inquiry_request_corrections,
    inquiry_request_extension,
    inquiry_send,
    lawful_next_steps,
    objection_decide,
    objection_file,
    objection_window_end,
    platform_admit,
    reference_price_valid_for,
    report_deliver,
    report_review,
)
from tests.pricing.conftest import check

KINDS = ["挂牌价", "成交价", "评估价"]


def platforms(n=3):
    """Roster entries that never answer by themselves (reports are recorded in the test)."""
    return [
        platform_admit(
            code=f"p{i}",
            name=f"平台{i}",
            adapter="http",
            config={"url": "http://127.0.0.1:9/"},
            secret="s",
            price_data_kinds=KINDS,
            retention_years=10,
            sort_order=i,
        )
        for i in range(1, n + 1)
    ]


def send(procedure, judge, **kw):
    proc = check(procedure, judge) if procedure.state == "opened" else procedure
    return inquiry_send(
        procedure=proc, joint_request=True, fee_fen=kw.pop("fee_fen", 300_000), actor=judge, **kw
    )


def report(req, amount_fen, **kw):
    return inquiry_report_record(
        request=req,
        report=PlatformReport(amount_fen=amount_fen, currency="CNY", method="市场比较法", **kw),
    )


def requests(inquiry):
    return list(InquiryRequest.objects.filter(inquiry=inquiry).order_by("platform__sort_order"))


def serve_all(inquiry):
    return inquiry_deliver_electronic(inquiry=inquiry)


def after_objection_window():
    clock.advance(dt.timedelta(days=8))


# ------------------------------------------------------------------ PRC-06
def test_inquiry_goes_to_every_platform_at_once(procedure, judge, now):
    """PRC-06: one mandate per roster platform, all sent at the same moment, with the mandate's contents."""
    ps = platforms(3)
    inquiry = send(procedure, judge, purpose="拍卖处置", quantity=1)
    reqs = requests(inquiry)
    assert [r.platform for r in reqs] == ps
    assert {r.sent_at for r in reqs} == {now}
    assert set(inquiry.mandate) >= {"item", "quantity", "purpose", "deadline"}
    assert inquiry.mandate["item"]["name"] == procedure.asset.name


def test_a_subset_of_platforms_is_refused(procedure, judge, now):
    """PRC-06: refuse an inquiry to only some of the roster."""
    ps = platforms(3)
    with pytest.raises(DomainError) as err:
        send(procedure, judge, platforms=ps[:2])
    assert (err.value.code, err.value.rule) == ("platform_subset", "PRC-06")
    assert not Inquiry.objects.exists()


def test_no_platform_on_the_roster_refuses_online_inquiry(procedure, judge, now):
    with pytest.raises(DomainError) as err:
        send(procedure, judge)
    assert err.value.code == "no_platforms"


def test_due_three_days_after_receipt_moved_off_a_weekend(procedure, judge):
    """PRC-07 + REC-01: sent Wednesday → day 3 is Saturday → due end of Monday."""
    clock.set_time(dt.datetime(2026, 11, 4, 10, 0, tzinfo=calendar.CST))
    platforms(2)
    inquiry = send(procedure, judge)
    assert inquiry.due_at == calendar.end_of_day(dt.date(2026, 11, 9))


# ------------------------------------------------------------------ PRC-07
def test_some_on_time_refuses_the_others_extensions_and_counts_them_late(procedure, judge, now):
    """PRC-07: some platform on time → the others' extensions refused; the missing ones are late (PRC-18)."""
    _p1, p2, p3 = platforms(3)
    inquiry = send(procedure, judge)
    r1, r2, r3 = requests(inquiry)
    report(r1, 1_000_000_00)
    inquiry_request_extension(request=r2, reason="数据更新中")
    clock.advance(dt.timedelta(days=4))
    assert inquiry_close_window(inquiry=inquiry) == "reported"
    r2.refresh_from_db()
    r3.refresh_from_db()
    assert (r2.status, r2.extension_granted, r3.status) == ("missing", False, "missing")
    assert {p.code for p in (p2, p3)} == {
        lt.platform.code for lt in p2.late_reports.all() | p3.late_reports.all()
    }


def test_none_on_time_grants_one_three_day_extension_to_applicants(procedure, judge, now):
    """PRC-07: no platform on time → applicants get one 3-day extension; the others are late."""
    platforms(3)
    inquiry = send(procedure, judge)
    r1, r2, _r3 = requests(inquiry)
    inquiry_request_extension(request=r1, reason="需补充样本")
    clock.advance(dt.timedelta(days=4))
    assert inquiry_close_window(inquiry=inquiry) == "extended"
    inquiry.refresh_from_db()
    r1.refresh_from_db()
    assert inquiry.extended_due_at == calendar.within_days(calendar.within_days(now, 3), 3)
    assert (r1.extension_granted, r1.due_at) == (True, inquiry.extended_due_at)
    r2.refresh_from_db()
    assert r2.status == "missing"
    rep = report(r1, 2_000_000_00)
    assert rep.on_time  # inside the extension: not late
    inquiry.refresh_from_db()
    assert inquiry.status == "reported"


def test_extension_must_be_asked_before_the_deadline_and_only_once(procedure, judge, now):
    platforms(2)
    inquiry = send(procedure, judge)
    r1, r2 = requests(inquiry)
    inquiry_request_extension(request=r1, reason="原因")
    with pytest.raises(DomainError) as err:
        inquiry_request_extension(request=r1, reason="再次")
    assert err.value.code == "extension_once"
    clock.advance(dt.timedelta(days=5))
    with pytest.raises(DomainError) as err:
        inquiry_request_extension(request=r2, reason="晚了")
    assert (err.value.code, err.value.rule) == ("extension_too_late", "PRC-07")


def test_all_failed_and_none_applied_switches_to_appraisal(
    procedure, judge, now, django_capture_on_commit_callbacks
):
    """PRC-07: nobody reported and nobody asked for more time → the step fails and appraisal follows."""
    platforms(2)
    inquiry = send(procedure, judge)
    clock.advance(dt.timedelta(days=4))
    with django_capture_on_commit_callbacks(execute=True):
        assert inquiry_close_window(inquiry=inquiry) == "failed"
    procedure.refresh_from_db()
    step = PricingStep.objects.filter(procedure=procedure, method="online_inquiry").get()
    assert step.outcome == "failed"
    # The appraisal step was started through appraisers' commission_request (same procedure ref).
    assert procedure.state == "appraisal"
    from appraisers.models import AppraisalRequest

    assert AppraisalRequest.objects.filter(procedure_ref=procedure.ref).exists()


def test_extension_that_also_fails_switches_to_appraisal(procedure, judge, now):
    platforms(2)
    inquiry = send(procedure, judge)
    r1, _ = requests(inquiry)
    inquiry_request_extension(request=r1, reason="原因")
    clock.advance(dt.timedelta(days=4))
    inquiry_close_window(inquiry=inquiry)
    clock.advance(dt.timedelta(days=4))
    assert inquiry_close_window(inquiry=inquiry) == "failed"
    procedure.refresh_from_db()
    assert [s.method for s in lawful_next_steps(procedure)] == ["appraisal"]


def test_window_cannot_be_closed_early(procedure, judge, now):
    platforms(2)
    inquiry = send(procedure, judge)
    with pytest.raises(DomainError) as err:
        inquiry_close_window(inquiry=inquiry)
    assert err.value.code == "window_open"


def test_late_report_is_kept_but_not_used(procedure, judge, now):
    """A report after the window closed is recorded as late and never enters the mean."""
    platforms(2)
    inquiry = send(procedure, judge)
    r1, r2 = requests(inquiry)
    report(r1, 1_000_000_00)
    clock.advance(dt.timedelta(days=4))
    inquiry_close_window(inquiry=inquiry)
    late = report(r2, 9_000_000_00)
    assert late.on_time is False
    serve_all(inquiry)
    after_objection_window()
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    assert price.amount_fen == 1_000_000_00


def test_foreign_currency_report_is_refused(procedure, judge, now):
    platforms(1)
    inquiry = send(procedure, judge)
    (r1,) = requests(inquiry)
    with pytest.raises(DomainError) as err:
        inquiry_report_record(
            request=r1,
            report=PlatformReport(
                amount_fen=500_000_00,
                currency="USD",
                method="gbm",
                model_info={"dataset": "King County"},
            ),
        )
    assert err.value.code == "foreign_currency_report"
    assert "King County" in str(err.value.message)


@pytest.mark.parametrize("amount", [0, -100, 10**15])
def test_non_positive_or_absurd_amounts_are_refused(procedure, judge, now, amount):
    platforms(1)
    inquiry = send(procedure, judge)
    (r1,) = requests(inquiry)
    with pytest.raises(DomainError) as err:
        report(r1, amount)
    assert err.value.code in ("non_positive_price", "implausible_price")


# ------------------------------------------------------------------ PRC-10 delivery and fixing
def test_report_delivery_deadline_and_fixing_waits_for_service_and_objection_window(
    procedure, judge, now, parties
):
    """PRC-10: served within 3 days of receipt; APR-12: the price waits out each party's 5 days."""
    platforms(2)
    inquiry = send(procedure, judge)
    r1, r2 = requests(inquiry)
    rep1 = report(r1, 1_000_000_00)
    report(r2, 1_100_000_01)
    d = Deadline.objects.get(subject=rep1.subject, rule_id="PRC-10")
    assert d.due_at == calendar.within_days(now, 3)
    assert any("送达" in b for b in fix_blockers(inquiry))
    with pytest.raises(DomainError):
        inquiry_fix(inquiry=inquiry, actor=judge)
    creditor, _debtor = parties
    report_deliver(
        report=rep1,
        party=creditor,
        method=ServiceRecord.Method.ELECTRONIC,
        received_at=now,
        proof="电子送达回执",
    )
    d.refresh_from_db()
    assert d.status == "open"  # the debtor is not served yet
    serve_all(inquiry)
    d.refresh_from_db()
    assert d.status == "met"
    assert any("异议期" in b for b in fix_blockers(inquiry))
    after_objection_window()
    assert fix_blockers(inquiry) == []
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    assert (
        price.amount_fen == 1_050_000_01
    )  # (1,000,000.00 + 1,100,000.01) / 2 = 1,050,000.005 → .01 (PRC-09)
    assert price.basis["case"] == "all_on_time"
    basis = reference_price_valid_for(asset_id=procedure.asset_id, at=clock.now())
    assert basis is not None
    assert basis.amount_fen == 1_050_000_01


def test_unreachable_party_is_served_by_publication_deemed_after_15_days(
    procedure, judge, now, parties
):
    """PRC-10: unreachable → 中国执行信息公开网, deemed received 15 days later; the window runs from then."""
    platforms(1)
    inquiry = send(procedure, judge)
    (r1,) = requests(inquiry)
    rep = report(r1, 800_000_00)
    creditor, debtor = parties
    report_deliver(report=rep, party=creditor, method="electronic", received_at=now, proof="回执")
    report_deliver(
        report=rep,
        party=debtor,
        method=ServiceRecord.Method.ENFORCEMENT_INFO_PUBLICATION,
        unreachable_reason="下落不明",
    )
    clock.advance(dt.timedelta(days=10))
    assert fix_blockers(inquiry)  # deemed service not reached yet
    clock.advance(dt.timedelta(days=12))
    assert fix_blockers(inquiry) == []


# ------------------------------------------------------------------ PRC-09 and objections
def _three_reports(procedure, judge, amounts=(1_000_000_00, 1_200_000_00, 1_400_000_00)):
    platforms(3)
    inquiry = send(procedure, judge)
    reps = [report(r, a) for r, a in zip(requests(inquiry), amounts, strict=True)]
    serve_all(inquiry)
    return inquiry, reps


def test_mean_of_those_not_objected_when_some_are_objected(procedure, judge, now, parties):
    """PRC-09: objections to some reports → the mean of the others."""
    inquiry, reps = _three_reports(procedure, judge)
    creditor, _ = parties
    objection_file(report=reps[2], party=creditor, grounds=["result"], text="结果明显偏高")
    after_objection_window()
    # The pending objection to a report that is left out does not block the price.
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    assert price.amount_fen == 1_100_000_00
    assert price.basis["case"] == "not_objected"


def test_all_objected_waits_then_uses_rejected_originals_and_corrections(
    procedure, judge, now, parties, django_capture_on_commit_callbacks
):
    """PRC-09: all objected → only after each is rejected or corrected; those results make the mean."""
    inquiry, reps = _three_reports(procedure, judge)
    _creditor, debtor = parties
    objs = [
        objection_file(report=r, party=debtor, grounds=["facts"], text="面积有误") for r in reps
    ]
    after_objection_window()
    with pytest.raises(DomainError) as err:
        inquiry_fix(inquiry=inquiry, actor=judge)
    assert err.value.rule == "PRC-09"
    objection_decide(objection=objs[0], upheld=False, decision="面积与登记一致，异议不成立")
    objection_decide(objection=objs[1], upheld=False, decision="不成立")
    objection_decide(objection=objs[2], upheld=True, decision="面积应为 89.5 平方米，予以补正")
    with pytest.raises(DomainError):
        inquiry_fix(inquiry=inquiry, actor=judge)  # the correction is not in yet
    req3 = reps[2].request
    req3.refresh_from_db()
    assert req3.correction_kind == "objection_correction"
    corr = report(req3, 1_300_000_00)
    objs[2].refresh_from_db()
    assert (objs[2].status, objs[2].correction_id) == ("corrected", corr.pk)
    serve_all(inquiry)
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    # (1,000,000 + 1,200,000 + 1,300,000) / 3 = 1,166,666.666… yuan → 1,166,666.67 (half-up at 0.01 yuan)
    assert price.amount_fen == 1_166_666_67
    assert price.basis["case"] == "all_objected_resolved"


def test_objection_after_five_days_is_refused(procedure, judge, now, parties):
    """APR-14: late objections are refused (5 days from receipt, REC-01)."""
    _inquiry, reps = _three_reports(procedure, judge)
    creditor, _ = parties
    end = objection_window_end(report=reps[0], party=creditor)
    # served Monday 11-02; day 5 is Saturday 11-07 → the window ends with Monday 11-09 (REC-01)
    assert end == calendar.end_of_day(dt.date(2026, 11, 9))
    clock.set_time(end)
    objection_file(report=reps[1], party=creditor, grounds=["result"], text="最后一刻提出")
    clock.advance(dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as err:
        objection_file(report=reps[0], party=creditor, grounds=["result"], text="偏低")
    assert (err.value.code, err.value.rule) == ("objection_late", "APR-14")


def test_objection_to_a_correction_is_refused(procedure, judge, now, parties):
    """APR-14: no objection to a correction."""
    _inquiry, reps = _three_reports(procedure, judge)
    creditor, debtor = parties
    obj = objection_file(report=reps[0], party=creditor, grounds=["facts"], text="楼层有误")
    objection_decide(objection=obj, upheld=True, decision="楼层应为 12 层")
    corr = report(reps[0].request, 1_050_000_00)
    with pytest.raises(DomainError) as err:
        objection_file(report=corr, party=debtor, grounds=["result"], text="仍然偏低")
    assert err.value.code == "objection_to_correction"


def test_objection_needs_grounds_and_writing(procedure, judge, now, parties):
    _inquiry, reps = _three_reports(procedure, judge)
    creditor, _ = parties
    with pytest.raises(DomainError) as err:
        objection_file(report=reps[0], party=creditor, grounds=[], text="偏低")
    assert err.value.rule == "APR-12"
    with pytest.raises(DomainError):
        objection_file(report=reps[0], party=creditor, grounds=["nonsense"], text="偏低")


def test_late_objection_with_fraud_evidence_goes_to_supervision(procedure, judge, now, parties):
    """APR-14 exception: evidence of fraud before the first announcement → enforcement supervision."""
    inquiry, reps = _three_reports(procedure, judge)
    creditor, _ = parties
    clock.advance(dt.timedelta(days=8))
    obj = objection_file(
        report=reps[0],
        party=creditor,
        grounds=["procedure"],
        text="平台与被执行人串通",
        fraud_evidence=True,
    )
    assert obj.status == Objection.Status.SUPERVISION
    # it does not count as an objection for PRC-09
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    assert price.basis["case"] == "all_on_time"


# ------------------------------------------------------------------ PRC-08 corrections
def test_corrections_refused_when_any_report_is_clean(procedure, judge, now):
    """PRC-08: if any report is clean, no platform is asked to correct."""
    inquiry, reps = _three_reports(procedure, judge)
    report_review(report=reps[0], fact_error=True, note="面积错误")
    report_review(report=reps[1], fact_error=True, note="面积错误")
    report_review(report=reps[2], fact_error=False)
    with pytest.raises(DomainError) as err:
        inquiry_request_corrections(inquiry=inquiry, note="面积错误")
    assert (err.value.code, err.value.rule) == ("correction_not_allowed", "PRC-08")


def test_all_reports_wrong_then_all_correct_within_three_days(procedure, judge, now):
    """PRC-08: every report has a basic-fact error → all correct within 3 days; corrections make the mean."""
    inquiry, reps = _three_reports(procedure, judge)
    for r in reps:
        report_review(report=r, fact_error=True, note="遗漏车位")
    reqs = inquiry_request_corrections(inquiry=inquiry, note="遗漏地下车位一个")
    inquiry.refresh_from_db()
    assert inquiry.corrections_due_at == calendar.within_days(now, 3)
    assert {r.correction_kind for r in reqs} == {"correction"}
    for r, amount in zip(reqs, (1_100_000_00, 1_300_000_00, 1_500_000_00), strict=True):
        report(r, amount)
    serve_all(inquiry)
    after_objection_window()
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    assert price.amount_fen == 1_300_000_00
    assert {r["kind"] for r in price.basis["results"]} == {"correction"}


# ------------------------------------------------------------------ PRC-15 fee at the sale
def _fixed_three(procedure, judge, amounts, fee_fen=300_000):
    platforms(3)
    inquiry = send(procedure, judge, fee_fen=fee_fen)
    for r, a in zip(requests(inquiry), amounts, strict=True):
        report(r, a)
    serve_all(inquiry)
    after_objection_window()
    inquiry_fix(inquiry=inquiry, actor=judge)
    return inquiry


def test_inquiry_fee_charged_to_the_closest_platform_after_the_sale(procedure, judge, now):
    """PRC-15: the fee goes only to the platform whose result was closest to the sale price."""
    from pricing.services import reference_price_record_sale
    from settlement.models import Charge

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    out = reference_price_record_sale(
        asset_id=procedure.asset_id,
        auction_ref="auction:5",
        outcome="sold",
        sale_price_fen=1_250_000_00,
    )
    assert out["inquiry_fee"] == [{"platform": "p2", "amount_fen": 300_000}]
    charge = Charge.objects.get(kind="inquiry_fee")
    assert (charge.payee_ref, charge.amount_fen, charge.case_id) == (
        "inquiry-platform:p2",
        300_000,
        procedure.case_id,
    )


def test_inquiry_fee_split_on_an_exact_tie(procedure, judge, now):
    """PRC-15: exact ties split evenly."""
    from pricing.services import reference_price_record_sale
    from settlement.models import Charge

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00), fee_fen=300_001)
    reference_price_record_sale(
        asset_id=procedure.asset_id,
        auction_ref="auction:5",
        outcome="sold",
        sale_price_fen=1_100_000_00,
    )
    assert sorted(Charge.objects.values_list("payee_ref", "amount_fen")) == [
        ("inquiry-platform:p1", 150_001),
        ("inquiry-platform:p2", 150_000),
    ]


def test_no_inquiry_fee_when_unsold_or_withdrawn(procedure, judge, now):
    """PRC-15: no fee without a sale price; none after a withdrawal."""
    from pricing.services import procedure_withdraw, reference_price_record_sale
    from settlement.models import Charge

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    reference_price_record_sale(
        asset_id=procedure.asset_id, auction_ref="auction:5", outcome="unsold"
    )
    procedure_withdraw(procedure=procedure, ground="debt_performed", actor=judge)
    reference_price_record_sale(
        asset_id=procedure.asset_id, auction_ref="auction:5", outcome="withdrawn"
    )
    assert not Charge.objects.exists()
    with pytest.raises(DomainError):
        reference_price_record_sale(
            asset_id=procedure.asset_id, auction_ref="auction:6", outcome="sold"
        )


# ------------------------------------------------------------------ PRC-12 reissue
def test_lapsed_price_before_any_announcement_is_reissued_by_the_same_platforms(
    procedure, judge, now
):
    """PRC-12: lapsed before the announcement → the platforms reissue within 3 days; the new mean
    replaces the old price."""
    from pricing.models import ReferencePrice
    from pricing.services import reference_price_record_announcement, reference_price_reissue

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    old = ReferencePrice.objects.get(procedure=procedure)
    with pytest.raises(DomainError) as err:
        reference_price_reissue(procedure=procedure, actor=judge)
    assert err.value.code == "still_valid"
    clock.set_time(old.valid_until + dt.timedelta(days=1))
    with pytest.raises(DomainError):
        reference_price_record_announcement(
            asset_id=procedure.asset_id, auction_ref="auction:1", published_at=clock.now()
        )
    reissue = reference_price_reissue(procedure=procedure, actor=judge)
    assert isinstance(reissue, Inquiry)  # an online-inquiry price is reissued by inquiry
    assert reissue.kind == "reissue"
    assert reissue.due_at == calendar.within_days(clock.now(), 3)
    assert {r.platform.code for r in requests(reissue)} == {"p1", "p2", "p3"}
    procedure.refresh_from_db()
    assert procedure.state == "reissuing"
    assert reference_price_valid_for(asset_id=procedure.asset_id, at=clock.now()) is None
    for r, amount in zip(requests(reissue), (900_000_00, 1_000_000_00, 1_100_000_00), strict=True):
        report(r, amount)
    serve_all(reissue)
    after_objection_window()
    new = inquiry_fix(inquiry=reissue, actor=judge)
    old.refresh_from_db()
    assert (old.status, new.amount_fen, new.status) == ("superseded", 1_000_000_00, "active")


def test_no_reissue_once_announced_inside_validity(procedure, judge, now):
    """PRC-11: announced inside validity → the grace applies, no reissue."""
    from pricing.models import ReferencePrice
    from pricing.services import reference_price_record_announcement, reference_price_reissue

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    price = ReferencePrice.objects.get(procedure=procedure)
    reference_price_record_announcement(
        asset_id=procedure.asset_id, auction_ref="auction:1", published_at=clock.now()
    )
    clock.set_time(price.valid_until + dt.timedelta(days=1))
    with pytest.raises(DomainError) as err:
        reference_price_reissue(procedure=procedure, actor=judge)
    assert (err.value.code, err.value.rule) == ("already_announced", "PRC-11")
    assert reference_price_valid_for(asset_id=procedure.asset_id, at=clock.now()) is not None


def test_rec12_inquiry_objection_review_and_reconsideration_window(procedure, judge, now, parties):
    """REC-12: an objection to an inquiry result is reviewed within 15 days of filing; the
    served decision opens the objector's 10-day reconsideration window."""
    from core.models import Deadline

    _inquiry, reps = _three_reports(procedure, judge)
    creditor, _ = parties
    obj = objection_file(report=reps[2], party=creditor, grounds=["result"], text="明显偏高")
    subject = f"{procedure.subject}/objection:{obj.pk}"
    review = Deadline.objects.get(subject=subject, rule_id="REC-12", status="open")
    assert review.due_at == calendar.within_days(obj.filed_at, 15, court=procedure.court_id)
    assert review.due_at > calendar.within_days(obj.filed_at, 14, court=procedure.court_id)
    assert review.party_ref == f"party:{creditor.pk}"
    objection_decide(objection=obj, upheld=False, decision="不成立", actor=judge)
    review.refresh_from_db()
    assert review.status == "met"
    window = Deadline.objects.get(subject=f"{subject}/reconsideration", status="open")
    obj.refresh_from_db()
    assert obj.decided_at is not None
    assert window.due_at == calendar.within_days(obj.decided_at, 10, court=procedure.court_id)
