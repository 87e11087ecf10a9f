"""The payment gateway port and the registry of its implementations.

Two real implementations: ``settlement.adyen.AdyenGateway`` (the Adyen library) and
``settlement.simulator.SimulatorGateway`` (a local bank that plays the provider). Choose with
``GAVEL_PAYMENT_GATEWAY`` (``simulator`` by default, or ``adyen``). Every call carries the
operation's idempotency key; results are confirmed later by webhooks, never trusted from the
synchronous answer alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from core.models import Court
    from settlement.models import GatewayOperation, PaymentIntent, Payout


@dataclass(frozen=True)
class CreatedPayment:
    pay_url: str
    gateway_id: str = ""


@dataclass(frozen=True)
class SentOperation:
    psp_reference: str = ""


@dataclass(frozen=True)
class StatementLine:
    """One line of a gateway's or bank's statement: + money in for the court, − money out."""

    at: dt.datetime
    reference: str
    merchant_reference: str
    event_code: str
    amount_fen: int
    currency: str = "CNY"


class PaymentGateway(Protocol):
    name: str

    def hmac_key(self) -> str: ...

    def create_payment(self, *, intent: PaymentIntent, description: str) -> CreatedPayment: ...

    def capture(self, *, op: GatewayOperation) -> SentOperation: ...

    def cancel(self, *, op: GatewayOperation) -> SentOperation: ...

    def refund(self, *, op: GatewayOperation) -> SentOperation: ...

    def payout(self, *, op: GatewayOperation, payout: Payout | None) -> SentOperation: ...

    def statement(
        self, *, court: Court | int, start: dt.date, end: dt.date
    ) -> list[StatementLine]: ...


def send_operation(gateway: PaymentGateway, op: GatewayOperation) -> SentOperation:
    if op.kind == "capture":
        return gateway.capture(op=op)
    if op.kind == "cancel":
        return gateway.cancel(op=op)
    if op.kind == "refund":
        return gateway.refund(op=op)
    if op.kind == "payout":
        return gateway.payout(op=op, payout=op.payout)
    raise ValueError(op.kind)


_factories: dict[str, Callable[[], PaymentGateway]] = {}


def register_gateway(name: str, factory: Callable[[], PaymentGateway]) -> None:
    """Install a gateway factory (tests use this to inject a fake HTTP client into Adyen)."""
    _factories[name] = factory


def unregister_gateway(name: str) -> None:
    _factories.pop(name, None)


def default_gateway_name() -> str:
    return str(settings.GAVEL_PAYMENT_GATEWAY or "simulator")


def simulator_active() -> bool:
    """The bank simulator is enabled (demo, tests) and is the configured gateway."""
    return bool(settings.GAVEL_SIMULATOR_ENABLED) and default_gateway_name() == "simulator"


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = name or default_gateway_name()
    if name in _factories:
        return _factories[name]()
    if name == "simulator":
        if not settings.GAVEL_SIMULATOR_ENABLED:
            raise ImproperlyConfigured(
                "the bank simulator is off (GAVEL_SIMULATOR_ENABLED, on only with DEBUG):"
                " set GAVEL_PAYMENT_GATEWAY=adyen"
            )
        from settlement.simulator import SimulatorGateway

        return SimulatorGateway()
    if name == "adyen":
        from settlement.adyen import AdyenGateway

        return AdyenGateway.from_settings()
    raise ImproperlyConfigured(f"GAVEL_PAYMENT_GATEWAY={name!r}: use 'simulator' or 'adyen'")
