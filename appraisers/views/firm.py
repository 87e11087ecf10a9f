"""The firm portal: a firm user sees only their own firm's commissions (REC-14)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from appraisers import services
from appraisers.models import Commission, ExtensionRequest, Objection, ReviewRequest
from appraisers.selectors import commissions_for_firm, countdown, fees_for_firm, firm_of
from appraisers.views._util import (
    forbidden,
    guarded,
    parse_dt,
    parse_fen,
    parse_int,
    posted_pk,
    report_form_data,
    run,
)
from core.deadlines import deadlines_for_subject
from core.permissions import require
from core.ratelimit import write_rate_limited


@login_required
def firm_portal(request: HttpRequest) -> HttpResponse:
    firm = firm_of(request.user)
    if firm is None:
        return forbidden(request, "您不是评估机构用户")
    rows = [(c, countdown(c)) for c in commissions_for_firm(firm)]
    return render(request, "appraisers/firm_portal.html", {"firm": firm, "rows": rows})


def _report_action(request: HttpRequest, fn, success: str) -> bool:
    try:
        data = report_form_data(request.POST)
    except Exception as exc:  # a parse error is a DomainError with a Chinese message
        from django.contrib import messages

        messages.error(request, str(getattr(exc, "message", exc)))
        return False
    return run(request, lambda: fn(upload=request.FILES.get("file"), **data), success)


@login_required
@guarded
@write_rate_limited("appraisers")
def firm_commission(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(
        Commission.objects.select_related("request__case", "request__asset", "firm"), pk=pk
    )
    require(request.user, "appraisers.act_for_firm", c)
    user = request.user
    posted = None
    if request.method == "POST":
        action = request.POST.get("action")
        P = request.POST
        ok = True
        if action == "accept":
            ok = run(
                request, lambda: services.commission_accept(commission=c, actor=user), "已接受委托"
            )
        elif action == "decline":
            ok = run(
                request,
                lambda: services.commission_decline(
                    commission=c, reason=P.get("reason", ""), actor=user
                ),
                "已拒绝委托，法院将委托下一顺位机构",
            )
        elif action == "inspection_notice":
            ok = run(
                request,
                lambda: services.inspection_notice(
                    commission=c,
                    at=parse_dt(P.get("at"), "勘验时间"),
                    place=P.get("place", ""),
                    actor=user,
                ),
                "已通知当事人现场勘验时间和地点",
            )
        elif action == "inspection_record":
            ok = run(
                request,
                lambda: services.inspection_record(
                    commission=c,
                    witness=P.get("witness", ""),
                    attendees=P.get("attendees", ""),
                    note=P.get("note", ""),
                    actor=user,
                ),
                "已记录现场勘验",
            )
        elif action == "extension":
            ok = run(
                request,
                lambda: services.extension_request(
                    commission=c,
                    days=parse_int(P.get("days"), "延长日数"),
                    reason=P.get("reason", ""),
                    actor=user,
                ),
                "延期申请已提交，待法官决定",
            )
        elif action == "report":
            ok = _report_action(
                request,
                lambda **kw: services.report_submit(commission=c, actor=user, **kw),
                "评估报告已提交法院",
            )
        elif action == "review_answer":
            review = get_object_or_404(ReviewRequest, pk=posted_pk(P, "review"), commission=c)
            if request.FILES.get("file"):
                ok = _report_action(
                    request,
                    lambda **kw: services.review_answer(
                        review=review, actor=user, explanation=P.get("explanation", ""), **kw
                    ),
                    "补正报告已提交",
                )
            else:
                ok = run(
                    request,
                    lambda: services.review_answer(
                        review=review, actor=user, explanation=P.get("explanation", "")
                    ),
                    "书面说明已提交",
                )
        elif action == "objection_answer":
            o = get_object_or_404(Objection, pk=posted_pk(P, "objection"), commission=c)
            if request.FILES.get("file"):
                ok = _report_action(
                    request,
                    lambda **kw: services.objection_answer(
                        objection=o, text=P.get("text", ""), actor=user, **kw
                    ),
                    "已答复异议并提交补正报告",
                )
            else:
                ok = run(
                    request,
                    lambda: services.objection_answer(
                        objection=o, text=P.get("text", ""), actor=user
                    ),
                    "已答复异议",
                )
        elif action == "expert_correction":
            o = get_object_or_404(Objection, pk=posted_pk(P, "objection"), commission=c)
            ok = _report_action(
                request,
                lambda **kw: services.expert_correction_submit(objection=o, actor=user, **kw),
                "补正报告已提交",
            )
        elif action == "materials_returned":
            ok = run(
                request,
                lambda: services.materials_returned(
                    commission=c, actor=user, note=P.get("note", "")
                ),
                "已登记退回材料",
            )
        elif action == "costs":
            ok = run(
                request,
                lambda: services.costs_declare(
                    commission=c,
                    amount_fen=parse_fen(P.get("amount_yuan"), "实际费用（元）"),
                    note=P.get("note", ""),
                    actor=user,
                ),
                "已申报实际支出费用",
            )
        if ok:
            return redirect("appraisers:firm_commission", pk=c.pk)
        # Refused: show the page again with what was typed (a file must be chosen again).
        posted = P
    ctx = {
        "posted": posted,
        "c": c,
        "cd": countdown(c),
        "reports": c.reports.order_by("-version"),
        "reviews": c.reviews.order_by("-requested_at"),
        "extensions": c.extensions.order_by("-requested_at"),
        "objections": c.objections.exclude(status__in=[Objection.Status.REFUSED]).order_by(
            "-filed_at"
        ),
        "deadlines": deadlines_for_subject(c.subject),
        "fee": getattr(c, "fee", None),
        "pending_extension": c.extensions.filter(status=ExtensionRequest.Status.PENDING).exists(),
        "open_review": c.reviews.filter(answered_at__isnull=True).first(),
        "today": None,
    }
    return render(request, "appraisers/firm_commission.html", ctx)


@login_required
def firm_fees(request: HttpRequest) -> HttpResponse:
    firm = firm_of(request.user)
    if firm is None:
        return forbidden(request, "您不是评估机构用户")
    fees = list(fees_for_firm(firm))
    totals = {
        "charged": sum(f.amount_fen for f in fees if f.status == "charged"),
        "paid": sum(f.amount_fen for f in fees if f.status == "paid"),
    }
    return render(
        request, "appraisers/firm_fees.html", {"firm": firm, "fees": fees, "totals": totals}
    )
