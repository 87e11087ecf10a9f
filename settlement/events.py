"""Events settlement publishes upward (docs/contracts.md, section settlement).

Published inside the transaction (others act on them atomically): ``DepositHeld``,
``BalancePaid``, ``BalanceOverdue``. Published after commit (they inform): ``DepositReleased``,
``DepositForfeited``, ``FundsArrived``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class DepositHeld(Event):
    """The gateway confirmed a deposit (or AUC-18 exempted it: ``amount_fen == 0``)."""

    case_id: int
    ref: str
    amount_fen: int


@dataclass(frozen=True)
class DepositReleased(Event):
    """A deposit went back to its payer (refund or cancelled authorisation, AUC-30)."""

    case_id: int
    ref: str
    amount_fen: int


@dataclass(frozen=True)
class DepositForfeited(Event):
    """A defaulter's deposit moved into forfeit suspense (AUC-33)."""

    case_id: int
    ref: str
    amount_fen: int


@dataclass(frozen=True)
class BalancePaid(Event):
    """The buyer's balance (尾款) is fully paid."""

    case_id: int
    sale_ref: str
    amount_fen: int


@dataclass(frozen=True)
class BalanceOverdue(Event):
    """The balance deadline passed unpaid (bidding turns it into a default, AUC-33)."""

    case_id: int
    sale_ref: str


@dataclass(frozen=True)
class FundsArrived(Event):
    """A receipt was credited to a case account (FND-07)."""

    case_id: int
    amount_fen: int
    receipt_id: int
