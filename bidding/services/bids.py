"""``bid_place``, the hot path (ARCHITECTURE.md "The hot path: one bid"), and proxy bidding
(AUC-27, off unless the auction enables it)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import ParamSpec, TypeAlias, TypeVar

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext

from bidding import bidwrite, locks
from bidding.events import BidAccepted
from bidding.models import Auction, Bid, Registration
from bidding.services._common import (
    EXTENSION,
    Caller,
    _bidding_open,
    _deferred_entries,
    _password_known,
    _password_ok,
    _refuse,
    _scheduled,
    _state_changed,
    _states_before_bidding,
    _stream_append,
    _stream_mirror_resync,
    _unlock_ok,
    log,
    price_lapsed_assets,
    receipt_grace,
    setting,
)
from core import calendar, clock
from core.audit import GENESIS, StreamMoved
from core.errors import DomainError, NotFound
from core.events import publish_on_commit

#: An accepted bid: the row, the registration that led before it, whether it extended the end.
Accepted: TypeAlias = tuple[Bid, int | None, bool]

LIVE_FIELDS = [
    "state",
    "current_price_fen",
    "leader",
    "leader_code",
    "leader_priority_rank",
    "leader_bid_at",
    "end_at",
    "extension_count",
    "last_seq",
    "last_bid_hash",
    "stream_seq",
    "stream_hash",
    "sale_countdown_started_at",
]


def bid_hash(
    *,
    prev_hash: str,
    auction_id: int,
    seq: int,
    code: str,
    amount_fen: int,
    at: dt.datetime,
    priority_rank: int | None,
) -> str:
    """The link of a bid in its auction's hash chain (REC-06)."""
    payload = json.dumps(
        [
            prev_hash,
            auction_id,
            seq,
            code,
            amount_fen,
            at.isoformat(timespec="microseconds"),
            priority_rank,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def next_min_bid_fen(auction: Auction) -> int:
    """The lowest amount an ordinary bidder may bid now (AUC-20/21)."""
    if auction.current_price_fen is None:
        return auction.starting_price_fen
    return auction.current_price_fen + auction.increment_fen


def _check_amount(auction: Auction, reg: Registration, amount_fen: int) -> None:
    """AUC-20, AUC-21, AUC-26 (and AUC-37 for 变卖) on the locked row, no query."""
    start, inc, price = auction.starting_price_fen, auction.increment_fen, auction.current_price_fen
    if amount_fen < start:
        raise _refuse("bid_below_start", gettext("出价不得低于起拍价"), "AUC-20", min_fen=start)
    if setting(auction, "bids_on_increment_grid") and (amount_fen - start) % inc:
        raise _refuse(
            "bid_not_on_grid",
            gettext("出价须为起拍价加整数倍加价幅度"),
            "AUC-21",
            increment_fen=inc,
        )
    if price is None:
        if amount_fen != start and (
            auction.round == Auction.Round.SALE or setting(auction, "first_bid_must_equal_start")
        ):
            rule = "AUC-37" if auction.round == Auction.Round.SALE else "AUC-21"
            raise _refuse(
                "first_bid_must_equal_start", gettext("首次出价须等于起拍价"), rule, min_fen=start
            )
        return
    if auction.leader_id == reg.pk and setting(auction, "forbid_rebid_while_leading"):
        raise _refuse("leader_cannot_rebid", gettext("您当前领先，不能再次出价"), "AUC-21")
    if amount_fen >= price + inc:
        return
    if amount_fen == price:
        if reg.is_priority and auction.leader_id != reg.pk:
            leader_rank = auction.leader_priority_rank
            rank = reg.priority_rank
            if leader_rank is None or (rank is not None and rank < leader_rank):
                return  # AUC-26: a priority purchaser takes the lead with an equal bid
            raise _refuse(
                "equal_bid_not_allowed",
                gettext("同一顺序的优先购买权人已先出此价，须加价竞买"),
                "AUC-26",
            )
        raise _refuse(
            "equal_bid_not_allowed",
            gettext("出价须高于当前价至少一个加价幅度"),
            "AUC-20",
            min_fen=price + inc,
        )
    raise _refuse(
        "bid_too_low", gettext("出价须高于当前价至少一个加价幅度"), "AUC-20", min_fen=price + inc
    )


def _apply_bid(
    auction: Auction,
    reg: Registration,
    amount_fen: int,
    now: dt.datetime,
    *,
    client_id: str | None,
    is_proxy: bool,
) -> Accepted:
    """Write one accepted bid onto the locked auction (checks already passed)."""
    # AUC-23 / AUC-37: 变卖's first bid starts the countdown; then end = max(end, t + 5 min).
    extended = False
    if auction.round == Auction.Round.SALE and auction.sale_countdown_started_at is None:
        auction.sale_countdown_started_at = now
        auction.end_at = calendar.elapsed(now, hours=int(setting(auction, "sale_countdown_hours")))
    new_end = now + EXTENSION
    if auction.end_at is None or new_end > auction.end_at:
        auction.end_at = new_end
        auction.extension_count += 1
        auction.extend()
        extended = True
    seq = auction.last_seq + 1
    prev = auction.last_bid_hash or GENESIS
    code = reg.bidder_code or ""
    rank = reg.priority_rank if reg.is_priority else None
    digest = bid_hash(
        prev_hash=prev,
        auction_id=auction.pk,
        seq=seq,
        code=code,
        amount_fen=amount_fen,
        at=now,
        priority_rank=rank,
    )
    bid = Bid(
        auction_id=auction.pk,
        seq=seq,
        registration_id=reg.pk,
        bidder_code=code,
        amount_fen=amount_fen,
        at=now,
        is_priority=rank is not None,
        priority_rank=rank,
        is_proxy=is_proxy,
        client_id=(client_id or "")[:64],
        prev_hash=prev,
        hash=digest,
    )
    previous_leader = auction.leader_id
    auction.current_price_fen = amount_fen
    auction.leader_id = reg.pk
    auction.leader_code = code
    auction.leader_priority_rank = rank
    auction.leader_bid_at = now
    auction.last_seq = seq
    auction.last_bid_hash = digest
    _stream_append(
        auction,
        action="bid.accepted",
        actor_label=code,
        subject=f"bid:{seq}",
        at=now,
        after={
            "seq": seq,
            "code": code,
            "amount_fen": amount_fen,
            "end_at": auction.end_at,
            "extended": extended,
            "proxy": is_proxy,
            "hash": digest,
        },
        rules=["AUC-24", "AUC-25"] + (["AUC-23"] if extended else []),
        defer=True,
    )
    return bid, previous_leader, extended


def _registration_for_bid(auction_id: int, user: Caller) -> Registration:
    if not user.is_authenticated:
        raise _refuse("not_registered", gettext("请先登录并报名"), "AUC-17")
    reg = (
        Registration.objects.filter(auction_id=auction_id)
        .filter(Q(user_id=user.pk) | Q(agent_user_id=user.pk))
        .order_by("pk")
        .first()
    )
    if reg is None:
        if not Auction.objects.filter(pk=auction_id).exists():
            raise NotFound("auction_not_found", gettext("拍卖不存在"))
        raise _refuse("not_registered", gettext("您尚未报名参加本场拍卖"), "AUC-17")
    return reg


def bid_time(received_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """AUC-24: the bid time is the server's receipt time, taken at the entry (websocket
    consumer, HTTP API) before the bid waits for a thread or the auction's row lock.

    Never later than ``now`` (the lock), never earlier than the receipt grace before it: the
    close waits that long after the end for bids received before the end (``auction_close_due``),
    so an older receipt time could no longer be honoured, and is not trusted."""
    if received_at > now:
        return now
    earliest = now - receipt_grace()
    return received_at if received_at > earliest else earliest


def _check_open(auction: Auction, now: dt.datetime) -> str:
    """The state check of a bid at its bid time ``now`` (AUC-24); opens a scheduled auction
    whose start has passed."""
    old = auction.state
    if _scheduled(auction) and auction.start_at and auction.start_at <= now:
        # PRC-11: never opens on a lapsed price (checked once, on the opening bid only).
        if auction.price_lapsed_at is not None or price_lapsed_assets(auction):
            raise _refuse(
                "price_lapsed", gettext("参考价已过有效期，本场拍卖不能开始竞价"), "PRC-11"
            )
        auction.open()  # the clock may not have ticked yet; the start time decides
    if not _bidding_open(auction):
        if auction.state in _states_before_bidding():
            raise _refuse(
                "auction_not_open", gettext("本场拍卖当前不在竞价期"), "AUC-03", state=auction.state
            )
        raise _refuse("auction_ended", gettext("本场拍卖竞价已结束"), "AUC-24", state=auction.state)
    # AUC-24: accept only if t < end (the close may not have run yet).
    if auction.end_at is None or now >= auction.end_at:
        raise _refuse("auction_ended", gettext("本场拍卖竞价已结束"), "AUC-24")
    return old


def _check_bidder(auction: Auction, reg: Registration, acting_user_id: int | None = None) -> None:
    """The registration may bid now (AUC-17), and whoever acts for it may (AUC-14).

    ``acting_user_id``: who is bidding. The registrant bids in person whatever became of the
    agency; the agent only if the court confirmed it before bidding opened. Unknown (the
    engine's own proxy bids): the agency must be confirmed if there is one."""
    if reg.status not in (Registration.Status.ACTIVE,) or not reg.bidder_code:
        raise _refuse("deposit_not_confirmed", gettext("保证金尚未确认，不能出价"), "AUC-17")
    in_person = acting_user_id is not None and acting_user_id == reg.user_id
    if (
        reg.agent_user_id
        and not in_person
        and not (
            reg.agent_confirmed_at
            and auction.start_at
            and reg.agent_confirmed_at < auction.start_at
        )
    ):
        raise _refuse(
            "agent_not_confirmed", gettext("委托代理竞买未在竞价开始前经法院确认"), "AUC-14"
        )


P = ParamSpec("P")
R = TypeVar("R")


def _database_lost_refused(fn: Callable[P, R]) -> Callable[P, R]:
    """The database connection died under a bid (a failover, a terminated backend): the
    transaction never committed, so nothing of the bid exists (bid, audit entries and the
    auction's fields are one transaction, AUC-24). Say so with a stable code instead of a 500,
    and drop the dead connection so this thread's next bid gets a fresh one (issue 15)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            log.warning("auction %s: database lost during a bid: %s", kwargs.get("auction_id"), exc)
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            raise DomainError(
                "bid_not_recorded",
                gettext("出价未被记录（系统暂时无法写入），请重新出价"),
                "AUC-24",
                status=503,
            ) from exc

    return wrapper


@_database_lost_refused
def bid_place(
    *,
    auction_id: int,
    user: Caller,
    amount_fen: int,
    password: str | None = None,
    client_id: str | None = None,
    registration_id: int | None = None,
    unlock_token: str | None = None,
    received_at: dt.datetime | None = None,
) -> Bid:
    """Place one bid. One short transaction on the auction's row lock; ``BidAccepted`` after commit.

    Bid time is the server receipt time (AUC-24): ``received_at``, taken by the entry before
    any queue (now, if the caller took none), bounded by ``bid_time``; a bid is accepted only
    if it was received before the end, even when it gets the row lock after the end (the close
    waits ``receipt_grace`` for it). Bids are ordered (``seq``) by the row lock.

    ``registration_id``: the caller's registration when it already knows it (the live
    consumer reads it on connect). With it, and a password this process has verified before,
    the registration is read in the same statement that locks the auction: one round trip
    fewer. It is only a hint: the row read under the lock must belong to this auction and to
    ``user`` (as bidder or agent), and every check runs on it.

    ``unlock_token``: from ``registration_unlock`` (kept in the session or the connection);
    a valid one stands for the bidding password (AUC-17), checked under the lock with one
    keyed digest. Without it, the password is checked (fully once per process).
    """
    received_at = received_at or clock.now()
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise _refuse("invalid_amount", gettext("出价金额无效"))
    if registration_id is None or not (unlock_token or _password_known(registration_id, password)):
        reg = _registration_for_bid(auction_id, user)
        # A registrant whose deposit is not confirmed has no password yet: say so, not
        # "wrong password".
        if not reg.bidder_code:
            raise _refuse("deposit_not_confirmed", gettext("保证金尚未确认，不能出价"), "AUC-17")
        # The full hash at most once per process, outside the lock.
        if not (_unlock_ok(reg, unlock_token) or _password_ok(reg, password)):
            raise _refuse("bad_password", gettext("竞价密码错误"), "AUC-17")
        registration_id = reg.pk
    try:
        return _bid_place_locked(
            auction_id,
            registration_id,
            user,
            amount_fen,
            password,
            client_id,
            received_at,
            unlock_token,
        )
    except StreamMoved:
        log.warning("auction %s: stream head mirror was stale; resynced", auction_id)
        _stream_mirror_resync(auction_id)
        return _bid_place_locked(
            auction_id,
            registration_id,
            user,
            amount_fen,
            password,
            client_id,
            received_at,
            unlock_token,
        )


def _bid_place_locked(
    auction_id: int,
    registration_id: int,
    user: Caller,
    amount_fen: int,
    password: str | None,
    client_id: str | None,
    received_at: dt.datetime,
    unlock_token: str | None = None,
) -> Bid:
    with transaction.atomic():
        locked = locks.auction_for_bid(auction_id, registration_id)
        if locked is None or user.pk not in (locked.user_id, locked.agent_user_id):
            if not Auction.objects.filter(pk=auction_id).exists():
                raise NotFound("auction_not_found", gettext("拍卖不存在"))
            raise _refuse("not_registered", gettext("您尚未报名参加本场拍卖"), "AUC-17")
        reg, auction = locked, locked.auction
        if not reg.bidder_code:
            raise _refuse("deposit_not_confirmed", gettext("保证金尚未确认，不能出价"), "AUC-17")
        if not (_unlock_ok(reg, unlock_token) or _password_ok(reg, password)):
            raise _refuse("bad_password", gettext("竞价密码错误"), "AUC-17")
        now = bid_time(received_at, clock.now())  # AUC-24: the receipt time
        old_state = _check_open(auction, now)
        _check_bidder(auction, reg, user.pk)
        _check_amount(auction, reg, amount_fen)
        bid, previous_leader, extended = _apply_bid(
            auction, reg, amount_fen, now, client_id=client_id, is_proxy=False
        )
        accepted = [(bid, previous_leader, extended)]
        if setting(auction, "proxy_bidding_enabled"):
            accepted += _proxy_resolve(auction, now)
        _bids_commit(auction, accepted, old_state)
    return bid


def _bids_commit(auction: Auction, accepted: list[Accepted], old_state: str) -> None:
    """Write the accepted bids, their audit entries and the auction's live fields (one
    statement on PostgreSQL, ``bidding.bidwrite``), announce each bid after commit, record the
    state change (shared by ordinary and proxy bids)."""
    bidwrite.write_bids(
        auction=auction,
        live_fields=LIVE_FIELDS,
        bids=[b for b, _, _ in accepted],
        entries=_deferred_entries(auction),
    )
    end_at = auction.end_at
    for b, prev_leader, ext in accepted:
        if end_at is None:  # never: a bid sets or keeps the end (AUC-23)
            raise RuntimeError(f"auction {auction.pk}: an accepted bid and no end")
        publish_on_commit(
            BidAccepted(
                auction_id=auction.pk,
                seq=b.seq,
                amount_fen=b.amount_fen,
                bidder_code=b.bidder_code,
                previous_leader_registration_id=prev_leader,
                at=b.at,
                end_at=end_at,
                extended=ext,
                extension_count=auction.extension_count,
                priority_rank=b.priority_rank,
            )
        )
    _state_changed(auction, old_state)


def _grid_top(auction: Auction, max_fen: int) -> int:
    """The highest valid amount not above ``max_fen`` (on the grid when the grid applies)."""
    if not setting(auction, "bids_on_increment_grid"):
        return max_fen
    start, inc = auction.starting_price_fen, auction.increment_fen
    if max_fen < start:
        return start - inc
    return start + ((max_fen - start) // inc) * inc


def _proxy_resolve(auction: Auction, now: dt.datetime) -> list[Accepted]:
    """Bid for proxies, as ordinary bids, until no proxy can or needs to bid (AUC-27).

    The winner is the proxy with the highest maximum (of equal maxima, the earlier: a later
    equal maximum stops one increment below it). Every other proxy that can still beat the
    price bids its own cap, lowest first; the winner then bids the minimum needed. The final
    price is one increment above the runner-up's cap (or the winner's maximum), as on eBay.
    Every bid passes the same checks as a bid placed by hand.
    """
    out: list[Accepted] = []
    proxies = list(
        Registration.objects.filter(
            auction_id=auction.pk,
            proxy_max_fen__isnull=False,
            status=Registration.Status.ACTIVE,
            bidder_code__isnull=False,
        ).order_by("proxy_set_at", "pk")
    )
    if not proxies:
        return out
    tops = {
        r.pk: _grid_top(auction, r.proxy_max_fen) for r in proxies if r.proxy_max_fen is not None
    }
    winner = min(proxies, key=lambda r: (-tops[r.pk], r.proxy_set_at, r.pk))
    caps: dict[int, int] = {}
    for r in proxies:
        earlier_equal = any(
            q is not r
            and tops[q.pk] == tops[r.pk]
            and (q.proxy_set_at, q.pk) < (r.proxy_set_at, r.pk)
            for q in proxies
        )
        caps[r.pk] = tops[r.pk] - auction.increment_fen if earlier_equal else tops[r.pk]
    for _ in range(2 * len(proxies) + 2):
        need = next_min_bid_fen(auction)
        candidates = [r for r in proxies if r.pk != auction.leader_id and caps[r.pk] >= need]
        if not candidates:
            break
        others = [r for r in candidates if r is not winner]
        if others:
            actor = min(others, key=lambda r: (caps[r.pk], r.proxy_set_at, r.pk))
            amount = caps[actor.pk]
        else:
            actor, amount = winner, need
        try:
            _check_bidder(auction, actor)
            _check_amount(auction, actor, amount)
        except DomainError:
            break
        out.append(_apply_bid(auction, actor, amount, now, client_id="proxy", is_proxy=True))
    return out


@transaction.atomic
def proxy_bid_set(
    *, auction_id: int, user: Caller, max_fen: int, password: str | None = None
) -> Registration:
    """Set a hidden maximum (AUC-27); the engine then bids the minimum needed for it."""
    reg = _registration_for_bid(auction_id, user)
    # A registrant whose deposit is not confirmed has no password yet: say so, not "wrong password".
    if not reg.bidder_code:
        raise _refuse("deposit_not_confirmed", gettext("保证金尚未确认，不能出价"), "AUC-17")
    if not _password_ok(reg, password):
        raise _refuse("bad_password", gettext("竞价密码错误"), "AUC-17")
    auction = locks.auction_for_update(auction_id)
    if not setting(auction, "proxy_bidding_enabled"):
        raise _refuse("proxy_disabled", gettext("本场拍卖未启用代理出价"), "AUC-27")
    now = clock.now()
    old_state = _check_open(auction, now)
    _check_bidder(auction, reg, user.pk)
    if (
        isinstance(max_fen, bool)
        or not isinstance(max_fen, int)
        or max_fen < next_min_bid_fen(auction)
    ):
        raise _refuse(
            "bid_too_low",
            gettext("最高出价须不低于当前最低可出价"),
            "AUC-27",
            min_fen=next_min_bid_fen(auction),
        )
    Registration.objects.filter(pk=reg.pk).update(proxy_max_fen=max_fen, proxy_set_at=now)
    reg.proxy_max_fen, reg.proxy_set_at = max_fen, now
    accepted = _proxy_resolve(auction, now)
    _bids_commit(auction, accepted, old_state)
    return reg
