"""Subscriptions to lower apps' events (wired in AppraisersConfig.ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cases.events import CaseStatusChanged

#: APR-07 / PRC-14: the case statuses under which no appraisal clock runs.
CASE_STOP_STATUSES = frozenset({"suspended", "terminated"})


def on_case_status_changed(event: CaseStatusChanged) -> None:
    """APR-07 with PRC-14: enforcement suspended or halted → every working commission of the
    case stops its report clock, in the same transaction (the sweep only repairs what this
    missed); enforcement resumed → the clocks this stopped run again."""
    from appraisers.models import Commission
    from appraisers.models.commission import WORKING_STATES
    from appraisers.services.report_deadline import commission_pause, commission_resume
    from appraisers.services.sweep import CASE_SUSPENDED_REASON

    working = Commission.objects.select_for_update().filter(
        request__case_id=event.case_id, state__in=WORKING_STATES
    )
    if event.after in CASE_STOP_STATUSES:
        for c in working.filter(paused_at__isnull=True).order_by("pk"):
            commission_pause(commission=c, reason=CASE_SUSPENDED_REASON)
    elif event.after == "open" and event.before in CASE_STOP_STATUSES:
        for c in working.filter(pause_reason=CASE_SUSPENDED_REASON).order_by("pk"):
            if c.paused_at is not None:
                commission_resume(commission=c)


def connect() -> None:
    from cases.events import CaseStatusChanged
    from core.events import subscribe

    subscribe(CaseStatusChanged, on_case_status_changed)
