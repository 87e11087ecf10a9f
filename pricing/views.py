"""Pages: the judge's pricing page per asset, the parties' page, the platform roster, the models.

Thin: parse the form, check the permission, call one service, show its Chinese message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from cases.models import Asset, Party
from core import calendar, clock
from core.errors import DomainError
from core.money import parse_yuan
from core.permissions import can, require
from core.ratelimit import write_rate_limited
from pricing import selectors, services
from pricing.models import (
    Inquiry,
    InquiryPlatform,
    InquiryReport,
    InquiryRequest,
    Objection,
    PlatformLateness,
    PricingProcedure,
    ValuationModel,
)
from pricing.services.procedure import (
    CHECK_TOPICS,
    SKIP_GROUNDS,
    SUSPEND_GROUNDS,
    WITHDRAW_GROUNDS_MAY,
    WITHDRAW_GROUNDS_MUST,
)


def _run(request: HttpRequest, fn: Callable[[], Any], ok: str) -> bool:
    try:
        fn()
    except DomainError as exc:
        messages.error(request, str(exc.message) + (f"（{exc.rule}）" if exc.rule else ""))
        return False
    messages.success(request, ok)
    return True


def _forbidden(request: HttpRequest, why: str) -> HttpResponse:
    return render(request, "pricing/forbidden.html", {"why": why}, status=403)


def _dt(value: str | None, label: str) -> dt.datetime:
    try:
        naive = dt.datetime.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise DomainError("invalid_datetime", f"请填写有效的{label}") from exc
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=calendar.CST)
    return naive.astimezone(dt.UTC)


def _fen(value: str | None, label: str) -> int:
    if not (value or "").strip():
        raise DomainError("amount_required", f"请填写{label}")
    return parse_yuan(value or "")


# --------------------------------------------------------------------------- the judge's list
@login_required
@write_rate_limited("pricing")
def court_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not getattr(user, "is_court_staff", False):
        return _forbidden(request, "仅限法院工作人员")
    if request.method == "POST":
        asset = Asset.objects.filter(
            pk=request.POST.get("asset"), case__court_id=user.court_id
        ).first()
        if asset is None:
            messages.error(request, "请选择本院案件的标的物")
            return redirect("pricing:court_list")
        holder: dict[str, Any] = {}

        def _open() -> None:
            require(user, "pricing.run_procedure", asset.case)
            holder["p"] = services.procedure_open(asset=asset, actor=user)

        if _run(request, _open, "已启动定价程序（PRC-01 期限已完成）"):
            return redirect("pricing:procedure", pk=holder["p"].pk)
        return redirect("pricing:court_list")
    procs = list(selectors.procedures_for_court(user.court_id)[:300])
    priced = {p.asset_id for p in procs if p.state != "withdrawn"}
    unpriced = (
        Asset.objects.filter(case__court_id=user.court_id)
        .exclude(pk__in=priced)
        .select_related("case")
        .order_by("-pk")[:200]
    )
    return render(request, "pricing/court_list.html", {"procedures": procs, "unpriced": unpriced})


# --------------------------------------------------------------------------- the judge's page
@login_required
@write_rate_limited("pricing")
def procedure_page(request: HttpRequest, pk: int) -> HttpResponse:
    proc = get_object_or_404(
        PricingProcedure.objects.select_related("asset", "case", "court"), pk=pk
    )
    user = request.user
    if not can(user, "pricing.view_procedure", proc):
        return _forbidden(request, "仅限本院工作人员及本案当事人")
    if not getattr(user, "is_court_staff", False):
        return redirect("pricing:party", pk=proc.pk)
    if request.method == "POST":
        if not can(user, "pricing.run_procedure", proc):
            return _forbidden(request, "仅限本院法官、执行员")
        _action(request, proc)
        return redirect("pricing:procedure", pk=proc.pk)
    proc.refresh_from_db()
    inquiries = [selectors.inquiry_view(i) for i in proc.inquiries.order_by("-sent_at")]
    steps = list(proc.steps.order_by("started_at", "pk"))
    current = steps[-1] if steps else None
    parties = list(Party.objects.filter(case_id=proc.case_id).order_by("pk"))
    quotes = []
    if current is not None and current.method == "party_agreement":
        quotes = [
            (p, current.quotes.get(f"party:{p.pk}"))
            for p in parties
            if p.role in ("creditor", "debtor")
        ]
    price = selectors.active_price(proc)
    ctx = {
        "proc": proc,
        "steps": steps,
        "current": current,
        "next_steps": selectors.next_steps(proc),
        "inquiries": inquiries,
        "parties": parties,
        "quotes": quotes,
        "price": price,
        "prices": list(proc.prices.order_by("-fixed_at")),
        "deadlines": selectors.procedure_deadlines(proc),
        "check_topics": CHECK_TOPICS,
        "skip_grounds": SKIP_GROUNDS,
        "suspend_grounds": SUSPEND_GROUNDS,
        "withdraw_grounds": {**WITHDRAW_GROUNDS_MUST, **WITHDRAW_GROUNDS_MAY},
        "objection_grounds": Objection.Ground,
        "can_run": can(user, "pricing.run_procedure", proc),
        "now": clock.now(),
        "charts": [
            rep["chart"]
            for inq in inquiries
            for row in inq["rows"]
            for rep in row["reports"]
            if rep["chart"]
        ],
    }
    return render(request, "pricing/procedure.html", ctx)


def _obj(model: Any, request: HttpRequest, field: str, proc: PricingProcedure, lookup: str) -> Any:
    obj = model.objects.filter(pk=request.POST.get(field), **{lookup: proc}).first()
    if obj is None:
        raise DomainError("not_found", "对象不存在或不属于本程序")
    return obj


def _action(request: HttpRequest, proc: PricingProcedure) -> None:
    user = request.user
    post = request.POST
    action = post.get("action", "")
    joint = post.get("joint_request") == "on"

    def go(fn: Callable[[], Any], ok: str) -> None:
        _run(request, fn, ok)

    if action == "checks":
        go(
            lambda: services.procedure_record_checks(
                procedure=proc,
                checks={k: post.get(k, "") for k in CHECK_TOPICS},
                has_tax_base_or_gov_price=post.get("has_tax_base_or_gov_price") == "on",
                online_feasible=post.get("online_feasible") == "on",
                needs_site_inspection=post.get("needs_site_inspection") == "on",
                law_requires_appraisal=post.get("law_requires_appraisal") == "on",
                actor=user,
            ),
            "核查已记录（PRC-02）",
        )
    elif action == "party_agreement":
        go(
            lambda: services.party_agreement_start(
                procedure=proc, deadline_at=_dt(post.get("deadline_at"), "议价期限"), actor=user
            ),
            "已启动当事人议价，已通知当事人",
        )
    elif action == "quote":

        def _quote() -> None:
            party = Party.objects.get(pk=post.get("party"), case_id=proc.case_id)
            kind = post.get("kind")
            services.party_agreement_quote(
                procedure=proc,
                party=party,
                refused=kind == "refused",
                unreachable=kind == "unreachable",
                amount_fen=None
                if kind in ("refused", "unreachable")
                else _fen(post.get("amount_yuan"), "报价"),
                actor=user,
            )

        go(_quote, "已记录")
    elif action == "agreement_confirm":
        go(
            lambda: services.party_agreement_confirm(
                procedure=proc,
                harms_no_one=post.get("harms_no_one") == "on",
                note=post.get("note", ""),
                actor=user,
            ),
            "已处理议价结果",
        )
    elif action == "directed":
        go(
            lambda: services.directed_inquiry_start(
                procedure=proc,
                body_name=post.get("body_name", ""),
                letter_ref=post.get("letter_ref", ""),
                deadline_at=_dt(post.get("deadline_at"), "询价期限"),
                joint_request=joint,
                actor=user,
            ),
            "已发出定向询价函",
        )
    elif action == "directed_result":
        go(
            lambda: services.directed_inquiry_result(
                procedure=proc, amount_fen=_fen(post.get("amount_yuan"), "询价结果"), actor=user
            ),
            "已记录定向询价结果",
        )
    elif action == "step_lapse":
        go(lambda: services.step_lapse(procedure=proc, actor=user), "已按期限届满处理")
    elif action == "online":
        go(
            lambda: services.inquiry_send(
                procedure=proc,
                purpose=post.get("purpose") or "确定财产处置参考价",
                fee_fen=_fen(post.get("fee_yuan") or "0", "询价费"),
                joint_request=joint,
                actor=user,
            ),
            "已向名单库全部平台发出询价（PRC-06）",
        )
    elif action == "appraisal":
        go(
            lambda: services.appraisal_start(procedure=proc, joint_request=joint, actor=user),
            "已委托评估",
        )
    elif action == "skip":
        go(
            lambda: services.pricing_skip(
                asset=proc.asset,
                ground=post.get("ground", ""),
                market_price_fen=_fen(post.get("amount_yuan"), "市场价"),
                note=post.get("note", ""),
                actor=user,
            ),
            "已记录不经定价（PRC-19）",
        )
    elif action == "suspend":
        go(
            lambda: services.procedure_suspend(
                procedure=proc, ground=post.get("ground", ""), note=post.get("note", ""), actor=user
            ),
            "已暂缓定价（PRC-14）",
        )
    elif action == "resume":
        go(
            lambda: services.procedure_resume(
                procedure=proc, note=post.get("note", ""), actor=user
            ),
            "已恢复定价",
        )
    elif action == "withdraw":
        go(
            lambda: services.procedure_withdraw(
                procedure=proc, ground=post.get("ground", ""), note=post.get("note", ""), actor=user
            ),
            "已撤回定价（PRC-14）",
        )
    elif action == "reissue":
        go(
            lambda: services.reference_price_reissue(procedure=proc, actor=user),
            "已要求重新出具（PRC-12）",
        )
    elif action == "dispatch":
        go(
            lambda: services.inquiry_dispatch(
                inquiry=_obj(Inquiry, request, "inquiry", proc, "procedure")
            ),
            "已向平台查询报告",
        )
    elif action == "close_window":
        go(
            lambda: services.inquiry_close_window(
                inquiry=_obj(Inquiry, request, "inquiry", proc, "procedure"), actor=user
            ),
            "已结算报告期限（PRC-07）",
        )
    elif action == "review":
        go(
            lambda: services.report_review(
                report=_obj(InquiryReport, request, "report", proc, "request__inquiry__procedure"),
                fact_error=post.get("fact_error") == "on",
                note=post.get("note", ""),
                actor=user,
            ),
            "已记录审查意见",
        )
    elif action == "corrections":
        go(
            lambda: services.inquiry_request_corrections(
                inquiry=_obj(Inquiry, request, "inquiry", proc, "procedure"),
                note=post.get("note", ""),
                actor=user,
            ),
            "已要求全部平台补正（PRC-08）",
        )
    elif action == "deliver":
        go(
            lambda: services.inquiry_deliver_electronic(
                inquiry=_obj(Inquiry, request, "inquiry", proc, "procedure"), actor=user
            ),
            "已电子送达有账号的当事人（PRC-10）",
        )
    elif action == "deliver_one":

        def _deliver() -> None:
            services.report_deliver(
                report=_obj(InquiryReport, request, "report", proc, "request__inquiry__procedure"),
                party=Party.objects.get(pk=post.get("party"), case_id=proc.case_id),
                method=post.get("method", ""),
                received_at=_dt(post.get("received_at"), "签收时间")
                if post.get("received_at")
                else None,
                proof=post.get("proof", ""),
                unreachable_reason=post.get("unreachable_reason", ""),
                actor=user,
            )

        go(_deliver, "已记录送达")
    elif action == "extension":
        go(
            lambda: services.inquiry_request_extension(
                request=_obj(InquiryRequest, request, "request", proc, "inquiry__procedure"),
                reason=post.get("reason", ""),
                actor=user,
            ),
            "已登记平台延期申请（PRC-07）",
        )
    elif action == "decide_objection":
        go(
            lambda: services.objection_decide(
                objection=_obj(
                    Objection, request, "objection", proc, "report__request__inquiry__procedure"
                ),
                upheld=post.get("upheld") == "1",
                decision=post.get("decision", ""),
                actor=user,
            ),
            "已处理异议（APR-15）",
        )
    elif action == "fix":
        go(
            lambda: services.inquiry_fix(
                inquiry=_obj(Inquiry, request, "inquiry", proc, "procedure"), actor=user
            ),
            "参考价已确定（PRC-09）",
        )
    else:
        messages.error(request, "未知操作")


# --------------------------------------------------------------------------- parties
@login_required
def party_list(request: HttpRequest) -> HttpResponse:
    parties = Party.objects.filter(user=request.user)
    procs = PricingProcedure.objects.filter(case_id__in=parties.values("case_id")).select_related(
        "asset", "case"
    )
    return render(request, "pricing/party_list.html", {"procedures": procs.order_by("-opened_at")})


@login_required
@write_rate_limited("pricing")
def party_page(request: HttpRequest, pk: int) -> HttpResponse:
    proc = get_object_or_404(PricingProcedure.objects.select_related("asset", "case"), pk=pk)
    party = Party.objects.filter(case_id=proc.case_id, user=request.user).first()
    if party is None:
        if can(request.user, "pricing.view_procedure", proc):
            return redirect("pricing:procedure", pk=proc.pk)
        return _forbidden(request, "仅限本案当事人")
    if request.method == "POST":
        post = request.POST
        if post.get("action") == "object":
            report = InquiryReport.objects.filter(
                pk=post.get("report"), request__inquiry__procedure=proc
            ).first()
            _run(
                request,
                lambda: services.objection_file(
                    report=report,
                    procedure=proc if report is None else None,
                    party=party,
                    grounds=post.getlist("grounds"),
                    text=post.get("text", ""),
                    fraud_evidence=post.get("fraud_evidence") == "on",
                    actor=request.user,
                ),
                "异议已提交，法院将依法处理",
            )
        elif post.get("action") == "quote":
            kind = post.get("kind")
            _run(
                request,
                lambda: services.party_agreement_quote(
                    procedure=proc,
                    party=party,
                    refused=kind == "refused",
                    amount_fen=None if kind == "refused" else _fen(post.get("amount_yuan"), "报价"),
                    actor=request.user,
                ),
                "已提交",
            )
        return redirect("pricing:party", pk=proc.pk)
    step = proc.steps.order_by("-started_at", "-pk").first()
    ctx = {
        "proc": proc,
        "party": party,
        "price": selectors.active_price(proc),
        "step": step,
        "my_quote": step.quotes.get(f"party:{party.pk}")
        if step and step.method == "party_agreement"
        else None,
        "objection_grounds": Objection.Ground,
        **selectors.party_view(proc, party),
    }
    return render(request, "pricing/party.html", ctx)


# --------------------------------------------------------------------------- roster and models
@login_required
@write_rate_limited("pricing")
def roster(request: HttpRequest) -> HttpResponse:
    user = request.user
    keeper = can(user, "pricing.keep_roster")
    if request.method == "POST":
        if not keeper:
            return _forbidden(request, "仅限名单库管理人")
        post = request.POST
        if post.get("action") == "remove":
            p = get_object_or_404(InquiryPlatform, pk=post.get("platform"))
            _run(
                request,
                lambda: services.platform_remove(
                    platform=p, reason=post.get("reason", ""), actor=user
                ),
                "已除名，五年内不得再入库（PRC-18）",
            )
        elif post.get("action") == "excuse":
            late = get_object_or_404(PlatformLateness, pk=post.get("lateness"))
            _run(
                request,
                lambda: services.lateness_excuse(
                    lateness=late, excuse=post.get("excuse", ""), actor=user
                ),
                "已认定有正当理由",
            )
        elif post.get("action") == "admit":
            _run(
                request,
                lambda: services.platform_admit(
                    code=post.get("code", "").strip(),
                    name=post.get("name", "").strip(),
                    adapter="http",
                    config={"url": post.get("url", "").strip()},
                    secret=post.get("secret", ""),
                    price_data_kinds=[
                        k for k in post.get("kinds", "").replace("，", ",").split(",") if k.strip()
                    ],
                    retention_years=int(post.get("retention_years") or 0),
                    actor=user,
                ),
                "已入库",
            )
        elif post.get("action") == "activate":
            from pricing.valuation.training import model_activate

            m = get_object_or_404(ValuationModel, pk=post.get("model"))
            _run(
                request,
                lambda: model_activate(
                    model=m,
                    force=post.get("force") == "on",
                    reason=post.get("reason", ""),
                    actor=user,
                ),
                "已处理启用请求",
            )
        nxt = request.POST.get("next") or ""
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            return redirect(nxt)
        return redirect("pricing:roster")
    lates = PlatformLateness.objects.select_related("platform", "request__inquiry").order_by(
        "-due_at"
    )[:100]
    return render(
        request,
        "pricing/roster.html",
        {"rows": selectors.roster_rows(), "keeper": keeper, "lates": lates},
    )


@login_required
def models_page(request: HttpRequest) -> HttpResponse:
    if not (
        getattr(request.user, "is_court_staff", False) or can(request.user, "pricing.keep_roster")
    ):
        return _forbidden(request, "仅限法院工作人员")
    return render(
        request,
        "pricing/models.html",
        {
            "models": ValuationModel.objects.order_by("asset_class", "method", "-version"),
            "keeper": can(request.user, "pricing.keep_roster"),
        },
    )
