"""Websocket clients of the bench, run in their own processes (``websockets``, asyncio).

No Django here: the clients speak the public protocol (docs/websocket.md) to the real server.
Every client process starts at a common wall-clock instant, runs a bounded time and returns
plain data (times are ``time.time()``, comparable across processes on one machine).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import select
import socket
import time
from datetime import datetime
from typing import Any

from websockets.asyncio.client import connect

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


# --- watchers on a bare epoll loop ------------------------------------------------------------


_GATHER = float(os.environ.get("BENCH_GATHER", "0.001"))  # seconds (see the read loop)
_HANDSHAKE_AT_ONCE = 40  # handshakes in flight per client process (daphne's listen backlog)


def _upgrade_request(url: str) -> bytes:
    hostport, _, path = url.split("//", 1)[1].partition("/")
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://{hostport}\r\n\r\n"
    ).encode()


def _watchers(spec: dict[str, Any]) -> dict[str, Any]:
    """(d): anonymous watchers; for each sequence number, when each watcher first had it.

    One process serves thousands of watchers on a bare ``epoll`` loop: a frame costs one
    ``recv`` and a few byte operations (the header, the ``type`` and the first ``seq``), about
    4–6 µs of client CPU on this machine, against ≈20 µs for an asyncio protocol alone. At
    50,000 frames a second the clients would otherwise need more CPU than the server they
    measure, on the same two cores. Pings are answered (daphne closes a connection whose pong
    is late); server frames are never fragmented or masked (autobahn's defaults)."""
    urls = spec["urls"]
    n = spec["count"]
    start_at, seconds = spec["start_at"], spec["seconds"]
    stop_at = start_at + seconds + 8.0  # let late deliveries arrive
    first: list[dict[int, float]] = [{} for _ in range(n)]
    counts = [0] * n
    haves = [0] * n
    sample: list[tuple] = []  # what the first watcher of this process received
    socks: dict[int, socket.socket] = {}  # fd → socket
    index: dict[int, int] = {}  # fd → watcher number
    bufs: dict[int, bytes] = {}  # fd → bytes not yet parsed (headers or a partial frame)
    opening: set[int] = set()  # fds whose 101 response has not been read yet
    open_fds: set[int] = set()
    failed = 0
    oddities = 0
    ep = select.epoll()
    rbuf = bytearray(65536)
    rview = memoryview(rbuf)
    pending = list(range(n))
    pending.reverse()
    connected_by = 0.0
    cpu_window: list[float] = []
    frames_window = [0, 0]  # frames read at the window's start, at its end
    frames = 0
    polls = polled = 0
    polls_window = [0, 0, 0, 0]

    def start_one() -> None:
        nonlocal failed
        i = pending.pop()
        url = urls[i % len(urls)]
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        try:
            s = socket.create_connection((host, int(port)), timeout=30)
            s.sendall(_upgrade_request(url))
        except OSError:
            failed += 1
            return
        s.setblocking(False)
        fd = s.fileno()
        socks[fd], index[fd], bufs[fd] = s, i, b""
        opening.add(fd)
        ep.register(fd, select.EPOLLIN)

    def drop(fd: int) -> None:
        ep.unregister(fd)
        socks.pop(fd).close()
        opening.discard(fd)
        open_fds.discard(fd)

    def on_text(i: int, payload: bytes, now: float) -> None:
        kind = _TYPE.search(payload)
        seq = _SEQ.search(payload)
        if kind is None or seq is None or kind.group(1) not in _COUNTED:
            return
        s = int(seq.group(1))
        if kind.group(1) != b"snapshot":
            counts[i] += 1
        if i == 0:
            sample.append((kind.group(1).decode(), s, round(now, 3)))
        h = haves[i]
        if s > h:
            seen = first[i]
            for k in range(h + 1, s + 1):
                seen.setdefault(k, now)
            haves[i] = s

    while True:
        while pending and len(opening) < _HANDSHAKE_AT_ONCE:
            start_one()
        if not pending and not opening and not connected_by:
            connected_by = time.time()
        now = time.time()
        if not cpu_window and now >= start_at:
            cpu_window.append(time.process_time())
            frames_window[0] = frames
            polls_window[0:2] = [polls, polled]
        if len(cpu_window) == 1 and now >= start_at + seconds:
            cpu_window.append(time.process_time())
            frames_window[1] = frames
            polls_window[2:4] = [polls, polled]
        if now >= stop_at:
            break
        events = ep.poll(0.05)
        polls += 1
        polled += len(events)
        if events and not opening:
            # Let frames gather for a millisecond before the next wait: one wake-up reads many
            # sockets instead of one (a wake-up per frame costs the client, and the server's
            # send, several µs each). Arrival times are late by at most this much.
            time.sleep(_GATHER)
        for fd, _ev in events:
            sock = socks.get(fd)
            if sock is None:
                continue
            try:
                # Into one reused buffer: a large ``recv(n)`` allocates (and maps) n bytes
                # for every call, which cost more than everything else here together.
                got = sock.recv_into(rbuf)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                got = 0
            data = rview[:got].tobytes()
            now = time.time()
            if not data:
                if fd in opening:
                    failed += 1
                drop(fd)
                continue
            buf = bufs[fd]
            if buf:
                data = buf + data
            pos = 0
            if fd in opening:
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    bufs[fd] = data
                    continue
                if not data.startswith(b"HTTP/1.1 101"):
                    failed += 1
                    drop(fd)
                    continue
                opening.discard(fd)
                open_fds.add(fd)
                pos = end + 4
            i = index[fd]
            size = len(data)
            while size - pos >= 2:
                b1 = data[pos + 1]
                length = b1 & 0x7F
                head = 2
                if length == 126:
                    if size - pos < 4:
                        break
                    length = int.from_bytes(data[pos + 2 : pos + 4], "big")
                    head = 4
                elif length == 127:
                    if size - pos < 10:
                        break
                    length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                    head = 10
                end = pos + head + length
                if end > size:
                    break
                opcode = data[pos] & 0x0F
                if opcode == 1:
                    frames += 1
                    on_text(i, data[pos + head : end], now)
                elif opcode == 9:  # ping → pong (masked, with a zero key: payload as is)
                    payload = data[pos + head : end]
                    with contextlib.suppress(OSError):
                        sock.send(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                elif opcode == 8:
                    break
                else:
                    oddities += 1  # fragments or binary: never sent by this server
                pos = end
            bufs[fd] = data[pos:] if pos < size else b""
    connected = len(open_fds)
    for fd in list(socks):
        drop(fd)
    ep.close()
    cpu = cpu_window[1] - cpu_window[0] if len(cpu_window) == 2 else None
    window_frames = frames_window[1] - frames_window[0]
    return {
        "first": first,
        "counts": counts,
        "connected": connected,
        "sample": sample,
        "connect_errors": failed,
        "connected_by": connected_by or time.time(),
        "window_cpu_seconds": cpu,
        "window_frames": window_frames,
        "cpu_us_per_frame": round(cpu / window_frames * 1e6, 2) if cpu and window_frames else None,
        "oddities": oddities,
        "events_per_wakeup": round(
            (polls_window[3] - polls_window[1]) / max(1, polls_window[2] - polls_window[0]), 1
        ),
    }


ROLES = {"closed": _closed_loop, "open": _open_loop, "driver": _driver, "watchers": _watchers}


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Entry point of a client process."""
    role = ROLES[spec["role"]]
    out = asyncio.run(role(spec)) if asyncio.iscoroutinefunction(role) else role(spec)
    out["cpu_seconds"] = time.process_time()
    return out
