"""Settlement pages (zh-hans): thin — parse, check permission, call one service, render.

Nothing here shows who paid a deposit (REC-05): deposits appear under their registration
reference; the finance role may reveal a payer with a stated purpose (logged).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core import clock
from core import permissions as perms
from core.errors import DomainError
from core.money import parse_yuan, yuan
from core.ratelimit import write_rate_limited
from settlement import selectors
from settlement.exports import statement_csv
from settlement.models import (
    Charge,
    DepositHold,
    DistributionPlan,
    PaymentIntent,
    PaymentNotice,
    Payout,
    ReconciliationRun,
    SimPayment,
)


def _fail(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, str(exc.message))


def _case(case_id: int):
    from cases.models import Case

    return get_object_or_404(Case.objects.select_related("court"), pk=case_id)


# ---- webhooks and the simulator ------------------------------------------------------------


@csrf_exempt
@require_POST
def adyen_webhook(request: HttpRequest) -> HttpResponse:
    """Adyen standard notifications (and the simulator's, signed the same way)."""
    from settlement.webhooks import webhook_receive

    status, text = webhook_receive(request.body)
    return HttpResponse(text, status=status, content_type="text/plain")


@csrf_exempt
@require_POST
def adyen_transfer_webhook(request: HttpRequest) -> HttpResponse:
    """Adyen Balance Platform transfer webhooks (payouts): HMAC of the raw body in a header."""
    from settlement.webhooks import transfer_webhook_receive

    status, text = transfer_webhook_receive(request.body, request.headers.get("HmacSignature", ""))
    return HttpResponse(text, status=status, content_type="text/plain")


@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.sim_pay")
def sim_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The bank simulator's payment page: the payer confirms (or cancels) the payment."""
    from settlement import simulator
    from settlement.gateway import default_gateway_name

    payment = SimPayment.objects.filter(token=token).first()
    if payment is None or default_gateway_name() != "simulator":
        raise Http404  # the cashier exists only while the simulator is the configured gateway
    if request.method == "POST":
        approve = request.POST.get("action") != "cancel"
        simulator.payer_confirm(token=token, approve=approve)
        if str(simulator.conf("GAVEL_SIMULATOR_SETTLEMENT", "instant")) != "delayed":
            from settlement.worker import drain

            drain()
        payment.refresh_from_db()
    return render(
        request,
        "settlement/sim_pay.html",
        {
            "payment": payment,
            "amount": yuan(payment.amount_minor),
            **_payment_return(request, payment.merchant_reference),
        },
    )


def _payment_return(request: HttpRequest, reference: str) -> dict[str, str]:
    """Where the payer goes back to: the page that asked for the payment, on this site only."""
    from django.utils.http import url_has_allowed_host_and_scheme

    row = PaymentIntent.objects.filter(reference=reference).values("return_url", "purpose").first()
    url = (row or {}).get("return_url") or ""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return {"return_url": ""}
    return {"return_url": url, "return_purpose": (row or {}).get("purpose") or ""}


@login_required
def sim_statement(request: HttpRequest) -> HttpResponse:
    """The simulator's daily statement (CSV) for the finance officer's court."""
    from settlement.simulator import statement_csv

    if not perms.can(request.user, "settlement.view_funds") or request.user.role != "finance":
        raise Http404
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or clock.today().isoformat())
    except ValueError as exc:
        raise Http404 from exc
    text = statement_csv(court=request.user.court_id, start=day, end=day)
    resp = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="simulator-{day.isoformat()}.csv"'
    return resp


# ---- the finance officer's dashboard ---------------------------------------------------------


def _staff_or_404(request: HttpRequest) -> int:
    if not perms.can(request.user, "settlement.view_funds"):
        raise Http404
    return request.user.court_id


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    court_id = _staff_or_404(request)
    accounts = selectors.court_case_accounts(court_id)
    return render(
        request,
        "settlement/dashboard.html",
        {
            "accounts": accounts,
            "pools": selectors.pool_totals(court_id),
            "receipts": selectors.receipts_to_claim(court_id),
            "plans": selectors.plans(court_id),
            "payouts": selectors.payouts_awaiting(court_id),
            "flags": selectors.flags(court_id),
            "runs": ReconciliationRun.objects.filter(court_id=court_id)[:10],
            "problems": selectors.gateway_problems(court_id),
            "now": clock.now(),
        },
    )


# ---- case account statement ----------------------------------------------------------------


def _month(request: HttpRequest) -> tuple[dt.date | None, dt.date | None, str]:
    from settlement.reconcile import month_bounds

    month = (request.GET.get("month") or "").strip()
    if not month:
        return None, None, ""
    try:
        start, end = month_bounds(month)
    except (ValueError, TypeError):
        return None, None, ""
    return start, end, month


@login_required
def account_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """案款账户明细: every movement with running balance; ``?month=YYYY-MM``; ``?format=csv``."""
    case = _case(case_id)
    if not perms.can(request.user, "settlement.view_case_account", case):
        raise Http404
    from settlement.services import case_account_open

    case_account_open(case_id=case.pk)
    start, end, month = _month(request)
    statement = selectors.case_statement(case.pk, start=start, end=end)
    if request.GET.get("format") == "csv":
        resp = HttpResponse(statement_csv(case, statement), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = (
            f'attachment; filename="case-{case.pk}-statement{"-" + month if month else ""}.csv"'
        )
        return resp
    return render(
        request,
        "settlement/account.html",
        {
            "case": case,
            "statement": statement,
            "month": month,
            "holds": selectors.deposit_holds(case.pk),
            "charges": Charge.objects.filter(case=case),
            "notices": PaymentNotice.objects.filter(case=case).order_by("-issued_at"),
            "payouts": Payout.objects.filter(case=case),
            "plans": DistributionPlan.objects.filter(case=case),
            "can_manage": perms.can(request.user, "settlement.manage_case_funds", case),
            "can_reveal": perms.can(request.user, "settlement.reveal_payer", case),
        },
    )


@login_required
@require_POST
@write_rate_limited("settlement.write")
def notice_issue(request: HttpRequest, case_id: int) -> HttpResponse:
    from settlement.services import payment_notice_issue

    case = _case(case_id)
    if not perms.can(request.user, "settlement.manage_case_funds", case):
        raise Http404
    try:
        notice = payment_notice_issue(
            case_id=case.pk,
            payer_name=request.POST.get("payer_name", ""),
            purpose=request.POST.get("purpose", ""),
            amount_fen=parse_yuan(request.POST.get("amount", "")),
            actor=request.user,
        )
    except DomainError as exc:
        _fail(request, exc)
        return redirect("settlement:account_detail", case.pk)
    messages.success(request, _("缴款通知书已出具。"))
    return redirect("settlement:notice_detail", notice.token)


def notice_detail(request: HttpRequest, token: str) -> HttpResponse:
    """缴款通知书 (FND-04): for court staff and the parties of the case."""
    notice = get_object_or_404(PaymentNotice.objects.select_related("case", "court"), token=token)
    if not perms.can(request.user, "settlement.view_notice", notice):
        raise Http404
    from cases.models import Party

    debtors = Party.objects.filter(case=notice.case, role=Party.Role.DEBTOR)
    return render(
        request,
        "settlement/notice.html",
        {"notice": notice, "court": notice.court, "debtors": debtors},
    )


@login_required
@require_POST
@write_rate_limited("settlement.write")
def plan_draft(request: HttpRequest, case_id: int) -> HttpResponse:
    from settlement.services import distribution_plan_draft

    case = _case(case_id)
    if not perms.can(request.user, "settlement.manage_case_funds", case):
        raise Http404
    try:
        plan = distribution_plan_draft(case_id=case.pk, actor=request.user)
    except DomainError as exc:
        _fail(request, exc)
        return redirect("settlement:account_detail", case.pk)
    return redirect("settlement:plan_detail", plan.pk)


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(DistributionPlan.objects.select_related("case"), pk=pk)
    if not perms.can(request.user, "settlement.view_case_account", plan.case):
        raise Http404
    if request.method == "POST":
        from settlement.services import distribution_plan_approve

        try:
            distribution_plan_approve(plan_id=plan.pk, actor=request.user)
            messages.success(request, _("分配方案已批准，各项款项已进入发放审批。"))
        except DomainError as exc:
            _fail(request, exc)
        return redirect("settlement:plan_detail", plan.pk)
    return render(
        request,
        "settlement/plan.html",
        {
            "plan": plan,
            "lines": plan.lines.select_related("charge").order_by("seq"),
            "can_approve": perms.can(request.user, "settlement.approve_plan", plan.case)
            and plan.status == "draft",
        },
    )


# ---- payouts -------------------------------------------------------------------------------


_PAYOUT_ACTIONS = {
    "approve",
    "reject",
    "account",
    "defer",
    "defer_approve",
    "defer_refuse",
    "defer_end",
    "escrow",
    "retry",
}


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def payout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from settlement import services as s

    payout = get_object_or_404(Payout.objects.select_related("case", "panel_decision"), pk=pk)
    if not perms.can(request.user, "settlement.view_case_account", payout.case):
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action", "")
        note = request.POST.get("note", "")
        user = request.user
        try:
            if action not in _PAYOUT_ACTIONS:
                raise DomainError("unknown_action", _("未知操作"))
            if action == "approve":
                s.payout_approve(payout_id=pk, actor=user, note=note)
            elif action == "reject":
                s.payout_reject(payout_id=pk, actor=user, reason=note)
            elif action == "account":
                s.payout_set_account(
                    payout_id=pk,
                    account_no=request.POST.get("account_no", ""),
                    bank=request.POST.get("bank", ""),
                    bic=request.POST.get("bic", ""),
                    actor=user,
                )
            elif action == "defer":
                s.payout_defer_request(
                    payout_id=pk, reason=request.POST.get("reason", ""), note=note, actor=user
                )
            elif action in ("defer_approve", "defer_refuse"):
                s.payout_defer_decide(
                    payout_id=pk, approve=action == "defer_approve", actor=user, note=note
                )
            elif action == "defer_end":
                s.payout_deferral_end(payout_id=pk, ended_at=clock.now(), actor=user)
            elif action == "escrow":
                s.payout_escrow(
                    payout_id=pk,
                    ground=request.POST.get("ground", ""),
                    evidence=request.POST.get("evidence", ""),
                    escrow_body=request.POST.get("body", ""),
                    fee_fen=parse_yuan(request.POST.get("fee") or "0"),
                    actor=user,
                )
            elif action == "retry":
                s.payout_retry(payout_id=pk, actor=user)
            messages.success(request, _("已办理。"))
        except DomainError as exc:
            _fail(request, exc)
        return redirect("settlement:payout_detail", pk)
    from core.models import Deadline

    return render(
        request,
        "settlement/payout.html",
        {
            "payout": payout,
            "approvals": payout.approvals.select_related("actor"),
            "deadlines": Deadline.objects.filter(
                subject=f"case:{payout.case_id}/payout:{payout.pk}"
            ).order_by("-pk"),
            "deferral_reasons": Payout.DeferralReason.choices,
            "escrow_grounds": Payout.EscrowGround.choices,
        },
    )


# ---- receipts ------------------------------------------------------------------------------


@login_required
@require_POST
@write_rate_limited("settlement.write")
def receipt_claim(request: HttpRequest, pk: int) -> HttpResponse:
    from cases.models import Case
    from settlement.services import receipt_claim as claim

    _staff_or_404(request)
    number = (request.POST.get("case_number") or "").strip()
    case = Case.objects.filter(court_id=request.user.court_id, number=number).first()
    if case is None:
        messages.error(request, _("未找到案号为“%(n)s”的本院案件") % {"n": number})
        return redirect("settlement:dashboard")
    try:
        r = claim(
            receipt_id=pk, case_id=case.pk, actor=request.user, note=request.POST.get("note", "")
        )
        messages.success(
            request,
            _("已认领至 %(n)s。") % {"n": case.number}
            + (_("（逾期认领，已标记）") if r.claimed_late else ""),
        )
    except DomainError as exc:
        _fail(request, exc)
    return redirect("settlement:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def receipts_import(request: HttpRequest) -> HttpResponse:
    from settlement.services import receipts_import_csv

    court_id = _staff_or_404(request)
    if request.user.role != "finance":
        raise Http404
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择银行流水文件（CSV）"))
        else:
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030", errors="replace")
            result = receipts_import_csv(court_id=court_id, text=text, actor=request.user)
    return render(request, "settlement/receipts_import.html", {"result": result})


# ---- reconciliation ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def reconcile_view(request: HttpRequest) -> HttpResponse:
    from settlement.gateway import default_gateway_name
    from settlement.reconcile import describe, month_bounds, reconcile, statement_from_csv

    court_id = _staff_or_404(request)
    if request.user.role != "finance":
        raise Http404
    run = None
    if request.method == "POST":
        source = request.POST.get("source") or default_gateway_name()
        try:
            if request.POST.get("month"):
                start, end = month_bounds(request.POST["month"])
            else:
                start = end = dt.date.fromisoformat(
                    request.POST.get("day") or clock.today().isoformat()
                )
            upload = request.FILES.get("file")
            lines = statement_from_csv(upload.read().decode("utf-8-sig")) if upload else None
            if lines is None and source in ("bank", "adyen"):
                raise DomainError("statement_required", _("银行和 Adyen 对账须上传对账单"))
            run = reconcile(
                court=court_id, source=source, start=start, end=end, lines=lines, actor=request.user
            )[1]
        except (ValueError, DomainError) as exc:
            messages.error(request, str(getattr(exc, "message", exc)))
    runs = ReconciliationRun.objects.filter(court_id=court_id)[:20]
    return render(
        request,
        "settlement/reconcile.html",
        {
            "run": run,
            "runs": runs,
            "describe": [describe(d) for d in (run.differences if run else [])],
            "gateway": default_gateway_name(),
            "today": clock.today().isoformat(),
        },
    )


@login_required
def reconcile_run(request: HttpRequest, pk: int) -> HttpResponse:
    from settlement.reconcile import describe

    court_id = _staff_or_404(request)
    run = get_object_or_404(ReconciliationRun, pk=pk, court_id=court_id)
    return render(
        request,
        "settlement/reconcile.html",
        {
            "run": run,
            "runs": ReconciliationRun.objects.filter(court_id=court_id)[:20],
            "describe": [describe(d) for d in run.differences],
            "readonly": True,
        },
    )


# ---- restricted: who paid a deposit (finance only, logged) -------------------------------


@login_required
@require_POST
@write_rate_limited("settlement.write")
def hold_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """REC-05: the payer of a deposit, to the finance role only, with a purpose, in the access log."""
    from core.access import reveal
    from core.models import Role

    hold = get_object_or_404(DepositHold.objects.select_related("case", "intent"), pk=pk)
    if not perms.can(request.user, "settlement.reveal_payer", hold.case):
        raise Http404
    try:
        intents = PaymentIntent.objects.filter(
            ref=hold.ref, purpose=PaymentIntent.Purpose.DEPOSIT
        ).order_by("pk")
        shown = [
            {
                "reference": i.reference,
                "status": i.get_status_display(),
                "amount_fen": i.amount_fen,
                "payer_name": reveal(
                    user=request.user,
                    value=i.payer_name,
                    subject=f"deposit:{hold.ref}",
                    field="payer_name",
                    purpose=request.POST.get("purpose", ""),
                    roles={Role.FINANCE},
                ),
                "payer_ref": i.payer_ref,
            }
            for i in intents
        ]
    except DomainError as exc:
        _fail(request, exc)
        return redirect("settlement:account_detail", hold.case_id)
    return render(request, "settlement/reveal.html", {"hold": hold, "intents": shown})
