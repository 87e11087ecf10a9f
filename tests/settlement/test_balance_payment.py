"""Paying the balance (尾款) online or by bank transfer quoting the payment reference (AUC-31):
partial payments add up, an overpayment is refunded, reminders before the deadline, and the
balance is paid exactly once whichever payment arrives first."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import DomainError, NotFound
from core.models import AuditEntry, OutboxMessage
from settlement import accountno, ledger
from settlement.models import (
    BalanceDue,
    GatewayOperation,
    LedgerTransaction,
    PaymentIntent,
    Payout,
    Receipt,
)
from settlement.services import (
    balance_due,
    balance_pay_online,
    balances_overdue_sweep,
    balances_remind,
    deposit_apply,
    deposit_request,
    receipt_claim,
    receipt_record,
)
from settlement.services.accounts import case_ledger_account
from tests.conftest import make_user
from tests.settlement.conftest import make_case, pay

pytestmark = pytest.mark.django_db
SALE = "sale-test:9/sale"
REF = "reg-test:9/registration:1"
PRICE = 10_000_000
DEPOSIT = 2_000_000
DUE = PRICE - DEPOSIT


def _won(case, *, payer_ref="user:1", days=10):
    pay(
        deposit_request(
            case_id=case.pk,
            ref=REF,
            payer_ref=payer_ref,
            payer_name="买受人李四",
            amount_fen=DEPOSIT,
            idempotency_key="dep",
        )
    )
    deposit_apply(ref=REF, sale_ref=SALE, idempotency_key="apply")
    return balance_due(
        case_id=case.pk,
        sale_ref=SALE,
        payer_ref=payer_ref,
        payer_name="买受人李四",
        price_fen=PRICE,
        deposit_applied_fen=DEPOSIT,
        due_at=clock.now() + dt.timedelta(days=days),
        idempotency_key="bd",
    )


_serial = iter(range(1, 10_000))


def _transfer(case, amount, memo, *, payer_account="6222000011112222", received_at=None):
    return receipt_record(
        court_id=case.court_id,
        amount_fen=amount,
        bank_reference=f"BK{next(_serial):06d}",
        received_at=received_at or clock.now(),
        payer_name="李四",
        payer_account=payer_account,
        memo=memo,
    )


# ---- the reference ----------------------------------------------------------------------------


def test_payment_reference_carries_iso7064_check_digits_and_a_typo_is_not_read_AUC_31():
    ref = accountno.payment_reference(12)
    assert ref.startswith("WK00000012") and len(ref) == 12
    assert accountno.is_valid(ref)
    spaced = f"尾款 {ref[:2].lower()} {ref[2:6]} {ref[6:10]}-{ref[10:]} 李四"
    assert accountno.payment_references_in(spaced) == [ref]
    typo = ref[:5] + str((int(ref[5]) + 1) % 10) + ref[6:]
    assert accountno.payment_references_in(f"付款 {typo}") == []


def test_balance_due_gives_each_sale_its_own_payment_reference_AUC_31(case, frozen_now):
    bd = _won(case)
    assert bd.payment_reference == accountno.payment_reference(bd.pk)


# ---- bank transfer ----------------------------------------------------------------------------


def test_a_transfer_quoting_the_reference_pays_the_balance_AUC_31(case, frozen_now):
    bd = _won(case)
    receipt = _transfer(case, DUE, f"{case.number} 尾款 {bd.payment_reference}")
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.PAID
    assert bd.paid_fen == DUE
    assert receipt.status == Receipt.Status.MATCHED and receipt.balance_id == bd.pk
    assert "付款参考号" in receipt.match_note
    assert ledger.balance(case_ledger_account(case.pk)) == PRICE  # the price settled (FND-06)
    assert ledger.balance(bd.ledger_account) == 0


def test_a_transfer_with_a_mistyped_reference_is_not_matched_to_the_sale(case, frozen_now):
    bd = _won(case)
    ref = bd.payment_reference or ""
    typo = ref[:-1] + str((int(ref[-1]) + 1) % 10)
    receipt = _transfer(case, DUE, f"尾款 {typo}")
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.OPEN and bd.paid_fen == 0
    assert receipt.status == Receipt.Status.UNIDENTIFIED and receipt.balance_id is None


def test_partial_transfers_add_up_and_the_balance_is_paid_when_the_sum_reaches_it_AUC_31(
    case, frozen_now
):
    bd = _won(case)
    _transfer(case, 3_000_000, f"尾款第一笔 {bd.payment_reference}")
    bd.refresh_from_db()
    assert (bd.status, bd.paid_fen) == (BalanceDue.Status.OPEN, 3_000_000)
    assert ledger.balance(case_ledger_account(case.pk)) == 0  # not settled yet
    _transfer(case, DUE - 3_000_000 - 1, f"尾款第二笔 {bd.payment_reference}")
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.OPEN  # one fen short
    _transfer(case, 1, f"{bd.payment_reference}")
    bd.refresh_from_db()
    assert (bd.status, bd.paid_fen, bd.refunded_fen) == (BalanceDue.Status.PAID, DUE, 0)
    assert ledger.balance(case_ledger_account(case.pk)) == PRICE


def test_an_overpaid_transfer_is_refunded_to_the_payers_account_through_a_payout_AUC_31(
    case, frozen_now
):
    bd = _won(case)
    receipt = _transfer(case, DUE + 50_000, f"尾款 {bd.payment_reference}")
    bd.refresh_from_db()
    assert (bd.status, bd.paid_fen, bd.refunded_fen) == (BalanceDue.Status.PAID, DUE, 50_000)
    refund = Payout.objects.get(payee_ref=f"receipt:{receipt.pk}")
    assert refund.payee_kind == Payout.PayeeKind.REFUND
    assert refund.amount_fen == 50_000
    assert refund.payee_account_no == "6222000011112222"
    assert refund.status == Payout.Status.PENDING_LEADER  # the approval chain sends it (FND-12)
    assert ledger.balance(refund.ledger_account) == 50_000
    assert ledger.balance(case_ledger_account(case.pk)) == PRICE  # the excess is not the case's
    assert ledger.balance(bd.ledger_account) == 0
    assert AuditEntry.objects.filter(
        action="balance.unwanted_payment_returned", subject=SALE
    ).exists()


def test_a_transfer_after_the_balance_went_overdue_is_refunded_in_full_AUC_33(case, frozen_now):
    bd = _won(case, days=2)
    clock.advance(dt.timedelta(days=3))
    balances_overdue_sweep()
    receipt = _transfer(case, DUE, f"尾款 {bd.payment_reference}")
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.OVERDUE and bd.paid_fen == 0
    assert Payout.objects.get(payee_ref=f"receipt:{receipt.pk}").amount_fen == DUE


def test_a_transfer_made_in_time_but_on_the_next_statement_still_pays_AUC_31(case, frozen_now):
    """The statement arrives after the deadline; the sweep waits balance_transfer_grace_hours."""
    bd = _won(case, days=2)
    clock.set_time(bd.due_at + dt.timedelta(hours=10))
    assert balances_overdue_sweep() == 0  # within the grace: not yet a default
    _transfer(case, DUE, f"尾款 {bd.payment_reference}", received_at=bd.due_at)
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.PAID
    clock.set_time(bd.due_at + dt.timedelta(hours=30))
    assert balances_overdue_sweep() == 0


def test_a_transfer_received_after_the_deadline_is_refunded_even_within_the_grace_AUC_33(
    case, frozen_now
):
    bd = _won(case, days=2)
    clock.set_time(bd.due_at + dt.timedelta(hours=2))
    receipt = _transfer(case, DUE, f"尾款 {bd.payment_reference}")
    bd.refresh_from_db()
    assert (bd.status, bd.paid_fen, bd.refunded_fen) == (BalanceDue.Status.OPEN, 0, DUE)
    assert Payout.objects.get(payee_ref=f"receipt:{receipt.pk}").amount_fen == DUE
    clock.set_time(bd.due_at + dt.timedelta(hours=24))
    assert balances_overdue_sweep() == 1


def test_finance_claims_an_unmatched_receipt_against_the_sale_by_its_reference_AUC_31(
    court, frozen_now
):
    finance = make_user("finance", court)
    case = make_case(court)
    bd = _won(case)
    receipt = _transfer(case, DUE, "李四 转账")  # no reference, no case number
    assert receipt.status == Receipt.Status.UNIDENTIFIED
    with pytest.raises(DomainError) as exc:
        receipt_claim(receipt_id=receipt.pk, payment_reference="WK0000000000", actor=finance)
    assert exc.value.code == "unknown_payment_reference"
    claimed = receipt_claim(
        receipt_id=receipt.pk, payment_reference=bd.payment_reference or "", actor=finance
    )
    bd.refresh_from_db()
    assert claimed.status == Receipt.Status.CLAIMED and claimed.balance_id == bd.pk
    assert bd.status == BalanceDue.Status.PAID
    assert ledger.balance(case_ledger_account(case.pk)) == PRICE


# ---- online -----------------------------------------------------------------------------------


def test_pay_online_is_idempotent_while_the_payment_waits_at_the_cashier_AUC_31(case, frozen_now):
    _won(case)
    first = balance_pay_online(sale_ref=SALE, payer_ref="user:1", return_url="/back/")
    again = balance_pay_online(sale_ref=SALE, payer_ref="user:1")
    assert again.pk == first.pk and first.amount_fen == DUE and first.return_url == "/back/"
    pay(first, approve=False)  # the buyer cancels at the cashier
    retry = balance_pay_online(sale_ref=SALE, payer_ref="user:1")
    assert retry.pk != first.pk
    pay(retry)
    bd = BalanceDue.objects.get()
    assert bd.status == BalanceDue.Status.PAID
    with pytest.raises(DomainError) as exc:
        balance_pay_online(sale_ref=SALE, payer_ref="user:1")
    assert exc.value.code == "balance_already_paid"


def test_only_the_buyer_may_pay_the_balance_online(case, frozen_now):
    _won(case)
    with pytest.raises(NotFound):
        balance_pay_online(sale_ref=SALE, payer_ref="user:2")


def test_online_pays_what_is_left_after_a_partial_transfer_AUC_31(case, frozen_now):
    bd = _won(case)
    _transfer(case, 3_000_000, f"尾款 {bd.payment_reference}")
    intent = balance_pay_online(sale_ref=SALE, payer_ref="user:1")
    assert intent.amount_fen == DUE - 3_000_000
    pay(intent)
    bd.refresh_from_db()
    assert (bd.status, bd.paid_fen) == (BalanceDue.Status.PAID, DUE)
    assert ledger.balance(case_ledger_account(case.pk)) == PRICE


def test_an_online_payment_overtaken_by_a_transfer_refunds_the_excess_on_the_gateway_AUC_31(
    case, frozen_now, drain
):
    bd = _won(case)
    intent = balance_pay_online(sale_ref=SALE, payer_ref="user:1")  # the whole balance
    _transfer(case, 3_000_000, f"尾款 {bd.payment_reference}")  # meanwhile, part by transfer
    pay(intent)
    bd.refresh_from_db()
    assert (bd.status, bd.paid_fen, bd.refunded_fen) == (BalanceDue.Status.PAID, DUE, 3_000_000)
    op = GatewayOperation.objects.get(kind=GatewayOperation.Kind.REFUND, intent=intent)
    assert op.amount_fen == 3_000_000
    drain()
    op.refresh_from_db()
    assert op.status == GatewayOperation.Status.CONFIRMED
    assert ledger.balance(bd.ledger_account) == 0
    assert ledger.balance(case_ledger_account(case.pk)) == PRICE


# ---- reminders --------------------------------------------------------------------------------


def test_reminders_go_to_the_buyer_before_the_deadline_once_each_AUC_31(
    court, frozen_now, settings
):
    settings.GAVEL_BALANCE_REMINDER_DAYS = [3, 1]
    buyer = make_user("bidder", court)
    case = make_case(court)
    bd = _won(case, payer_ref=f"user:{buyer.pk}", days=10)
    assert balances_remind() == 0  # ten days left
    clock.set_time(bd.due_at - dt.timedelta(days=3))
    assert balances_remind() == 1
    assert balances_remind() == 0  # idempotent: one message per balance and day
    msgs = OutboxMessage.objects.filter(recipient=buyer, topic="settlement.balance_reminder")
    assert bd.payment_reference and all(bd.payment_reference in m.body for m in msgs)
    assert msgs.exists()
    clock.set_time(bd.due_at - dt.timedelta(hours=20))
    assert balances_remind() == 1
    assert {m.key.split(":remind:")[1].split(":")[0] for m in msgs.all()} == {"3", "1"}


def test_no_reminder_once_paid_and_none_for_a_moment_before_the_balance_opened(
    court, frozen_now, settings
):
    settings.GAVEL_BALANCE_REMINDER_DAYS = [3, 1]
    buyer = make_user("bidder", court)
    case = make_case(court)
    bd = _won(case, payer_ref=f"user:{buyer.pk}", days=2)  # opened inside the 3-day window
    assert balances_remind() == 0
    _transfer(case, DUE, f"{bd.payment_reference}")
    clock.set_time(bd.due_at - dt.timedelta(hours=12))
    assert balances_remind() == 0


# ---- exactly once -----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_online_confirmation_and_transfer_receipt_at_once_pay_the_balance_exactly_once_AUC_31(
    court,
):
    """The gateway confirms the online payment while the bank statement brings a transfer of
    the same balance, each on its own connection: the balance is paid once, the price is
    settled once, and the payment that came second is refunded in full."""
    from settlement.simulator import simulate_payment
    from tests import race

    case = make_case(court)
    bd = _won(case)
    intent = balance_pay_online(sale_ref=SALE, payer_ref="user:1")

    results = race.together(
        lambda: simulate_payment(intent),
        lambda: _transfer(case, DUE, f"尾款 {bd.payment_reference}"),
        reraise=True,
    )
    assert len(results) == 2
    bd.refresh_from_db()
    assert (bd.status, bd.paid_fen, bd.refunded_fen) == (BalanceDue.Status.PAID, DUE, DUE)
    assert AuditEntry.objects.filter(action="balance.paid", subject=SALE).count() == 1
    assert LedgerTransaction.objects.filter(kind="sale_settle").count() == 1
    assert ledger.balance(case_ledger_account(case.pk)) == PRICE
    refunded_online = GatewayOperation.objects.filter(
        kind=GatewayOperation.Kind.REFUND, intent=intent, amount_fen=DUE
    ).count()
    refunded_by_payout = Payout.objects.filter(
        payee_kind=Payout.PayeeKind.REFUND, amount_fen=DUE
    ).count()
    assert refunded_online + refunded_by_payout == 1
    intent.refresh_from_db()
    assert intent.status in (PaymentIntent.Status.PAID, PaymentIntent.Status.REFUSED)
