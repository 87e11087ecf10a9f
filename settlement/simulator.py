"""A local bank that plays the payment provider (no real provider is reachable here).

It hosts a payment page (``pay_url``) where a bidder or buyer confirms a payment, executes
captures, cancellations, refunds and payouts, keeps its own book of money movements (daily
statements), and tells the engine what happened through webhooks signed exactly like Adyen's
(HMAC-SHA256 over the notification item), so the engine's one webhook path runs.

Deployment knobs (Django settings or environment): ``GAVEL_SIMULATOR_SETTLEMENT`` =
``instant`` | ``delayed``, ``GAVEL_SIMULATOR_DELAY_SECONDS`` (delayed mode),
``GAVEL_SIMULATOR_FAILURE_RATE`` (0.0–1.0, each payment or operation fails with this chance),
``GAVEL_SIMULATOR_HMAC_KEY`` (hex; derived from SECRET_KEY when unset),
``GAVEL_SIMULATOR_WEBHOOK_URL`` (deliver over HTTP instead of in-process).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import random
import secrets
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from Adyen.util import generate_notification_sig
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from core import clock
from core.calendar import CST
from core.models import Court
from settlement.gateway import CreatedPayment, SentOperation, StatementLine
from settlement.models import SimEntry, SimPayment, SimWebhook

if TYPE_CHECKING:
    from settlement.models import GatewayOperation, PaymentIntent, Payout

log = logging.getLogger("gavel.settlement.simulator")

MERCHANT_ACCOUNT = "GavelSimulator"


def simulator_hmac_key() -> str:
    key = str(settings.GAVEL_SIMULATOR_HMAC_KEY or "")
    if key:
        return key
    return (
        hashlib.sha256(f"{settings.SECRET_KEY}:gavel-bank-simulator".encode()).hexdigest().upper()
    )


def _failure_rate() -> float:
    try:
        return max(0.0, min(1.0, float(settings.GAVEL_SIMULATOR_FAILURE_RATE or 0)))
    except (TypeError, ValueError):
        return 0.0


def _fails() -> bool:
    rate = _failure_rate()
    return rate > 0 and random.random() < rate


def _delay() -> dt.timedelta:
    if str(settings.GAVEL_SIMULATOR_SETTLEMENT) != "delayed":
        return dt.timedelta(0)
    return dt.timedelta(seconds=float(settings.GAVEL_SIMULATOR_DELAY_SECONDS or 0))


def new_psp_reference() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(16))


def signed_item(
    *,
    event_code: str,
    psp_reference: str,
    merchant_reference: str,
    amount_minor: int,
    currency: str,
    success: bool,
    original_reference: str = "",
    reason: str = "",
    key: str | None = None,
    merchant_account: str = MERCHANT_ACCOUNT,
    event_date: dt.datetime | None = None,
) -> dict[str, Any]:
    """A NotificationRequestItem signed like Adyen's (``Adyen.util`` computes the signature)."""
    item: dict[str, Any] = {
        "amount": {"currency": currency, "value": amount_minor},
        "eventCode": event_code,
        "eventDate": (event_date or clock.now()).astimezone(CST).isoformat(timespec="seconds"),
        "merchantAccountCode": merchant_account,
        "merchantReference": merchant_reference,
        "pspReference": psp_reference,
        "reason": reason,
        "success": "true" if success else "false",
    }
    if original_reference:
        item["originalReference"] = original_reference
    signature = generate_notification_sig(item, key or simulator_hmac_key()).decode()
    item["additionalData"] = {"hmacSignature": signature}
    return item


def notification_body(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "live": "false",
        "notificationItems": [{"NotificationRequestItem": item} for item in items],
    }


def _queue(item: dict[str, Any]) -> SimWebhook:
    return SimWebhook.objects.create(
        body=notification_body(item), deliver_after=clock.now() + _delay()
    )


def _entry(
    payment_court: int, psp: str, merchant_ref: str, code: str, amount_minor: int, currency: str
) -> None:
    SimEntry.objects.create(
        court_id_ref=payment_court,
        at=clock.now(),
        psp_reference=psp,
        merchant_reference=merchant_ref,
        event_code=code,
        amount_minor=amount_minor,
        currency=currency,
    )


class SimulatorGateway:
    name = "simulator"

    def hmac_key(self) -> str:
        return simulator_hmac_key()

    def create_payment(self, *, intent: PaymentIntent, description: str) -> CreatedPayment:
        token = secrets.token_urlsafe(24)
        SimPayment.objects.create(
            court_id_ref=intent.court_id,
            merchant_reference=intent.reference,
            token=token,
            amount_minor=intent.amount_fen,
            currency=intent.currency,
            manual_capture=intent.mode == "authorise",
            description=description[:200],
            created_at=clock.now(),
        )
        return CreatedPayment(pay_url=reverse("settlement:sim_pay", args=[token]), gateway_id=token)

    def _payment(self, psp: str) -> SimPayment | None:
        return SimPayment.objects.select_for_update().filter(psp_reference=psp).first()

    def _answer(
        self,
        *,
        op: GatewayOperation,
        code: str,
        ok: bool,
        reason: str,
        money_minor: int,
        payment: SimPayment | None,
    ) -> SentOperation:
        psp = new_psp_reference()
        if ok and money_minor:
            _entry(op.court_id, psp, op.reference, code, money_minor, op.currency)
        _queue(
            signed_item(
                event_code=code,
                psp_reference=psp,
                merchant_reference=op.reference,
                amount_minor=op.amount_fen,
                currency=op.currency,
                success=ok,
                original_reference=op.original_psp_reference,
                reason="" if ok else reason,
            )
        )
        return SentOperation(psp_reference=psp)

    def capture(self, *, op: GatewayOperation) -> SentOperation:
        p = self._payment(op.original_psp_reference)
        ok = (
            p is not None
            and p.status == SimPayment.Status.AUTHORISED
            and op.amount_fen <= p.amount_minor
        )
        reason = "原交易不存在或未处于冻结状态"
        if ok and _fails():
            ok, reason = False, "模拟银行：扣款失败"
        if ok and p is not None:
            p.status = SimPayment.Status.CAPTURED
            p.captured_minor = op.amount_fen
            p.save(update_fields=["status", "captured_minor"])
        # The money was counted in when it was frozen; capturing moves none on the statement.
        return self._answer(op=op, code="CAPTURE", ok=ok, reason=reason, money_minor=0, payment=p)

    def cancel(self, *, op: GatewayOperation) -> SentOperation:
        p = self._payment(op.original_psp_reference)
        ok = p is not None and p.status == SimPayment.Status.AUTHORISED
        reason = "原交易不存在或已扣款，不能解冻"
        if ok and _fails():
            ok, reason = False, "模拟银行：解冻失败"
        if ok and p is not None:
            p.status = SimPayment.Status.CANCELLED
            p.save(update_fields=["status"])
        return self._answer(
            op=op, code="CANCELLATION", ok=ok, reason=reason, money_minor=-op.amount_fen, payment=p
        )

    def refund(self, *, op: GatewayOperation) -> SentOperation:
        p = self._payment(op.original_psp_reference)
        paid = 0
        if p is not None and p.status in (SimPayment.Status.CAPTURED, SimPayment.Status.REFUNDED):
            paid = (p.captured_minor or p.amount_minor) - p.refunded_minor
        ok = p is not None and 0 < op.amount_fen <= paid
        reason = "原交易不存在、未扣款或退款超过可退金额"
        if ok and _fails():
            ok, reason = False, "模拟银行：退款失败"
        if ok and p is not None:
            p.refunded_minor += op.amount_fen
            if p.refunded_minor >= (p.captured_minor or p.amount_minor):
                p.status = SimPayment.Status.REFUNDED
            p.save(update_fields=["refunded_minor", "status"])
        return self._answer(
            op=op, code="REFUND", ok=ok, reason=reason, money_minor=-op.amount_fen, payment=p
        )

    def payout(self, *, op: GatewayOperation, payout: Payout | None) -> SentOperation:
        ok = bool(payout is not None and payout.payee_account_no)
        reason = "收款账户信息不全"
        if ok and _fails():
            ok, reason = False, "模拟银行：收款行退票"
        return self._answer(
            op=op,
            code="PAYOUT_THIRDPARTY",
            ok=ok,
            reason=reason,
            money_minor=-op.amount_fen,
            payment=None,
        )

    def statement(self, *, court: Court | int, start: dt.date, end: dt.date) -> list[StatementLine]:
        return list(statement_lines(court=court, start=start, end=end))


def _court_id(court: Court | int) -> int:
    return court.pk if isinstance(court, Court) else court


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(start, dt.time(0), tzinfo=CST)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=CST)
    return lo, hi


def statement_lines(*, court: Court | int, start: dt.date, end: dt.date) -> Iterator[StatementLine]:
    lo, hi = _day_bounds(start, end)
    rows = (
        SimEntry.objects.filter(court_id_ref=_court_id(court), at__gte=lo, at__lt=hi)
        .order_by("at", "pk")
        .values_list(
            "at", "psp_reference", "merchant_reference", "event_code", "amount_minor", "currency"
        )
    )
    for at, psp, mref, code, amount, currency in rows.iterator(chunk_size=5000):
        yield StatementLine(
            at=at,
            reference=psp,
            merchant_reference=mref,
            event_code=code,
            amount_fen=amount,
            currency=currency,
        )


@transaction.atomic
def payer_confirm(*, token: str, approve: bool = True) -> SimPayment | None:
    """The payer presses 确认支付 (or 取消) on the simulator's page."""
    from settlement.gateway import simulator_active

    if not simulator_active():
        return None  # never "pay" through the simulator when off or a real gateway is set
    p = SimPayment.objects.select_for_update().filter(token=token).first()
    if p is None or p.status != SimPayment.Status.PENDING:
        return p
    ok = approve and not _fails()
    p.psp_reference = new_psp_reference()
    if ok:
        p.status = SimPayment.Status.AUTHORISED if p.manual_capture else SimPayment.Status.CAPTURED
        if not p.manual_capture:
            p.captured_minor = p.amount_minor
        _entry(
            p.court_id_ref,
            p.psp_reference,
            p.merchant_reference,
            "AUTHORISATION",
            p.amount_minor,
            p.currency,
        )
    else:
        p.status = SimPayment.Status.FAILED
    p.save()
    _queue(
        signed_item(
            event_code="AUTHORISATION",
            psp_reference=p.psp_reference,
            merchant_reference=p.merchant_reference,
            amount_minor=p.amount_minor,
            currency=p.currency,
            success=ok,
            reason="" if ok else ("付款人取消支付" if not approve else "模拟银行：支付失败"),
        )
    )
    return p


def _post_http(url: str, body: bytes) -> int:
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status


def deliver_due(*, limit: int = 100) -> int:
    """Deliver due webhooks (worker task); each delivery goes through the engine's webhook path."""
    from settlement.webhooks import webhook_receive

    url = str(settings.GAVEL_SIMULATOR_WEBHOOK_URL or "")
    delivered = 0
    for _ in range(limit):
        with transaction.atomic():
            hook = (
                SimWebhook.objects.select_for_update(skip_locked=True)
                .filter(delivered_at__isnull=True, deliver_after__lte=clock.now())
                .order_by("deliver_after", "pk")
                .first()
            )
            if hook is None:
                break
            raw = json.dumps(hook.body, ensure_ascii=False).encode()
            try:
                status = (
                    _post_http(url, raw) if url else webhook_receive(raw, gateway="simulator")[0]
                )
            except Exception:
                log.exception("simulator webhook delivery failed")
                status = 599
            hook.attempts += 1
            hook.last_status = status
            if 200 <= status < 300:
                hook.delivered_at = clock.now()
                delivered += 1
            else:
                hook.deliver_after = clock.now() + dt.timedelta(
                    seconds=min(3600, 2 ** min(hook.attempts, 12))
                )
            hook.save()
    return delivered


def statement_csv(*, court: Court | int, start: dt.date, end: dt.date) -> str:
    """The simulator's daily statement in the Gavel statement layout (reconcile --file reads it)."""
    from settlement.reconcile import statement_to_csv

    return statement_to_csv(statement_lines(court=court, start=start, end=end))


def simulate_payment(intent: PaymentIntent, *, approve: bool = True) -> PaymentIntent:
    """For demos and other apps' tests: the payer confirms ``intent`` on the simulator's page,
    then the money loop runs (signed webhook → stored → processed), exactly as in production."""
    from settlement.worker import drain

    token = (
        SimPayment.objects.filter(merchant_reference=intent.reference)
        .values_list("token", flat=True)
        .first()
    )
    if token is None:
        raise ValueError(f"{intent.reference} is not a simulator payment")
    payer_confirm(token=token, approve=approve)
    drain()
    intent.refresh_from_db()
    return intent
