"""Fault: the database connection terminated in the middle of a bid (issue 15).

``pg_terminate_backend`` from another connection at the racy points of ``bid_place``: with
the auction's row locked and the bid, its audit entries and the auction's live fields written
but not committed, and just before that write. The bid must fail cleanly — a stable code
(``bid_not_recorded``, 503), never a 500 — with nothing half-written: no bid row, the audit
stream and the auction exactly as before, the hash chains intact; and the next bid on the same
thread works (the dead connection is dropped).
"""

from __future__ import annotations

import pytest
from django.db import connection

from bidding import services
from bidding.models import Auction, Bid
from core.audit import audit_verify
from core.errors import DomainError
from core.models import AuditEntry
from tests.bidding.engine_factories import PASSWORD, YUAN, make_case, make_live_auction
from tests.bidding.engine_factories import register_active as registered
from tests.conftest import make_court, make_user
from tests.race import in_thread, run_after, run_before

START = 100_000 * YUAN
INC = 1_000 * YUAN

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)


def _terminate_me(*args: object, **kwargs: object) -> None:
    """Kill this thread's backend from another connection, then return (the racy point)."""
    assert connection.connection is not None
    in_thread(_terminate, connection.connection.info.backend_pid)


def _state(auction: Auction) -> tuple[object, ...]:
    a = Auction.objects.get(pk=auction.pk)
    return (
        Bid.objects.filter(auction=a).count(),
        AuditEntry.objects.filter(stream=a.stream).count(),
        a.current_price_fen,
        a.last_seq,
        a.last_bid_hash,
        a.stream_seq,
        a.stream_hash,
        a.leader_code,
    )


@pytest.mark.parametrize(
    "racy_point", [run_after, run_before], ids=["written-not-committed", "locked-before-write"]
)
def test_a_bid_whose_connection_is_terminated_fails_cleanly_and_writes_nothing(racy_point):
    court = make_court()
    _, lot, _, _ = make_case(court, judge=make_user("judge", court))
    auction = make_live_auction(court, lot, start=START, increment=INC)
    first, second = registered(auction), registered(auction)
    services.bid_place(auction_id=auction.pk, user=first.user, amount_fen=START, password=PASSWORD)
    before = _state(auction)

    with (
        racy_point("bidding.bidwrite.write_bids", _terminate_me),
        pytest.raises(DomainError) as refused,
    ):
        services.bid_place(
            auction_id=auction.pk, user=second.user, amount_fen=START + INC, password=PASSWORD
        )
    assert refused.value.code == "bid_not_recorded"
    assert refused.value.status == 503
    assert refused.value.rule == "AUC-24"

    # Nothing half-written: bid, audit stream and auction exactly as before; chains intact.
    assert _state(auction) == before
    assert audit_verify([Auction.objects.get(pk=auction.pk).stream]) == []

    # The same thread bids again (a fresh connection) and the chains go on from the last bid.
    bid = services.bid_place(
        auction_id=auction.pk, user=second.user, amount_fen=START + INC, password=PASSWORD
    )
    assert bid.seq == 2
    after = Auction.objects.get(pk=auction.pk)
    assert (after.current_price_fen, after.leader_code) == (START + INC, second.bidder_code)
    assert audit_verify([after.stream]) == []
