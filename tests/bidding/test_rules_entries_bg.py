"""The background entries of the auction and money rules (issue 14): the worker's tasks run
through the worker's runner (``bidding.close_due``, ``bidding.close_followups``,
``bidding.forfeits_apply`` and the bank's loop), and settlement's events published through
``core.events`` to the handlers bidding and settlement registered. Time is the test's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from bidding import handlers as bidding_handlers
from bidding import in_lieu, services
from bidding.documents import SALE_RULING_DRAFT
from bidding.models import AuctionResult, AuctionState, DefaulterBar, Registration
from core import calendar, clock, events
from core.errors import Conflict, DomainError
from core.models import AuditEntry, Deadline, DocumentRequest, OutboxMessage
from settlement import documents as money_docs
from settlement import handlers as settlement_handlers
from settlement.events import BalanceOverdue, BalancePaid, DepositHeld
from settlement.models import DepositHold, ForfeitSettlement
from settlement.services.confirmations import intent_confirm
from tests.background import publish, run_task
from tests.conftest import make_user

from .engine_factories import (
    PASSWORD,
    YUAN,
    bid,
    bidder_user,
    make_case,
    make_live_auction,
    register_paid,
)

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN
INC = 1_000 * YUAN
DEPOSIT = 10_000 * YUAN
CLOSE = ("bidding.close_due", "bidding.close_followups")
BANK = ("settlement.gateway_outbox", "settlement.simulator", "settlement.webhooks")


@pytest.fixture
def live(court, judge, frozen_now):
    """A live first-round auction of a case whose creditor has an account."""
    creditor_user = make_user("party")
    case, lot, creditor, _debtor = make_case(court, judge=judge, creditor_user=creditor_user)
    auction = make_live_auction(court, lot, start=START, increment=INC, deposit=DEPOSIT)
    return auction, case, creditor


def _close_by_the_worker(auction) -> AuctionResult:
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    for task in CLOSE:
        run_task(task)
    auction.refresh_from_db()
    return AuctionResult.objects.get(auction=auction)


def _paid_at_the_bank(auction) -> Registration:
    """A bidder who paid the deposit on the bank simulator's page; the worker's bank loop
    brought the confirmation (so the bank knows the payment it later refunds)."""
    from settlement import simulator
    from settlement.models import SimPayment

    user = bidder_user()
    reg = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    intent = services.registration_pay_deposit(registration_id=reg.pk, user=user)
    assert intent is not None
    token = SimPayment.objects.get(merchant_reference=intent.reference).token
    simulator.payer_confirm(token=token)
    for task in BANK:
        run_task(task)
    services.registration_set_password(registration_id=reg.pk, user=user, password=PASSWORD)
    reg.refresh_from_db()
    assert reg.status == Registration.Status.ACTIVE
    return reg


def _requested(doc_type: str, subject: str) -> bool:
    return DocumentRequest.objects.filter(doc_type=doc_type, subject=subject).exists()


# --- DepositHeld → the bidder code (AUC-16, AUC-17) -------------------------------------------


@pytest.mark.rule("AUC-16", entry="event")
def test_a_held_deposit_short_of_the_announced_one_issues_no_code_auc16(live):
    """AUC-16: the deposit is the announced 5–20% of the start; settlement reporting a hold one
    fen short of it is refused by bidding's handler, and the registration waits."""
    auction, case, _creditor = live
    reg = services.registration_create(auction_id=auction.pk, user=bidder_user(), accept_terms=True)
    assert reg.deposit_required_fen == DEPOSIT
    with pytest.raises(DomainError) as exc, transaction.atomic():
        publish(
            DepositHeld(case_id=case.pk, ref=reg.money_ref, amount_fen=DEPOSIT - 1),
            bidding_handlers.on_deposit_held,
        )
    assert (exc.value.code, exc.value.rule) == ("deposit_short", "AUC-16")
    reg.refresh_from_db()
    assert reg.status == Registration.Status.PENDING_DEPOSIT and not reg.bidder_code


@pytest.mark.rule("AUC-17", entry="event")
def test_the_deposit_held_event_issues_the_code_before_the_end_and_not_after_auc17(live):
    """AUC-17: settlement's ``DepositHeld`` (the real payment path) gives the bidder a code,
    on the record; a hold arriving once bidding ended gives none and goes back."""
    auction, _case, _creditor = live
    assert bidding_handlers.on_deposit_held in events.handlers_for(DepositHeld)
    reg = register_paid(auction)  # settlement confirms the payment and publishes DepositHeld
    assert reg.status == Registration.Status.ACTIVE and reg.bidder_code
    entry = AuditEntry.objects.filter(
        action="registration.code_issued", subject=f"registration:{reg.pk}"
    ).get()
    assert "AUC-17" in entry.rule_ids.split(",")
    assert _requested(money_docs.DEPOSIT_RECEIPT.code, f"{reg.money_ref}/deposit")
    user = bidder_user()
    late = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    intent = services.registration_pay_deposit(registration_id=late.pk, user=user)
    assert intent is not None
    clock.set_time(auction.end_at)  # the bank confirms the payment only as bidding ends
    intent_confirm(
        intent_id=intent.pk,
        success=True,
        psp_reference=f"PSP{intent.pk}",
        amount_minor=intent.amount_fen,
        currency="CNY",
    )
    late.refresh_from_db()
    assert late.status == Registration.Status.RELEASED and not late.bidder_code


@pytest.mark.rule("AUC-17", entry="worker")
def test_the_bank_loop_confirms_the_deposit_and_only_then_the_code_is_issued_auc17(live):
    """AUC-17: no deposit, no code. The payer pays on the bank's page; the worker's bank loop
    (gateway outbox, simulator, webhooks) brings the confirmation, and the code follows."""
    from settlement import simulator
    from settlement.models import SimPayment

    auction, _case, _creditor = live
    user = bidder_user()
    reg = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    intent = services.registration_pay_deposit(registration_id=reg.pk, user=user)
    assert intent is not None
    token = SimPayment.objects.get(merchant_reference=intent.reference).token
    simulator.payer_confirm(token=token)
    reg.refresh_from_db()
    assert reg.status == Registration.Status.PENDING_DEPOSIT and not reg.bidder_code
    for task in BANK:
        run_task(task)
    reg.refresh_from_db()
    assert reg.status == Registration.Status.ACTIVE and reg.bidder_code
    assert reg.deposit_held_fen == DEPOSIT


# --- DepositReleased → refund (AUC-30) --------------------------------------------------------


@pytest.mark.rule("AUC-30", entry="event")
def test_the_losers_refund_reaches_bidding_and_the_voucher_is_queued_auc30(
    live, django_capture_on_commit_callbacks
):
    """AUC-30: the losers' deposits go back after the close; settlement's ``DepositReleased``
    (the bank's refund confirmed) queues the loser's refund voucher; the winner's deposit is
    applied to the price, and no voucher is queued for it."""
    auction, _case, _creditor = live
    with django_capture_on_commit_callbacks(execute=True):
        a, b = _paid_at_the_bank(auction), _paid_at_the_bank(auction)
    bid(auction, a, START)
    bid(auction, b, START + INC)
    with django_capture_on_commit_callbacks(execute=True):
        _close_by_the_worker(auction)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            for task in ("settlement.release_scheduled", *BANK):
                run_task(task)
    holds = {h.ref: h for h in DepositHold.objects.all()}
    assert holds[a.money_ref].status == "released" and holds[a.money_ref].released_at
    assert holds[a.money_ref].released_at <= auction.end_at + dt.timedelta(hours=24)
    assert _requested(money_docs.REFUND_VOUCHER.code, f"{a.money_ref}/refund")
    assert not _requested(money_docs.REFUND_VOUCHER.code, f"{b.money_ref}/refund")
    assert holds[b.money_ref].applied_fen == DEPOSIT
    assert Registration.objects.get(pk=a.pk).status == Registration.Status.RELEASED


# --- BalancePaid → the sale ruling (AUC-31, AUC-32) -------------------------------------------


@pytest.mark.rule("AUC-31", entry="event")
@pytest.mark.rule("AUC-32", entry="event")
def test_the_balance_paid_event_opens_the_ten_day_ruling_deadline_auc31_auc32(live):
    """AUC-31: the buyer paid the balance within the announced period; AUC-32: bidding's
    handler records it and the sale ruling is due within 10 days of the payment (a tracked
    deadline), its draft queued; settlement's handler queues the balance receipt."""
    auction, case, _creditor = live
    a = register_paid(auction)
    bid(auction, a, START)
    result = _close_by_the_worker(auction)
    assert auction.state == AuctionState.SOLD and result.balance_due_at is not None
    clock.advance(dt.timedelta(days=2))
    paid_at = clock.now()
    event = BalancePaid(case_id=case.pk, sale_ref=auction.sale_ref, amount_fen=START - DEPOSIT)
    assert settlement_handlers.on_balance_paid in events.handlers_for(BalancePaid)
    publish(event, bidding_handlers.on_balance_paid)
    result.refresh_from_db()
    assert result.balance_paid_at == paid_at
    assert result.ruling_due_at == calendar.within_days(paid_at, 10, court=auction.court_id)
    ruling = Deadline.objects.get(rule_id="AUC-32", subject__endswith="/ruling")
    assert ruling.status == "open" and ruling.due_at == result.ruling_due_at
    entry = AuditEntry.objects.filter(action="sale.balance_paid", subject=auction.sale_ref).first()
    assert entry is not None and {"AUC-31", "AUC-32"} <= set(entry.rule_ids.split(","))
    assert _requested(SALE_RULING_DRAFT.code, auction.sale_ref)
    assert _requested(money_docs.BALANCE_RECEIPT.code, f"{auction.sale_ref}/balance")
    # a repeated event changes nothing (the ruling's clock is not restarted)
    clock.advance(dt.timedelta(days=1))
    publish(event, bidding_handlers.on_balance_paid)
    result.refresh_from_db()
    assert result.balance_paid_at == paid_at


# --- BalanceOverdue → default (AUC-33, AUC-15) ------------------------------------------------


@pytest.mark.rule("AUC-33", entry="event")
@pytest.mark.rule("AUC-15", entry="event")
def test_the_balance_overdue_event_defaults_bars_and_forfeits_auc33_auc15(live):
    """AUC-33: settlement says the balance is overdue → 悔拍: the deposit is forfeited and a
    linked re-auction drafted; AUC-15: the buyer is barred from every re-auction of the lot."""
    auction, case, _creditor = live
    a = register_paid(auction)
    bid(auction, a, START)
    result = _close_by_the_worker(auction)
    assert result.balance_due_at is not None
    clock.set_time(result.balance_due_at + dt.timedelta(hours=25))
    publish(
        BalanceOverdue(case_id=case.pk, sale_ref=auction.sale_ref),
        bidding_handlers.on_balance_overdue,
    )
    auction.refresh_from_db()
    assert auction.state == AuctionState.DEFAULTED
    assert DepositHold.objects.get(ref=a.money_ref).forfeited_fen == DEPOSIT
    assert Registration.objects.get(pk=a.pk).status == Registration.Status.FORFEITED
    assert DefaulterBar.objects.filter(lot=auction.lot, identity=a.identity).exists()
    again = auction.following.get()
    assert again.link == "reauction" and again.lot_id == auction.lot_id
    entry = AuditEntry.objects.filter(action="auction.defaulted", subject=auction.ref).first()
    assert entry is not None and {"AUC-33", "AUC-15"} <= set(entry.rule_ids.split(","))


@pytest.mark.rule("AUC-33", entry="event")
def test_a_balance_overdue_event_after_payment_does_not_default_auc33(live):
    """AUC-33 defaults only an unpaid balance: once it is paid, a late overdue event is
    ignored (no forfeit, no re-auction)."""
    auction, case, _creditor = live
    a = register_paid(auction)
    bid(auction, a, START)
    _close_by_the_worker(auction)
    services.auction_balance_paid(auction_id=auction.pk, amount_fen=START - DEPOSIT)
    publish(
        BalanceOverdue(case_id=case.pk, sale_ref=auction.sale_ref),
        bidding_handlers.on_balance_overdue,
    )
    auction.refresh_from_db()
    assert auction.state == AuctionState.SOLD and not auction.following.exists()
    assert DepositHold.objects.get(ref=a.money_ref).forfeited_fen == 0


# --- forfeited deposits applied (FND-06) ------------------------------------------------------


def _defaulted(live):
    from settlement.services import balances_overdue_sweep

    auction, case, _creditor = live
    buyer = register_paid(auction)
    bid(auction, buyer, START)
    result = _close_by_the_worker(auction)
    assert result.balance_due_at is not None
    clock.set_time(result.balance_due_at + dt.timedelta(hours=24, seconds=1))
    balances_overdue_sweep()
    auction.refresh_from_db()
    assert auction.state == AuctionState.DEFAULTED
    return auction, case, buyer


def _case_balance(case) -> int:
    from settlement import ledger
    from settlement.services.accounts import case_ledger_account

    return int(ledger.balance(case_ledger_account(case.pk)))


@pytest.mark.rule("FND-06", entry="worker")
def test_the_worker_applies_a_final_forfeit_into_the_case_account_fnd06(live, judge):
    """FND-06: the forfeited deposit passes through the court's account and is applied in the
    AUC-33 order once the default is final; while the re-auction may still sell, the worker
    leaves it in suspense."""
    auction, case, _buyer = _defaulted(live)
    assert run_task("bidding.forfeits_apply") == 0
    assert not ForfeitSettlement.objects.exists() and _case_balance(case) == 0
    services.auction_withdraw(
        auction_id=auction.following.get().pk,
        actor=judge,
        reason="被执行人已履行债务",
        ground="debt_paid",
    )
    assert run_task("bidding.forfeits_apply") == 1
    fs = ForfeitSettlement.objects.get()
    assert (fs.to_costs_fen, fs.to_shortfall_fen, fs.to_debt_fen) == (0, 0, DEPOSIT)
    assert _case_balance(case) == DEPOSIT


@pytest.mark.rule("FND-06", entry="event")
def test_the_resale_paid_event_applies_the_earlier_forfeit_in_order_fnd06(live):
    """FND-06 with AUC-33 (2): the lot sold again and its balance is paid (settlement's
    ``BalancePaid``) → the defaulter's deposit covers the re-sale shortfall first, the rest
    goes to the debt, all through the case account."""
    from bidding.models import Auction

    auction, case, buyer = _defaulted(live)
    price = START - 4_000 * YUAN
    again = make_live_auction(
        auction.court, auction.lot, start=price, increment=INC, deposit=DEPOSIT
    )
    Auction.objects.filter(pk=again.pk).update(previous=auction, link=Auction.Link.REAUCTION)
    b = register_paid(again)
    bid(again, b, price)
    again.refresh_from_db()
    _close_by_the_worker(again)
    assert not ForfeitSettlement.objects.exists()
    publish(
        BalancePaid(case_id=case.pk, sale_ref=again.sale_ref, amount_fen=price - DEPOSIT),
        bidding_handlers.on_balance_paid,
    )
    fs = ForfeitSettlement.objects.get(hold__ref=buyer.money_ref)
    assert (fs.to_shortfall_fen, fs.to_debt_fen) == (4_000 * YUAN, 6_000 * YUAN)
    assert fs.resale_price_fen == price


# --- the close: in lieu after an unsold round (AUC-36) and its record (REC-08) ----------------


@pytest.mark.rule("AUC-36", entry="worker")
def test_after_the_worker_closes_an_unsold_round_the_creditor_may_take_it_in_lieu_auc36(
    live, judge
):
    """AUC-36: only after 流拍 may a creditor take the lot in lieu, at that auction's starting
    price: refused while bidding runs; once the worker closed it unsold, the parties are told
    and the application is recorded."""
    auction, _case, creditor = live
    with pytest.raises(Conflict) as exc:
        in_lieu.in_lieu_apply(auction_id=auction.pk, party_id=creditor.pk, actor=judge)
    assert exc.value.rule == "AUC-36"
    result = _close_by_the_worker(auction)
    assert auction.state == AuctionState.UNSOLD and result.outcome == "unsold"
    told = OutboxMessage.objects.filter(
        recipient=creditor.user, topic="auction.result", channel="inbox"
    ).get()
    assert "以该次起拍价以物抵债（AUC-36）" in told.body
    app = in_lieu.in_lieu_apply(auction_id=auction.pk, party_id=creditor.pk, actor=judge)
    assert app.party_id == creditor.pk


@pytest.mark.rule("REC-08", entry="worker")
def test_the_workers_close_is_on_the_record_with_time_old_and_new_state_rec08(live):
    """REC-08: a state change made by the worker is recorded like any other: when, by the
    system, the old and new state, the rule."""
    auction, _case, _creditor = live
    a = register_paid(auction)
    bid(auction, a, START)
    _close_by_the_worker(auction)
    assert auction.state == AuctionState.SOLD
    entries = AuditEntry.objects.filter(stream=auction.stream, subject=auction.ref)
    closed = next(e for e in entries if e.action == "auction.closed.sold")
    assert closed.after is not None and closed.after["state"] == AuctionState.SOLD
    assert closed.at == auction.end_at
    assert closed.before and closed.before.get("state") == AuctionState.BIDDING
    assert closed.actor_id is None and closed.rule_ids
