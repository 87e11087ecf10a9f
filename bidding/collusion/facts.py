"""The recorded facts the detector reads, as plain data (no database, so the simulator in
``bench/collusion/`` and the tests run the very same signals the court sees).

Markers are opaque keyed hashes (device, network, payer account, phone, address): two bidders
share a marker when the hashes are equal; the value itself never reaches a flag (REC-05).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Marker kinds, strongest first. ``network`` is weak (carrier NAT, public Wi-Fi).
#: ``identity``: a real-name identity named on the registration (registrant, joint bidder,
#: agent), so one agent for two bidders, or a debtor as a co-bidder, is a link.
STRONG_KINDS = ("identity", "device", "payer", "phone", "address")
MARKER_KINDS = (*STRONG_KINDS, "network")


@dataclass
class BidderFacts:
    code: str
    registered_at: dt.datetime
    deposit_paid: bool = True
    markers: dict[str, set[str]] = field(default_factory=dict)
    #: ``network`` hash of the client that registered (for the registration-burst signal).
    registered_from: str = ""


@dataclass(frozen=True)
class BidFacts:
    seq: int
    code: str
    amount_fen: int
    at: dt.datetime


@dataclass
class AuctionFacts:
    auction_id: int
    starting_price_fen: int
    increment_fen: int
    start_at: dt.datetime
    end_at: dt.datetime
    ended: bool
    winner_code: str | None = None
    bidders: list[BidderFacts] = field(default_factory=list)
    bids: list[BidFacts] = field(default_factory=list)
    #: ``"debtor"`` / ``"creditor"`` → that party's markers (phone, address, payer, device…).
    parties: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    #: (code, code) sorted → how many OTHER auctions of the same court or debtor both joined.
    co_appearances: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def sold(self) -> bool:
        return self.ended and self.winner_code is not None
