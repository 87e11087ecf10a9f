"""Events this app publishes (docs/contracts.md, section "appraisers").

``AppraisalResultFixed`` is published with ``core.events.publish`` inside the transaction that
fixes the result (APR-15), so pricing's handler commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class AppraisalResultFixed(Event):
    """The appraisal result that pricing uses (APR-15).

    ``valid_until`` is an aware datetime: the end (23:59:59.999999 China Standard Time) of the
    last day of validity the report states (PRC-11).
    """

    procedure_ref: str
    case_id: int
    asset_id: int
    amount_fen: int
    report_id: int
    valid_until: dt.datetime


@dataclass(frozen=True)
class AppraisalFailed(Event):
    """All ranked firms failed and no new selection follows (APR-10), or the court ended it."""

    procedure_ref: str
    case_id: int
    asset_id: int
    reason: str
