"""Deposits: request, hold, release within 24 h, apply, forfeit (AUC-17/18/30/33/34/37)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.models import Deadline
from core.rulesettings import setting_set
from settlement import ledger
from settlement.models import (
    DepositHold,
    GatewayOperation,
    LedgerLeg,
    PaymentIntent,
    ShortfallClaim,
)
from settlement.services import (
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
from tests.settlement.conftest import pay

pytestmark = pytest.mark.django_db

REF = "reg-test:1/registration:1"


def _request(case, ref=REF, amount=2_000_000, mode="authorise", key=None):
    return deposit_request(
        case_id=case.pk,
        ref=ref,
        payer_ref="user:9",
        payer_name="竞买人张三",
        amount_fen=amount,
        idempotency_key=key or f"{ref}/deposit",
        mode=mode,
    )


def _balance(hold_or_ref):
    ref = hold_or_ref if isinstance(hold_or_ref, str) else hold_or_ref.ref
    return ledger.balance(DepositHold.objects.get(ref=ref).ledger_account)


# ---- AUC-18 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deposit", "claim", "due"),
    [
        (100_000, 30_000, 70_000),
        (100_000, 100_000, 0),
        (100_000, 250_000, 0),
        (100_000, 0, 100_000),
    ],
)
def test_a_bidding_creditor_pays_the_deposit_minus_the_outstanding_claim_AUC_18(
    deposit, claim, due
):
    assert deposit_required_fen(deposit_fen=deposit, outstanding_claim_fen=claim) == due


def test_negative_figures_for_the_exemption_are_refused():
    with pytest.raises(DomainError):
        deposit_required_fen(deposit_fen=-1, outstanding_claim_fen=0)
    with pytest.raises(DomainError):
        deposit_required_fen(deposit_fen=100, outstanding_claim_fen=-1)


# ---- request and hold ---------------------------------------------------------------------


def test_a_bidder_pays_through_the_page_and_the_hold_is_posted_with_DepositHeld_in_the_transaction(
    case, events, django_capture_on_commit_callbacks
):
    intent = _request(case)
    assert intent.status == PaymentIntent.Status.PENDING
    assert intent.pay_url.startswith("/settlement/simulator/pay/")
    assert _balance(REF) == 0
    with django_capture_on_commit_callbacks(execute=False):
        pay(intent)
        # Seen before any on-commit callback ran: published inside the posting transaction.
        held = [e for e, _ in events if type(e).__name__ == "DepositHeld"]
        assert [(e.case_id, e.ref, e.amount_fen) for e in held] == [(case.pk, REF, 2_000_000)]
    assert intent.status == PaymentIntent.Status.AUTHORISED
    hold = DepositHold.objects.get(ref=REF)
    assert hold.status == DepositHold.Status.HELD
    assert _balance(REF) == 2_000_000


def test_the_hold_account_is_named_by_registration_reference_never_by_the_payer_REC_05(case):
    pay(_request(case))
    hold = DepositHold.objects.get(ref=REF)
    assert REF in hold.ledger_account.name
    assert "张三" not in hold.ledger_account.name
    for leg in LedgerLeg.objects.select_related("transaction"):
        assert "张三" not in leg.transaction.memo


def test_full_exemption_posts_nothing_and_publishes_DepositHeld_zero_at_once_AUC_18(case, events):
    intent = _request(case, amount=0)
    assert intent.status == PaymentIntent.Status.EXEMPT
    assert not LedgerLeg.objects.exists()
    assert [(type(e).__name__, e.amount_fen) for e, _ in events] == [("DepositHeld", 0)]


def test_a_repeated_request_returns_the_first_intent(case):
    first = _request(case)
    again = _request(case)
    assert first.pk == again.pk
    assert PaymentIntent.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"amount_fen": -1}, "invalid_amount"),
        ({"amount_fen": 10.5}, "invalid_amount"),
        ({"currency": "USD"}, "wrong_currency"),
        ({"mode": "cash"}, "invalid_mode"),
        ({"ref": " "}, "required"),
        ({"payer_name": ""}, "required"),
    ],
)
def test_bad_deposit_requests_are_refused(case, kwargs, code):
    args = {
        "case_id": case.pk,
        "ref": REF,
        "payer_ref": "user:9",
        "payer_name": "竞买人",
        "amount_fen": 100,
        "idempotency_key": "k",
        **kwargs,
    }
    with pytest.raises(DomainError) as err:
        deposit_request(**args)
    assert err.value.code == code


def test_an_unknown_case_is_not_found(db):
    with pytest.raises(NotFound):
        deposit_request(
            case_id=424242,
            ref=REF,
            payer_ref="u",
            payer_name="n",
            amount_fen=1,
            idempotency_key="k",
        )


def test_a_failed_payment_leaves_nothing_held_and_can_be_retried(case, events):
    intent = pay(_request(case), approve=False)
    assert intent.status == PaymentIntent.Status.FAILED
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.FAILED
    assert not events
    retry = pay(_request(case, key="retry"))
    assert retry.status == PaymentIntent.Status.AUTHORISED
    assert _balance(REF) == 2_000_000


def test_a_second_request_for_a_held_deposit_is_refused(case):
    pay(_request(case))
    with pytest.raises(Conflict):
        _request(case, key="again")


# ---- release (AUC-30) ---------------------------------------------------------------------


def test_a_loser_frozen_deposit_is_unfrozen_and_DepositReleased_informs_after_commit(
    case, events, django_capture_on_commit_callbacks
):
    pay(_request(case))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hold = deposit_release(ref=REF, reason="未成交", idempotency_key="rel")
        assert hold.status == DepositHold.Status.RELEASING
        from settlement.worker import drain

        drain()
    assert not [e for e, _ in events if type(e).__name__ == "DepositReleased"]  # not before commit
    for callback in callbacks:
        callback()
    hold.refresh_from_db()
    op = GatewayOperation.objects.get(context="deposit_release")
    assert op.kind == GatewayOperation.Kind.CANCEL  # a frozen deposit is unfrozen, not refunded
    assert op.status == GatewayOperation.Status.CONFIRMED
    assert hold.status == DepositHold.Status.RELEASED
    assert _balance(REF) == 0
    released = [e for e, _ in events if type(e).__name__ == "DepositReleased"]
    assert [(e.ref, e.amount_fen) for e in released] == [(REF, 2_000_000)]


def test_a_paid_deposit_is_refunded_on_its_original_payment(case, drain):
    intent = pay(_request(case, mode="pay"))
    deposit_release(ref=REF, reason="未成交", idempotency_key="rel")
    drain()
    op = GatewayOperation.objects.get(context="deposit_release")
    assert op.kind == GatewayOperation.Kind.REFUND
    assert op.original_psp_reference == intent.psp_reference
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.RELEASED


def test_releasing_twice_moves_money_once(case, drain):
    pay(_request(case))
    deposit_release(ref=REF, reason="未成交", idempotency_key="a")
    deposit_release(ref=REF, reason="未成交", idempotency_key="b")
    drain()
    deposit_release(ref=REF, reason="未成交", idempotency_key="c")
    drain()
    assert GatewayOperation.objects.count() == 1
    assert _balance(REF) == 0


def test_releasing_an_unknown_deposit_is_not_found(db):
    with pytest.raises(NotFound):
        deposit_release(ref="nope", reason="x", idempotency_key="k")


def test_a_failed_refund_keeps_the_deposit_held_and_alerts_finance(case, drain, finance, settings):
    pay(_request(case, mode="pay"))
    settings.GAVEL_SIMULATOR_FAILURE_RATE = 1.0
    deposit_release(ref=REF, reason="未成交", idempotency_key="rel")
    drain()
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.HELD
    assert _balance(REF) == 2_000_000
    from core.models import OutboxMessage

    assert OutboxMessage.objects.filter(
        recipient=finance, topic="settlement.gateway_failed"
    ).exists()


def test_release_schedule_opens_a_24_hour_deadline_and_the_worker_releases_AUC_30(
    case, drain, frozen_now
):
    pay(_request(case))
    closed = clock.now()
    deadlines = deposit_release_schedule(case_id=case.pk, refs=[REF], closed_at=closed, hours=24)
    assert deadlines[0].due_at == closed + dt.timedelta(hours=24)  # exact elapsed hours (REC-03)
    assert deadlines[0].rule_id == "AUC-30"
    assert releases_run_scheduled() == 1
    drain()
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.RELEASED
    assert Deadline.objects.get(pk=deadlines[0].pk).status == Deadline.Status.MET


def test_a_refund_period_beyond_24_hours_is_refused_AUC_30(case):
    with pytest.raises(DomainError) as err:
        deposit_release_schedule(case_id=case.pk, refs=[REF], closed_at=clock.now(), hours=48)
    assert err.value.rule == "AUC-30"


# ---- apply (AUC-30) -----------------------------------------------------------------------


def test_the_winner_deposit_moves_to_the_sale_and_a_frozen_one_is_captured_AUC_30(case, drain):
    pay(_request(case))
    hold = deposit_apply(ref=REF, sale_ref="sale-test:1", idempotency_key="apply")
    assert hold.status == DepositHold.Status.APPLIED
    assert _balance(REF) == 0
    capture = Deadline.objects.get(subject=f"case:{case.pk}/{REF}/capture")
    assert capture.rule_id == "AUC-30"
    drain()
    op = GatewayOperation.objects.get(kind=GatewayOperation.Kind.CAPTURE)
    assert op.status == GatewayOperation.Status.CONFIRMED
    assert PaymentIntent.objects.get().captured_at is not None
    capture.refresh_from_db()
    assert capture.status == Deadline.Status.MET


def test_an_applied_deposit_cannot_be_released(case):
    pay(_request(case))
    deposit_apply(ref=REF, sale_ref="sale-test:1", idempotency_key="apply")
    with pytest.raises(Conflict):
        deposit_release(ref=REF, reason="x", idempotency_key="rel")


def test_an_unpaid_deposit_cannot_be_applied(case):
    _request(case)
    with pytest.raises(Conflict):
        deposit_apply(ref=REF, sale_ref="sale-test:1", idempotency_key="apply")


# ---- forfeit (AUC-33/34/37) ---------------------------------------------------------------


def test_a_defaulter_deposit_goes_into_forfeit_suspense_AUC_33(
    case, drain, events, django_capture_on_commit_callbacks
):
    pay(_request(case))
    deposit_apply(ref=REF, sale_ref="sale-test:1", idempotency_key="apply")
    drain()
    with django_capture_on_commit_callbacks(execute=True):
        hold = deposit_forfeit(
            ref=REF, sale_ref="sale-test:1", reason="逾期未付尾款", idempotency_key="ff"
        )
    assert hold.status == DepositHold.Status.FORFEITED
    from settlement.services.deposits import forfeit_account

    assert ledger.balance(forfeit_account(case, REF)) == 2_000_000
    assert [
        (type(e).__name__, e.amount_fen)
        for e, _ in events
        if type(e).__name__ == "DepositForfeited"
    ] == [("DepositForfeited", 2_000_000)]


def test_a_default_cancels_the_sales_capture_deadline_AUC_30_AUC_33(case):
    """The winner's frozen deposit was applied (AUC-30: captured toward the price within 24 h);
    once the buyer defaults the sale no longer stands, so that deadline stops running; before
    the default it runs."""
    pay(_request(case))
    deposit_apply(ref=REF, sale_ref="sale-test:1", idempotency_key="apply")
    capture = Deadline.objects.get(subject=f"case:{case.pk}/{REF}/capture")
    assert capture.status == Deadline.Status.OPEN
    deposit_forfeit(ref=REF, sale_ref="sale-test:1", reason="逾期未付尾款", idempotency_key="ff")
    capture.refresh_from_db()
    assert capture.status == Deadline.Status.CANCELLED


def test_sale_default_forfeits_only_the_announced_deposit_and_refunds_the_rest_AUC_37(case, drain):
    # 变卖: the full price (300,000.00) was prepaid to qualify; the announced deposit is 50,000.00.
    pay(_request(case, amount=30_000_000, mode="pay"))
    deposit_forfeit(
        ref=REF,
        sale_ref="sale-test:1",
        reason="变卖悔拍",
        idempotency_key="ff",
        forfeit_fen=5_000_000,
    )
    drain()
    from settlement.services.deposits import forfeit_account

    assert ledger.balance(forfeit_account(case, REF)) == 5_000_000
    refund = GatewayOperation.objects.get(context="forfeit_remainder")
    assert (refund.kind, refund.amount_fen, refund.status) == ("refund", 25_000_000, "confirmed")
    assert _balance(REF) == 0


def test_forfeiting_more_than_the_deposit_is_refused(case):
    pay(_request(case))
    with pytest.raises(DomainError):
        deposit_forfeit(
            ref=REF, sale_ref="s", reason="x", idempotency_key="ff", forfeit_fen=2_000_001
        )


def _forfeited(case, drain, amount=2_000_000):
    pay(_request(case, amount=amount, mode="pay"))
    deposit_forfeit(ref=REF, sale_ref="sale-test:1", reason="悔拍", idempotency_key="ff")
    drain()


def test_forfeit_pays_costs_then_shortfall_then_debts_by_default_AUC_33(case, drain):
    _forfeited(case, drain)
    s = deposit_forfeit_settle(
        ref=REF,
        original_price_fen=10_000_000,
        resale_price_fen=9_500_000,
        costs_fen=300_000,
        idempotency_key="settle",
    )
    assert (s.to_costs_fen, s.to_shortfall_fen, s.to_debt_fen, s.to_defaulter_fen) == (
        300_000,
        500_000,
        1_200_000,
        0,
    )
    assert s.pursued_fen == 0
    from settlement.services.accounts import case_ledger_account

    assert ledger.balance(case_ledger_account(case.pk)) == 2_000_000


def test_surplus_back_to_the_defaulter_when_the_switch_is_on_AUC_34(case, drain):
    setting_set(
        key="return_forfeit_surplus_to_defaulter", value=True, court=case.court, reason="ASR 22"
    )
    _forfeited(case, drain)
    s = deposit_forfeit_settle(
        ref=REF,
        original_price_fen=10_000_000,
        resale_price_fen=9_500_000,
        costs_fen=300_000,
        idempotency_key="settle",
    )
    assert (s.to_costs_fen, s.to_shortfall_fen, s.to_debt_fen, s.to_defaulter_fen) == (
        300_000,
        500_000,
        0,
        1_200_000,
    )
    drain()
    assert GatewayOperation.objects.get(context="forfeit_surplus").status == "confirmed"


def test_a_shortfall_the_deposit_cannot_cover_is_pursued_unless_switched_off_AUC_34(case, drain):
    _forfeited(case, drain)
    s = deposit_forfeit_settle(
        ref=REF,
        original_price_fen=10_000_000,
        resale_price_fen=7_000_000,
        costs_fen=100_000,
        idempotency_key="settle",
    )
    assert (s.to_costs_fen, s.to_shortfall_fen, s.to_debt_fen) == (100_000, 1_900_000, 0)
    assert ShortfallClaim.objects.get(ref=REF).amount_fen == 100_000 + 3_000_000 - 2_000_000


def test_no_shortfall_claim_when_pursuit_is_off_AUC_34(case, drain):
    setting_set(
        key="pursue_shortfall_from_defaulter", value=False, court=case.court, reason="NJA 24"
    )
    _forfeited(case, drain)
    s = deposit_forfeit_settle(
        ref=REF,
        original_price_fen=10_000_000,
        resale_price_fen=7_000_000,
        costs_fen=0,
        idempotency_key="settle",
    )
    assert s.pursued_fen == 0
    assert not ShortfallClaim.objects.exists()


# ---- capture-on-payment fallback ----------------------------------------------------------


def test_a_frozen_deposit_is_captured_before_its_authorisation_lapses_and_then_refunded(
    case, drain, frozen_now
):
    pay(_request(case))
    assert deposits_capture_expiring() == 0
    clock.advance(dt.timedelta(days=6, hours=1))  # 7-day authorisation, capture 24 h before
    assert deposits_capture_expiring() == 1
    drain()
    assert PaymentIntent.objects.get().captured_at is not None
    deposit_release(ref=REF, reason="未成交", idempotency_key="rel")
    drain()
    assert (
        GatewayOperation.objects.get(context="deposit_release").kind == GatewayOperation.Kind.REFUND
    )
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.RELEASED


def test_paying_twice_for_one_registration_sends_the_second_payment_back(case, drain):
    first = _request(case)
    from settlement.models import SimPayment

    # The payer opens the page twice (two intents for one hold): the first is replaced.
    DepositHold.objects.filter(ref=REF).update(status=DepositHold.Status.FAILED)
    second = _request(case, key="second")
    pay(second)
    token = SimPayment.objects.get(merchant_reference=first.reference).token
    from settlement import simulator

    simulator.payer_confirm(token=token)
    drain()
    first.refresh_from_db()
    assert first.status == PaymentIntent.Status.REFUSED
    assert GatewayOperation.objects.get(context="unwanted_deposit").status == "confirmed"
    assert _balance(REF) == 2_000_000
