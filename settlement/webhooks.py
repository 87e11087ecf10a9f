"""Gateway webhooks: verify, store under a unique key, answer ``[accepted]``; process later.

``webhook_receive`` is the one entry point: the HTTP view calls it with the raw body, and the
bank simulator delivers through it too. Each NotificationRequestItem is verified with
``Adyen.util.is_valid_hmac_notification`` (``is True``: it returns None when the signature is
missing); one bad item refuses the whole delivery (401) and nothing is stored. Stored events
are processed by the worker (``webhooks_process``); duplicates are dropped at storage and
out-of-order events find their rows already settled, so nothing changes twice.
"""

from __future__ import annotations

import binascii
import datetime as dt
import json
import logging
from typing import Any

from Adyen.util import is_valid_hmac_notification, is_valid_hmac_payload
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from core import clock
from core.errors import DomainError
from core.notifications import text
from settlement.gateway import default_gateway_name, get_gateway
from settlement.models import GatewayOperation, PaymentIntent, WebhookEvent
from settlement.services._common import FlagEvent, notify_finance

log = logging.getLogger("gavel.settlement.webhooks")

OPERATION_EVENTS = {
    "CAPTURE",
    "CANCELLATION",
    "REFUND",
    "CANCEL_OR_REFUND",
    "PAYOUT_THIRDPARTY",
    "TRANSFER",
}
FAILURE_EVENTS = {"CAPTURE_FAILED", "REFUND_FAILED", "PAYOUT_DECLINE", "REFUNDED_REVERSED"}
MAX_ATTEMPTS = 5


def _items(body: object) -> list[dict[str, Any]] | None:
    if not isinstance(body, dict) or not isinstance(body.get("notificationItems"), list):
        return None
    out: list[dict[str, Any]] = []
    for wrapper in body["notificationItems"]:
        item = wrapper.get("NotificationRequestItem") if isinstance(wrapper, dict) else None
        if not isinstance(item, dict):
            return None
        out.append(item)
    return out or None


def _verified(item: dict[str, Any], key: str) -> bool:
    try:
        return is_valid_hmac_notification(item, key) is True
    except (ValueError, KeyError, TypeError, binascii.Error):
        return False


def _event_key(gateway: str, code: str, psp: str, success: bool) -> str:
    return f"{gateway}:{code}:{psp}:{'true' if success else 'false'}"


def _store(
    *,
    gateway: str,
    key: str,
    item: dict[str, Any],
    code: str,
    success: bool,
    psp: str,
    original: str,
    merchant_ref: str,
    amount: int | None,
    currency: str,
    event_date: str,
) -> bool:
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                event_key=key[:250],
                gateway=gateway,
                received_at=clock.now(),
                event_code=code[:60],
                psp_reference=psp[:60],
                original_reference=original[:60],
                merchant_reference=merchant_ref[:80],
                success=success,
                amount_minor=amount,
                currency=currency[:3],
                event_date=event_date[:40],
                body=item,
            )
        return True
    except IntegrityError:  # a duplicate delivery (Adyen retries for 30 days): already stored
        return False


def webhook_receive(raw: bytes, *, gateway: str | None = None) -> tuple[int, str]:
    """Verify and store a standard notification. Returns (HTTP status, body)."""
    gw = get_gateway(gateway or default_gateway_name())
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return 400, "invalid json"
    items = _items(body)
    if items is None:
        return 400, "no notification items"
    key = gw.hmac_key()
    if not key or not all(_verified(item, key) for item in items):
        return 401, "invalid signature"
    with transaction.atomic():
        for item in items:
            success = str(item.get("success", "")).lower() == "true"
            amount = item.get("amount") or {}
            value = amount.get("value")
            _store(
                gateway=gw.name,
                key=_event_key(
                    gw.name,
                    str(item.get("eventCode", "")),
                    str(item.get("pspReference", "")),
                    success,
                ),
                item=item,
                code=str(item.get("eventCode", "")),
                success=success,
                psp=str(item.get("pspReference", "")),
                original=str(item.get("originalReference", "") or ""),
                merchant_ref=str(item.get("merchantReference", "")),
                amount=value if isinstance(value, int) and not isinstance(value, bool) else None,
                currency=str(amount.get("currency", "")),
                event_date=str(item.get("eventDate", "")),
            )
    return 200, "[accepted]"


def transfer_webhook_receive(
    raw: bytes, signature: str, *, gateway: str | None = None
) -> tuple[int, str]:
    """Balance Platform transfer webhooks (payouts): HMAC over the raw bytes in a header."""
    gw = get_gateway(gateway or default_gateway_name())
    key = gw.hmac_key()
    try:
        ok = bool(key) and bool(signature) and is_valid_hmac_payload(signature, key, raw)
    except (ValueError, TypeError, binascii.Error):
        ok = False
    if not ok:
        return 401, "invalid signature"
    try:
        body = json.loads(raw.decode("utf-8"))
        data = body["data"]
        status = str(data["status"])
        transfer_id = str(data["id"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        return 400, "invalid body"
    if status not in ("booked", "failed", "returned"):
        return 200, "[accepted]"  # intermediate states change nothing
    amount = data.get("amount") or {}
    success = status == "booked"
    code = "TRANSFER" if status != "returned" else "REFUNDED_REVERSED"
    _store(
        gateway=gw.name,
        key=f"{gw.name}:{code}:{transfer_id}:{status}",
        item=body,
        code=code,
        success=success,
        psp=transfer_id,
        original="",
        merchant_ref=str(data.get("reference", "")),
        amount=amount.get("value") if isinstance(amount.get("value"), int) else None,
        currency=str(amount.get("currency", "")),
        event_date=str(data.get("creationDate", "")),
    )
    return 200, "[accepted]"


def _court_of(ev: WebhookEvent) -> int | None:
    intent = (
        PaymentIntent.objects.filter(reference=ev.merchant_reference)
        .values_list("court_id", flat=True)
        .first()
    )
    if intent:
        return intent
    return (
        GatewayOperation.objects.filter(reference=ev.merchant_reference)
        .values_list("court_id", flat=True)
        .first()
    )


def process_event(ev: WebhookEvent) -> tuple[str, str]:
    """Apply one stored event. Returns (status, note)."""
    from settlement.services.confirmations import (
        intent_confirm,
        operation_confirm,
        operation_reversed,
    )

    code = ev.event_code
    if code == "AUTHORISATION":
        intent = PaymentIntent.objects.filter(reference=ev.merchant_reference).first()
        if intent is None:
            raise FlagEvent("未知的商户订单号")
        if intent.gateway != ev.gateway:
            raise FlagEvent("通知来自另一支付通道")
        note = intent_confirm(
            intent_id=intent.pk,
            success=ev.success,
            psp_reference=ev.psp_reference,
            amount_minor=ev.amount_minor,
            currency=ev.currency,
            reason=str(ev.body.get("reason", "")) if isinstance(ev.body, dict) else "",
        )
        return WebhookEvent.Status.PROCESSED, note
    if code in OPERATION_EVENTS or code in FAILURE_EVENTS:
        op = GatewayOperation.objects.filter(reference=ev.merchant_reference).first()
        if op is None:
            raise FlagEvent("未知的指令编号")
        if op.gateway != ev.gateway:
            raise FlagEvent("通知来自另一支付通道")
        if ev.success and code in OPERATION_EVENTS:
            if ev.currency and ev.currency != op.currency:
                raise FlagEvent(f"币种不符：指令为 {op.currency}，通知为 {ev.currency}")
            if ev.amount_minor is not None and ev.amount_minor != op.amount_fen:
                raise FlagEvent(f"金额不符：指令 {op.amount_fen} 分，通知 {ev.amount_minor} 分")
        reason = str(ev.body.get("reason", "")) if isinstance(ev.body, dict) else ""
        if code in FAILURE_EVENTS:
            if op.status == GatewayOperation.Status.CONFIRMED:
                return WebhookEvent.Status.PROCESSED, operation_reversed(
                    op_id=op.pk, reason=reason or code
                )
            return WebhookEvent.Status.PROCESSED, operation_confirm(
                op_id=op.pk, success=False, psp_reference=ev.psp_reference, reason=reason or code
            )
        return WebhookEvent.Status.PROCESSED, operation_confirm(
            op_id=op.pk, success=ev.success, psp_reference=ev.psp_reference, reason=reason
        )
    return WebhookEvent.Status.IGNORED, f"事件 {code} 无需处理"


def webhooks_process(*, limit: int = 200) -> int:
    """Worker: process stored events oldest first; each once (row lock + idempotent services)."""
    done = 0
    for _ in range(limit):
        with transaction.atomic():
            now = clock.now()
            ev = (
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(status=WebhookEvent.Status.RECEIVED, processed_at__isnull=True)
                .order_by("pk")
                .first()
            )
            if ev is None:
                ev = (
                    WebhookEvent.objects.select_for_update(skip_locked=True)
                    .filter(status=WebhookEvent.Status.RECEIVED, processed_at__lte=now)
                    .order_by("pk")
                    .first()
                )
            if ev is None:
                break
            ev.attempts += 1
            try:
                with transaction.atomic():
                    status, note = process_event(ev)
            except FlagEvent as flag:
                status, note = WebhookEvent.Status.FLAGGED, flag.note
                court = _court_of(ev)
                if court:
                    notify_finance(
                        court_id=court,
                        topic="settlement.webhook_flagged",
                        subject=text(
                            gettext_lazy("【通道通知需核对】%(code)s"), code=ev.event_code
                        ),
                        body=text(
                            gettext_lazy("通道通知 %(psp)s（%(merchant)s）：%(note)s"),
                            psp=ev.psp_reference,
                            merchant=ev.merchant_reference,
                            note=flag.note,
                        ),
                        key=f"webhook:{ev.pk}:flag",
                    )
            except DomainError as exc:
                status, note = WebhookEvent.Status.FLAGGED, str(exc.message)
            except Exception as exc:  # a handler failed: retry later, give up after MAX_ATTEMPTS
                log.exception("webhook %s failed", ev.event_key)
                if ev.attempts >= MAX_ATTEMPTS:
                    status, note = WebhookEvent.Status.FAILED, str(exc)[:500]
                else:
                    ev.processed_at = now + dt.timedelta(seconds=min(600, 5 * 2**ev.attempts))
                    ev.note = f"重试中：{exc}"[:500]
                    ev.save(update_fields=["attempts", "processed_at", "note"])
                    continue
            ev.status = status
            ev.note = note[:500]
            ev.processed_at = now
            ev.save(update_fields=["status", "note", "processed_at", "attempts"])
            done += 1
    return done
