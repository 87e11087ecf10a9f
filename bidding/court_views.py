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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bidding import forms as f
from bidding import selectors, services
from bidding.models import Auction, AuctionState, PriorityHolder, Registration
from core import clock
from core.errors import DomainError
from core.ratelimit import write_rate_limited

S = AuctionState


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
    rows = [(lot, services.lot_unsold_awaiting_next_round(lot.pk, now=now)) for lot in lots]
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
    from cases.models import Party
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
        "in_lieu": f.InLieuForm(
            prefix="in_lieu",
            parties=[
                (p.pk, p.name)
                for p in Party.objects.filter(case_id=auction.case_id, role="creditor")
            ],
        ),
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
