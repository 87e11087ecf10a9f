"""Closing (AUC-28..30), the sale's follow-up (AUC-31/32) and default (AUC-33/34, AUC-15)."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding import services
from bidding.models import AuctionResult, AuctionState, DefaulterBar, Registration
from core import clock
from core.errors import DomainError
from core.models import Deadline

from .engine_factories import YUAN, bid, make_case, make_live_auction, register_paid

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN
INC = 1_000 * YUAN


@pytest.fixture
def setup(court, judge, frozen_now, make_party_users):
    _case, lot, _creditor, _debtor = make_case(
        court, judge=judge, creditor_user=make_party_users[0], debtor_user=make_party_users[1]
    )
    auction = make_live_auction(court, lot, start=START, increment=INC, deposit=10_000 * YUAN)
    return auction, _case


@pytest.fixture
def make_party_users(db):
    from tests.conftest import make_user

    return make_user("party"), make_user("party")


def _holds():
    from settlement.models import DepositHold

    return {h.ref: h for h in DepositHold.objects.all()}


@pytest.mark.rule("AUC-28", entry="worker")
@pytest.mark.rule("AUC-29", entry="worker")
def test_one_valid_bid_sells_to_the_leader_and_confirmation_names_the_buyer_auc28_auc29(setup):
    auction, _case = setup
    a, b = register_paid(auction), register_paid(auction)
    bid(auction, a, START)
    bid(auction, b, START + INC)
    clock.set_time(auction.end_at)
    assert services.auction_close_due() == [auction.pk]
    auction.refresh_from_db()
    result = auction.result
    assert auction.state == AuctionState.SOLD
    assert (result.winner_id, result.price_fen, result.winner_code) == (
        b.pk,
        START + INC,
        b.bidder_code,
    )
    assert b.identity is not None
    assert b.identity.name in result.confirmation_text and b.bidder_code in result.confirmation_text
    assert result.confirmation_published_at == clock.now()  # AUC-29: at once
    assert a.identity is not None
    assert a.identity.name not in result.confirmation_text


@pytest.mark.rule("AUC-30", entry="worker")
@pytest.mark.rule("AUC-31", entry="worker")
def test_settlement_after_sale_releases_losers_applies_winner_and_sets_balance_due_auc30_auc31(
    setup,
):
    auction, _case = setup
    a, b = register_paid(auction), register_paid(auction)
    bid(auction, a, START)
    bid(auction, b, START + INC)
    clock.set_time(auction.end_at)
    services.auction_close_due()
    holds = _holds()
    assert holds[a.money_ref].status in ("releasing", "released")  # gateway refund queued
    assert holds[b.money_ref].applied_fen == 10_000 * YUAN
    result = AuctionResult.objects.get(auction=auction)
    assert result.followup_done_at is not None
    from settlement.models import BalanceDue

    due = BalanceDue.objects.get(sale_ref=auction.sale_ref)
    assert due.due_at == result.balance_due_at
    assert Deadline.objects.filter(rule_id="AUC-30").exists()
    assert Registration.objects.get(pk=a.pk).status == Registration.Status.RELEASED


@pytest.mark.rule("AUC-28", entry="worker")
@pytest.mark.rule("AUC-35", entry="worker")
def test_no_bid_is_unsold_all_deposits_released_and_next_round_deadline_opened_auc28_auc35(setup):
    auction, _case = setup
    a = register_paid(auction)
    clock.set_time(auction.end_at + dt.timedelta(seconds=1))
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.state == AuctionState.UNSOLD and auction.result.outcome == "unsold"
    assert _holds()[a.money_ref].status in ("releasing", "released")
    assert Deadline.objects.filter(rule_id="AUC-35", status="open").count() == 1


def test_close_happens_exactly_once(setup):
    auction, _case = setup
    a = register_paid(auction)
    bid(auction, a, START)
    clock.set_time(auction.end_at)
    assert services.auction_close_due() == [auction.pk]
    assert services.auction_close_due() == []
    assert AuctionResult.objects.filter(auction=auction).count() == 1


def test_bid_after_close_is_refused_auc24(setup):
    auction, _case = setup
    a, b = register_paid(auction), register_paid(auction)
    bid(auction, a, START)
    clock.set_time(auction.end_at)
    services.auction_close_due()
    with pytest.raises(DomainError) as exc:
        bid(auction, b, START + INC)
    assert exc.value.code == "auction_ended"


@pytest.mark.rule("AUC-23", entry="worker")
def test_not_closed_before_its_extended_end_auc23(setup):
    auction, _case = setup
    a = register_paid(auction)
    clock.set_time(auction.end_at - dt.timedelta(minutes=1))
    bid(auction, a, START)
    clock.set_time(auction.end_at)  # the original end
    assert services.auction_close_due() == []
    clock.advance(dt.timedelta(minutes=4))
    assert services.auction_close_due() == [auction.pk]


def test_balance_paid_opens_the_ten_day_ruling_deadline_then_handover_auc32(setup, judge):
    auction, _case = setup
    a = register_paid(auction)
    bid(auction, a, START)
    clock.set_time(auction.end_at)
    services.auction_close_due()
    from settlement.services import balance_pay_request
    from settlement.services.confirmations import intent_confirm

    intent = balance_pay_request(sale_ref=auction.sale_ref, idempotency_key="t-bal")
    intent_confirm(
        intent_id=intent.pk,
        success=True,
        psp_reference="PSPBAL",
        amount_minor=intent.amount_fen,
        currency="CNY",
    )
    result = AuctionResult.objects.get(auction=auction)
    assert result.balance_paid_at is not None
    ruling = Deadline.objects.get(rule_id="AUC-32", subject__endswith="/ruling")
    assert ruling.status == "open"
    services.auction_ruling_served(auction_id=auction.pk, actor=judge, document="（2026）测执裁1号")
    ruling.refresh_from_db()
    assert ruling.status == "met"
    handover = Deadline.objects.get(rule_id="AUC-32", subject__endswith="/handover")
    services.auction_handover_update(
        auction_id=auction.pk, actor=judge, state="keys_handed", note="已交付钥匙"
    )
    services.auction_handover_update(
        auction_id=auction.pk, actor=judge, state="completed", note="移交完毕"
    )
    handover.refresh_from_db()
    result.refresh_from_db()
    assert (
        handover.status == "met" and result.handover_state == "completed" and result.keys_handed_at
    )


def test_balance_overdue_defaults_forfeits_bars_and_creates_reauction_auc33_auc15(setup):
    auction, _case = setup
    a = register_paid(auction)
    bid(auction, a, START)
    clock.set_time(auction.end_at)
    services.auction_close_due()
    result = AuctionResult.objects.get(auction=auction)
    assert result.balance_due_at is not None
    # AUC-33 after the bank statement's grace (balance_transfer_grace_hours).
    clock.set_time(result.balance_due_at + dt.timedelta(hours=24, seconds=1))
    from settlement.services import balances_overdue_sweep

    balances_overdue_sweep()
    auction.refresh_from_db()
    assert auction.state == AuctionState.DEFAULTED
    assert _holds()[a.money_ref].forfeited_fen == 10_000 * YUAN
    reauction = auction.following.get()
    assert (
        reauction.link == "reauction"
        and reauction.state == "draft"
        and reauction.lot_id == auction.lot_id
    )
    assert DefaulterBar.objects.filter(lot=auction.lot, identity=a.identity).exists()
    # AUC-15: the defaulter cannot register for the re-auction of the lot.
    reauction.state = AuctionState.SCHEDULED
    reauction.start_at = clock.now() + dt.timedelta(days=20)
    reauction.end_at = reauction.start_at + dt.timedelta(days=1)
    reauction.save()
    with pytest.raises(DomainError) as exc:
        services.registration_create(auction_id=reauction.pk, user=a.user, accept_terms=True)
    assert (exc.value.code, exc.value.rule) == ("defaulter_barred", "AUC-15")
