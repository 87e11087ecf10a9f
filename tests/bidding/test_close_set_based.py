"""Issue 18: the clock closes a batch of due auctions with set-based statements on PostgreSQL,
with the outcome, records and audit of the one-by-one close for each auction (AUC-28, AUC-29,
REC-08), exactly once with two clocks at once, and falls back to one by one when the batch
cannot be written at once (a stale stream mirror)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bidding import services
from bidding.models import Auction, AuctionResult, AuctionState, Registration
from bidding.services import close as close_module
from core import clock
from core.audit import audit_record, audit_verify
from core.models import AuditEntry, AuditStream, DocumentRequest
from tests import race

from .engine_factories import YUAN, bid, make_case, make_live_auction, register_active

pytestmark = pytest.mark.postgres

START = 100_000 * YUAN


def _auctions(court, judge, n: int, *, sold: int = 0) -> list[Auction]:
    """``n`` live auctions, the first ``sold`` with two bidders (one loser), the rest without
    a bid; all due."""
    auctions = []
    for i in range(n):
        lot = make_case(court, judge=judge)[1]
        auction = make_live_auction(court, lot, start=START, increment=YUAN)
        if i < sold:
            a, b = register_active(auction), register_active(auction)
            bid(auction, a, START)
            bid(auction, b, START + YUAN)
        auctions.append(auction)
    ends = [a.end_at for a in Auction.objects.filter(pk__in=[a.pk for a in auctions])]
    clock.set_time(max(e for e in ends if e is not None) + dt.timedelta(seconds=2))
    return auctions


def _no_one_by_one(monkeypatch) -> None:
    def boom(auction: Auction, now: dt.datetime) -> AuctionResult:
        raise AssertionError("the batch was not closed set-based")

    monkeypatch.setattr(close_module, "_close", boom)


@pytest.mark.django_db
def test_a_batch_closes_set_based_with_each_auction_audited_auc28_auc29_rec08(
    court, judge, settings, monkeypatch
):
    settings.GAVEL_CLOSE_BATCH = 10
    auctions = _auctions(court, judge, 3, sold=2)
    leaders = {a.pk: Auction.objects.get(pk=a.pk).leader_id for a in auctions}
    _no_one_by_one(monkeypatch)
    assert sorted(services.auction_close_due(followups=False)) == sorted(a.pk for a in auctions)

    for auction in auctions:
        auction.refresh_from_db()
        result = AuctionResult.objects.get(auction=auction)
        sold = auction.leader_id is not None
        assert auction.state == (AuctionState.SOLD if sold else AuctionState.UNSOLD)
        assert auction.closed_at == clock.now() == result.closed_at
        if sold:  # AUC-29: the confirmation names the buyer, published at once
            assert result.winner_id == leaders[auction.pk]
            assert result.price_fen == START + YUAN
            assert result.confirmation_published_at == clock.now()
            assert result.buyer_name and result.winner_code in result.confirmation_text
            assert auction.case is not None and result.winner_id is not None
            assert auction.case.number in result.confirmation_text
            assert Registration.objects.get(pk=result.winner_id).status == "winner"
            assert DocumentRequest.objects.filter(subject=f"auction:{auction.pk}/sale").exists()
        else:
            assert result.outcome == "unsold" and result.winner_id is None
            assert DocumentRequest.objects.filter(subject=f"auction:{auction.pk}").exists()
        # REC-08: the auction's own stream records the change with the old and the new state,
        # its case's stream the outcome; the row's mirror is the stream's head.
        entry = AuditEntry.objects.filter(stream=auction.stream).order_by("-seq").first()
        assert entry is not None and entry.after is not None
        assert entry.action == f"auction.closed.{result.outcome}"
        assert entry.before == {"state": "bidding"}
        assert entry.after["state"] == auction.state
        assert entry.after["outcome"] == result.outcome
        assert entry.rule_ids == ("AUC-28,AUC-29" if sold else "AUC-28")
        head = AuditStream.objects.get(name=auction.stream)
        assert (auction.stream_seq, auction.stream_hash) == (head.last_seq, head.last_hash)
        case_entries = AuditEntry.objects.filter(
            stream=f"case:{auction.case_id}", action__startswith="auction.closed."
        )
        assert [(e.subject, (e.after or {})["outcome"]) for e in case_entries] == [
            (auction.ref, result.outcome)
        ]
    streams = [a.stream for a in auctions] + [f"case:{a.case_id}" for a in auctions]
    assert audit_verify(streams, anchors=[]) == []
    assert services.auction_close_due(followups=False) == []  # exactly once


@pytest.mark.django_db
def test_two_auctions_of_one_case_chain_in_its_stream_auc28(court, judge, settings, monkeypatch):
    settings.GAVEL_CLOSE_BATCH = 10
    case, lot, *_ = make_case(court, judge=judge)
    auctions = [make_live_auction(court, lot, start=START) for _ in range(2)]
    clock.set_time(max(a.end_at for a in auctions if a.end_at) + dt.timedelta(seconds=2))
    _no_one_by_one(monkeypatch)
    assert sorted(services.auction_close_due(followups=False)) == sorted(a.pk for a in auctions)
    entries = AuditEntry.objects.filter(
        stream=f"case:{case.pk}", action="auction.closed.unsold"
    ).order_by("seq")
    assert sorted(e.subject for e in entries) == sorted(a.ref for a in auctions)
    assert entries[1].seq == entries[0].seq + 1 and entries[1].prev_hash == entries[0].hash
    assert audit_verify([f"case:{case.pk}"], anchors=[]) == []


@pytest.mark.django_db
def test_the_statements_of_a_batch_do_not_grow_with_its_size_auc28(court, judge, settings):
    settings.GAVEL_CLOSE_BATCH = 50

    def statements(n: int) -> int:
        _auctions(court, judge, n, sold=n // 2)
        with CaptureQueriesContext(connection) as ctx:
            assert len(services.auction_close_due(followups=False)) == n
        return len(ctx.captured_queries)

    small, large = statements(2), statements(6)
    assert large <= small + 2, (small, large)  # not 4 × (≈20 per close)


@pytest.mark.django_db
def test_a_stale_stream_mirror_falls_back_to_one_by_one_and_stays_chained_auc28(
    court, judge, settings
):
    """Someone wrote an auction's stream elsewhere: the batch's compare-and-set fails, the
    batch rolls back to its savepoint, and the one-by-one close re-links the entry."""
    settings.GAVEL_CLOSE_BATCH = 10
    auctions = _auctions(court, judge, 3, sold=1)
    stale = auctions[1]
    with transaction.atomic():  # an entry written past the row's mirror of the head
        audit_record(stream=stale.stream, action="test.elsewhere", subject=stale.ref)
    assert sorted(services.auction_close_due(followups=False)) == sorted(a.pk for a in auctions)
    assert Counter(AuctionResult.objects.values_list("auction_id", flat=True)) == Counter(
        {a.pk: 1 for a in auctions}
    )
    for auction in auctions:
        assert (
            AuditEntry.objects.filter(
                stream=auction.stream, action__startswith="auction.closed."
            ).count()
            == 1
        )
    assert audit_verify([a.stream for a in auctions], anchors=[]) == []


@pytest.fixture
def _close_pool():
    yield
    if hasattr(connection, "close_pool"):
        connection.close_pool()


@pytest.mark.django_db(transaction=True)
def test_two_clocks_close_each_auction_once_set_based_auc28(court, judge, settings, _close_pool):
    """Two clocks at once (two connections, small batches): every auction closed once, one
    outcome record, one closing entry in its stream and one in its case's."""
    settings.GAVEL_CLOSE_BATCH = 3
    auctions = _auctions(court, judge, 12, sold=4)

    def clock_turn() -> list[int]:
        return services.auction_close_due(followups=False)

    got = race.together(clock_turn, clock_turn, reraise=True)
    assert not set(got[0]) & set(got[1])
    assert sorted(got[0] + got[1]) == sorted(a.pk for a in auctions)
    assert Counter(AuctionResult.objects.values_list("auction_id", flat=True)) == Counter(
        {a.pk: 1 for a in auctions}
    )
    closing = AuditEntry.objects.filter(action__startswith="auction.closed.")
    per_stream = Counter(closing.values_list("stream", flat=True))
    assert per_stream == Counter(
        {a.stream: 1 for a in auctions} | {f"case:{a.case_id}": 1 for a in auctions}
    )
    assert audit_verify(list(per_stream), anchors=[]) == []
    assert services.auction_close_due(followups=False) == []
