"""A websocket client of the live auction that keeps in step as docs/websocket.md says (for the
fault tests): bids merged by sequence number, state taken from the highest ``seq``, and a gap
repaired from the complete history over HTTP."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.browser.conftest import ChannelsLiveServer


def session_cookie(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return f"sessionid={client.cookies['sessionid'].value}"


class LiveClient:
    """One watcher (or bidder, with ``cookie``) of one auction on one server."""

    def __init__(self, server: ChannelsLiveServer, auction_id: int, cookie: str | None = None):
        self.auction_id = auction_id
        self.cookie = cookie
        self.bids: dict[int, dict[str, Any]] = {}
        self.have = 0
        self.price_fen: int | None = None
        self.messages: list[dict[str, Any]] = []
        self.history_fetches = 0
        self.connect(server)

    def connect(self, server: ChannelsLiveServer) -> dict[str, Any]:
        """(Re)connect to ``server``; the snapshot on connect is applied like any update."""
        self.server = server
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws: ClientConnection = connect(
            f"{server.ws_url}/ws/auctions/{self.auction_id}/",
            origin=Origin(server.url),
            additional_headers=headers,
            open_timeout=10,
        ).__enter__()  # closed by ``close`` (websockets 17 wants a context manager)
        return self.next("snapshot")

    def close(self) -> None:
        self.ws.close()

    def apply(self, message: dict[str, Any]) -> None:
        for bid in message.get("bids") or []:
            self.bids[int(bid["seq"])] = bid
        seq = message.get("seq")
        if isinstance(seq, int) and seq >= self.have:
            self.have = seq
            self.price_fen = message.get("price_fen", self.price_fen)

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The next message (applied if it carries state), or None after ``timeout``."""
        try:
            message = json.loads(self.ws.recv(timeout=timeout))
        except TimeoutError:
            return None
        if message["type"] in ("snapshot", "state", "extended", "closed"):
            self.apply(message)
        self.messages.append(message)
        return message

    def next(self, *types: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            message = self.recv(max(left, 0.01)) if left > 0 else None
            if message is None:
                raise AssertionError(f"no {types} within {timeout} s")
            if message["type"] in types:
                return message

    def bid(self, amount_fen: int, password: str) -> dict[str, Any]:
        self.ws.send(json.dumps({"type": "bid", "amount_fen": amount_fen, "password": password}))
        return self.next("bid_accepted", "bid_rejected", "error")

    def missing(self) -> list[int]:
        return [s for s in range(1, self.have + 1) if s not in self.bids]

    def fetch_history(self) -> None:
        """The resync of the protocol: the complete public history (AUC-25)."""
        url = f"{self.server.url}/bidding/auctions/{self.auction_id}/bids/?format=json"
        with urllib.request.urlopen(url, timeout=10) as response:
            history = json.loads(response.read())
        self.history_fetches += 1
        for bid in history["bids"]:
            self.bids[int(bid["seq"])] = bid
        if history["bids"]:
            self.have = max(self.have, max(int(b["seq"]) for b in history["bids"]))

    def drain(self, seconds: float) -> None:
        """Read whatever arrives for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.recv(left)
            except ConnectionClosed:
                return


__all__ = ["ConnectionClosed", "LiveClient", "session_cookie"]
