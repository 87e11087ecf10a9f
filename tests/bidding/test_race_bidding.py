"""Races on real PostgreSQL row locks, with real threads (each its own pooled connection).

- 50 bidders on one auction: no lost or duplicated acknowledged bid, strictly increasing
  prices, contiguous sequence numbers, exactly one leader and one winner (AUC-24, AUC-25).
- Bids racing the close: none accepted after it (AUC-24, AUC-28).
- Several closers: each auction closed exactly once.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import threading

import pytest
from django.db import connection

from bidding import services
from bidding.models import AuctionResult, AuctionState, Bid
from core import clock
from core.audit import audit_verify
from core.errors import DomainError
from tests import race

from .engine_factories import (
    PASSWORD,
    YUAN,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

START = 10_000 * YUAN
INC = 100 * YUAN


@pytest.fixture(autouse=True)
def _close_pool():
    """Threads returned their connections to the pool; close it so the test DB can be dropped."""
    yield
    if hasattr(connection, "close_pool"):
        connection.close_pool()


def _warm(regs) -> None:
    """Verify each bidding password once up front (as a bidder's first bid would), so the
    threads race on the row lock and not on PBKDF2 under the GIL while holding pooled
    connections."""
    for reg in regs:
        assert services._password_ok(reg, PASSWORD)


def _run_threads(n: int, target) -> list:
    """Start ``n`` threads together (``tests.race``); each returns its own result list."""
    results = race.together(*(functools.partial(target, i) for i in range(n)))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    return results


@pytest.fixture
def live(court, judge):
    clock.set_time(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    _case, lot, _c, _d = make_case(court, judge=judge, basis_fen=None)
    return make_live_auction(court, lot, start=START, increment=INC, hours=2)


def test_fifty_concurrent_bidders_lose_nothing_and_keep_order(live):
    regs = [register_active(live) for _ in range(50)]
    _warm(regs)
    attempts_each = 12

    def bidder(i: int) -> list:
        reg = regs[i]
        rnd = random.Random(i)
        acks = []
        for _ in range(attempts_each):
            price = services.Auction.objects.filter(pk=live.pk).values_list(
                "current_price_fen", flat=True
            )[0]
            amount = START if price is None else price + INC * rnd.choice([1, 1, 2, 3])
            try:
                b = services.bid_place(
                    auction_id=live.pk, user=reg.user, amount_fen=amount, password=PASSWORD
                )
                acks.append((b.seq, b.amount_fen, reg.pk))
            except DomainError as exc:
                assert exc.code in {
                    "bid_too_low",
                    "equal_bid_not_allowed",
                    "leader_cannot_rebid",
                }, exc.as_dict()
            connection.close()  # back to the pool: 50 threads share a small pool, as under daphne
        return acks

    acks = list(itertools.chain.from_iterable(_run_threads(50, bidder)))
    bids = list(Bid.objects.filter(auction=live).order_by("seq"))
    assert len(acks) > 10
    # No lost and no duplicated acknowledged bid: the acknowledgements are exactly the stored bids.
    assert sorted(acks) == [(b.seq, b.amount_fen, b.registration_id) for b in bids]
    assert [b.seq for b in bids] == list(range(1, len(bids) + 1))  # contiguous
    assert all(later.amount_fen > earlier.amount_fen for earlier, later in itertools.pairwise(bids))
    assert all(later.at >= earlier.at for earlier, later in itertools.pairwise(bids))
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(bids))
    live.refresh_from_db()
    last = bids[-1]
    assert (live.last_seq, live.current_price_fen, live.leader_id) == (
        last.seq,
        last.amount_fen,
        last.registration_id,
    )
    assert audit_verify([f"auction:{live.pk}"]) == []
    clock.set_time(live.end_at)
    assert services.auction_close_due() == [live.pk]
    result = AuctionResult.objects.get(auction=live)
    assert (result.winner_id, result.price_fen, result.bid_count) == (
        last.registration_id,
        last.amount_fen,
        last.seq,
    )


def test_bids_racing_the_close_are_never_accepted_after_it(live):
    regs = [register_active(live) for _ in range(12)]
    _warm(regs)
    clock.set_time(live.end_at - dt.timedelta(seconds=30))
    stop = threading.Event()

    def bidder(i: int) -> list:
        acks = []
        if i == len(
            regs
        ):  # the closer: jump past any extension, then close (retrying on skip_locked)
            closed = []
            for _ in range(200):
                clock.advance(dt.timedelta(minutes=6))
                closed += services.auction_close_due()
                if closed:
                    break
            stop.set()
            return closed
        reg = regs[i]
        while not stop.is_set():
            price = services.Auction.objects.filter(pk=live.pk).values_list(
                "current_price_fen", flat=True
            )[0]
            amount = START if price is None else price + INC
            try:
                b = services.bid_place(
                    auction_id=live.pk, user=reg.user, amount_fen=amount, password=PASSWORD
                )
                acks.append(b.seq)
            except DomainError as exc:
                assert exc.code in {
                    "bid_too_low",
                    "equal_bid_not_allowed",
                    "leader_cannot_rebid",
                    "auction_ended",
                }
            connection.close()
        return acks

    out = _run_threads(len(regs) + 1, bidder)
    closed = out[-1]
    acked = sorted(itertools.chain.from_iterable(out[:-1]))
    assert closed == [live.pk]
    live.refresh_from_db()
    result = AuctionResult.objects.get(auction=live)
    bids = list(Bid.objects.filter(auction=live).order_by("seq"))
    assert acked == [b.seq for b in bids]  # every acknowledged bid is stored, nothing else
    assert len(bids) == result.bid_count == live.last_seq
    assert all(
        b.at < live.end_at <= result.closed_at for b in bids
    )  # AUC-24: accepted only if t < end
    assert live.state in (AuctionState.SOLD, AuctionState.UNSOLD)
    if bids:
        assert result.winner_id == bids[-1].registration_id
    # After the close, nothing more is accepted.
    with pytest.raises(DomainError):
        services.bid_place(
            auction_id=live.pk, user=regs[0].user, amount_fen=10**12, password=PASSWORD
        )


def test_several_closers_close_each_auction_exactly_once(court, judge, settings):
    settings.GAVEL_PRACTICE_MAX_ACTIVE = 100  # one owner starts 24 practice auctions here
    clock.set_time(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    owner = bidder_user()
    auctions = []
    for _ in range(24):
        a = services.practice_auction_start(user=owner, duration_minutes=30)
        reg = register_active(a)
        services.bid_place(
            auction_id=a.pk, user=reg.user, amount_fen=a.starting_price_fen, password=PASSWORD
        )
        auctions.append(a)
    clock.advance(dt.timedelta(hours=1))

    def closer(i: int) -> list:
        got = []
        for _ in range(5):
            got += services.auction_close_due(limit=3)
        return got

    out = _run_threads(6, closer)
    closed = list(itertools.chain.from_iterable(out))
    assert sorted(closed) == sorted(a.pk for a in auctions)  # each once, none twice
    assert AuctionResult.objects.filter(auction__in=auctions).count() == len(auctions)
    assert all(r.followup_done_at for r in AuctionResult.objects.filter(auction__in=auctions))
