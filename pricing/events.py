"""Events the pricing app publishes (informing only, after commit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class ReferencePriceFixed(Event):
    """A price basis was fixed for an asset (reference price, PRC-19 market price or PRC-20 waiver)."""

    case_id: int
    asset_id: int
    procedure_ref: str
    kind: str
    amount_fen: int
    valid_until: dt.datetime
