"""Proxy bidding (AUC-27), practice auctions (模拟拍) and the 变卖 countdown (AUC-37)."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding import services
from bidding.models import AuctionState, Bid
from bidding.selectors import auction_public_list, auction_statistics
from core import clock
from core.errors import DomainError
from core.models import AuditEntry

from .engine_factories import (
    PASSWORD,
    YUAN,
    bid,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)

pytestmark = pytest.mark.django_db

START = 10_000 * YUAN
INC = 100 * YUAN


@pytest.fixture
def proxy_auction(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge, basis_fen=None)
    return make_live_auction(
        court, lot, start=START, increment=INC, overrides={"proxy_bidding_enabled": True}
    )


def _proxy(auction, reg, max_fen):
    return services.proxy_bid_set(
        auction_id=auction.pk, user=reg.user, max_fen=max_fen, password=PASSWORD
    )


def test_proxy_bidding_is_off_by_default_auc27(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge, basis_fen=None)
    auction = make_live_auction(court, lot)
    reg = register_active(auction)
    with pytest.raises(DomainError) as exc:
        _proxy(auction, reg, auction.starting_price_fen * 2)
    assert (exc.value.code, exc.value.rule) == ("proxy_disabled", "AUC-27")


def test_proxy_bids_the_minimum_needed_and_shows_as_ordinary_bids_auc27(proxy_auction):
    a, b = register_active(proxy_auction), register_active(proxy_auction)
    _proxy(proxy_auction, a, START + 10 * INC)  # a leads at the start, hidden maximum +10
    proxy_auction.refresh_from_db()
    assert (proxy_auction.current_price_fen, proxy_auction.leader_id) == (START, a.pk)
    bid(
        proxy_auction, b, START + 3 * INC
    )  # b outbids by hand; a's proxy answers with one increment
    proxy_auction.refresh_from_db()
    assert (proxy_auction.current_price_fen, proxy_auction.leader_id) == (START + 4 * INC, a.pk)
    history = [
        (x.bidder_code, x.amount_fen)
        for x in Bid.objects.filter(auction=proxy_auction).order_by("seq")
    ]
    assert history == [
        (a.bidder_code, START),
        (b.bidder_code, START + 3 * INC),
        (a.bidder_code, START + 4 * INC),
    ]


def test_higher_proxy_wins_one_increment_above_the_other_auc27(proxy_auction):
    a, b = register_active(proxy_auction), register_active(proxy_auction)
    _proxy(proxy_auction, a, START + 5 * INC)
    _proxy(proxy_auction, b, START + 8 * INC)
    proxy_auction.refresh_from_db()
    assert (proxy_auction.current_price_fen, proxy_auction.leader_id) == (START + 6 * INC, b.pk)


def test_earlier_equal_maximum_wins_auc27(proxy_auction):
    a, b = register_active(proxy_auction), register_active(proxy_auction)
    _proxy(proxy_auction, a, START + 5 * INC)
    clock.advance(dt.timedelta(seconds=1))
    _proxy(proxy_auction, b, START + 5 * INC)
    proxy_auction.refresh_from_db()
    assert (proxy_auction.current_price_fen, proxy_auction.leader_id) == (START + 5 * INC, a.pk)


def test_practice_auction_uses_the_same_rules_with_play_money(court, frozen_now):
    owner = bidder_user()
    auction = services.practice_auction_start(user=owner, duration_minutes=10)
    assert auction.is_practice and auction.state == AuctionState.BIDDING and auction.case_id is None
    user = bidder_user()
    reg = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    assert services.registration_pay_deposit(registration_id=reg.pk, user=user) is None  # no ledger
    services.registration_set_password(registration_id=reg.pk, user=user, password=PASSWORD)
    reg.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        bid(auction, reg, auction.starting_price_fen + 1)  # off the grid: same rules (AUC-21)
    assert exc.value.code == "bid_not_on_grid"
    bid(auction, reg, auction.starting_price_fen)
    from settlement.models import DepositHold

    assert not DepositHold.objects.exists()
    # Out of statistics, listings and case streams: its audit goes to practice:<id>.
    assert auction not in auction_public_list()
    assert auction_statistics() == {}
    assert AuditEntry.objects.filter(stream=f"practice:{auction.pk}").exists()
    assert not AuditEntry.objects.filter(stream=f"auction:{auction.pk}").exists()
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.state == AuctionState.SOLD and "模拟拍" in auction.result.confirmation_text


def test_sale_first_bid_must_equal_price_and_starts_24h_countdown_auc37(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge, basis_fen=None)
    sale = make_live_auction(
        court, lot, round_="sale", start=START, increment=INC, deposit=START, hours=60 * 24
    )
    a, b = register_active(sale), register_active(sale)
    with pytest.raises(DomainError) as exc:
        bid(sale, a, START + INC)
    assert (exc.value.code, exc.value.rule) == ("first_bid_must_equal_start", "AUC-37")
    bid(sale, a, START)
    sale.refresh_from_db()
    assert sale.end_at == clock.now() + dt.timedelta(hours=24)
    assert sale.sale_countdown_started_at == clock.now()
    # Raises within the countdown; the 5-minute rule then applies (AUC-23).
    clock.set_time(sale.end_at - dt.timedelta(minutes=1))
    bid(sale, b, START + INC)
    sale.refresh_from_db()
    assert sale.end_at == clock.now() + dt.timedelta(minutes=5)
