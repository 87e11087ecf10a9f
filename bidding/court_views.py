"""Court pages (zh-hans) for a court's own auctions: drafts, panel decisions, notices,
publication with every refusal reason, court actions, agent and priority checks, the live
numbers and the handover. Thin: parse, check the court, call one service, render.

REC-05: before the close these pages never show who registered or which code is whose; the
agent and priority checks reveal identities one registration at a time, for a stated
purpose, each read logged (``registration_identity_reveal``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bidding import court_forms as cf
from bidding import forms as f
from bidding import in_lieu, selectors, services
from bidding.models import (
    Auction,
    AuctionState,
    DisposalRoute,
    InLieuDraw,
    InLieuTaking,
    PriorityHolder,
    Registration,
)
from core import clock
from core.errors import DomainError
from core.ratelimit import write_rate_limited

S = AuctionState


def _form_call(request: HttpRequest, form: Any, call: Any, done: Any) -> bool:
    """Run one court service for a form: on success say ``done`` and return True; on a
    refusal put its Chinese message and rule on the form (everything typed stays)."""
    try:
        call()
    except DomainError as exc:
        rule = f"（{exc.rule}）" if exc.rule else ""
        form.add_error(None, f"{exc.message}{rule}")
        return False
    messages.success(request, done)
    return True


def _require_court_staff(request: HttpRequest, court_id: int | None) -> None:
    user = request.user
    if not (
        user.is_authenticated
        and user.role in services.STAFF_ACTORS
        and user.court_id
        and (court_id is None or user.court_id == court_id)
    ):
        raise DjangoPermissionDenied(_("仅本院法官、执行员可访问"))


def _auction_for(request: HttpRequest, auction_id: int) -> Auction:
    auction = get_object_or_404(
        Auction.objects.select_related("case", "lot", "court"), pk=auction_id, is_practice=False
    )
    _require_court_staff(request, auction.court_id)
    return auction


def _detail_url(auction_id: int) -> str:
    return reverse("bidding:court_auction", args=[auction_id])


@login_required
def court_auction_list(request: HttpRequest) -> HttpResponse:
    _require_court_staff(request, None)
    from cases.models import Lot

    auctions = selectors.court_auctions(request.user.court_id)[:200]
    busy = (
        Auction.objects.filter(court_id=request.user.court_id)
        .exclude(state__in=[S.WITHDRAWN, S.UNSOLD, S.SET_ASIDE, S.DEFAULTED, S.CASE_WITHDRAWN])
        .values_list("lot_id", flat=True)
    )
    lots = (
        Lot.objects.filter(case__court_id=request.user.court_id, case__status="open")
        .exclude(pk__in=list(busy))
        .select_related("case")
        .order_by("-pk")[:100]
    )
    now = clock.now()
    rows = [
        (
            lot,
            services.lot_unsold_awaiting_next_round(lot.pk, now=now),
            services.disposal_route_current(lot_id=lot.pk),  # AUC-01 / AUC-44
        )
        for lot in lots
    ]
    return render(request, "bidding/court/list.html", {"auctions": auctions, "lots": rows})


@login_required
@write_rate_limited("bidding")
def court_auction_new(request: HttpRequest, lot_id: int) -> HttpResponse:
    from cases.models import Lot

    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    _require_court_staff(request, lot.case.court_id)
    form = f.AuctionDraftForm(request.POST or None, initial=services.draft_defaults(lot))
    if request.method == "POST" and form.is_valid():
        try:
            auction = services.auction_draft_create(
                lot=lot, actor=request.user, **form.service_kwargs()
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("已创建拍卖草稿。"))
            return redirect(_detail_url(auction.pk))
    return render(
        request, "bidding/court/form.html", {"form": form, "title": _("新建拍卖草稿"), "lot": lot}
    )


@login_required
@write_rate_limited("bidding")
def court_auction_edit(request: HttpRequest, auction_id: int) -> HttpResponse:
    auction = _auction_for(request, auction_id)
    initial = {
        k: getattr(auction, k) for k in f.AuctionDraftForm.base_fields if hasattr(auction, k)
    }
    initial["proxy_bidding_enabled"] = bool(
        (auction.setting_overrides or {}).get("proxy_bidding_enabled")
    )
    form = f.AuctionDraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.auction_draft_update(
                auction_id=auction.pk, actor=request.user, **form.service_kwargs()
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect(_detail_url(auction.pk))
    return render(
        request,
        "bidding/court/form.html",
        {"form": form, "title": _("修改拍卖草稿"), "auction": auction},
    )


def _recipients(auction: Auction) -> list[tuple[str, str]]:
    from cases.models import Party

    out = [
        (f"party:{p.pk}", f"{p.name}（{p.get_role_display()}）")
        for p in Party.objects.filter(
            case_id=auction.case_id, role__in=["creditor", "debtor"]
        ).order_by("pk")
    ]
    out += [
        (f"holder:{h.pk}", f"{h.name}（优先购买权人，顺序 {h.rank}）")
        for h in auction.priority_holders.all()
    ]
    return out


def _notice_status(auction: Auction) -> list[dict[str, Any]]:
    from core.service import recipient_served_at

    rows = []
    for key, label in _recipients(auction):
        kind, pk = key.split(":")
        ref = f"party:{pk}" if kind == "party" else f"auction:{auction.pk}/priority:{pk}"
        rows.append(
            {
                "label": label,
                "served_at": recipient_served_at(
                    subject=services._notice_subject(auction), recipient_ref=ref
                ),
            }
        )
    return rows


@login_required
def court_auction_detail(request: HttpRequest, auction_id: int) -> HttpResponse:
    from core.deadlines import deadlines_for_subject

    auction = _auction_for(request, auction_id)
    ctx: dict[str, Any] = {"auction": auction, "S": S}
    ctx["decisions"] = services.current_panel_decisions(auction)
    ctx["decision_history"] = auction.panel_decisions.select_related("recorded_by").order_by(
        "-recorded_at", "-pk"
    )
    ctx["holders"] = auction.priority_holders.all()
    ctx["actions"] = auction.court_actions.select_related("decided_by").order_by("decided_at", "pk")
    ctx["notices"] = _notice_status(auction)
    ctx["deadlines"] = deadlines_for_subject(f"case:{auction.case_id}/auction:{auction.pk}")
    if auction.state == S.DRAFT:
        ctx["problems"] = services.auction_publish_problems(auction)
    else:
        ctx["snapshot"] = selectors.auction_snapshot(auction.pk)
    # Agent and priority checks: which registrations need one, never who they are (REC-05).
    ctx["pending_agents"] = Registration.objects.filter(
        auction=auction, agent_user__isnull=False, agent_confirmed_at__isnull=True
    ).order_by("pk")
    ctx["pending_priority"] = Registration.objects.filter(
        auction=auction, claims_priority=True, is_priority=False
    ).order_by("pk")
    ctx["result"] = getattr(auction, "result", None)
    ctx["following"] = auction.following.order_by("pk")
    ctx["route"] = services.disposal_route_current(lot_id=auction.lot_id)  # AUC-01 / AUC-44
    ctx["in_lieu_count"] = auction.in_lieu_applications.count()
    ctx["forms"] = {
        "decision": f.PanelDecisionForm(prefix="decision"),
        "holder": f.PriorityHolderForm(prefix="holder"),
        "notice": f.NoticeForm(prefix="notice", recipients=_recipients(auction)),
        "suspend": f.SuspendForm(prefix="suspend"),
        "halt": f.HaltForm(prefix="halt"),
        "withdraw": f.WithdrawForm(prefix="withdraw"),
        "set_aside": f.SetAsideForm(prefix="set_aside"),
        "objection": f.ObjectionForm(prefix="objection"),
        "ground_ended": f.ReasonForm(prefix="ground_ended"),
        "resume": f.ResumeForm(prefix="resume"),
        "ruling": f.RulingForm(prefix="ruling"),
        "handover": f.HandoverForm(prefix="handover"),
        "consent": f.ConsentForm(prefix="consent"),
        "insist": f.InsistForm(prefix="insist"),
    }
    return render(request, "bidding/court/detail.html", ctx)


def _run(request: HttpRequest, auction: Auction, form, call) -> HttpResponse:
    """Validate ``form``, call the service, report the outcome on the detail page."""
    if form is not None and not form.is_valid():
        errors = "；".join(
            f"{form.fields[k].label if k in form.fields else ''}{'：' if k in form.fields else ''}"
            f"{'，'.join(v)}"
            for k, v in form.errors.items()
        )
        messages.error(request, _("输入有误：") + errors)
        return redirect(_detail_url(auction.pk))
    try:
        call(form.cleaned_data if form is not None else {})
    except DomainError as exc:
        rule = f"（{exc.rule}）" if exc.rule else ""
        messages.error(request, f"{exc.message}{rule}")
    else:
        messages.success(request, _("操作已完成。"))
    return redirect(_detail_url(auction.pk))


@login_required
@require_POST
@write_rate_limited("bidding")
def court_auction_action(request: HttpRequest, auction_id: int, name: str) -> HttpResponse:
    auction = _auction_for(request, auction_id)
    user, aid, post = request.user, auction.pk, request.POST

    def recipient_of(key: str):
        from cases.models import Party

        kind, pk = key.split(":")
        if kind == "holder":
            return PriorityHolder.objects.get(pk=pk, auction_id=aid)
        return Party.objects.get(pk=pk, case_id=auction.case_id)

    actions = {
        "publish": (None, lambda d: services.auction_publish(auction_id=aid, actor=user)),
        "decision": (
            f.PanelDecisionForm(post, prefix="decision"),
            lambda d: services.panel_decision_record(
                auction_id=aid,
                actor=user,
                topic=d["topic"],
                value_fen=d["value_fen"],
                text=d["text"],
                panel_members=d["panel_members"],
                decided_at=d["decided_at"],
            ),
        ),
        "holder": (
            f.PriorityHolderForm(post, prefix="holder"),
            lambda d: services.priority_holder_add(
                auction_id=aid, actor=user, name=d["name"], rank=d["rank"], basis=d["basis"]
            ),
        ),
        "notice": (
            f.NoticeForm(post, prefix="notice", recipients=_recipients(auction)),
            lambda d: services.auction_notice_record(
                auction_id=aid,
                actor=user,
                recipient=recipient_of(d["recipient"]),
                method=d["method"],
                sent_at=d["sent_at"],
                received_at=d["received_at"],
                proof=d["proof"],
                unreachable_reason=d["unreachable_reason"],
            ),
        ),
        "suspend": (
            f.SuspendForm(post, prefix="suspend"),
            lambda d: services.auction_suspend(
                auction_id=aid, actor=user, reason=d["reason"], ground=d["ground"]
            ),
        ),
        "halt": (
            f.HaltForm(post, prefix="halt"),
            lambda d: services.auction_halt(
                auction_id=aid, actor=user, reason=d["reason"], ground=d["ground"]
            ),
        ),
        "withdraw": (
            f.WithdrawForm(post, prefix="withdraw"),
            lambda d: services.auction_withdraw(
                auction_id=aid, actor=user, reason=d["reason"], ground=d["ground"]
            ),
        ),
        "set_aside": (
            f.SetAsideForm(post, prefix="set_aside"),
            lambda d: services.auction_set_aside(
                auction_id=aid,
                actor=user,
                reason=d["reason"],
                ground=d["ground"],
                document=d["document"],
                follow_up=d["follow_up"],
            ),
        ),
        "objection": (
            f.ObjectionForm(post, prefix="objection"),
            lambda d: services.auction_third_party_objection(
                auction_id=aid,
                actor=user,
                objector=d["objector"],
                reason=d["reason"],
                measure=d["measure"],
            ),
        ),
        "ground_ended": (
            f.ReasonForm(post, prefix="ground_ended"),
            lambda d: services.auction_ground_ended(auction_id=aid, actor=user, reason=d["reason"]),
        ),
        "resume": (
            f.ResumeForm(post, prefix="resume"),
            lambda d: services.auction_resume(
                auction_id=aid,
                actor=user,
                reason=d["reason"],
                start_at=d["start_at"],
                end_at=d["end_at"],
            ),
        ),
        "ruling": (
            f.RulingForm(post, prefix="ruling"),
            lambda d: services.auction_ruling_served(
                auction_id=aid,
                actor=user,
                document=d["document"],
                served_at=d["served_at"],
                eligibility_proof=d["eligibility_proof"],
            ),
        ),
        "handover": (
            f.HandoverForm(post, prefix="handover"),
            lambda d: services.auction_handover_update(
                auction_id=aid,
                actor=user,
                state=d["state"],
                note=d["note"],
                vehicle_violations_cleared=d["vehicle_violations_cleared"],
            ),
        ),
        "in_lieu": (
            f.InLieuForm(
                post,
                prefix="in_lieu",
                parties=[(p.pk, p.name) for p in auction.case.parties.filter(role="creditor")],
            ),
            lambda d: services.auction_take_in_lieu(
                auction_id=aid,
                actor=user,
                party_id=int(d["party"]),
                reason=d["reason"],
                excess_days=d["excess_days"],
                eligibility_proof=d["eligibility_proof"],
            ),
        ),
        "next_round": (
            None,
            lambda d: services.auction_next_round_create(auction_id=aid, actor=user),
        ),
        "low_start_notice": (
            None,
            lambda d: services.auction_low_start_notice(auction_id=aid, actor=user),
        ),
        "insist": (
            f.InsistForm(post, prefix="insist"),
            lambda d: services.auction_low_start_notice(
                auction_id=aid, actor=user, insisted_at=d["insisted_at"]
            ),
        ),
        "consent": (
            f.ConsentForm(post, prefix="consent"),
            lambda d: services.auction_debtor_consent(auction_id=aid, actor=user, note=d["note"]),
        ),
        "confirm_agent": (
            None,
            lambda d: services.registration_confirm_agent(
                registration_id=int(post.get("registration", 0)), actor=user
            ),
        ),
        "confirm_priority": (
            None,
            lambda d: services.registration_confirm_priority(
                registration_id=int(post.get("registration", 0)),
                actor=user,
                holder_id=int(post.get("holder", 0)),
            ),
        ),
    }
    if name not in actions:
        raise DjangoPermissionDenied(_("未知操作"))
    form, call = actions[name]
    return _run(request, auction, form, call)


@login_required
def court_registration_reveal(request: HttpRequest, registration_id: int) -> HttpResponse:
    """One registration's identity for an agent or priority check, for a stated purpose (logged)."""
    reg = get_object_or_404(Registration.objects.select_related("auction"), pk=registration_id)
    auction = _auction_for(request, reg.auction_id)
    form = f.RevealForm(request.POST or None)
    shown = None
    if request.method == "POST" and form.is_valid():
        try:
            shown = services.registration_identity_reveal(
                registration_id=reg.pk, user=request.user, purpose=form.cleaned_data["purpose"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
    return render(
        request,
        "bidding/court/reveal.html",
        {
            "auction": auction,
            "registration": reg,
            "form": form,
            "shown": shown,
            "holders": auction.priority_holders.all(),
        },
    )


# ---- other disposal routes of a lot (AUC-01, AUC-44) ----------------------------------------


def _lot_for(request: HttpRequest, lot_id: int):
    from cases.models import Lot

    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    _require_court_staff(request, lot.case.court_id)
    return lot


def _self_sale_receipts(route) -> list[tuple[str, str]]:
    """Receipts matched to the case since the self-sale was authorised, not used by a route."""
    from core.money import yuan
    from settlement.models import Receipt

    if route is None or route.route != route.Route.SELF_SALE:
        return []
    used = DisposalRoute.objects.exclude(proceeds_receipt_id=None).values_list(
        "proceeds_receipt_id", flat=True
    )
    rows = (
        Receipt.objects.filter(case_id=route.lot.case_id, received_at__gte=route.decided_at)
        .exclude(pk__in=list(used))
        .order_by("-received_at", "-pk")[:50]
    )
    return [
        (
            str(r.pk),
            f"{timezone.localtime(r.received_at):%Y-%m-%d %H:%M} · ¥{yuan(r.amount_fen)} · "
            f"{r.payer_name or '—'} · {r.bank_reference}",
        )
        for r in rows
    ]


@login_required
@write_rate_limited("bidding")
def court_lot(request: HttpRequest, lot_id: int) -> HttpResponse:
    """A lot's disposal route: online auction by default; the court may record another route
    with its reason (AUC-01) or let the debtor sell it itself (AUC-44) and record the sale."""
    from core.deadlines import deadlines_for_subject
    from core.rulesettings import get_setting

    lot = _lot_for(request, lot_id)
    route = services.disposal_route_current(lot_id=lot.pk)
    max_days = int(get_setting("debtor_self_sale_max_days", court=lot.case.court_id))
    action = request.POST.get("action") if request.method == "POST" else None
    forms_ = {
        "offline": cf.OfflineRouteForm(
            request.POST if action == "offline" else None, prefix="offline"
        ),
        "self_sale": cf.SelfSaleForm(
            request.POST if action == "self_sale" else None, prefix="self_sale", max_days=max_days
        ),
        "complete": cf.SelfSaleCompleteForm(
            request.POST if action == "complete" else None,
            prefix="complete",
            receipts=_self_sale_receipts(route),
        ),
    }
    if action in forms_:
        form = forms_[action]
        if form.is_valid():
            d = form.cleaned_data
            calls = {
                "offline": lambda: services.disposal_offline_record(
                    lot_id=lot.pk, ground=d["ground"], reason=d["reason"], actor=request.user
                ),
                "self_sale": lambda: services.self_sale_authorize(
                    lot_id=lot.pk,
                    supervised_price_fen=d["supervised_price_fen"],
                    days=d["days"],
                    reason=d["reason"],
                    actor=request.user,
                ),
                "complete": lambda: services.self_sale_complete(
                    route_id=route.pk if route is not None else 0,
                    receipt_id=int(d["receipt"] or 0),
                    actor=request.user,
                ),
            }
            done = {
                "offline": _("已记录其他处置途径及理由。"),
                "self_sale": _("已准许被执行人自行处置。"),
                "complete": _("已记录自行处置完成，处置款已进入本案账户。"),
            }
            if _form_call(request, form, calls[action], done[action]):
                return redirect(reverse("bidding:court_lot", args=[lot.pk]))
    auctions = Auction.objects.filter(lot=lot, is_practice=False).order_by("-pk")
    history = DisposalRoute.objects.filter(lot=lot).select_related("decided_by")
    deadlines = []
    if route is not None and route.route == DisposalRoute.Route.SELF_SALE:
        deadlines = deadlines_for_subject(f"case:{lot.case_id}/lot:{lot.pk}/self_sale:{route.pk}")
    return render(
        request,
        "bidding/court/lot.html",
        {
            "lot": lot,
            "route": route,
            "history": history.order_by("-decided_at", "-pk"),
            "auctions": auctions,
            "open_auction": auctions.filter(state__in=services.ROUTE_BLOCKING_STATES).first(),
            "forms": forms_,
            "failed": action,
            "max_days": max_days,
            "deadlines": deadlines,
            "R": DisposalRoute,
        },
    )


# ---- 以物抵债 among several creditors (AUC-36, APR-03) ----------------------------------------


@login_required
@write_rate_limited("bidding")
def court_in_lieu(request: HttpRequest, auction_id: int) -> HttpResponse:
    """Creditors' applications to take the unsold lot in lieu, the priority order, the lot
    draw among equals and the court's decision (AUC-36, APR-03)."""
    from cases.models import Party

    auction = _auction_for(request, auction_id)
    applications = in_lieu.in_lieu_applications(auction)
    applied = {a.party_id for a in applications}
    creditors = [
        (str(p.pk), f"{p.name}（{_('受偿顺位')} {p.priority or _('普通债权')}）")
        for p in Party.objects.filter(case_id=auction.case_id, role=Party.Role.CREDITOR).order_by(
            "priority", "pk"
        )
        if p.pk not in applied
    ]
    action = request.POST.get("action") if request.method == "POST" else None
    forms_ = {
        "apply": cf.InLieuApplyForm(
            request.POST if action == "apply" else None, prefix="apply", parties=creditors
        ),
        "draw": cf.InLieuDrawForm(request.POST if action == "draw" else None, prefix="draw"),
        "decide": cf.InLieuDecideForm(
            request.POST if action == "decide" else None, prefix="decide"
        ),
    }
    if action in forms_:
        form = forms_[action]
        if form.is_valid():
            d = form.cleaned_data
            user, aid = request.user, auction.pk
            calls = {
                "apply": lambda: in_lieu.in_lieu_apply(
                    auction_id=aid, party_id=int(d["party"] or 0), actor=user, note=d["note"]
                ),
                "draw": lambda: in_lieu.in_lieu_draw_freeze(
                    auction_id=aid,
                    actor=user,
                    scheduled_at=d["scheduled_at"],
                    commit_deadline=d["commit_deadline"],
                ),
                "decide": lambda: in_lieu.in_lieu_decide(
                    auction_id=aid,
                    actor=user,
                    reason=d["reason"],
                    excess_days=d["excess_days"],
                    eligibility_proof=d["eligibility_proof"],
                ),
            }
            done = {
                "apply": _("已记录以物抵债申请。"),
                "draw": _("摇号名单已冻结公布，已通知申请人。"),
                "decide": _("已决定以物抵债。"),
            }
            if _form_call(request, form, calls[action], done[action]):
                return redirect(reverse("bidding:court_in_lieu", args=[auction.pk]))
    auction.refresh_from_db()
    first = in_lieu.in_lieu_first_rank(auction)
    chosen, why = in_lieu.in_lieu_chosen(auction)
    return render(
        request,
        "bidding/court/in_lieu.html",
        {
            "auction": auction,
            "S": S,
            "applications": in_lieu.in_lieu_applications(auction),
            "first": first,
            "chosen": Party.objects.filter(pk=chosen).first() if chosen else None,
            "why": why,
            "draw": InLieuDraw.objects.filter(auction=auction).first(),
            "taking": InLieuTaking.objects.filter(auction=auction).select_related("party").first(),
            "forms": forms_,
            "failed": action,
        },
    )


def _draw_for(request: HttpRequest, draw_id: int) -> InLieuDraw:
    """The court's staff and the case's parties may see a draw; others may not."""
    from cases.models import Party

    draw = get_object_or_404(
        InLieuDraw.objects.select_related("auction", "auction__case", "auction__court"),
        pk=draw_id,
    )
    user = request.user
    staff = (
        user.is_authenticated
        and user.role in services.STAFF_ACTORS
        and user.court_id == draw.auction.court_id
    )
    party = Party.objects.filter(case_id=draw.auction.case_id, user_id=user.pk).exists()
    if not (staff or party):
        raise DjangoPermissionDenied(_("仅本院工作人员和本案当事人可查看"))
    return draw


@login_required
@write_rate_limited("bidding")
def in_lieu_draw_page(request: HttpRequest, draw_id: int) -> HttpResponse:
    """The lot draw among equal-rank creditors: frozen list, commitments, reveals, result and
    its verification; participants commit and reveal here, the court runs it (APR-03)."""
    draw = _draw_for(request, draw_id)
    error = None
    if request.method == "POST":
        what = request.POST.get("action", "")
        ref = request.POST.get("participant", "")
        calls = {
            "commit": lambda: in_lieu.in_lieu_draw_commit(
                draw_id=draw.pk,
                participant_ref=ref,
                commitment=request.POST.get("commitment", ""),
                actor=request.user,
            ),
            "reveal": lambda: in_lieu.in_lieu_draw_reveal(
                draw_id=draw.pk,
                participant_ref=ref,
                secret=request.POST.get("secret", ""),
                actor=request.user,
            ),
            "run": lambda: in_lieu.in_lieu_draw_run(draw_id=draw.pk, actor=request.user),
        }
        if what not in calls:
            raise DjangoPermissionDenied(_("未知操作"))
        try:
            calls[what]()
        except DomainError as exc:
            rule = f"（{exc.rule}）" if exc.rule else ""
            error = (what, ref, f"{exc.message}{rule}")
        else:
            done = {
                "commit": _("承诺值已提交。请妥善保存您的随机串，承诺截止后揭示。"),
                "reveal": _("随机串已揭示，并与承诺值核对一致。"),
                "run": _("摇号已完成。"),
            }
            messages.success(request, done[what])
            return redirect(reverse("bidding:in_lieu_draw", args=[draw.pk]))
    draw.refresh_from_db()
    mine = {c.participant_ref: c for c in draw.commitments.all()}
    participants = [
        (ref, label, mine.get(ref)) for ref, label in in_lieu.draw_participants(draw, request.user)
    ]
    verification = in_lieu.in_lieu_draw_verify(draw) if draw.status == draw.Status.DONE else None
    names = {e["id"]: e["name"] for e in draw.frozen_list}
    now = clock.now()
    return render(
        request,
        "bidding/court/in_lieu_draw.html",
        {
            "draw": draw,
            "auction": draw.auction,
            "record": in_lieu.in_lieu_draw_record(draw),
            "participants": participants,
            "commit_open": draw.status == draw.Status.FROZEN and now < draw.commit_deadline,
            "reveal_open": draw.status == draw.Status.FROZEN and now >= draw.commit_deadline,
            "can_run": draw.status == draw.Status.FROZEN
            and in_lieu._staff_of(request.user, draw.auction.court_id, in_lieu.DRAW_STAFF),
            "run_due": now >= draw.scheduled_at,
            "verification": verification,
            "order": [(i, names.get(pid, pid)) for i, pid in enumerate(draw.result or [], 1)],
            "error": error,
        },
    )


@login_required
def in_lieu_draw_record_json(request: HttpRequest, draw_id: int) -> JsonResponse:
    """The draw's record, to re-run it with ``bidding.in_lieu.in_lieu_draw_recompute``."""
    draw = _draw_for(request, draw_id)
    resp = JsonResponse(
        in_lieu.in_lieu_draw_record(draw), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    resp["Content-Disposition"] = f'inline; filename="in-lieu-draw-{draw.pk}.json"'
    return resp
