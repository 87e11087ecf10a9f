"""Subscriptions to lower apps' events (wired in PricingConfig.ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # appraisers is optional at run time: connect() imports it if present
    from appraisers.events import AppraisalFailed, AppraisalResultFixed


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


def connect() -> None:
    from core.events import subscribe

    try:
        from appraisers import events as apr_events
    except ImportError:
        return
    if hasattr(apr_events, "AppraisalResultFixed"):
        subscribe(apr_events.AppraisalResultFixed, on_appraisal_result_fixed)
    if hasattr(apr_events, "AppraisalFailed"):
        subscribe(apr_events.AppraisalFailed, on_appraisal_failed)
