"""Issue 18: a close queues its follow-up (money, notices, deadlines) for the worker.

The clock closes and commits; the outcome row (``followup_done_at`` empty) is the queue, so a
crash between the close and its follow-up loses nothing. Two workers take the queued
follow-ups together: each runs exactly once and each loser's deposit is released exactly once
(AUC-30); the confirmation (AUC-29) is published by the close itself, before any follow-up.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection

from bidding import services
from bidding.models import AuctionResult, Registration
from bidding.services import close as close_module
from core import clock
from tests import race

from .engine_factories import YUAN, bid, make_case, make_live_auction, register_paid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

START = 100_000 * YUAN
INC = 1_000 * YUAN


@pytest.fixture(autouse=True)
def _close_pool():
    yield
    if hasattr(connection, "close_pool"):
        connection.close_pool()


def test_two_workers_run_each_queued_close_followup_once_auc28_auc29_auc30(
    court, judge, monkeypatch
):
    clock.set_time(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    auctions, losers = [], []
    for i in range(4):
        lot = make_case(court, judge=judge)[1]
        auction = make_live_auction(court, lot, start=START, increment=INC, deposit=10_000 * YUAN)
        regs = [register_paid(auction) for _ in range(2)]
        if i % 2 == 0:  # two sold (one loser each), two unsold (both deposits released)
            bid(auction, regs[0], START)
            bid(auction, regs[1], START + INC)
            losers.append(regs[0])
        else:
            losers += regs
        auctions.append(auction)
    ends = [a.end_at for a in auctions if a.end_at is not None]
    clock.set_time(max(ends) + dt.timedelta(seconds=1))

    # The clock closes without the follow-ups (what run_clock does): then "crashes".
    closed = services.auction_close_due(followups=False)
    assert sorted(closed) == sorted(a.pk for a in auctions)
    results = AuctionResult.objects.filter(auction__in=auctions)
    assert all(r.followup_done_at is None for r in results)  # queued, not done
    sold = [r for r in results if r.outcome == "sold"]
    assert len(sold) == 2
    assert all(r.confirmation_published_at == clock.now() for r in sold)  # AUC-29: at once
    assert not Registration.objects.filter(status=Registration.Status.RELEASED).exists()
    from core.models import DocumentRequest

    # The 成交确认书 / 流拍公告 are queued in the close's transaction, not after it.
    assert set(DocumentRequest.objects.values_list("subject", flat=True)) >= {
        f"auction:{r.auction_id}/sale" if r.outcome == "sold" else f"auction:{r.auction_id}"
        for r in results
    }

    runs: Counter[int] = Counter()
    lock = threading.Lock()
    real = close_module._followup

    def counted(result: AuctionResult) -> AuctionResult:
        with lock:
            runs[result.auction_id] += 1
        return real(result)

    monkeypatch.setattr(close_module, "_followup", counted)
    done = race.together(
        services.auction_followups_due, services.auction_followups_due, reraise=True
    )
    assert sum(done) == len(auctions)
    assert runs == Counter({a.pk: 1 for a in auctions})  # each follow-up exactly once
    assert all(r.followup_done_at for r in AuctionResult.objects.filter(auction__in=auctions))
    assert services.auction_followups_due() == 0  # nothing left, nothing run again

    from settlement.models import DepositHold, GatewayOperation

    releases = Counter(
        GatewayOperation.objects.filter(context="deposit_release").values_list(
            "subject_ref", flat=True
        )
    )
    assert releases == Counter({r.money_ref: 1 for r in losers})  # AUC-30: once each
    holds = {h.ref: h.status for h in DepositHold.objects.all()}
    assert all(holds[r.money_ref] in ("releasing", "released") for r in losers)
    assert {r.status for r in Registration.objects.filter(pk__in=[r.pk for r in losers])} == {
        Registration.Status.RELEASED
    }
