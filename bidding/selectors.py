"""Reads of bidding: snapshots, bid history, public lists, a bidder's own registration.

Public reads never link a bidder code to a person before the close (REC-05); after a
``sold`` close only the winner's code is marked, never a loser — unless the auction was
published with ``reveal_losers_after_close`` on, when every bidder's name stands next to its
code in the history once the auction has closed (``revealed_bidders``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from bidding.models import (
    ENDED_STATES,
    OPEN_STATES,
    Auction,
    AuctionResult,
    AuctionState,
    Bid,
    CourtAction,
    Registration,
)
from core import clock

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from core.models import User

S = AuctionState
PUBLIC_STATES = [s for s in AuctionState.values if s != S.DRAFT]


def _iso(value: dt.datetime | None) -> str | None:
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

        raise NotFound("auction_not_found", _("拍卖不存在"))
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
    # The court's published reason while a court action stops bidding (AUC-40..43, REC-09),
    # so an open page can say why without a reload.
    out["court_notice"] = _court_notice(a) if a.state in COURT_NOTICE_STATES else None
    if a.state in ENDED_STATES:
        names = revealed_bidders(a)  # REC-05: {} before the close or with the setting off
        if names:
            for row in out["bids"]:
                row["name"] = names.get(row["code"], "")
    if a.state in ENDED_STATES and a.state != S.UNSOLD:
        result = getattr(a, "result", None)
        if result is not None and result.outcome == "sold":
            out["winner_code"] = result.winner_code
    return out


COURT_NOTICE_STATES = frozenset({S.SUSPENDED, S.HALTED, S.WITHDRAWN, S.SET_ASIDE, S.CASE_WITHDRAWN})


def _court_notice(a: Auction) -> dict[str, Any] | None:
    action = (
        CourtAction.objects.filter(auction_id=a.pk)
        .exclude(kind__in=[CourtAction.Kind.RESUME, CourtAction.Kind.GROUND_ENDED])
        .order_by("-decided_at", "-pk")
        .first()
    )
    if action is None:
        return None
    return {
        "kind": action.kind,
        "kind_label": str(action.get_kind_display()),
        "reason": action.reason,
        "decided_at": _iso(action.decided_at),
    }


def auction_bid_history(auction_id: int) -> list[dict[str, Any]]:
    """Every accepted bid, oldest first: codes, amounts, server times (AUC-25); after the close
    of an auction published with ``reveal_losers_after_close`` on, each row also carries the
    bidder's ``name`` (REC-05: never before the close, never with the setting off)."""
    rows = [
        _bid_row(b)
        for b in Bid.objects.filter(
            auction_id=auction_id, auction__state__in=PUBLIC_STATES
        ).order_by("seq")
    ]
    if rows:
        auction = Auction.objects.filter(pk=auction_id).first()
        names = revealed_bidders(auction) if auction is not None else {}
        if names:
            for row in rows:
                row["name"] = names.get(row["code"], "")
    return rows


def reveals_bidders(auction: Auction) -> bool:
    """REC-05: whether the bidders' names are public — only once bidding has closed (an
    outcome record exists, the auction is in an ended state) and only when the auction was
    published with ``reveal_losers_after_close`` on (read from its settings snapshot)."""
    from bidding.services import setting

    if auction.is_practice or auction.state not in ENDED_STATES:
        return False
    if not AuctionResult.objects.filter(auction_id=auction.pk).exists():
        return False
    return bool(setting(auction, "reveal_losers_after_close"))


def _bidder_name(reg: Registration) -> str:
    """The registered bidder's name, joint bidders' names after it (no ID numbers)."""
    main = reg.identity.name if reg.identity is not None else str(reg.user)
    members = [m.identity.name for m in reg.members.select_related("identity").order_by("pk")]
    return "、".join([main, *members])


def revealed_bidders(auction: Auction) -> dict[str, str]:
    """``{bidder code: name}`` of everyone who bid, winner and losers, when
    ``reveals_bidders(auction)``; ``{}`` otherwise (then only the winner is known, through the
    result and its confirmation, AUC-29)."""
    if not reveals_bidders(auction):
        return {}
    codes = set(Bid.objects.filter(auction_id=auction.pk).values_list("bidder_code", flat=True))
    regs = Registration.objects.filter(auction_id=auction.pk, bidder_code__in=codes).select_related(
        "identity", "user"
    )
    return {r.bidder_code: _bidder_name(r) for r in regs if r.bidder_code}


class RevealedBidder(TypedDict):
    """One row of :func:`revealed_bidder_rows`."""

    code: str
    name: str
    best_fen: int | None
    winner: bool


def revealed_bidder_rows(auction: Auction) -> list[RevealedBidder]:
    """The revealed bidders for a results card: code, name, highest bid, winner first."""
    names = revealed_bidders(auction)
    if not names:
        return []
    result = AuctionResult.objects.filter(auction_id=auction.pk).first()
    winner = result.winner_code if result is not None and result.outcome == "sold" else ""
    best: dict[str, int] = {}
    for code, amount in Bid.objects.filter(auction_id=auction.pk).values_list(
        "bidder_code", "amount_fen"
    ):
        best[code] = max(best.get(code, 0), amount)
    rows = [
        RevealedBidder(code=c, name=n, best_fen=best.get(c), winner=bool(winner) and c == winner)
        for c, n in names.items()
    ]
    rows.sort(key=lambda r: (not r["winner"], -(r["best_fen"] or 0), r["code"]))
    return rows


def auction_price_floor(auction_id: int) -> int | None:
    """The current price (or None before the first bid): any bid at or below it is stale.

    For the live layer's pre-check: prices only rise, so a lagging copy never refuses a
    good bid. (A priority purchaser may bid *equal* to the price, AUC-26, so the pre-check
    must only refuse amounts strictly below it for them.)
    """
    return Auction.objects.filter(pk=auction_id).values_list("current_price_fen", flat=True).first()


def registration_for(user: User | AnonymousUser | None, auction_id: int) -> Registration | None:
    """The user's own registration (as bidder or as the agent) for one auction."""
    if user is None or not user.is_authenticated:
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


def followup_drafts_for(user: Any) -> QuerySet[Auction]:
    """The drafts the engine made for the court after an unsold round or a default (next
    round, 变卖, re-auction: AUC-33/AUC-35), waiting to be checked and published: a judge's
    own cases, every case of the court for its officers and bureau head (the workbench)."""
    from core.models import Role

    court_id = getattr(user, "court_id", None)
    if court_id is None or getattr(user, "role", None) not in (
        Role.JUDGE,
        Role.OFFICER,
        Role.BUREAU_HEAD,
    ):
        return Auction.objects.none()
    qs = Auction.objects.filter(
        court_id=court_id, is_practice=False, state=AuctionState.DRAFT
    ).exclude(link="")
    if user.role == Role.JUDGE:
        qs = qs.filter(case__judge_id=user.pk)
    return qs.select_related("case").order_by("created_at", "pk")


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


# ---- 拍品咨询 (issue 17) ------------------------------------------------------------------------


class PublicQuestion(TypedDict):
    """One answered question as the public sees it: the asker only as 竞买人 + code (REC-05)."""

    id: int
    asker: str
    question: str
    answer: str
    asked_at: str | None
    answered_at: str | None


def question_asker_label(alias: str) -> str:
    from django.utils.translation import gettext as _

    return _("竞买人%(code)s") % {"code": alias}


def questions_public(lot_id: int | None, *, limit: int = 200) -> list[PublicQuestion]:
    """The lot's answered questions, newest answer first, over every round of the lot.

    Only the alias, the texts and the times leave this function: never the asker's id, name
    or bidder code (REC-05)."""
    from bidding.models import LotQuestion

    if lot_id is None:
        return []
    rows = (
        LotQuestion.objects.filter(lot_id=lot_id, status=LotQuestion.Status.ANSWERED)
        .order_by("-decided_at", "-pk")
        .values("pk", "asker_alias", "text", "answer", "asked_at", "decided_at")[:limit]
    )
    return [
        PublicQuestion(
            id=r["pk"],
            asker=question_asker_label(r["asker_alias"]),
            question=r["text"],
            answer=r["answer"],
            asked_at=_iso(r["asked_at"]),
            answered_at=_iso(r["decided_at"]),
        )
        for r in rows
    ]


def questions_of_asker(user: User | AnonymousUser, lot_id: int | None) -> QuerySet[Any]:
    """The signed-in person's own questions on this lot that are not public (waiting or
    declined), for their eyes only."""
    from bidding.models import LotQuestion

    if lot_id is None or not user.is_authenticated:
        return LotQuestion.objects.none()
    return (
        LotQuestion.objects.filter(asker=user, lot_id=lot_id)
        .exclude(status=LotQuestion.Status.ANSWERED)
        .order_by("-asked_at", "-pk")
    )


def questions_pending_for_court(court_id: int | None) -> QuerySet[Any]:
    """The court's unanswered questions, oldest first (the staff's queue)."""
    from bidding.models import LotQuestion

    if court_id is None:
        return LotQuestion.objects.none()
    return (
        LotQuestion.objects.filter(court_id=court_id, status=LotQuestion.Status.PENDING)
        .select_related("auction", "lot")
        .order_by("asked_at", "pk")
    )


def questions_for_auction_court(auction: Auction) -> QuerySet[Any]:
    """Every question on the auction's lot for its court's page: pending first, then decided."""
    from django.db.models import Case, IntegerField, Value, When

    from bidding.models import LotQuestion

    if auction.lot_id is None:
        return LotQuestion.objects.none()
    return (
        LotQuestion.objects.filter(lot_id=auction.lot_id)
        .select_related("auction", "decided_by")
        .annotate(
            waiting=Case(
                When(status=LotQuestion.Status.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "-asked_at", "-pk")
    )
