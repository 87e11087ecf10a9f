"""The live broadcast: the engine's after-commit events → one encoded push per update → watchers.

Shape (docs/websocket.md):

* **Publish.** ``BidAccepted`` / ``AuctionStateChanged`` / ``AuctionClosed`` handlers run after
  the engine's transaction commits, in whatever sync thread committed it. They build the
  message once, encode it to JSON text once, and hand it to this process's event loop, which
  delivers it to this process's own watchers at once and sends it to the channel group
  ``auction.<id>`` for the other processes (in order, merging a backlog into one; a hub skips
  its own message when the layer hands it back; with the in-memory layer nothing is sent).
* **Fan out.** Each server process has one :class:`Hub`: one channel-layer channel that is the
  only member of ``auction.<id>`` for that process, whatever the number of watchers. A group
  message therefore crosses the channel layer once per process, not once per watcher, and the
  hub writes the same pre-encoded text to each local websocket.
* **Coalesce.** The hub paces each auction's fan-out by what it costs: after a fan-out that
  took *d*, the next waits at least *d* (``GAVEL_LIVE_FANOUT_SHARE`` 0.5: fanning out takes at
  most half the process), and at most ``GAVEL_LIVE_MAX_UPDATES_PER_SECOND`` go out if that is
  set (an optional fixed ``GAVEL_LIVE_FANOUT_BUDGET`` of deliveries/s too). An update arriving
  inside the window waits; all waiting updates then go out as one message (latest state +
  every bid in between), encoded once. With few watchers nothing waits.
* **Stale bids.** :func:`known_price` is the highest committed price this process has seen.
  Prices only rise, so a bid at or below it is stale even if this knowledge lags; the
  consumer refuses such a bid without touching the database (never a good bid: a lagging
  value is only ever *lower* than the truth).
* **Counts.** Watchers are counted per process; with ``REDIS_URL`` every hub also writes its
  counts to a Redis hash (one field per process, with a timestamp) and reads the total back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from prometheus_client import Counter

from bidding import events
from core import clock
from core.events import subscribe

if TYPE_CHECKING:
    import redis
    import redis.asyncio as aioredis
    from autobahn.twisted.websocket import WebSocketServerProtocol
    from autobahn.websocket.protocol import PreparedMessage

log = logging.getLogger("gavel.bidding.live")

PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
WATCHERS_KEY = "gavel:live:watchers:{}"  # Redis hash: process id → "count:unix_time"
#: Set by a hub in each channel-layer Redis when it (re-)joins its groups; gone means that
#: Redis lost its data (a restart, a flush) and with it the hub's group memberships.
HUB_SENTINEL_KEY = f"gavel:live:hub:{PROCESS_ID}"
COUNTS_STALE_SECONDS = 30
FANOUT_SLICE = 0.002  # seconds of fan-out before letting other work on the loop run


# The hub's traffic (docs/deployment.md, served on GAVEL_METRICS_PORT with the process's other
# metrics; bench/scale/watchers.py reads them): with one hub per process, a process reads one
# layer message per update whatever the number of processes or of its watchers, and the
# process that committed a bid sends it to the group once.
LAYER_SENDS = Counter(
    "gavel_live_group_sends_total", "Live updates this process sent to a channel-layer group"
)
LAYER_RECEIVED = Counter(
    "gavel_live_layer_received_total",
    "Channel-layer messages this process's hub read (its own echoes included)",
)
FANOUTS = Counter(
    "gavel_live_fanouts_total", "Frames written to all local watchers of an auction (one each)"
)
DELIVERIES = Counter("gavel_live_deliveries_total", "Frames written to local watchers")


def group_name(auction_id: int) -> str:
    return f"auction.{auction_id}"


# --- settings (read when used, never at import time) -------------------------------------


def fanout_budget() -> float:
    """An optional fixed cap: deliveries per second per process per auction (0: none; the
    fan-out then paces itself by what it measures, see :func:`fanout_share`)."""
    return float(settings.GAVEL_LIVE_FANOUT_BUDGET or 0)


def fanout_share() -> float:
    """The share of the process's time one auction's fan-out may take under load: after a
    fan-out that took *d* seconds the next waits at least *d · (1/share − 1)*, and everything
    that arrives meanwhile leaves as one message."""
    share = float(settings.GAVEL_LIVE_FANOUT_SHARE or 0.5)
    return min(max(share, 0.05), 1.0)


def max_updates_per_second() -> float:
    """Optional hard cap of updates per second per watcher (0: only the budget decides)."""
    return float(settings.GAVEL_LIVE_MAX_UPDATES_PER_SECOND or 0)


def snapshot_share_seconds() -> float:
    """How long a hub may hand the same public snapshot to arriving watchers (0: never)."""
    return max(float(settings.GAVEL_LIVE_SNAPSHOT_SHARE_SECONDS or 0), 0.0)


def counts_interval() -> float:
    return float(settings.GAVEL_LIVE_COUNTS_SECONDS)


def group_check_interval() -> float:
    """Seconds between two checks that the channel layer still holds this hub's memberships."""
    return max(float(settings.GAVEL_LIVE_GROUP_CHECK_SECONDS or 1.0), 0.05)


def group_refresh_interval(layer: object) -> float:
    """Seconds between two unconditional re-joins: the setting, but never more than a quarter
    of the layer's ``group_expiry`` (channels-redis forgets a member after it, a day by
    default), so a membership is renewed well before it can lapse."""
    refresh = float(settings.GAVEL_LIVE_GROUP_REFRESH_SECONDS or 300.0)
    expiry = getattr(layer, "group_expiry", None)
    if isinstance(expiry, int | float) and expiry > 0:
        refresh = min(refresh, expiry / 4)
    return max(refresh, group_check_interval())


# --- encoding ------------------------------------------------------------------------------


def iso(value: dt.datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.astimezone(dt.UTC).isoformat()


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def server_time_fields() -> dict[str, Any]:
    now = clock.now()
    return {"server_time": iso(now), "server_ms": int(now.timestamp() * 1000)}


# --- what this process knows about each auction ------------------------------------------


@dataclass
class AuctionInfo:
    """The latest public state this process has seen for one auction (committed data only)."""

    price_fen: int | None = None
    seq: int = 0
    increment_fen: int = 0
    starting_price_fen: int = 0
    state: str = ""
    state_label: str = ""
    extension_count: int = 0
    registrant_count: int | None = None
    end_at: str | None = None
    loaded: bool = False


_info: dict[int, AuctionInfo] = defaultdict(AuctionInfo)


def known_price(auction_id: int) -> int | None:
    """The highest committed price seen here (prices only rise: a lag only makes it lower)."""
    info = _info.get(auction_id)
    return info.price_fen if info else None


def known_end_at(auction_id: int) -> str | None:
    info = _info.get(auction_id)
    return info.end_at if info else None


def known_increment(auction_id: int) -> int:
    info = _info.get(auction_id)
    return info.increment_fen if info else 0


def note_price(auction_id: int, price_fen: int | None, seq: int | None = None) -> None:
    if price_fen is None:
        return
    info = _info[auction_id]
    if info.price_fen is None or price_fen > info.price_fen:
        info.price_fen = price_fen
    if seq is not None and seq > info.seq:
        info.seq = seq


def note_snapshot(snapshot: dict[str, Any]) -> None:
    """Remember what a freshly read snapshot says (increment, state, price, counts)."""
    info = _info[int(snapshot["auction_id"])]
    seq = int(snapshot.get("seq") or 0)
    if seq < info.seq:
        # Sequence numbers never go back for an auction: what we held was about another
        # auction under a reused id (a test database), or a snapshot read just before a newer
        # commit. Forgetting is safe either way: a lower known price only refuses fewer bids.
        info.price_fen, info.seq = None, 0
    info.increment_fen = int(snapshot.get("increment_fen") or 0)
    info.starting_price_fen = int(snapshot.get("starting_price_fen") or 0)
    info.state = snapshot.get("state", info.state)
    info.state_label = str(snapshot.get("state_label", info.state_label))
    info.extension_count = max(info.extension_count, int(snapshot.get("extension_count") or 0))
    if snapshot.get("registrant_count") is not None:
        info.registrant_count = int(snapshot["registrant_count"])
    if snapshot.get("seq") is not None and int(snapshot["seq"]) >= info.seq:
        info.end_at = iso(snapshot.get("end_at"))
    info.loaded = True
    note_price(int(snapshot["auction_id"]), snapshot.get("price_fen"), snapshot.get("seq"))


def read_snapshot(auction_id: int) -> dict[str, Any]:
    """The engine's public snapshot (sync; raises the engine's not-found error)."""
    from bidding.selectors import auction_snapshot

    snap = dict(auction_snapshot(auction_id))
    note_snapshot(snap)
    return snap


def _ensure_info(auction_id: int) -> AuctionInfo:
    info = _info[auction_id]
    if not info.loaded:
        try:
            read_snapshot(auction_id)
        except Exception:  # the push is informative; never break the committer
            log.exception("could not read the snapshot of auction %s", auction_id)
    return info


# --- messages built from the engine's events ----------------------------------------------


def bid_update(event: events.BidAccepted) -> dict[str, Any]:
    """The group message for one accepted bid: data + its JSON text, built once."""
    auction_id = int(event.auction_id)
    if event.seq == 1 and _info.get(auction_id) is not None and _info[auction_id].seq > 1:
        _info.pop(auction_id)  # a first bid: what was known under this id is another auction's
    info = _ensure_info(auction_id)
    extended = event.extended
    info.extension_count = max(info.extension_count, event.extension_count)
    state = "extended" if extended else info.state or "bidding"
    if state != info.state:
        info.state = state
        info.state_label = ""
    if event.seq >= info.seq:
        info.end_at = iso(event.end_at)
    note_price(auction_id, event.amount_fen, event.seq)
    priority = event.priority_rank is not None
    bid = {
        "seq": event.seq,
        "code": event.bidder_code,
        "amount_fen": event.amount_fen,
        "at": iso(event.at),
        "priority": bool(priority),
    }
    data = {
        "type": "extended" if extended else "state",
        "auction_id": auction_id,
        "seq": event.seq,
        "from_seq": event.seq,
        "state": state,
        "state_label": info.state_label or None,
        "price_fen": event.amount_fen,
        "next_min_bid_fen": event.amount_fen + info.increment_fen if info.increment_fen else None,
        "leader_code": event.bidder_code,
        "end_at": iso(event.end_at),
        "extension_count": info.extension_count,
        "bids": [bid],
        **server_time_fields(),
    }
    return _group_message("bid", data)


def state_update(auction_id: int, *, kind: str = "state", **extra: object) -> dict[str, Any] | None:
    """A full state message read from the snapshot (state changes and closes are rare)."""
    try:
        snap = read_snapshot(auction_id)
    except Exception:
        log.exception("could not read the snapshot of auction %s", auction_id)
        return None
    data = {k: v for k, v in snap.items() if k != "bids"}
    data.update(type=kind, auction_id=auction_id, from_seq=snap.get("seq"), bids=[])
    data.update(extra)
    data.update(server_time_fields())
    return _group_message(kind, data)


def resync_update(auction_id: int) -> dict[str, Any] | None:
    """A ``state`` message with the full snapshot *and* its last bids, for the local watchers of
    a hub that may have missed updates (the channel layer was unreachable): a client whose
    ``have`` is below ``from_seq`` sees the gap and fetches the history (docs/websocket.md)."""
    try:
        snap = read_snapshot(auction_id)
    except Exception:
        log.exception("could not read the snapshot of auction %s", auction_id)
        return None
    bids = sorted(snap.get("bids") or [], key=lambda b: int(b["seq"]))
    data = dict(snap, bids=bids)
    data.update(
        type="state",
        auction_id=auction_id,
        from_seq=bids[0]["seq"] if bids else snap.get("seq"),
        resync=True,
    )
    data.update(server_time_fields())
    return _group_message("state", data)


def _group_message(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "live.update",
        "kind": kind,
        "auction_id": data["auction_id"],
        "seq": data.get("seq") or 0,
        "price_fen": data.get("price_fen"),
        "data": data,
        "text": encode(data),
    }


def merge_updates(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Several bid updates of one auction → one: the latest state plus every bid, encoded once."""
    if len(messages) == 1:
        return messages[0]
    datas = sorted((m["data"] for m in messages), key=lambda d: d.get("seq") or 0)
    merged = dict(datas[-1])
    bids: dict[int, dict[str, Any]] = {}
    for d in datas:
        for b in d.get("bids") or []:
            bids[b["seq"]] = b
    merged["bids"] = [bids[s] for s in sorted(bids)]
    merged["from_seq"] = min((d.get("from_seq") or d.get("seq") or 0) for d in datas)
    merged["extension_count"] = max(int(d.get("extension_count") or 0) for d in datas)
    if any(d.get("type") == "extended" for d in datas):
        merged["type"] = "extended"
    merged.update(server_time_fields())
    return _group_message("bid", merged)


# --- publishing (called in the committing thread) -----------------------------------------


def publish(message: dict[str, Any]) -> None:
    """Hand a group message to this process's loop (or send it directly if there is none)."""
    hub = Hub.current()
    if hub is not None:
        try:
            hub.loop.call_soon_threadsafe(hub.enqueue_publish, message)
            return
        except RuntimeError:  # the loop closed under us
            pass
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(message["auction_id"]), message)
    except Exception:
        log.exception("could not send the live update of auction %s", message["auction_id"])


def on_bid_accepted(event: events.BidAccepted) -> None:
    publish(bid_update(event))


#: The states a close ends in: their ``AuctionStateChanged`` is followed, after the same
#: commit, by ``AuctionClosed``, whose ``closed`` message carries the whole new state.
CLOSED_STATES = frozenset({"sold", "unsold"})


def someone_watches(auction_id: int) -> bool:
    """Whether any process may have a watcher of this auction (sync, after a commit).

    This process's hub answers for itself; with ``REDIS_URL`` the other processes' counts
    are read from the hash every hub writes (a hub writes its count as soon as its first
    watcher of an auction joins, *before* that watcher reads its snapshot: so a watcher either
    is counted here or reads a snapshot taken after this commit). When Redis cannot answer the
    answer is yes: a snapshot built for nobody costs time, a close never pushed costs a
    watcher the result. Without ``REDIS_URL`` the channel layer is in-memory and no other
    process can be reached anyway."""
    hub = Hub.current()
    if hub is not None and hub.local_count(auction_id):
        return True
    url = settings.REDIS_URL
    if not url:
        return False
    try:
        fields = _sync_redis(url).hgetall(WATCHERS_KEY.format(auction_id))
    except Exception:
        log.debug("watcher count from Redis failed; pushing anyway", exc_info=True)
        return True
    return _sum_fresh(fields, int(time.time())) > 0


def on_state_changed(event: events.AuctionStateChanged) -> None:
    auction_id = int(event.auction_id)
    info = _info[auction_id]
    info.state = event.new
    if event.new in CLOSED_STATES:
        return  # issue 18: the close's own ``closed`` message (on_closed) tells the watchers
    if not someone_watches(auction_id):
        return
    message = state_update(auction_id, kind="state", old_state=event.old)
    if message:
        publish(message)


def watched(auction_ids: list[int]) -> set[int]:
    """Those of ``auction_ids`` someone may watch (``someone_watches`` for many: one Redis
    round trip for all of them)."""
    hub = Hub.current()
    out = {pk for pk in auction_ids if hub is not None and hub.local_count(pk)}
    rest = [pk for pk in auction_ids if pk not in out]
    url = settings.REDIS_URL
    if not rest or not url:
        return out
    try:
        pipe = _sync_redis(url).pipeline(transaction=False)
        for pk in rest:
            pipe.hgetall(WATCHERS_KEY.format(pk))
        answers = pipe.execute()
    except Exception:
        log.debug("watcher counts from Redis failed; pushing anyway", exc_info=True)
        return out | set(rest)
    now = int(time.time())
    return out | {pk for pk, fields in zip(rest, answers, strict=True) if _sum_fresh(fields, now)}


def on_closed(event: events.AuctionClosed) -> None:
    """One ``closed`` message per close, built (one snapshot read) only when someone watches
    (issue 18: a clock closing thousands of unwatched auctions builds none; the watchers of a
    clock's whole batch are looked up at once, ``core.deferred``)."""
    from core.deferred import collect

    collect("live.closed", (int(event.auction_id), str(event.outcome)), _push_closed)


def _push_closed(closes: list[tuple[int, str]]) -> None:
    try:
        seen = watched([auction_id for auction_id, _ in closes])
    except Exception:
        log.exception("looking up the watchers of %s closes failed", len(closes))
        seen = {auction_id for auction_id, _ in closes}
    for auction_id, outcome in closes:
        if auction_id not in seen:
            continue
        try:
            message = state_update(auction_id, kind="closed", outcome=outcome)
            if message:
                publish(message)
        except Exception:
            log.exception("the live close of auction %s failed", auction_id)


def _subscribe() -> None:
    subscribe(events.BidAccepted, on_bid_accepted)
    subscribe(events.AuctionStateChanged, on_state_changed)
    subscribe(events.AuctionClosed, on_closed)


_subscribe()


# --- the per-process hub ------------------------------------------------------------------


class Watcher(Protocol):
    """One local websocket the hub writes to (``bidding.consumers.AuctionConsumer``)."""

    #: daphne's connection, when the hub may write prepared frames to it directly.
    ws_protocol: WebSocketServerProtocol | None
    #: False until the connection has sent its snapshot (earlier pushes wait in ``push``).
    ready: bool

    async def push(self, text: str) -> None: ...


@dataclass
class _Flow:
    """One auction's deliveries in this process: what waits, and the task that sends it."""

    last_sent: float = float("-inf")
    # CPU seconds the last fan-out took on this loop's thread (not wall time: on a busy
    # machine a fan-out waits for the CPU, and pacing by that wait would hold updates back
    # for a cost the process never paid).
    last_cost: float = 0.0
    pending: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    counts_sent: tuple[int, int | None] | None = None


class Hub:
    """This process's single member of every ``auction.<id>`` group it has watchers for."""

    _current: Hub | None = None
    _lock = threading.Lock()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.watchers: dict[int, set[Watcher]] = defaultdict(set)
        self.joined: set[int] = set()
        self.flows: dict[int, _Flow] = defaultdict(_Flow)
        self.outbox: deque[dict[str, Any]] = deque()
        self.outbox_wakeup = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.started = False
        self.join_lock = asyncio.Lock()
        self.totals: dict[int, int] = {}
        # Set when the channel layer failed (receive, send or join): the memberships may be
        # gone, so the membership task re-joins and resyncs the local watchers.
        self.layer_failed = False
        self.membership_wakeup = asyncio.Event()
        self.rejoins = 0  # completed re-joins after a failure (for tests and logs)
        # The public snapshot shared by arriving watchers (issue 18: 10,000 watchers arriving
        # at a hot auction would otherwise read it 10,000 times): auction → (read at, data).
        # Only a read that began while the hub was a member of the auction's group and that
        # no update overtook is kept, and every update clears it (see :meth:`snapshot`).
        self.snapshots: dict[int, tuple[float, dict[str, Any]]] = {}
        self.generations: dict[int, int] = defaultdict(int)
        # A read under way for arriving watchers: auction → (generation it began in, result).
        self.snapshot_inflight: dict[int, tuple[int, asyncio.Task[dict[str, Any]]]] = {}
        self.snapshot_reads = 0  # database reads made for arriving watchers (tests, bench)
        self._redis: aioredis.Redis | None = None

    # lifecycle ---------------------------------------------------------------------------

    @classmethod
    def current(cls) -> Hub | None:
        hub = cls._current
        if hub is None or hub.loop.is_closed() or not hub.loop.is_running():
            return None
        return hub

    @classmethod
    async def get(cls) -> Hub:
        """This event loop's hub (one per process; started by the first watcher)."""
        loop = asyncio.get_running_loop()
        with cls._lock:
            hub = cls._current
            if hub is None or hub.loop is not loop:
                hub = cls._current = Hub(loop)
        return hub

    async def _start(self) -> None:
        self.started = True
        if self.layer is not None:
            self.channel = await self.layer.new_channel("specific.live-hub.")
            self.tasks.append(self.loop.create_task(self._receive_loop()))
            if not isinstance(self.layer, InMemoryChannelLayer):
                self.tasks.append(self.loop.create_task(self._membership_loop()))
        self.tasks.append(self.loop.create_task(self._publish_loop()))
        self.tasks.append(self.loop.create_task(self._counts_loop()))

    async def _stop(self) -> None:
        """Leave every group and stop the tasks (the last local watcher has gone).

        Called with ``join_lock`` held, so a watcher arriving meanwhile waits and then
        starts the hub again; nothing can join a half-stopped hub.
        """
        self.started = False
        for auction_id in list(self.joined):
            await self._discard(auction_id)
        for flow in self.flows.values():
            if flow.task is not None:
                flow.task.cancel()
        self.flows.clear()
        await self._flush_publish()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None

    # watchers ----------------------------------------------------------------------------

    async def join(self, consumer: Watcher, auction_id: int) -> None:
        async with self.join_lock:
            if not self.started:
                await self._start()
            first = not self.watchers.get(auction_id)
            self.watchers[auction_id].add(consumer)
            if first:
                # Counted in Redis before the watcher reads its snapshot: a close committed
                # after that read is pushed (see :func:`someone_watches`).
                try:
                    await self._write_totals([auction_id])
                except Exception:
                    log.debug("live hub could not write its count", exc_info=True)
            if auction_id not in self.joined and self.layer is not None:
                self.joined.add(auction_id)
                try:
                    await self.layer.group_add(group_name(auction_id), self.channel)
                except Exception:
                    # Redis is down: the watcher still gets its snapshot from the database;
                    # the membership task joins as soon as the layer answers.
                    log.warning("live hub could not join %s", group_name(auction_id))
                    self.layer_lost()

    async def leave(self, consumer: Watcher, auction_id: int) -> None:
        async with self.join_lock:
            self.watchers[auction_id].discard(consumer)
            if not self.watchers[auction_id]:
                del self.watchers[auction_id]
                await self._discard(auction_id)
                flow = self.flows.pop(auction_id, None)
                if flow and flow.task is not None:
                    flow.task.cancel()
            if not self.watchers and self.started:
                await self._stop()

    async def _discard(self, auction_id: int) -> None:
        self.forget_snapshot(auction_id)
        if auction_id in self.joined and self.layer is not None:
            self.joined.discard(auction_id)
            try:
                await self.layer.group_discard(group_name(auction_id), self.channel)
            except Exception:
                log.exception("could not leave group %s", group_name(auction_id))

    # group membership (surviving a Redis restart) ------------------------------------------

    def layer_lost(self) -> None:
        """The channel layer failed: re-join every group (and resync) as soon as it answers."""
        self.layer_failed = True
        # Updates may have been lost meanwhile: no shared snapshot (kept or under way) may
        # serve anyone after this.
        for auction_id in set(self.snapshots) | set(self.snapshot_inflight) | self.joined:
            self.forget_snapshot(auction_id)
        self.membership_wakeup.set()

    async def _membership_loop(self) -> None:
        """Keep this hub in its groups whatever happens to Redis.

        channels-redis keeps group members in Redis: a Redis restart (or flush) forgets them,
        and so does ``group_expiry`` (a day). A hub that joined once would then stop hearing
        the other processes. So: every ``GAVEL_LIVE_GROUP_CHECK_SECONDS`` the hub checks its
        sentinel key in each layer Redis (gone: Redis lost its data); on a lost sentinel or
        after any layer failure (receive, send, join) it re-joins every group, then sends each
        local watcher a fresh ``state`` (``resync``) read from the database *after* the
        re-join, so nothing committed meanwhile is missed. Every
        ``GAVEL_LIVE_GROUP_REFRESH_SECONDS`` (at most a quarter of ``group_expiry``) it
        re-joins anyway."""
        last_refresh = time.monotonic()
        with contextlib.suppress(Exception):
            await self.rejoin()  # marks this Redis (the sentinel) for the checks below
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.membership_wakeup.wait(), group_check_interval())
            self.membership_wakeup.clear()
            try:
                lost = self.layer_failed or not await self._sentinel_present()
                if lost or time.monotonic() - last_refresh >= group_refresh_interval(self.layer):
                    await self.rejoin(resync=lost)
                    last_refresh = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Still unreachable: try again at the next check.
                self.layer_failed = True
                log.debug("live hub: channel layer still unreachable", exc_info=True)

    def _layer_redis(self) -> list[Any]:
        """The channel layer's Redis clients (channels-redis core layer), else none."""
        connection = getattr(self.layer, "connection", None)
        ring = getattr(self.layer, "ring_size", 0)
        if connection is None or not isinstance(ring, int):
            return []
        return [connection(i) for i in range(ring)]

    def _sentinel_ttl(self) -> int:
        return max(60, int(group_check_interval() * 30))

    async def _sentinel_present(self) -> bool:
        """Whether every layer Redis still has this hub's sentinel (renewing it)."""
        if not self.joined:
            return True
        for client in self._layer_redis():
            if not await client.expire(HUB_SENTINEL_KEY, self._sentinel_ttl()):
                return False
        return True

    async def rejoin(self, *, resync: bool = False) -> None:
        """Join every group this hub has watchers for again (idempotent), mark it in Redis
        and, after a failure, resync the local watchers from the database."""
        if self.layer is None:
            return
        was_failed = self.layer_failed
        for auction_id in list(self.joined):
            async with self.join_lock:
                if auction_id in self.joined:
                    await self.layer.group_add(group_name(auction_id), self.channel)
        for client in self._layer_redis():
            await client.set(HUB_SENTINEL_KEY, "1", ex=self._sentinel_ttl())
        self.layer_failed = False
        if resync or was_failed:
            self.rejoins += 1
            log.warning(
                "live hub re-joined %d group(s) after a channel-layer failure", len(self.joined)
            )
            for auction_id in [a for a, w in self.watchers.items() if w]:
                message = await database_sync_to_async(resync_update)(auction_id)
                if message is not None:
                    await self.on_update(message)

    # the shared snapshot ----------------------------------------------------------------

    def forget_snapshot(self, auction_id: int) -> None:
        self.generations[auction_id] += 1
        self.snapshots.pop(auction_id, None)
        self.snapshot_inflight.pop(auction_id, None)

    async def snapshot(self, auction_id: int) -> dict[str, Any]:
        """The auction's public snapshot for a watcher that has just joined (a fresh copy).

        Why sharing is safe: a watcher joins (is in :attr:`watchers`) before it asks, so every
        update that reaches this hub afterwards is pushed to it; and every update that reached
        the hub before it asked has cleared the shared copy (:meth:`on_update`, whether it came
        through the layer or was published here). So the copy a watcher gets covers everything
        except what is pushed to it anyway, exactly like a database read after joining. A copy
        is kept only from a read that began while the hub was in the auction's group with a
        working layer and that no update overtook (the generation), and for at most
        ``GAVEL_LIVE_SNAPSHOT_SHARE_SECONDS`` (what no message announces, such as the
        registrant count, is then at most that old). Raises what :func:`read_snapshot` raises."""
        ttl = snapshot_share_seconds()
        cached = self.snapshots.get(auction_id)
        if cached is not None and time.monotonic() - cached[0] < ttl:
            return _copy_snapshot(cached[1])
        generation = self.generations[auction_id]
        inflight = self.snapshot_inflight.get(auction_id)
        if ttl > 0 and inflight is not None and inflight[0] == generation:
            # A read is under way and no update has reached the hub since it began: it covers
            # everything this watcher (already joined) will not be pushed.
            return _copy_snapshot(await asyncio.shield(inflight[1]))
        member = auction_id in self.joined and not self.layer_failed and self.started
        started = time.monotonic()
        self.snapshot_reads += 1
        # A task of its own: a watcher that leaves during the read cancels only its wait.
        task = self.loop.create_task(database_sync_to_async(read_snapshot)(auction_id))
        if ttl > 0 and member:
            self.snapshot_inflight[auction_id] = (generation, task)
        try:
            snap = await asyncio.shield(task)
        finally:
            if self.snapshot_inflight.get(auction_id, (0, None))[1] is task:
                del self.snapshot_inflight[auction_id]
        if (
            ttl > 0
            and member
            and self.generations[auction_id] == generation
            and auction_id in self.joined
            and not self.layer_failed
        ):
            self.snapshots[auction_id] = (started, snap)
        return _copy_snapshot(snap)

    def local_count(self, auction_id: int) -> int:
        return len(self.watchers.get(auction_id, ()))

    def watcher_total(self, auction_id: int) -> int:
        """All processes' watchers as last counted (this process's own count is always fresh)."""
        return max(self.totals.get(auction_id, 0), self.local_count(auction_id))

    # publishing (one ordered sender per process) -------------------------------------------

    def enqueue_publish(self, message: dict[str, Any]) -> None:
        if not self.started:  # no local watcher: nothing to order against, send it now
            self.loop.create_task(self._group_send(message))
            return
        self.outbox.append(message)
        self.outbox_wakeup.set()

    async def _publish_loop(self) -> None:
        while True:
            await self.outbox_wakeup.wait()
            self.outbox_wakeup.clear()
            await self._flush_publish()

    async def _flush_publish(self) -> None:
        while self.outbox:
            batch = []
            while self.outbox:
                batch.append(self.outbox.popleft())
            for message in _merge_backlog(batch):
                await self._publish_one(message)

    async def _publish_one(self, message: dict[str, Any]) -> None:
        """This process's watchers first, straight from here (they need not wait for the round
        trip through the channel layer); then the other processes through the layer. The hub
        skips its own message when the layer hands it back."""
        try:
            await self.on_update(message)
        except Exception:
            log.exception("live hub could not deliver %r", message.get("kind"))
        if self.layer is None or isinstance(self.layer, InMemoryChannelLayer):
            return  # an in-memory layer reaches no other process
        await self._group_send(message)

    async def _group_send(self, message: dict[str, Any]) -> None:
        if self.layer is None:
            await self.on_update(message)
            return
        try:
            await self.layer.group_send(
                group_name(message["auction_id"]), dict(message, origin=PROCESS_ID)
            )
            LAYER_SENDS.inc()
        except Exception as exc:
            level = logging.DEBUG if self.layer_failed else logging.WARNING
            log.log(
                level,
                "could not send the live update of auction %s",
                message["auction_id"],
                exc_info=True,
            )
            if _connection_error(exc):
                self.layer_lost()

    # receiving and fan-out -----------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Once per outage at warning level; the retries every 0.5 s at debug.
                level = logging.DEBUG if self.layer_failed else logging.WARNING
                log.log(level, "live hub receive failed", exc_info=True)
                if _connection_error(exc):
                    self.layer_lost()
                await asyncio.sleep(0.5)
                continue
            LAYER_RECEIVED.inc()
            if message.get("origin") == PROCESS_ID:
                continue  # delivered locally when it was published
            try:
                await self.on_update(message)
            except Exception:
                log.exception("live hub could not deliver %r", message.get("kind"))

    async def on_update(self, message: dict[str, Any]) -> None:
        auction_id = int(message["auction_id"])
        self.forget_snapshot(auction_id)
        note_price(auction_id, message.get("price_fen"), message.get("seq"))
        data = message.get("data") or {}
        info = _info[auction_id]
        if data.get("extension_count") is not None:
            info.extension_count = max(info.extension_count, int(data["extension_count"]))
        if data.get("end_at") and int(message.get("seq") or 0) >= info.seq:
            info.end_at = data["end_at"]
        if message.get("kind") != "bid":
            if data.get("state"):
                info.state = data["state"]
            if data.get("registrant_count") is not None:
                info.registrant_count = int(data["registrant_count"])
        if not self.watchers.get(auction_id):
            return
        # The receive loop only queues: a slow fan-out never holds up reading the layer, and
        # everything that arrives meanwhile leaves together in the next message.
        flow = self.flows[auction_id]
        flow.pending.append(message)
        if message.get("kind") != "bid":
            flow.wakeup.set()  # state changes and closes do not wait for the window
        if flow.task is None or flow.task.done():
            flow.task = self.loop.create_task(self._sender(auction_id, flow))

    def _interval(self, auction_id: int, flow: _Flow) -> float:
        """The least time between two sends to this auction's watchers: what the last fan-out
        cost (so fanning out never takes more than ``fanout_share`` of the process), the
        optional per-watcher cap and the optional fixed budget, whichever is longest."""
        share = fanout_share()
        interval = flow.last_cost * (1.0 / share - 1.0)
        budget = fanout_budget()
        if budget > 0:
            interval = max(interval, self.local_count(auction_id) / budget)
        cap = max_updates_per_second()
        if cap > 0:
            interval = max(interval, 1.0 / cap)
        return interval

    async def _sender(self, auction_id: int, flow: _Flow) -> None:
        """Send what waits, at most once per window; a fan-out slower than the window simply
        makes the next batch bigger (coalescing under load, never a growing queue)."""
        while flow.pending:
            wait = flow.last_sent + self._interval(auction_id, flow) - time.monotonic()
            if wait > 0 and all(m.get("kind") == "bid" for m in flow.pending):
                flow.wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(flow.wakeup.wait(), timeout=wait)
            batch, flow.pending = flow.pending, []
            flow.last_sent = time.monotonic()
            cpu = _cpu_clock()
            for text in _texts(batch):
                await self.deliver(auction_id, text)
            # The loop thread's CPU over the fan-out; it yields every FANOUT_SLICE, so work
            # of other tasks run meanwhile counts too (an overestimate, never an underestimate).
            flow.last_cost = _cpu_clock() - cpu

    def flush_now(self, auction_id: int) -> None:
        """Send what waits without waiting for the window (tests, shutdown)."""
        flow = self.flows.get(auction_id)
        if flow is not None:
            flow.wakeup.set()

    async def deliver(self, auction_id: int, text: str) -> None:
        """Write one pre-encoded text to every local watcher of the auction.

        Under daphne the websocket frame itself is built once (autobahn's prepared message,
        made for exactly this: one payload to many connections) and written to each open
        connection; elsewhere (the test communicator, another server) each watcher gets the
        text through the ASGI ``send``. A fan-out to thousands takes tens of milliseconds of
        this loop; it gives way every ~2 ms (``FANOUT_SLICE``) so bids and their
        acknowledgements are not held behind it.
        """
        started = time.monotonic()
        prepared: dict[int, PreparedMessage] = {}
        watchers = list(self.watchers.get(auction_id, ()))
        FANOUTS.inc()
        DELIVERIES.inc(len(watchers))
        for i, consumer in enumerate(watchers):
            try:
                proto = consumer.ws_protocol
                if proto is not None and consumer.ready:
                    if proto.state == proto.STATE_OPEN:
                        frame = prepared.get(id(proto.factory))
                        if frame is None:
                            frame = prepared[id(proto.factory)] = proto.factory.prepareMessage(
                                text.encode("utf-8"), isBinary=False, doNotCompress=True
                            )
                        _write_frame(proto, frame)
                else:
                    await consumer.push(text)
            except Exception:
                log.debug("push to a closed watcher failed", exc_info=True)
            if i % 16 == 15 and time.monotonic() - started > FANOUT_SLICE:
                await asyncio.sleep(0)
                started = time.monotonic()

    # counts ------------------------------------------------------------------------------

    async def _counts_loop(self) -> None:
        while True:
            await asyncio.sleep(counts_interval())
            try:
                await self.refresh_counts()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live counts refresh failed")

    async def refresh_counts(self) -> None:
        """Recount watchers (all processes) and registrants; tell watchers when they change."""
        auction_ids = [a for a, w in self.watchers.items() if w]
        if not auction_ids:
            return
        await self._write_totals(auction_ids)
        for auction_id in auction_ids:
            try:
                await database_sync_to_async(read_snapshot)(auction_id)
            except Exception:
                log.debug("snapshot for counts failed", exc_info=True)
            counts = (self.watcher_total(auction_id), _info[auction_id].registrant_count)
            flow = self.flows[auction_id]
            if counts != flow.counts_sent:
                flow.counts_sent = counts
                text = encode(
                    {
                        "type": "counts",
                        "auction_id": auction_id,
                        "watchers": counts[0],
                        "registrants": counts[1],
                        **server_time_fields(),
                    }
                )
                await self.deliver(auction_id, text)

    async def _write_totals(self, auction_ids: list[int]) -> None:
        url = settings.REDIS_URL
        if not url:
            for auction_id in auction_ids:
                self.totals[auction_id] = self.local_count(auction_id)
            return
        client = self._redis
        if client is None:
            import redis.asyncio as aioredis

            client = self._redis = aioredis.from_url(url, socket_timeout=5)
        now = int(time.time())
        for auction_id in auction_ids:
            key = WATCHERS_KEY.format(auction_id)
            await client.hset(key, PROCESS_ID, f"{self.local_count(auction_id)}:{now}")
            await client.expire(key, COUNTS_STALE_SECONDS * 4)
            self.totals[auction_id] = _sum_fresh(await client.hgetall(key), now)


def _cpu_clock() -> float:
    """This thread's CPU time (the event loop's thread, where fan-outs run)."""
    return time.thread_time()


def _copy_snapshot(snap: dict[str, Any]) -> dict[str, Any]:
    """A copy a consumer may change (its top level and its bid rows)."""
    out = dict(snap)
    if isinstance(out.get("bids"), list):
        out["bids"] = [dict(b) for b in out["bids"]]
    return out


def _connection_error(exc: BaseException) -> bool:
    """Whether a channel-layer failure means Redis was unreachable (an outage: memberships
    may be gone and updates lost, so re-join and resync), not a bug or a bad message."""
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # no Redis client installed: only the in-memory layer
        return isinstance(exc, OSError)
    return isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError)


def _write_frame(proto: WebSocketServerProtocol, frame: PreparedMessage) -> None:
    """Write a prepared frame to one daphne connection.

    Twisted never writes at once: ``transport.write`` buffers and registers the socket with
    the reactor (an epoll change), which writes on its next turn and unregisters it (another)
    — three system calls and a loop turn per frame, the largest cost of a fan-out. When the
    connection is plain TCP and nothing is waiting in its buffers, the frame is sent on the
    socket here; whatever the kernel does not take goes to Twisted's buffer as usual. Anything
    else (TLS, a backlog, a closing connection) takes autobahn's own path."""
    # ``object``, not autobahn's ``ITransport``: its zope base is untyped, which would keep
    # mypy from narrowing it to Twisted's TCP server below.
    transport: object = proto.transport
    if (
        _TCP_SERVER is not None
        and isinstance(transport, _TCP_SERVER)
        and type(transport) is _TCP_SERVER  # plain TCP only, never a subclass
        and transport.connected
        and not transport.disconnecting
        and not getattr(transport, "_writeDisconnected", True)
        and not transport._tempDataBuffer
        and len(transport.dataBuffer) == transport.offset
        and not proto.send_queue
    ):
        data = frame.payloadHybi
        try:
            sent = transport.socket.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            proto.sendPreparedMessage(frame)  # let Twisted meet the error its own way
            return
        if sent < len(data):
            transport.write(data[sent:])
        return
    proto.sendPreparedMessage(frame)


_TCP_SERVER: type[tcp.Server] | None
try:
    from twisted.internet import tcp

    _TCP_SERVER = tcp.Server
except ImportError:  # not under daphne
    _TCP_SERVER = None

#: An ASGI ``send`` callable.
Send = Callable[[dict[str, Any]], Awaitable[None]]


def websocket_protocol(send: Send | None) -> WebSocketServerProtocol | None:
    """The server's websocket connection behind an ASGI ``send``, when it is daphne's autobahn
    protocol (``send`` is daphne's ``partial(handle_reply, protocol)``, possibly wrapped by
    channels' session middleware); ``None`` for anything else, which then gets plain ASGI
    sends."""
    for _ in range(6):
        if isinstance(send, functools.partial):
            func = getattr(send.func, "__func__", send.func)
            proto = send.args[0] if send.args else None
            if (
                getattr(func, "__name__", "") == "handle_reply"
                and getattr(func, "__module__", "").startswith("daphne.")
                and hasattr(proto, "sendPreparedMessage")
                and hasattr(getattr(proto, "factory", None), "prepareMessage")
                and hasattr(proto, "STATE_OPEN")
            ):
                return proto
            return None
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            return None
    return None


def _sum_fresh(fields: Mapping[bytes | str, bytes | str], now: int) -> int:
    total = 0
    for raw in fields.values():
        try:
            count, stamp = (raw.decode() if isinstance(raw, bytes) else raw).split(":")
            if now - int(stamp) <= COUNTS_STALE_SECONDS:
                total += int(count)
        except ValueError:
            continue
    return total


def _texts(batch: list[dict[str, Any]]) -> list[str]:
    """The frames for a batch, in order: each run of bid updates as one message (its own
    pre-encoded text when the run is a single update), state changes and closes as they are."""
    return [m["text"] for m in _merge_backlog(batch)]


def _merge_backlog(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A publish backlog → fewer messages: consecutive bid updates of an auction become one."""
    out: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []
    for message in batch:
        if run and (message["kind"] != "bid" or message["auction_id"] != run[0]["auction_id"]):
            out.append(merge_updates(run))
            run = []
        if message["kind"] == "bid":
            run.append(message)
        else:
            out.append(message)
    if run:
        out.append(merge_updates(run))
    return out


def watcher_count(auction_id: int) -> int:
    """Watchers of an auction for an HTTP response (sync): Redis total, else this process's."""
    url = settings.REDIS_URL
    if url:
        try:
            client = _sync_redis(url)
            return _sum_fresh(client.hgetall(WATCHERS_KEY.format(auction_id)), int(time.time()))
        except Exception:
            log.debug("watcher count from Redis failed", exc_info=True)
    hub = Hub._current
    return hub.watcher_total(auction_id) if hub is not None else 0


_sync_clients: dict[str, redis.Redis] = {}


def _sync_redis(url: str) -> redis.Redis:
    import redis

    client = _sync_clients.get(url)
    if client is None:
        client = _sync_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return client
