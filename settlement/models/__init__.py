"""Settlement tables: the ledger, case accounts, payments, funds, the gateway simulator."""

from settlement.models.arrivals import Arrival, DirectPayment, UnclaimedClearing
from settlement.models.funds import (
    Charge,
    DistributionLine,
    DistributionPlan,
    ForfeitSettlement,
    PanelDecision,
    PaymentNotice,
    Payout,
    PayoutApproval,
    Receipt,
    ReconciliationRun,
    ShortfallClaim,
)
from settlement.models.ledger import CaseAccount, LedgerAccount, LedgerLeg, LedgerTransaction
from settlement.models.payments import (
    BalanceDue,
    DepositHold,
    GatewayOperation,
    PaymentIntent,
    WebhookEvent,
)
from settlement.models.simulator import SimEntry, SimPayment, SimWebhook

__all__ = [
    "Arrival",
    "BalanceDue",
    "CaseAccount",
    "Charge",
    "DepositHold",
    "DirectPayment",
    "DistributionLine",
    "DistributionPlan",
    "ForfeitSettlement",
    "GatewayOperation",
    "LedgerAccount",
    "LedgerLeg",
    "LedgerTransaction",
    "PanelDecision",
    "PaymentIntent",
    "PaymentNotice",
    "Payout",
    "PayoutApproval",
    "Receipt",
    "ReconciliationRun",
    "ShortfallClaim",
    "SimEntry",
    "SimPayment",
    "SimWebhook",
    "UnclaimedClearing",
    "WebhookEvent",
]
