"""Reads of bidding: snapshots, bid history, public lists, a bidder's own registration.

Public reads never link a bidder code to a person before the close (REC-05); after a
``sold`` close only the winner's code is marked, never a loser.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from bidding.models import ENDED_STATES, OPEN_STATES, Auction, AuctionState, Bid, Registration
from core import clock

S = AuctionState
PUBLIC_STATES = [s for s in AuctionState.values if s != S.DRAFT]


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def next_min_bid(auction: Auction) -> int:
    if auction.current_price_fen is None:
        return auction.starting_price_fen
    return auction.current_price_fen + auction.increment_fen


def _bid_row(b: Bid) -> dict[str, Any]:
    return {
        "seq": b.seq,
        "code": b.bidder_code,
        "amount_fen": b.amount_fen,
        "at": _iso(b.at),
        "priority": b.is_priority,
    }


def auction_snapshot(auction_id: int) -> dict[str, Any]:
    """The live state of one auction, JSON-ready (the interface the live layer consumes)."""
    a = Auction.objects.filter(pk=auction_id).exclude(state=S.DRAFT).first()
    if a is None:
        from core.errors import NotFound

        raise NotFound("auction_not_found", "拍卖不存在")
    bids = list(Bid.objects.filter(auction_id=a.pk).order_by("-seq")[:20])
    registrants = Registration.objects.filter(auction_id=a.pk, bidder_code__isnull=False).count()
    out: dict[str, Any] = {
        "auction_id": a.pk,
        "state": a.state,
        "state_label": str(a.get_state_display()),
        "round": a.round,
        "is_practice": a.is_practice,
        "price_fen": a.current_price_fen,
        "starting_price_fen": a.starting_price_fen,
        "increment_fen": a.increment_fen,
        "deposit_fen": a.deposit_fen,
        "next_min_bid_fen": next_min_bid(a),
        "leader_code": a.leader_code or None,
        "end_at": _iso(a.end_at),
        "start_at": _iso(a.start_at),
        "server_time": _iso(clock.now()),
        "seq": a.last_seq,
        "extension_count": a.extension_count,
        "registrant_count": registrants,
        "bids": [_bid_row(b) for b in bids],
    }
    if a.state in ENDED_STATES and a.state != S.UNSOLD:
        result = getattr(a, "result", None)
        if result is not None and result.outcome == "sold":
            out["winner_code"] = result.winner_code
    return out


def auction_bid_history(auction_id: int) -> list[dict[str, Any]]:
    """Every accepted bid, oldest first: codes, amounts, server times (AUC-25)."""
    return [
        _bid_row(b)
        for b in Bid.objects.filter(
            auction_id=auction_id, auction__state__in=PUBLIC_STATES
        ).order_by("seq")
    ]


def auction_price_floor(auction_id: int) -> int | None:
    """The current price (or None before the first bid): any bid at or below it is stale.

    For the live layer's pre-check: prices only rise, so a lagging copy never refuses a
    good bid. (A priority purchaser may bid *equal* to the price, AUC-26, so the pre-check
    must only refuse amounts strictly below it for them.)
    """
    return Auction.objects.filter(pk=auction_id).values_list("current_price_fen", flat=True).first()


def registration_for(user: Any, auction_id: int) -> Registration | None:
    """The user's own registration (as bidder or as the agent) for one auction."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Registration.objects.filter(auction_id=auction_id)
        .filter(Q(user_id=user.pk) | Q(agent_user_id=user.pk))
        .order_by("pk")
        .first()
    )


def auction_public_list(
    *,
    states: list[str] | None = None,
    court_id: int | None = None,
    include_practice: bool = False,
    round: str | None = None,
) -> QuerySet[Auction]:
    """Published auctions for listings; practice auctions only when asked (kept out of statistics)."""
    qs = Auction.objects.exclude(state=S.DRAFT)
    if not include_practice:
        qs = qs.filter(is_practice=False)
    if states:
        qs = qs.filter(state__in=states)
    if court_id:
        qs = qs.filter(court_id=court_id)
    if round:
        qs = qs.filter(round=round)
    return qs.order_by("-start_at", "-pk")


def auctions_live() -> QuerySet[Auction]:
    return auction_public_list(states=list(OPEN_STATES))


def practice_auctions_open() -> QuerySet[Auction]:
    return Auction.objects.filter(is_practice=True, state__in=[S.SCHEDULED, *OPEN_STATES]).order_by(
        "end_at"
    )


def court_auctions(court_id: int) -> QuerySet[Auction]:
    return (
        Auction.objects.filter(court_id=court_id, is_practice=False)
        .select_related("case", "lot")
        .order_by("-pk")
    )


def auction_registrant_count(auction_id: int) -> int:
    return Registration.objects.filter(auction_id=auction_id, bidder_code__isnull=False).count()


def auction_statistics(court_id: int | None = None) -> dict[str, int]:
    """Counts by state for real auctions only (practice auctions never count)."""
    qs = Auction.objects.filter(is_practice=False).exclude(state=S.DRAFT)
    if court_id:
        qs = qs.filter(court_id=court_id)
    out: dict[str, int] = {}
    for state in qs.values_list("state", flat=True):
        out[state] = out.get(state, 0) + 1
    return out
