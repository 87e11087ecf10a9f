"""Settlement services: every write use-case (docs/contracts.md, section settlement).

The contract names are importable from here: ``from settlement.services import deposit_request``.
"""

from settlement.services.accounts import (
    case_account_open,
    case_account_set_gateway,
    payment_notice_issue,
)
from settlement.services.arrivals import (
    cash_receive,
    direct_payment_record,
    field_cash_collect,
    field_cash_hand_over,
    instrument_cleared,
    instrument_formal_notice,
    instrument_receive,
    unclaimed_clearing_run,
)
from settlement.services.balances import (
    balance_due,
    balance_pay_online,
    balance_pay_request,
    balances_overdue_sweep,
    balances_remind,
)
from settlement.services.deposits import (
    deposit_apply,
    deposit_forfeit,
    deposit_forfeit_settle,
    deposit_release,
    deposit_release_schedule,
    deposit_request,
    deposit_required_fen,
    deposits_capture_expiring,
    releases_run_scheduled,
)
from settlement.services.distribution import (
    distribution_plan_approve,
    distribution_plan_draft,
    paid_to_creditor_fen,
)
from settlement.services.fee_advances import (
    fee_advance_cover,
    fee_advance_guarantee,
    fee_advance_pay,
    fee_advance_receive,
)
from settlement.services.fees import fee_charge
from settlement.services.payouts import (
    panel_decision_record,
    payout_approve,
    payout_create,
    payout_defer_decide,
    payout_defer_request,
    payout_deferral_end,
    payout_escrow,
    payout_reject,
    payout_retry,
    payout_set_account,
)
from settlement.services.receipts import receipt_claim, receipt_record, receipts_import_csv

__all__ = [
    "balance_due",
    "balance_pay_online",
    "balance_pay_request",
    "balances_overdue_sweep",
    "balances_remind",
    "case_account_open",
    "case_account_set_gateway",
    "cash_receive",
    "deposit_apply",
    "deposit_forfeit",
    "deposit_forfeit_settle",
    "deposit_release",
    "deposit_release_schedule",
    "deposit_request",
    "deposit_required_fen",
    "deposits_capture_expiring",
    "direct_payment_record",
    "distribution_plan_approve",
    "distribution_plan_draft",
    "fee_advance_cover",
    "fee_advance_guarantee",
    "fee_advance_pay",
    "fee_advance_receive",
    "fee_charge",
    "field_cash_collect",
    "field_cash_hand_over",
    "instrument_cleared",
    "instrument_formal_notice",
    "instrument_receive",
    "paid_to_creditor_fen",
    "panel_decision_record",
    "payment_notice_issue",
    "payout_approve",
    "payout_create",
    "payout_defer_decide",
    "payout_defer_request",
    "payout_deferral_end",
    "payout_escrow",
    "payout_reject",
    "payout_retry",
    "payout_set_account",
    "receipt_claim",
    "receipt_record",
    "receipts_import_csv",
    "releases_run_scheduled",
    "unclaimed_clearing_run",
]
