"""The public auction page and the bidder's own steps (register, deposit, bidding password).

Thin: each view reads through the engine's selectors or calls one engine service and
renders. Anonymity (REC-05): nothing here shows who registered; a signed-in bidder sees
only their own registration.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bidding import live
from bidding.forms import QuestionForm, RegistrationForm
from bidding.models import Auction, AuctionState, Registration
from bidding.selectors import (
    auction_bid_history,
    auction_snapshot,
    questions_of_asker,
    questions_public,
    registration_for,
)
from core import clock
from core.documents import documents_public
from core.errors import DomainError
from core.models import STAFF_ROLES, User
from core.punctuation import paren
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest

S = AuctionState
PRE_BIDDING = {S.SCHEDULED}
LIVE = {S.BIDDING, S.EXTENDED}
PAUSED = {S.SUSPENDED, S.HALTED}  # AUC-40: the court may resume


def _public_auction(auction_id: int) -> Auction:
    auction = (
        Auction.objects.select_related("court", "case", "lot", "result")
        .exclude(state=S.DRAFT)
        .filter(pk=auction_id)
        .first()
    )
    if auction is None:
        raise Http404(_("拍卖不存在"))
    return auction


def _snapshot(auction_id: int) -> dict[str, Any]:
    try:
        snap = dict(auction_snapshot(auction_id))
    except DomainError as exc:
        raise Http404(str(exc.message)) from exc
    live.note_snapshot(snap)
    snap["type"] = "snapshot"
    snap["watchers"] = live.watcher_count(auction_id)
    snap.update(live.server_time_fields())
    return snap


def _disclosures(auction: Auction) -> list[dict[str, Any]]:
    """Each asset of the lot with its current disclosures and photos (AUC-09)."""
    lot = auction.lot
    if lot is None:
        return []
    from cases.selectors import current_disclosures

    out = []
    for asset in lot.assets.all().order_by("pk"):
        files = []
        if hasattr(asset, "files"):
            files = [f for f in asset.files.all() if getattr(f, "file", None)]
        out.append(
            {
                "asset": asset,
                "disclosures": sorted(
                    current_disclosures(asset).values(), key=lambda d: d.get_topic_display()
                ),
                "files": files,
            }
        )
    return out


def _gallery(auction: Auction) -> list[dict[str, Any]]:
    """The lot's photos and videos, in upload order (public with the announcement, AUC-09)."""
    if auction.lot_id is None:
        return []
    from cases.models import AssetFile

    out: list[dict[str, Any]] = []
    files = AssetFile.objects.filter(
        asset__lots=auction.lot_id, kind__in=[AssetFile.Kind.PHOTO, AssetFile.Kind.VIDEO]
    ).order_by("asset_id", "pk")
    for f in files:
        try:
            url = f.file.url
        except ValueError:
            continue
        out.append({"url": url, "title": f.title, "video": f.kind == AssetFile.Kind.VIDEO})
    return out


def _reference_price(auction: Auction) -> dict[str, Any] | None:
    """评估价/参考价 and its basis: the lot's price bases frozen at publication (PRC-11)."""
    from pricing.models import ReferencePrice
    from pricing.services.procedure import SKIP_GROUNDS

    bases = [b for b in (auction.price_basis or {}).values() if isinstance(b, dict)]
    if not bases:
        return None
    try:
        total = sum(int(b.get("amount_fen") or 0) for b in bases)
    except (TypeError, ValueError):
        return None
    kinds = list(dict.fromkeys(str(b.get("kind") or "") for b in bases))
    label = _("评估价/参考价") if kinds == [ReferencePrice.Kind.REFERENCE] else _("定价依据金额")
    kind_labels = [str(ReferencePrice.Kind(k).label) for k in kinds if k in ReferencePrice.Kind]
    grounds = list(
        dict.fromkeys(
            _(SKIP_GROUNDS.get(str(b["ground"]), str(b["ground"])))
            for b in bases
            if b.get("ground")
        )
    )
    return {
        "amount_fen": total,
        "label": label,
        "kinds": "、".join(kind_labels),
        "grounds": grounds,
    }


def _bidder_step(auction: Auction, reg: Registration | None, user: User | AnonymousUser) -> str:
    """Where the signed-in user is on the way to bidding (as a registrant or as the agent)."""
    still_open = auction.state in PRE_BIDDING | LIVE | PAUSED
    if not user.is_authenticated:
        return "login" if still_open else "closed"
    if reg is None:
        if auction.state in PRE_BIDDING | LIVE:
            return "register"
        return "paused" if auction.state in PAUSED else "closed"
    if reg.user_id != user.pk:
        return _agent_step(auction, reg)
    if not reg.bidder_code or (
        # A halt refunded the deposit (AUC-41): after the resume the bidder pays again.
        reg.status == Registration.Status.RELEASED and auction.state in PRE_BIDDING | LIVE
    ):
        if reg.status in (Registration.Status.PENDING_DEPOSIT, Registration.Status.RELEASED):
            return "deposit" if still_open else "waiting"
        return "waiting"
    if not reg.password_hash:
        return "password"
    return "bid"


def _agent_step(auction: Auction, reg: Registration) -> str:
    """The agent's way to bidding for the registrant (AUC-14): the court confirms the agency
    before bidding opens; the registrant pays the deposit and sets the bidding password."""
    if not reg.agent_confirmed_at:
        started = auction.start_at is not None and clock.now() >= auction.start_at
        return "agent_too_late" if started else "agent_unconfirmed"
    if not reg.bidder_code or reg.status != Registration.Status.ACTIVE:
        return "agent_deposit"
    if not reg.password_hash:
        return "agent_password"
    return "bid"


def _state_notes() -> dict[str, str]:
    """Why the bidder cannot act now, per state (AUC-03, AUC-40..43)."""
    return {
        S.SUSPENDED: _("拍卖已暂缓，暂停出价。法院恢复拍卖后可继续出价，竞价时间以法院公告为准。"),
        S.HALTED: _(
            "拍卖已中止，暂停出价。已交的保证金将退还；法院恢复拍卖后须重新交纳保证金方可出价。"
        ),
        S.WITHDRAWN: _("拍卖已撤回，不再接受出价。"),
        S.SET_ASIDE: _("拍卖已撤销，不再接受出价。"),
        S.CASE_WITHDRAWN: _("案件已撤回，拍卖终止，不再接受出价。"),
    }


def _action_note(auction: Auction, step: str) -> str:
    """The explanation shown above the bidder's forms while bids are not taken ("" when they are).

    The script keeps it current from ``state`` messages (``auction.js``: ``actionNote``).
    """
    state = auction.state
    if state in LIVE:
        return ""
    if state == S.SCHEDULED:
        if auction.start_at is not None and clock.now() >= auction.start_at:
            return ""  # the first bid opens it (the engine does the same)
        return str(_("竞价尚未开始，开始后方可出价。")) if step == "bid" else ""
    return str(_state_notes().get(state, _("本场拍卖竞价已结束，不再接受出价。")))


def _percent(value: Decimal) -> str:
    """A share as typed: "30", "25.5", "33.33" (no trailing zeros)."""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _registration_facts(
    auction: Auction, reg: Registration | None, user: User | AnonymousUser
) -> dict[str, Any] | None:
    """What the registrant (or the agent) sees about their own registration: joint shares and
    the agent's confirmation (AUC-14). Only the accounts the registrant typed are named, and
    only to the registrant; the agent learns no more than that they act for a registration."""
    if reg is None:
        return None
    is_agent = reg.user_id != user.pk
    rows = [] if is_agent else list(reg.members.select_related("user").order_by("pk"))
    members = [
        {
            "username": m.user.username if m.user is not None else "—",
            "share": _percent(m.share_percent),
        }
        for m in rows
    ]
    own_share = _percent(Decimal(100) - sum((m.share_percent for m in rows), Decimal(0)))
    started = auction.start_at is not None and clock.now() >= auction.start_at
    return {
        "is_agent": is_agent,
        "members": members,
        "own_share": own_share,
        "agent_username": reg.agent_user.username if reg.agent_user is not None else "",
        "agent_confirmed": bool(reg.agent_confirmed_at),
        "agent_too_late": bool(reg.agent_user_id and not reg.agent_confirmed_at and started),
    }


def _labels() -> dict[str, str | dict[str, str]]:
    """Strings the browser shows, translated here so the script has no language of its own."""
    return {
        "current_price": _("当前价"),
        "leader": _("领先竞买号"),
        "starting_price": _("起拍价"),
        "connecting": _("正在连接…"),
        "connected": _("实时连接"),
        "reconnecting": _("连接中断，正在重连…"),
        "resyncing": _("正在同步…"),
        "to_start": _("距开始"),
        "to_end": _("距结束"),
        "ended": _("竞价已结束"),
        "not_running": _("当前不在竞价期"),
        "days": _("天"),
        "no_bids": _("暂无出价"),
        "sending": _("出价已发送，等待确认…"),
        "accepted": _("出价成功"),
        "rejected": _("出价未成功"),
        "colon": _("："),
        "extended": _("有人在最后5分钟出价，结束时间已延长5分钟"),
        "closed": _("本场拍卖已结束"),
        "sold": _("成交"),
        "unsold": _("流拍"),
        "winner_code": _("买受人竞买号"),
        "final_price": _("成交价"),
        "price_axis": _("价格（元）"),
        "price_series": _("出价"),
        "you": _("（我）"),
        "priority": _("优先"),
        "bad_amount": _("请输入有效金额（元，最多两位小数）"),
        "need_password": _("请输入竞价密码"),
        "unlocked": _("竞价密码已验证，可以出价"),
        "unlock_refused": _("竞价密码未通过验证"),
        "yuan": _("元"),
        "leading": _("您当前领先"),
        "outbid": _("您已被超越"),
        "note_scheduled": _("竞价尚未开始，开始后方可出价。"),
        "note_closed": _("本场拍卖竞价已结束，不再接受出价。"),
        "court_reason": _("法院公告的理由"),
        "state_notes": {str(k): str(v) for k, v in _state_notes().items()},
        # The page's language, not the websocket's (whose state_label is the server default).
        "state_labels": {str(state.value): str(state.label) for state in AuctionState},
    }


@require_GET
def auction_page(request: HttpRequest, auction_id: int) -> HttpResponse:
    return _render_page(request, _public_auction(auction_id))


def _render_page(
    request: HttpRequest,
    auction: Auction,
    *,
    register_form: RegistrationForm | None = None,
    question_form: QuestionForm | None = None,
    question_error: str = "",
) -> HttpResponse:
    """The auction page; ``register_form`` is a bound registration form to show again (with
    its errors and everything the bidder typed) after a refused registration."""
    snap = _snapshot(auction.pk)
    user = request.user
    reg = registration_for(user, auction.pk) if user.is_authenticated else None
    step = _bidder_step(auction, reg, user)
    history = auction_bid_history(auction.pk)
    result = getattr(auction, "result", None) if auction.state not in PRE_BIDDING | LIVE else None
    i_won = bool(
        result is not None
        and result.outcome == "sold"
        and reg is not None
        and reg.bidder_code
        and reg.bidder_code == result.winner_code
    )
    config = {
        "auction_id": auction.pk,
        "ws_path": f"/ws/auctions/{auction.pk}/",
        "snapshot_url": reverse("bidding:auction_snapshot", args=[auction.pk]),
        "snapshot": snap,
        "history": history,
        "my_code": reg.bidder_code if reg else None,
        "can_bid": step == "bid",
        "labels": _labels(),
    }
    lot_restricted = bool(
        auction.lot is not None and auction.lot.assets.filter(purchase_restricted=True).exists()
    )
    barred_text = ""
    if step == "register":
        # AUC-11/AUC-15: a person barred from this lot is told why, not shown a form that
        # would only be refused on submission.
        from bidding.services import registration_barred

        barred = registration_barred(auction, cast(User, user))
        if barred is not None:
            step = "barred"
            rule = paren(barred.rule) if barred.rule else ""
            barred_text = f"{_(str(barred.message))}{rule}"
    if step == "register" and register_form is None:
        register_form = RegistrationForm(user=user)
    action_note = _action_note(auction, step)
    from bidding.page_parts import parts_for
    from bidding.services.questions import ASKING_STATES

    can_ask = bool(
        auction.lot_id
        and not auction.is_practice
        and auction.state in ASKING_STATES
        and not (user.is_authenticated and user.role in STAFF_ROLES)
    )

    return render(
        request,
        "bidding/auction.html",
        {
            "auction": auction,
            "snap": snap,
            "reg": reg,
            "reg_facts": _registration_facts(auction, reg, user),
            "step": step,
            "action_note": action_note,
            "register_form": register_form,
            "barred_text": barred_text,
            "history": _with_times(list(reversed(history))[:20]),
            "history_count": len(history),
            "result": result,
            "i_won": i_won,
            "court_actions": list(auction.court_actions.order_by("decided_at", "pk")),
            "disclosures": _disclosures(auction),
            "pre_bidding": auction.state in PRE_BIDDING,
            "lot_restricted": lot_restricted,
            "config": config,
            "documents": documents_public(auction.ref) if not auction.is_practice else [],
            "gallery": _gallery(auction),
            "reference": _reference_price(auction),
            "parts": parts_for(request, auction),
            "live_states": auction.state in LIVE,
            # 拍品咨询 (issue 17): answered ones for all, the visitor's own waiting ones for them.
            "questions": questions_public(auction.lot_id),
            "my_questions": list(questions_of_asker(user, auction.lot_id)[:20]),
            "can_ask": can_ask,
            "question_form": question_form or QuestionForm(),
            "question_error": question_error,
        },
    )


@require_GET
@never_cache
def auction_snapshot_view(request: HttpRequest, auction_id: int) -> JsonResponse:
    """The live state over HTTP, for clients that saw a sequence gap or reconnect."""
    return JsonResponse(_snapshot(auction_id), json_dumps_params={"ensure_ascii": False})


@require_GET
def auction_bids(request: HttpRequest, auction_id: int) -> HttpResponse:
    """The complete public bid history: codes, amounts, server times (AUC-25)."""
    auction = _public_auction(auction_id)
    history = auction_bid_history(auction_id)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"auction_id": auction.pk, "bids": history}, json_dumps_params={"ensure_ascii": False}
        )
    return render(
        request,
        "bidding/bids.html",
        {"auction": auction, "bids": _with_times(list(reversed(history)))},
    )


def _with_times(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History rows for templates: the ISO time also as an aware datetime (shown in 北京时间)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        at = row.get("at")
        out.append({**row, "at_dt": dt.datetime.fromisoformat(at) if isinstance(at, str) else at})
    return out


def _back(auction_id: int) -> HttpResponse:
    return redirect(reverse("bidding:auction", args=[auction_id]) + "#bid")


@login_required
@require_POST
@write_rate_limited("bidding-register")
def register(request: AuthedRequest, auction_id: int) -> HttpResponse:
    """报名: accept the terms (and declare purchase eligibility where the lot needs it, AUC-13),
    optionally with co-bidders and their shares (共同竞买) and an agent (委托代理, AUC-14).

    A refusal shows the page again with the reason and everything the bidder typed."""
    from bidding.collusion.marks import note_registration_client
    from bidding.services import registration_create

    auction = _public_auction(auction_id)
    form = RegistrationForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_page(request, auction, register_form=form)
    data = form.cleaned_data
    try:
        reg = registration_create(
            auction_id=auction_id,
            user=request.user,
            accept_terms=bool(data.get("accept_terms")),
            eligibility_declared=bool(data.get("eligibility_declared")),
            joint_bidders=data["joint_bidders"] or None,
            agent=data["agent"],
        )
    except DomainError as exc:
        form.add_error(None, str(exc.message))
        return _render_page(request, auction, register_form=form)
    note_registration_client(reg, request)  # issue 19: hashed client, once, never per bid
    if data["agent"] is not None:
        messages.success(
            request, _("报名成功，请交纳保证金。委托代理须在竞价开始前经法院确认（AUC-14）。")
        )
    else:
        messages.success(request, _("报名成功，请交纳保证金。"))
    return _back(auction_id)


@login_required
@require_POST
@write_rate_limited("bidding-deposit")
def deposit(request: AuthedRequest, auction_id: int) -> HttpResponse:
    """交纳保证金: the engine asks settlement for a payment; the bidder goes to pay it."""
    from bidding.services import registration_pay_deposit

    reg = registration_for(request.user, auction_id)
    if reg is None:
        messages.error(request, _("您尚未报名参加本场拍卖"))
        return _back(auction_id)
    if reg.user_id != request.user.pk:
        messages.error(request, _("保证金由委托人本人交纳"))
        return _back(auction_id)
    back = request.build_absolute_uri(reverse("bidding:auction", args=[auction_id]) + "#bid")
    try:
        intent = registration_pay_deposit(
            registration_id=reg.pk, user=request.user, return_url=back
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(auction_id)
    pay_url = getattr(intent, "pay_url", "") or ""
    if pay_url.startswith("/") and not pay_url.startswith("//"):
        return redirect(pay_url)
    if pay_url.startswith("https://"):
        return redirect(pay_url)
    messages.success(request, _("保证金已确认。"))
    return _back(auction_id)


@login_required
@require_POST
@write_rate_limited("bidding-password")
def password(request: AuthedRequest, auction_id: int) -> HttpResponse:
    """设置竞价密码 (AUC-17): asked with every bid, stored hashed."""
    from bidding.services import registration_set_password

    reg = registration_for(request.user, auction_id)
    if reg is None:
        messages.error(request, _("您尚未报名参加本场拍卖"))
        return _back(auction_id)
    if reg.user_id != request.user.pk:
        messages.error(request, _("竞价密码由委托人本人设置"))
        return _back(auction_id)
    first = request.POST.get("password", "")
    if first != request.POST.get("password2", ""):
        messages.error(request, _("两次输入的竞价密码不一致"))
        return _back(auction_id)
    try:
        registration_set_password(registration_id=reg.pk, user=request.user, password=first)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("竞价密码已设置。"))
    return _back(auction_id)


@login_required
@require_POST
def question_ask(request: AuthedRequest, auction_id: int) -> HttpResponse:
    """拍品咨询: ask the court about the lot; a refusal shows the page again with the reason
    and the text as typed."""
    from bidding.services import question_ask as ask
    from core.ratelimit import check_write_rate

    auction = _public_auction(auction_id)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _render_page(request, auction, question_form=form, question_error="")
    try:
        check_write_rate(request, "bidding-question", settings.GAVEL_QUESTION_RATE)
        ask(auction_id=auction_id, user=request.user, text=form.cleaned_data["text"])
    except DomainError as exc:
        response = _render_page(
            request, auction, question_form=form, question_error=str(exc.message)
        )
        response.status_code = exc.status
        return response
    messages.success(request, _("咨询已提交，法院答复后将在本页公开（提问人匿名显示）。"))
    return redirect(reverse("bidding:auction", args=[auction_id]) + "#questions")
