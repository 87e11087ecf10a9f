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
class AssetUpdated(Event):
    """An asset's facts (location, features, description) were corrected by the court."""

    case_id: int
    asset_id: int
