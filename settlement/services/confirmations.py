"""What the gateway tells us: payments confirmed, operations confirmed or failed; and the
outbox worker that sends queued operations with their idempotency keys.

Every function here is idempotent by state: a duplicate or late confirmation finds the row
already settled and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy

from core import clock
from core.audit import audit_record
from core.deadlines import deadline_close
from core.events import publish_on_commit
from core.notifications import text
from core.rulesettings import get_setting
from settlement import ledger, locks
from settlement.events import DepositReleased
from settlement.gateway import get_gateway, send_operation
from settlement.models import DepositHold, GatewayOperation, PaymentIntent
from settlement.services._common import FlagEvent, notify_finance, stream

log = logging.getLogger("gavel.settlement")
Op = GatewayOperation.Kind
MAX_SEND_ATTEMPTS = 8


@transaction.atomic
def intent_confirm(
    *,
    intent_id: int,
    success: bool,
    psp_reference: str,
    amount_minor: int | None,
    currency: str,
    reason: str = "",
) -> str:
    """AUTHORISATION for one of our payment intents."""
    intent = locks.intent_for_update(intent_id)
    S = PaymentIntent.Status
    if intent.status not in (S.PENDING, S.FAILED):
        return "duplicate: intent already confirmed"
    if not success:
        if intent.status == S.PENDING:
            intent.status = S.FAILED
            intent.psp_reference = psp_reference or intent.psp_reference
            intent.save(update_fields=["status", "psp_reference"])
            if intent.purpose == PaymentIntent.Purpose.DEPOSIT:
                DepositHold.objects.filter(
                    ref=intent.ref, intent=intent, status=DepositHold.Status.REQUESTED
                ).update(status=DepositHold.Status.FAILED)
            audit_record(
                stream=stream(intent.case_id),
                action="payment.failed",
                subject=intent.ref,
                after={"intent": intent.reference, "reason": reason[:200]},
            )
        return "payment failed"
    if currency != intent.currency:
        raise FlagEvent(f"币种不符：支付指令为 {intent.currency}，通道通知为 {currency}")
    if amount_minor != intent.amount_fen:
        raise FlagEvent(f"金额不符：支付指令 {intent.amount_fen} 分，通道通知 {amount_minor} 分")
    now = clock.now()
    intent.psp_reference = psp_reference
    intent.confirmed_at = now
    if intent.mode == PaymentIntent.Mode.AUTHORISE:
        intent.status = S.AUTHORISED
        days = int(get_setting("authorisation_valid_days", court=intent.court_id))
        intent.authorisation_expires_at = now + dt.timedelta(days=days)
    else:
        intent.status = S.PAID
        intent.captured_at = now
    intent.save(
        update_fields=[
            "psp_reference",
            "confirmed_at",
            "status",
            "authorisation_expires_at",
            "captured_at",
        ]
    )
    if intent.purpose == PaymentIntent.Purpose.DEPOSIT:
        from settlement.services.deposits import deposit_confirmed

        return deposit_confirmed(intent, psp_reference=psp_reference)
    from settlement.services.balances import balance_confirmed

    return balance_confirmed(intent, psp_reference=psp_reference)


@transaction.atomic
def operation_confirm(*, op_id: int, success: bool, psp_reference: str, reason: str = "") -> str:
    """CAPTURE / CANCELLATION / REFUND / payout confirmation for one of our operations."""
    op = locks.operation_for_update(op_id)
    St = GatewayOperation.Status
    if op.status in (St.CONFIRMED, St.FAILED):
        return "duplicate: operation already settled"
    now = clock.now()
    if not success:
        op.status = St.FAILED
        op.last_error = (reason or "通道拒绝")[:500]
        op.psp_reference = psp_reference or op.psp_reference
        op.confirmed_at = now
        op.save(update_fields=["status", "last_error", "psp_reference", "confirmed_at"])
        _after_failure(op)
        return "operation failed"
    op.status = St.CONFIRMED
    op.psp_reference = psp_reference or op.psp_reference
    op.confirmed_at = now
    op.save(update_fields=["status", "psp_reference", "confirmed_at"])
    if op.kind == Op.CAPTURE:
        if op.intent_id is None:  # a capture is always queued for its payment intent
            raise RuntimeError(f"capture {op.reference} has no payment intent")
        PaymentIntent.objects.filter(pk=op.intent_id, captured_at__isnull=True).update(
            captured_at=now
        )
        deadline_close(
            subject=f"case:{op.case_id}/{op.subject_ref}/capture", rule_id="AUC-30", reason="已扣款"
        )
        audit_record(
            stream=_stream_of(op),
            action="deposit.captured",
            subject=op.subject_ref,
            after={"amount_fen": op.amount_fen, "psp": op.psp_reference},
            rules=["AUC-30"],
        )
        return "captured"
    # Lock order (locks.py): the business row first, then the ledger accounts.
    hold = (
        locks.deposit_hold_for_update(op.subject_ref)
        if op.context in ("deposit_release", "forfeit_remainder")
        else None
    )
    if op.context == "payout" and op.payout_id is not None:
        locks.payout_for_update(op.payout_id)
    source = op.source_account
    if source is None:  # queue_operation reserves every outgoing amount in an account
        raise RuntimeError(f"gateway operation {op.reference} has no source account")
    # Money left us: from the account it was reserved in, out to the gateway.
    ledger.transfer(
        court=op.court_id,
        case=op.case_id,
        kind=f"{op.context}",
        idempotency_key=f"op:{op.reference}:confirmed",
        source=source,
        target=ledger.gateway_account(court=op.court_id, gateway=op.gateway),
        amount_fen=op.amount_fen,
        external_ref=op.psp_reference,
        memo=f"{op.get_kind_display()} {op.purpose}"[:300],
        ref=op.subject_ref,
    )
    if hold is not None:
        hold.released_fen += op.amount_fen
        if op.context == "deposit_release":
            hold.status = DepositHold.Status.RELEASED
            hold.released_at = now
        hold.save(update_fields=["released_fen", "status", "released_at"])
        deadline_close(
            subject=f"case:{hold.case_id}/{hold.ref}", rule_id="AUC-30", reason="保证金已退还"
        )
        audit_record(
            stream=stream(hold.case_id),
            action="deposit.released",
            subject=hold.ref,
            after={"amount_fen": op.amount_fen, "kind": op.kind},
            rules=["AUC-30"],
        )
        publish_on_commit(
            DepositReleased(case_id=hold.case_id, ref=hold.ref, amount_fen=op.amount_fen)
        )
    elif op.context == "payout":
        from settlement.services.payouts import payout_paid

        payout_paid(op)
    else:
        audit_record(
            stream=_stream_of(op),
            action=f"gateway.{op.context}",
            subject=op.subject_ref,
            after={"amount_fen": op.amount_fen, "kind": op.kind, "psp": op.psp_reference},
        )
    return "confirmed"


@transaction.atomic
def operation_reversed(*, op_id: int, reason: str) -> str:
    """A refund or payout that was confirmed and then failed (REFUND_FAILED): the money is back."""
    op = locks.operation_for_update(op_id)
    from settlement.models import LedgerTransaction

    tx = LedgerTransaction.objects.filter(idempotency_key=f"op:{op.reference}:confirmed").first()
    if tx is None or hasattr(tx, "reversed_by"):
        return "nothing to reverse"
    ledger.reverse(
        tx=tx, idempotency_key=f"op:{op.reference}:reversed", memo=f"通道退回：{reason}"[:300]
    )
    op.status = GatewayOperation.Status.FAILED
    op.last_error = f"确认后被退回：{reason}"[:500]
    op.save(update_fields=["status", "last_error"])
    _after_failure(op, after_confirm=True)
    return "reversed"


def _stream_of(op: GatewayOperation) -> str:
    return stream(op.case_id) if op.case_id else f"system:settlement:{op.court_id}"


def _hold_of(op: GatewayOperation) -> DepositHold:
    """The deposit hold a release or forfeit operation was queued for (``subject_ref``), locked."""
    hold = locks.deposit_hold_for_update(op.subject_ref)
    if hold is None:
        raise RuntimeError(f"gateway operation {op.reference}: no deposit hold {op.subject_ref}")
    return hold


def _after_failure(op: GatewayOperation, *, after_confirm: bool = False) -> None:
    if op.context == "deposit_release":
        hold = _hold_of(op)
        if after_confirm:
            hold.released_fen -= op.amount_fen
        hold.status = DepositHold.Status.HELD
        hold.save(update_fields=["status", "released_fen"])
    elif op.context == "forfeit_remainder" and after_confirm:
        hold = _hold_of(op)
        hold.released_fen -= op.amount_fen
        hold.save(update_fields=["released_fen"])
    elif op.context == "payout":
        from settlement.services.payouts import payout_failed

        payout_failed(op)
    audit_record(
        stream=_stream_of(op),
        action=f"gateway.{op.kind}_failed",
        subject=op.subject_ref or op.reference,
        after={"reference": op.reference, "error": op.last_error},
    )
    notify_finance(
        court_id=op.court_id,
        topic="settlement.gateway_failed",
        subject=text(
            gettext_lazy("【通道指令失败】%(kind)s %(amount)s 元"),
            kind=op.get_kind_display,
            amount=f"{op.amount_fen / 100:.2f}",
        ),
        body=text(
            gettext_lazy("%(purpose)s（%(ref)s）失败：%(error)s。请核实后重新办理。"),
            purpose=op.purpose,
            ref=op.subject_ref,
            error=op.last_error,
        ),
        key=f"op:{op.reference}:failed",
    )


def operations_send(*, limit: int = 50) -> int:
    """Worker: send queued gateway operations, oldest first, each once with its idempotency key."""
    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            now = clock.now()
            op = (
                GatewayOperation.objects.select_for_update(skip_locked=True)
                .filter(status=GatewayOperation.Status.QUEUED)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                .order_by("pk")
                .first()
            )
            if op is None:
                break
            # A refund must wait for the capture queued before it on the same payment.
            if (
                op.intent_id
                and GatewayOperation.objects.filter(
                    intent_id=op.intent_id,
                    pk__lt=op.pk,
                    status__in=[GatewayOperation.Status.QUEUED, GatewayOperation.Status.SENT],
                ).exists()
            ):
                op.next_attempt_at = now + dt.timedelta(seconds=2)
                op.save(update_fields=["next_attempt_at"])
                continue
            if not op.original_psp_reference and op.intent is not None:
                op.original_psp_reference = op.intent.psp_reference
            op.attempts += 1
            try:
                result = send_operation(get_gateway(op.gateway), op)
            except Exception as exc:  # network, gateway 5xx: retry with backoff
                log.warning("gateway operation %s failed to send: %s", op.reference, exc)
                op.last_error = str(exc)[:500]
                if op.attempts >= MAX_SEND_ATTEMPTS:
                    op.status = GatewayOperation.Status.FAILED
                    op.save()
                    _after_failure(op)
                else:
                    op.next_attempt_at = now + dt.timedelta(seconds=min(3600, 2**op.attempts))
                    op.save()
                continue
            op.status = GatewayOperation.Status.SENT
            op.psp_reference = result.psp_reference or op.psp_reference
            op.sent_at = now
            op.save()
            sent += 1
    return sent
