"""Fault: Redis killed and restarted during live bidding, with two server processes (issue 15).

channels-redis keeps group members in Redis, so a restart forgets every process's membership of
``auction.<id>``; before the fix, a watcher on process B never again heard a bid made on
process A. Now each process's hub notices (its sentinel key is gone, or the layer failed),
re-joins, and resyncs its watchers (bidding/live.py, docs/websocket.md "Surviving a Redis
restart"). Asserted: updates resume within 5 s of Redis being back, and no acknowledged bid is
lost to a client that keeps in step by sequence number.
"""

from __future__ import annotations

import time

from bidding.models import Auction, Bid
from tests.bidding.engine_factories import (
    PASSWORD,
    YUAN,
    make_case,
    make_live_auction,
    register_active,
)
from tests.conftest import make_court, make_user
from tests.faults.live import LiveClient, session_cookie

START = 100_000 * YUAN
INC = 1_000 * YUAN
RESUME_SECONDS = 5.0


def _auction_with_two_bidders():
    court = make_court(name="南昌市东湖区人民法院（测试）")
    _, lot, _, _ = make_case(court, judge=make_user("judge", court))
    auction = make_live_auction(court, lot, start=START, increment=INC)
    return auction, register_active(auction), register_active(auction)


def test_a_watcher_on_b_hears_bids_on_a_again_within_5_s_of_a_redis_restart(redis_server, daphne):
    server_a, server_b = daphne(redis_server.url), daphne(redis_server.url)
    auction, reg_1, reg_2 = _auction_with_two_bidders()
    watcher = LiveClient(server_b, auction.pk)
    bidders = [LiveClient(server_a, auction.pk, session_cookie(r.user)) for r in (reg_1, reg_2)]
    acked: dict[int, int] = {}  # seq → amount of every acknowledged bid
    amount = START

    def bid() -> int:
        nonlocal amount
        reply = bidders[len(acked) % 2].bid(amount, PASSWORD)
        assert reply["type"] == "bid_accepted", reply
        acked[reply["seq"]] = reply["amount_fen"]
        amount += INC
        return int(reply["seq"])

    # Before the fault: B hears A's bids through Redis.
    for _ in range(3):
        seq = bid()
    deadline = time.monotonic() + RESUME_SECONDS
    while watcher.have < seq and time.monotonic() < deadline:
        watcher.recv(0.2)
    assert sorted(watcher.bids) == [1, 2, 3]

    # Redis crashes during live bidding: bids still commit (and are acknowledged).
    redis_server.kill()
    for _ in range(3):
        bid()
    time.sleep(0.5)
    redis_server.start()  # an empty Redis: every group membership is gone
    back = time.monotonic()

    # Bids keep coming on A; B's watcher must hear one made after the restart, as a push.
    heard_after = None
    first_after = None
    while time.monotonic() - back < RESUME_SECONDS * 2:
        seq = bid()
        first_after = first_after or seq
        until = time.monotonic() + 0.3
        while (left := until - time.monotonic()) > 0:
            message = watcher.recv(left) or {}
            pushed = message.get("type") == "state" and not message.get("resync")
            if pushed and any(b["seq"] >= first_after for b in message["bids"]):
                heard_after = time.monotonic() - back
        if heard_after is not None:
            break
    assert heard_after is not None and heard_after < RESUME_SECONDS, heard_after

    # Nothing acknowledged is lost: the resync message (or, for a gap, the history) has it.
    watcher.drain(1.0)
    assert any(m.get("resync") for m in watcher.messages), "B's hub resyncs its watchers"
    if watcher.missing():
        watcher.fetch_history()
    assert watcher.missing() == []
    assert {s: watcher.bids[s]["amount_fen"] for s in acked} == acked
    assert watcher.have == max(acked)
    assert Bid.objects.filter(auction=auction).count() == len(acked)
    assert Auction.objects.get(pk=auction.pk).current_price_fen == acked[max(acked)]
    for client in [watcher, *bidders]:
        client.close()
