"""Every row lock of settlement, in one place (Saleor's ``lock_objects`` idea).

Order, everywhere: the business row first (deposit hold, balance due, payout, plan), then
ledger accounts in primary-key order. Two transactions therefore never wait on each other in
opposite orders, and two payouts drawing on one case account serialise on its row.
"""

from __future__ import annotations

from collections.abc import Iterable

from settlement.models import (
    BalanceDue,
    DepositHold,
    DistributionPlan,
    GatewayOperation,
    LedgerAccount,
    PaymentIntent,
    Payout,
    Receipt,
)


def ledger_accounts_for_update(ids: Iterable[int]) -> list[LedgerAccount]:
    return list(
        LedgerAccount.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    )


def deposit_hold_for_update(ref: str) -> DepositHold | None:
    return DepositHold.objects.select_for_update().filter(ref=ref).first()


def balance_due_for_update(sale_ref: str) -> BalanceDue | None:
    return BalanceDue.objects.select_for_update().filter(sale_ref=sale_ref).first()


def intent_for_update(pk: int) -> PaymentIntent:
    return PaymentIntent.objects.select_for_update().get(pk=pk)


def operation_for_update(pk: int) -> GatewayOperation:
    return GatewayOperation.objects.select_for_update().get(pk=pk)


def payout_for_update(pk: int) -> Payout | None:
    return Payout.objects.select_for_update().filter(pk=pk).first()


def plan_for_update(pk: int) -> DistributionPlan | None:
    return DistributionPlan.objects.select_for_update().filter(pk=pk).first()


def receipt_for_update(pk: int) -> Receipt | None:
    return Receipt.objects.select_for_update().filter(pk=pk).first()
