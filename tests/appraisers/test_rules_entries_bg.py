"""The background entries of the appraisal rules (issue 14): the worker's ``appraisers.sweep``
run through the worker's runner, and the cases app's ``CaseStatusChanged`` published through
``core.events`` to the handler this app registered. Time is the test's (frozen)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from appraisers.handlers import on_case_status_changed
from appraisers.models import AppraisalRequest, Commission, ExtensionRequest
from cases.events import CaseStatusChanged
from core import clock
from core.models import AuditEntry, Deadline
from tests.appraisers.conftest import (
    current_commission,
    firm_user_for,
    run_public_draw,
    start_request,
)
from tests.background import publish, run_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(setup):
    """A drawn request whose first-ranked firm accepted: its 30-day report clock runs."""
    s = setup
    req = start_request(s)
    draw = run_public_draw(s, req)
    c = current_commission(req)
    user = firm_user_for(c.firm)
    services.commission_accept(commission=c, actor=user)
    c.refresh_from_db()
    assert c.report_due_at is not None and c.paused_at is None
    return {**s, "req": req, "draw": draw, "c": c, "user": user}


def _audited(action: str, rule: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-pk").first()
    assert entry is not None, f"no audit entry {action}"
    assert rule in entry.rule_ids.split(","), entry.rule_ids
    return entry


@pytest.mark.rule("APR-01", entry="worker")
@pytest.mark.rule("APR-04", entry="worker")
@pytest.mark.rule("PRC-16", entry="worker")
def test_the_sweep_replaces_a_late_firm_skipping_a_removed_one_apr01_apr04_prc16(accepted):
    """The worker finds the first firm late (one minute after its deadline, not at it): the
    replaced firm gets no fee (PRC-16), the second-ranked firm, removed from the roster since
    the draw, is never commissioned (APR-01, the skip on the record), and the third-ranked firm
    is commissioned with the materials (APR-04)."""
    a = accepted
    c = a["c"]
    second = a["draw"].result[1]
    third = a["draw"].result[2]
    from appraisers.models import Firm

    services.firm_set_status(
        firm=Firm.objects.get(pk=second), status="removed", reason="无正当理由拒绝", actor=None
    )
    clock.set_time(c.report_due_at)
    assert run_task("appraisers.sweep")["late"] == 0  # at the deadline it is not late yet
    c.refresh_from_db()
    assert c.state != Commission.State.LATE
    clock.set_time(c.report_due_at + dt.timedelta(minutes=1))
    assert run_task("appraisers.sweep")["late"] == 1
    c.refresh_from_db()
    assert c.state == Commission.State.LATE and c.fee_forfeited  # PRC-16: replaced → nothing
    assert "PRC-16" in _audited("commission.late", "APR-09").rule_ids
    skipped = Commission.objects.get(request=a["req"], firm_id=second)
    assert skipped.state == Commission.State.CANCELLED
    _audited("commission.skipped", "APR-01")
    nxt = current_commission(a["req"])
    assert nxt.firm_id == third and nxt.state == Commission.State.OFFERED
    for word in ("标的物", "特征", "数量", "评估目的", "出具报告期限"):  # APR-04
        assert word in nxt.materials


@pytest.mark.rule("APR-08", entry="worker")
def test_the_sweep_leaves_a_firm_with_a_pending_extension_request_apr08(accepted):
    """APR-08: a written extension request made ≥ 5 days before the deadline waits for the
    court; the worker does not replace the firm meanwhile, and does once it is refused."""
    a = accepted
    c = a["c"]
    ext = services.extension_request(commission=c, days=15, reason="现场复杂", actor=a["user"])
    assert ext.status == ExtensionRequest.Status.PENDING
    clock.set_time(c.report_due_at + dt.timedelta(days=1))
    assert run_task("appraisers.sweep")["late"] == 0
    c.refresh_from_db()
    assert c.state != Commission.State.LATE and not c.fee_forfeited
    services.extension_decide(extension=ext, approve=False, reason="理由不充分", actor=a["judge"])
    assert run_task("appraisers.sweep")["late"] == 1
    c.refresh_from_db()
    assert c.state == Commission.State.LATE


@pytest.mark.rule("APR-03", entry="worker")
def test_the_sweep_sends_a_lapsed_agreement_to_the_lot_draw_apr03(setup):
    """APR-03: no agreement by the court-set deadline → the worker moves the request to the
    lot draw, on the record; a second before the deadline lapses nothing."""
    s = setup
    req = start_request(s)
    assert req.status == AppraisalRequest.Status.AGREEMENT and req.agreement_deadline
    clock.set_time(req.agreement_deadline)
    assert run_task("appraisers.sweep")["agreement_lapsed"] == 0
    req.refresh_from_db()
    assert req.status == AppraisalRequest.Status.AGREEMENT
    clock.set_time(req.agreement_deadline + dt.timedelta(seconds=1))
    assert run_task("appraisers.sweep")["agreement_lapsed"] == 1
    req.refresh_from_db()
    assert req.status == AppraisalRequest.Status.DRAW
    entry = _audited("appraisal.agreement_lapsed", "APR-03")
    assert entry.subject == req.subject


# --- CaseStatusChanged (the cases app) → the report clock -----------------------------------


@pytest.mark.rule("APR-07", entry="event")
def test_case_suspension_event_pauses_and_resumes_the_report_clock_apr07(accepted):
    """APR-07: the 30-day clock pauses while enforcement is suspended; the days paused are
    added back when the cases app publishes that enforcement resumed."""
    a = accepted
    c = a["c"]
    due = c.report_due_at
    case = a["case"]
    publish(
        CaseStatusChanged(
            case_id=case.pk, court_id=case.court_id, before="open", after="suspended", reason="x"
        ),
        on_case_status_changed,
    )
    c.refresh_from_db()
    assert c.paused_at == clock.now()
    clock.advance(dt.timedelta(days=10))
    publish(
        CaseStatusChanged(
            case_id=case.pk, court_id=case.court_id, before="suspended", after="open", reason="y"
        ),
        on_case_status_changed,
    )
    c.refresh_from_db()
    assert c.paused_at is None
    assert c.paused_days_total == 10  # the paused days do not count
    assert c.report_due_at >= due + dt.timedelta(days=10)
    d = Deadline.objects.filter(subject=c.subject, rule_id="APR-07", status="open").get()
    assert d.due_at == c.report_due_at
    # another status (closed) does not pause it
    publish(
        CaseStatusChanged(
            case_id=case.pk, court_id=case.court_id, before="open", after="closed", reason="z"
        ),
        on_case_status_changed,
    )
    c.refresh_from_db()
    assert c.paused_at is None
