"""HTTP API of bidding (mounted at ``/api/bidding/``).

Public: auction lists, detail with the disclosure pack, snapshot, complete bid history
(AUC-25) and the result (the winner only, REC-05). Signed-in bidders: register, pay the
deposit, set the bidding password, bid, set a proxy maximum, start a practice auction.
Court staff of the auction's court: publication check and publish, court actions.
Errors are ``{"code", "message", "rule"}`` with stable codes (``bidding.services``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema
from ninja.security import django_auth

from bidding import selectors, services
from bidding.models import Auction, AuctionState, Registration
from core.errors import NotFound
from core.ratelimit import check_write_rate

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


class PracticeIn(Schema):
    title: str = ""
    starting_price_fen: int | None = None
    increment_fen: int | None = None
    duration_minutes: int = 15


class ReasonIn(Schema):
    reason: str
    ground: str = ""
    document: str = ""
    follow_up: str = ""


class ResumeIn(Schema):
    reason: str
    start_at: dt.datetime
    end_at: dt.datetime


class ObjectionIn(Schema):
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
        "case_number": a.case.number if a.case_id else None,
        "court": a.court.name if a.court_id else None,
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
    request, state: str | None = None, practice: bool = False, round: str | None = None
):
    states = [s for s in (state or "").split(",") if s] or None
    qs = selectors.auction_public_list(states=states, include_practice=practice, round=round)
    if practice:
        qs = qs.filter(is_practice=True)
    return [_auction_out(a) for a in qs.select_related("case", "court")[:200]]


@router.get("/auctions/{auction_id}", response=AuctionDetailOut)
def auction_detail(request, auction_id: int):
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
def auction_snapshot(request, auction_id: int):
    return selectors.auction_snapshot(auction_id)


@router.get("/auctions/{auction_id}/bids")
def auction_bids(request, auction_id: int):
    _public_auction(auction_id)
    return selectors.auction_bid_history(auction_id)


@router.get("/auctions/{auction_id}/result", response=ResultOut)
def auction_result(request, auction_id: int):
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
def my_registration(request, auction_id: int):
    reg = selectors.registration_for(request.auth, auction_id)
    if reg is None:
        raise NotFound("not_registered", "您尚未报名参加本场拍卖")
    return _reg_out(reg)


@router.post("/auctions/{auction_id}/registration", auth=django_auth, response=RegistrationOut)
def register(request, auction_id: int, payload: RegistrationIn):
    check_write_rate(request, "bidding")
    reg = services.registration_create(
        auction_id=auction_id,
        user=request.auth,
        accept_terms=payload.accept_terms,
        eligibility_declared=payload.eligibility_declared,
        claims_priority=payload.claims_priority,
    )
    return _reg_out(reg)


@router.post("/registrations/{registration_id}/deposit", auth=django_auth)
def pay_deposit(request, registration_id: int):
    check_write_rate(request, "bidding")
    intent = services.registration_pay_deposit(registration_id=registration_id, user=request.auth)
    if intent is None:
        return {"status": "held", "practice": True}
    return {"status": intent.status, "pay_url": intent.pay_url, "amount_fen": intent.amount_fen}


@router.post("/registrations/{registration_id}/password", auth=django_auth)
def set_password(request, registration_id: int, payload: PasswordIn):
    check_write_rate(request, "bidding")
    services.registration_set_password(
        registration_id=registration_id, user=request.auth, password=payload.password
    )
    return {"ok": True}


@router.post("/auctions/{auction_id}/bids", auth=django_auth, response=BidOut)
def place_bid(request, auction_id: int, payload: BidIn):
    b = services.bid_place(
        auction_id=auction_id,
        user=request.auth,
        amount_fen=payload.amount_fen,
        password=payload.password,
        client_id=payload.client_id,
    )
    return {"seq": b.seq, "amount_fen": b.amount_fen, "bidder_code": b.bidder_code, "at": b.at}


@router.post("/auctions/{auction_id}/proxy", auth=django_auth)
def set_proxy(request, auction_id: int, payload: ProxyIn):
    check_write_rate(request, "bidding")
    services.proxy_bid_set(
        auction_id=auction_id, user=request.auth, max_fen=payload.max_fen, password=payload.password
    )
    return selectors.auction_snapshot(auction_id)


@router.post("/practice", auth=django_auth, response=AuctionOut)
def practice_start(request, payload: PracticeIn):
    check_write_rate(request, "bidding")
    a = services.practice_auction_start(
        user=request.auth,
        title=payload.title,
        starting_price_fen=payload.starting_price_fen,
        increment_fen=payload.increment_fen,
        duration_minutes=payload.duration_minutes,
    )
    return _auction_out(a)


# ---- court staff ----------------------------------------------------------------------------
@router.get("/court/auctions/{auction_id}/publish-check", auth=django_auth)
def publish_check(request, auction_id: int):
    a = Auction.objects.filter(pk=auction_id).first()
    if a is None:
        raise NotFound("auction_not_found", "拍卖不存在")
    services._require_staff(request.auth, a)
    return {"problems": [p.as_dict() for p in services.auction_publish_problems(a)]}


@router.post("/court/auctions/{auction_id}/publish", auth=django_auth, response=AuctionOut)
def publish(request, auction_id: int):
    check_write_rate(request, "bidding")
    return _auction_out(services.auction_publish(auction_id=auction_id, actor=request.auth))


def _action(name: str):
    fn = {
        "suspend": services.auction_suspend,
        "halt": services.auction_halt,
        "withdraw": services.auction_withdraw,
        "set-aside": services.auction_set_aside,
    }[name]

    def view(request, auction_id: int, payload: ReasonIn):
        check_write_rate(request, "bidding")
        kw: dict[str, Any] = {
            "auction_id": auction_id,
            "actor": request.auth,
            "reason": payload.reason,
        }
        if name in ("suspend", "halt"):
            kw.update(ground=payload.ground or "court_decision", document=payload.document)
        elif name == "withdraw":
            kw.update(ground=payload.ground, document=payload.document)
        else:
            kw.update(ground=payload.ground, document=payload.document, follow_up=payload.follow_up)
        action = fn(**kw)
        return {"action_id": action.pk, "state": action.to_state}

    view.__name__ = f"court_{name.replace('-', '_')}"
    return view


for _name in ("suspend", "halt", "withdraw", "set-aside"):
    router.post(f"/court/auctions/{{auction_id}}/{_name}", auth=django_auth)(_action(_name))


@router.post("/court/auctions/{auction_id}/resume", auth=django_auth)
def resume(request, auction_id: int, payload: ResumeIn):
    check_write_rate(request, "bidding")
    action = services.auction_resume(
        auction_id=auction_id,
        actor=request.auth,
        reason=payload.reason,
        start_at=payload.start_at,
        end_at=payload.end_at,
    )
    return {"action_id": action.pk, "state": action.to_state}


@router.post("/court/auctions/{auction_id}/objection", auth=django_auth)
def objection(request, auction_id: int, payload: ObjectionIn):
    check_write_rate(request, "bidding")
    action = services.auction_third_party_objection(
        auction_id=auction_id,
        actor=request.auth,
        objector=payload.objector,
        reason=payload.reason,
        measure=payload.measure,
    )
    return {"action_id": action.pk, "state": action.to_state}
