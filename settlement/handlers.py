"""Settlement's own money events queue its documents (issue 16); the worker seals them.

``DepositHeld`` and ``BalancePaid`` are published inside the transaction (the request is
written with the money or not at all); ``DepositReleased`` after commit.
"""

from __future__ import annotations

from core.documents import document_request
from core.events import subscribe
from settlement import documents as docs
from settlement.events import BalancePaid, DepositHeld, DepositReleased


def on_deposit_held(event: DepositHeld) -> None:
    if event.amount_fen > 0:  # a party exempt from the deposit gets no receipt
        document_request(doc_type=docs.DEPOSIT_RECEIPT.code, subject=f"{event.ref}/deposit")


def on_deposit_released(event: DepositReleased) -> None:
    from settlement.models import DepositHold

    if DepositHold.objects.filter(ref=event.ref, held_at__isnull=False, amount_fen__gt=0).exists():
        document_request(doc_type=docs.REFUND_VOUCHER.code, subject=f"{event.ref}/refund")


def on_balance_paid(event: BalancePaid) -> None:
    document_request(doc_type=docs.BALANCE_RECEIPT.code, subject=f"{event.sale_ref}/balance")


def connect() -> None:
    docs.connect()
    subscribe(DepositHeld, on_deposit_held)
    subscribe(DepositReleased, on_deposit_released)
    subscribe(BalancePaid, on_balance_paid)
