"""Issue 18: due closes taken in batches (one locking query and one commit per batch, each
close in its own savepoint), still each exactly once (AUC-28)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bidding import services
from bidding.models import Auction, AuctionResult, AuctionState
from bidding.services import close as close_module
from core import clock

from .engine_factories import YUAN, make_case, make_live_auction

pytestmark = pytest.mark.django_db


def _due(court, judge, n: int) -> list[Auction]:
    auctions = []
    for _ in range(n):
        lot = make_case(court, judge=judge)[1]
        auctions.append(make_live_auction(court, lot, start=100_000 * YUAN, increment=YUAN))
    ends = [a.end_at for a in auctions if a.end_at is not None]
    clock.set_time(max(ends) + dt.timedelta(seconds=1))
    return auctions


def _close_queries(batch: int, settings) -> int:
    settings.GAVEL_CLOSE_BATCH = batch
    with CaptureQueriesContext(connection) as ctx:
        assert len(services.auction_close_due(followups=False)) == 4
    return len(ctx.captured_queries)


def test_a_batch_closes_with_fewer_statements_than_one_by_one_auc28(court, judge, settings):
    _due(court, judge, 4)
    one_by_one = _close_queries(1, settings)
    _due(court, judge, 4)
    batched = _close_queries(4, settings)
    # One locking SELECT (and one transaction) for the batch instead of one per close.
    assert batched <= one_by_one - 3, (batched, one_by_one)


def test_one_failing_close_rolls_back_alone_auc28(court, judge, settings, monkeypatch):
    settings.GAVEL_CLOSE_BATCH = 10
    auctions = _due(court, judge, 3)
    bad = auctions[1].pk
    real = close_module._close

    def flaky(auction: Auction, now: dt.datetime) -> AuctionResult:
        if auction.pk == bad:
            raise RuntimeError("boom")
        return real(auction, now)

    monkeypatch.setattr(close_module, "_close", flaky)
    closed = services.auction_close_due(followups=False)
    assert sorted(closed) == sorted(a.pk for a in auctions if a.pk != bad)
    states = dict(Auction.objects.values_list("pk", "state"))
    assert (
        states[bad] == AuctionState.BIDDING
        and not AuctionResult.objects.filter(auction_id=bad).exists()
    )
    monkeypatch.setattr(close_module, "_close", real)
    assert services.auction_close_due(followups=False) == [bad]  # the next turn closes it once
    assert services.auction_close_due(followups=False) == []
