"""Settlement pages (zh-hans): thin — parse, check permission, call one service, render.

The court's actions on a case's funds are rows of action tables (``core.court_actions``):
the account page's (``ACCOUNT_ACTIONS``), a plan's, a payout's (``PAYOUT_ACTIONS``) and the
dashboard's receipt claims.

Nothing here shows who paid a deposit (REC-05): deposits appear under their registration
reference; the finance role may reveal a payer with a stated purpose (logged).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cases.models import Case
from core import clock
from core import permissions as perms
from core.court_actions import CourtAction, CourtActions, Submitted, by_ref
from core.documents import documents_of_stream
from core.errors import DomainError
from core.forms import Form, TextField, YuanField
from core.money import yuan
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest
from settlement import selectors, services
from settlement.documents import case_statement_issue
from settlement.exports import statement_csv
from settlement.models import (
    Charge,
    DepositHold,
    DistributionPlan,
    FeeAdvance,
    PaymentIntent,
    PaymentNotice,
    Payout,
    Receipt,
    ReconciliationRun,
    SimPayment,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _fail(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, str(exc.message))


def _case(case_id: int) -> Case:
    return get_object_or_404(Case.objects.select_related("court"), pk=case_id)


def _funds_case(request: HttpRequest, case_id: int) -> Case:
    """A case whose funds the user manages (``settlement.manage_case_funds``); else 404."""
    case = _case(case_id)
    if not perms.can(request.user, "settlement.manage_case_funds", case):
        raise Http404
    return case


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
    from settlement.gateway import simulator_active

    if not simulator_active():
        raise Http404  # the cashier exists only while the simulator is on and the gateway
    payment = SimPayment.objects.filter(token=token).first()
    if payment is None:
        raise Http404
    if request.method == "POST":
        approve = request.POST.get("action") != "cancel"
        simulator.payer_confirm(token=token, approve=approve)
        if str(settings.GAVEL_SIMULATOR_SETTLEMENT) != "delayed":
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
    url = str(row["return_url"] or "") if row else ""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return {"return_url": ""}
    return {"return_url": url, "return_purpose": str(row["purpose"] or "") if row else ""}


@login_required
def sim_statement(request: AuthedRequest) -> HttpResponse:
    """The simulator's daily statement (CSV) for the finance officer's court."""
    from settlement.gateway import simulator_active
    from settlement.simulator import statement_csv

    if not simulator_active():
        raise Http404  # GAVEL_SIMULATOR_ENABLED off (production) or a real gateway set
    _finance_or_404(request)
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or clock.today().isoformat())
    except ValueError as exc:
        raise Http404 from exc
    court_id = request.user.court_id
    if court_id is None:
        raise Http404
    text = statement_csv(court=court_id, start=day, end=day)
    resp = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="simulator-{day.isoformat()}.csv"'
    return resp


# ---- the finance officer's dashboard ---------------------------------------------------------


def _staff_or_404(request: AuthedRequest) -> int:
    if not perms.can(request.user, "settlement.view_funds") or request.user.court_id is None:
        raise Http404
    return request.user.court_id


def _finance_or_404(request: AuthedRequest) -> int:
    """The finance officer's own court (``settlement.run_finance``); anyone else: 404."""
    court = request.user.court
    if court is None or not perms.can(request.user, "settlement.run_finance", court):
        raise Http404
    return court.pk


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
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
def account_detail(request: AuthedRequest, case_id: int) -> HttpResponse:
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
            "forfeits": selectors.forfeits_applied(case.pk),
            "balances": selectors.balances_of_case(case.pk),
            "charges": Charge.objects.filter(case=case),
            "notices": PaymentNotice.objects.filter(case=case).order_by("-issued_at"),
            "payouts": Payout.objects.filter(case=case),
            "plans": DistributionPlan.objects.filter(case=case),
            "advances": FeeAdvance.objects.filter(case=case).order_by("received_at", "pk"),
            "creditors": case.parties.filter(role="creditor").order_by("priority", "pk"),
            "advance_token": uuid.uuid4().hex,
            "can_manage": perms.can(request.user, "settlement.manage_case_funds", case),
            "can_reveal": perms.can(request.user, "settlement.reveal_payer", case),
            "documents": documents_of_stream(f"case:{case.pk}").filter(
                doc_type__startswith="settlement."
            ),
        },
    )


class NoticeForm(Form):
    payer_name = TextField()
    purpose = TextField()
    amount = YuanField(label=gettext_lazy("金额"))


class AdvanceForm(Form):
    """PRC-17: the creditor's advance of an inquiry or appraisal fee, in cash (its bank
    reference) or replaced by an insurer's guarantee (insurer and guarantee number). ``token``
    is the form's own key, so posting it twice records one advance."""

    form = TextField()
    kind = TextField()
    creditor = TextField()
    amount = YuanField(label=gettext_lazy("金额"))
    bank_reference = TextField()
    insurer = TextField()
    guarantee_no = TextField()
    token = TextField()


def _fee_advance(s: Submitted[Case]) -> object:
    d = s.data
    common = {
        "case_id": s.target.pk,
        "kind": d["kind"],
        "creditor_ref": d["creditor"],
        "amount_fen": d["amount"],
        "idempotency_key": f"page:{d['token'] or ''}",
        "actor": s.actor,
    }
    if d["form"] == "guarantee":
        return services.fee_advance_guarantee(
            **common, insurer=d["insurer"], guarantee_no=d["guarantee_no"]
        )
    return services.fee_advance_receive(**common, bank_reference=d["bank_reference"])


#: The officer's actions on a case's account (``settlement.manage_case_funds``).
ACCOUNT_ACTIONS: CourtActions[Case] = CourtActions(
    {
        "advance": CourtAction[Case](
            form=AdvanceForm,
            call=_fee_advance,
            done=gettext_lazy("已登记申请执行人预交的费用（PRC-17）。"),
        ),
        "notice": CourtAction[Case](
            form=NoticeForm,
            call=lambda s: services.payment_notice_issue(
                case_id=s.target.pk,
                payer_name=s.data["payer_name"],
                purpose=s.data["purpose"],
                amount_fen=s.data["amount"],
                actor=s.actor,
            ),
            done=gettext_lazy("缴款通知书已出具。"),
            then=lambda _case, notice: reverse("settlement:notice_detail", args=[notice.token]),
        ),
        "statement": CourtAction[Case](
            call=lambda s: case_statement_issue(case_id=s.target.pk, actor=s.actor),
            done=gettext_lazy("已出具盖章的案款账户对账单。"),
        ),
        "plan": CourtAction[Case](
            call=lambda s: services.distribution_plan_draft(case_id=s.target.pk, actor=s.actor),
            done=gettext_lazy("已起草分配方案，请核对后提交审批。"),
            then=lambda _case, plan: reverse("settlement:plan_detail", args=[plan.pk]),
        ),
    },
    page=lambda case: reverse("settlement:account_detail", args=[case.pk]),
    subject=lambda case: case.number,
)


@login_required
@require_POST
@write_rate_limited("settlement.write")
def notice_issue(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _funds_case(request, case_id)
    return ACCOUNT_ACTIONS.post(request, "notice", case)


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
def statement_issue(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Seal today's case-account statement (issue 16)."""
    case = _funds_case(request, case_id)
    return ACCOUNT_ACTIONS.post(request, "statement", case)


@login_required
@require_POST
@write_rate_limited("settlement.write")
def fee_advance_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    """PRC-17: record a creditor's advance of an inquiry or appraisal fee (or its guarantee)."""
    case = _case(case_id)
    if not perms.can(request.user, "settlement.manage_case_funds", case):
        raise Http404
    return ACCOUNT_ACTIONS.post(request, "advance", case)


@login_required
@require_POST
@write_rate_limited("settlement.write")
def plan_draft(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _funds_case(request, case_id)
    return ACCOUNT_ACTIONS.post(request, "plan", case)


PLAN_ACTIONS: CourtActions[DistributionPlan] = CourtActions(
    {
        "approve": CourtAction[DistributionPlan](
            call=lambda s: services.distribution_plan_approve(plan_id=s.target.pk, actor=s.actor),
            done=gettext_lazy("分配方案已批准，各项款项已进入发放审批。"),
        )
    },
    page=lambda plan: reverse("settlement:plan_detail", args=[plan.pk]),
    subject=by_ref(lambda plan: f"case:{plan.case_id}/plan:{plan.pk}"),
)


def _plan_for(request: HttpRequest, pk: int) -> DistributionPlan:
    """A plan of a case whose account the user may see; else 404."""
    plan = get_object_or_404(DistributionPlan.objects.select_related("case"), pk=pk)
    if not perms.can(request.user, "settlement.view_case_account", plan.case):
        raise Http404
    return plan


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    if request.method == "POST":
        return PLAN_ACTIONS.post(request, "approve", plan)
    return render(
        request,
        "settlement/plan.html",
        {
            "plan": plan,
            "lines": plan.lines.select_related("charge").order_by("seq"),
            "forfeits": selectors.forfeits_applied(plan.case_id),
            "can_approve": perms.can(request.user, "settlement.approve_plan", plan.case)
            and plan.status == "draft",
        },
    )


# ---- payouts -------------------------------------------------------------------------------


class NoteForm(Form):
    note = TextField()


class AccountForm(Form):
    account_no = TextField()
    bank = TextField()
    bic = TextField()


class DeferForm(NoteForm):
    reason = TextField()


class EscrowForm(Form):
    ground = TextField()
    evidence = TextField()
    body = TextField()
    fee = YuanField(label=gettext_lazy("提存费"), required=False)


PayoutAction = CourtAction[Payout]
PayoutCall = Callable[[Submitted[Payout]], Payout]


def _payout_call(service: Callable[..., Payout], **fixed: Any) -> PayoutCall:
    """``s → service(payout_id=…, actor=…, **fixed, **s.data)``: a payout step whose form's
    fields are named as the service's arguments."""

    def call(s: Submitted[Payout]) -> Payout:
        return service(payout_id=s.target.pk, actor=s.actor, **fixed, **s.data)

    return call


def _payout_done(text: StrOrPromise) -> Callable[[Submitted[Payout], object], str]:
    """A message naming the payout and where it now stands (``text`` takes the payee, the
    amount and the new status); read again after the action, whatever the service returned."""

    def done(s: Submitted[Payout], result: object) -> str:
        payout = result if isinstance(result, Payout) else Payout.objects.get(pk=s.target.pk)
        return str(text) % {
            "payee": payout.payee_name,
            "amount": yuan(payout.amount_fen),
            "status": payout.get_status_display(),
        }

    return done


def _approved(s: Submitted[Payout], payout: Payout) -> str:
    if payout.status == Payout.Status.PENDING_FINANCE:
        text = _("已同意发放：%(payee)s ¥%(amount)s，转财务审核（FND-12）。")
    else:
        text = _("财务已审核：%(payee)s ¥%(amount)s，已提交银行付款（%(status)s）。")
    return _payout_done(text)(s, payout)


#: Each signature and step of a payout (FND-10..16); the services check who and when.
PAYOUT_ACTIONS: CourtActions[Payout] = CourtActions(
    {
        "approve": PayoutAction(
            form=NoteForm, call=_payout_call(services.payout_approve), done=_approved
        ),
        "reject": PayoutAction(
            form=NoteForm,
            call=lambda s: services.payout_reject(
                payout_id=s.target.pk, actor=s.actor, reason=s.data["note"]
            ),
            done=_payout_done(
                gettext_lazy("已退回：%(payee)s ¥%(amount)s，款项回到案款账户（%(status)s）。")
            ),
        ),
        "account": PayoutAction(
            form=AccountForm,
            call=_payout_call(services.payout_set_account),
            done=_payout_done(gettext_lazy("已保存%(payee)s的收款账户。")),
        ),
        "defer": PayoutAction(
            form=DeferForm,
            call=_payout_call(services.payout_defer_request),
            done=_payout_done(
                gettext_lazy("已申请暂缓发放：%(payee)s ¥%(amount)s，待审批（%(status)s）。")
            ),
        ),
        "defer_approve": PayoutAction(
            form=NoteForm,
            call=_payout_call(services.payout_defer_decide, approve=True),
            done=_payout_done(
                gettext_lazy("已准许暂缓发放：%(payee)s ¥%(amount)s（%(status)s）。")
            ),
        ),
        "defer_refuse": PayoutAction(
            form=NoteForm,
            call=_payout_call(services.payout_defer_decide, approve=False),
            done=_payout_done(
                gettext_lazy("未准许暂缓发放：%(payee)s ¥%(amount)s（%(status)s）。")
            ),
        ),
        "defer_end": PayoutAction(
            call=lambda s: services.payout_deferral_end(
                payout_id=s.target.pk, ended_at=clock.now(), actor=s.actor
            ),
            done=_payout_done(
                gettext_lazy("暂缓发放已结束：%(payee)s ¥%(amount)s，恢复发放（%(status)s）。")
            ),
        ),
        "escrow": PayoutAction(
            form=EscrowForm,
            call=lambda s: services.payout_escrow(
                payout_id=s.target.pk,
                ground=s.data["ground"],
                evidence=s.data["evidence"],
                escrow_body=s.data["body"],
                fee_fen=s.data["fee"] or 0,
                actor=s.actor,
            ),
            done=_payout_done(gettext_lazy("已办理提存：%(payee)s ¥%(amount)s（%(status)s）。")),
        ),
        "retry": PayoutAction(
            call=_payout_call(services.payout_retry),
            done=_payout_done(
                gettext_lazy("已重新提交银行付款：%(payee)s ¥%(amount)s（%(status)s）。")
            ),
        ),
    },
    page=lambda payout: reverse("settlement:payout_detail", args=[payout.pk]),
    subject=by_ref(lambda payout: f"case:{payout.case_id}/payout:{payout.pk}"),
)


def _payout_for(request: HttpRequest, pk: int) -> Payout:
    """A payout of a case whose account the user may see; else 404."""
    payout = get_object_or_404(Payout.objects.select_related("case", "panel_decision"), pk=pk)
    if not perms.can(request.user, "settlement.view_case_account", payout.case):
        raise Http404
    return payout


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def payout_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    payout = _payout_for(request, pk)
    if request.method == "POST":
        return PAYOUT_ACTIONS.post(request, request.POST.get("action", ""), payout)
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
            "signs_this_step": _signs_this_step(request.user, payout),
        },
    )


def _signs_this_step(user: object, payout: Payout) -> bool:
    """Whether ``user``'s role signs the payout's pending step (FND-12: the leader, then
    finance): the others see no approve button that could only refuse them."""
    from core.models import Role

    roles: tuple[str, ...] = ()
    if payout.status == Payout.Status.PENDING_LEADER:
        roles = (payout.leader_role, Role.BUREAU_HEAD)
    elif payout.status == Payout.Status.PENDING_FINANCE:
        roles = (Role.FINANCE,)
    return getattr(user, "role", None) in roles


# ---- receipts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A claim on the dashboard: receipt ``receipt_id``, by staff of court ``court_id``."""

    receipt_id: int
    court_id: int


class ClaimForm(Form):
    """FND-08: the receipt, and the number of the court's own case it belongs to, or the
    payment reference of the sale whose balance it pays (AUC-31)."""

    case_number = TextField()
    payment_reference = TextField()
    note = TextField()

    def clean(self) -> dict[str, Any]:
        data = dict(super().clean() or {})
        reference = data.get("payment_reference", "").strip()
        if reference:  # the service checks it (check digits, this court's sale)
            return {"case": None, "payment_reference": reference, "note": data.get("note", "")}
        number = data.get("case_number", "").strip()
        court_id = self.target.court_id if isinstance(self.target, Claim) else 0
        case = Case.objects.filter(court_id=court_id, number=number).first()
        if case is None:
            raise ValidationError(
                _("未找到案号为“%(n)s”的本院案件") % {"n": number}, code="unknown_case"
            )
        return {"case": case, "payment_reference": "", "note": data.get("note", "")}


def _claimed(s: Submitted[Claim], receipt: Receipt) -> str:
    late = _("（逾期认领，已标记）") if receipt.claimed_late else ""
    if receipt.balance is not None:
        return (
            _("已认领为成交余款（付款参考号 %(r)s，案号 %(n)s）。")
            % {"r": receipt.balance.payment_reference, "n": receipt.balance.case.number}
            + late
        )
    return _("已认领至 %(n)s。") % {"n": s.data["case"].number} + late


CLAIM_ACTIONS: CourtActions[Claim] = CourtActions(
    {
        "claim": CourtAction[Claim](
            form=ClaimForm,
            call=lambda s: services.receipt_claim(
                receipt_id=s.target.receipt_id,
                case_id=s.data["case"].pk if s.data["case"] is not None else None,
                payment_reference=s.data["payment_reference"],
                actor=s.actor,
                note=s.data["note"],
            ),
            done=_claimed,
            # issue 13: the action ends on the account the receipt now belongs to.
            then=lambda _claim, receipt: (
                reverse("settlement:account_detail", args=[receipt.case_id])
                if getattr(receipt, "case_id", None)
                else reverse("settlement:dashboard")
            ),
        )
    },
    page=lambda _receipt: reverse("settlement:dashboard"),
    subject=by_ref(lambda claim: f"receipt:{claim.receipt_id}"),
)


@login_required
@require_POST
@write_rate_limited("settlement.write")
def receipt_claim(request: AuthedRequest, pk: int) -> HttpResponse:
    return CLAIM_ACTIONS.post(request, "claim", _claim_for(request, pk))


def _claim_for(request: AuthedRequest, pk: int) -> Claim:
    """A claim on receipt ``pk`` by staff of the user's court (else 404)."""
    return Claim(receipt_id=pk, court_id=_staff_or_404(request))


def statement_text(raw: bytes) -> str:
    """A bank statement's text: UTF-8 (with or without BOM), else GB 18030 (the banks' own)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def receipts_import(request: AuthedRequest) -> HttpResponse:
    from settlement.services import receipts_import_csv

    court_id = _finance_or_404(request)
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择银行流水文件（CSV）"))
        else:
            text = statement_text(upload.read())
            result = receipts_import_csv(court_id=court_id, text=text, actor=request.user)
    return render(request, "settlement/receipts_import.html", {"result": result})


# ---- reconciliation ------------------------------------------------------------------------


def reconcile_posted(
    court_id: int,
    *,
    source: str,
    month: str,
    day: str,
    statement: Any,
    actor: Any,
) -> ReconciliationRun:
    """A reconciliation as the finance page asks it: the gateway (default: the site's), a
    month ("2026-11") or a day (default: today), the statement file (a CSV; required for the
    bank and Adyen, and for the simulator when it is off). ``ValueError``: a bad date."""
    from settlement.gateway import default_gateway_name
    from settlement.reconcile import month_bounds, reconcile, statement_from_csv

    source = source or default_gateway_name()
    if month:
        start, end = month_bounds(month)
    else:
        start = end = dt.date.fromisoformat(day or clock.today().isoformat())
    lines = statement_from_csv(statement.read().decode("utf-8-sig")) if statement else None
    # The bank and Adyen need a file; so does the simulator when it is off (production).
    sim_off = source == "simulator" and not settings.GAVEL_SIMULATOR_ENABLED
    if lines is None and (source in ("bank", "adyen") or sim_off):
        raise DomainError("statement_required", _("银行和 Adyen 对账须上传对账单"))
    _result, run = reconcile(
        court=court_id, source=source, start=start, end=end, lines=lines, actor=actor
    )
    assert run is not None  # saved (``save`` defaults to True)
    return run


@login_required
@require_http_methods(["GET", "POST"])
@write_rate_limited("settlement.write")
def reconcile_view(request: AuthedRequest) -> HttpResponse:
    from settlement.gateway import default_gateway_name
    from settlement.reconcile import describe

    court_id = _finance_or_404(request)
    run = None
    if request.method == "POST":
        try:
            run = reconcile_posted(
                court_id,
                source=request.POST.get("source", ""),
                month=request.POST.get("month", ""),
                day=request.POST.get("day", ""),
                statement=request.FILES.get("file"),
                actor=request.user,
            )
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
def reconcile_run(request: AuthedRequest, pk: int) -> HttpResponse:
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


def hold_for_reveal(request: HttpRequest, pk: int) -> DepositHold:
    """A deposit whose payer the user may see (``settlement.reveal_payer``); else 404."""
    hold = get_object_or_404(DepositHold.objects.select_related("case", "intent"), pk=pk)
    if not perms.can(request.user, "settlement.reveal_payer", hold.case):
        raise Http404
    return hold


def payers_revealed(hold: DepositHold, user: Any, purpose: str) -> list[dict[str, Any]]:
    """REC-05: the deposit's payment intents with the payer's name, each reveal logged with
    its purpose (``core.access.reveal``; finance only, a purpose required)."""
    from core.access import reveal
    from core.models import Role

    intents = PaymentIntent.objects.filter(
        ref=hold.ref, purpose=PaymentIntent.Purpose.DEPOSIT
    ).order_by("pk")
    return [
        {
            "reference": i.reference,
            "status": i.get_status_display(),
            "amount_fen": i.amount_fen,
            "payer_name": reveal(
                user=user,
                value=i.payer_name,
                subject=f"deposit:{hold.ref}",
                field="payer_name",
                purpose=purpose,
                roles={Role.FINANCE},
            ),
            "payer_ref": i.payer_ref,
        }
        for i in intents
    ]


@login_required
@require_POST
@write_rate_limited("settlement.write")
def hold_reveal(request: AuthedRequest, pk: int) -> HttpResponse:
    """REC-05: the payer of a deposit, to the finance role only, with a purpose, in the access log."""
    hold = hold_for_reveal(request, pk)
    try:
        shown = payers_revealed(hold, request.user, request.POST.get("purpose", ""))
    except DomainError as exc:
        _fail(request, exc)
        return redirect("settlement:account_detail", hold.case_id)
    return render(request, "settlement/reveal.html", {"hold": hold, "intents": shown})
