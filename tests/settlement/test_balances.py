"""The buyer's balance: due with its deadline, paid, settled into the case, or overdue (AUC-31/33)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.models import Deadline
from settlement import ledger
from settlement.models import BalanceDue, GatewayOperation, PaymentIntent
from settlement.services import (
    balance_due,
    balance_pay_request,
    balances_overdue_sweep,
    deposit_apply,
    deposit_request,
)
from settlement.services.accounts import case_ledger_account
from tests.settlement.conftest import pay

pytestmark = pytest.mark.django_db
SALE = "sale-test:7/sale"
REF = "reg-test:7/registration:1"


def _won(case, *, price=10_000_000, deposit=2_000_000):
    pay(
        deposit_request(
            case_id=case.pk,
            ref=REF,
            payer_ref="user:1",
            payer_name="买受人李四",
            amount_fen=deposit,
            idempotency_key="dep",
        )
    )
    deposit_apply(ref=REF, sale_ref=SALE, idempotency_key="apply")
    return balance_due(
        case_id=case.pk,
        sale_ref=SALE,
        payer_ref="user:1",
        payer_name="买受人李四",
        price_fen=price,
        deposit_applied_fen=deposit,
        due_at=clock.now() + dt.timedelta(days=10),
        idempotency_key="bd",
    )


def test_balance_due_opens_the_per_auction_deadline_AUC_31(case, frozen_now):
    bd = _won(case)
    assert bd.amount_due_fen == 8_000_000
    d = Deadline.objects.get(subject=f"case:{case.pk}/{SALE}", rule_id="AUC-31")
    assert d.due_at == bd.due_at
    assert d.alert_only is False


def test_paying_the_balance_publishes_BalancePaid_inside_and_settles_the_price_into_the_case(
    case, frozen_now, events, django_capture_on_commit_callbacks
):
    _won(case)
    intent = balance_pay_request(sale_ref=SALE, idempotency_key="pay")
    assert intent.amount_fen == 8_000_000
    with django_capture_on_commit_callbacks(execute=False):
        pay(intent)
        paid = [e for e, _ in events if type(e).__name__ == "BalancePaid"]
        assert [(e.sale_ref, e.amount_fen) for e in paid] == [(SALE, 8_000_000)]
    bd = BalanceDue.objects.get()
    assert bd.status == BalanceDue.Status.PAID
    assert bd.settled_at is not None
    assert ledger.balance(case_ledger_account(case.pk)) == 10_000_000  # the whole price, FND-06
    assert ledger.balance(bd.ledger_account) == 0
    assert Deadline.objects.get(rule_id="AUC-31").status == Deadline.Status.MET
    assert Deadline.objects.filter(
        rule_id="FND-10", subject__startswith=f"case:{case.pk}/funds:"
    ).exists()


def test_the_price_settles_only_once_the_deposit_is_applied_too(case, frozen_now):
    bd = balance_due(
        case_id=case.pk,
        sale_ref=SALE,
        payer_ref="user:1",
        payer_name="买受人",
        price_fen=5_000_000,
        deposit_applied_fen=1_000_000,
        due_at=clock.now() + dt.timedelta(days=5),
        idempotency_key="bd",
    )
    pay(balance_pay_request(sale_ref=SALE, idempotency_key="pay"))
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.PAID and bd.settled_at is None
    pay(
        deposit_request(
            case_id=case.pk,
            ref=REF,
            payer_ref="user:1",
            payer_name="买受人",
            amount_fen=1_000_000,
            idempotency_key="dep",
        )
    )
    deposit_apply(ref=REF, sale_ref=SALE, idempotency_key="apply")
    bd.refresh_from_db()
    assert bd.settled_at is not None
    assert ledger.balance(case_ledger_account(case.pk)) == 5_000_000


def test_a_deposit_covering_the_whole_price_means_nothing_is_due(case, frozen_now, events):
    balance_due(
        case_id=case.pk,
        sale_ref=SALE,
        payer_ref="u",
        payer_name="买受人",
        price_fen=1_000,
        deposit_applied_fen=1_000,
        due_at=clock.now() + dt.timedelta(days=1),
        idempotency_key="bd",
    )
    assert BalanceDue.objects.get().status == BalanceDue.Status.PAID
    assert [(type(e).__name__, e.amount_fen) for e, _ in events] == [("BalancePaid", 0)]


def test_an_overdue_balance_publishes_BalanceOverdue_inside_the_sweep_transaction(
    case, frozen_now, events
):
    _won(case)
    assert balances_overdue_sweep() == 0
    clock.advance(dt.timedelta(days=10, seconds=1))
    assert balances_overdue_sweep() == 0  # the bank statement's grace (AUC-31/33)
    clock.advance(dt.timedelta(hours=24))
    assert balances_overdue_sweep() == 1
    assert BalanceDue.objects.get().status == BalanceDue.Status.OVERDUE
    assert [
        (type(e).__name__, e.sale_ref) for e, _ in events if type(e).__name__ == "BalanceOverdue"
    ] == [("BalanceOverdue", SALE)]
    assert balances_overdue_sweep() == 0  # once


def test_a_failing_default_handler_rolls_the_overdue_mark_back_for_a_retry(case, frozen_now):
    from core import events as core_events
    from settlement.events import BalanceOverdue

    def broken(event):
        raise RuntimeError("bidding is down")

    _won(case)
    clock.advance(dt.timedelta(days=11))
    core_events.subscribe(BalanceOverdue, broken)
    try:
        assert balances_overdue_sweep() == 0
    finally:
        core_events.unsubscribe(BalanceOverdue, broken)
    assert BalanceDue.objects.get().status == BalanceDue.Status.OPEN
    assert balances_overdue_sweep() == 1


def test_no_payment_after_the_deadline_and_a_late_one_goes_back_AUC_33(case, frozen_now, drain):
    _won(case)
    intent = balance_pay_request(sale_ref=SALE, idempotency_key="pay")
    clock.advance(dt.timedelta(days=11))
    with pytest.raises(DomainError) as err:
        balance_pay_request(sale_ref=SALE, idempotency_key="pay-late")
    assert err.value.rule == "AUC-33"
    balances_overdue_sweep()
    pay(intent)  # the buyer pays on the old link after the default
    assert intent.status == PaymentIntent.Status.REFUSED
    refund = GatewayOperation.objects.get(context="balance_refund")
    assert refund.status == GatewayOperation.Status.CONFIRMED
    assert ledger.balance(case_ledger_account(case.pk)) == 0


def test_paying_a_paid_balance_is_refused(case, frozen_now):
    _won(case)
    pay(balance_pay_request(sale_ref=SALE, idempotency_key="pay"))
    with pytest.raises(Conflict):
        balance_pay_request(sale_ref=SALE, idempotency_key="again")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"price_fen": 0}, "invalid_amount"),
        ({"deposit_applied_fen": 20_000_000}, "deposit_above_price"),
        ({"due_at": "2026-12-01"}, "invalid_due_at"),
        ({"sale_ref": ""}, "required"),
    ],
)
def test_bad_balance_inputs_are_refused(case, frozen_now, kwargs, code):
    args = {
        "case_id": case.pk,
        "sale_ref": SALE,
        "payer_ref": "u",
        "payer_name": "买受人",
        "price_fen": 10_000_000,
        "deposit_applied_fen": 0,
        "due_at": clock.now() + dt.timedelta(days=3),
        "idempotency_key": "k",
        **kwargs,
    }
    with pytest.raises(DomainError) as err:
        balance_due(**args)
    assert err.value.code == code


def test_a_deadline_in_the_past_is_refused(case, frozen_now):
    with pytest.raises(DomainError) as err:
        balance_due(
            case_id=case.pk,
            sale_ref=SALE,
            payer_ref="u",
            payer_name="买受人",
            price_fen=1,
            deposit_applied_fen=0,
            due_at=clock.now() - dt.timedelta(minutes=1),
            idempotency_key="k",
        )
    assert err.value.code == "due_in_past"


def test_paying_an_unknown_sale_is_not_found(db):
    with pytest.raises(NotFound):
        balance_pay_request(sale_ref="nope", idempotency_key="k")
