"""Subscriptions to lower apps' events (wired in PricingConfig.ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cases.events import AssetUpdated

if TYPE_CHECKING:  # appraisers is optional at run time: connect() imports it if present
    from appraisers.events import AppraisalFailed, AppraisalResultFixed
    from cases.events import CaseStatusChanged

#: PRC-14: the case statuses that stop pricing, and the ground each one records.
CASE_STOP_GROUNDS = {"suspended": "enforcement_suspended", "terminated": "enforcement_halted"}


def on_appraisal_result_fixed(event: AppraisalResultFixed) -> None:
    """APR-15: the appraisal result is final → the reference price, in the publisher's transaction."""
    from pricing.services.procedure import appraisal_result_fixed

    if "/pricing:" not in str(event.procedure_ref):
        return
    appraisal_result_fixed(
        procedure_ref=event.procedure_ref,
        amount_fen=event.amount_fen,
        report_id=event.report_id,
        valid_until=event.valid_until,
    )


def on_appraisal_failed(event: AppraisalFailed) -> None:
    from pricing.services.procedure import appraisal_failed

    if "/pricing:" not in str(event.procedure_ref):
        return
    appraisal_failed(procedure_ref=event.procedure_ref, reason=event.reason)


def on_case_status_changed(event: CaseStatusChanged) -> None:
    """PRC-14: enforcement suspended (中止) or halted (终结) → every running pricing procedure
    of the case is suspended, in the same transaction; enforcement resumed → the procedures
    suspended on that ground go back to where they stood (the appraisal clock with them)."""
    from pricing.models import PricingProcedure
    from pricing.services.procedure import (
        SUSPEND_GROUNDS,
        procedure_resume,
        procedure_suspend,
    )

    procs = PricingProcedure.objects.filter(case_id=event.case_id).order_by("pk")
    ground = CASE_STOP_GROUNDS.get(event.after)
    if ground is not None:
        for proc in procs:
            if proc.state == PricingProcedure.State.SUSPENDED:
                continue
            if _can(proc.suspend):
                procedure_suspend(procedure=proc, ground=ground, note=event.reason)
        return
    if event.after == "open" and event.before in CASE_STOP_GROUNDS:
        labels = tuple(SUSPEND_GROUNDS[g] for g in CASE_STOP_GROUNDS.values())
        for proc in procs.filter(state=PricingProcedure.State.SUSPENDED):
            if proc.ended_reason.startswith(labels):
                procedure_resume(procedure=proc, note=f"恢复执行：{event.reason}")


def _can(transition: object) -> bool:
    from django_fsm import can_proceed

    return bool(can_proceed(transition))


def on_asset_updated(event: AssetUpdated) -> None:
    """The court corrected an asset: platforms still to answer get the corrected facts."""
    from pricing.services.inquiry import inquiry_facts_refresh

    inquiry_facts_refresh(asset_id=event.asset_id)


def connect() -> None:
    from cases.events import AssetUpdated as _AssetUpdated
    from cases.events import CaseStatusChanged
    from core.events import subscribe

    subscribe(_AssetUpdated, on_asset_updated)
    subscribe(CaseStatusChanged, on_case_status_changed)

    try:
        from appraisers import events as apr_events
    except ImportError:
        return
    if hasattr(apr_events, "AppraisalResultFixed"):
        subscribe(apr_events.AppraisalResultFixed, on_appraisal_result_fixed)
    if hasattr(apr_events, "AppraisalFailed"):
        subscribe(apr_events.AppraisalFailed, on_appraisal_failed)
