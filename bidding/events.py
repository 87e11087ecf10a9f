"""Events bidding publishes (after commit: they inform, never run inside a bid's lock).

The live layer (``bidding.live``) turns them into websocket pushes; the marketplace into alerts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class AuctionPublished(Event):
    auction_id: int


@dataclass(frozen=True)
class BidAccepted(Event):
    auction_id: int
    seq: int
    amount_fen: int
    bidder_code: str
    previous_leader_registration_id: int | None
    at: dt.datetime
    end_at: dt.datetime
    extended: bool = False
    extension_count: int = 0
    priority_rank: int | None = None


@dataclass(frozen=True)
class AuctionStateChanged(Event):
    auction_id: int
    old: str
    new: str


@dataclass(frozen=True)
class AuctionClosed(Event):
    auction_id: int
    outcome: str
