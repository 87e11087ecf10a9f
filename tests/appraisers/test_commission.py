"""The commission state machine and its deadlines (APR-04..10, PRC-12)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from appraisers.events import AppraisalFailed, AppraisalResultFixed
from appraisers.models import AppraisalRequest, Commission, DrawExclusion, ExtensionRequest
from cases.models import Case
from core import calendar, clock
from core.errors import DomainError
from core.events import subscribe, unsubscribe
from core.models import Deadline, ServiceRecord
from core.rulesettings import setting_set
from tests.appraisers.conftest import (
    PDF_BYTES,
    current_commission,
    firm_user_for,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(setup):
    s = setup
    req = start_request(s)
    draw = run_public_draw(s, req)
    c = current_commission(req)
    return {**s, "req": req, "draw": draw, "c": c, "user": firm_user_for(c.firm)}


def _in_progress(o):
    c, user = o["c"], o["user"]
    services.commission_accept(commission=c, actor=user)
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(hours=2), place="现场", actor=user
    )
    clock.advance(dt.timedelta(hours=2))
    services.inspection_record(commission=c, witness="物业工作人员", actor=user)
    c.refresh_from_db()
    return c


def _open(c, rule):
    return Deadline.objects.filter(subject=c.subject, rule_id=rule, status="open")


# --- APR-04 / APR-05 ------------------------------------------------------------------------


def test_commission_carries_the_materials(offered):
    """APR-04: item, features, quantity, purpose, deadline."""
    m = offered["c"].materials
    for word in ("标的物", "特征", "数量", "评估目的", "出具报告期限"):
        assert word in m


def test_acceptance_period_unset_means_no_alert_deadline(offered):
    """APR-05 [assumption]: appraiser_accept_days is unset by default: tracked, no alert."""
    assert not _open(offered["c"], "APR-05").exists()


def test_acceptance_period_when_the_court_sets_it(setup):
    s = setup
    setting_set(
        key="appraiser_accept_days", value=3, court=s["court"], reason="本院规定", actor=None
    )
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    d = _open(c, "APR-05").get()
    assert d.due_at == calendar.within_days(c.offered_at, 3, court=s["court"].pk)
    services.commission_accept(commission=c, actor=firm_user_for(c.firm))
    assert not _open(c, "APR-05").exists()


def test_a_decline_passes_to_the_next_ranked_firm(offered):
    """APR-05: a declining firm → next-ranked."""
    o = offered
    with pytest.raises(DomainError):
        services.commission_decline(commission=o["c"], reason="", actor=o["user"])
    services.commission_decline(commission=o["c"], reason="专业人员不足", actor=o["user"])
    o["c"].refresh_from_db()
    assert o["c"].state == Commission.State.DECLINED
    nxt = current_commission(o["req"])
    assert nxt.firm_id == o["draw"].result[1] and nxt.state == Commission.State.OFFERED
    assert not _open(o["c"], "APR-07").exists()


def test_another_firms_user_cannot_act_on_the_commission(offered):
    other = next(f for f in offered["firms"] if f.pk != offered["c"].firm_id)
    with pytest.raises(DomainError) as exc:
        services.commission_accept(commission=offered["c"], actor=firm_user_for(other))
    assert exc.value.status == 403


# --- APR-06 ---------------------------------------------------------------------------------


def test_inspection_needs_notice_to_parties_and_a_witness(offered):
    o = offered
    c, user = o["c"], o["user"]
    services.commission_accept(commission=c, actor=user)
    with pytest.raises(DomainError) as exc:
        services.inspection_record(commission=c, witness="某某", actor=user)
    assert exc.value.rule == "APR-06"
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(days=1), place="东湖区示例路1号", actor=user
    )
    notices = ServiceRecord.objects.filter(subject=c.subject, document_kind="inspection_notice")
    assert {r.recipient_ref for r in notices} == {
        f"party:{o['creditor'].pk}",
        f"party:{o['debtor'].pk}",
    }
    clock.advance(dt.timedelta(days=1))
    with pytest.raises(DomainError, match="见证人"):
        services.inspection_record(commission=c, witness="", actor=user)
    services.inspection_record(commission=c, witness="居委会工作人员", attendees="", actor=user)
    c.refresh_from_db()
    assert c.state == Commission.State.IN_PROGRESS and c.inspection_attendees == "当事人均未到场"


def test_report_before_inspection_is_refused(offered):
    o = offered
    services.commission_accept(commission=o["c"], actor=o["user"])
    with pytest.raises(DomainError) as exc:
        services.report_submit(
            commission=o["c"], upload=pdf_upload(), actor=o["user"], **report_data(o["c"].firm)
        )
    assert exc.value.rule == "APR-06"


# --- APR-07 ---------------------------------------------------------------------------------


def test_report_deadline_is_thirty_days_and_pauses_while_suspended(offered):
    """APR-07: 30 days from the commission; the clock stops during suspension or halt."""
    o = offered
    c = _in_progress(o)
    due = c.report_due_at
    assert due == calendar.within_days(c.offered_at, 30, court=o["court"].pk)
    Case.objects.filter(pk=o["case"].pk).update(status=Case.Status.SUSPENDED)
    assert services.appraisers_sweep()["paused"] == 1
    c.refresh_from_db()
    assert c.paused_at is not None and not _open(c, "APR-07").exists()
    clock.advance(dt.timedelta(days=40))
    assert services.appraisers_sweep()["late"] == 0  # paused: never late
    Case.objects.filter(pk=o["case"].pk).update(status=Case.Status.OPEN)
    assert services.appraisers_sweep()["resumed"] == 1
    c.refresh_from_db()
    expected = calendar.next_working_day(
        due.astimezone(calendar.CST).date() + dt.timedelta(days=40)
    )
    assert c.report_due_at.astimezone(calendar.CST).date() == expected
    assert c.paused_days_total == 40
    assert _open(c, "APR-07").get().due_at == c.report_due_at


def test_pricing_can_suspend_and_resume_by_procedure_ref(offered):
    o = offered
    services.appraisal_suspend(procedure_ref=o["req"].procedure_ref, reason="暂缓执行")
    o["c"].refresh_from_db()
    assert o["c"].paused_at is not None
    services.appraisal_resume(procedure_ref=o["req"].procedure_ref)
    o["c"].refresh_from_db()
    assert o["c"].paused_at is None


# --- APR-08 ---------------------------------------------------------------------------------


def test_extension_rules(offered):
    """APR-08: ≥ 5 days before the deadline, ≤ 15 days each, at most 2, decided by the judge."""
    o = offered
    c = _in_progress(o)
    with pytest.raises(DomainError) as exc:
        services.extension_request(commission=c, days=16, reason="复杂", actor=o["user"])
    assert exc.value.code == "extension_too_long"
    first = services.extension_request(commission=c, days=15, reason="需调取档案", actor=o["user"])
    with pytest.raises(DomainError) as exc:
        services.extension_request(commission=c, days=5, reason="再申请", actor=o["user"])
    assert exc.value.code == "extension_pending"
    old_due = c.report_due_at
    services.extension_decide(extension=first, approve=True, reason="", actor=o["judge"])
    c.refresh_from_db()
    assert c.report_due_at == calendar.within_days(old_due, 15, court=o["court"].pk)
    assert _open(c, "APR-07").get().due_at == c.report_due_at
    second = services.extension_request(commission=c, days=10, reason="补充资料", actor=o["user"])
    services.extension_decide(extension=second, approve=True, reason="", actor=o["judge"])
    with pytest.raises(DomainError) as exc:
        services.extension_request(commission=c, days=5, reason="第三次", actor=o["user"])
    assert exc.value.code == "extension_count_exceeded" and exc.value.rule == "APR-08"


def test_extension_requested_less_than_five_days_before_is_refused(offered):
    o = offered
    c = _in_progress(o)
    due_date = c.report_due_at.astimezone(calendar.CST).date()
    # four days before the due date
    clock.set_time(calendar.start_of_day(due_date - dt.timedelta(days=4)) + dt.timedelta(hours=9))
    with pytest.raises(DomainError) as exc:
        services.extension_request(commission=c, days=5, reason="来不及", actor=o["user"])
    assert exc.value.code == "extension_too_late"
    clock.set_time(calendar.start_of_day(due_date - dt.timedelta(days=5)) + dt.timedelta(hours=9))
    ext = services.extension_request(commission=c, days=5, reason="正好五日前", actor=o["user"])
    assert ext.status == ExtensionRequest.Status.PENDING


def test_a_refused_extension_keeps_the_deadline(offered):
    o = offered
    c = _in_progress(o)
    ext = services.extension_request(commission=c, days=10, reason="x", actor=o["user"])
    with pytest.raises(DomainError):
        services.extension_decide(extension=ext, approve=False, reason="", actor=o["judge"])
    services.extension_decide(extension=ext, approve=False, reason="理由不充分", actor=o["judge"])
    c.refresh_from_db()
    assert c.extensions_granted == 0 and _open(c, "APR-07").get().due_at == c.report_due_at


# --- APR-09 ---------------------------------------------------------------------------------


@pytest.mark.rule("APR-09", entry="worker")
def test_late_firm_is_replaced_returns_materials_and_gets_no_fee(offered):
    """APR-09: late without extension → materials back in 3 days, next-ranked firm, no fee."""
    o = offered
    c = _in_progress(o)
    clock.set_time(c.report_due_at + dt.timedelta(minutes=1))
    with pytest.raises(DomainError) as exc:
        services.report_submit(
            commission=c, upload=pdf_upload(), actor=o["user"], **report_data(c.firm)
        )
    assert exc.value.rule == "APR-09"
    assert services.appraisers_sweep()["late"] == 1
    c.refresh_from_db()
    assert c.state == Commission.State.LATE and c.fee_forfeited
    ret = _open(c, "APR-09").get()
    assert ret.due_at == calendar.within_days(clock.now(), 3, court=o["court"].pk)
    nxt = current_commission(o["req"])
    assert nxt.firm_id == o["draw"].result[1] and nxt.state == Commission.State.OFFERED
    services.materials_returned(commission=c, actor=o["user"], note="快递返还")
    assert not _open(c, "APR-09").exists()


def test_a_pending_extension_holds_off_replacement(offered):
    o = offered
    c = _in_progress(o)
    services.extension_request(commission=c, days=10, reason="x", actor=o["user"])
    clock.set_time(c.report_due_at + dt.timedelta(minutes=1))
    assert services.appraisers_sweep()["late"] == 0


# --- APR-10 ---------------------------------------------------------------------------------


def _decline_all(o):
    for _ in range(3):
        c = current_commission(o["req"])
        services.commission_decline(commission=c, reason="无法承接", actor=firm_user_for(c.firm))


def test_all_three_fail_opens_a_new_round_without_them(offered):
    """APR-10: a new agreement or draw excluding the three (redraw_when_exhausted on)."""
    o = offered
    _decline_all(o)
    req = AppraisalRequest.objects.get(pk=o["req"].pk)
    assert req.round == 2 and req.status == AppraisalRequest.Status.AGREEMENT
    with pytest.raises(DomainError, match="前轮"):
        services.agreement_submit(
            request=req,
            party=o["creditor"],
            choice="firms",
            firm_ids=o["draw"].result,
            actor=o["creditor"].user,
        )
    from tests.appraisers.conftest import make_firm

    for _ in range(3):
        make_firm(None)
    services.agreement_skip(request=req, reason="重新摇号", actor=o["judge"])
    draw2 = services.draw_schedule(
        request=req,
        scheduled_at=clock.now() + dt.timedelta(hours=1),
        seed_mode="public_value",
        actor=o["judge"],
    )
    prev = {
        x.firm_id for x in draw2.exclusions.filter(reason_code=DrawExclusion.Reason.PREVIOUS_ROUND)
    }
    assert prev == set(o["draw"].result)
    assert draw2.frozen_list is not None
    assert not prev & {e["id"] for e in draw2.frozen_list}


def test_without_redraw_the_appraisal_fails_and_says_so(offered):
    o = offered
    setting_set(
        key="redraw_when_exhausted", value=False, court=o["court"], reason="本院规定", actor=None
    )
    seen: list[AppraisalFailed] = []
    subscribe(AppraisalFailed, seen.append)
    try:
        _decline_all(o)
    finally:
        unsubscribe(AppraisalFailed, seen.append)
    req = AppraisalRequest.objects.get(pk=o["req"].pk)
    assert req.status == AppraisalRequest.Status.FAILED
    assert len(seen) == 1 and seen[0].procedure_ref == req.procedure_ref


# --- the report (APR-04, PRC-11) ----------------------------------------------------------------


@pytest.mark.parametrize("case", ["not_pdf", "too_big", "validity", "no_method", "no_signer"])
def test_report_is_refused_when_not_a_pdf_too_big_or_incomplete(offered, settings, case):
    o = offered
    c = _in_progress(o)
    upload, data = pdf_upload(), report_data(c.firm)
    if case == "not_pdf":
        upload = pdf_upload(b"PK\x03\x04 this is a zip named .pdf", name="report.pdf")
    elif case == "too_big":
        setting_set(
            key="appraisal_report_max_mb", value=1, court=o["court"], reason="测试", actor=None
        )
        upload = pdf_upload(PDF_BYTES + b"0" * (1024 * 1024))
    elif case == "validity":
        data["valid_until"] = data["value_date"] + dt.timedelta(days=400)
    elif case == "no_method":
        data["method"] = ""
    else:
        data["signer_licences"] = []
    with pytest.raises(DomainError):
        services.report_submit(commission=c, upload=upload, actor=o["user"], **data)
    c.refresh_from_db()
    assert c.state == Commission.State.IN_PROGRESS and not c.reports.exists()


# --- reissue (PRC-12) -------------------------------------------------------------------------


def _fix(o, amount=100_000_000):
    c = _in_progress(o)
    services.report_submit(
        commission=c, upload=pdf_upload(), actor=o["user"], **report_data(c.firm, amount_fen=amount)
    )
    services.report_review(commission=c, actor=o["judge"])
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    c.refresh_from_db()
    assert c.state == Commission.State.FINAL
    return c


@pytest.mark.rule("PRC-12", entry="worker")
def test_reissue_goes_to_the_original_firm_within_fifteen_days(offered):
    """PRC-12: lapsed before the announcement → original firm reissues within 15 days."""
    o = offered
    first = _fix(o)
    seen: list[AppraisalResultFixed] = []
    subscribe(AppraisalResultFixed, seen.append)
    try:
        r = services.appraisal_reissue_request(
            procedure_ref=o["req"].procedure_ref, reason="有效期届满"
        )
        assert (
            r.firm_id == first.firm_id
            and r.kind == Commission.Kind.REISSUE
            and r.state == "accepted"
        )
        assert _open(r, "PRC-12").get().due_at == calendar.within_days(
            r.offered_at, 15, court=o["court"].pk
        )
        services.report_submit(
            commission=r,
            upload=pdf_upload(),
            actor=o["user"],
            **report_data(r.firm, amount_fen=95_000_000),
        )
        services.report_review(commission=r, actor=o["judge"])
        clock.advance(dt.timedelta(days=8))
        services.appraisers_sweep()
    finally:
        unsubscribe(AppraisalResultFixed, seen.append)
    assert len(seen) == 1 and seen[0].amount_fen == 95_000_000
