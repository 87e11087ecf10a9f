"""The background entries of the pricing rules (issue 14): the worker's ``pricing.sweep`` run
through the worker's runner, and the appraisers' and cases' events published through
``core.events`` to the handlers this app registered. Time is the test's (frozen)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers.events import AppraisalFailed, AppraisalResultFixed
from cases.events import CaseStatusChanged
from core import calendar, clock, events
from core.errors import DomainError
from core.models import AuditEntry, Deadline
from pricing import handlers
from pricing.models import InquiryRequest, PricingProcedure, PricingStep, ReferencePrice
from pricing.reference_platform import ReferencePlatform
from pricing.services import (
    appraisal_start,
    directed_inquiry_start,
    inquiry_request_extension,
    inquiry_send,
    lawful_next_steps,
    party_agreement_start,
    platform_admit,
)
from tests.background import publish, run_task
from tests.pricing.conftest import check

pytestmark = pytest.mark.django_db
State = PricingProcedure.State
DAY = dt.timedelta(days=1)
KINDS = ["挂牌价", "成交价", "评估价"]


def _audit(proc: PricingProcedure, action: str) -> AuditEntry:
    entry = (
        AuditEntry.objects.filter(stream__startswith=f"case:{proc.case_id}", action=action)
        .order_by("-pk")
        .first()
    )
    assert entry is not None, f"no audit entry {action}"
    return entry


def _step(proc: PricingProcedure, method: str) -> PricingStep:
    step = PricingStep.objects.filter(procedure=proc, method=method).order_by("-pk").first()
    assert step is not None, f"no {method} step"
    return step


# --- appraisers' events → the reference price -------------------------------------------------


@pytest.fixture
def appraising(procedure, judge):
    """A procedure handed over to appraisal (PRC-03: the law requires it)."""
    proc = check(procedure, judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    proc.refresh_from_db()
    assert proc.state == State.APPRAISAL
    return proc


def _fixed(proc: PricingProcedure, *, amount_fen: int, valid_until: dt.datetime) -> None:
    publish(
        AppraisalResultFixed(
            procedure_ref=proc.ref,
            case_id=proc.case_id,
            asset_id=proc.asset_id,
            amount_fen=amount_fen,
            report_id=7,
            valid_until=valid_until,
        ),
        handlers.on_appraisal_result_fixed,
    )


@pytest.mark.rule("APR-15", entry="event")
@pytest.mark.rule("PRC-13", entry="event")
def test_the_fixed_appraisal_result_becomes_the_price_and_starts_the_sale_clock_apr15_prc13(
    appraising, procedure, court
):
    """APR-15: the appraisal result appraisers fixed is the reference price; PRC-13: the sale
    must start within 10 days of it (a tracked deadline, from the handler's transaction)."""
    _fixed(appraising, amount_fen=88_000_000, valid_until=clock.now() + 200 * DAY)
    appraising.refresh_from_db()
    assert appraising.state == State.FIXED
    price = ReferencePrice.objects.get(procedure=appraising, status="active")
    assert price.amount_fen == 88_000_000 and price.basis["rule"] == "APR-15"
    d = Deadline.objects.get(subject=appraising.subject, rule_id="PRC-13", status="open")
    assert d.started_at == clock.now()
    ten_days = (clock.now() + 10 * DAY).astimezone(calendar.CST).date()
    assert d.due_at == calendar.end_of_day(ten_days)
    assert {"PRC-11", "PRC-13"} <= set(
        _audit(appraising, "pricing.price_fixed").rule_ids.split(",")
    )


@pytest.mark.rule("APR-15", entry="event")
def test_a_result_for_a_procedure_not_appraising_is_refused_apr15(checked):
    """APR-15: only a procedure in appraisal takes an appraisal result; the handler refuses
    (the publisher's transaction rolls back) and nothing is fixed."""
    with pytest.raises(DomainError) as exc:
        _fixed(checked, amount_fen=88_000_000, valid_until=clock.now() + 200 * DAY)
    assert (exc.value.code, exc.value.rule) == ("not_appraising", "APR-15")
    checked.refresh_from_db()
    assert checked.state == State.CHECKED and not checked.prices.exists()


@pytest.mark.rule("PRC-11", entry="event")
def test_the_appraisal_result_validity_is_capped_at_a_year_and_an_expired_one_refused_prc11(
    appraising,
):
    """PRC-11: a report valid for two years gives a price valid for one year at most; a report
    whose validity already ended fixes nothing."""
    with pytest.raises(DomainError) as exc:
        _fixed(appraising, amount_fen=88_000_000, valid_until=clock.now())
    assert (exc.value.code, exc.value.rule) == ("result_already_expired", "PRC-11")
    appraising.refresh_from_db()
    assert appraising.state == State.APPRAISAL and not appraising.prices.exists()
    _fixed(appraising, amount_fen=88_000_000, valid_until=clock.now() + 730 * DAY)
    price = ReferencePrice.objects.get(procedure=appraising, status="active")
    assert price.valid_until == calendar.months_after(clock.now(), 12)


@pytest.mark.rule("PRC-03", entry="event")
def test_a_failed_appraisal_fails_the_step_on_the_record_prc03(appraising):
    """PRC-03: appraisers publish that the appraisal failed: the step fails with its reason,
    cited to the cascade, and the procedure waits for the court's next lawful step."""
    publish(
        AppraisalFailed(
            procedure_ref=appraising.ref,
            case_id=appraising.case_id,
            asset_id=appraising.asset_id,
            reason="三家机构均无法承接",
        ),
        handlers.on_appraisal_failed,
    )
    step = _step(appraising, "appraisal")
    assert step.outcome == PricingStep.Outcome.FAILED
    assert "三家机构均无法承接" in step.outcome_reason
    entry = _audit(appraising, "pricing.step_failed")
    assert "PRC-03" in entry.rule_ids.split(",")
    appraising.refresh_from_db()
    assert appraising.state != State.FIXED and not appraising.prices.exists()


# --- CaseStatusChanged → pricing stops --------------------------------------------------------


@pytest.mark.rule("PRC-14", entry="event")
def test_the_case_suspended_event_suspends_pricing_and_closed_does_not_prc14(checked):
    """PRC-14: enforcement suspended (中止) → pricing suspended on that ground; resumed → back
    where it stood; a case closed (not in the rule's set) leaves pricing running."""
    case = checked.case

    def changed(before: str, after: str) -> None:
        publish(
            CaseStatusChanged(
                case_id=case.pk, court_id=case.court_id, before=before, after=after, reason="裁定"
            ),
            handlers.on_case_status_changed,
        )

    changed("open", "closed")
    checked.refresh_from_db()
    assert checked.state == State.CHECKED
    changed("open", "suspended")
    checked.refresh_from_db()
    assert checked.state == State.SUSPENDED and checked.ended_reason.startswith("执行中止")
    assert "PRC-14" in _audit(checked, "pricing.suspended").rule_ids.split(",")
    changed("suspended", "open")
    checked.refresh_from_db()
    assert checked.state == State.CHECKED


# --- the worker: court-set deadlines lapse (PRC-03/04/05) -------------------------------------


@pytest.mark.rule("PRC-03", entry="worker")
@pytest.mark.rule("PRC-04", entry="worker")
def test_the_sweep_lapses_a_party_agreement_at_its_deadline_prc03_prc04(
    procedure, judge, parties, now
):
    """PRC-04: no agreed result by the court-set deadline → the step is skipped by the worker
    (not a second before); PRC-03: the cascade moves on to online inquiry, with the reason."""
    proc = check(procedure, judge)
    step = party_agreement_start(procedure=proc, deadline_at=now + 2 * DAY, actor=judge)
    assert step.deadline_at is not None
    clock.set_time(step.deadline_at)
    assert run_task("pricing.sweep")["lapsed"] == 0
    assert _step(proc, "party_agreement").outcome == PricingStep.Outcome.RUNNING
    clock.set_time(step.deadline_at + dt.timedelta(seconds=1))
    assert run_task("pricing.sweep")["lapsed"] == 1
    assert _step(proc, "party_agreement").outcome == PricingStep.Outcome.FAILED
    entry = _audit(proc, "pricing.step_failed")
    assert {"PRC-04", "PRC-03"} <= set(entry.rule_ids.split(","))
    proc.refresh_from_db()
    assert next(s.method for s in lawful_next_steps(proc)) == "online_inquiry"


@pytest.mark.rule("PRC-05", entry="worker")
def test_the_sweep_lapses_a_directed_inquiry_without_a_timely_result_prc05(procedure, judge, now):
    """PRC-05: the body's result did not arrive by the letter's deadline → the worker ends the
    step, cited to PRC-05; a suspended procedure's deadline is left alone."""
    proc = check(procedure, judge, has_tax_base_or_gov_price=True)
    directed_inquiry_start(
        procedure=proc,
        body_name="南昌市税务局",
        letter_ref="（2026）询 1 号",
        deadline_at=now + 5 * DAY,
        joint_request=True,
        actor=judge,
    )
    clock.set_time(now + 5 * DAY)
    assert run_task("pricing.sweep")["lapsed"] == 0
    clock.advance(dt.timedelta(minutes=1))
    assert run_task("pricing.sweep")["lapsed"] == 1
    assert _step(proc, "directed_inquiry").outcome == PricingStep.Outcome.FAILED
    assert "PRC-05" in _audit(proc, "pricing.step_failed").rule_ids.split(",")


# --- the worker: online inquiry windows and platform reports (PRC-07/09/10/18) ----------------


def _dead_platforms(n: int) -> None:
    for i in range(1, n + 1):
        platform_admit(
            code=f"p{i}",
            name=f"平台{i}",
            adapter="http",
            config={"url": "http://127.0.0.1:9/", "timeout": 1},
            secret="s",
            price_data_kinds=KINDS,
            retention_years=10,
            sort_order=i,
        )


def _send(proc: PricingProcedure, judge):
    return inquiry_send(procedure=check(proc, judge), joint_request=True, actor=judge)


@pytest.mark.rule("PRC-07", entry="worker")
def test_the_sweep_switches_to_appraisal_when_no_platform_reported_or_applied_prc07(
    procedure, judge, now, django_capture_on_commit_callbacks
):
    """PRC-07: every platform failed its 3 days and none asked for more time → the worker
    fails the inquiry and appraisal follows; while the window is open it does nothing."""
    _dead_platforms(2)
    inquiry = _send(procedure, judge)
    clock.set_time(inquiry.due_at)
    assert run_task("pricing.sweep")["windows"] == 0
    clock.set_time(inquiry.due_at + dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task("pricing.sweep")["windows"] == 1
    assert _step(procedure, "online_inquiry").outcome == PricingStep.Outcome.FAILED
    procedure.refresh_from_db()
    assert procedure.state == State.APPRAISAL
    from appraisers.models import AppraisalRequest

    assert AppraisalRequest.objects.filter(procedure_ref=procedure.ref).exists()


@pytest.mark.rule("PRC-07", entry="worker")
@pytest.mark.rule("PRC-18", entry="worker")
def test_the_sweep_extends_applicants_once_and_counts_the_others_late_prc07_prc18(
    procedure, judge, now
):
    """PRC-07: no platform on time → the one that applied in time gets one 3-day extension;
    PRC-18: the one that neither reported nor applied is counted late on the roster."""
    _dead_platforms(2)
    inquiry = _send(procedure, judge)
    r1, r2 = InquiryRequest.objects.filter(inquiry=inquiry).order_by("platform__sort_order")
    inquiry_request_extension(request=r1, reason="需补充样本")
    clock.set_time(inquiry.due_at + dt.timedelta(seconds=1))
    assert run_task("pricing.sweep")["windows"] == 1
    inquiry.refresh_from_db()
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert inquiry.status == "extended"
    assert inquiry.extended_due_at == calendar.within_days(inquiry.due_at, 3)
    assert (r1.extension_granted, r2.status) == (True, "missing")
    assert r2.platform.late_reports.count() == 1 and r1.platform.late_reports.count() == 0


@pytest.mark.rule("PRC-10", entry="worker")
def test_a_report_the_worker_collects_must_be_served_within_three_days_prc10(procedure, judge, now):
    """PRC-10: the worker calls the platform; its report reaches the court now, and serving it
    on the parties is a tracked deadline 3 days from that receipt."""
    srv = ReferencePlatform(secret="s", amount_fen=95_000_000)
    srv.start()
    try:
        platform_admit(
            code="ref",
            name="参考平台",
            adapter="http",
            config={"url": srv.url},
            secret="s",
            price_data_kinds=KINDS,
            retention_years=10,
        )
        inquiry = _send(procedure, judge)
        assert run_task("pricing.sweep")["dispatched"] == 1
    finally:
        srv.stop()
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert req.status == "reported"
    rep = req.reports.get()
    assert rep.amount_fen == 95_000_000 and rep.on_time
    d = Deadline.objects.get(subject=rep.subject, rule_id="PRC-10", status="open")
    assert d.due_at == calendar.within_days(now, 3)


@pytest.mark.rule("PRC-09", entry="worker")
def test_a_foreign_currency_report_the_worker_collects_is_refused_prc09(procedure, judge, now):
    """PRC-09: only a CNY result can enter the mean; a platform answering in USD is refused by
    the worker's call, on the record, and nothing is reported."""
    srv = ReferencePlatform(secret="s", amount_fen=95_000_000, currency="USD")
    srv.start()
    try:
        platform_admit(
            code="usd",
            name="境外平台",
            adapter="http",
            config={"url": srv.url},
            secret="s",
            price_data_kinds=KINDS,
            retention_years=10,
        )
        inquiry = _send(procedure, judge)
        run_task("pricing.sweep")
    finally:
        srv.stop()
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert req.status != "reported" and not req.reports.exists()
    assert "USD" in req.last_error
    entry = (
        AuditEntry.objects.filter(stream__startswith=f"case:{procedure.case_id}")
        .filter(rule_ids__contains="PRC-09")
        .last()
    )
    assert entry is not None


# --- CaseStatusChanged during an online inquiry: the window waits (PRC-07 with PRC-14) --------


@pytest.mark.rule("PRC-07", entry="event")
@pytest.mark.rule("PRC-14", entry="worker")
def test_a_suspended_case_holds_the_inquiry_window_until_it_resumes_prc07_prc14(
    procedure, judge, now, django_capture_on_commit_callbacks
):
    """PRC-14: the cases app's ``CaseStatusChanged`` (enforcement suspended) suspends pricing
    in the middle of an online inquiry; PRC-07's window is then not settled behind the
    suspension: past the 3 days the worker counts no platform late and does not switch to
    appraisal. Once enforcement resumes, the worker settles the window as PRC-07 says."""
    _dead_platforms(2)
    inquiry = _send(procedure, judge)
    case = procedure.case

    def changed(before: str, after: str) -> None:
        publish(
            CaseStatusChanged(
                case_id=case.pk, court_id=case.court_id, before=before, after=after, reason="裁定"
            ),
            handlers.on_case_status_changed,
        )

    changed("open", "suspended")
    procedure.refresh_from_db()
    assert procedure.state == State.SUSPENDED
    clock.set_time(inquiry.due_at + 2 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task("pricing.sweep")["windows"] == 0
    inquiry.refresh_from_db()
    assert inquiry.status == "open"
    assert _step(procedure, "online_inquiry").outcome == PricingStep.Outcome.RUNNING
    assert not InquiryRequest.objects.filter(inquiry=inquiry, status="missing").exists()
    changed("suspended", "open")
    procedure.refresh_from_db()
    assert procedure.state == State.ONLINE_INQUIRY
    with django_capture_on_commit_callbacks(execute=True):
        assert run_task("pricing.sweep")["windows"] == 1
    assert _step(procedure, "online_inquiry").outcome == PricingStep.Outcome.FAILED
    procedure.refresh_from_db()
    assert procedure.state == State.APPRAISAL


# --- a reissued appraisal comes back (PRC-12) -------------------------------------------------


def _served_appraisal(proc: PricingProcedure, judge, court, amount_fen: int):
    """Pricing hands over to appraisers; a drawn firm inspects and reports, the report is
    served, and the parties' objection windows have passed. Returns the commission."""
    from appraisers import services as apr
    from appraisers.models import AppraisalRequest
    from tests.appraisers.conftest import (
        current_commission,
        firm_user_for,
        make_firm,
        pdf_upload,
        report_data,
        run_public_draw,
    )

    for _ in range(4):
        make_firm(None)
    proc = check(proc, judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    req = AppraisalRequest.objects.get(procedure_ref=proc.ref)
    run_public_draw({"judge": judge, "court": court}, req)
    c = current_commission(req)
    user = firm_user_for(c.firm)
    apr.commission_accept(commission=c, actor=user)
    apr.inspection_notice(commission=c, at=clock.now() + DAY, place="现场", actor=user)
    clock.advance(DAY)
    apr.inspection_record(commission=c, witness="社区工作人员", attendees="申请执行人", actor=user)
    apr.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm, amount_fen=amount_fen)
    )
    apr.report_review(commission=c, actor=judge)
    clock.advance(8 * DAY)
    c.refresh_from_db()
    return c, user


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")


@pytest.mark.rule("PRC-12", entry="event")
def test_the_reissued_appraisal_fixes_the_price_again_prc12(_media, procedure, judge, court, now):
    """PRC-12: the price lapsed before any announcement, so the original firm reissues; when
    appraisers fix the reissued result (``AppraisalResultFixed``), pricing's handler makes it
    the new reference price and the lapsed one is superseded."""
    from appraisers import services as apr
    from pricing.services import reference_price_reissue
    from tests.appraisers.conftest import pdf_upload, report_data

    c, user = _served_appraisal(procedure, judge, court, 100_000_000)
    apr.result_fix(commission=c, actor=judge)
    old = ReferencePrice.objects.get(procedure=procedure, status="active")
    clock.set_time(old.valid_until + DAY)
    reference_price_reissue(procedure=procedure, actor=judge)
    procedure.refresh_from_db()
    assert procedure.state == State.REISSUING
    from appraisers.models import Commission

    again = Commission.objects.filter(request=c.request, kind=Commission.Kind.REISSUE).get()
    assert again.firm_id == c.firm_id
    apr.report_submit(
        commission=again,
        upload=pdf_upload(),
        actor=user,
        **report_data(again.firm, amount_fen=95_000_000),
    )
    apr.report_review(commission=again, actor=judge)
    clock.advance(8 * DAY)
    assert handlers.on_appraisal_result_fixed in events.handlers_for(AppraisalResultFixed)
    apr.result_fix(commission=again, actor=judge)  # appraisers publish AppraisalResultFixed
    procedure.refresh_from_db()
    assert procedure.state == State.FIXED
    new = ReferencePrice.objects.get(procedure=procedure, status="active")
    assert new.amount_fen == 95_000_000 and new.pk != old.pk
    old.refresh_from_db()
    assert old.status == ReferencePrice.Status.SUPERSEDED
    assert new.valid_until <= calendar.months_after(clock.now(), 12)


# --- the worker's close records the sale for the fees (PRC-15, PRC-17) ------------------------


def _auction_of(proc: PricingProcedure, court, price_fen: int):
    """The asset's lot, auctioned live at ``price_fen``, with one bid at it."""
    from tests.bidding.engine_factories import bid, make_live_auction, register_paid
    from tests.factories import LotFactory

    lot = LotFactory.create(case=proc.case, assets=[proc.asset])
    auction = make_live_auction(
        court, lot, start=price_fen, increment=100_000, deposit=price_fen // 10
    )
    bid(auction, register_paid(auction), price_fen)
    auction.refresh_from_db()
    return auction


def _closed_by_the_worker(auction) -> None:
    clock.set_time(auction.end_at)
    run_task("bidding.close_due")
    run_task("bidding.close_followups")
    auction.refresh_from_db()
    assert auction.state == "sold" and auction.result.followup_done_at is not None


@pytest.mark.rule("PRC-15", entry="worker")
def test_the_workers_close_pays_the_inquiry_fee_to_the_closest_platform_only_prc15(
    procedure, judge, court, now, parties
):
    """PRC-15: the sale the worker closed at 1,250,000 yuan; of the three platforms
    (1.0, 1.2, 1.4 million) only the one closest to it is paid the inquiry fee."""
    from settlement.models import Charge
    from tests.pricing.test_inquiry import _fixed_three

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    assert not Charge.objects.filter(kind="inquiry_fee").exists()
    _closed_by_the_worker(_auction_of(procedure, court, 1_250_000_00))
    fees = list(Charge.objects.filter(kind="inquiry_fee").values_list("payee_ref", "amount_fen"))
    assert fees == [("inquiry-platform:p2", 300_000)]


@pytest.mark.rule("PRC-17", entry="worker")
def test_the_workers_close_charges_the_appraisal_fee_to_the_case_prc17(
    _media, procedure, judge, court, now
):
    """PRC-16/17: the worker's close settles the appraisal fee on the sale price (below the
    appraisal value) and charges it to the case's account, which the debtor finally bears,
    on the record with both rules."""
    from appraisers import services as apr
    from appraisers.models import AppraisalFee
    from settlement.models import Charge

    c, _user = _served_appraisal(procedure, judge, court, 100_000_000)
    apr.result_fix(commission=c, actor=judge)
    assert not AppraisalFee.objects.exists()
    _closed_by_the_worker(_auction_of(procedure, court, 90_000_000))
    fee = AppraisalFee.objects.get(commission=c)
    assert fee.sale_price_fen == 90_000_000 and fee.basis_fen == 90_000_000
    assert fee.amount_fen > 0
    charge = Charge.objects.get(kind="appraisal_fee")
    assert (charge.case_id, charge.amount_fen, charge.payee_ref) == (
        procedure.case_id,
        fee.amount_fen,
        c.firm.ref,
    )
    entry = AuditEntry.objects.filter(action="fee.computed").order_by("-pk").first()
    assert entry is not None and {"PRC-16", "PRC-17"} <= set(entry.rule_ids.split(","))


# --- the worker collects the corrections (PRC-08) ---------------------------------------------


@pytest.mark.rule("PRC-08", entry="worker")
def test_the_worker_collects_every_platforms_correction_within_three_days_prc08(
    procedure, judge, now
):
    """PRC-08: every report had a basic-fact error, so all platforms are asked to correct
    within 3 days; the worker sends the correction with the item's facts and records each
    platform's corrected result as on time, on the record under PRC-08."""
    from pricing.services import inquiry_request_corrections, report_review

    srv = ReferencePlatform(secret="s", amount_fen=90_000_000)
    srv.start()
    try:
        for i in (1, 2):
            platform_admit(
                code=f"ref{i}",
                name=f"参考平台{i}",
                adapter="http",
                config={"url": srv.url},
                secret="s",
                price_data_kinds=KINDS,
                retention_years=10,
                sort_order=i,
            )
        inquiry = _send(procedure, judge)
        assert run_task("pricing.sweep")["dispatched"] == 1  # one inquiry, both platforms
        clock.set_time(inquiry.due_at + dt.timedelta(seconds=1))
        run_task("pricing.sweep")  # the window settles: both reported on time
        inquiry.refresh_from_db()
        assert inquiry.status == "reported"
        reqs = list(InquiryRequest.objects.filter(inquiry=inquiry).order_by("pk"))
        for req in reqs:
            report_review(report=req.reports.get(), fact_error=True, note="遗漏地下车位")
        inquiry_request_corrections(inquiry=inquiry, note="遗漏地下车位一个")
        inquiry.refresh_from_db()
        assert inquiry.corrections_due_at == calendar.within_days(clock.now(), 3)
        srv.amount_fen = 99_000_000
        clock.advance(DAY)
        run_task("pricing.sweep")
    finally:
        srv.stop()
    for req in reqs:
        req.refresh_from_db()
        assert req.correction_kind == ""
        fixed = req.reports.filter(kind="correction").get()
        assert fixed.amount_fen == 99_000_000 and fixed.on_time
    entries = AuditEntry.objects.filter(
        stream__startswith=f"case:{procedure.case_id}", action="pricing.report_received"
    )
    assert sum("PRC-08" in e.rule_ids.split(",") for e in entries) == 2
