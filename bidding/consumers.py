"""The auction's websocket: anyone watches, a registered bidder with a confirmed deposit bids.

Thin: it parses and checks the frame, refuses stale bids it can refuse without the database
(prices only rise), calls ``bid_place`` and answers. The protocol is in docs/websocket.md;
broadcasting is ``bidding.live`` (one hub per process writes pre-encoded text to watchers).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bidding import live
from core import clock
from core.errors import DomainError
from core.money import yuan

if TYPE_CHECKING:
    from autobahn.twisted.websocket import WebSocketServerProtocol
    from django.contrib.auth.models import AnonymousUser

    from bidding.models import Bid
    from core.models import User

log = logging.getLogger("gavel.bidding.live")

# Error codes of the protocol's ``error`` message (bid refusals use the engine's codes).
ERRORS = {
    "malformed": _("消息格式不正确"),
    "message_too_large": _("消息过长"),
    "binary_not_supported": _("只接受文本消息"),
    "unknown_type": _("不支持的消息类型"),
    "login_required": _("请先登录后再出价"),
    "rate_limited": _("操作过于频繁，请稍后再试"),
    "internal_error": _("系统繁忙，请稍后重试"),
    "auction_not_found": _("拍卖不存在"),
}


class _Handshake:
    """What Django's ``get_language_from_request`` reads, from the websocket's handshake."""

    path_info = "/"

    def __init__(self, scope: dict[str, Any]) -> None:
        self.COOKIES = scope.get("cookies") or {}
        accept = dict(scope.get("headers") or []).get(b"accept-language", b"")
        self.META = {"HTTP_ACCEPT_LANGUAGE": accept.decode("latin-1")}


def scope_language(scope: dict[str, Any]) -> str:
    """The page's language (the language cookie, else the browser's Accept-Language, as
    LocaleMiddleware chooses it): the live messages (refusals, errors) speak it too."""
    return translation.get_language_from_request(_Handshake(scope))  # type: ignore[arg-type]


REGISTRATION_TTL = 5.0  # seconds an ordinary/priority flag is trusted for the equal-bid pre-check
MAX_AMOUNT_FEN = 10**15
EARLY_BUFFER = 200


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _rate(value: tuple[float, float]) -> tuple[float, float]:
    return float(value[0]), float(value[1])


#: Per bidder, shared by all of a bidder's connections in this process (bucket, connections):
#: a bidder cannot multiply the bid limit by opening more sockets. Dropped with the last one.
_bidder_buckets: dict[int, tuple[TokenBucket, int]] = {}


def _bid_bucket_acquire(user_id: int | None) -> TokenBucket:
    if user_id is None:
        return TokenBucket(*_rate(settings.GAVEL_LIVE_BID_RATE))
    bucket, n = _bidder_buckets.get(user_id) or (
        TokenBucket(*_rate(settings.GAVEL_LIVE_BID_RATE)),
        0,
    )
    _bidder_buckets[user_id] = (bucket, n + 1)
    return bucket


def _bid_bucket_release(user_id: int | None) -> None:
    if user_id is None or user_id not in _bidder_buckets:
        return
    bucket, n = _bidder_buckets[user_id]
    if n <= 1:
        del _bidder_buckets[user_id]
    else:
        _bidder_buckets[user_id] = (bucket, n - 1)


def snapshot_for(auction_id: int, user: User | AnonymousUser | None) -> dict[str, Any]:
    """The public snapshot, plus what this connection's own user may know about themself."""
    snap = live.read_snapshot(auction_id)
    snap["you"] = you_for(auction_id, user)
    return snap


def you_for(auction_id: int, user: User | AnonymousUser | None) -> dict[str, Any]:
    """What this connection's own user may know about themself (sync)."""
    you: dict[str, Any] = {"authenticated": bool(user and user.is_authenticated)}
    if you["authenticated"]:
        from bidding.selectors import registration_for

        reg = registration_for(user, auction_id)
        you.update(
            registered=reg is not None,
            bidder_code=getattr(reg, "bidder_code", None) if reg else None,
            can_bid=bool(reg and getattr(reg, "bidder_code", None)),
            priority=bool(reg and getattr(reg, "is_priority", False)),
        )
        # For this connection only (never sent): lets a bid skip the registration lookup.
        you["_registration_id"] = reg.pk if reg is not None else None
    return you


def _registration_is_priority(
    user: User | AnonymousUser | None, auction_id: int
) -> tuple[bool, int | None]:
    from bidding.selectors import registration_for

    reg = registration_for(user, auction_id)
    return bool(reg and getattr(reg, "is_priority", False)), (reg.pk if reg else None)


def _bid_place(
    *,
    auction_id: int,
    user: User,
    amount_fen: int,
    password: str | None = None,
    client_id: str | None = None,
    registration_id: int | None = None,
    unlock_token: str | None = None,
    received_at: dt.datetime | None = None,
) -> Bid:
    from bidding.services import bid_place

    return bid_place(
        auction_id=auction_id,
        user=user,
        amount_fen=amount_fen,
        password=password,
        client_id=client_id,
        registration_id=registration_id,
        unlock_token=unlock_token,
        received_at=received_at,
    )


class StaleBid(DomainError):
    """A bid the committed price this process has seen already beats (refused before the DB)."""


def stale_reason(auction_id: int, amount: int, *, ordinary: bool) -> tuple[str, str] | None:
    """Why ``amount`` is stale, or None. Prices only rise, so the known committed price is at
    most the true one: ``amount < known`` is always too low; ``amount == known`` may only come
    from a priority purchaser (AUC-26), so it is refused only when ``ordinary`` is known."""
    known = live.known_price(auction_id)
    if known is None or amount > known or (amount == known and not ordinary):
        return None
    increment = live.known_increment(auction_id)
    hint = gettext("当前价 %(price)s 元") % {"price": yuan(known)}
    if increment:
        hint += gettext("，最低可出 %(price)s 元") % {"price": yuan(known + increment)}
    if amount < known:
        return "bid_too_low", gettext("出价低于当前价：%(hint)s") % {"hint": hint}
    return "equal_bid_not_allowed", gettext("出价须高于当前价：%(hint)s") % {"hint": hint}


_bid_executors: dict[int, ThreadPoolExecutor] = {}


def bid_threads() -> int:
    """Database threads for bids (``GAVEL_LIVE_BID_THREADS``): 4 on PostgreSQL, 1 on SQLite.

    Channels runs all database work of a process on one thread, so every bid waits for the
    round trips and the commit of the one before it. Bids on one auction serialise on its row
    lock anyway; with a few threads the lookups, refusals and commit flushes of different bids
    overlap. SQLite has one writer, so it keeps the single thread.
    """
    value = int(settings.GAVEL_LIVE_BID_THREADS or 0)
    if value > 0:
        return value
    return 4 if "postgresql" in settings.DATABASES["default"]["ENGINE"] else 1


class _PlaceBid(Protocol):
    """:func:`_place_unless_stale` run on a database thread."""

    def __call__(
        self,
        *,
        ordinary: bool,
        auction_id: int,
        user: User,
        amount_fen: int,
        password: str | None = None,
        client_id: str | None = None,
        registration_id: int | None = None,
        unlock_token: str | None = None,
        received_at: dt.datetime | None = None,
    ) -> Awaitable[Bid]: ...


def _bid_call() -> _PlaceBid:
    threads = bid_threads()
    if threads <= 1:
        return database_sync_to_async(_place_unless_stale)
    executor = _bid_executors.get(threads)
    if executor is None:
        executor = _bid_executors[threads] = ThreadPoolExecutor(
            threads, thread_name_prefix="gavel-bid"
        )
    return DatabaseSyncToAsync(_place_unless_stale, thread_sensitive=False, executor=executor)


#: One lock per auction, striped so the table stays bounded however many auctions a process
#: serves (two auctions sharing a stripe merely take turns too).
_turns = [threading.Lock() for _ in range(256)]


def _turn(auction_id: int) -> threading.Lock:
    return _turns[auction_id % len(_turns)]


def _place_unless_stale(
    *,
    ordinary: bool,
    auction_id: int,
    user: User,
    amount_fen: int,
    password: str | None = None,
    client_id: str | None = None,
    registration_id: int | None = None,
    unlock_token: str | None = None,
    received_at: dt.datetime | None = None,
) -> Bid:
    """Runs on a database thread. Bids of one auction take turns in this process (other
    auctions' bids run beside them): a bid waiting for its turn would otherwise wait for the
    auction's row lock inside PostgreSQL, and find there that the bid before it made it stale.
    Here it waits before the database, and when its turn comes the price the previous bid
    committed is already known (the after-commit handler records it before the turn passes),
    so a stale bid is refused without a query. The row lock still orders bids across
    processes; the bid time is the receipt time the consumer took before the queue (AUC-24)."""
    with _turn(auction_id):
        reason = stale_reason(auction_id, amount_fen, ordinary=ordinary)
        if reason is not None:
            raise StaleBid(*reason, rule="AUC-20")
        return _bid_place(
            auction_id=auction_id,
            user=user,
            amount_fen=amount_fen,
            password=password,
            client_id=client_id,
            registration_id=registration_id,
            unlock_token=unlock_token,
            received_at=received_at,
        )


def _unlock(session: Any, auction_id: int, user: User, password: str | None) -> str:
    """Verify the bidding password once (full strength) and keep the unlock token in the
    session too, so a reconnect (to any server process) stays unlocked (issue 15)."""
    from bidding.services import registration_unlock, unlock_session_key

    token = registration_unlock(auction_id=auction_id, user=user, password=password)
    if session is not None:
        session[unlock_session_key(auction_id)] = token
        session.save()
    return token


def _session_unlock_token(session: Any, auction_id: int) -> str | None:
    from bidding.services import unlock_session_key

    token = session.get(unlock_session_key(auction_id)) if session is not None else None
    return token if isinstance(token, str) else None


class AuctionConsumer(AsyncWebsocketConsumer):
    """``/ws/auctions/<id>/``."""

    # No per-connection channel: the process's hub is the one group member (bidding.live).
    channel_layer_alias = "gavel-live-no-layer"

    # Set in ``connect`` (declared here for the type checker and for ``live.Watcher``).
    auction_id: int
    user: User | AnonymousUser | None
    hub: live.Hub | None = None
    ws_protocol: WebSocketServerProtocol | None = None
    ready: bool = False
    unlock_token: str | None = None  # bidding unlocked (AUC-17): bids need no password

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale DB connections before every message (a thread hop each);
        # only bids and snapshots touch the database, and they go through
        # database_sync_to_async, which does that itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # connection ------------------------------------------------------------------------

    async def connect(self) -> None:
        self.language = scope_language(self.scope)
        with translation.override(self.language):
            await self._connect()

    async def _connect(self) -> None:
        self.auction_id = int(self.scope["url_route"]["kwargs"]["auction_id"])
        self.user = self.scope.get("user")
        self.ready = False
        self.early: list[str] = []
        self.hub = None
        self.msg_bucket = TokenBucket(*_rate(settings.GAVEL_LIVE_MESSAGE_RATE))
        self.bucket_user = self.user.pk if self.user and self.user.is_authenticated else None
        self.bid_bucket = _bid_bucket_acquire(self.bucket_user)
        self.priority: bool | None = None
        self.priority_checked = 0.0
        self.registration_id: int | None = None
        await self.accept()
        # Under daphne the hub writes prepared frames straight to the connection.
        self.ws_protocol = live.websocket_protocol(self.base_send)
        # Join before reading the snapshot, so no update falls between the two.
        self.hub = await live.Hub.get()
        await self.hub.join(self, self.auction_id)
        try:
            # The public part is shared by the watchers arriving together (one database read,
            # not one per watcher; live.Hub.snapshot says why that is safe); what the user may
            # know about themself is read for signed-in users only.
            snap = await self.hub.snapshot(self.auction_id)
            if self.user is not None and self.user.is_authenticated:
                snap["you"] = await database_sync_to_async(you_for)(self.auction_id, self.user)
            else:
                snap["you"] = you_for(self.auction_id, self.user)
        except DomainError as exc:
            await self.send_error(exc.code, str(exc.message))
            await self.close(code=4404 if exc.status == 404 else 4400)
            return
        except Exception as exc:
            if type(exc).__name__ == "DoesNotExist":
                await self.send_error("auction_not_found")
                await self.close(code=4404)
                return
            raise
        self._note_you(snap["you"])
        if snap["you"].get("can_bid"):
            self.unlock_token = await database_sync_to_async(_session_unlock_token)(
                self.scope.get("session"), self.auction_id
            )
        snap["type"] = "snapshot"
        snap["watchers"] = self.hub.watcher_total(self.auction_id)
        snap.update(live.server_time_fields())
        await self.send(text_data=live.encode(snap))
        self.ready = True
        early, self.early = self.early, []
        for text in early:
            await self.send(text_data=text)

    async def disconnect(self, code: int) -> None:
        _bid_bucket_release(getattr(self, "bucket_user", None))
        self.bucket_user = None
        if self.hub is not None:
            hub, self.hub = self.hub, None
            await hub.leave(self, self.auction_id)

    async def push(self, text: str) -> None:
        """Called by the hub with a pre-encoded update."""
        if not self.ready:
            if len(self.early) < EARLY_BUFFER:
                self.early.append(text)
            return
        await self.base_send({"type": "websocket.send", "text": text})

    # frames ------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(getattr(self, "language", None)):
            try:
                await self._receive(text_data, bytes_data)
            except Exception:  # never let a frame kill the connection
                log.exception("live consumer failed on a frame")
                await self.send_error("internal_error")

    async def _receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        received_at = clock.now()  # AUC-24: the bid time is the server's receipt time
        if text_data is None:
            await self.send_error("binary_not_supported")
            return
        if len(text_data) > int(settings.GAVEL_LIVE_MAX_MESSAGE_CHARS):
            await self.send_error("message_too_large")
            return
        if not self.msg_bucket.take():
            await self.send_error("rate_limited")
            return
        try:
            msg = json.loads(text_data)
        except ValueError:
            await self.send_error("malformed")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            await self.send_error("malformed")
            return
        kind = msg["type"]
        if kind == "bid":
            await self.on_bid(msg, received_at)
        elif kind == "unlock":
            await self.on_unlock(msg)
        elif kind == "ping":
            t = msg.get("t")
            await self.send_json(
                {
                    "type": "pong",
                    "t": t if isinstance(t, int | float) and not isinstance(t, bool) else None,
                    **live.server_time_fields(),
                }
            )
        elif kind == "snapshot":
            snap = await database_sync_to_async(snapshot_for)(self.auction_id, self.user)
            self._note_you(snap["you"])
            snap["type"] = "snapshot"
            snap["watchers"] = self.hub.watcher_total(self.auction_id) if self.hub else 0
            snap.update(live.server_time_fields())
            await self.send(text_data=live.encode(snap))
        else:
            await self.send_error("unknown_type")

    async def on_bid(self, msg: dict[str, Any], received_at: dt.datetime | None = None) -> None:
        client_id = msg.get("client_id")
        if client_id is not None and (not isinstance(client_id, str) or len(client_id) > 64):
            await self.send_error("malformed", gettext("client_id 须为不超过 64 个字符的字符串"))
            return
        amount = msg.get("amount_fen")
        if not isinstance(amount, int) or isinstance(amount, bool):
            await self.send_error(
                "malformed", gettext("出价金额须为以分为单位的整数"), client_id=client_id
            )
            return
        password = msg.get("password")
        if password is not None and (not isinstance(password, str) or len(password) > 128):
            await self.send_error("malformed", gettext("竞价密码格式不正确"), client_id=client_id)
            return
        if not (self.user and self.user.is_authenticated):
            await self.send_error("login_required", client_id=client_id)
            return
        if not self.bid_bucket.take():
            await self.send_error("rate_limited", client_id=client_id)
            return
        if amount <= 0 or amount > MAX_AMOUNT_FEN:
            await self.send_rejected(
                client_id, "invalid_amount", gettext("出价金额无效"), rule="AUC-20"
            )
            return
        if (
            self.priority is not None
            and time.monotonic() - self.priority_checked > REGISTRATION_TTL
        ):
            await self._is_priority()  # keep the ordinary/priority flag fresh (one read per 5 s)
        stale = await self._stale(amount)
        if stale is not None:
            await self.send_rejected(client_id, *stale, rule="AUC-20", precheck=True)
            return
        try:
            bid = await _bid_call()(
                ordinary=self._known_ordinary(),
                auction_id=self.auction_id,
                user=self.user,
                amount_fen=amount,
                password=password,
                client_id=client_id,
                registration_id=self.registration_id,
                unlock_token=self.unlock_token,
                received_at=received_at,
            )
        except DomainError as exc:
            await self.send_rejected(
                client_id,
                exc.code,
                str(exc.message),
                rule=exc.rule,
                data=exc.data or None,
                precheck=isinstance(exc, StaleBid),
            )
            return
        live.note_price(self.auction_id, bid.amount_fen, bid.seq)
        increment = live.known_increment(self.auction_id)
        # The after-commit handler has already run (it recorded the end this bid left).
        end_at = live.known_end_at(self.auction_id)
        await self.send_json(
            {
                "type": "bid_accepted",
                "client_id": client_id,
                "seq": bid.seq,
                "amount_fen": bid.amount_fen,
                "bidder_code": bid.bidder_code,
                "at": live.iso(bid.at),
                "end_at": end_at,
                "next_min_bid_fen": bid.amount_fen + increment if increment else None,
            }
        )

    async def on_unlock(self, msg: dict[str, Any]) -> None:
        """``{"type":"unlock","password":…}``: verify the bidding password once (full strength);
        this connection and the session then bid without it (docs/websocket.md)."""
        password = msg.get("password")
        if not isinstance(password, str) or len(password) > 128:
            await self.send_error("malformed", gettext("竞价密码格式不正确"))
            return
        if not (self.user and self.user.is_authenticated):
            await self.send_error("login_required")
            return
        if not self.bid_bucket.take():
            await self.send_error("rate_limited")
            return
        try:
            self.unlock_token = await database_sync_to_async(_unlock)(
                self.scope.get("session"), self.auction_id, self.user, password
            )
        except DomainError as exc:
            await self.send_json(
                {
                    "type": "unlock_refused",
                    "code": exc.code,
                    "message": str(exc.message),
                    "rule": exc.rule,
                }
            )
            return
        await self.send_json({"type": "unlocked", "auction_id": self.auction_id})

    async def _stale(self, amount: int) -> tuple[str, str] | None:
        """Refuse without the database a bid the known committed price already beats."""
        known = live.known_price(self.auction_id)
        if known is None or amount > known:
            return None
        ordinary = amount < known or not await self._is_priority()
        return stale_reason(self.auction_id, amount, ordinary=ordinary)

    def _note_you(self, you: dict[str, Any]) -> None:
        self.registration_id = you.pop("_registration_id", None)
        if you.get("registered"):
            self.priority = bool(you.get("priority"))
            self.priority_checked = time.monotonic()

    def _known_ordinary(self) -> bool:
        """True only if this connection recently read that its bidder is no priority holder."""
        return (
            self.priority is False and time.monotonic() - self.priority_checked <= REGISTRATION_TTL
        )

    async def _is_priority(self) -> bool:
        now = time.monotonic()
        if self.priority is None or now - self.priority_checked > REGISTRATION_TTL:
            self.priority, self.registration_id = await database_sync_to_async(
                _registration_is_priority
            )(self.user, self.auction_id)
            self.priority_checked = now
        return self.priority

    # replies -----------------------------------------------------------------------------

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.send(text_data=live.encode(message))

    async def send_error(self, code: str, message: str | None = None, **extra: object) -> None:
        await self.send_json(
            {
                "type": "error",
                "code": code,
                "message": message or str(ERRORS.get(code, code)),
                **extra,
            }
        )

    async def send_rejected(
        self,
        client_id: str | None,
        code: str,
        message: str,
        *,
        rule: str | None = None,
        data: dict[str, Any] | None = None,
        precheck: bool = False,
    ) -> None:
        known = live.known_price(self.auction_id)
        increment = live.known_increment(self.auction_id)
        reply: dict[str, Any] = {
            "type": "bid_rejected",
            "client_id": client_id,
            "code": code,
            "message": message,
            "rule": rule,
            "price_fen": known,
            "next_min_bid_fen": (known + increment) if known is not None and increment else None,
        }
        if data:
            reply["data"] = data
        if precheck:
            reply["precheck"] = True  # refused before the database (informational)
        await self.send_json(reply)
