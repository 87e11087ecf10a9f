"""Court review (APR-11), service to the parties (PRC-10), objections and expert review
(APR-12..15), and which result is fixed."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from appraisers.events import AppraisalResultFixed
from appraisers.models import AppraisalRequest, Commission, Objection
from appraisers.services.objections import answer_due_at
from core import calendar, clock
from core.errors import DomainError
from core.events import subscribe, unsubscribe
from core.models import Deadline, ServiceRecord
from tests.appraisers.conftest import (
    current_commission,
    inspected,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db
ORIGINAL = 120_000_000
CORRECTED = 110_000_000


@pytest.fixture
def events():
    seen: list[AppraisalResultFixed] = []
    subscribe(AppraisalResultFixed, seen.append)
    yield seen
    unsubscribe(AppraisalResultFixed, seen.append)


@pytest.fixture
def delivered(setup):
    s = setup
    req = start_request(s)
    draw = run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    services.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm, amount_fen=ORIGINAL)
    )
    c.refresh_from_db()
    return {**s, "req": req, "draw": draw, "c": c, "user": user}


@pytest.fixture
def served(delivered):
    services.report_review(commission=delivered["c"], actor=delivered["judge"])
    delivered["c"].refresh_from_db()
    return delivered


def _open(subject, rule):
    return Deadline.objects.filter(subject=subject, rule_id=rule, status="open")


# --- APR-11, PRC-10 ---------------------------------------------------------------------------


def test_delivery_opens_the_three_day_service_deadline_and_approval_serves_everyone(delivered):
    """PRC-10: served on every party within 3 days of the court's receipt, with service records."""
    d = delivered
    dl = _open(d["c"].subject, "PRC-10").get()
    assert dl.due_at == calendar.within_days(d["c"].delivered_at, 3, court=d["court"].pk)
    services.report_review(commission=d["c"], actor=d["judge"])
    recs = ServiceRecord.objects.filter(subject=d["c"].subject, document_kind="appraisal_report")
    assert {r.recipient_ref for r in recs} == {
        f"party:{d['creditor'].pk}",
        f"party:{d['debtor'].pk}",
    }
    assert all(r.received_at for r in recs)  # electronic service to their accounts
    assert not _open(d["c"].subject, "PRC-10").exists()


def test_court_review_asks_the_firm_to_explain_or_correct_within_three_days(delivered, events):
    """APR-11."""
    d = delivered
    with pytest.raises(DomainError):
        services.report_review(commission=d["c"], grounds=["facts"], note="", actor=d["judge"])
    services.report_review(
        commission=d["c"],
        grounds=["facts", "scope"],
        note="建筑面积与不动产登记不符",
        actor=d["judge"],
    )
    c = Commission.objects.get(pk=d["c"].pk)
    assert c.state == Commission.State.UNDER_REVIEW
    review = c.reviews.get()
    assert review.due_at == calendar.within_days(review.requested_at, 3, court=d["court"].pk)
    assert _open(c.subject, "APR-11").exists()
    services.review_answer(
        review=review,
        actor=d["user"],
        upload=pdf_upload(),
        explanation="已按登记面积补正",
        **report_data(c.firm, amount_fen=CORRECTED),
    )
    c.refresh_from_db()
    report = c.current_report()
    assert report is not None
    assert c.state == Commission.State.REPORT_DELIVERED and report.amount_fen == CORRECTED
    assert not _open(c.subject, "APR-11").exists()
    services.report_review(commission=c, actor=d["judge"])
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    assert events[0].amount_fen == CORRECTED


def test_a_report_signed_by_another_firm_cannot_be_approved(setup):
    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    services.report_submit(
        commission=c,
        upload=pdf_upload(),
        actor=user,
        **report_data(c.firm, signing_firm_name="别的公司", signer_licences=["NOT-OURS"]),
    )
    with pytest.raises(DomainError) as exc:
        services.report_review(commission=c, actor=s["judge"])
    assert exc.value.rule == "APR-11" and "不一致" in str(exc.value.message)


def test_unreachable_party_is_served_by_publication_deemed_after_fifteen_days(served):
    s = served
    ServiceRecord.objects.filter(
        subject=s["c"].subject, recipient_ref=f"party:{s['debtor'].pk}"
    ).update(received_at=None, method="post")
    services.report_service_publish(
        commission=s["c"], party=s["debtor"], reason="地址不详", actor=s["judge"]
    )
    clock.advance(dt.timedelta(days=8))
    assert services.appraisers_sweep()["fixed"] == 0  # still inside the deemed-service period
    clock.advance(dt.timedelta(days=30))
    assert services.appraisers_sweep()["fixed"] == 1


# --- APR-12 / APR-14: admissibility ---------------------------------------------------------


def test_objection_after_five_days_is_refused_with_the_reason(served):
    """APR-12 window, APR-14 refusal."""
    s = served
    record = ServiceRecord.objects.filter(subject=s["c"].subject).first()
    assert record is not None and record.received_at is not None
    served_at = record.received_at
    closes = calendar.within_days(served_at, 5, court=s["court"].pk)
    clock.set_time(closes - dt.timedelta(minutes=1))
    ok = services.objection_file(
        commission=s["c"],
        party=s["creditor"],
        grounds=["result"],
        text="偏低",
        actor=s["creditor"].user,
    )
    assert ok.status == Objection.Status.TO_FORWARD
    clock.set_time(closes + dt.timedelta(minutes=1))
    late = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["result"],
        text="偏高",
        actor=s["debtor"].user,
    )
    assert late.status == Objection.Status.REFUSED and "超过异议期" in late.refusal_reason


@pytest.mark.parametrize("target", ["explanation", "expert_conclusion", "correction"])
def test_objections_to_explanations_corrections_or_review_conclusions_are_refused(served, target):
    s = served
    o = services.objection_file(
        commission=s["c"],
        party=s["creditor"],
        grounds=["result"],
        text="x",
        target=target,
        actor=s["creditor"].user,
    )
    assert o.status == Objection.Status.REFUSED and o.outcome == Objection.Outcome.REFUSED
    assert "APR-14" in o.refusal_reason


def test_late_objection_alleging_fraud_goes_to_enforcement_supervision(served):
    s = served
    clock.advance(dt.timedelta(days=10))
    o = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["result"],
        text="评估机构与申请人串通",
        fraud_alleged=True,
        actor=s["debtor"].user,
    )
    assert o.status == Objection.Status.REFUSED and o.outcome == Objection.Outcome.SUPERVISION


def test_no_objection_before_the_report_is_served(delivered):
    d = delivered
    with pytest.raises(DomainError) as exc:
        services.objection_file(
            commission=d["c"],
            party=d["creditor"],
            grounds=["result"],
            text="x",
            actor=d["creditor"].user,
        )
    assert exc.value.code == "report_not_served"


# --- APR-13: procedural grounds first ---------------------------------------------------------


def test_upheld_unqualified_appraiser_objection_replaces_the_firm(served):
    """APR-13: grounds (3)/(4) upheld → materials back in 3 days, next-ranked firm re-appraises."""
    s = served
    o = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["unqualified", "result"],
        text="签字评估师无执业资格",
        actor=s["debtor"].user,
    )
    assert o.status == Objection.Status.PROCEDURAL and _open(o.subject, "REC-12").exists()
    services.objection_decide_procedural(
        objection=o, upheld=True, reason="经查属实", actor=s["judge"]
    )
    c = Commission.objects.get(pk=s["c"].pk)
    assert c.state == Commission.State.REPLACED and c.fee_forfeited
    assert _open(c.subject, "APR-13").get().due_at == calendar.within_days(
        clock.now(), 3, court=s["court"].pk
    )
    nxt = current_commission(s["req"])
    assert nxt.firm_id == s["draw"].result[1] and nxt.state == Commission.State.OFFERED
    o.refresh_from_db()
    assert o.outcome == Objection.Outcome.UPHELD_REPLACED


def test_rejected_procedural_ground_continues_on_the_substantive_route(served):
    s = served
    o = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["procedure", "method"],
        text="未通知勘验；方法不当",
        actor=s["debtor"].user,
    )
    services.objection_decide_procedural(
        objection=o, upheld=False, reason="已依法通知", actor=s["judge"]
    )
    o.refresh_from_db()
    assert o.status == Objection.Status.TO_FORWARD


# --- APR-13: the substantive route and APR-15 -----------------------------------------------


def _forwarded(s, grounds=("result",)):
    o = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=list(grounds),
        text="评估结果过高",
        actor=s["debtor"].user,
    )
    assert _open(o.subject, "APR-13").get().due_at == calendar.within_days(
        o.filed_at, 3, court=s["court"].pk
    )
    services.objection_forward(objection=o, actor=s["judge"])
    o.refresh_from_db()
    assert o.forwarded_at is not None
    assert _open(o.subject, "APR-13").get().due_at == calendar.within_days(
        o.forwarded_at, 5, court=s["court"].pk
    )
    return o


def test_firm_corrects_and_the_objector_accepts(served, events):
    """APR-15: corrected → the corrected result."""
    s = served
    o = _forwarded(s)
    services.objection_answer(
        objection=o,
        text="已复核可比案例并修正",
        upload=pdf_upload(),
        actor=s["user"],
        **report_data(s["c"].firm, amount_fen=CORRECTED),
    )
    corr = ServiceRecord.objects.filter(
        subject=s["c"].subject, document_kind="appraisal_report_correction"
    )
    assert corr.count() == 2
    # APR-14: the correction itself is not open to objection.
    again = services.objection_file(
        commission=s["c"],
        party=s["creditor"],
        grounds=["result"],
        text="补正后偏低",
        actor=s["creditor"].user,
    )
    assert again.status == Objection.Status.REFUSED
    services.objection_respond(objection=o, satisfied=True, actor=s["debtor"].user)
    o.refresh_from_db()
    assert o.outcome == Objection.Outcome.CORRECTED
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    assert [e.amount_fen for e in events] == [CORRECTED]


@pytest.mark.rule("APR-13", entry="worker")
@pytest.mark.rule("APR-15", entry="worker")
def test_expert_review_only_when_unanswered_or_unsatisfied(served, events):
    """APR-13: no answer in 5 days → expert review; no negative finding → the original (APR-15)."""
    s = served
    o = _forwarded(s)
    with pytest.raises(DomainError) as exc:
        services.expert_review_start(
            objection=o,
            body="省资产评估协会",
            due_at=clock.now() + dt.timedelta(days=20),
            actor=s["judge"],
        )
    assert exc.value.code == "expert_review_not_allowed"
    due = answer_due_at(o)
    assert due is not None
    clock.set_time(due + dt.timedelta(minutes=1))
    with pytest.raises(DomainError) as exc:
        services.objection_answer(objection=o, text="迟到的答复", actor=s["user"])
    assert exc.value.code == "answer_late"
    services.expert_review_start(
        objection=o,
        body="省资产评估协会",
        due_at=clock.now() + dt.timedelta(days=20),
        actor=s["judge"],
    )
    clock.advance(dt.timedelta(days=8))
    assert services.appraisers_sweep()["fixed"] == 0  # an open objection blocks the result
    services.expert_review_conclude(
        objection=o, conclusion="评估方法与参数选取合理", negative=False, actor=s["judge"]
    )
    services.appraisers_sweep()
    assert [e.amount_fen for e in events] == [ORIGINAL]
    assert AppraisalRequest.objects.get(pk=s["req"].pk).status == AppraisalRequest.Status.FIXED


def test_negative_expert_finding_leads_to_a_correction(served, events):
    s = served
    o = _forwarded(s)
    services.objection_answer(objection=o, text="维持原结论", actor=s["user"])
    services.objection_respond(objection=o, satisfied=False, actor=s["debtor"].user)
    services.expert_review_start(
        objection=o,
        body="省房地产估价师与经纪人协会",
        due_at=clock.now() + dt.timedelta(days=15),
        actor=s["judge"],
    )
    services.expert_review_conclude(
        objection=o, conclusion="可比实例选取不当，应予修正", negative=True, actor=s["judge"]
    )
    o.refresh_from_db()
    assert o.status == Objection.Status.AWAITING_CORRECTION
    services.expert_correction_submit(
        objection=o,
        upload=pdf_upload(),
        actor=s["user"],
        **report_data(s["c"].firm, amount_fen=CORRECTED),
    )
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    assert [e.amount_fen for e in events] == [CORRECTED]


def test_court_may_order_a_new_appraisal_after_a_negative_finding(served):
    s = served
    o = _forwarded(s)
    due = answer_due_at(o)
    assert due is not None
    clock.set_time(due + dt.timedelta(minutes=1))
    services.expert_review_start(
        objection=o, body="协会", due_at=clock.now() + dt.timedelta(days=10), actor=s["judge"]
    )
    services.expert_review_conclude(
        objection=o, conclusion="结果明显偏离", negative=True, actor=s["judge"]
    )
    services.objection_new_appraisal(objection=o, reason="机构未在期限内补正", actor=s["judge"])
    assert Commission.objects.get(pk=s["c"].pk).state == Commission.State.REPLACED
    assert current_commission(s["req"]).firm_id == s["draw"].result[1]


def test_result_cannot_be_fixed_inside_the_window(served):
    s = served
    with pytest.raises(DomainError) as exc:
        services.result_fix(commission=s["c"], actor=s["judge"])
    assert exc.value.rule == "APR-15" and "异议期" in str(exc.value.message)


# --- APR-14: the fraud exception's timing, as in the pricing path ------------------------------


def _late_fraud_objection(s):
    return services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["result"],
        text="评估机构与申请人串通",
        fraud_alleged=True,
        actor=s["debtor"].user,
    )


def test_apr14_late_fraud_objection_one_second_before_the_first_announcement_goes_to_supervision(
    served,
):
    s = served
    clock.advance(dt.timedelta(days=10))
    announced = clock.now() + dt.timedelta(seconds=1)
    assert services.appraisal_record_announcement(
        procedure_ref=s["req"].procedure_ref, published_at=announced
    )
    o = _late_fraud_objection(s)
    assert o.status == Objection.Status.REFUSED and o.outcome == Objection.Outcome.SUPERVISION


def test_apr14_late_fraud_objection_at_the_first_announcement_is_refused_not_supervised(served):
    s = served
    clock.advance(dt.timedelta(days=10))
    services.appraisal_record_announcement(
        procedure_ref=s["req"].procedure_ref, published_at=clock.now()
    )
    o = _late_fraud_objection(s)
    assert o.status == Objection.Status.REFUSED and o.outcome == Objection.Outcome.REFUSED
    assert "首次拍卖公告" in o.refusal_reason and "APR-14" in o.refusal_reason


def test_apr14_only_the_first_announcement_counts_and_is_audited(served):
    from core.models import AuditEntry

    s = served
    first = clock.now()
    assert services.appraisal_record_announcement(
        procedure_ref=s["req"].procedure_ref, published_at=first
    )
    assert not services.appraisal_record_announcement(
        procedure_ref=s["req"].procedure_ref, published_at=first + dt.timedelta(days=30)
    )
    s["req"].refresh_from_db()
    assert s["req"].first_announced_at == first
    assert AuditEntry.objects.filter(action="appraisal.first_announced").count() == 1


def test_rec12_procedural_ruling_opens_the_10_day_reconsideration_window(served):
    s = served
    o = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["procedure"],
        text="未通知勘验",
        actor=s["debtor"].user,
    )
    review = _open(o.subject, "REC-12").get()
    assert review.due_at == calendar.within_days(o.filed_at, 15, court=s["court"].pk)
    services.objection_decide_procedural(
        objection=o, upheld=False, reason="已依法通知", actor=s["judge"]
    )
    assert not _open(o.subject, "REC-12").exists()
    window = _open(f"{o.subject}/reconsideration", "REC-12").get()
    assert window.due_at == calendar.within_days(clock.now(), 10, court=s["court"].pk)
    assert window.party_ref == f"party:{s['debtor'].pk}"


def test_apr14_an_offline_auction_of_the_lot_also_closes_the_fraud_exception(served):
    """APR-14: the cut-off is the first announcement or direct sale on any channel; bidding's
    offline channel (AUC-39) records it by asset."""
    from bidding import services as bidding
    from cases.models import Lot

    s = served
    asset = s["req"].asset
    lot = Lot.objects.create(case=asset.case, title="线下拍品", created_at=clock.now())
    lot.assets.add(asset)
    bidding.disposal_offline_record(
        lot_id=lot.pk, ground="unsuitable", reason="不宜网络拍卖", actor=s["judge"]
    )
    bidding.offline_round_record(
        lot_id=lot.pk,
        method="sale",
        appraisal_fen=ORIGINAL,
        start_price_fen=ORIGINAL,
        held_at=clock.now() + dt.timedelta(days=20),
        actor=s["judge"],
    )
    s["req"].refresh_from_db()
    assert s["req"].first_announced_at == clock.now()
    clock.advance(dt.timedelta(days=10))
    o = _late_fraud_objection(s)
    assert o.outcome == Objection.Outcome.REFUSED
