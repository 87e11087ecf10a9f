"""The live fan-out inside the real server (daphne, as in production and the demo): the hub
writes each update's websocket frame straight to every open connection. Real websocket
clients (no browser) watch; a bidder bids over its own socket; every watcher gets every
update, in order, as text frames a client can parse (AUC-25: the history is public and live)."""

from __future__ import annotations

import contextlib
import json

from websockets.sync.client import connect

from tests.bidding.engine_factories import (
    PASSWORD,
    YUAN,
    make_case,
    make_live_auction,
    register_active,
)
from tests.conftest import make_court, make_user

START = 100_000 * YUAN
INC = 1_000 * YUAN
WATCHERS = 25
BIDS = 12


def _cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return f"sessionid={client.cookies['sessionid'].value}"


def _next(ws, *types: str) -> dict:
    while True:
        message = json.loads(ws.recv(timeout=15))
        if message["type"] in types:
            return message


def test_every_watcher_of_the_real_server_gets_every_update_in_order(channels_live_server):
    court = make_court(name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court)
    _, lot, _, _ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=START, increment=INC)
    a, b = register_active(auction), register_active(auction)
    base = channels_live_server.url.replace("http://", "ws://")
    url = f"{base}/ws/auctions/{auction.pk}/"
    origin = channels_live_server.url
    with contextlib.ExitStack() as stack:
        watchers = [stack.enter_context(connect(url, origin=origin)) for _ in range(WATCHERS)]
        bidders = [
            stack.enter_context(
                connect(url, origin=origin, additional_headers={"Cookie": _cookie(r.user)})
            )
            for r in (a, b)
        ]
        for ws in watchers + bidders:
            assert _next(ws, "snapshot")["auction_id"] == auction.pk
        amount = START
        for i in range(BIDS):
            ws = bidders[i % 2]
            ws.send(json.dumps({"type": "bid", "amount_fen": amount, "password": PASSWORD}))
            assert _next(ws, "bid_accepted", "bid_rejected", "error")["type"] == "bid_accepted"
            amount += INC
        for ws in watchers:
            seen: list[int] = []
            while not seen or seen[-1] < BIDS:
                update = _next(ws, "state", "extended")
                seen += [row["seq"] for row in update["bids"]]
            # Every bid once, in order (updates may merge several bids, never lose one).
            assert seen == list(range(1, BIDS + 1))
            assert update["price_fen"] == START + (BIDS - 1) * INC
            assert update["leader_code"] == (b if BIDS % 2 == 0 else a).bidder_code
