"""HTTP API of settlement, mounted at ``/api/settlement/`` (OpenAPI at ``/api/docs``).

Session sign-in (``django_auth``). Court staff read their own court's case accounts;
finance claims receipts; each payout step is signed by the person whose turn it is (the
service checks). A payer reads the status of their own payment intent. Nothing here shows
who paid a deposit (REC-05). Errors: ``{"code", "message"[, "rule", "data"]}`` with 401
``not_authenticated``, 403 ``forbidden``, 404 ``not_found``, 409 ``already_approved`` /
``payout_not_pending``, 400 ``insufficient_funds`` and the services' other codes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth
from pydantic import StrictInt

from core import permissions as perms
from core.court_api import mount_court_pages
from core.errors import DomainError, NotFound, PermissionDenied
from core.ratelimit import check_write_rate
from core.types import AuthedRequest
from settlement import selectors, services
from settlement.models import PaymentIntent, Payout, Receipt
from settlement.reconcile import month_bounds

if TYPE_CHECKING:
    from cases.models import Case

router = Router(tags=["settlement 执行款"], auth=django_auth)


class AccountOut(Schema):
    case_id: int
    case_number: str
    account_no: str
    bank: str
    account_name: str
    balance_fen: int


class StatementRowOut(Schema):
    at: dt.datetime
    kind: str
    memo: str
    ref: str
    counterpart: str
    in_fen: int
    out_fen: int
    balance_fen: int


class StatementOut(Schema):
    account_no: str
    opening_fen: int
    closing_fen: int
    rows: list[StatementRowOut]


class ReceiptOut(Schema):
    id: int
    received_at: dt.datetime
    bank_reference: str
    payer_name: str
    memo: str
    amount_fen: int
    status: str
    claim_due_at: dt.datetime | None
    claimed_late: bool


class ClaimIn(Schema):
    """The case the receipt belongs to, or the payment reference of the sale whose balance it
    pays (AUC-31); one of the two."""

    case_id: StrictInt | None = None
    payment_reference: str = ""
    note: str = ""


class PayoutOut(Schema):
    id: int
    case_id: int
    payee_name: str
    payee_kind: str
    amount_fen: int
    status: str
    leader_role: str
    created_at: dt.datetime
    paid_at: dt.datetime | None


class NoteIn(Schema):
    note: str = ""


class IntentOut(Schema):
    reference: str
    purpose: str
    amount_fen: int
    status: str
    pay_url: str


def _case(request: AuthedRequest, case_id: int) -> Case:
    from cases.models import Case

    case = Case.objects.select_related("court").filter(pk=case_id).first()
    if case is None or not perms.can(request.user, "settlement.view_case_account", case):
        raise NotFound("not_found", _("未找到该案款账户"))
    return case


def _court_id(request: AuthedRequest) -> int:
    """The signed-in staff member's court (``settlement.view_funds`` admits court staff only)."""
    court_id = request.user.court_id
    if court_id is None:
        raise PermissionDenied("forbidden", _("无权执行此操作"), perm="settlement.view_funds")
    return court_id


def _payout_out(p: Payout) -> PayoutOut:
    return PayoutOut(
        id=p.pk,
        case_id=p.case_id,
        payee_name=p.payee_name,
        payee_kind=p.payee_kind,
        amount_fen=p.amount_fen,
        status=p.status,
        leader_role=p.leader_role,
        created_at=p.created_at,
        paid_at=p.paid_at,
    )


@router.get("/accounts/{case_id}", response=AccountOut, summary="案款账户（账号、余额）")
def account(request: AuthedRequest, case_id: int) -> AccountOut:
    case = _case(request, case_id)
    acct = services.case_account_open(case_id=case.pk)
    return AccountOut(
        case_id=case.pk,
        case_number=case.number,
        account_no=acct.account_no,
        bank=case.court.master_account_bank,
        account_name=case.court.master_account_name,
        balance_fen=selectors.case_account_balance(case.pk),
    )


@router.get(
    "/accounts/{case_id}/statement", response=StatementOut, summary="案款账户明细（可按月）"
)
def statement(request: AuthedRequest, case_id: int, month: str = "") -> StatementOut:
    case = _case(request, case_id)
    acct = services.case_account_open(case_id=case.pk)
    start = end = None
    if month:
        try:
            start, end = month_bounds(month)
        except (ValueError, TypeError) as exc:
            from core.errors import DomainError

            raise DomainError("invalid_month", _("月份格式应为 YYYY-MM")) from exc
    st = selectors.case_statement(case.pk, start=start, end=end)
    return StatementOut(
        account_no=acct.account_no,
        opening_fen=st["opening_fen"],
        closing_fen=st["closing_fen"],
        rows=[StatementRowOut(**r.__dict__) for r in st["rows"]],
    )


@router.get("/receipts/unidentified", response=list[ReceiptOut], summary="待认领款（FND-08）")
def receipts_unidentified(request: AuthedRequest) -> list[ReceiptOut]:
    perms.require(request.user, "settlement.view_funds")
    return [
        ReceiptOut(
            id=r.pk,
            received_at=r.received_at,
            bank_reference=r.bank_reference,
            payer_name=r.payer_name,
            memo=r.memo,
            amount_fen=r.amount_fen,
            status=r.status,
            claim_due_at=r.claim_due_at,
            claimed_late=r.claimed_late,
        )
        for r in selectors.receipts_to_claim(_court_id(request))[:500]
    ]


@router.post("/receipts/{receipt_id}/claim", response=ReceiptOut, summary="认领款项至案件")
def receipt_claim(request: AuthedRequest, receipt_id: int, payload: ClaimIn) -> ReceiptOut:
    perms.require(request.user, "settlement.view_funds")
    check_write_rate(request, "settlement.write")
    r: Receipt = services.receipt_claim(
        receipt_id=receipt_id,
        case_id=payload.case_id,
        payment_reference=payload.payment_reference,
        actor=request.user,
        note=payload.note,
    )
    return ReceiptOut(
        id=r.pk,
        received_at=r.received_at,
        bank_reference=r.bank_reference,
        payer_name=r.payer_name,
        memo=r.memo,
        amount_fen=r.amount_fen,
        status=r.status,
        claim_due_at=r.claim_due_at,
        claimed_late=r.claimed_late,
    )


@router.get("/payouts", response=list[PayoutOut], summary="待审批及付款中的发放")
def payouts(request: AuthedRequest) -> list[PayoutOut]:
    perms.require(request.user, "settlement.view_funds")
    return [_payout_out(p) for p in selectors.payouts_awaiting(_court_id(request))[:500]]


@router.post(
    "/payouts/{payout_id}/approve", response=PayoutOut, summary="审批发放（按流程轮到的签署人）"
)
def payout_approve(request: AuthedRequest, payout_id: int, payload: NoteIn) -> PayoutOut:
    perms.require(request.user, "settlement.view_funds")
    check_write_rate(request, "settlement.write")
    return _payout_out(
        services.payout_approve(payout_id=payout_id, actor=request.user, note=payload.note)
    )


@router.get("/intents/{reference}", response=IntentOut, summary="我的支付指令状态")
def intent(request: AuthedRequest, reference: str) -> IntentOut:
    found = PaymentIntent.objects.filter(
        reference=reference, payer_ref=f"user:{request.user.pk}"
    ).first()
    if found is None:
        raise NotFound("not_found", _("未找到该支付指令"))
    return IntentOut(
        reference=found.reference,
        purpose=found.purpose,
        amount_fen=found.amount_fen,
        status=found.status,
        pay_url=found.pay_url,
    )


# ---- finance: the pages' uploads and the payer reveal (issue 13: every court page's work) ----


class ImportOut(Schema):
    created: int
    duplicates: int
    matched: int
    unidentified: int
    outgoing: int
    errors: list[tuple[int, str]]


@router.post("/receipts/import", response=ImportOut, summary="导入银行流水（CSV），生成到账记录")
def receipts_import(request: AuthedRequest, file: File[UploadedFile]) -> Any:
    """The finance page ``settlement:receipts_import`` (multipart ``file``): each incoming line
    becomes a receipt once (by its serial number), matched to a case where it can be (FND-08);
    the lines it cannot read are listed in ``errors`` (line, why). Finance of a court only."""
    from settlement import views

    court_id = views._finance_or_404(request)
    check_write_rate(request, "settlement.write")
    return services.receipts_import_csv(
        court_id=court_id, text=views.statement_text(file.read()), actor=request.user
    )


class ReconcileOut(Schema):
    id: int
    source: str
    period_start: dt.date
    period_end: dt.date
    ledger_lines: int
    statement_lines: int
    ledger_total_fen: int
    statement_total_fen: int
    differences: list[dict[str, Any]]


@router.post("/reconcile", response=ReconcileOut, summary="对账（支付渠道或银行对账单）")
def reconcile_run(
    request: AuthedRequest,
    source: Form[str] = "",
    month: Form[str] = "",
    day: Form[str] = "",
    file: File[UploadedFile] | None = None,
) -> Any:
    """The finance page ``settlement:reconcile`` (multipart): ``source`` (simulator | adyen |
    bank; default the site's gateway), ``month`` ("2026-11") or ``day`` (default today), the
    statement ``file`` (required for the bank and Adyen). Errors: ``statement_required``,
    ``invalid_date``."""
    from settlement import views

    court_id = views._finance_or_404(request)
    check_write_rate(request, "settlement.write")
    try:
        return views.reconcile_posted(
            court_id, source=source, month=month, day=day, statement=file, actor=request.user
        )
    except ValueError as exc:
        raise DomainError("invalid_date", _("日期或月份格式有误")) from exc


class PayerRevealIn(Schema):
    purpose: str


class PayerOut(Schema):
    reference: str
    status: str
    amount_fen: int
    payer_name: str
    payer_ref: str


@router.post(
    "/deposits/{hold_id}/reveal", response=list[PayerOut], summary="查看保证金付款人（财务，留痕）"
)
def deposit_payer_reveal(request: AuthedRequest, hold_id: int, payload: PayerRevealIn) -> Any:
    """The account page's payer reveal (``settlement:hold_reveal``, REC-05): finance only,
    with a purpose, each reveal in the access log."""
    from settlement import views

    hold = views.hold_for_reveal(request, hold_id)
    check_write_rate(request, "settlement.write")
    return views.payers_revealed(hold, request.user, payload.purpose)


# ---- court: every action of the court pages (issue 13: each page's action table, by API) ------


def _mount_court_pages() -> None:
    """The finance pages' action tables (``settlement.views``, ``settlement.arrival_views``),
    each with the page's own lookup and permission (``core.court_api``)."""
    from settlement import arrival_views as av
    from settlement import views as v

    mount_court_pages(
        router,
        "settlement.write",
        [
            (
                "/cases/{case_id}/account",
                v.ACCOUNT_ACTIONS,
                v._funds_case,
                "settlement_account",
                "案款账户",
            ),
            (
                "/cases/{case_id}/arrivals",
                av.ARRIVAL_ACTIONS,
                av._arrivals_case,
                "settlement_arrivals",
                "到账与直接支付",
            ),
            ("/plans/{plan_id}", v.PLAN_ACTIONS, v._plan_for, "settlement_plan", "分配方案"),
            ("/payouts/{payout_id}", v.PAYOUT_ACTIONS, v._payout_for, "settlement_payout", "发放"),
            (
                "/receipts/{receipt_id}/claim",
                v.CLAIM_ACTIONS,
                v._claim_for,
                "settlement_claim",
                "认领到账款",
            ),
        ],
    )


_mount_court_pages()
