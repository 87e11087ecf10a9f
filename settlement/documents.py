"""Settlement's court documents (issue 16): receipts, refund vouchers, statements, payouts.

Subjects: ``<deposit ref>/deposit`` (保证金收据), ``<deposit ref>/refund`` (保证金退款凭证),
``<sale ref>/balance`` (余款收据), ``case:<id>/statement:<YYYY-MM-DD>`` (案款账户对账单),
``payout:<id>`` (执行款发放审批单). None is public; the payer or payee reads their own,
the court's staff all of them. REC-05: a deposit receipt names only its payer and the hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext

from cases.models import Case, Party
from core import calendar
from core.documents import DocumentType, Draft, register, rmb_upper
from core.errors import DomainError
from core.models import User
from core.money import yuan
from settlement.models import BalanceDue, CaseAccount, DepositHold, Payout


def _money(fen: int | None) -> dict[str, str]:
    return {"figures": yuan(fen or 0), "upper": rmb_upper(fen or 0)}


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M") if value else ""


def _user_of(ref: str) -> list[User]:
    """``user:12`` → that user; ``party:3`` → the party's user (if any)."""
    kind, _, pk = ref.partition(":")
    if not pk.isdigit():
        return []
    if kind == "user":
        return list(User.objects.filter(pk=int(pk)))
    if kind == "party":
        party = Party.objects.select_related("user").filter(pk=int(pk)).first()
        return [party.user] if party is not None and party.user is not None else []
    return []


def _account_no(case: Case) -> str:
    account = CaseAccount.objects.filter(case=case, party_ref="").first()
    return account.account_no if account is not None else ""


def _hold(subject: str, suffix: str) -> DepositHold:
    ref = subject.removesuffix(suffix)
    hold = DepositHold.objects.select_related("case", "court", "intent").filter(ref=ref).first()
    if hold is None:
        raise DomainError("document_subject", gettext("保证金记录不存在"))
    return hold


def _payer(hold: DepositHold) -> tuple[str, list[User]]:
    if hold.intent is None:
        return "", []
    return hold.intent.payer_name, _user_of(hold.intent.payer_ref)


def build_deposit_receipt(subject: str, params: dict[str, Any]) -> Draft:
    """保证金收据 (AUC-16/AUC-30): the deposit arrived and is held for this registration."""
    hold = _hold(subject, "/deposit")
    if hold.held_at is None:
        raise DomainError("document_deposit_not_held", gettext("保证金尚未到账"))
    payer, readers = _payer(hold)
    return Draft(
        court=hold.court,
        stream=f"case:{hold.case_id}",
        subject_label=f"{hold.case.number} 保证金",
        readers=readers,
        context={
            "case": hold.case,
            "hold": hold,
            "payer": payer,
            "amount": _money(hold.amount_fen),
            "held_at": _local(hold.held_at),
            "reference": hold.intent.reference if hold.intent is not None else "",
        },
    )


def build_refund_voucher(subject: str, params: dict[str, Any]) -> Draft:
    """保证金退款凭证 (AUC-30): the deposit went back to its payer."""
    hold = _hold(subject, "/refund")
    if hold.released_at is None:
        raise DomainError("document_deposit_not_released", gettext("保证金尚未退还"), rule="AUC-30")
    payer, readers = _payer(hold)
    return Draft(
        court=hold.court,
        stream=f"case:{hold.case_id}",
        subject_label=f"{hold.case.number} 保证金退还",
        readers=readers,
        context={
            "case": hold.case,
            "hold": hold,
            "payer": payer,
            "amount": _money(hold.released_fen or hold.amount_fen),
            "held_at": _local(hold.held_at),
            "released_at": _local(hold.released_at),
            "reason": hold.release_reason,
        },
    )


def build_balance_receipt(subject: str, params: dict[str, Any]) -> Draft:
    """余款收据 (AUC-31): the buyer paid the price in full (deposit applied + balance)."""
    due = (
        BalanceDue.objects.select_related("case", "court")
        .filter(sale_ref=subject.removesuffix("/balance"))
        .first()
    )
    if due is None or due.status != BalanceDue.Status.PAID:
        raise DomainError("document_balance_unpaid", gettext("余款尚未付清"), rule="AUC-31")
    return Draft(
        court=due.court,
        stream=f"case:{due.case_id}",
        subject_label=f"{due.case.number} 成交余款",
        readers=_user_of(due.payer_ref),
        context={
            "case": due.case,
            "due": due,
            "price": _money(due.price_fen),
            "deposit": _money(due.deposit_applied_fen),
            "paid": _money(due.paid_fen),
            "paid_at": _local(due.paid_at),
            "account_no": _account_no(due.case),
        },
    )


def build_case_statement(subject: str, params: dict[str, Any]) -> Draft:
    """案款账户对账单 (FND-02): every movement of the case account up to the statement date."""
    from settlement.selectors import case_statement

    head, _, day = subject.partition("/statement:")
    case = Case.objects.select_related("court").filter(pk=int(head.split(":")[1])).first()
    if case is None:
        raise DomainError("document_subject", gettext("案件不存在"))
    end = dt.date.fromisoformat(day)
    statement = case_statement(case.pk, end=end)
    rows = [
        {
            "at": _local(row.at),
            "memo": row.memo or row.kind,
            "counterpart": row.counterpart,
            "in_yuan": yuan(row.in_fen) if row.in_fen else "",
            "out_yuan": yuan(row.out_fen) if row.out_fen else "",
            "balance_yuan": yuan(row.balance_fen),
        }
        for row in statement["rows"]
    ]
    return Draft(
        court=case.court,
        stream=f"case:{case.pk}",
        subject_label=f"{case.number} 案款账户对账单",
        context={
            "case": case,
            "end": end,
            "account_no": statement["account"].account_no if statement["account"] else "",
            "rows": rows,
            "closing": _money(statement["closing_fen"]),
            "total_in": _money(sum(r.in_fen for r in statement["rows"])),
            "total_out": _money(sum(r.out_fen for r in statement["rows"])),
        },
    )


def build_payout_approval(subject: str, params: dict[str, Any]) -> Draft:
    """执行款发放审批单 (FND-10..12): the payout and every signature on it, once paid."""
    payout = (
        Payout.objects.select_related("case", "court")
        .filter(pk=int(subject.removeprefix("payout:")))
        .first()
    )
    if payout is None:
        raise DomainError("document_subject", gettext("发放记录不存在"))
    approvals = [
        {
            "step": a.get_step_display(),
            "who": (a.actor.display_name or a.actor.username) if a.actor is not None else "系统",
            "at": _local(a.at),
            "note": a.note,
        }
        for a in payout.approvals.select_related("actor").order_by("at", "pk")
    ]
    return Draft(
        court=payout.court,
        stream=f"case:{payout.case_id}",
        subject_label=f"{payout.case.number} 发放 {payout.payee_name}",
        readers=_user_of(payout.payee_ref),
        context={
            "case": payout.case,
            "payout": payout,
            "amount": _money(payout.amount_fen),
            "approvals": approvals,
            "paid_at": _local(payout.paid_at),
        },
    )


def _t(code: str, title: str, prefix: str, build: Any, *rules: str) -> DocumentType:
    return DocumentType(
        code=f"settlement.{code}",
        title=title,
        prefix=prefix,
        template=f"settlement/documents/{code}.html",
        build=build,
        rules=rules,
    )


DEPOSIT_RECEIPT = _t("deposit_receipt", "竞买保证金收据", "执保收", build_deposit_receipt, "AUC-16")
REFUND_VOUCHER = _t(
    "refund_voucher", "竞买保证金退款凭证", "执保退", build_refund_voucher, "AUC-30"
)
BALANCE_RECEIPT = _t("balance_receipt", "成交价款收据", "执款收", build_balance_receipt, "AUC-31")
CASE_STATEMENT = _t("case_statement", "案款账户对账单", "执账单", build_case_statement, "FND-02")
PAYOUT_APPROVAL = _t(
    "payout_approval", "执行款发放审批单", "执发审", build_payout_approval, "FND-10", "FND-12"
)
ALL = (DEPOSIT_RECEIPT, REFUND_VOUCHER, BALANCE_RECEIPT, CASE_STATEMENT, PAYOUT_APPROVAL)


def case_statement_issue(*, case_id: int, actor: User | None) -> Any:
    """Seal today's statement of the case account now (the officer's button)."""
    from core import clock
    from core.documents import document_issue

    day = clock.now().astimezone(calendar.CST).date().isoformat()
    return document_issue(
        doc_type=CASE_STATEMENT.code, subject=f"case:{case_id}/statement:{day}", actor=actor
    )


def connect() -> None:
    for doc_type in ALL:
        register(doc_type)
