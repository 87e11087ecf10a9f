"""Court pages (zh-hans) for a court's own auctions: drafts, panel decisions, notices,
publication with every refusal reason, court actions, agent and priority checks, the live
numbers and the handover. Thin: parse, check the court, call one service, render.

Every form of these pages is a row of an action table (``core.court_actions``): the
auction's (``AUCTION_ACTIONS``), the lot's other disposal routes (``LOT_ACTIONS``), 以物抵债
(``IN_LIEU_ACTIONS``) and its lot draw (``DRAW_ACTIONS``).

REC-05: before the close these pages never show who registered or which code is whose; the
agent and priority checks reveal identities one registration at a time, for a stated
purpose, each read logged (``registration_identity_reveal``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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
    OfflineRound,
    PanelDecision,
    PriorityHolder,
    Registration,
)
from core import clock
from core.court_actions import (
    CourtAction,
    CourtActions,
    Outcome,
    Submitted,
    by_ref,
    naming,
    ref_text,
)
from core.errors import DomainError
from core.forms import Form, TextField
from core.money import yuan
from core.permissions import can, is_court_staff_of
from core.punctuation import paren
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from cases.models import Lot, Party

S = AuctionState
T = TypeVar("T")


def _require_manager(request: HttpRequest, obj: object) -> None:
    """Judges, officers and bureau heads of the object's court (``bidding.manage_auction``)."""
    if not can(request.user, "bidding.manage_auction", obj):
        raise DjangoPermissionDenied(_("仅本院法官、执行员可访问"))


def _auction_for(request: HttpRequest, auction_id: int) -> Auction:
    auction = get_object_or_404(
        Auction.objects.select_related("case", "lot", "court"), pk=auction_id, is_practice=False
    )
    _require_manager(request, auction)
    return auction


def _lot_for(request: HttpRequest, lot_id: int) -> Lot:
    from cases.models import Lot

    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    _require_manager(request, lot)
    return lot


def _detail_url(auction: Auction) -> str:
    return reverse("bidding:court_auction", args=[auction.pk])


def _case_id(auction: Auction) -> int:
    """A court auction's case (only practice auctions have none, and these pages refuse them)."""
    if auction.case_id is None:
        raise Http404
    return auction.case_id


@login_required
def court_auction_list(request: AuthedRequest) -> HttpResponse:
    _require_manager(request, request.user.court)
    from cases.models import Lot

    court_id = request.user.court_id or 0
    auctions = selectors.court_auctions(court_id)[:200]
    busy = (
        Auction.objects.filter(court_id=court_id)
        .exclude(state__in=[S.WITHDRAWN, S.UNSOLD, S.SET_ASIDE, S.DEFAULTED, S.CASE_WITHDRAWN])
        .values_list("lot_id", flat=True)
    )
    lots = (
        Lot.objects.filter(case__court_id=court_id, case__status="open")
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


# ---- the draft (new, edit) ------------------------------------------------------------------


def _draft_initial(auction: Auction) -> dict[str, Any]:
    initial = {
        k: getattr(auction, k) for k in f.AuctionDraftForm.base_fields if hasattr(auction, k)
    }
    initial["proxy_bidding_enabled"] = bool(
        (auction.setting_overrides or {}).get("proxy_bidding_enabled")
    )
    return initial


#: A new draft for a lot (AUC-04); the page shows the form again after a refusal.
NEW_DRAFT_ACTIONS: CourtActions[Lot] = CourtActions(
    {
        "new": CourtAction["Lot"](
            form=f.AuctionDraftForm,
            form_kwargs=lambda lot: {"initial": services.draft_defaults(lot)},
            call=lambda s: services.auction_draft_create(lot=s.target, actor=s.actor, **s.data),
            done=naming(
                gettext_lazy("已创建拍卖草稿。"), lambda _s, auction: ref_text(auction.ref)
            ),
            then=lambda _lot, auction: _detail_url(auction),
        )
    },
    page=lambda lot: reverse("bidding:court_auction_new", args=[lot.pk]),
    errors="form",
)

#: Changes to a draft (before publication, AUC-03).
EDIT_DRAFT_ACTIONS: CourtActions[Auction] = CourtActions(
    {
        "edit": CourtAction[Auction](
            form=f.AuctionDraftForm,
            form_kwargs=lambda auction: {"initial": _draft_initial(auction)},
            call=lambda s: services.auction_draft_update(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=naming(gettext_lazy("草稿已保存。"), lambda s, _r: ref_text(s.target.ref)),
            then=lambda auction, _result: _detail_url(auction),
        )
    },
    page=lambda auction: reverse("bidding:court_auction_edit", args=[auction.pk]),
    errors="form",
)


def _draft_page(
    request: HttpRequest,
    actions: CourtActions[T],
    name: str,
    target: T,
    ctx: dict[str, Any],
) -> HttpResponse:
    """The draft form: a refusal shows it again with the reason (everything typed stays)."""
    outcome = actions.run(request, name, target) if request.method == "POST" else None
    if outcome is not None and outcome.ok:
        return redirect(outcome.next_url)
    form = outcome.form if outcome is not None else actions.form(name, target)
    return render(request, "bidding/court/form.html", {"form": form, **ctx})


@login_required
@write_rate_limited("bidding")
def court_auction_new(request: AuthedRequest, lot_id: int) -> HttpResponse:
    lot = _lot_for(request, lot_id)
    ctx = {"title": _("新建拍卖草稿"), "lot": lot}
    return _draft_page(request, NEW_DRAFT_ACTIONS, "new", lot, ctx)


@login_required
@write_rate_limited("bidding")
def court_auction_edit(request: AuthedRequest, auction_id: int) -> HttpResponse:
    auction = _auction_for(request, auction_id)
    ctx = {"title": _("修改拍卖草稿"), "auction": auction}
    return _draft_page(request, EDIT_DRAFT_ACTIONS, "edit", auction, ctx)


# ---- the auction page and its actions ---------------------------------------------------------


def _recipients(auction: Auction) -> list[tuple[str, str]]:
    from cases.models import Party

    out = [
        (f"party:{p.pk}", f"{p.name}{paren(p.get_role_display())}")
        for p in Party.objects.filter(
            case_id=_case_id(auction), role__in=["creditor", "debtor"]
        ).order_by("pk")
    ]
    out += [
        (f"holder:{h.pk}", h.name + paren(_("优先购买权人，顺序 %(rank)s") % {"rank": h.rank}))
        for h in auction.priority_holders.all()
    ]
    return out


def _recipient_of(auction: Auction, key: str) -> Party | PriorityHolder:
    """The person a notice went to, from the recipient choice ("party:3", "holder:2")."""
    from cases.models import Party

    kind, pk = key.split(":")
    if kind == "holder":
        return PriorityHolder.objects.get(pk=pk, auction_id=auction.pk)
    return Party.objects.get(pk=pk, case_id=_case_id(auction))


def _notice_status(auction: Auction) -> list[dict[str, Any]]:
    from core.service import recipient_served_at

    rows = []
    for key, label in _recipients(auction):
        kind, pk = key.split(":")
        ref = f"party:{pk}" if kind == "party" else f"auction:{auction.pk}/priority:{pk}"
        rows.append(
            {
                "label": label,
                "served_at": recipient_served_at(  # as AUC-10 counts it: from its recording
                    subject=services._notice_subject(auction), recipient_ref=ref, as_recorded=True
                ),
            }
        )
    return rows


class RegistrationCheckForm(Form):
    """The agent check (AUC-14): which registration (posted unprefixed by the reveal page)."""

    registration = forms.IntegerField(required=False)


class PriorityCheckForm(RegistrationCheckForm):
    """The priority check: the registration and the priority holder it is (AUC-15)."""

    holder = forms.IntegerField(required=False)


def _parties(auction: Auction) -> QuerySet[Party]:
    from cases.models import Party

    return Party.objects.filter(case_id=_case_id(auction))


def _objection_tracks(auction: Auction) -> list[tuple[str, str]]:
    """REC-12: the objections under review, as the ruling form's choices."""
    from core.deadlines import ENFORCEMENT_ACT, THIRD_PARTY

    names = {THIRD_PARTY: _("案外人异议"), ENFORCEMENT_ACT: _("执行异议（对拍卖行为）")}
    return [(t, str(names.get(t, t))) for t in services.auction_objections_pending(auction)]


A = CourtAction[Auction]


def _published(s: Submitted[Auction], _result: object) -> str:
    """The auction published: its title and bidding period, where the page now is."""
    auction = Auction.objects.get(pk=s.target.pk)

    def at(x: dt.datetime | None) -> str:
        return timezone.localtime(x).strftime("%Y-%m-%d %H:%M") if x else "—"

    return _("已发布拍卖公告：%(title)s，竞价时间 %(start)s 至 %(end)s。") % {
        "title": auction.title,
        "start": at(auction.start_at),
        "end": at(auction.end_at),
    }


def _on(message: StrOrPromise) -> Callable[[Submitted[Auction], object], str]:
    """A court action's message naming the auction it changed (issue 13: every court action
    ends on the object it changed with a message naming what happened)."""
    return lambda s, _result: str(message) % {"title": s.target.title}


def _next_round_made(s: Submitted[Auction], result: object) -> str:
    title = getattr(result, "title", "")
    return _("已生成下一轮拍卖草稿：%(title)s，请核对后发布。") % {"title": title}


AUCTION_ACTIONS: CourtActions[Auction] = CourtActions(
    {
        "publish": A(
            call=lambda s: services.auction_publish(auction_id=s.target.pk, actor=s.actor),
            done=_published,
        ),
        "decision": A(
            form=f.PanelDecisionForm,
            call=lambda s: services.panel_decision_record(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=lambda s, _d: (
                _("已记录合议庭决定：%(topic)s（AUC-04）。")
                % {"topic": PanelDecision.Topic(s.data["topic"]).label}
            ),
        ),
        "holder": A(
            form=f.PriorityHolderForm,
            call=lambda s: services.priority_holder_add(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=lambda s, _h: (
                _("已增加优先购买权人：%(name)s（AUC-19）。") % {"name": s.data["name"]}
            ),
        ),
        "notice": A(
            form=f.NoticeForm,
            form_kwargs=lambda auction: {"recipients": _recipients(auction)},
            call=lambda s: services.auction_notice_record(
                auction_id=s.target.pk,
                actor=s.actor,
                **{**s.data, "recipient": _recipient_of(s.target, s.data["recipient"])},
            ),
            done=lambda s, _n: (
                _("已记录送达：%(who)s（AUC-10）。")
                % {"who": dict(_recipients(s.target)).get(s.data["recipient"], "")}
            ),
        ),
        "suspend": A(
            form=f.SuspendForm,
            call=lambda s: services.auction_suspend(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已暂缓拍卖：%(title)s。")),
        ),
        "halt": A(
            form=f.HaltForm,
            call=lambda s: services.auction_halt(auction_id=s.target.pk, actor=s.actor, **s.data),
            done=_on(gettext_lazy("已中止拍卖：%(title)s。")),
        ),
        "withdraw": A(
            form=f.WithdrawForm,
            call=lambda s: services.auction_withdraw(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已撤回拍卖：%(title)s。")),
        ),
        "set_aside": A(
            form=f.SetAsideForm,
            call=lambda s: services.auction_set_aside(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已撤销拍卖：%(title)s。")),
        ),
        "objection": A(
            form=f.ObjectionForm,
            call=lambda s: services.auction_third_party_objection(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已登记案外人异议：%(title)s，审查期限已开始计算（REC-12）。")),
        ),
        "ground_ended": A(
            form=f.ReasonForm,
            call=lambda s: services.auction_ground_ended(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已记录暂缓/中止事由消除：%(title)s，请在期限内恢复拍卖。")),
        ),
        "objection_ruling": A(
            form=cf.ObjectionRulingForm,
            form_kwargs=lambda auction: {"tracks": _objection_tracks(auction)},
            call=lambda s: services.auction_objection_rule(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=gettext_lazy("已记录异议审查结果，起诉或复议期限已开始计算（REC-12）。"),
        ),
        "resume": A(
            form=f.ResumeForm,
            call=lambda s: services.auction_resume(auction_id=s.target.pk, actor=s.actor, **s.data),
            done=_on(gettext_lazy("已恢复拍卖：%(title)s。")),
        ),
        "ruling": A(
            form=f.RulingForm,
            call=lambda s: services.auction_ruling_served(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已记录成交裁定的送达：%(title)s。")),
        ),
        "handover": A(
            form=f.HandoverForm,
            call=lambda s: services.auction_handover_update(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已更新移交进度：%(title)s。")),
        ),
        "in_lieu": A(
            form=f.InLieuForm,
            form_kwargs=lambda auction: {
                "parties": [(p.pk, p.name) for p in _parties(auction).filter(role="creditor")]
            },
            call=lambda s: services.auction_take_in_lieu(
                auction_id=s.target.pk,
                actor=s.actor,
                party_id=int(s.data["party"]),
                reason=s.data["reason"],
                excess_days=s.data["excess_days"],
                eligibility_proof=s.data["eligibility_proof"],
            ),
            done=_on(gettext_lazy("已记录以物抵债：%(title)s。")),
        ),
        "next_round": A(
            call=lambda s: services.auction_next_round_create(
                auction_id=s.target.pk, actor=s.actor
            ),
            done=_next_round_made,
            then=lambda _auction, draft: _detail_url(draft),
        ),
        "forfeit_apply": A(
            call=lambda s: services.auction_forfeit_apply(
                auction_id=s.target.pk, actor=s.actor, force=True
            ),
            done=gettext_lazy("已按 AUC-33 顺序处理悔拍保证金，结果见本页及案款账户。"),
        ),
        "cost": A(
            form=f.CostForm,
            call=lambda s: services.auction_cost_record(
                auction_id=s.target.pk,
                amount_fen=s.data["amount_yuan"],
                payee_name=s.data["payee_name"],
                note=s.data["note"],
                actor=s.actor,
            ),
            done=lambda s, _charge: (
                _("已记录拍卖费用：%(note)s ¥%(amount)s（收款人 %(payee)s，AUC-33）")
                % {
                    "note": s.data["note"],
                    "amount": yuan(s.data["amount_yuan"]),
                    "payee": s.data["payee_name"],
                }
            ),
        ),
        "low_start_notice": A(
            call=lambda s: services.auction_low_start_notice(auction_id=s.target.pk, actor=s.actor),
            done=_on(
                gettext_lazy(
                    "已通知申请执行人起拍价不足以清偿优先债权和执行费用：%(title)s（AUC-06）。"
                )
            ),
        ),
        "insist": A(
            form=f.InsistForm,
            call=lambda s: services.auction_low_start_notice(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已记录申请执行人坚持拍卖：%(title)s（AUC-06）。")),
        ),
        "consent": A(
            form=f.ConsentForm,
            call=lambda s: services.auction_debtor_consent(
                auction_id=s.target.pk, actor=s.actor, **s.data
            ),
            done=_on(gettext_lazy("已记录被执行人同意继续拍卖：%(title)s（AUC-07）。")),
        ),
        "confirm_agent": A(
            form=RegistrationCheckForm,
            prefixed=False,
            call=lambda s: services.registration_confirm_agent(
                registration_id=s.data["registration"] or 0, actor=s.actor
            ),
            done=naming(
                gettext_lazy("已确认委托代理竞买（AUC-14）。"),
                lambda s, _r: ref_text(f"{s.target.ref}/registration:{s.data['registration']}"),
            ),
        ),
        "confirm_priority": A(
            form=PriorityCheckForm,
            prefixed=False,
            call=lambda s: services.registration_confirm_priority(
                registration_id=s.data["registration"] or 0,
                actor=s.actor,
                holder_id=s.data["holder"] or 0,
            ),
            done=naming(
                gettext_lazy("已确认优先购买权人及其顺序（AUC-19）。"),
                lambda s, _r: ref_text(f"{s.target.ref}/registration:{s.data['registration']}"),
            ),
        ),
    },
    page=_detail_url,
    subject=by_ref(lambda auction: auction.ref),
    prefixed=True,
)

#: The forms the auction page shows (the others are buttons, or live on other pages).
DETAIL_FORMS = (
    "decision",
    "holder",
    "notice",
    "suspend",
    "halt",
    "withdraw",
    "set_aside",
    "objection",
    "ground_ended",
    "resume",
    "objection_ruling",
    "ruling",
    "handover",
    "consent",
    "insist",
    "cost",
)


@login_required
def court_auction_detail(request: AuthedRequest, auction_id: int) -> HttpResponse:
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
    if auction.state == S.DEFAULTED:
        ctx["forfeit"] = _forfeit_view(auction)
    if ctx["result"] is not None and auction.case_id:
        from settlement.selectors import balance_of_sale

        ctx["balance"] = balance_of_sale(auction.sale_ref)  # AUC-31: reference, paid so far
    ctx["route"] = services.disposal_route_current(lot_id=auction.lot_id or 0)  # AUC-01/AUC-44
    ctx["in_lieu_count"] = auction.in_lieu_applications.count()
    ctx["objections_pending"] = services.auction_objections_pending(auction)  # REC-12
    ctx["forms"] = {name: AUCTION_ACTIONS.form(name, auction) for name in DETAIL_FORMS}
    # 拍品咨询 (issue 17): the lot's questions, waiting ones first, to answer or decline here.
    ctx["questions"] = _with_question_drafts(
        request, list(selectors.questions_for_auction_court(auction)[:100])
    )
    ctx["pending_questions"] = sum(1 for q in ctx["questions"] if q.status == "pending")
    ctx["reject_form"] = f.QuestionRejectForm()
    return render(request, "bidding/court/detail.html", ctx)


def _forfeit_view(auction: Auction) -> dict[str, Any]:
    """How the defaulter's deposit was applied (AUC-33/34), or why it still waits."""
    from settlement import selectors as money

    result = getattr(auction, "result", None)
    winner = Registration.objects.filter(pk=result.winner_id).first() if result else None
    applied = money.forfeit_applied_for(winner.money_ref) if winner else None
    resale = services.forfeit_resale(auction)
    refs = [auction.ref] + [a.ref for a in resale.auctions]
    return {
        "applied": applied,
        "steps": money.forfeit_steps(applied) if applied else [],
        "pending": bool(winner and money.forfeit_pending(winner.money_ref)),
        "resale": resale,
        # AUC-33 (1): the costs recorded so far (counted when the forfeit is applied).
        "costs_fen": money.charges_fen(
            case_id=auction.case_id or 0, refs=refs, kinds=["auction_cost"]
        ),
        "case_account_url": reverse("settlement:account_detail", args=[auction.case_id])
        if auction.case_id
        else "",
    }


@login_required
@require_POST
@write_rate_limited("bidding")
def court_auction_action(request: AuthedRequest, auction_id: int, name: str) -> HttpResponse:
    """One court action on the auction (``AUCTION_ACTIONS``), then back to its page."""
    return AUCTION_ACTIONS.post(request, name, _auction_for(request, auction_id))


REVEAL_ACTIONS: CourtActions[Registration] = CourtActions(
    {
        "reveal": CourtAction[Registration](
            form=f.RevealForm,
            call=lambda s: services.registration_identity_reveal(
                registration_id=s.target.pk,
                user=s.actor,
                purpose=s.data["purpose"],
                check=s.data["check"],
            ),
            done=None,
        )
    },
    page=lambda reg: reverse("bidding:court_registration_reveal", args=[reg.pk]),
    errors="form",
)


def _reveal_form(request: AuthedRequest, reg: Registration) -> Form | None:
    """The reveal form, its check (REC-05) chosen by the link the court followed."""
    form = REVEAL_ACTIONS.form("reveal", reg)
    if form is not None and request.GET.get("check") in ("agent", "priority"):
        form.initial["check"] = request.GET["check"]
    return form


def _registration_for(request: HttpRequest, registration_id: int) -> Registration:
    """A registration of an auction the user manages (the reveal page's target)."""
    reg = get_object_or_404(Registration.objects.select_related("auction"), pk=registration_id)
    _auction_for(request, reg.auction_id)
    return reg


@login_required
def court_registration_reveal(request: AuthedRequest, registration_id: int) -> HttpResponse:
    """One registration's identity for an agent or priority check, for a stated purpose (logged)."""
    reg = _registration_for(request, registration_id)
    auction = _auction_for(request, reg.auction_id)
    outcome = REVEAL_ACTIONS.run(request, "reveal", reg) if request.method == "POST" else None
    return render(
        request,
        "bidding/court/reveal.html",
        {
            "auction": auction,
            "registration": reg,
            "form": outcome.form if outcome else _reveal_form(request, reg),
            "shown": outcome.result if outcome and outcome.ok else None,
            "holders": auction.priority_holders.all(),
        },
    )


# ---- other disposal routes of a lot (AUC-01, AUC-44) ----------------------------------------


@dataclass(frozen=True)
class LotPage:
    """What the lot page acts on: the lot, its current route and the self-sale limit."""

    lot: Lot
    route: DisposalRoute | None
    max_days: int


def _self_sale_receipts(route: DisposalRoute | None) -> list[tuple[str, str]]:
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


LOT_ACTIONS: CourtActions[LotPage] = CourtActions(
    {
        "offline": CourtAction[LotPage](
            form=cf.OfflineRouteForm,
            call=lambda s: services.disposal_offline_record(
                lot_id=s.target.lot.pk, actor=s.actor, **s.data
            ),
            done=gettext_lazy("已记录其他处置途径及理由。"),
        ),
        "self_sale": CourtAction[LotPage](
            form=cf.SelfSaleForm,
            form_kwargs=lambda page: {"max_days": page.max_days},
            call=lambda s: services.self_sale_authorize(
                lot_id=s.target.lot.pk, actor=s.actor, **s.data
            ),
            done=gettext_lazy("已准许被执行人自行处置。"),
        ),
        "complete": CourtAction[LotPage](
            form=cf.SelfSaleCompleteForm,
            form_kwargs=lambda page: {"receipts": _self_sale_receipts(page.route)},
            call=lambda s: services.self_sale_complete(
                route_id=s.target.route.pk if s.target.route is not None else 0,
                receipt_id=int(s.data["receipt"] or 0),
                actor=s.actor,
            ),
            done=gettext_lazy("已记录自行处置完成，处置款已进入本案账户。"),
        ),
        "offline_round": CourtAction[LotPage](
            form=cf.OfflineRoundForm,
            call=lambda s: services.offline_round_record(
                lot_id=s.target.lot.pk, actor=s.actor, **s.data
            ),
            done=gettext_lazy("已登记线下拍卖/变卖（AUC-39）。"),
        ),
        "offline_result": CourtAction[LotPage](
            form=cf.OfflineResultForm,
            call=lambda s: services.offline_round_result(
                round_id=s.data["round"].pk,
                actor=s.actor,
                **{k: v for k, v in s.data.items() if k != "round"},
            ),
            done=gettext_lazy("已登记线下拍卖/变卖的结果（AUC-39）。"),
        ),
        "offline_suspend": CourtAction[LotPage](
            form=cf.OfflineSuspendForm,
            call=lambda s: services.offline_round_suspend(
                round_id=s.data["round"].pk, actor=s.actor, reason=s.data["reason"]
            ),
            done=gettext_lazy("已暂缓/中止该次线下拍卖（AUC-40）。"),
        ),
        "offline_ground_ended": CourtAction[LotPage](
            form=cf.OfflineGroundEndedForm,
            call=lambda s: services.offline_round_ground_ended(
                round_id=s.data["round"].pk, actor=s.actor, ended_at=s.data["ended_at"]
            ),
            done=gettext_lazy("已记录事由消除，须在期限内恢复拍卖（AUC-40）。"),
        ),
        "offline_resume": CourtAction[LotPage](
            form=cf.OfflineResumeForm,
            call=lambda s: services.offline_round_resume(
                round_id=s.data["round"].pk,
                actor=s.actor,
                held_at=s.data["held_at"],
                reason=s.data["reason"],
            ),
            done=gettext_lazy("已恢复该次线下拍卖（AUC-40）。"),
        ),
    },
    page=lambda page: reverse("bidding:court_lot", args=[page.lot.pk]),
    subject=by_ref(lambda page: f"case:{page.lot.case_id}/lot:{page.lot.pk}"),
    prefixed=True,
    errors="form",
)


def _posted(request: HttpRequest, actions: CourtActions[Any], target: object) -> Outcome | None:
    """Run the action the page's form names in ``action`` (an unknown one is ignored)."""
    name = request.POST.get("action", "") if request.method == "POST" else ""
    return actions.run(request, name, target) if name in actions else None


def _lot_page(request: HttpRequest, lot_id: int) -> LotPage:
    """The lot page's target: the lot the user manages, its route and the self-sale limit."""
    from core.rulesettings import get_setting

    lot = _lot_for(request, lot_id)
    route = services.disposal_route_current(lot_id=lot.pk)
    max_days = int(get_setting("debtor_self_sale_max_days", court=lot.case.court_id))
    return LotPage(lot=lot, route=route, max_days=max_days)


@login_required
@write_rate_limited("bidding")
def court_lot(request: AuthedRequest, lot_id: int) -> HttpResponse:
    """A lot's disposal route: online auction by default; the court may record another route
    with its reason (AUC-01) or let the debtor sell it itself (AUC-44) and record the sale."""
    from core.deadlines import deadlines_for_subject

    page = _lot_page(request, lot_id)
    lot, route = page.lot, page.route
    outcome = _posted(request, LOT_ACTIONS, page)
    if outcome is not None and outcome.ok:
        return redirect(outcome.next_url)
    auctions = Auction.objects.filter(lot=lot, is_practice=False).order_by("-pk")
    history = DisposalRoute.objects.filter(lot=lot).select_related("decided_by")
    deadlines: Any = []
    if route is not None and route.route == DisposalRoute.Route.SELF_SALE:
        deadlines = deadlines_for_subject(f"case:{lot.case_id}/lot:{lot.pk}/self_sale:{route.pk}")
    offline_rounds = list(OfflineRound.objects.filter(lot=lot).order_by("held_at", "pk"))  # AUC-39
    pending = next((r for r in offline_rounds if r.outcome == OfflineRound.Outcome.PENDING), None)
    forms = LOT_ACTIONS.forms(page, bound=outcome)
    for name in ("offline_result", "offline_suspend", "offline_ground_ended", "offline_resume"):
        if pending is not None and not forms[name].is_bound:  # one pending round at a time
            forms[name].initial["round"] = pending.pk
    return render(
        request,
        "bidding/court/lot.html",
        {
            "lot": lot,
            "route": route,
            "history": history.order_by("-decided_at", "-pk"),
            "auctions": auctions,
            "open_auction": auctions.filter(state__in=services.ROUTE_BLOCKING_STATES).first(),
            "forms": forms,
            "failed": request.POST.get("action") if request.method == "POST" else None,
            "max_days": page.max_days,
            "deadlines": deadlines,
            "offline_rounds": offline_rounds,
            "offline_pending": pending,
            "R": DisposalRoute,
        },
    )


# ---- 以物抵债 among several creditors (AUC-36, APR-03) ----------------------------------------


@dataclass(frozen=True)
class InLieuPage:
    """What the 以物抵债 page acts on: the auction and the creditors who may still apply."""

    auction: Auction
    creditors: list[tuple[str, str]]


IN_LIEU_ACTIONS: CourtActions[InLieuPage] = CourtActions(
    {
        "apply": CourtAction[InLieuPage](
            form=cf.InLieuApplyForm,
            form_kwargs=lambda page: {"parties": page.creditors},
            call=lambda s: in_lieu.in_lieu_apply(
                auction_id=s.target.auction.pk,
                party_id=int(s.data["party"] or 0),
                actor=s.actor,
                note=s.data["note"],
            ),
            done=gettext_lazy("已记录以物抵债申请。"),
        ),
        "draw": CourtAction[InLieuPage](
            form=cf.InLieuDrawForm,
            call=lambda s: in_lieu.in_lieu_draw_freeze(
                auction_id=s.target.auction.pk, actor=s.actor, **s.data
            ),
            done=gettext_lazy("摇号名单已冻结公布，已通知申请人。"),
        ),
        "decide": CourtAction[InLieuPage](
            form=cf.InLieuDecideForm,
            call=lambda s: in_lieu.in_lieu_decide(
                auction_id=s.target.auction.pk, actor=s.actor, **s.data
            ),
            done=gettext_lazy("已决定以物抵债。"),
        ),
    },
    page=lambda page: reverse("bidding:court_in_lieu", args=[page.auction.pk]),
    subject=by_ref(lambda page: page.auction.ref),
    prefixed=True,
    errors="form",
)


def _in_lieu_page(request: HttpRequest, auction_id: int) -> InLieuPage:
    """The 以物抵债 page's target: the auction the user manages and the creditors who may
    still apply."""
    from cases.models import Party

    auction = _auction_for(request, auction_id)
    applied = {a.party_id for a in in_lieu.in_lieu_applications(auction)}
    creditors = [
        (str(p.pk), p.name + paren(f"{_('受偿顺位')} {p.priority or _('普通债权')}"))
        for p in Party.objects.filter(case_id=_case_id(auction), role=Party.Role.CREDITOR).order_by(
            "priority", "pk"
        )
        if p.pk not in applied
    ]
    return InLieuPage(auction=auction, creditors=creditors)


@login_required
@write_rate_limited("bidding")
def court_in_lieu(request: AuthedRequest, auction_id: int) -> HttpResponse:
    """Creditors' applications to take the unsold lot in lieu, the priority order, the lot
    draw among equals and the court's decision (AUC-36, APR-03)."""
    from cases.models import Party

    page = _in_lieu_page(request, auction_id)
    auction = page.auction
    outcome = _posted(request, IN_LIEU_ACTIONS, page)
    if outcome is not None and outcome.ok:
        return redirect(outcome.next_url)
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
            "forms": IN_LIEU_ACTIONS.forms(page, bound=outcome),
            "failed": request.POST.get("action") if request.method == "POST" else None,
        },
    )


def _draw_for(request: AuthedRequest, draw_id: int) -> InLieuDraw:
    """The court's staff and the case's parties may see a draw; others may not."""
    from cases.models import Party

    draw = get_object_or_404(
        InLieuDraw.objects.select_related("auction", "auction__case", "auction__court"),
        pk=draw_id,
    )
    user = request.user
    staff = can(user, "bidding.manage_auction", draw.auction)
    party = Party.objects.filter(case_id=_case_id(draw.auction), user_id=user.pk).exists()
    if not (staff or party):
        raise DjangoPermissionDenied(_("仅本院工作人员和本案当事人可查看"))
    return draw


class CommitForm(Form):
    participant = TextField()
    commitment = TextField()


class RevealSecretForm(Form):
    participant = TextField()
    secret = TextField()


DRAW_ACTIONS: CourtActions[InLieuDraw] = CourtActions(
    {
        "commit": CourtAction[InLieuDraw](
            form=CommitForm,
            call=lambda s: in_lieu.in_lieu_draw_commit(
                draw_id=s.target.pk,
                participant_ref=s.data["participant"],
                commitment=s.data["commitment"],
                actor=s.actor,
            ),
            done=gettext_lazy("承诺值已提交。请妥善保存您的随机串，承诺截止后揭示。"),
        ),
        "reveal": CourtAction[InLieuDraw](
            form=RevealSecretForm,
            call=lambda s: in_lieu.in_lieu_draw_reveal(
                draw_id=s.target.pk,
                participant_ref=s.data["participant"],
                secret=s.data["secret"],
                actor=s.actor,
            ),
            done=gettext_lazy("随机串已揭示，并与承诺值核对一致。"),
        ),
        "run": CourtAction[InLieuDraw](
            call=lambda s: in_lieu.in_lieu_draw_run(draw_id=s.target.pk, actor=s.actor),
            done=gettext_lazy("摇号已完成。"),
        ),
    },
    page=lambda draw: reverse("bidding:in_lieu_draw", args=[draw.pk]),
    subject=by_ref(lambda draw: f"{draw.auction.ref}/in_lieu_draw:{draw.pk}"),
    errors="outcome",
)


@login_required
@write_rate_limited("bidding")
def in_lieu_draw_page(request: AuthedRequest, draw_id: int) -> HttpResponse:
    """The lot draw among equal-rank creditors: frozen list, commitments, reveals, result and
    its verification; participants commit and reveal here, the court runs it (APR-03)."""
    draw = _draw_for(request, draw_id)
    error = None
    if request.method == "POST":
        outcome = DRAW_ACTIONS.run(request, request.POST.get("action", ""), draw)
        if outcome.ok:
            return redirect(outcome.next_url)
        error = (outcome.name, request.POST.get("participant", ""), outcome.error)
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
            and is_court_staff_of(request.user, draw.auction.court_id, roles=in_lieu.DRAW_STAFF),
            "run_due": now >= draw.scheduled_at,
            "verification": verification,
            "order": [(i, names.get(pid, pid)) for i, pid in enumerate(draw.result or [], 1)],
            "error": error,
        },
    )


@login_required
def in_lieu_draw_record_json(request: AuthedRequest, draw_id: int) -> JsonResponse:
    """The draw's record, to re-run it with ``bidding.in_lieu.in_lieu_draw_recompute``."""
    draw = _draw_for(request, draw_id)
    resp = JsonResponse(
        in_lieu.in_lieu_draw_record(draw), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    resp["Content-Disposition"] = f'inline; filename="in-lieu-draw-{draw.pk}.json"'
    return resp


# ---- 拍品咨询: the court answers or declines (issue 17) -----------------------------------------


_QUESTION_DRAFTS = "bidding.question_drafts"


def _keep_question_draft(request: HttpRequest, question_id: int) -> None:
    """A refused answer or decline keeps what was typed: the page it returns to shows it again
    in the same form (one draft per question, in the session, read once)."""
    drafts = dict(request.session.get(_QUESTION_DRAFTS) or {})
    drafts[str(question_id)] = {
        key: str(request.POST.get(key, ""))[:10_000] for key in ("answer", "reason", "note")
    }
    request.session[_QUESTION_DRAFTS] = drafts


def _with_question_drafts(request: HttpRequest, questions: list[Any]) -> list[Any]:
    """Each question with ``draft`` (what its refused form held, or empty), drafts read once."""
    drafts = request.session.pop(_QUESTION_DRAFTS, None) or {}
    for q in questions:
        q.draft = drafts.get(str(q.pk), {})
    return questions


def _question_back(request: HttpRequest, default: str) -> HttpResponse:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(default)


@login_required
def court_questions(request: AuthedRequest) -> HttpResponse:
    """The court's unanswered questions, oldest first, each with its answer and decline forms."""
    _require_manager(request, request.user.court)
    pending = _with_question_drafts(
        request, list(selectors.questions_pending_for_court(request.user.court_id)[:200])
    )
    return render(
        request,
        "bidding/court/questions.html",
        {
            "questions": pending,
            "answer_form": f.QuestionAnswerForm(),
            "reject_form": f.QuestionRejectForm(),
        },
    )


@login_required
@require_POST
@write_rate_limited("bidding-question-decide")
def court_question_decide(request: AuthedRequest, question_id: int, decision: str) -> HttpResponse:
    """答复 (``answer``) or 不予公开 (``reject``) one question of the staff member's court."""
    from bidding.models import LotQuestion

    question = get_object_or_404(LotQuestion.objects.select_related("auction"), pk=question_id)
    _require_manager(request, question.auction)
    default = reverse("bidding:court_questions")
    try:
        if decision == "answer":
            form: Form = f.QuestionAnswerForm(request.POST)
            form.is_valid()  # a text field that takes anything: the service checks the length
            services.question_answer(
                question_id=question.pk, actor=request.user, answer=form.cleaned_data["answer"]
            )
            messages.success(
                request,
                _("已答复“%(title)s”的咨询，问答已在拍卖页公开。")
                % {"title": question.auction.title},
            )
        elif decision == "reject":
            form = f.QuestionRejectForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请选择不予公开的理由"))
                _keep_question_draft(request, question.pk)
                return _question_back(request, default)
            services.question_reject(
                question_id=question.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
            messages.success(
                request,
                _("“%(title)s”的一条咨询未予公开，已告知提问人。")
                % {"title": question.auction.title},
            )
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
        _keep_question_draft(request, question.pk)
    return _question_back(request, default)
