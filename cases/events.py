"""Events the cases app publishes (docs/contracts.md, section "cases").

Both are published inside the transaction that makes the change, so a subscriber that must
act atomically (pricing opening its procedure on a seizure) commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class CaseCreated(Event):
    case_id: int
    court_id: int


@dataclass(frozen=True)
class SeizureRecorded(Event):
    """A seizure (查封、扣押、冻结) was recorded; the PRC-01 pricing deadline is open."""

    case_id: int
    asset_id: int
    seizure_id: int
    seized_on: dt.date


@dataclass(frozen=True)
class CaseStatusChanged(Event):
    """A case's enforcement status changed (中止, 终结, 恢复…). Published in the transaction
    of the change: pricing pauses or resumes its procedures and appraisers their commissions
    (PRC-14, APR-07) in the same commit."""

    case_id: int
    court_id: int
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class AssetUpdated(Event):
    """An asset's facts (location, features, description) were corrected by the court."""

    case_id: int
    asset_id: int
