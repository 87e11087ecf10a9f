"""Fault: one of two server processes killed during live bidding (issue 15).

The clients of the killed process reconnect to the other one (as a proxy would send them) and
keep in step by sequence number: the snapshot on connect, then the pushes, with the history for
any gap. Every acknowledged bid is there; a bid in flight when the process died is either
committed (and then seen by everyone) or not at all.
"""

from __future__ import annotations

import json
import signal

import pytest

from bidding.models import Auction, Bid
from tests.bidding.engine_factories import (
    PASSWORD,
    YUAN,
    make_case,
    make_live_auction,
    register_active,
)
from tests.conftest import make_court, make_user
from tests.faults.live import ConnectionClosed, LiveClient, session_cookie

START = 100_000 * YUAN
INC = 1_000 * YUAN


def test_clients_of_a_killed_server_reconnect_to_the_other_and_lose_no_acknowledged_bid(
    redis_server, daphne
):
    server_a, server_b = daphne(redis_server.url), daphne(redis_server.url)
    court = make_court(name="南昌市东湖区人民法院（测试）")
    _, lot, _, _ = make_case(court, judge=make_user("judge", court))
    auction = make_live_auction(court, lot, start=START, increment=INC)
    reg_1, reg_2 = register_active(auction), register_active(auction)
    watcher = LiveClient(server_a, auction.pk)
    bidder_1 = LiveClient(server_a, auction.pk, session_cookie(reg_1.user))
    bidder_2 = LiveClient(server_b, auction.pk, session_cookie(reg_2.user))
    acked: dict[int, int] = {}
    amount = START
    for i in range(4):
        reply = (bidder_1, bidder_2)[i % 2].bid(amount, PASSWORD)
        assert reply["type"] == "bid_accepted", reply
        acked[reply["seq"]] = amount
        amount += INC
    watcher.drain(0.5)

    # A bid is in flight on A when A dies (SIGKILL: no goodbye to anyone).
    bidder_1.ws.send(json.dumps({"type": "bid", "amount_fen": amount, "password": PASSWORD}))
    server_a.process.send_signal(signal.SIGKILL)
    server_a.process.wait(10)
    for client in (watcher, bidder_1):
        with pytest.raises(ConnectionClosed):
            client.drain(5)
            client.ws.recv(timeout=5)

    # They reconnect to B; the snapshot tells them where things stand.
    snapshot = watcher.connect(server_b)
    bidder_1.connect(server_b)
    in_flight_committed = Bid.objects.filter(auction=auction, amount_fen=amount).exists()
    expected_seq = max(acked) + (1 if in_flight_committed else 0)
    assert snapshot["seq"] == expected_seq
    if in_flight_committed:
        acked[expected_seq] = amount
    amount = snapshot["next_min_bid_fen"]

    # Bidding goes on through B; the reconnected watcher hears it.
    for i in range(2):
        reply = (bidder_1, bidder_2)[i % 2].bid(amount, PASSWORD)
        assert reply["type"] == "bid_accepted", reply
        acked[reply["seq"]] = amount
        amount += INC
    while watcher.have < max(acked):
        watcher.next("state", "extended", timeout=5)
    if watcher.missing():
        watcher.fetch_history()
    assert watcher.missing() == []
    assert {s: watcher.bids[s]["amount_fen"] for s in acked} == acked
    assert Bid.objects.filter(auction=auction).count() == len(acked)
    assert Auction.objects.get(pk=auction.pk).current_price_fen == acked[max(acked)]
    for client in (watcher, bidder_1, bidder_2):
        client.close()
