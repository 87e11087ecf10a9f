"""The buyer's balance (尾款): due, paid, settled into the case account, or overdue (AUC-31, 33)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from core import clock
from core.audit import audit_record
from core.deadlines import deadline_close, deadline_open
from core.errors import Conflict, DomainError, NotFound
from core.events import publish
from core.models import Deadline, Role, User
from core.notifications import text
from core.rulesettings import get_setting
from core.types import Actor
from settlement import accountno, ledger, locks
from settlement.events import BalanceOverdue, BalancePaid
from settlement.gateway import default_gateway_name, get_gateway
from settlement.models import BalanceDue, GatewayOperation, PaymentIntent, Receipt
from settlement.services._common import (
    case_or_404,
    new_reference,
    queue_operation,
    require_text,
    stream,
)
from settlement.services.accounts import case_account_open, case_ledger_account
from settlement.services.deposits import sale_account

if TYPE_CHECKING:
    from cases.models import Case

log = logging.getLogger("gavel.settlement")


@transaction.atomic
def balance_due(
    *,
    case_id: int,
    sale_ref: str,
    payer_ref: str,
    payer_name: str,
    price_fen: int,
    deposit_applied_fen: int,
    due_at: dt.datetime,
    idempotency_key: str,
    actor: Actor = None,
) -> BalanceDue:
    """Open the buyer's balance with its per-auction deadline (AUC-31 has no default period).

    When the deadline passes unpaid, the worker publishes ``BalanceOverdue``.
    """
    key = ledger.ikey("balance_due", idempotency_key)
    found = BalanceDue.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    sale_ref = require_text(sale_ref, "sale_ref", gettext("成交引用"))
    payer_ref = require_text(payer_ref, "payer_ref", gettext("买受人引用"))
    payer_name = require_text(payer_name, "payer_name", gettext("买受人"))
    ledger.require_amount(price_fen, field="price_fen")
    ledger.require_amount(deposit_applied_fen, allow_zero=True, field="deposit_applied_fen")
    if deposit_applied_fen > price_fen:
        raise DomainError("deposit_above_price", gettext("抵作价款的保证金不得超过成交价"))
    if not isinstance(due_at, dt.datetime) or timezone.is_naive(due_at):
        raise DomainError("invalid_due_at", gettext("缴款期限须为带时区的时间"), rule="AUC-31")
    now = clock.now()
    if due_at <= now:
        raise DomainError("due_in_past", gettext("缴款期限须晚于当前时间"), rule="AUC-31")
    case = case_or_404(case_id)
    case_account_open(case_id=case.pk)
    if BalanceDue.objects.filter(sale_ref=sale_ref).exists():
        raise Conflict("balance_exists", gettext("该成交的余款已登记"), sale_ref=sale_ref)
    due = price_fen - deposit_applied_fen
    try:
        with transaction.atomic():
            bd = BalanceDue.objects.create(
                sale_ref=sale_ref,
                court_id=case.court_id,
                case=case,
                payer_ref=payer_ref,
                payer_name=payer_name,
                price_fen=price_fen,
                deposit_applied_fen=deposit_applied_fen,
                amount_due_fen=due,
                due_at=due_at,
                ledger_account=sale_account(case, sale_ref),
                idempotency_key=key,
                created_at=now,
            )
            bd.payment_reference = accountno.payment_reference(bd.pk)
            bd.save(update_fields=["payment_reference"])
    except IntegrityError:
        return BalanceDue.objects.get(idempotency_key=key)
    deadline_open(
        rule_id="AUC-31",
        title=gettext_noop("买受人缴纳成交余款"),
        subject=f"case:{case.pk}/{sale_ref}",
        start_event="sale",
        started_at=now,
        unit=Deadline.Unit.FIXED,
        due_at=due_at,
        court=case.court_id,
        owner_role=Role.OFFICER,
        alert_only=False,
    )
    audit_record(
        stream=stream(case.pk),
        action="balance.due",
        actor=actor,
        subject=sale_ref,
        after={
            "price_fen": price_fen,
            "deposit_applied_fen": deposit_applied_fen,
            "amount_due_fen": due,
            "due_at": due_at.isoformat(),
            "buyer": payer_name,
            "payment_reference": bd.payment_reference,
        },
        rules=["AUC-31"],
    )
    if due == 0:
        _mark_paid(bd)
    return bd


def _mark_paid(bd: BalanceDue) -> None:
    bd.status = BalanceDue.Status.PAID
    bd.paid_at = clock.now()
    bd.save(update_fields=["status", "paid_at", "paid_fen"])
    deadline_close(
        subject=f"case:{bd.case_id}/{bd.sale_ref}", rule_id="AUC-31", reason="余款已缴清"
    )
    audit_record(
        stream=stream(bd.case_id),
        action="balance.paid",
        subject=bd.sale_ref,
        after={"paid_fen": bd.paid_fen},
        rules=["AUC-31"],
    )
    publish(BalancePaid(case_id=bd.case_id, sale_ref=bd.sale_ref, amount_fen=bd.paid_fen))
    sale_try_settle(bd.sale_ref)


def _require_payable(bd: BalanceDue) -> None:
    if bd.status == BalanceDue.Status.PAID:
        raise Conflict("balance_already_paid", gettext("余款已缴清"), rule="AUC-31")
    if bd.status == BalanceDue.Status.OVERDUE or bd.due_at <= clock.now():
        raise DomainError(
            "balance_overdue", gettext("已超过缴款期限，不能再缴纳余款"), rule="AUC-33"
        )


def _balance_intent(bd: BalanceDue, *, key: str, return_url: str = "") -> PaymentIntent:
    """A gateway payment of what is still due (``pay_url``, the cashier)."""
    found = PaymentIntent.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    gateway_name = default_gateway_name()
    intent = PaymentIntent(
        reference=new_reference("GVL", bd.court_id),
        court_id=bd.court_id,
        case_id=bd.case_id,
        purpose=PaymentIntent.Purpose.BALANCE,
        ref=bd.sale_ref,
        payer_ref=bd.payer_ref,
        payer_name=bd.payer_name,
        amount_fen=bd.amount_due_fen - bd.paid_fen,
        mode=PaymentIntent.Mode.PAY,
        gateway=gateway_name,
        return_url=return_url[:500],
        idempotency_key=key,
        created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            intent.save(force_insert=True)
    except IntegrityError:
        return PaymentIntent.objects.get(idempotency_key=key)
    created = get_gateway(gateway_name).create_payment(
        intent=intent, description=f"成交余款 {bd.payment_reference or bd.sale_ref}"
    )
    intent.pay_url = created.pay_url
    intent.save(update_fields=["pay_url"])
    audit_record(
        stream=stream(bd.case_id),
        action="balance.pay_requested",
        subject=bd.sale_ref,
        after={"amount_fen": intent.amount_fen, "intent": intent.reference},
        rules=["AUC-31"],
    )
    return intent


@transaction.atomic
def balance_pay_request(*, sale_ref: str, idempotency_key: str) -> PaymentIntent:
    """The buyer's payment of the balance (``pay_url``); on confirmation ``BalancePaid``."""
    key = ledger.ikey("balance_pay_request", idempotency_key)
    found = PaymentIntent.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    bd = locks.balance_due_for_update(sale_ref)
    if bd is None:
        raise NotFound("unknown_sale", gettext("未找到该成交的余款记录"), sale_ref=sale_ref)
    _require_payable(bd)
    return _balance_intent(bd, key=key)


@transaction.atomic
def balance_pay_online(*, sale_ref: str, payer_ref: str, return_url: str = "") -> PaymentIntent:
    """「在线支付」: the buyer pays what is still due through the gateway (AUC-31).

    Idempotent: while a payment of the current outstanding amount waits at the cashier, the
    same one is returned (a double click, a reload); after a partial transfer or a cancelled
    payment a new one is made for what is left. Only the buyer (``payer_ref``) may ask.
    """
    bd = locks.balance_due_for_update(sale_ref)
    if bd is None or bd.payer_ref != payer_ref:
        raise NotFound("unknown_sale", gettext("未找到该成交的余款记录"))
    _require_payable(bd)
    intents = PaymentIntent.objects.filter(purpose=PaymentIntent.Purpose.BALANCE, ref=sale_ref)
    waiting = (
        intents.filter(
            status=PaymentIntent.Status.PENDING, amount_fen=bd.amount_due_fen - bd.paid_fen
        )
        .exclude(pay_url="")
        .order_by("-pk")
        .first()
    )
    if waiting is not None:
        return waiting
    key = ledger.ikey("balance_pay_online", f"{sale_ref}:{intents.count() + 1}")
    return _balance_intent(bd, key=key, return_url=return_url)


def balance_credit(
    bd: BalanceDue,
    *,
    amount_fen: int,
    via: str,
    subject: str,
    actor: Actor = None,
    paid_at: dt.datetime | None = None,
) -> int:
    """Money for the balance arrived in the sale's account (``bd`` locked by the caller).

    Partial payments add up; the balance is paid once the sum reaches the amount due, by
    whichever payment gets there first (the row lock serialises them). Returns the excess the
    caller refunds: beyond the amount due, or everything once the balance is paid or overdue,
    or when the money reached the bank (``paid_at``) after the deadline (AUC-33).
    """
    on_time = paid_at is None or paid_at <= bd.due_at  # a transfer: when the bank received it
    accepted = (
        min(amount_fen, bd.amount_due_fen - bd.paid_fen)
        if bd.status == BalanceDue.Status.OPEN and on_time
        else 0
    )
    excess = amount_fen - accepted
    bd.paid_fen += accepted
    bd.refunded_fen += excess
    bd.save(update_fields=["paid_fen", "refunded_fen"])
    audit_record(
        stream=stream(bd.case_id),
        action="balance.payment_received",
        actor=actor,
        subject=bd.sale_ref,
        after={
            "via": via,
            "payment": subject,
            "amount_fen": amount_fen,
            "accepted_fen": accepted,
            "excess_fen": excess,
            "paid_fen": bd.paid_fen,
            "amount_due_fen": bd.amount_due_fen,
            "status": bd.status,
        },
        rules=["AUC-31"],
    )
    if accepted and bd.paid_fen >= bd.amount_due_fen:
        _mark_paid(bd)
    return excess


def balance_confirmed(intent: PaymentIntent, *, psp_reference: str) -> str:
    """The gateway confirmed a balance payment: into the sale's account, then the case's."""
    bd = locks.balance_due_for_update(intent.ref)
    if bd is None:  # pragma: no cover
        raise NotFound("unknown_sale", gettext("未找到余款记录"), sale_ref=intent.ref)
    ledger.transfer(
        court=intent.court_id,
        case=intent.case_id,
        kind="balance_paid",
        idempotency_key=f"intent:{intent.reference}:confirmed",
        source=ledger.gateway_account(court=intent.court_id, gateway=intent.gateway),
        target=bd.ledger_account,
        amount_fen=intent.amount_fen,
        external_ref=psp_reference,
        memo=f"成交余款到账 {bd.sale_ref}",
        ref=bd.sale_ref,
    )
    excess = balance_credit(
        bd, amount_fen=intent.amount_fen, via="online", subject=f"intent:{intent.reference}"
    )
    if not excess:
        return "balance paid"
    # Paid twice, too much, or after the deadline (the sale is in default): send it back.
    if excess == intent.amount_fen:
        intent.status = PaymentIntent.Status.REFUSED
        intent.save(update_fields=["status"])
    queue_operation(
        court_id=intent.court_id,
        case_id=intent.case_id,
        kind=GatewayOperation.Kind.REFUND,
        gateway=intent.gateway,
        amount_fen=excess,
        idempotency_key=f"unwanted:{intent.reference}",
        context="balance_refund",
        subject_ref=bd.sale_ref,
        intent=intent,
        source_account=bd.ledger_account,
        purpose="多缴、重复或逾期缴纳的余款，原路退回",
    )
    audit_record(
        stream=stream(intent.case_id),
        action="balance.unwanted_payment_returned",
        subject=bd.sale_ref,
        after={"amount_fen": excess, "status": bd.status, "via": "online"},
        rules=["AUC-31", "AUC-33"],
    )
    return "unwanted balance payment: returned"


def sale_try_settle(sale_ref: str) -> bool:
    """Once the price is whole (deposit applied + balance paid), settle it into the case account."""
    bd = locks.balance_due_for_update(sale_ref)
    if bd is None or bd.settled_at is not None or bd.status != BalanceDue.Status.PAID:
        return False
    if ledger.balance(bd.ledger_account) < bd.price_fen:
        return False
    ledger.transfer(
        court=bd.court_id,
        case=bd.case_id,
        kind="sale_settle",
        idempotency_key=f"sale:{sale_ref}:settle",
        source=bd.ledger_account,
        target=case_ledger_account(bd.case_id),
        amount_fen=bd.price_fen,
        memo=f"成交价款转入案款账户 {sale_ref}（买受人：{bd.payer_name}）",
        ref=sale_ref,
    )
    bd.settled_at = clock.now()
    bd.save(update_fields=["settled_at"])
    audit_record(
        stream=stream(bd.case_id),
        action="sale.settled",
        subject=sale_ref,
        after={"price_fen": bd.price_fen},
        rules=["FND-06"],
    )
    funds_arrival_deadline(
        case_id=bd.case_id, court_id=bd.court_id, key=f"sale:{sale_ref}", amount_fen=bd.price_fen
    )
    return True


def funds_arrival_deadline(
    *, case_id: int, court_id: int, key: str, amount_fen: int, case: Case | None = None
) -> Deadline:
    """FND-10: accounting, fees, creditor notice and payout within ``payout_days`` of arrival."""
    from settlement.services.receipts import notify_arrival

    days = int(get_setting("payout_days", court=court_id))
    d = deadline_open(
        rule_id="FND-10",
        title=gettext_noop("执行款到账后发放"),
        subject=f"case:{case_id}/funds:{key}",
        start_event="funds_arrived",
        started_at=clock.now(),
        period=days,
        unit=Deadline.Unit.CALENDAR_DAYS,
        court=court_id,
        owner_role=Role.OFFICER,
    )
    notify_arrival(case_id=case_id, amount_fen=amount_fen, key=key, case=case)
    return d


def balances_overdue_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Worker: a balance past its deadline → ``BalanceOverdue`` (published in the transaction,
    so bidding's default and this mark commit together). Safe with several workers.

    It waits ``balance_transfer_grace_hours`` after the deadline first: a transfer made in time
    reaches the books with the next bank statement and still pays the balance (AUC-31/33)."""
    now = now or clock.now()
    rows = list(
        BalanceDue.objects.filter(status=BalanceDue.Status.OPEN, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", "court_id", "due_at")[:limit]
    )
    ids = [
        pk
        for pk, court_id, due_at in rows
        if due_at
        + dt.timedelta(hours=int(get_setting("balance_transfer_grace_hours", court=court_id)))
        <= now
    ]
    n = 0
    for pk in ids:
        try:
            with transaction.atomic():
                bd = (
                    BalanceDue.objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, status=BalanceDue.Status.OPEN)
                    .first()
                )
                if bd is None:
                    continue
                bd.status = BalanceDue.Status.OVERDUE
                bd.overdue_at = now
                bd.save(update_fields=["status", "overdue_at"])
                deadline_close(
                    subject=f"case:{bd.case_id}/{bd.sale_ref}",
                    rule_id="AUC-31",
                    status=Deadline.Status.CANCELLED,
                    reason="逾期未缴，转悔拍处理",
                )
                audit_record(
                    stream=stream(bd.case_id),
                    action="balance.overdue",
                    subject=bd.sale_ref,
                    after={"due_at": bd.due_at.isoformat(), "paid_fen": bd.paid_fen},
                    rules=["AUC-33"],
                )
                publish(BalanceOverdue(case_id=bd.case_id, sale_ref=bd.sale_ref))
                n += 1
        except Exception:
            log.exception("balance overdue for %s failed; retried next sweep", pk)
    return n


# ---- bank transfers quoting the payment reference (AUC-31) ------------------------------------


def balance_for_reference(*, court_id: int, text: str) -> BalanceDue | None:
    """The balance (locked) whose payment reference ``text`` quotes, in this court's books."""
    for ref in accountno.payment_references_in(text):
        bd = (
            BalanceDue.objects.select_for_update()
            .filter(payment_reference=ref, court_id=court_id)
            .first()
        )
        if bd is not None:
            return bd
    return None


def balance_receipt(bd: BalanceDue, receipt: Receipt, *, actor: Actor = None) -> int:
    """A bank receipt, already credited to the sale's account, pays (part of) the balance.

    What it brings beyond the amount due (or all of it once the balance is paid or overdue)
    goes back to the payer's account as a refund payout through the approval chain (FND-12).
    """
    excess = balance_credit(
        bd,
        amount_fen=receipt.amount_fen,
        via="bank_transfer",
        subject=f"receipt:{receipt.pk}",
        actor=actor,
        paid_at=receipt.received_at,
    )
    if excess:
        _refund_transfer(bd, receipt, excess)
    return excess


def _refund_transfer(bd: BalanceDue, receipt: Receipt, excess: int) -> None:
    from settlement.models import Payout
    from settlement.services.payouts import payout_create

    ledger.transfer(
        court=bd.court_id,
        case=bd.case_id,
        kind="balance_excess",
        idempotency_key=f"receipt:{receipt.pk}:excess",
        source=bd.ledger_account,
        target=case_ledger_account(bd.case_id),
        amount_fen=excess,
        memo=f"多缴余款待退还 {bd.payment_reference or bd.sale_ref}",
        ref=bd.sale_ref,
    )
    payout = payout_create(
        case_id=bd.case_id,
        payee_kind=Payout.PayeeKind.REFUND,
        payee_ref=f"receipt:{receipt.pk}",
        payee_name=receipt.payer_name or "原付款人",
        amount_fen=excess,
        purpose=f"成交余款多缴退还（流水号 {receipt.bank_reference}）",
        idempotency_key=f"receipt:{receipt.pk}:refund",
        actor=None,
        payee_account_no=receipt.payer_account,
        _checked=True,
    )
    audit_record(
        stream=stream(bd.case_id),
        action="balance.unwanted_payment_returned",
        subject=bd.sale_ref,
        after={
            "amount_fen": excess,
            "status": bd.status,
            "via": "bank_transfer",
            "payout": f"payout:{payout.pk}",
        },
        rules=["AUC-31", "AUC-33"],
    )


# ---- reminders before the deadline ------------------------------------------------------------


def _buyer(bd: BalanceDue) -> User | None:
    kind, _, pk = bd.payer_ref.partition(":")
    if kind != "user" or not pk.isdigit():
        return None
    return User.objects.filter(pk=int(pk)).first()


def _pay_link() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(str(settings.GAVEL_BALANCE_PAY_PAGE)) + "#wins"
    except NoReverseMatch:
        return ""


def balances_remind(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Worker: remind the buyer ``GAVEL_BALANCE_REMINDER_DAYS`` before the deadline (AUC-31).

    One message per balance and reminder (the notification's unique key), so it is safe to
    run every minute and on several workers; a reminder whose moment passed before the
    balance was opened is skipped (a short period gets only the later ones).
    """
    now = now or clock.now()
    days = sorted({int(d) for d in settings.GAVEL_BALANCE_REMINDER_DAYS}, reverse=True)
    if not days:
        return 0
    from core.money import yuan
    from core.notifications import notify

    horizon = now + dt.timedelta(days=days[0])
    sent = 0
    rows = BalanceDue.objects.filter(
        status=BalanceDue.Status.OPEN, due_at__gt=now, due_at__lte=horizon
    ).order_by("due_at")[:limit]
    for bd in rows:
        due_days = [d for d in days if bd.created_at < bd.due_at - dt.timedelta(days=d) <= now]
        if not due_days:
            continue
        d = min(due_days)
        user = _buyer(bd)
        if user is None:
            continue
        left = yuan(bd.amount_due_fen - bd.paid_fen)
        when = bd.due_at
        queued = notify(
            user=user,
            topic="settlement.balance_reminder",
            subject=text(gettext_lazy("【尾款提醒】请于 %(when)s 前付清成交余款"), when=when),
            body=text(
                gettext_lazy(
                    "您竞得的标的尚有成交余款 %(left)s 元未缴，缴款期限 %(when)s（北京时间）。"
                    "可在“我的账户”在线支付，或转账至本案案款账户并在附言中注明付款参考号 "
                    "%(reference)s。逾期未付清的，保证金不予退还（AUC-33）。"
                ),
                left=left,
                when=when,
                reference=bd.payment_reference,
            ),
            key=f"balance:{bd.sale_ref}:remind:{d}",
            link=_pay_link(),
            court=bd.court_id,
            legal=True,
        )
        sent += 1 if queued else 0
    return sent
