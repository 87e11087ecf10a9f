"""Subscriptions to lower apps' events (wired in PricingConfig.ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cases.events import AssetUpdated

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


def on_asset_updated(event: AssetUpdated) -> None:
    """The court corrected an asset: platforms still to answer get the corrected facts."""
    from pricing.services.inquiry import inquiry_facts_refresh

    inquiry_facts_refresh(asset_id=event.asset_id)


def connect() -> None:
    from cases.events import AssetUpdated as _AssetUpdated
    from core.events import subscribe

    subscribe(_AssetUpdated, on_asset_updated)

    try:
        from appraisers import events as apr_events
    except ImportError:
        return
    if hasattr(apr_events, "AppraisalResultFixed"):
        subscribe(apr_events.AppraisalResultFixed, on_appraisal_result_fixed)
    if hasattr(apr_events, "AppraisalFailed"):
        subscribe(apr_events.AppraisalFailed, on_appraisal_failed)
