"""From pricing's request to the published result: draw, acceptance, inspection, report,
review, service, objection window, AppraisalResultFixed (APR-03..07, APR-11, APR-15, PRC-10)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from appraisers.events import AppraisalResultFixed
from appraisers.models import AppraisalRequest, Commission
from core import calendar, clock
from core.events import subscribe, unsubscribe
from core.models import Deadline, ServiceRecord
from tests.appraisers.conftest import (
    current_commission,
    drawn_firm_ids,
    firm_user_for,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed_events():
    seen: list[AppraisalResultFixed] = []
    handler = seen.append
    subscribe(AppraisalResultFixed, handler)
    yield seen
    unsubscribe(AppraisalResultFixed, handler)


def test_request_to_fixed_result_publishes_event_once(setup, fixed_events):
    s = setup
    req = start_request(s)
    assert req.status == AppraisalRequest.Status.AGREEMENT
    draw = run_public_draw(s, req)
    assert len(drawn_firm_ids(draw)) == 3
    c = current_commission(req)
    assert c.firm_id == drawn_firm_ids(draw)[0] and c.state == Commission.State.OFFERED
    # APR-07: the 30-day report deadline is a core deadline from the commission.
    d = Deadline.objects.get(subject=c.subject, rule_id="APR-07", status="open")
    assert d.due_at == calendar.within_days(c.offered_at, 30, court=s["court"].pk)

    user = firm_user_for(c.firm)
    services.commission_accept(commission=c, actor=user)
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(days=2), place="现场", actor=user
    )
    clock.advance(dt.timedelta(days=2))
    services.inspection_record(
        commission=c, witness="社区工作人员张某", attendees="申请执行人", actor=user
    )
    report = services.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm)
    )
    c.refresh_from_db()
    assert c.state == Commission.State.REPORT_DELIVERED
    assert not Deadline.objects.filter(subject=c.subject, rule_id="APR-07", status="open").exists()

    services.report_review(commission=c, actor=s["judge"])
    c.refresh_from_db()
    assert c.state == Commission.State.SERVED
    served = ServiceRecord.objects.filter(subject=c.subject, document_kind="appraisal_report")
    assert served.count() == 2
    assert not fixed_events

    services.appraisers_sweep()  # within the 5-day window: nothing happens
    assert not fixed_events
    clock.advance(dt.timedelta(days=8))
    counts = services.appraisers_sweep()
    assert counts["fixed"] == 1
    req.refresh_from_db()
    assert req.status == AppraisalRequest.Status.FIXED
    assert len(fixed_events) == 1
    ev = fixed_events[0]
    assert ev.procedure_ref == req.procedure_ref and ev.amount_fen == report.amount_fen
    assert ev.report_id == report.pk and ev.asset_id == s["asset"].pk
    assert ev.valid_until == calendar.end_of_day(report.valid_until)
    services.appraisers_sweep()
    assert len(fixed_events) == 1
