"""Receipts on the master account: matched to a case (FND-02/03) or claimed later (FND-08);
bank statement import (CSV); arrival notices (FND-07)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core import calendar, clock
from core.audit import audit_record
from core.deadlines import deadline_close, deadline_open
from core.errors import DomainError, NotFound, PermissionDenied
from core.events import publish_on_commit
from core.models import Court, Deadline, Role
from core.money import parse_yuan
from core.notifications import text
from core.rulesettings import get_setting
from core.types import Actor
from settlement import accountno, ledger, locks
from settlement.events import FundsArrived
from settlement.models import BalanceDue, CaseAccount, LedgerAccount, PaymentNotice, Receipt
from settlement.services._common import actor_or_none, case_or_404, require_text, stream

if TYPE_CHECKING:
    from cases.models import Case

_CASE_NO = re.compile(r"[（(]\s*(\d{4})\s*[）)]\s*([^\s，,。；;（()）]*?号)")


def _normalise_case_no(year: str, rest: str) -> str:
    return f"（{year}）{rest}"


def case_numbers_in(text: str) -> list[str]:
    return [_normalise_case_no(y, r) for y, r in _CASE_NO.findall(text or "")]


@dataclass(frozen=True)
class Match:
    case: Case | None
    notice: PaymentNotice | None
    note: str
    ledger_account_id: int | None = None


def match_receipt(
    *, court: Court, amount_fen: int, payer_name: str, credited_account_no: str, memo: str
) -> Match:
    """FND-03: with ``strict_three_way_match``, case number, payer and amount must all agree
    (an open payment notice for that payer and amount); otherwise the case number suffices."""
    from cases.models import Case

    case = None
    account = None
    how = ""
    if credited_account_no:
        account = (
            CaseAccount.objects.filter(
                account_no=accountno.clean_master(credited_account_no), court=court
            )
            .select_related("case")
            .first()
        )
        if account is not None:
            case, how = account.case, "收款账号"
    numbers = case_numbers_in(memo)
    by_memo = Case.objects.filter(court=court, number__in=numbers).first() if numbers else None
    if case is not None and by_memo is not None and by_memo.pk != case.pk:
        return Match(None, None, "收款账号与附言案号不一致")
    if case is None and by_memo is not None:
        case, how = by_memo, "附言案号"
    if case is None:
        return Match(None, None, "未能识别案号（账号或附言）")
    own = account.ledger_account_id if account is not None and account.case_id == case.pk else None
    if not get_setting("strict_three_way_match", court=court):
        return Match(case, None, f"按{how}匹配", own)
    notice = (
        PaymentNotice.objects.filter(
            case=case,
            status=PaymentNotice.Status.OPEN,
            payer_name=payer_name.strip(),
            amount_fen=amount_fen,
        )
        .order_by("issued_at")
        .first()
    )
    if notice is None:
        return Match(
            None,
            None,
            f"按{how}识别到案件 {case.number}，但付款人或金额与缴款通知不一致（三要素匹配）",
        )
    return Match(case, notice, f"按{how}、付款人、金额三要素匹配", own)


def notify_arrival(*, case_id: int, amount_fen: int, key: str, case: Case | None = None) -> None:
    """FND-07: tell the officer and the creditors that money arrived (``notify_on_arrival``)."""
    from cases.models import Party
    from core.notifications import notify

    case = case if case is not None and case.pk == case_id else case_or_404(case_id)
    if not get_setting("notify_on_arrival", court=case.court_id):
        return
    users = [case.officer] if case.officer is not None else []
    users += [
        p.user
        for p in Party.objects.filter(case=case, role=Party.Role.CREDITOR, user__isnull=False)
        if p.user is not None
    ]
    for user in users:
        notify(
            user=user,
            topic="settlement.funds_arrived",
            subject=text(gettext_lazy("【执行款到账】%(case)s"), case=case.number),
            body=text(
                gettext_lazy("案件 %(case)s 执行款到账 %(amount)s 元。"),
                case=case.number,
                amount=f"{amount_fen / 100:,.2f}",
            ),
            key=f"arrival:{key}:{user.pk}",
            court=case.court_id,
            legal=True,
        )


def _arrived(receipt: Receipt, case: Case) -> None:
    from settlement.services.balances import funds_arrival_deadline

    publish_on_commit(
        FundsArrived(case_id=case.pk, amount_fen=receipt.amount_fen, receipt_id=receipt.pk)
    )
    funds_arrival_deadline(
        case_id=case.pk,
        court_id=receipt.court_id,
        key=f"receipt:{receipt.pk}",
        amount_fen=receipt.amount_fen,
    )


def _claim_deadline(court: Court, receipt: Receipt) -> Deadline:
    """FND-08: an unidentified receipt is claimed within the court's claim period."""
    unit = get_setting("unidentified_claim_day_unit", court=court)
    return deadline_open(
        rule_id="FND-08",
        title=gettext_noop("待认领款认领"),
        subject=f"court:{court.pk}/receipt:{receipt.pk}",
        start_event="funds_arrived",
        started_at=receipt.received_at,
        period=int(get_setting("unidentified_claim_days", court=court)),
        unit=Deadline.Unit.WORKING_DAYS if unit == "working" else Deadline.Unit.CALENDAR_DAYS,
        court=court,
        owner_role=Role.FINANCE,
    )


def _match_incoming(
    court: Court, *, amount_fen: int, payer_name: str, credited_account_no: str, memo: str
) -> tuple[Match, BalanceDue | None]:
    """AUC-31 first: a transfer quoting a sale's payment reference pays that balance (locked;
    the check digits make a mistyped reference fall through to the FND-03 match and FND-08)."""
    from settlement.services.balances import balance_for_reference

    bd = balance_for_reference(court_id=court.pk, text=memo)
    if bd is not None:
        note = f"按付款参考号 {bd.payment_reference} 匹配成交余款"
        return Match(bd.case, None, note, bd.ledger_account_id), bd
    match = match_receipt(
        court=court,
        amount_fen=amount_fen,
        payer_name=payer_name,
        credited_account_no=credited_account_no,
        memo=memo,
    )
    return match, None


@transaction.atomic
def receipt_record(
    *,
    court_id: int,
    amount_fen: int,
    bank_reference: str,
    received_at: dt.datetime,
    payer_name: str = "",
    payer_account: str = "",
    credited_account_no: str = "",
    memo: str = "",
    currency: str = "CNY",
    source: str = Receipt.Source.BANK,
    idempotency_key: str = "",
    actor: Actor = None,
) -> Receipt:
    """Money arrived on the master account: credit the matched case, else unidentified receipts."""
    bank_reference = require_text(bank_reference, "bank_reference", _("银行流水号"))
    key = ledger.ikey("receipt", idempotency_key or f"{court_id}:{bank_reference}")
    found = Receipt.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    ledger.require_amount(amount_fen)
    ledger.require_currency(currency)
    court = Court.objects.filter(pk=court_id).first()
    if court is None:
        raise NotFound("unknown_court", _("法院不存在"))
    from settlement.services.balances import balance_receipt

    match, bd = _match_incoming(
        court,
        amount_fen=amount_fen,
        payer_name=payer_name or "",
        credited_account_no=credited_account_no or "",
        memo=memo or "",
    )
    now = clock.now()
    receipt = Receipt(
        court=court,
        case=match.case,
        source=source,
        bank_reference=bank_reference,
        idempotency_key=key,
        received_at=received_at,
        amount_fen=amount_fen,
        currency=currency,
        payer_name=payer_name or "",
        payer_account=payer_account or "",
        credited_account_no=credited_account_no or "",
        memo=(memo or "")[:300],
        status=Receipt.Status.MATCHED if match.case else Receipt.Status.UNIDENTIFIED,
        match_note=match.note[:300],
        notice=match.notice,
        balance=bd,
        recorded_at=now,
    )
    try:
        with transaction.atomic():
            receipt.save(force_insert=True)
    except IntegrityError:
        return Receipt.objects.get(idempotency_key=key)
    if match.ledger_account_id is not None:
        target = LedgerAccount.objects.get(pk=match.ledger_account_id)
    elif match.case is not None:
        from settlement.services.accounts import case_ledger_account

        target = case_ledger_account(match.case.pk)
    else:
        target = ledger.account_for(
            court=court,
            kind=LedgerAccount.Kind.UNIDENTIFIED,
            ref=f"receipt:{receipt.pk}",
            name=f"待认领款 {bank_reference}",
        )
    receipt.ledger_account = target
    if match.case is None:
        receipt.claim_due_at = _claim_deadline(court, receipt).due_at
    receipt.save(update_fields=["ledger_account", "claim_due_at"])
    ledger.transfer(
        court=court,
        case=match.case,
        kind="receipt",
        idempotency_key=key,
        source=ledger.bank_account(court=court),
        target=target,
        amount_fen=amount_fen,
        external_ref=bank_reference,
        memo=(f"到账 {payer_name} {memo}" if match.case else f"待认领款 {bank_reference}")[:300],
        ref=f"receipt:{receipt.pk}",
        actor=actor_or_none(actor),
    )
    if match.notice is not None:
        PaymentNotice.objects.filter(pk=match.notice.pk).update(status=PaymentNotice.Status.PAID)
    audit_record(
        stream=stream(match.case.pk) if match.case else f"system:settlement:{court.pk}",
        action="receipt.recorded",
        actor=actor,
        subject=f"receipt:{receipt.pk}",
        after={
            "amount_fen": amount_fen,
            "bank_reference": bank_reference,
            "status": receipt.status,
            "match": match.note,
        },
        rules=(["FND-03", "AUC-31"] if bd else ["FND-03"]) if match.case else ["FND-03", "FND-08"],
    )
    if bd is not None:
        balance_receipt(bd, receipt, actor=actor)  # arrival is noticed when the sale settles
    elif match.case is not None:
        _arrived(receipt, match.case)
    return receipt


@transaction.atomic
def receipt_claim(
    *,
    receipt_id: int,
    case_id: int | None = None,
    actor: Actor,
    note: str = "",
    payment_reference: str = "",
) -> Receipt:
    """Claim an unidentified receipt for a case (FND-08). Late claims are accepted but flagged.

    With ``payment_reference`` (a sale's 付款参考号) the receipt pays that buyer's balance
    (AUC-31): partial amounts add up, an excess is refunded.
    """
    if actor is None or actor.role not in (Role.FINANCE, Role.OFFICER, Role.JUDGE):
        raise PermissionDenied("forbidden", _("只有财务人员或承办人员可以认领款项"), rule="FND-08")
    receipt = locks.receipt_for_update(receipt_id)
    if receipt is None or receipt.court_id != actor.court_id:
        raise NotFound("unknown_receipt", _("未找到该笔款项"))
    if receipt.status != Receipt.Status.UNIDENTIFIED:
        raise DomainError("receipt_not_unidentified", _("该笔款项已匹配或已认领"), rule="FND-08")
    bd = None
    if payment_reference.strip():
        bd = _balance_quoted(receipt.court_id, payment_reference)
        case_id = bd.case_id
    if case_id is None:
        raise DomainError("case_required", _("请选择案件或填写付款参考号"), rule="FND-08")
    case = case_or_404(case_id)
    if case.court_id != receipt.court_id:
        raise DomainError("cross_court", _("不能认领到其他法院的案件"), rule="FND-01")
    from settlement.services.accounts import case_ledger_account

    now = clock.now()
    late = receipt.claim_due_at is not None and now > receipt.claim_due_at
    source = receipt.ledger_account
    if source is None:  # receipt_record credits every receipt to an account
        raise RuntimeError(f"receipt {receipt.pk} has no ledger account")
    ledger.transfer(
        court=receipt.court_id,
        case=case,
        kind="receipt_claim",
        idempotency_key=f"receipt:{receipt.pk}:claim",
        source=source,
        target=bd.ledger_account if bd is not None else case_ledger_account(case.pk),
        amount_fen=receipt.amount_fen,
        memo=f"认领款项 {receipt.bank_reference} {receipt.payer_name}"[:300],
        ref=f"receipt:{receipt.pk}",
        actor=actor_or_none(actor),
    )
    receipt.case = case
    receipt.status = Receipt.Status.CLAIMED
    receipt.claimed_at = now
    receipt.claimed_by = actor_or_none(actor)
    receipt.claimed_late = late
    receipt.balance = bd
    receipt.save(
        update_fields=["case", "status", "claimed_at", "claimed_by", "claimed_late", "balance"]
    )
    deadline_close(
        subject=f"court:{receipt.court_id}/receipt:{receipt.pk}",
        rule_id="FND-08",
        actor=actor,
        reason="逾期认领" if late else "已认领",
    )
    audit_record(
        stream=stream(case.pk),
        action="receipt.claimed",
        actor=actor,
        subject=f"receipt:{receipt.pk}",
        after={
            "amount_fen": receipt.amount_fen,
            "late": late,
            "payment_reference": bd.payment_reference if bd is not None else "",
        },
        reason=note,
        rules=["FND-08", "AUC-31"] if bd is not None else ["FND-08"],
    )
    if bd is not None:
        from settlement.services.balances import balance_receipt

        balance_receipt(bd, receipt, actor=actor)
    else:
        _arrived(receipt, case)
    return receipt


def _balance_quoted(court_id: int, text: str) -> BalanceDue:
    from settlement.services.balances import balance_for_reference

    bd = balance_for_reference(court_id=court_id, text=text)
    if bd is None:
        raise DomainError(
            "unknown_payment_reference",
            _("付款参考号不存在或校验位不符，请核对"),
            rule="AUC-31",
        )
    return bd


# ---- bank statement import ------------------------------------------------------------------

_COLUMNS = {
    "交易时间": "at",
    "时间": "at",
    "日期": "at",
    "at": "at",
    "流水号": "reference",
    "reference": "reference",
    "付款人": "payer_name",
    "payer_name": "payer_name",
    "付款账号": "payer_account",
    "payer_account": "payer_account",
    "收款账号": "account_no",
    "account_no": "account_no",
    "金额": "amount",
    "金额(元)": "amount",
    "amount": "amount",
    "币种": "currency",
    "currency": "currency",
    "附言": "memo",
    "摘要": "memo",
    "memo": "memo",
}


def parse_when(text: str) -> dt.datetime:
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=calendar.CST)
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise DomainError("invalid_time", _("时间格式不正确：%(text)s") % {"text": text}) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=calendar.CST)


def read_bank_csv(text: str) -> list[dict[str, str]]:
    """Rows of a bank statement CSV, keyed by our column names; Chinese or English headers."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = list(reader)
    if not rows:
        return []
    header = [_COLUMNS.get(h.strip(), h.strip()) for h in rows[0]]
    missing = {"at", "reference", "amount"} - set(header)
    if missing:
        raise DomainError(
            "csv_header",
            _("对账单缺少列：%(columns)s（需要 交易时间、流水号、金额）")
            % {"columns": "、".join(sorted(missing))},
        )
    return [
        dict(zip(header, (c.strip() for c in r), strict=False))
        for r in rows[1:]
        if any(c.strip() for c in r)
    ]


@dataclass
class ImportResult:
    created: int = 0
    duplicates: int = 0
    matched: int = 0
    unidentified: int = 0
    outgoing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def receipts_import_csv(*, court_id: int, text: str, actor: Actor = None) -> ImportResult:
    """Import a bank statement: each incoming line becomes a receipt (once, by its serial number)."""
    result = ImportResult()
    try:
        rows = read_bank_csv(text)
    except DomainError as exc:
        result.errors.append((1, str(exc.message)))
        return result
    for n, row in enumerate(rows, start=2):
        try:
            amount = parse_yuan(row.get("amount", ""))
            if amount <= 0:
                result.outgoing += 1
                continue
            reference = row.get("reference", "")
            if Receipt.objects.filter(
                idempotency_key=ledger.ikey("receipt", f"{court_id}:{reference}")
            ).exists():
                result.duplicates += 1
                continue
            receipt = receipt_record(
                court_id=court_id,
                amount_fen=amount,
                bank_reference=reference,
                received_at=parse_when(row.get("at", "")),
                payer_name=row.get("payer_name", ""),
                payer_account=row.get("payer_account", ""),
                credited_account_no=row.get("account_no", ""),
                memo=row.get("memo", ""),
                currency=(row.get("currency") or "CNY").upper(),
                actor=actor,
            )
        except DomainError as exc:
            result.errors.append((n, str(exc.message)))
            continue
        result.created += 1
        if receipt.status == Receipt.Status.MATCHED:
            result.matched += 1
        else:
            result.unidentified += 1
    return result
