"""HTTP API of bidding (mounted at ``/api/bidding/``).

Public: auction lists, detail with the disclosure pack, snapshot, complete bid history
(AUC-25) and the result (the winner only, REC-05). Signed-in bidders: register, pay the
deposit, set the bidding password, bid, set a proxy maximum, start a practice auction.
Court staff of the auction's court: publication check and publish, court actions.
Errors are ``{"code", "message", "rule"}`` with stable codes (``bidding.services``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from bidding import selectors, services
from bidding.models import Auction, AuctionState, CourtAction, Registration
from core.errors import NotFound
from core.models import User
from core.ratelimit import check_write_rate
from core.types import AuthedRequest

router = Router(tags=["bidding"])
S = AuctionState


class AuctionOut(Schema):
    id: int
    title: str
    round: str
    round_label: str
    state: str
    state_label: str
    is_practice: bool
    starting_price_fen: int
    increment_fen: int
    deposit_fen: int
    current_price_fen: int | None
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    extension_count: int
    case_number: str | None
    court: str | None


class AuctionDetailOut(AuctionOut):
    balance_period_days: int | None
    announcement: str
    bidding_rules: str
    pricing_basis_note: str
    priority_holders_note: str
    deposit_account: str
    taxes_note: str
    court_contact: str
    known_defects_note: str
    warnings_text: str
    published_at: dt.datetime | None
    court_actions: list[dict[str, Any]]


class ResultOut(Schema):
    auction_id: int
    outcome: str
    closed_at: dt.datetime
    price_fen: int | None
    winner_code: str | None
    buyer: str | None
    confirmation_text: str | None
    bid_count: int


class RegistrationIn(Schema):
    accept_terms: bool
    eligibility_declared: bool = False
    claims_priority: bool = False


class RegistrationOut(Schema):
    id: int
    auction_id: int
    status: str
    bidder_code: str | None
    deposit_required_fen: int
    is_priority: bool
    priority_rank: int | None
    has_password: bool


class PasswordIn(Schema):
    password: str


class BidIn(Schema):
    amount_fen: int
    password: str | None = None
    client_id: str | None = None


class BidOut(Schema):
    seq: int
    amount_fen: int
    bidder_code: str
    at: dt.datetime


class ProxyIn(Schema):
    max_fen: int
    password: str | None = None


class BiddingPracticeIn(Schema):
    title: str = ""
    starting_price_fen: int | None = None
    increment_fen: int | None = None
    duration_minutes: int = 15


class BiddingReasonIn(Schema):
    reason: str
    ground: str = ""
    document: str = ""
    follow_up: str = ""


class ResumeIn(Schema):
    reason: str
    start_at: dt.datetime
    end_at: dt.datetime


class BiddingObjectionIn(Schema):
    objector: str
    reason: str
    measure: str = "suspend"


def _auction_out(a: Auction) -> dict[str, Any]:
    return {
        "id": a.pk,
        "title": a.title,
        "round": a.round,
        "round_label": str(a.get_round_display()),
        "state": a.state,
        "state_label": str(a.get_state_display()),
        "is_practice": a.is_practice,
        "starting_price_fen": a.starting_price_fen,
        "increment_fen": a.increment_fen,
        "deposit_fen": a.deposit_fen,
        "current_price_fen": a.current_price_fen,
        "start_at": a.start_at,
        "end_at": a.end_at,
        "extension_count": a.extension_count,
        "case_number": a.case.number if a.case is not None else None,
        "court": a.court.name if a.court is not None else None,
    }


def _public_auction(auction_id: int) -> Auction:
    a = (
        Auction.objects.select_related("case", "court")
        .filter(pk=auction_id)
        .exclude(state=S.DRAFT)
        .first()
    )
    if a is None:
        raise NotFound("auction_not_found", "拍卖不存在")
    return a


def _reg_out(reg: Registration) -> dict[str, Any]:
    return {
        "id": reg.pk,
        "auction_id": reg.auction_id,
        "status": reg.status,
        "bidder_code": reg.bidder_code,
        "deposit_required_fen": reg.deposit_required_fen,
        "is_priority": reg.is_priority,
        "priority_rank": reg.priority_rank,
        "has_password": bool(reg.password_hash),
    }


# ---- public ---------------------------------------------------------------------------------
@router.get("/auctions", response=list[AuctionOut])
def auction_list(
    request: HttpRequest, state: str | None = None, practice: bool = False, round: str | None = None
) -> list[dict[str, Any]]:
    states = [s for s in (state or "").split(",") if s] or None
    qs = selectors.auction_public_list(states=states, include_practice=practice, round=round)
    if practice:
        qs = qs.filter(is_practice=True)
    return [_auction_out(a) for a in qs.select_related("case", "court")[:200]]


@router.get("/auctions/{auction_id}", response=AuctionDetailOut)
def auction_detail(request: HttpRequest, auction_id: int) -> dict[str, Any]:
    a = _public_auction(auction_id)
    out = _auction_out(a)
    for key in (
        "balance_period_days",
        "announcement",
        "bidding_rules",
        "pricing_basis_note",
        "priority_holders_note",
        "deposit_account",
        "taxes_note",
        "court_contact",
        "known_defects_note",
        "warnings_text",
        "published_at",
    ):
        out[key] = getattr(a, key)
    out["court_actions"] = [  # published reasons (REC-09)
        {
            "kind": c.kind,
            "label": str(c.get_kind_display()),
            "reason": c.reason,
            "at": c.decided_at.isoformat(),
        }
        for c in a.court_actions.order_by("decided_at", "pk")
    ]
    return out


@router.get("/auctions/{auction_id}/snapshot")
def auction_snapshot(request: HttpRequest, auction_id: int) -> dict[str, Any]:
    return selectors.auction_snapshot(auction_id)


@router.get("/auctions/{auction_id}/bids")
def auction_bids(request: HttpRequest, auction_id: int) -> list[dict[str, Any]]:
    _public_auction(auction_id)
    return selectors.auction_bid_history(auction_id)


@router.get("/auctions/{auction_id}/result", response=ResultOut)
def auction_result(request: HttpRequest, auction_id: int) -> dict[str, Any]:
    a = _public_auction(auction_id)
    result = getattr(a, "result", None)
    if result is None:
        raise NotFound("no_result", "竞价尚未结束")
    sold = result.outcome == "sold" and a.state in (S.SOLD, S.DEFAULTED)
    return {
        "auction_id": a.pk,
        "outcome": result.outcome,
        "closed_at": result.closed_at,
        "price_fen": result.price_fen,
        "winner_code": result.winner_code or None,
        "buyer": result.buyer_name if sold else None,
        "confirmation_text": result.confirmation_text if sold else None,
        "bid_count": result.bid_count,
    }


# ---- bidders --------------------------------------------------------------------------------
@router.get("/auctions/{auction_id}/registration", auth=django_auth, response=RegistrationOut)
def my_registration(request: AuthedRequest, auction_id: int) -> dict[str, Any]:
    reg = selectors.registration_for(request.user, auction_id)
    if reg is None:
        raise NotFound("not_registered", "您尚未报名参加本场拍卖")
    return _reg_out(reg)


@router.post("/auctions/{auction_id}/registration", auth=django_auth, response=RegistrationOut)
def register(request: AuthedRequest, auction_id: int, payload: RegistrationIn) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    reg = services.registration_create(
        auction_id=auction_id,
        user=request.user,
        accept_terms=payload.accept_terms,
        eligibility_declared=payload.eligibility_declared,
        claims_priority=payload.claims_priority,
    )
    from bidding.collusion.marks import note_registration_client

    note_registration_client(reg, request)  # issue 19: hashed client, once, never per bid
    return _reg_out(reg)


@router.post("/registrations/{registration_id}/deposit", auth=django_auth)
def pay_deposit(request: AuthedRequest, registration_id: int) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    intent = services.registration_pay_deposit(registration_id=registration_id, user=request.user)
    if intent is None:
        return {"status": "held", "practice": True}
    return {"status": intent.status, "pay_url": intent.pay_url, "amount_fen": intent.amount_fen}


@router.post("/registrations/{registration_id}/password", auth=django_auth)
def set_password(
    request: AuthedRequest, registration_id: int, payload: PasswordIn
) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    services.registration_set_password(
        registration_id=registration_id, user=request.user, password=payload.password
    )
    return {"ok": True}


@router.post("/auctions/{auction_id}/bids", auth=django_auth, response=BidOut)
def place_bid(request: AuthedRequest, auction_id: int, payload: BidIn) -> dict[str, Any]:
    b = services.bid_place(
        auction_id=auction_id,
        user=request.user,
        amount_fen=payload.amount_fen,
        password=payload.password,
        client_id=payload.client_id,
    )
    return {"seq": b.seq, "amount_fen": b.amount_fen, "bidder_code": b.bidder_code, "at": b.at}


@router.post("/auctions/{auction_id}/proxy", auth=django_auth)
def set_proxy(request: AuthedRequest, auction_id: int, payload: ProxyIn) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    services.proxy_bid_set(
        auction_id=auction_id, user=request.user, max_fen=payload.max_fen, password=payload.password
    )
    return selectors.auction_snapshot(auction_id)


@router.post("/practice", auth=django_auth, response=AuctionOut)
def practice_start(request: AuthedRequest, payload: BiddingPracticeIn) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    a = services.practice_auction_start(
        user=request.user,
        title=payload.title,
        starting_price_fen=payload.starting_price_fen,
        increment_fen=payload.increment_fen,
        duration_minutes=payload.duration_minutes,
    )
    return _auction_out(a)


# ---- court staff ----------------------------------------------------------------------------
@router.get("/court/auctions/{auction_id}/publish-check", auth=django_auth)
def publish_check(request: AuthedRequest, auction_id: int) -> dict[str, Any]:
    a = Auction.objects.filter(pk=auction_id).first()
    if a is None:
        raise NotFound("auction_not_found", "拍卖不存在")
    services._require_staff(request.user, a)
    return {"problems": [p.as_dict() for p in services.auction_publish_problems(a)]}


@router.post("/court/auctions/{auction_id}/publish", auth=django_auth, response=AuctionOut)
def publish(request: AuthedRequest, auction_id: int) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    return _auction_out(services.auction_publish(auction_id=auction_id, actor=request.user))


#: The court actions that take a reason (AUC-40..43): URL name → the service call.
_REASON_ACTIONS: dict[str, Callable[[int, User, BiddingReasonIn], CourtAction]] = {
    "suspend": lambda auction_id, actor, p: services.auction_suspend(
        auction_id=auction_id,
        actor=actor,
        reason=p.reason,
        ground=p.ground or "court_decision",
        document=p.document,
    ),
    "halt": lambda auction_id, actor, p: services.auction_halt(
        auction_id=auction_id,
        actor=actor,
        reason=p.reason,
        ground=p.ground or "court_decision",
        document=p.document,
    ),
    "withdraw": lambda auction_id, actor, p: services.auction_withdraw(
        auction_id=auction_id, actor=actor, reason=p.reason, ground=p.ground, document=p.document
    ),
    "set-aside": lambda auction_id, actor, p: services.auction_set_aside(
        auction_id=auction_id,
        actor=actor,
        reason=p.reason,
        ground=p.ground,
        document=p.document,
        follow_up=p.follow_up,
    ),
}


def _action(name: str) -> Callable[[AuthedRequest, int, BiddingReasonIn], dict[str, Any]]:
    fn = _REASON_ACTIONS[name]

    def view(request: AuthedRequest, auction_id: int, payload: BiddingReasonIn) -> dict[str, Any]:
        check_write_rate(request, "bidding")
        action = fn(auction_id, request.user, payload)
        return {"action_id": action.pk, "state": action.to_state}

    view.__name__ = f"court_{name.replace('-', '_')}"
    return view


for _name in ("suspend", "halt", "withdraw", "set-aside"):
    router.post(f"/court/auctions/{{auction_id}}/{_name}", auth=django_auth)(_action(_name))


@router.post("/court/auctions/{auction_id}/resume", auth=django_auth)
def resume(request: AuthedRequest, auction_id: int, payload: ResumeIn) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    action = services.auction_resume(
        auction_id=auction_id,
        actor=request.user,
        reason=payload.reason,
        start_at=payload.start_at,
        end_at=payload.end_at,
    )
    return {"action_id": action.pk, "state": action.to_state}


@router.post("/court/auctions/{auction_id}/objection", auth=django_auth)
def objection(
    request: AuthedRequest, auction_id: int, payload: BiddingObjectionIn
) -> dict[str, Any]:
    check_write_rate(request, "bidding")
    action = services.auction_third_party_objection(
        auction_id=auction_id,
        actor=request.user,
        objector=payload.objector,
        reason=payload.reason,
        measure=payload.measure,
    )
    return {"action_id": action.pk, "state": action.to_state}
