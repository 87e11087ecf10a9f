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
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from bidding import selectors, services
from bidding.models import Auction, AuctionState, CourtAction, Registration
from core.court_api import CourtPage, mount_court_pages
from core.errors import DomainError, NotFound
from core.models import User
from core.permissions import require
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


class UnlockIn(Schema):
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
        raise NotFound("auction_not_found", _("拍卖不存在"))
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
        raise NotFound("no_result", _("竞价尚未结束"))
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
        raise NotFound("not_registered", _("您尚未报名参加本场拍卖"))
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


def bid_rate() -> str:
    """The websocket's per-bidder bid limit (``GAVEL_LIVE_BID_RATE``: rate per second, burst)
    as a django-ratelimit rate: ``burst`` bids per ``burst / rate`` seconds (5/s with a burst
    of 10 → ``10/2s``), the same average and burst."""
    rate, burst = (float(v) for v in settings.GAVEL_LIVE_BID_RATE)
    period = max(1, round(burst / rate)) if rate > 0 else 1
    return f"{max(1, round(rate * period))}/{period}s"


@router.post("/auctions/{auction_id}/bids", auth=django_auth, response=BidOut)
def place_bid(request: AuthedRequest, auction_id: int, payload: BidIn) -> dict[str, Any]:
    # Every bid path is limited per bidder (issue 15): the websocket by its token bucket,
    # this one here; a bid is never refused because the counting cache is down.
    check_write_rate(request, "bidding-bid", bid_rate(), fail_open=True)
    b = services.bid_place(
        auction_id=auction_id,
        user=request.user,
        amount_fen=payload.amount_fen,
        password=payload.password,
        client_id=payload.client_id,
        unlock_token=request.session.get(services.unlock_session_key(auction_id)),
        received_at=getattr(request, "scope", {}).get("gavel_received_at"),  # AUC-24 (asgi.py)
    )
    return {"seq": b.seq, "amount_fen": b.amount_fen, "bidder_code": b.bidder_code, "at": b.at}


@router.post("/auctions/{auction_id}/unlock", auth=django_auth)
def unlock(request: AuthedRequest, auction_id: int, payload: UnlockIn) -> dict[str, Any]:
    """Unlock bidding in this auction for this session: the bidding password is verified once
    (full strength, AUC-17); afterwards bids of this session need no password."""
    check_write_rate(request, "bidding")
    token = services.registration_unlock(
        auction_id=auction_id, user=request.user, password=payload.password
    )
    request.session[services.unlock_session_key(auction_id)] = token
    return {"unlocked": True}


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
        raise NotFound("auction_not_found", _("拍卖不存在"))
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


# ---- court: drafts (the court's auction list and draft page) ---------------------------------


class BiddingDraftPreviousOut(Schema):
    """The auction a next-round, 变卖 or re-auction draft follows."""

    id: int
    title: str
    round: str
    round_label: str
    state: str
    state_label: str
    starting_price_fen: int


class BiddingDraftOut(Schema):
    id: int
    title: str
    round: str
    round_label: str
    #: ``""`` a new auction; ``next_round`` (AUC-35), ``sale`` (变卖, AUC-37), ``reauction`` (AUC-33)
    link: str
    link_label: str
    previous: BiddingDraftPreviousOut | None
    case_id: int | None
    case_number: str | None
    lot_id: int | None
    lot_title: str | None
    starting_price_fen: int
    increment_fen: int
    deposit_fen: int
    balance_period_days: int | None
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    created_at: dt.datetime
    url: str


class BiddingDraftProblemOut(Schema):
    code: str
    message: str
    rule: str | None


class BiddingDraftDetailOut(BiddingDraftOut):
    announcement: str
    bidding_rules: str
    pricing_basis_note: str
    setting_overrides: dict[str, Any]
    #: Every reason publication would be refused now, each with its rule (the draft page's list).
    publish_problems: list[BiddingDraftProblemOut]


_DRAFT_LINKS = {"new": "", **{v: v for v in Auction.Link.values}}


def _draft_out(a: Auction) -> dict[str, Any]:
    from django.urls import reverse

    prev = a.previous
    return {
        "id": a.pk,
        "title": a.title,
        "round": a.round,
        "round_label": str(a.get_round_display()),
        "link": a.link,
        "link_label": str(a.get_link_display()) if a.link else "新拍卖",
        "previous": {
            "id": prev.pk,
            "title": prev.title,
            "round": prev.round,
            "round_label": str(prev.get_round_display()),
            "state": prev.state,
            "state_label": str(prev.get_state_display()),
            "starting_price_fen": prev.starting_price_fen,
        }
        if prev is not None
        else None,
        "case_id": a.case_id,
        "case_number": a.case.number if a.case is not None else None,
        "lot_id": a.lot_id,
        "lot_title": a.lot.title if a.lot is not None else None,
        "starting_price_fen": a.starting_price_fen,
        "increment_fen": a.increment_fen,
        "deposit_fen": a.deposit_fen,
        "balance_period_days": a.balance_period_days,
        "start_at": a.start_at,
        "end_at": a.end_at,
        "created_at": a.created_at,
        "url": reverse("bidding:court_auction", args=[a.pk]),
    }


@router.get(
    "/court/drafts",
    auth=django_auth,
    response=list[BiddingDraftOut],
    summary="本院拍卖草稿（含流拍后再次拍卖、变卖、悔拍后重新拍卖的草稿）",
)
def draft_list(request: AuthedRequest, kind: str | None = None) -> list[dict[str, Any]]:
    """Drafts of the user's court, newest first; ``kind`` = ``new``, ``next_round``, ``sale``
    or ``reauction`` (the engine's follow-up drafts). Judges, officers and bureau heads of the
    court, as on the court pages."""
    require(request.user, "bidding.manage_auction", request.user.court)
    qs = selectors.court_auctions(request.user.court_id or 0).filter(state=S.DRAFT)
    if kind:
        if kind not in _DRAFT_LINKS:
            raise DomainError(
                "invalid_kind",
                _("草稿类别只能是 new、next_round、sale、reauction"),
                field="kind",
            )
        qs = qs.filter(link=_DRAFT_LINKS[kind])
    return [_draft_out(a) for a in qs.select_related("previous", "lot", "case")[:200]]


@router.get(
    "/court/drafts/{auction_id}",
    auth=django_auth,
    response=BiddingDraftDetailOut,
    summary="拍卖草稿详情及发布前检查",
)
def draft_detail(request: AuthedRequest, auction_id: int) -> dict[str, Any]:
    a = (
        Auction.objects.select_related("previous", "lot", "case", "court")
        .filter(pk=auction_id, is_practice=False, state=S.DRAFT)
        .first()
    )
    if a is None:
        raise NotFound("draft_not_found", _("草稿不存在"))
    require(request.user, "bidding.manage_auction", a)
    out = _draft_out(a)
    out.update(
        announcement=a.announcement,
        bidding_rules=a.bidding_rules,
        pricing_basis_note=a.pricing_basis_note,
        setting_overrides=a.setting_overrides or {},
        publish_problems=[
            {"code": p.code, "message": str(p.message), "rule": p.rule}
            for p in services.auction_publish_problems(a)
        ],
    )
    return out


class BiddingObjectionRulingIn(Schema):
    track: str  # "third_party" (案外人异议) or "enforcement_act" (执行异议)
    upheld: bool
    ruling: str
    served_at: dt.datetime | None = None


@router.post("/court/auctions/{auction_id}/objection/ruling", auth=django_auth)
def objection_ruling(
    request: AuthedRequest, auction_id: int, payload: BiddingObjectionRulingIn
) -> dict[str, Any]:
    """REC-12: the ruling on the auction's objection; opens the suit or reconsideration window."""
    check_write_rate(request, "bidding")
    window = services.auction_objection_rule(
        auction_id=auction_id,
        actor=request.user,
        track=payload.track,
        upheld=payload.upheld,
        ruling=payload.ruling,
        served_at=payload.served_at,
    )
    return {
        "deadline_id": window.pk,
        "title": window.title,
        "title_label": window.display_title,
        "due_at": window.due_at,
    }


class BiddingOfflineRoundIn(Schema):
    method: str  # "auction" (线下拍卖) or "sale" (变卖)
    appraisal_fen: int
    start_price_fen: int
    held_at: dt.datetime
    deposit_fen: int = 0


class BiddingOfflineResultIn(Schema):
    outcome: str  # "sold" or "unsold"
    price_fen: int | None = None
    buyer_name: str = ""
    tied_same_rank: list[str] = []
    public_value: str = ""


def _offline_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "method": r.method,
        "round": r.round,
        "start_price_fen": r.start_price_fen,
        "deposit_fen": r.deposit_fen,
        "held_at": r.held_at,
        "outcome": r.outcome,
        "price_fen": r.price_fen,
        "buyer_name": r.buyer_name,
        "deposit_refund_due_at": r.deposit_refund_due_at,
        "next_round_due_at": r.next_round_due_at,
        "tie_draw": r.tie_draw,
    }


@router.post("/court/lots/{lot_id}/offline-rounds", auth=django_auth)
def offline_round(
    request: AuthedRequest, lot_id: int, payload: BiddingOfflineRoundIn
) -> dict[str, Any]:
    """AUC-39: record an offline auction or sale under the lot's offline route."""
    check_write_rate(request, "bidding")
    return _offline_out(
        services.offline_round_record(
            lot_id=lot_id,
            method=payload.method,
            appraisal_fen=payload.appraisal_fen,
            start_price_fen=payload.start_price_fen,
            held_at=payload.held_at,
            deposit_fen=payload.deposit_fen,
            actor=request.user,
        )
    )


@router.post("/court/offline-rounds/{round_id}/result", auth=django_auth)
def offline_result(
    request: AuthedRequest, round_id: int, payload: BiddingOfflineResultIn
) -> dict[str, Any]:
    """AUC-39: how the offline round ended (3-day refund, 60-day re-auction, ties by lot)."""
    check_write_rate(request, "bidding")
    return _offline_out(
        services.offline_round_result(
            round_id=round_id,
            outcome=payload.outcome,
            price_fen=payload.price_fen,
            buyer_name=payload.buyer_name,
            tied_same_rank=payload.tied_same_rank,
            public_value=payload.public_value,
            actor=request.user,
        )
    )


class BiddingOfflineSuspendIn(Schema):
    reason: str


class BiddingOfflineGroundEndedIn(Schema):
    ended_at: dt.datetime | None = None


class BiddingOfflineResumeIn(Schema):
    held_at: dt.datetime
    reason: str = ""


@router.post("/court/offline-rounds/{round_id}/suspend", auth=django_auth)
def offline_suspend(
    request: AuthedRequest, round_id: int, payload: BiddingOfflineSuspendIn
) -> dict[str, Any]:
    """AUC-40: suspend (暂缓) or halt (中止) a pending offline round."""
    check_write_rate(request, "bidding")
    r = services.offline_round_suspend(round_id=round_id, reason=payload.reason, actor=request.user)
    return {**_offline_out(r), "suspended_at": r.suspended_at}


@router.post("/court/offline-rounds/{round_id}/ground-ended", auth=django_auth)
def offline_ground_ended(
    request: AuthedRequest, round_id: int, payload: BiddingOfflineGroundEndedIn
) -> dict[str, Any]:
    """AUC-40 / ASR 18: the ground ended; resume within ``resume_days_entrusted`` (15) days."""
    check_write_rate(request, "bidding")
    r = services.offline_round_ground_ended(
        round_id=round_id, ended_at=payload.ended_at, actor=request.user
    )
    return {**_offline_out(r), "resume_due_at": r.resume_due_at}


@router.post("/court/offline-rounds/{round_id}/resume", auth=django_auth)
def offline_resume(
    request: AuthedRequest, round_id: int, payload: BiddingOfflineResumeIn
) -> dict[str, Any]:
    """AUC-40: resume the suspended offline round at a new time of the hall."""
    check_write_rate(request, "bidding")
    return _offline_out(
        services.offline_round_resume(
            round_id=round_id, held_at=payload.held_at, reason=payload.reason, actor=request.user
        )
    )


# ---- court: every action of the court pages (issue 13: each page's action table, by API) ------


def _mount_court_pages() -> None:
    """The court pages' action tables (``bidding.court_views``, ``bidding.collusion.views``),
    each with the page's own lookup and permission (``core.court_api``)."""
    from bidding import court_views as cv
    from bidding.collusion import views as collusion

    pages: list[CourtPage] = [
        (
            "/court/auctions/{auction_id}",
            cv.AUCTION_ACTIONS,
            cv._auction_for,
            "bidding_auction",
            "拍卖（法院）",
        ),
        (
            "/court/lots/{lot_id}/draft",
            cv.NEW_DRAFT_ACTIONS,
            cv._lot_for,
            "bidding_draft_new",
            "新建拍卖草稿",
        ),
        (
            "/court/auctions/{auction_id}/draft",
            cv.EDIT_DRAFT_ACTIONS,
            cv._auction_for,
            "bidding_draft_edit",
            "修改拍卖草稿",
        ),
        (
            "/court/registrations/{registration_id}",
            cv.REVEAL_ACTIONS,
            cv._registration_for,
            "bidding_registration_reveal",
            "竞买人身份查看",
        ),
        ("/court/lots/{lot_id}", cv.LOT_ACTIONS, cv._lot_page, "bidding_lot", "标的处置方式"),
        (
            "/court/auctions/{auction_id}/in-lieu",
            cv.IN_LIEU_ACTIONS,
            cv._in_lieu_page,
            "bidding_in_lieu",
            "以物抵债",
        ),
        (
            "/in-lieu-draws/{in_lieu_draw_id}",
            cv.DRAW_ACTIONS,
            cv._draw_for,
            "bidding_in_lieu_draw",
            "以物抵债摇号",
        ),
        (
            "/court/flags/{flag_id}",
            collusion.FLAG_ACTIONS,
            collusion._flag_for,
            "bidding_collusion_flag",
            "串通竞买线索",
        ),
    ]
    mount_court_pages(router, "bidding", pages)


# ---- 拍品咨询 (issue 17) ------------------------------------------------------------------------


class LotQuestionPublicOut(Schema):
    """An answered question: the asker only as 竞买人 + anonymous code (REC-05)."""

    id: int
    asker: str
    question: str
    answer: str
    asked_at: str | None
    answered_at: str | None


class LotQuestionAskIn(Schema):
    text: str


class LotQuestionMineOut(Schema):
    id: int
    auction_id: int
    asker: str
    question: str
    status: str
    status_label: str
    reject_reason: str
    reject_note: str
    asked_at: dt.datetime


class LotQuestionCourtOut(LotQuestionMineOut):
    auction_title: str
    round_label: str
    answer: str


class LotQuestionAnswerIn(Schema):
    answer: str


class LotQuestionRejectIn(Schema):
    reason: Literal["off_topic", "abusive", "duplicate", "private"]
    note: str = ""


def _question_out(q: Any) -> dict[str, Any]:
    return {
        "id": q.pk,
        "auction_id": q.auction_id,
        "asker": selectors.question_asker_label(q.asker_alias),
        "question": q.text,
        "status": q.status,
        "status_label": str(q.get_status_display()),
        "reject_reason": q.reject_reason,
        "reject_note": q.reject_note,
        "asked_at": q.asked_at,
    }


def _question_court_out(q: Any) -> dict[str, Any]:
    return _question_out(q) | {
        "auction_title": q.auction.title,
        "round_label": str(q.auction.get_round_display()),
        "answer": q.answer,
    }


@router.get(
    "/auctions/{auction_id}/questions",
    response=list[LotQuestionPublicOut],
    summary="拍品咨询：已答复的问答（提问人匿名）",
)
def questions_list(request: HttpRequest, auction_id: int) -> list[selectors.PublicQuestion]:
    """The answered questions about this auction's lot (every round of the lot), newest answer
    first; the asker only as 竞买人 + a per-lot anonymous code, never a name (REC-05)."""
    a = _public_auction(auction_id)
    return selectors.questions_public(a.lot_id)


@router.post(
    "/auctions/{auction_id}/questions",
    auth=django_auth,
    response={201: LotQuestionMineOut},
    summary="拍品咨询：提问（须登录）",
)
def question_ask(
    request: AuthedRequest, auction_id: int, payload: LotQuestionAskIn
) -> Status[dict[str, Any]]:
    """Ask the court about the lot: 5–500 characters; refusals ``question_too_short``,
    ``question_too_long``, ``questions_closed`` (the auction ended), ``staff_cannot_ask``,
    ``too_many_pending`` (3 unanswered per lot), ``too_many_questions`` (10 a day) and
    ``rate_limited`` (``GAVEL_QUESTION_RATE``), each with status 4xx. Public after the answer."""
    check_write_rate(request, "bidding-question", settings.GAVEL_QUESTION_RATE)
    q = services.question_ask(auction_id=auction_id, user=request.user, text=payload.text)
    return Status(201, _question_out(q))


@router.get(
    "/court/questions",
    auth=django_auth,
    response=list[LotQuestionCourtOut],
    summary="拍品咨询：本院待答复的咨询",
)
def court_questions(request: AuthedRequest) -> list[dict[str, Any]]:
    """The staff member's court's unanswered questions, oldest first (judges, officers and
    bureau heads; the asker only by the anonymous code)."""
    user = request.user
    if user.role not in services.STAFF_ACTORS or user.court_id is None:
        raise DomainError("forbidden", _("仅法院法官、执行员可查看"), "REC-14", status=403)
    return [
        _question_court_out(q) for q in selectors.questions_pending_for_court(user.court_id)[:200]
    ]


@router.post(
    "/court/questions/{question_id}/answer",
    auth=django_auth,
    response=LotQuestionCourtOut,
    summary="拍品咨询：答复并公开",
)
def court_question_answer(
    request: AuthedRequest, question_id: int, payload: LotQuestionAnswerIn
) -> dict[str, Any]:
    """Answer (2–2,000 characters): the question and the answer become public; the asker is
    notified. Refusals: ``forbidden``, ``question_decided``, ``answer_too_short``/``_long``."""
    check_write_rate(request, "bidding")
    q = services.question_answer(question_id=question_id, actor=request.user, answer=payload.answer)
    return _question_court_out(q)


@router.post(
    "/court/questions/{question_id}/reject",
    auth=django_auth,
    response=LotQuestionCourtOut,
    summary="拍品咨询：不予公开（附理由）",
)
def court_question_reject(
    request: AuthedRequest, question_id: int, payload: LotQuestionRejectIn
) -> dict[str, Any]:
    """Decline to publish: ``reason`` one of off_topic, abusive, duplicate, private; an optional
    ``note`` (≤ 200 characters) for the asker, who is notified."""
    check_write_rate(request, "bidding")
    q = services.question_reject(
        question_id=question_id, actor=request.user, reason=payload.reason, note=payload.note
    )
    return _question_court_out(q)


_mount_court_pages()
