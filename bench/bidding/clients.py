"""Websocket clients of the bench, run in their own processes (``websockets``, asyncio).

No Django here: the clients speak the public protocol (docs/websocket.md) to the real server.
Every client process starts at a common wall-clock instant, runs a bounded time and returns
plain data (times are ``time.time()``, comparable across processes on one machine).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from datetime import datetime
from typing import Any

from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.typing import Origin
from websockets.uri import parse_uri

_ids = itertools.count(1)


def _open(url: str, cookie: str | None):
    origin = url.replace("ws://", "http://").split("/ws/")[0]
    headers = [("Cookie", cookie)] if cookie else None
    return connect(
        url,
        origin=origin,
        additional_headers=headers,
        compression=None,
        max_queue=None,
        ping_interval=None,
        open_timeout=60,
        close_timeout=2,
    )


class Bidder:
    """One signed-in bidder: knows the price from broadcasts and replies, awaits its replies."""

    def __init__(self, url: str, cookie: str, password: str, code: str) -> None:
        self.url, self.cookie, self.password, self.code = url, cookie, password, code
        self.next_min = 0
        self.leader: str | None = None
        self.seq = 0
        self.outbid = asyncio.Event()
        self.pending: dict[str, tuple[float, asyncio.Future | None]] = {}
        self.replies: list[
            tuple[float, float, str, str, bool]
        ] = []  # sent, got, type, code, precheck
        self.acks: dict[int, float] = {}  # seq → the accepted bid's server time (epoch)
        self.acked: dict[int, float] = {}  # seq → when its acceptance reached this client
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.log: list[tuple] = []  # the last messages (for diagnosing a run)

    async def start(self) -> None:
        self.ws = await _open(self.url, self.cookie)
        snap = json.loads(await self.ws.recv())
        self.next_min = snap["next_min_bid_fen"]
        self.leader = snap.get("leader_code")
        self.seq = snap.get("seq") or 0
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            now = time.time()
            m = json.loads(raw)
            kind = m.get("type")
            self.log.append(
                (
                    round(now, 4),
                    kind,
                    m.get("seq"),
                    m.get("leader_code") or m.get("bidder_code"),
                    m.get("code"),
                )
            )
            del self.log[:-12]
            if kind in ("state", "extended", "closed"):
                if m.get("next_min_bid_fen"):
                    self.next_min = max(self.next_min, m["next_min_bid_fen"])
                # Apply by sequence number: updates and acks may arrive in either order.
                if (m.get("seq") or 0) >= self.seq and m.get("leader_code"):
                    self.seq = m.get("seq") or 0
                    self.leader = m["leader_code"]
                    if self.leader != self.code:
                        self.outbid.set()
            elif kind in ("bid_accepted", "bid_rejected", "error"):
                sent, fut = self.pending.pop(m.get("client_id"), (None, None))
                if sent is not None:
                    self.replies.append(
                        (sent, now, kind, m.get("code", ""), bool(m.get("precheck")))
                    )
                if kind == "bid_accepted":
                    # The bid's server time (taken under the lock just before the commit):
                    # the reference for "how long until every watcher has it".
                    self.acks[m["seq"]] = datetime.fromisoformat(m["at"]).timestamp()
                    self.acked[m["seq"]] = now
                    self.next_min = max(self.next_min, m.get("next_min_bid_fen") or 0)
                    if m["seq"] >= self.seq:  # not if a later bid has already been seen
                        self.seq = m["seq"]
                        self.leader = self.code
                elif kind == "bid_rejected":
                    hint = m.get("next_min_bid_fen") or (m.get("data") or {}).get("min_fen") or 0
                    self.next_min = max(self.next_min, hint)
                if fut is not None and not fut.done():
                    fut.set_result(m)

    def send_bid(self, amount: int, *, wait: bool) -> asyncio.Future | None:
        cid = f"b{next(_ids)}"
        fut = asyncio.get_running_loop().create_future() if wait else None
        self.pending[cid] = (time.time(), fut)
        payload = {"type": "bid", "amount_fen": amount, "client_id": cid, "password": self.password}
        asyncio.get_running_loop().create_task(self.ws.send(json.dumps(payload)))
        return fut

    async def bid(self, amount: int) -> dict:
        return await self.send_bid(amount, wait=True)

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.ws:
            await self.ws.close()


async def _sleep_until(t: float) -> None:
    delay = t - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


# --- roles ------------------------------------------------------------------------------------


async def _closed_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """(a) and (b): each bidder bids the next valid amount, waits for the reply, repeats; a
    bidder that leads waits until it is outbid (as a person would)."""
    bidders = [Bidder(**b) for b in spec["bidders"]]
    await asyncio.gather(*(b.start() for b in bidders))

    # Prime: one refused bid each makes the server verify the bidding password once (the
    # full hash of an account password, remembered afterwards), all bidders at once as they
    # would arrive; each one's time is recorded (the unlock cost), not counted in the window.
    async def prime(b: Bidder) -> float:
        t = time.perf_counter()
        await b.bid(1)
        return time.perf_counter() - t

    primes = await asyncio.gather(*(prime(b) for b in bidders))
    prime_late = max(0.0, time.time() - spec["start_at"])
    for b in bidders:
        b.replies.clear()
    await _sleep_until(spec["start_at"])
    stop_at = spec["start_at"] + spec["seconds"]

    async def loop(b: Bidder) -> None:
        while time.time() < stop_at:
            if b.leader == b.code:
                b.outbid.clear()
                if b.leader != b.code:  # outbid between the check and the clear
                    continue
                try:
                    await asyncio.wait_for(
                        b.outbid.wait(), timeout=max(0.01, stop_at - time.time())
                    )
                except TimeoutError:
                    return
                continue
            await b.bid(b.next_min)

    await asyncio.gather(*(loop(b) for b in bidders))
    out = {
        "replies": [r for b in bidders for r in b.replies],
        "acks": {},
        "end_state": [(b.code, b.leader, b.next_min, len(b.pending), b.log) for b in bidders],
        "prime": primes,
        "prime_late": prime_late,
    }
    for b in bidders:
        await b.close()
    return out


async def _open_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """(c): a fixed offered load, spread evenly over the bidders, whatever the replies say."""
    bidders = [Bidder(**b) for b in spec["bidders"]]
    await asyncio.gather(*(b.start() for b in bidders))
    for b in bidders:
        await b.bid(1)
    for b in bidders:
        b.replies.clear()
    rate = spec["rate"]  # attempts/s from this process
    await _sleep_until(spec["start_at"] + spec.get("phase", 0.0))
    t0 = time.time()
    n = int(rate * spec["seconds"])
    for i in range(n):
        await _sleep_until(t0 + i / rate)
        b = bidders[i % len(bidders)]
        b.send_bid(b.next_min, wait=False)
    await asyncio.sleep(2.0)  # let the last replies arrive
    out = {"replies": [r for b in bidders for r in b.replies], "sent": n}
    for b in bidders:
        await b.close()
    return out


async def _driver(spec: dict[str, Any]) -> dict[str, Any]:
    """(d): two bidders alternate, each bid accepted, at a fixed number of updates a second."""
    a, b = (Bidder(**x) for x in spec["bidders"][:2])
    await asyncio.gather(a.start(), b.start())
    await a.bid(1)
    await b.bid(1)
    await _sleep_until(spec["start_at"])
    rate, amount, inc = spec["rate"], spec["start"], spec["inc"]
    t0 = time.time()
    n = int(rate * spec["seconds"])
    refused = 0
    latencies = []
    for i in range(n):
        await _sleep_until(t0 + i / rate)
        sent = time.time()
        reply = await (a if i % 2 == 0 else b).bid(amount)
        latencies.append(time.time() - sent)
        if reply["type"] == "bid_accepted":
            amount += inc
        else:
            refused += 1
            amount = max(amount, reply.get("next_min_bid_fen") or amount)
    acks = {**a.acks, **b.acks}
    acked = {**a.acked, **b.acked}
    await a.close()
    await b.close()
    return {
        "acks": acks,
        "acked": acked,
        "refused": refused,
        "sent": n,
        "latencies": latencies,
        "t0": t0,
    }


_SEQ = re.compile(rb'"seq":(\d+)')
_TYPE = re.compile(rb'"type":"(\w+)"')
_COUNTED = {b"state", b"extended", b"closed", b"snapshot"}


class _Watch(asyncio.Protocol):
    """One watcher on websockets' sans-I/O protocol: a frame costs a few microseconds of
    client CPU, so thousands of watchers in a few processes measure the server, not the
    client library's per-message machinery."""

    def __init__(self, url: str, on_frame) -> None:
        origin = url.replace("ws://", "http://").split("/ws/")[0]
        self.ws = ClientProtocol(parse_uri(url), origin=Origin(origin), max_size=None)
        self.on_frame = on_frame
        self.opened = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.on_frame(event.data, now)
            elif not self.opened.done():
                self.opened.set_result(event)
        self._flush()

    def _flush(self) -> None:
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def connection_lost(self, exc) -> None:
        if not self.closed.done():
            self.closed.set_result(exc)
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))


async def _watchers(spec: dict[str, Any]) -> dict[str, Any]:
    """(d): anonymous watchers; for each sequence number, when each watcher first had it."""
    urls = spec["urls"]
    n = spec["count"]
    first: list[dict[int, float]] = [{} for _ in range(n)]
    counts = [0] * n
    haves = [0] * n
    sample: list[tuple] = []  # what the first watcher of this process received
    protos: list[_Watch | None] = [None] * n
    loop = asyncio.get_running_loop()

    def handler(i: int):
        seen = first[i]

        def on_frame(data: bytes, now: float) -> None:
            kind = _TYPE.search(data)
            seq = _SEQ.search(data)
            if kind is None or seq is None or kind.group(1) not in _COUNTED:
                return
            s = int(seq.group(1))
            if kind.group(1) != b"snapshot":
                counts[i] += 1
            if i == 0:
                sample.append((kind.group(1).decode(), s, round(now, 3)))
            if s > haves[i]:
                for k in range(haves[i] + 1, s + 1):
                    seen.setdefault(k, now)
                haves[i] = s

        return on_frame

    sem = asyncio.Semaphore(40)

    async def one(i: int) -> None:
        url = urls[i % len(urls)]
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        async with sem:
            _, proto = await loop.create_connection(
                lambda: _Watch(url, handler(i)), host, int(port)
            )
            await proto.opened
        protos[i] = proto

    results = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    connected_by = time.time()
    await _sleep_until(spec["start_at"] + spec["seconds"] + 8.0)  # let late deliveries arrive
    connected = sum(1 for p in protos if p is not None and not p.closed.done())
    for p in protos:
        if p is not None and p.transport is not None:
            p.transport.close()
    return {
        "first": first,
        "counts": counts,
        "connected": connected,
        "sample": sample,
        "connect_errors": len(failed),
        "connected_by": connected_by,
    }


ROLES = {"closed": _closed_loop, "open": _open_loop, "driver": _driver, "watchers": _watchers}


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Entry point of a client process."""
    out = asyncio.run(ROLES[spec["role"]](spec))
    out["cpu_seconds"] = time.process_time()
    return out
