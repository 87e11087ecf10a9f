"""Every write of bidding: drafts and publication, registration, ``bid_place``, closing,
default, court actions and practice auctions.

Each service is keyword-only, runs in one transaction, writes its audit entry in that
transaction (stream ``auction:<id>``, or ``practice:<id>`` for practice auctions, plus the
case stream for case-level facts) and raises ``DomainError`` with a stable code, a Chinese
message and the rule it enforces. Informing events go out after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password
from django.db import transaction
from django.db.models import Q

from bidding import bidwrite, locks
from bidding.events import AuctionClosed, AuctionPublished, AuctionStateChanged, BidAccepted
from bidding.models import (
    OPEN_STATES,
    Auction,
    AuctionResult,
    AuctionState,
    Bid,
    CourtAction,
    DefaulterBar,
    DisposalRoute,
    ExclusionEntry,
    InLieuTaking,
    PanelDecision,
    PriorityHolder,
    Registration,
    RegistrationMember,
)
from core import calendar, clock
from core.audit import GENESIS, audit_record, entry_hash
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.events import publish_on_commit
from core.models import AuditEntry, AuditStream, Role
from core.rulesettings import SPECS, get_setting, settings_snapshot

log = logging.getLogger("gavel.bidding")
S = AuctionState

#: AUC-23 is a constant, never a setting: 5 minutes, uncapped.
EXTENSION = dt.timedelta(minutes=5)
STAFF_ACTORS = frozenset({Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD})
#: Roles that may read bidder identities for agent and priority checks (REC-05), every read logged.
IDENTITY_READERS = frozenset({Role.JUDGE, Role.OFFICER})


# ---------------------------------------------------------------------------------------------
# Audit on the auction's stream
# ---------------------------------------------------------------------------------------------
def _canonical(value: Any) -> Any:
    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False))


def _actor_fields(actor: Any) -> tuple[Any, str, str]:
    actor_obj = actor if getattr(actor, "pk", None) else None
    label = (str(actor) if actor is not None else "system")[:150]
    role = getattr(actor, "role", "") or ("" if actor_obj else "system")
    return actor_obj, label, role


def _stream_append(
    auction: Auction,
    *,
    action: str,
    actor: Any = None,
    actor_label: str | None = None,
    subject: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rules: tuple[str, ...] | list[str] = (),
    at: dt.datetime | None = None,
    defer: bool = False,
) -> AuditEntry:
    """Append to the auction's own stream while its row is locked.

    The stream (``auction:<id>`` / ``practice:<id>``) is only ever written under the auction
    row lock, so the head is mirrored on the row: one compare-and-set of the head and one
    insert, instead of core's get-or-create + lock + insert + update. If the mirror is stale
    (someone wrote the stream elsewhere), it resyncs from the real head.

    ``defer`` (the bid path): compute the entry on the mirror but write nothing yet; the entry
    is queued on the auction object and written with the bid by ``bidwrite.write_bids``.
    """
    stream = auction.stream
    at = at or clock.now()
    actor_obj, label, role = _actor_fields(actor)
    if actor_label is not None:
        label = actor_label
    seq = auction.stream_seq + 1
    prev = auction.stream_hash or GENESIS
    if auction.stream_seq == 0:
        AuditStream.objects.get_or_create(name=stream)
    moved = 0
    before_c, after_c = _canonical(before), _canonical(after)
    rule_ids = ",".join(rules)
    digest = entry_hash(
        prev_hash=prev,
        stream=stream,
        seq=seq,
        at_iso=at.isoformat(timespec="microseconds"),
        actor_id=actor_obj.pk if actor_obj else None,
        actor_label=label,
        actor_role=role,
        action=action,
        subject=subject,
        before=before_c,
        after=after_c,
        reason=reason or "",
        rule_ids=rule_ids,
    )
    if defer:
        moved = 1  # checked when written (compare-and-set in the same statement)
    else:
        moved = AuditStream.objects.filter(name=stream, last_seq=auction.stream_seq).update(
            last_seq=seq, last_hash=digest
        )
    if not moved:
        head = AuditStream.objects.select_for_update().get(name=stream)
        seq, prev = head.last_seq + 1, head.last_hash or GENESIS
        digest = entry_hash(
            prev_hash=prev,
            stream=stream,
            seq=seq,
            at_iso=at.isoformat(timespec="microseconds"),
            actor_id=actor_obj.pk if actor_obj else None,
            actor_label=label,
            actor_role=role,
            action=action,
            subject=subject,
            before=before_c,
            after=after_c,
            reason=reason or "",
            rule_ids=rule_ids,
        )
        AuditStream.objects.filter(name=stream).update(last_seq=seq, last_hash=digest)
    entry = AuditEntry(
        stream=stream,
        seq=seq,
        at=at,
        actor=actor_obj,
        actor_label=label,
        actor_role=role,
        action=action,
        subject=subject,
        before=before_c,
        after=after_c,
        reason=reason or "",
        rule_ids=rule_ids,
        prev_hash=prev,
        hash=digest,
    )
    if defer:
        pending = auction.__dict__.setdefault("_deferred_audit", [])
        if not pending:
            auction.__dict__["_deferred_head_was"] = auction.stream_seq
        pending.append(entry)
    else:
        entry.save(force_insert=True)
    auction.stream_seq, auction.stream_hash = seq, digest
    return entry


def _stream_mirror_resync(auction_id: int) -> None:
    """Set the auction row's mirror of its stream head from the real head (after ``StreamMoved``)."""
    with transaction.atomic():
        auction = locks.auction_for_update(auction_id)
        head = AuditStream.objects.filter(name=auction.stream).first()
        if head is not None:
            auction.stream_seq, auction.stream_hash = head.last_seq, head.last_hash
            _save_stream_head(auction)


def _save_stream_head(auction: Auction) -> None:
    Auction.objects.filter(pk=auction.pk).update(
        stream_seq=auction.stream_seq, stream_hash=auction.stream_hash
    )


def _case_audit(auction: Auction, **kw: Any) -> None:
    """Case-level facts (publication, outcome, default) also go into the case's stream."""
    if auction.is_practice or not auction.case_id:
        return
    from core.audit import audit_record

    audit_record(stream=f"case:{auction.case_id}", subject=auction.ref, **kw)


def _state_changed(auction: Auction, old: str) -> None:
    if old != auction.state:
        publish_on_commit(AuctionStateChanged(auction_id=auction.pk, old=old, new=auction.state))


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------
def setting(auction: Auction, key: str) -> Any:
    """A rule setting as this auction was published with it (never a query on the hot path)."""
    snap = auction.settings_snapshot
    if snap is not None and key in snap:
        return get_setting(key, snapshot=snap)
    if key in (auction.setting_overrides or {}):
        return get_setting(key, snapshot=auction.setting_overrides)
    return get_setting(key, court=auction.court_id)


def _snapshot_for(auction: Auction) -> dict[str, Any]:
    snap = settings_snapshot(court=auction.court_id)
    for key, value in (auction.setting_overrides or {}).items():
        snap[key] = SPECS[key].clean(value) if key in SPECS else value
    return snap


# ---------------------------------------------------------------------------------------------
# Bidder codes and passwords (AUC-17)
# ---------------------------------------------------------------------------------------------
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_ITERATIONS = 120_000
_pw_key = secrets.token_bytes(32)
_pw_ok: dict[tuple[int, str], bytes] = {}
_pw_by_reg: dict[int, bytes] = {}


def _random_code(priority_rank: int | None) -> str:
    """Random and unguessable; never derived from the identity (REC-05).

    Priority purchasers get a code of their rank's type (AUC-19): ``P1-XXXXX``; an ordinary
    code never starts with "P", so nobody reads it as a priority code.
    """
    if priority_rank is None:
        first = secrets.choice(CODE_ALPHABET.replace("P", ""))
        return first + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
    return f"P{priority_rank}-{body}"


def _issue_code(reg: Registration, *, now: dt.datetime) -> str:
    taken = set(
        Registration.objects.filter(
            auction_id=reg.auction_id, bidder_code__isnull=False
        ).values_list("bidder_code", flat=True)
    )
    for _ in range(50):
        code = _random_code(reg.priority_rank if reg.is_priority else None)
        if code not in taken:
            reg.bidder_code = code
            reg.code_issued_at = now
            return code
    raise Conflict("code_exhausted", "竞买号生成失败，请重试")


def _hash_password(password: str) -> str:
    return PBKDF2PasswordHasher().encode(
        password, PBKDF2PasswordHasher().salt(), PASSWORD_ITERATIONS
    )


def _password_ok(reg: Registration, password: str | None) -> bool:
    """Check the bidding password; a verified (registration, password) pair is remembered
    in this process as a keyed digest, so PBKDF2 runs once, not on every bid."""
    if not reg.password_hash or not password:
        return False
    key = (reg.pk, reg.password_hash)
    digest = hmac.new(_pw_key, password.encode("utf-8"), hashlib.sha256).digest()
    known = _pw_ok.get(key)
    if known is not None:
        return hmac.compare_digest(known, digest)
    if not check_password(password, reg.password_hash):
        return False
    if len(_pw_ok) > 50_000:
        _pw_ok.clear()
        _pw_by_reg.clear()
    _pw_ok[key] = digest
    _pw_by_reg[reg.pk] = digest
    return True


def _password_known(registration_id: int, password: str | None) -> bool:
    """Whether this process has already verified ``password`` for the registration (no query).

    Only a shortcut to skip the lookup before the lock: the registration read under the lock
    is checked again by ``_password_ok`` (its stored hash is part of that key)."""
    known = _pw_by_reg.get(registration_id)
    if known is None or not password:
        return False
    digest = hmac.new(_pw_key, password.encode("utf-8"), hashlib.sha256).digest()
    return hmac.compare_digest(known, digest)


# ---------------------------------------------------------------------------------------------
# bid_place: the hot path (ARCHITECTURE.md "The hot path: one bid")
# ---------------------------------------------------------------------------------------------
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


def _refuse(code: str, message: str, rule: str | None = None, **data: Any) -> DomainError:
    return DomainError(code, message, rule=rule, **data)


def _check_amount(auction: Auction, reg: Registration, amount_fen: int) -> None:
    """AUC-20, AUC-21, AUC-26 (and AUC-37 for 变卖) on the locked row, no query."""
    start, inc, price = auction.starting_price_fen, auction.increment_fen, auction.current_price_fen
    if amount_fen < start:
        raise _refuse("bid_below_start", "出价不得低于起拍价", "AUC-20", min_fen=start)
    if setting(auction, "bids_on_increment_grid") and (amount_fen - start) % inc:
        raise _refuse(
            "bid_not_on_grid", "出价须为起拍价加整数倍加价幅度", "AUC-21", increment_fen=inc
        )
    if price is None:
        if amount_fen != start and (
            auction.round == Auction.Round.SALE or setting(auction, "first_bid_must_equal_start")
        ):
            rule = "AUC-37" if auction.round == Auction.Round.SALE else "AUC-21"
            raise _refuse("first_bid_must_equal_start", "首次出价须等于起拍价", rule, min_fen=start)
        return
    if auction.leader_id == reg.pk and setting(auction, "forbid_rebid_while_leading"):
        raise _refuse("leader_cannot_rebid", "您当前领先，不能再次出价", "AUC-21")
    if amount_fen >= price + inc:
        return
    if amount_fen == price:
        if reg.is_priority and auction.leader_id != reg.pk:
            leader_rank = auction.leader_priority_rank
            if leader_rank is None or reg.priority_rank < leader_rank:
                return  # AUC-26: a priority purchaser takes the lead with an equal bid
            raise _refuse(
                "equal_bid_not_allowed", "同一顺序的优先购买权人已先出此价，须加价竞买", "AUC-26"
            )
        raise _refuse(
            "equal_bid_not_allowed",
            "出价须高于当前价至少一个加价幅度",
            "AUC-20",
            min_fen=price + inc,
        )
    raise _refuse("bid_too_low", "出价须高于当前价至少一个加价幅度", "AUC-20", min_fen=price + inc)


def _apply_bid(
    auction: Auction,
    reg: Registration,
    amount_fen: int,
    now: dt.datetime,
    *,
    client_id: str | None,
    is_proxy: bool,
) -> tuple[Bid, int | None, bool]:
    """Write one accepted bid onto the locked auction (checks already passed)."""
    # AUC-23 / AUC-37: 变卖's first bid starts the countdown; then end = max(end, t + 5 min).
    extended = False
    if auction.round == Auction.Round.SALE and auction.sale_countdown_started_at is None:
        auction.sale_countdown_started_at = now
        auction.end_at = calendar.elapsed(now, hours=int(setting(auction, "sale_countdown_hours")))
    new_end = max(auction.end_at, now + EXTENSION)
    if new_end > auction.end_at:
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


def _registration_for_bid(auction_id: int, user: Any) -> Registration:
    if not getattr(user, "is_authenticated", False):
        raise _refuse("not_registered", "请先登录并报名", "AUC-17")
    reg = (
        Registration.objects.filter(auction_id=auction_id)
        .filter(Q(user_id=user.pk) | Q(agent_user_id=user.pk))
        .order_by("pk")
        .first()
    )
    if reg is None:
        if not Auction.objects.filter(pk=auction_id).exists():
            raise NotFound("auction_not_found", "拍卖不存在")
        raise _refuse("not_registered", "您尚未报名参加本场拍卖", "AUC-17")
    return reg


def _check_open(auction: Auction, now: dt.datetime) -> str:
    """The state check of a bid; opens a scheduled auction whose start has passed."""
    old = auction.state
    if auction.state == S.SCHEDULED and auction.start_at and auction.start_at <= now:
        auction.open()  # the clock may not have ticked yet; the start time decides
    if auction.state not in OPEN_STATES:
        if auction.state in (S.DRAFT, S.SCHEDULED, S.SUSPENDED, S.HALTED):
            raise _refuse(
                "auction_not_open", "本场拍卖当前不在竞价期", "AUC-03", state=auction.state
            )
        raise _refuse("auction_ended", "本场拍卖竞价已结束", "AUC-24", state=auction.state)
    if now >= auction.end_at:  # AUC-24: accept only if t < end (the close may not have run yet)
        raise _refuse("auction_ended", "本场拍卖竞价已结束", "AUC-24")
    return old


def _check_bidder(auction: Auction, reg: Registration, acting_user_id: int | None = None) -> None:
    """The registration may bid now (AUC-17), and whoever acts for it may (AUC-14).

    ``acting_user_id``: who is bidding. The registrant bids in person whatever became of the
    agency; the agent only if the court confirmed it before bidding opened. Unknown (the
    engine's own proxy bids): the agency must be confirmed if there is one."""
    if reg.status not in (Registration.Status.ACTIVE,) or not reg.bidder_code:
        raise _refuse("deposit_not_confirmed", "保证金尚未确认，不能出价", "AUC-17")
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
        raise _refuse("agent_not_confirmed", "委托代理竞买未在竞价开始前经法院确认", "AUC-14")


def bid_place(
    *,
    auction_id: int,
    user: Any,
    amount_fen: int,
    password: str | None = None,
    client_id: str | None = None,
    registration_id: int | None = None,
) -> Bid:
    """Place one bid. One short transaction on the auction's row lock; ``BidAccepted`` after commit.

    Bid time is the server receipt time (AUC-24), taken inside the lock so the order of
    bids is the order of their times and a bid can never land after the close.

    ``registration_id``: the caller's registration when it already knows it (the live
    consumer reads it on connect). With it, and a password this process has verified before,
    the registration is read in the same statement that locks the auction: one round trip
    fewer. It is only a hint: the row read under the lock must belong to this auction and to
    ``user`` (as bidder or agent), and every check runs on it.
    """
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise _refuse("invalid_amount", "出价金额无效")
    if registration_id is None or not _password_known(registration_id, password):
        reg = _registration_for_bid(auction_id, user)
        # A registrant whose deposit is not confirmed has no password yet: say so, not
        # "wrong password".
        if not reg.bidder_code:
            raise _refuse("deposit_not_confirmed", "保证金尚未确认，不能出价", "AUC-17")
        if not _password_ok(reg, password):  # PBKDF2 at most once, outside the lock
            raise _refuse("bad_password", "竞价密码错误", "AUC-17")
        registration_id = reg.pk
    try:
        return _bid_place_locked(auction_id, registration_id, user, amount_fen, password, client_id)
    except bidwrite.StreamMoved:
        log.warning("auction %s: stream head mirror was stale; resynced", auction_id)
        _stream_mirror_resync(auction_id)
        return _bid_place_locked(auction_id, registration_id, user, amount_fen, password, client_id)


def _bid_place_locked(
    auction_id: int,
    registration_id: int,
    user: Any,
    amount_fen: int,
    password: str | None,
    client_id: str | None,
) -> Bid:
    with transaction.atomic():
        locked = locks.auction_for_bid(auction_id, registration_id)
        if locked is None or user.pk not in (locked.user_id, locked.agent_user_id):
            if not Auction.objects.filter(pk=auction_id).exists():
                raise NotFound("auction_not_found", "拍卖不存在")
            raise _refuse("not_registered", "您尚未报名参加本场拍卖", "AUC-17")
        reg, auction = locked, locked.auction
        if not reg.bidder_code:
            raise _refuse("deposit_not_confirmed", "保证金尚未确认，不能出价", "AUC-17")
        if not _password_ok(reg, password):
            raise _refuse("bad_password", "竞价密码错误", "AUC-17")
        now = clock.now()
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


def _bids_commit(auction: Auction, accepted: list, old_state: str) -> None:
    """Write the accepted bids, their audit entries and the auction's live fields (one
    statement on PostgreSQL, ``bidding.bidwrite``), announce each bid after commit, record the
    state change (shared by ordinary and proxy bids)."""
    entries = auction.__dict__.pop("_deferred_audit", [])
    head_was = auction.__dict__.pop("_deferred_head_was", auction.stream_seq)
    bidwrite.write_bids(
        auction=auction,
        live_fields=LIVE_FIELDS,
        bids=[b for b, _, _ in accepted],
        entries=entries,
        stream=auction.stream,
        head_was=head_was,
    )
    for b, prev_leader, ext in accepted:
        publish_on_commit(
            BidAccepted(
                auction_id=auction.pk,
                seq=b.seq,
                amount_fen=b.amount_fen,
                bidder_code=b.bidder_code,
                previous_leader_registration_id=prev_leader,
                at=b.at,
                end_at=auction.end_at,
                extended=ext,
                extension_count=auction.extension_count,
                priority_rank=b.priority_rank,
            )
        )
    _state_changed(auction, old_state)


# ---------------------------------------------------------------------------------------------
# Proxy bidding (AUC-27, off unless the auction enables it)
# ---------------------------------------------------------------------------------------------
def _grid_top(auction: Auction, max_fen: int) -> int:
    """The highest valid amount not above ``max_fen`` (on the grid when the grid applies)."""
    if not setting(auction, "bids_on_increment_grid"):
        return max_fen
    start, inc = auction.starting_price_fen, auction.increment_fen
    if max_fen < start:
        return start - inc
    return start + ((max_fen - start) // inc) * inc


def _proxy_resolve(auction: Auction, now: dt.datetime) -> list[tuple[Bid, int | None, bool]]:
    """Bid for proxies, as ordinary bids, until no proxy can or needs to bid (AUC-27).

    The winner is the proxy with the highest maximum (of equal maxima, the earlier: a later
    equal maximum stops one increment below it). Every other proxy that can still beat the
    price bids its own cap, lowest first; the winner then bids the minimum needed. The final
    price is one increment above the runner-up's cap (or the winner's maximum), as on eBay.
    Every bid passes the same checks as a bid placed by hand.
    """
    out: list[tuple[Bid, int | None, bool]] = []
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
    tops = {r.pk: _grid_top(auction, r.proxy_max_fen) for r in proxies}
    winner = min(proxies, key=lambda r: (-tops[r.pk], r.proxy_set_at, r.pk))
    caps = {}
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
    *, auction_id: int, user: Any, max_fen: int, password: str | None = None
) -> Registration:
    """Set a hidden maximum (AUC-27); the engine then bids the minimum needed for it."""
    reg = _registration_for_bid(auction_id, user)
    # A registrant whose deposit is not confirmed has no password yet: say so, not "wrong password".
    if not reg.bidder_code:
        raise _refuse("deposit_not_confirmed", "保证金尚未确认，不能出价", "AUC-17")
    if not _password_ok(reg, password):
        raise _refuse("bad_password", "竞价密码错误", "AUC-17")
    auction = locks.auction_for_update(auction_id)
    if not setting(auction, "proxy_bidding_enabled"):
        raise _refuse("proxy_disabled", "本场拍卖未启用代理出价", "AUC-27")
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
            "最高出价须不低于当前最低可出价",
            "AUC-27",
            min_fen=next_min_bid_fen(auction),
        )
    Registration.objects.filter(pk=reg.pk).update(proxy_max_fen=max_fen, proxy_set_at=now)
    reg.proxy_max_fen, reg.proxy_set_at = max_fen, now
    accepted = _proxy_resolve(auction, now)
    _bids_commit(auction, accepted, old_state)
    return reg


# ---------------------------------------------------------------------------------------------
# Registration (AUC-11..19)
# ---------------------------------------------------------------------------------------------
def _verified_identity(user: Any):
    from cases.selectors import verified_identity_for

    return verified_identity_for(user)


_BARRED_WHO = {"self": "您", "joint": "共同竞买人", "agent": "代理人"}


def _identity_barred(auction: Auction, identity, who: str = "self") -> DomainError | None:
    """AUC-11 exclusion list and AUC-15 defaulter bar for one identity on this lot.

    ``who``: whose identity it is in the registration ("self", "joint", "agent"), so the
    refusal names the right person (never who they are: REC-05)."""
    if auction.lot_id is None or identity is None:
        return None
    person = _BARRED_WHO[who]
    if ExclusionEntry.objects.filter(
        lot_id=auction.lot_id, identity_kind=identity.kind, identity_number=identity.number
    ).exists():
        return _refuse(
            "excluded_bidder", f"根据规定，{person}不得参加本标的物的竞买", "AUC-11", who=who
        )
    if DefaulterBar.objects.filter(lot_id=auction.lot_id, identity_id=identity.pk).exists():
        message = (
            "悔拍人不得参加该标的物的再次拍卖"
            if who == "self"
            else f"{person}为该标的物的悔拍人，不得参加再次拍卖"
        )
        return _refuse("defaulter_barred", message, "AUC-15", who=who)
    return None


def _party_of(auction: Auction, identity, user: Any):
    """The case party this bidder is (creditor or debtor may bid, AUC-12), if any."""
    if auction.case_id is None:
        return None
    from cases.models import Party

    q = Q(user_id=user.pk)
    if identity is not None:
        q |= Q(identity_id=identity.pk)
    return Party.objects.filter(case_id=auction.case_id).filter(q).order_by("pk").first()


def _outstanding_claim_fen(party) -> int:
    """What the case still owes this creditor (AUC-18): its claim less what was paid out."""
    claim = party.claim_fen if party.claim_fen is not None else party.case.claim_fen
    return max(0, int(claim or 0))


def _registration_window(auction: Auction, now: dt.datetime) -> None:
    if auction.state == S.SCHEDULED or (
        auction.state in OPEN_STATES and auction.end_at and now < auction.end_at
    ):
        return
    raise _refuse("registration_closed", "本场拍卖当前不接受报名", "AUC-17", state=auction.state)


@transaction.atomic
def registration_create(
    *,
    auction_id: int,
    user: Any,
    accept_terms: bool,
    eligibility_declared: bool = False,
    joint_bidders: list[dict[str, Any]] | None = None,
    agent: Any = None,
    claims_priority: bool = False,
) -> Registration:
    """Register a bidder (报名) under a verified real name (AUC-11..14, AUC-18).

    ``joint_bidders``: ``[{"user": User, "share": Decimal|str}]`` for the co-bidders; the
    registrant's own share is what is left of 100%. ``agent``: the user who bids on the
    registrant's behalf; the court must confirm the agency before bidding opens (AUC-14).
    """
    auction = locks.auction_for_update(auction_id)
    now = clock.now()
    _registration_window(auction, now)
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("not_authenticated", "请先登录")
    if not accept_terms:
        raise _refuse("terms_not_accepted", "须阅读并接受竞买须知", "AUC-09")
    if Registration.objects.filter(auction_id=auction.pk, user_id=user.pk).exists():
        raise Conflict("already_registered", "您已报名本场拍卖")
    if Registration.objects.filter(auction_id=auction.pk, agent_user_id=user.pk).exists():
        # One person, one bidder per auction: a bid then belongs to exactly one registration.
        raise _refuse(
            "agent_registered", "您已受托代理本场拍卖的竞买，不能再以本人名义报名", "AUC-14"
        )
    if auction.is_practice:
        identity = _verified_identity(user)  # optional for practice: play money, no real name
    else:
        identity = _verified_identity(user)
        if identity is None:
            raise _refuse("identity_not_verified", "须先完成实名认证才能报名", "AUC-17")
        barred = _identity_barred(auction, identity)
        if barred:
            raise barred
        if auction.lot_id and _lot_purchase_restricted(auction) and not eligibility_declared:
            raise _refuse(
                "eligibility_not_declared", "本标的物为限购房产，须声明具备购房资格", "AUC-13"
            )
    party = _party_of(auction, identity, user)
    if party is not None and party.role == "debtor" and setting(auction, "bar_debtor_from_bidding"):
        raise _refuse("debtor_barred", "本院设置不允许被执行人竞买", "AUC-12")
    members: list[tuple[Any, Decimal, Any]] = []
    total_share = Decimal(0)
    for item in joint_bidders or []:
        co_user = item.get("user")
        if co_user is not None and co_user.pk == user.pk:
            raise _refuse("invalid_joint_bidder", "共同竞买人不能是报名人本人")
        if co_user is not None and any(m[0].pk == co_user.pk for m in members):
            raise _refuse("invalid_joint_bidder", "同一共同竞买人不能重复填写")
        try:
            share = Decimal(str(item.get("share")))
        except Exception:
            raise _refuse("invalid_share", "共同竞买份额无效") from None
        if share <= 0 or share >= 100:
            raise _refuse("invalid_share", "共同竞买份额须大于 0 且小于 100%")
        co_identity = _verified_identity(co_user) if co_user is not None else None
        if co_identity is None:
            raise _refuse("identity_not_verified", "共同竞买人须先完成实名认证", "AUC-17")
        barred = _identity_barred(auction, co_identity, "joint")
        if barred:
            raise barred
        members.append((co_user, share, co_identity))
        total_share += share
    if members and total_share >= 100:
        raise _refuse("invalid_share", "共同竞买人份额合计须小于 100%（其余为报名人份额）")
    agent_identity = None
    if agent is not None:
        if getattr(agent, "pk", None) == user.pk:
            raise _refuse("invalid_agent", "代理人不能是本人", "AUC-14")
        if (
            Registration.objects.filter(auction_id=auction.pk)
            .filter(Q(user_id=agent.pk) | Q(agent_user_id=agent.pk))
            .exists()
        ):
            # One person, one bidder per auction (the bid path finds the registration by
            # bidder or agent): an agent neither bids for themself nor for two registrants.
            raise _refuse(
                "agent_unavailable", "该代理人已参加本场拍卖的竞买或已受他人委托", "AUC-14"
            )
        agent_identity = _verified_identity(agent)
        if agent_identity is None and not auction.is_practice:
            raise _refuse("identity_not_verified", "代理人须先完成实名认证", "AUC-14")
        barred = _identity_barred(auction, agent_identity, "agent")
        if barred:
            raise barred
        if auction.start_at and now >= auction.start_at:
            raise _refuse("agent_too_late", "委托代理竞买须在竞价开始前经法院确认", "AUC-14")
    required = auction.deposit_fen
    party_ref = ""
    if party is not None:
        party_ref = f"party:{party.pk}"
        if party.role == "creditor":
            from settlement.services import deposit_required_fen  # AUC-18

            required = deposit_required_fen(
                deposit_fen=auction.deposit_fen, outstanding_claim_fen=_outstanding_claim_fen(party)
            )
    reg = Registration.objects.create(
        auction=auction,
        user=user,
        identity=identity,
        accepted_terms_at=now,
        eligibility_declared=bool(eligibility_declared),
        claims_priority=bool(claims_priority),
        party_ref=party_ref,
        agent_user=agent,
        agent_identity=agent_identity,
        deposit_required_fen=required,
        created_at=now,
    )
    for co_user, share, co_identity in members:
        RegistrationMember.objects.create(
            registration=reg, identity=co_identity, user=co_user, share_percent=share
        )
    # REC-05: the audit records that *a* registration exists, never who made it.
    _stream_append(
        auction,
        action="registration.created",
        actor_label="竞买人",
        subject=f"registration:{reg.pk}",
        after={"joint": len(members), "agent": agent is not None, "deposit_required_fen": required},
        rules=["AUC-17"] + (["AUC-18"] if required != auction.deposit_fen else []),
    )
    _save_stream_head(auction)
    if agent is not None and not auction.is_practice:
        _notify_agent(
            reg,
            auction,
            subject="您被委托代理竞买",
            body=(
                f"有竞买人委托您代理参加“{auction.title}”的竞买。法院须在竞价开始前确认此委托，"
                "确认后您方可以该竞买人的竞买号出价（竞价密码由委托人告知）。"
            ),
            key=f"agent_named:{reg.pk}",
        )
    return reg


def _notify_agent(reg: Registration, auction: Auction, *, subject: str, body: str, key: str):
    """Tell the named agent (AUC-14). A bidding topic: the operators' message pages hide its
    recipient and text (REC-05); it names neither the registrant nor any code."""
    from core.notifications import notify

    notify(
        user=reg.agent_user,
        topic="bidding.agent",
        subject=subject,
        body=body,
        key=key,
        link=_auction_link(auction),
        court=auction.court_id,
    )


def _lot_purchase_restricted(auction: Auction) -> bool:
    return auction.lot.assets.filter(purchase_restricted=True).exists()


def _own_registration(registration_id: int, user: Any) -> Registration:
    reg = Registration.objects.select_related("auction").filter(pk=registration_id).first()
    if reg is None or not getattr(user, "is_authenticated", False) or reg.user_id != user.pk:
        raise NotFound("registration_not_found", "报名记录不存在")
    return reg


def registration_pay_deposit(*, registration_id: int, user: Any, return_url: str = ""):
    """Ask settlement for the deposit (AUC-17); practice auctions take play money at once.

    Returns settlement's ``PaymentIntent`` (``.pay_url``, ``.status``), or ``None`` for a
    practice auction (the code is issued immediately). ``return_url``: where the payment page
    sends the bidder back to (the auction page).
    """
    reg = _own_registration(registration_id, user)
    auction = reg.auction
    now = clock.now()
    _registration_window(auction, now)
    if reg.status == Registration.Status.RELEASED and not auction.is_practice:
        # A halt refunded the deposit (AUC-41); after the resume the bidder pays again.
        reg.deposit_ref = f"{reg.ref}/hold:{int(now.timestamp())}"
        reg.status = Registration.Status.PENDING_DEPOSIT
        reg.deposit_held_at = None
        reg.save(update_fields=["deposit_ref", "status", "deposit_held_at"])
    if reg.status != Registration.Status.PENDING_DEPOSIT:
        raise Conflict("deposit_already_confirmed", "保证金已确认")
    if auction.is_practice:
        registration_deposit_confirmed(registration_id=reg.pk, amount_fen=reg.deposit_required_fen)
        return None
    if not reg.deposit_ref:
        Registration.objects.filter(pk=reg.pk).update(deposit_ref=reg.ref)
        reg.deposit_ref = reg.ref
    from settlement.services import deposit_request

    identity = reg.identity
    return deposit_request(
        case_id=auction.case_id,
        ref=reg.money_ref,
        payer_ref=f"user:{reg.user_id}",
        payer_name=identity.name if identity else str(reg.user),
        amount_fen=reg.deposit_required_fen,
        idempotency_key=f"{reg.money_ref}/deposit",
        description=f"竞买保证金：{auction.title}",
        return_url=return_url,
    )


@transaction.atomic
def registration_deposit_confirmed(*, registration_id: int, amount_fen: int) -> Registration:
    """The deposit is held (settlement's ``DepositHeld``): issue the bidder code (AUC-17).

    Idempotent: a repeated event changes nothing. A deposit confirmed after bidding ended
    gets no code (its refund is settlement's release).
    """
    reg0 = Registration.objects.filter(pk=registration_id).values("auction_id").first()
    if reg0 is None:
        raise NotFound("registration_not_found", "报名记录不存在")
    auction = locks.auction_for_update(reg0["auction_id"])
    reg = Registration.objects.select_for_update().get(pk=registration_id)
    if reg.status != Registration.Status.PENDING_DEPOSIT:
        return reg
    now = clock.now()
    if amount_fen < reg.deposit_required_fen:
        raise _refuse("deposit_short", "保证金金额不足", "AUC-16")
    reg.deposit_held_fen = amount_fen
    reg.deposit_held_at = now
    if (auction.end_at is not None and now >= auction.end_at) or auction.state not in (
        S.SCHEDULED,
        *OPEN_STATES,
    ):
        # Too late to bid (AUC-17: any time before bidding ends): send it straight back.
        reg.status = Registration.Status.RELEASED
        reg.save(update_fields=["deposit_held_fen", "deposit_held_at", "status"])
        if not auction.is_practice and amount_fen:
            from settlement.services import deposit_release

            deposit_release(
                ref=reg.money_ref,
                reason="竞价已结束，保证金原路退还（AUC-17）",
                idempotency_key=f"{reg.money_ref}/release",
            )
        return reg
    reg.status = Registration.Status.ACTIVE
    if not reg.bidder_code:
        _issue_code(reg, now=now)
    reg.save(
        update_fields=[
            "deposit_held_fen",
            "deposit_held_at",
            "status",
            "bidder_code",
            "code_issued_at",
        ]
    )
    _stream_append(
        auction,
        action="registration.code_issued",
        actor_label="系统",
        subject=f"registration:{reg.pk}",
        after={"deposit_fen": amount_fen},
        rules=["AUC-17"],
        at=now,
    )
    _save_stream_head(auction)
    return reg


@transaction.atomic
def registration_set_password(*, registration_id: int, user: Any, password: str) -> None:
    """The bidder's own bidding password (AUC-17), stored hashed."""
    reg = _own_registration(registration_id, user)
    if not reg.bidder_code:
        raise _refuse("deposit_not_confirmed", "保证金确认并取得竞买号后方可设置竞价密码", "AUC-17")
    if not isinstance(password, str) or len(password) < 6 or len(password) > 64:
        raise _refuse("weak_password", "竞价密码须为 6 至 64 位")
    Registration.objects.filter(pk=reg.pk).update(password_hash=_hash_password(password))


# ---------------------------------------------------------------------------------------------
# Practice auctions (模拟拍): same bidding rules, no case, no real money, no publication checks
# ---------------------------------------------------------------------------------------------
PRACTICE_DEFAULTS = {"starting_price_fen": 100_000, "increment_fen": 10_000, "deposit_fen": 10_000}


@transaction.atomic
def practice_auction_start(
    *,
    user: Any,
    title: str = "",
    starting_price_fen: int | None = None,
    increment_fen: int | None = None,
    deposit_fen: int | None = None,
    duration_minutes: int = 15,
    starts_in_minutes: int = 0,
    settings_override: dict[str, Any] | None = None,
) -> Auction:
    """Start a practice auction for ``user``'s lobby: short, play money, out of every statistic.

    The flag relaxes publication only, never a bidding rule: bids still go through ``bid_place``.
    """
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("not_authenticated", "请先登录")
    if not (1 <= int(duration_minutes) <= 24 * 60) or not (0 <= int(starts_in_minutes) <= 24 * 60):
        raise _refuse("invalid_period", "模拟拍时长须在 1 分钟至 24 小时之间")
    start = starting_price_fen or PRACTICE_DEFAULTS["starting_price_fen"]
    inc = increment_fen or PRACTICE_DEFAULTS["increment_fen"]
    dep = deposit_fen if deposit_fen is not None else PRACTICE_DEFAULTS["deposit_fen"]
    for v in (start, inc):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise _refuse("invalid_amount", "金额须为正整数（分）")
    now = clock.now()
    start_at = now + dt.timedelta(minutes=int(starts_in_minutes))
    auction = Auction(
        title=title or "模拟拍（练习用，不产生真实交易）",
        round=Auction.Round.FIRST,
        is_practice=True,
        practice_owner=user,
        starting_price_fen=start,
        increment_fen=inc,
        deposit_fen=dep,
        balance_period_days=1,
        start_at=start_at,
        end_at=start_at + dt.timedelta(minutes=int(duration_minutes)),
        created_at=now,
        created_by=user,
        setting_overrides=dict(settings_override or {}),
        bidding_rules="模拟拍使用与正式拍卖相同的竞价规则：每次加价为加价幅度的整数倍，最后五分钟内出价延时五分钟。",
    )
    auction.scheduled_end_at = auction.end_at
    auction.settings_snapshot = _snapshot_for(auction)
    auction.save()
    auction.publish()
    if starts_in_minutes == 0:
        auction.open()
    auction.published_at = now
    _stream_append(
        auction,
        action="practice.started",
        actor=user,
        subject=auction.ref,
        after={"start_at": auction.start_at, "end_at": auction.end_at, "state": auction.state},
    )
    auction.save()
    publish_on_commit(AuctionPublished(auction_id=auction.pk))
    return auction


# ---------------------------------------------------------------------------------------------
# The clock: open due auctions, close ended ones exactly once (AUC-28), retry follow-ups
# ---------------------------------------------------------------------------------------------
def auction_clock_tick() -> dict[str, int]:
    """The periodic task ``bidding.close_due`` (every second; several may run at once)."""
    opened = auction_open_due()
    closed = auction_close_due()
    retried = auction_followups_retry()
    return {"opened": opened, "closed": len(closed), "followups": retried}


def auction_open_due(*, limit: int = 50) -> int:
    n = 0
    with transaction.atomic():
        now = clock.now()
        for auction in locks.due_auctions_for_open(now, limit=limit):
            old = auction.state
            auction.open()
            _stream_append(
                auction,
                action="auction.opened",
                subject=auction.ref,
                after={"state": auction.state},
                rules=["AUC-03"],
                at=now,
            )
            auction.save(update_fields=["state", "stream_seq", "stream_hash"])
            _state_changed(auction, old)
            n += 1
    return n


def auction_close_due(*, limit: int = 50) -> list[int]:
    """Close every auction whose end has passed, each exactly once.

    Each close is its own short transaction on the auction's row lock, taken with
    ``skip_locked`` so several clocks share the work; the guarded transition and the unique
    outcome record make a second close impossible. A bid and the close race on the same lock:
    a bid that gets the lock first was received before the end (AUC-24) and may extend it.
    """
    closed: list[int] = []
    for _ in range(limit):
        try:
            with transaction.atomic():
                now = clock.now()
                auction = next(iter(locks.due_auctions_for_close(now, limit=1)), None)
                if auction is None:
                    break
                _close(auction, now)
                closed.append(auction.pk)
        except Exception:
            log.exception("closing an auction failed")
            break
    for auction_id in closed:
        try:
            auction_close_followup(auction_id=auction_id)
        except Exception:
            log.exception("follow-up of auction %s failed; the clock retries it", auction_id)
    return closed


def _buyer_label(reg: Registration) -> str:
    from core.access import mask

    parts = []
    if reg.identity is not None:
        parts.append(
            f"{reg.identity.name}（{reg.identity.get_kind_display()} {mask(reg.identity.number)}）"
        )
    else:
        parts.append(str(reg.user))
    members = list(reg.members.select_related("identity"))
    if members:
        own = Decimal(100) - sum((m.share_percent for m in members), Decimal(0))
        parts[0] += f"，份额 {own.normalize()}%"
        for m in members:
            parts.append(
                f"{m.identity.name}（{mask(m.identity.number)}），份额 {m.share_percent.normalize()}%"
            )
    return "；".join(parts)


def _confirmation_text(auction: Auction, reg: Registration, buyer: str, now: dt.datetime) -> str:
    """成交确认书 (AUC-29): generated at the close and published at once, naming the buyer."""
    from core.money import yuan

    local = now.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M:%S")
    lines = [
        "网络竞价成交确认书",
        f"拍卖标的：{auction.title}",
        f"案号：{auction.case.number}" if auction.case_id else "模拟拍（练习，不产生法律效力）",
        f"竞价结束时间：{local}（北京时间）",
        f"买受人：{buyer}",
        f"竞买号：{reg.bidder_code}",
        f"成交价：人民币 {yuan(auction.current_price_fen)} 元",
        f"买受人应在 {auction.balance_period_days} 日内付清余款（尾款）；逾期不付的，保证金不予退还，"
        "标的物重新拍卖（悔拍，AUC-33）。",
        "标的物所有权自拍卖成交裁定送达买受人时起转移。",
    ]
    return "\n".join(lines)


def _close(auction: Auction, now: dt.datetime) -> AuctionResult:
    old = auction.state
    if auction.state == S.SCHEDULED:
        auction.open()  # its whole bidding period passed while no clock ran
    if auction.current_price_fen is not None and auction.leader_id:
        # AUC-28: at least one valid bid → the leader (kept in AUC-26 order by every bid) wins.
        auction.close_sold()
        winner = Registration.objects.select_related("identity", "user").get(pk=auction.leader_id)
        buyer = _buyer_label(winner)
        result = AuctionResult.objects.create(
            auction=auction,
            outcome=AuctionResult.Outcome.SOLD,
            closed_at=now,
            price_fen=auction.current_price_fen,
            winner=winner,
            winner_code=winner.bidder_code or "",
            bid_count=auction.last_seq,
            buyer_name=buyer,
            confirmation_text=_confirmation_text(auction, winner, buyer, now),
            confirmation_published_at=now,  # AUC-29: published at once
            handover_state=AuctionResult.Handover.NOT_STARTED,
        )
        Registration.objects.filter(pk=winner.pk).update(status=Registration.Status.WINNER)
    else:
        auction.close_unsold()
        result = AuctionResult.objects.create(
            auction=auction,
            outcome=AuctionResult.Outcome.UNSOLD,
            closed_at=now,
            bid_count=0,
        )
    auction.closed_at = now
    _stream_append(
        auction,
        action=f"auction.closed.{result.outcome}",
        subject=auction.ref,
        at=now,
        after={
            "outcome": result.outcome,
            "price_fen": result.price_fen,
            "winner_code": result.winner_code,
            "bids": auction.last_seq,
            "extensions": auction.extension_count,
            "end_at": auction.end_at,
        },
        rules=["AUC-28"] + (["AUC-29"] if result.outcome == "sold" else []),
    )
    auction.save(update_fields=["state", "closed_at", "stream_seq", "stream_hash"])
    _case_audit(
        auction,
        action=f"auction.closed.{result.outcome}",
        rules=["AUC-28"],
        after={
            "outcome": result.outcome,
            "price_fen": result.price_fen,
            "winner_code": result.winner_code,
        },
    )
    _state_changed(auction, old)
    publish_on_commit(AuctionClosed(auction_id=auction.pk, outcome=result.outcome))
    return result


def auction_followups_retry(*, limit: int = 10) -> int:
    ids = list(
        AuctionResult.objects.filter(followup_done_at__isnull=True)
        .order_by("closed_at")
        .values_list("auction_id", flat=True)[:limit]
    )
    n = 0
    for auction_id in ids:
        try:
            auction_close_followup(auction_id=auction_id)
            n += 1
        except Exception:
            log.exception("follow-up of auction %s failed again", auction_id)
    return n


def _lot_asset_ids(auction: Auction) -> list[int]:
    if auction.lot_id is None:
        return []
    return list(auction.lot.assets.order_by("pk").values_list("pk", flat=True))


def _apportion(auction: Auction, total_fen: int) -> dict[int, int]:
    """Split a lot's price over its assets in proportion to their price bases (bundles)."""
    ids = _lot_asset_ids(auction)
    if len(ids) <= 1:
        return {i: total_fen for i in ids}
    bases = {int(k): int(v.get("amount_fen") or 0) for k, v in (auction.price_basis or {}).items()}
    weights = [max(bases.get(i, 0), 0) for i in ids]
    if sum(weights) == 0:
        weights = [1] * len(ids)
    out, left = {}, total_fen
    for i, w in zip(ids[:-1], weights[:-1], strict=True):
        share = total_fen * w // sum(weights)
        out[i] = share
        left -= share
    out[ids[-1]] = left
    return out


def _parties_users(auction: Auction) -> list[Any]:
    if not auction.case_id:
        return []
    from cases.models import Party

    users = []
    for p in Party.objects.filter(
        case_id=auction.case_id, role__in=["creditor", "debtor"]
    ).select_related("user"):
        if p.user is not None and p.user not in users:
            users.append(p.user)
    return users


def _notify_many(
    users: list[Any],
    *,
    topic: str,
    subject: str,
    body: str,
    key: str,
    link: str = "",
    court: Any = None,
) -> None:
    from core.notifications import notify

    for u in users:
        notify(
            user=u,
            topic=topic,
            subject=subject,
            body=body,
            key=f"{key}:{u.pk}",
            link=link,
            court=court,
            legal=True,
        )


def _auction_link(auction: Auction) -> str:
    return f"/bidding/auctions/{auction.pk}/"


@transaction.atomic
def auction_close_followup(*, auction_id: int) -> AuctionResult:
    """After the close: money through settlement (AUC-30/31), pricing (PRC-15/16), deadlines
    (AUC-35..38), notices (REC-11). Idempotent (every money call carries its key); the clock
    retries it until it succeeds."""
    # Lock the outcome record, not the auction row: settlement's ``DepositHeld`` handler locks
    # a hold and then the auction, so holding the auction here while calling settlement could
    # deadlock. The outcome record serialises follow-ups; registrations are updated last.
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.followup_done_at is not None:
        return result
    auction = Auction.objects.select_related("case", "lot").get(pk=auction_id)
    now = clock.now()
    held = list(
        Registration.objects.filter(auction_id=auction.pk, deposit_held_at__isnull=False)
        .select_related("identity", "user")
        .order_by("pk")
    )
    losers = [r for r in held if r.pk != result.winner_id]
    if auction.is_practice:
        # Play money: nothing touches the ledger.
        Registration.objects.filter(pk__in=[r.pk for r in losers]).update(
            status=Registration.Status.RELEASED
        )
    else:
        from settlement import services as money

        hours = int(setting(auction, "refund_hours_after_close"))
        refs = [r.money_ref for r in losers]
        if refs:
            money.deposit_release_schedule(
                case_id=auction.case_id,
                refs=refs,
                closed_at=result.closed_at,
                hours=hours,
                rule_id="AUC-30",
            )
        for r in losers:
            money.deposit_release(
                ref=r.money_ref,
                reason="竞价结束，未成交竞买人保证金退还（AUC-30）",
                idempotency_key=f"{r.money_ref}/release",
            )
        asset_ids = _lot_asset_ids(auction)
        if result.outcome == AuctionResult.Outcome.SOLD:
            winner = result.winner
            money.deposit_apply(
                ref=winner.money_ref,
                sale_ref=auction.sale_ref,
                idempotency_key=f"{winner.money_ref}/apply",
            )
            due = calendar.within_days(
                result.closed_at, int(auction.balance_period_days), court=auction.court_id
            )
            money.balance_due(
                case_id=auction.case_id,
                sale_ref=auction.sale_ref,
                payer_ref=f"user:{winner.user_id}",
                payer_name=winner.identity.name if winner.identity else str(winner.user),
                price_fen=result.price_fen,
                deposit_applied_fen=int(winner.deposit_held_fen or 0),
                due_at=due,
                idempotency_key=f"{auction.sale_ref}/balance",
            )
            result.balance_due_at = due
            from pricing.services import reference_price_record_sale

            for asset_id, share in _apportion(auction, result.price_fen).items():
                reference_price_record_sale(
                    asset_id=asset_id, auction_ref=auction.ref, outcome="sold", sale_price_fen=share
                )
        else:
            from pricing.services import reference_price_record_sale

            for asset_id in asset_ids:
                reference_price_record_sale(
                    asset_id=asset_id, auction_ref=auction.ref, outcome="unsold"
                )
            _open_unsold_deadlines(auction, result)
        _notify_close(auction, result, losers)
        Registration.objects.filter(pk__in=[r.pk for r in losers]).update(
            status=Registration.Status.RELEASED
        )
    result.followup_done_at = now
    result.followup_error = ""
    result.save()
    return result


def _open_unsold_deadlines(auction: Auction, result: AuctionResult) -> None:
    """After 流拍: the next round (AUC-35), 变卖 (AUC-37), or the end of the road (AUC-38)."""
    from core.deadlines import deadline_open

    subject = f"case:{auction.case_id}/auction:{auction.pk}"
    if auction.round == Auction.Round.FIRST:
        deadline_open(
            rule_id="AUC-35",
            title="流拍后三十日内再次拍卖",
            subject=subject,
            start_event="一拍流拍",
            started_at=result.closed_at,
            period=int(setting(auction, "reauction_days_after_unsold")),
            court=auction.court_id,
            owner=auction.case.judge if auction.case_id else None,
            owner_role="judge",
        )
    elif auction.round == Auction.Round.SECOND:
        deadline_open(
            rule_id="AUC-37",
            title="二拍流拍后发布变卖公告",
            subject=subject,
            start_event="二拍流拍",
            started_at=result.closed_at,
            period=int(setting(auction, "sale_announce_days")),
            court=auction.court_id,
            owner=auction.case.judge if auction.case_id else None,
            owner_role="judge",
        )


def _notify_close(auction: Auction, result: AuctionResult, losers: list[Registration]) -> None:
    from core.money import yuan

    link = _auction_link(auction)
    if result.outcome == AuctionResult.Outcome.SOLD:
        body = f"{auction.title} 已于竞价结束时成交，成交价 {yuan(result.price_fen)} 元，成交确认书已公示。"
        _notify_many(
            _parties_users(auction),
            topic="auction.result",
            subject="【拍卖结果】已成交",
            body=body,
            key=f"auction:{auction.pk}:result",
            link=link,
            court=auction.court_id,
        )
        winner = result.winner
        _notify_many(
            [winner.user],
            topic="auction.won",
            subject="【竞价成功】请按期支付尾款",
            body=f"您以竞买号 {winner.bidder_code} 竞得 {auction.title}，成交价 {yuan(result.price_fen)} 元。"
            f"请于 {result.balance_due_at.astimezone(calendar.CST):%Y-%m-%d} 前付清尾款；逾期保证金不予退还（AUC-33）。",
            key=f"auction:{auction.pk}:won",
            link=link,
            court=auction.court_id,
        )
    else:
        body = (
            f"{_titled(auction)}无人出价，已流拍。申请执行人可申请以该次起拍价以物抵债（AUC-36）。"
        )
        if auction.round == Auction.Round.SALE:
            body += (
                "变卖期内无人出价，变卖不成；不以物抵债的，将解除查封或交申请执行人管理（AUC-38）。"
            )
        _notify_many(
            _parties_users(auction),
            topic="auction.result",
            subject="【拍卖结果】流拍",
            body=body,
            key=f"auction:{auction.pk}:result",
            link=link,
            court=auction.court_id,
        )
    for r in losers:
        _notify_many(
            [r.user],
            topic="auction.deposit_refund",
            subject="【保证金退还】",
            body=f"{auction.title} 竞价已结束，您的保证金将在 24 小时内退还（AUC-30）。",
            key=f"auction:{auction.pk}:refund:{r.pk}",
            link=link,
            court=auction.court_id,
        )


# ---------------------------------------------------------------------------------------------
# After the sale: balance, sale ruling, handover (AUC-31, AUC-32); default (AUC-33/34, AUC-15)
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def registration_deposit_released(*, registration_id: int) -> None:
    """Settlement released a deposit (``DepositReleased``); idempotent."""
    Registration.objects.filter(
        pk=registration_id,
        status__in=[Registration.Status.ACTIVE, Registration.Status.PENDING_DEPOSIT],
    ).update(status=Registration.Status.RELEASED)


@transaction.atomic
def auction_balance_paid(*, auction_id: int, amount_fen: int | None = None) -> AuctionResult:
    """Full payment arrived (``BalancePaid``): the sale ruling is due within 10 days (AUC-32)."""
    from core.deadlines import deadline_open

    auction = locks.auction_for_update(auction_id)
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.balance_paid_at is not None or auction.state not in (S.SOLD, S.IN_LIEU):
        return result
    now = clock.now()
    days = int(setting(auction, "sale_ruling_days"))
    result.balance_paid_at = now
    result.ruling_due_at = calendar.within_days(now, days, court=auction.court_id)
    result.handover_state = AuctionResult.Handover.AWAITING_RULING
    result.save()
    deadline_open(
        rule_id="AUC-32",
        title="付清价款后十日内送达拍卖成交裁定",
        subject=f"case:{auction.case_id}/auction:{auction.pk}/ruling",
        start_event="买受人付清全部价款",
        started_at=now,
        period=days,
        court=auction.court_id,
        owner=auction.case.judge if auction.case_id else None,
        owner_role="judge",
    )
    _stream_append(
        auction,
        action="sale.balance_paid",
        subject=auction.sale_ref,
        at=now,
        after={"amount_fen": amount_fen, "ruling_due_at": result.ruling_due_at},
        rules=["AUC-31", "AUC-32"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="sale.balance_paid",
        rules=["AUC-32"],
        after={"ruling_due_at": result.ruling_due_at},
    )
    return result


@transaction.atomic
def auction_ruling_served(
    *,
    auction_id: int,
    actor: Any,
    document: str,
    served_at: dt.datetime | None = None,
    eligibility_proof: str = "",
) -> AuctionResult:
    """The sale ruling (拍卖成交裁定) was served: ownership passes; handover within 15 days (AUC-32)."""
    from core.deadlines import deadline_close, deadline_open

    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if auction.state not in (S.SOLD, S.IN_LIEU) or result.balance_paid_at is None:
        raise _refuse("balance_not_paid", "买受人付清全部价款后方可送达成交裁定", "AUC-32")
    if result.ruling_served_at is not None:
        raise Conflict("ruling_already_served", "成交裁定已送达")
    if not document.strip():
        raise _refuse("document_required", "须填写成交裁定文号", "AUC-32")
    if auction.lot_id and _lot_purchase_restricted(auction) and not eligibility_proof.strip():
        raise _refuse(
            "eligibility_proof_required", "限购房产须有买受人购房资格证明方可作出成交裁定", "AUC-13"
        )
    now = clock.now()
    served = served_at or now
    days = int(setting(auction, "handover_days"))
    result.ruling_served_at = served
    result.ruling_document = document.strip()
    result.eligibility_proof = eligibility_proof.strip()
    result.handover_due_at = calendar.within_days(served, days, court=auction.court_id)
    result.handover_state = AuctionResult.Handover.VACATING
    result.save()
    deadline_close(
        subject=f"case:{auction.case_id}/auction:{auction.pk}/ruling", rule_id="AUC-32", actor=actor
    )
    deadline_open(
        rule_id="AUC-32",
        title="成交裁定送达后十五日内移交标的物",
        subject=f"case:{auction.case_id}/auction:{auction.pk}/handover",
        start_event="成交裁定送达",
        started_at=served,
        period=days,
        court=auction.court_id,
        owner=actor,
    )
    _stream_append(
        auction,
        action="sale.ruling_served",
        actor=actor,
        subject=auction.sale_ref,
        at=now,
        after={
            "document": result.ruling_document,
            "served_at": served,
            "handover_due_at": result.handover_due_at,
        },
        rules=["AUC-32"] + (["AUC-13"] if eligibility_proof else []),
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="sale.ruling_served",
        actor=actor,
        rules=["AUC-32"],
        after={"document": result.ruling_document, "handover_due_at": result.handover_due_at},
    )
    if result.winner_id:
        _notify_many(
            [result.winner.user],
            topic="auction.ruling",
            subject="【成交裁定已送达】",
            body=f"{auction.title} 的拍卖成交裁定（{result.ruling_document}）已送达，标的物所有权自送达时起转移。"
            f"法院将于 {result.handover_due_at.astimezone(calendar.CST):%Y-%m-%d} 前移交标的物。",
            key=f"auction:{auction.pk}:ruling",
            link=_auction_link(auction),
            court=auction.court_id,
        )
    return result


@transaction.atomic
def auction_handover_update(
    *,
    auction_id: int,
    actor: Any,
    state: str,
    note: str = "",
    vehicle_violations_cleared: bool | None = None,
) -> AuctionResult:
    """Track the handover (AUC-32; RO 2019 item 30): vacating, eviction, keys, vehicle violations."""
    from core.deadlines import deadline_close

    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.ruling_served_at is None:
        raise _refuse("ruling_not_served", "成交裁定送达后方可办理移交", "AUC-32")
    if state not in AuctionResult.Handover.values or state in ("not_started", "awaiting_ruling"):
        raise _refuse("invalid_handover_state", "移交状态无效")
    if result.handover_state in (
        AuctionResult.Handover.COMPLETED,
        AuctionResult.Handover.IMPOSSIBLE,
    ):
        raise Conflict("handover_finished", "移交已结束")
    now = clock.now()
    before = {
        "state": result.handover_state,
        "vehicle_violations_cleared": result.vehicle_violations_cleared,
    }
    if vehicle_violations_cleared is not None:
        result.vehicle_violations_cleared = vehicle_violations_cleared
    has_vehicle = auction.lot_id and auction.lot.assets.filter(kind="vehicle").exists()
    if (
        state == AuctionResult.Handover.COMPLETED
        and has_vehicle
        and not result.vehicle_violations_cleared
    ):
        raise _refuse("vehicle_violations_open", "车辆违章处理完毕后方可完成移交", "AUC-32")
    if state == AuctionResult.Handover.IMPOSSIBLE and not note.strip():
        raise _refuse("reason_required", "依法不能移交的，须说明理由", "AUC-32")
    if state == AuctionResult.Handover.KEYS_HANDED:
        result.keys_handed_at = now
    result.handover_state = state
    if note:
        result.handover_note = (
            result.handover_note + "\n" if result.handover_note else ""
        ) + note.strip()
    if state in (AuctionResult.Handover.COMPLETED, AuctionResult.Handover.IMPOSSIBLE):
        result.handover_completed_at = now
        deadline_close(
            subject=f"case:{auction.case_id}/auction:{auction.pk}/handover",
            rule_id="AUC-32",
            actor=actor,
            reason=note,
        )
    result.save()
    after = {"state": state, "vehicle_violations_cleared": result.vehicle_violations_cleared}
    _stream_append(
        auction,
        action="sale.handover",
        actor=actor,
        subject=auction.sale_ref,
        at=now,
        before=before,
        after=after,
        reason=note,
        rules=["AUC-32"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="sale.handover",
        actor=actor,
        before=before,
        after=after,
        reason=note,
        rules=["AUC-32"],
    )
    return result


@transaction.atomic
def auction_default(*, auction_id: int) -> Auction | None:
    """Balance overdue (``BalanceOverdue``) → 悔拍 (AUC-33): forfeit the deposit, bar the
    defaulter from every re-auction of the lot (AUC-15), create the linked re-auction."""
    auction = locks.auction_for_update(auction_id)
    if auction.state != S.SOLD:
        return None  # idempotent: already defaulted, set aside, or not a sale
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.balance_paid_at is not None:
        return None
    now = clock.now()
    old = auction.state
    auction.default()
    winner = Registration.objects.select_related("identity").get(pk=result.winner_id)
    Registration.objects.filter(pk=winner.pk).update(status=Registration.Status.FORFEITED)
    identities = [winner.identity] if winner.identity else []
    identities += [m.identity for m in winner.members.select_related("identity")]
    for ident in identities:
        DefaulterBar.objects.get_or_create(
            lot_id=auction.lot_id, identity=ident, defaults={"auction": auction, "created_at": now}
        )
    if not auction.is_practice:
        from settlement.services import deposit_forfeit

        forfeit_fen = None
        if (
            auction.round == Auction.Round.SALE
            and setting(auction, "sale_default_forfeit") == "announced_deposit"
        ):
            # AUC-37: a 变卖 buyer prepaid the full price; only the announced deposit (that of
            # the second auction it follows) is forfeited, the rest goes back.
            forfeit_fen = auction.previous.deposit_fen if auction.previous_id else None
        deposit_forfeit(
            ref=winner.money_ref,
            sale_ref=auction.sale_ref,
            reason="买受人未在期限内支付尾款，保证金不予退还（AUC-33）",
            idempotency_key=f"{winner.money_ref}/forfeit",
            forfeit_fen=forfeit_fen,
        )
    reauction = _draft_following(
        auction, link=Auction.Link.REAUCTION, round_=auction.round, now=now, actor=None
    )
    _stream_append(
        auction,
        action="auction.defaulted",
        subject=auction.ref,
        at=now,
        after={
            "winner_code": result.winner_code,
            "reauction": reauction.pk,
            "pursue_shortfall": bool(setting(auction, "pursue_shortfall_from_defaulter")),
            "return_surplus": bool(setting(auction, "return_forfeit_surplus_to_defaulter")),
        },
        rules=["AUC-33", "AUC-34", "AUC-15"],
    )
    auction.save(update_fields=["state", "stream_seq", "stream_hash"])
    _case_audit(
        auction,
        action="auction.defaulted",
        rules=["AUC-33", "AUC-15"],
        after={"reauction": reauction.ref},
    )
    _notify_many(
        _parties_users(auction),
        topic="auction.defaulted",
        subject="【悔拍】买受人未按期支付尾款",
        body=f"{auction.title} 的买受人未在期限内付清尾款，保证金不予退还，标的物将重新拍卖（AUC-33）。",
        key=f"auction:{auction.pk}:defaulted",
        link=_auction_link(auction),
        court=auction.court_id,
    )
    _notify_many(
        [winner.user],
        topic="auction.defaulted",
        subject="【悔拍】保证金不予退还",
        body=f"您未在期限内支付 {auction.title} 的尾款，保证金不予退还，且不得参加该标的物的再次拍卖（AUC-15、AUC-33）。",
        key=f"auction:{auction.pk}:defaulted:winner",
        link=_auction_link(auction),
        court=auction.court_id,
    )
    _state_changed(auction, old)
    return reauction


def _draft_following(
    auction: Auction,
    *,
    link: str,
    round_: str,
    now: dt.datetime,
    actor: Any,
    starting_price_fen: int | None = None,
) -> Auction:
    """A new draft linked to ``auction`` (next round, 变卖, or re-auction after default)."""
    start = starting_price_fen or auction.starting_price_fen
    titles = {Auction.Round.FIRST: "一拍", Auction.Round.SECOND: "二拍", Auction.Round.SALE: "变卖"}
    base_title = auction.title
    for word in titles.values():
        base_title = base_title.replace(f"（{word}）", "")
    suffix = titles[round_] + ("（重新拍卖）" if link == Auction.Link.REAUCTION else "")
    new = Auction.objects.create(
        court_id=auction.court_id,
        case_id=auction.case_id,
        lot_id=auction.lot_id,
        previous=auction,
        link=link,
        title=f"{base_title}（{suffix}）",
        round=round_,
        is_practice=auction.is_practice,
        starting_price_fen=start,
        increment_fen=auction.increment_fen,
        deposit_fen=auction.deposit_fen if round_ != Auction.Round.SALE else start,
        balance_period_days=auction.balance_period_days,
        setting_overrides=dict(auction.setting_overrides or {}),
        announcement=auction.announcement,
        bidding_rules=auction.bidding_rules,
        pricing_basis_note=auction.pricing_basis_note,
        title_document_barred_reason=auction.title_document_barred_reason,
        priority_holders_note=auction.priority_holders_note,
        deposit_account=auction.deposit_account,
        taxes_note=auction.taxes_note,
        court_contact=auction.court_contact,
        known_defects_note=auction.known_defects_note,
        priority_claims_fen=auction.priority_claims_fen,
        costs_estimate_fen=auction.costs_estimate_fen,
        platform_chosen_by=auction.platform_chosen_by,
        platform_choice_note=auction.platform_choice_note,
        created_at=now,
        created_by=actor,
    )
    for holder in auction.priority_holders.all():
        PriorityHolder.objects.create(
            auction=new,
            name=holder.name,
            identity=holder.identity,
            rank=holder.rank,
            basis=holder.basis,
            added_by=holder.added_by,
            added_at=now,
        )
    _stream_append(
        new,
        action="auction.drafted",
        actor=actor,
        subject=new.ref,
        at=now,
        after={"previous": auction.ref, "link": link, "round": round_, "starting_price_fen": start},
    )
    _save_stream_head(new)
    return new


def _require_staff(actor: Any, auction: Auction) -> None:
    """Court actions: judges, officers and bureau heads of the auction's own court."""
    if auction.is_practice:
        if getattr(actor, "pk", None) != auction.practice_owner_id:
            raise PermissionDenied("forbidden", "无权执行此操作")
        return
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.role in STAFF_ACTORS
        and actor.court_id == auction.court_id
    ):
        raise PermissionDenied("forbidden", "仅本院法官、执行员可执行此操作")


# ---------------------------------------------------------------------------------------------
# Drafts, panel decisions, priority holders, exclusion list (AUC-04, AUC-11, AUC-19)
# ---------------------------------------------------------------------------------------------
DRAFT_FIELDS = (
    "title",
    "round",
    "starting_price_fen",
    "increment_fen",
    "deposit_fen",
    "balance_period_days",
    "start_at",
    "end_at",
    "announcement",
    "bidding_rules",
    "pricing_basis_note",
    "title_document_barred_reason",
    "priority_holders_note",
    "deposit_account",
    "taxes_note",
    "court_contact",
    "known_defects_note",
    "warnings_text",
    "priority_claims_fen",
    "costs_estimate_fen",
    "setting_overrides",
    "platform_chosen_by",
    "platform_choice_note",
)
MONEY_FIELDS = (
    "starting_price_fen",
    "increment_fen",
    "deposit_fen",
    "priority_claims_fen",
    "costs_estimate_fen",
)
#: Per-auction court choices a draft may carry into its snapshot (AUC-21, AUC-27).
AUCTION_SETTING_KEYS = (
    "proxy_bidding_enabled",
    "bids_on_increment_grid",
    "first_bid_must_equal_start",
    "forbid_rebid_while_leading",
)


def _clean_fields(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in DRAFT_FIELDS:
            raise _refuse("unknown_field", f"不能修改字段 {key}")
        if key in MONEY_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _refuse("invalid_amount", "金额须为非负整数（分）")
            if key in ("starting_price_fen", "increment_fen") and value <= 0:
                raise _refuse("invalid_amount", "起拍价和加价幅度须大于零")
        if key == "platform_chosen_by" and value not in ("", *Auction.PlatformChoice.values):
            raise _refuse("invalid_platform_choice", "平台选定方式无效", "AUC-02")
        if key == "round" and value not in Auction.Round.values:
            raise _refuse("invalid_round", "轮次无效")
        if (
            key == "balance_period_days"
            and value is not None
            and (not isinstance(value, int) or value <= 0)
        ):
            raise _refuse("invalid_balance_period", "尾款支付期限须为正整数（日）", "AUC-31")
        if key == "setting_overrides":
            value = dict(value or {})
            for k, v in value.items():
                if k not in AUCTION_SETTING_KEYS:
                    raise _refuse("unknown_setting", f"本场拍卖不能单独设置参数 {k}")
                value[k] = SPECS[k].clean(v)
        if isinstance(value, str):
            value = value.strip()
        out[key] = value
    return out


def draft_defaults(lot: Any) -> dict[str, str]:
    """What a new draft starts with: the lot's title, the court's deposit account and phone."""
    court = lot.case.court
    return {
        "title": lot.title,
        "deposit_account": " ".join(
            x
            for x in (
                court.master_account_name,
                court.master_account_bank,
                court.master_account_no,
            )
            if x
        ),
        "court_contact": court.contact_phone or "",
    }


@transaction.atomic
def auction_draft_create(*, lot: Any, actor: Any, **fields: Any) -> Auction:
    """A draft auction (草稿) for a lot of the court's own case; nothing is public yet."""
    case = lot.case
    probe = Auction(court_id=case.court_id, is_practice=False)
    _require_staff(actor, probe)
    values = _clean_fields(fields)
    # A blank field from the page means "the court's own": its account and phone (AUC-09).
    for key, default in draft_defaults(lot).items():
        if not values.get(key):
            values[key] = default
    now = clock.now()
    for key in ("starting_price_fen", "increment_fen", "deposit_fen"):
        if key not in values:
            raise _refuse("field_required", "须填写起拍价、加价幅度和保证金", "AUC-04")
    auction = Auction.objects.create(
        court_id=case.court_id, case=case, lot=lot, created_at=now, created_by=actor, **values
    )
    _stream_append(
        auction,
        action="auction.drafted",
        actor=actor,
        subject=auction.ref,
        at=now,
        after={k: v for k, v in values.items() if k in MONEY_FIELDS or k in ("round", "title")},
    )
    _save_stream_head(auction)
    return auction


@transaction.atomic
def auction_draft_update(*, auction_id: int, actor: Any, **fields: Any) -> Auction:
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if auction.state != S.DRAFT:
        raise Conflict("not_a_draft", "已公告的拍卖不能修改；如需变更，请撤回后重新发布", "AUC-03")
    values = _clean_fields(fields)
    before = {k: getattr(auction, k) for k in values}
    for k, v in values.items():
        setattr(auction, k, v)
    _stream_append(
        auction,
        action="auction.draft_updated",
        actor=actor,
        subject=auction.ref,
        before=before,
        after=values,
    )
    auction.save()
    return auction


def current_panel_decisions(auction: Auction) -> dict[str, PanelDecision]:
    """The decision in force per topic: the latest not superseded (REC-08)."""
    out: dict[str, PanelDecision] = {}
    for d in auction.panel_decisions.filter(superseded_by__isnull=True).order_by(
        "recorded_at", "pk"
    ):
        out[d.topic] = d
    return out


@transaction.atomic
def panel_decision_record(
    *,
    auction_id: int,
    actor: Any,
    topic: str,
    panel_members: str,
    decided_at: dt.datetime,
    value_fen: int | None = None,
    text: str = "",
) -> PanelDecision:
    """Record a collegial-panel decision (AUC-04). Never edited: a new one supersedes the old."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if topic not in PanelDecision.Topic.values:
        raise _refuse("invalid_topic", "合议事项无效", "AUC-04")
    if not panel_members or not panel_members.strip():
        raise _refuse("panel_members_required", "须写明合议庭成员", "AUC-04")
    if decided_at > clock.now():
        raise _refuse("decided_in_future", "合议时间不能晚于现在", "AUC-04")
    if topic != PanelDecision.Topic.PRIORITY_PURCHASERS:
        if isinstance(value_fen, bool) or not isinstance(value_fen, int) or value_fen <= 0:
            raise _refuse("invalid_amount", "合议决定须写明金额（分）", "AUC-04")
    elif not text.strip():
        raise _refuse("text_required", "须写明优先购买权人的资格及顺序（无则写明“无”）", "AUC-04")
    previous = current_panel_decisions(auction).get(topic)
    now = clock.now()
    decision = PanelDecision.objects.create(
        auction=auction,
        topic=topic,
        value_fen=value_fen,
        text=text.strip(),
        panel_members=panel_members.strip(),
        decided_at=decided_at,
        recorded_by=actor,
        recorded_at=now,
        supersedes=previous,
    )
    _stream_append(
        auction,
        action="panel.decided",
        actor=actor,
        subject=f"panel_decision:{decision.pk}",
        at=now,
        before={"decision": previous.pk, "value_fen": previous.value_fen} if previous else None,
        after={
            "topic": topic,
            "value_fen": value_fen,
            "text": text,
            "panel": panel_members,
            "decided_at": decided_at,
        },
        rules=["AUC-04", "REC-08"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="panel.decided",
        actor=actor,
        rules=["AUC-04"],
        after={"topic": topic, "value_fen": value_fen, "decided_at": decided_at},
    )
    return decision


@transaction.atomic
def priority_holder_add(
    *, auction_id: int, actor: Any, name: str, rank: int, basis: str, identity: Any = None
) -> PriorityHolder:
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if auction.state != S.DRAFT:
        raise Conflict("not_a_draft", "公告后不能再增加优先购买权人", "AUC-10")
    if not isinstance(rank, int) or rank < 1:
        raise _refuse("invalid_rank", "优先顺序须为正整数（1 为最优先）", "AUC-19")
    if not name.strip() or not basis.strip():
        raise _refuse("field_required", "须填写优先购买权人姓名及权利依据", "AUC-19")
    holder = PriorityHolder.objects.create(
        auction=auction,
        name=name.strip(),
        identity=identity,
        rank=rank,
        basis=basis.strip(),
        added_by=actor,
        added_at=clock.now(),
    )
    _stream_append(
        auction,
        action="priority_holder.added",
        actor=actor,
        subject=f"priority_holder:{holder.pk}",
        after={"name": holder.name, "rank": rank, "basis": holder.basis},
        rules=["AUC-19"],
    )
    _save_stream_head(auction)
    return holder


@transaction.atomic
def exclusion_add(
    *, lot: Any, actor: Any, category: str, identity_kind: str, identity_number: str, name: str
) -> ExclusionEntry:
    """AUC-11: add a person or body to the lot's exclusion list."""
    probe = Auction(court_id=lot.case.court_id)
    _require_staff(actor, probe)
    if category not in ExclusionEntry.Category.values:
        raise _refuse("invalid_category", "类别无效", "AUC-11")
    number = (identity_number or "").strip().upper()
    if not number or not name.strip():
        raise _refuse("field_required", "须填写证件号码和姓名/名称", "AUC-11")
    entry = ExclusionEntry.objects.create(
        lot=lot,
        category=category,
        identity_kind=identity_kind,
        identity_number=number,
        name=name.strip(),
        added_by=actor,
        added_at=clock.now(),
    )
    from core.audit import audit_record

    audit_record(
        stream=f"case:{lot.case_id}",
        action="exclusion.added",
        actor=actor,
        subject=f"case:{lot.case_id}/lot:{lot.pk}",
        after={"category": category, "name": entry.name},
        rules=["AUC-11"],
    )
    return entry


@transaction.atomic
def auction_notice_record(
    *,
    auction_id: int,
    actor: Any,
    recipient: Any,
    method: str,
    sent_at: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
    proof: str = "",
    unreachable_reason: str = "",
):
    """Serve the auction notice on a party (``cases.Party``) or priority holder (AUC-10)."""
    from core.service import service_record

    auction = Auction.objects.get(pk=auction_id)
    _require_staff(actor, auction)
    if isinstance(recipient, PriorityHolder):
        ref, name, user = recipient.recipient_ref, recipient.name, None
    else:
        ref, name, user = f"party:{recipient.pk}", recipient.name, recipient.user
    return service_record(
        court=auction.court_id,
        subject=_notice_subject(auction),
        document=f"拍卖通知：{auction.title}",
        document_kind="auction_notice",
        recipient_ref=ref,
        recipient_name=name,
        recipient_user=user,
        method=method,
        sent_at=sent_at,
        received_at=received_at,
        proof=proof,
        unreachable_reason=unreachable_reason,
        actor=actor,
    )


def _notice_subject(auction: Auction) -> str:
    return f"case:{auction.case_id}/auction:{auction.pk}"


# ---------------------------------------------------------------------------------------------
# Publication (公告): every refusal names its rule
# ---------------------------------------------------------------------------------------------
STANDARD_WARNINGS = [
    "竞买人应当具备完全民事行为能力，法律、行政法规对买受人资格有特别规定的，应当具备相应资格。",
    "委托他人代为竞买的，应当在竞价程序开始前经人民法院确认，并通知网络服务提供者。",
    "标的物以实物现状为准，法院不负瑕疵担保责任；已知瑕疵见披露事项。",
    "拍卖成交后，买受人的真实身份将依法公示。",
    "买受人悔拍的，交纳的保证金不予退还。",
]
HOUSE_WARNING = "本标的物为住房，竞买人须符合当地住房限购政策，报名时声明具备购房资格，成交裁定前须提交资格证明。"


def _price_basis_for(
    auction: Auction, at: dt.datetime
) -> tuple[int | None, dict[int, dict], list[str]]:
    from pricing.services import reference_price_valid_for

    bases: dict[int, dict] = {}
    missing = []
    for asset in auction.lot.assets.order_by("pk"):
        basis = reference_price_valid_for(asset_id=asset.pk, at=at)
        if basis is None:
            missing.append(asset.name)
            continue
        bases[asset.pk] = {
            "kind": basis.kind,
            "amount_fen": basis.amount_fen,
            "ground": basis.ground,
            "valid_until": basis.valid_until.isoformat() if basis.valid_until else None,
            "procedure_ref": basis.procedure_ref,
        }
    total = sum(b["amount_fen"] for b in bases.values()) if not missing else None
    return total, bases, missing


def _lead_days(auction: Auction, immovable: bool) -> tuple[int, str]:
    if auction.round == Auction.Round.SALE:
        return (int(setting(auction, "sale_immovable_lead_days")) if immovable else 0), "AUC-38"
    if auction.round == Auction.Round.SECOND:
        key = "announce_lead_days_r2_immovable" if immovable else "announce_lead_days_r2_movable"
        return int(setting(auction, key)), "AUC-35"
    key = "announce_lead_days_r1_immovable" if immovable else "announce_lead_days_r1_movable"
    return int(setting(auction, key)), "AUC-08"


def _pack_missing(auction: Auction) -> list[str]:
    """AUC-09: what the disclosure pack still lacks."""
    from cases.models import AssetFile, Disclosure
    from cases.selectors import current_disclosures

    missing = []
    if not auction.announcement:
        missing.append("拍卖公告正文")
    if not auction.bidding_rules:
        missing.append("竞价规则")
    if not (auction.case.title_document or auction.title_document_barred_reason):
        missing.append("执行依据（或不公开的理由）")
    if not auction.pricing_basis_note:
        missing.append("评估报告或定价依据说明")
    if not auction.priority_holders_note:
        missing.append("优先购买权人情况（无则写明“无”）")
    if not auction.deposit_account:
        missing.append("保证金账户")
    if not auction.court_contact:
        missing.append("法院联系方式")
    required_topics = [
        Disclosure.Topic.TITLE,
        Disclosure.Topic.ENCUMBRANCES,
        Disclosure.Topic.POSSESSION,
        Disclosure.Topic.DEFECTS,
    ]
    for asset in auction.lot.assets.order_by("pk"):
        have = current_disclosures(asset)
        for topic in required_topics:
            if topic not in have:
                missing.append(f"{asset.name}：{Disclosure.Topic(topic).label}")
        if Disclosure.Topic.TAXES not in have and not auction.taxes_note:
            missing.append(f"{asset.name}：{Disclosure.Topic.TAXES.label}")
        if not asset.files.filter(kind__in=[AssetFile.Kind.PHOTO, AssetFile.Kind.VIDEO]).exists():
            missing.append(f"{asset.name}：照片或视频")
    return missing


def _titled(auction: Auction) -> str:
    """The title with its round, said once: "某房产（一拍）" (demo titles already carry it)."""
    label = f"（{auction.get_round_display()}）"
    return auction.title if auction.title.endswith(label) else f"{auction.title}{label}"


def lot_unsold_awaiting_next_round(
    lot_id: int, *, now: dt.datetime | None = None
) -> Auction | None:
    """The lot's 流拍 auction whose next round (再次拍卖 AUC-35, 变卖 AUC-37) is still due: no
    following auction yet and its window still open. While it is, the lot continues through
    "准备下一轮", never through a fresh first auction (which would skip the AUC-35 price floor)."""
    now = now or clock.now()
    last = (
        Auction.objects.filter(lot_id=lot_id, is_practice=False, state=S.UNSOLD)
        .order_by("-closed_at", "-pk")
        .first()
    )
    if last is None or last.closed_at is None or last.round == Auction.Round.SALE:
        return None
    if last.following.exclude(state=S.WITHDRAWN).exists():
        return None
    if last.round == Auction.Round.FIRST:
        days = int(setting(last, "reauction_days_after_unsold"))
    else:
        days = int(setting(last, "sale_announce_days"))
    if now > calendar.within_days(last.closed_at, days, court=last.court_id):
        return None
    return last


def auction_publish_problems(
    auction: Auction, *, now: dt.datetime | None = None
) -> list[DomainError]:
    """Every reason publication is refused, each naming its rule (the court page lists them all)."""
    from core.service import recipient_served_at

    now = now or clock.now()
    problems: list[DomainError] = []

    def add(code: str, message: str, rule: str) -> None:
        problems.append(DomainError(code, message, rule=rule))

    if auction.is_practice:
        return problems
    if auction.state != S.DRAFT:
        add("not_a_draft", "只有草稿可以发布", "AUC-03")
        return problems
    case = auction.case
    if case.status != "open":
        add("case_not_open", "案件不在执行中，不能发布拍卖", "AUC-42")
    route = disposal_route_current(lot_id=auction.lot_id) if auction.lot_id else None
    if route is not None and route.route == DisposalRoute.Route.SELF_SALE:
        add("self_sale_in_progress", "被执行人自行处置期间，不得发布网络拍卖", "AUC-44")
    elif route is not None:
        add("offline_route_decided", "法院已决定以其他途径处置该拍品", "AUC-01")
    start, inc, dep = auction.starting_price_fen, auction.increment_fen, auction.deposit_fen
    # AUC-04: a current panel decision for each number, matching what is published.
    decisions = current_panel_decisions(auction)
    for topic, value in (("starting_price", start), ("increment", inc), ("deposit", dep)):
        d = decisions.get(topic)
        label = PanelDecision.Topic(topic).label
        if d is None:
            add("panel_decision_missing", f"缺少合议庭关于{label}的决定", "AUC-04")
        elif d.value_fen != value:
            add("panel_decision_mismatch", f"{label}与合议庭决定不一致", "AUC-04")
    if PanelDecision.Topic.PRIORITY_PURCHASERS not in decisions:
        add("panel_decision_missing", "缺少合议庭关于优先购买权人资格及顺序的决定", "AUC-04")
    # Time: a future start, a period of at least 24 h (AUC-22), the lead time (AUC-08/35/38).
    if not auction.start_at or not auction.end_at:
        add("period_required", "须设定竞价开始和结束时间", "AUC-22")
    else:
        if auction.round == Auction.Round.SALE:
            days = int(setting(auction, "sale_period_days"))
            if auction.end_at - auction.start_at != dt.timedelta(days=days):
                add("sale_period", f"变卖期须为 {days} 日", "AUC-37")
        elif auction.end_at - auction.start_at < dt.timedelta(
            hours=int(setting(auction, "bidding_min_hours"))
        ):
            add("bidding_period_too_short", "竞价时间不得少于二十四小时", "AUC-22")
        immovable = any(a.is_immovable for a in auction.lot.assets.all())
        lead, rule = _lead_days(auction, immovable)
        earliest = calendar.at_least_days_before(now, lead)
        if auction.start_at.astimezone(calendar.CST).date() < earliest or auction.start_at <= now:
            kind = "不动产或财产权" if immovable else "动产"
            add(
                "lead_time_too_short",
                f"{kind}公告期不足 {lead} 日，竞价最早可于 {earliest:%Y-%m-%d} 开始",
                rule,
            )
    # AUC-02: who chose the platform is on record (the court designates only with a reason).
    if not auction.platform_chosen_by:
        add(
            "platform_choice_missing",
            "须记录网络拍卖平台由谁选定（申请执行人选择或法院指定）",
            "AUC-02",
        )
    elif (
        auction.platform_chosen_by == Auction.PlatformChoice.COURT
        and not auction.platform_choice_note
    ):
        add(
            "platform_choice_reason",
            "法院指定平台的，须记录申请执行人未选择或当事人意见不一的情况",
            "AUC-02",
        )
    # AUC-31: the balance period is a required field with no default.
    if not auction.balance_period_days:
        add("balance_period_required", "须设定尾款支付期限（无默认值）", "AUC-31")
    # AUC-16 (or AUC-37: 变卖 qualifies by paying the full price).
    if auction.round == Auction.Round.SALE and setting(auction, "sale_full_payment_to_qualify"):
        if dep != start:
            add("sale_full_payment", "变卖须全额交纳价款方可参与竞买", "AUC-37")
    else:
        low = Decimal(start) * Decimal(str(setting(auction, "deposit_ratio_min")))
        high = Decimal(start) * Decimal(str(setting(auction, "deposit_ratio_max")))
        if not (low <= dep <= high):
            add("deposit_out_of_range", "保证金须为起拍价的 5% 至 20%", "AUC-16")
    # AUC-05 (first round) against the price basis; AUC-35 / AUC-37 against the previous round.
    _check_starting_price(auction, now, add)
    if auction.round == Auction.Round.FIRST and auction.previous_id is None and auction.lot_id:
        unsold = lot_unsold_awaiting_next_round(auction.lot_id, now=now)
        if unsold is not None:
            nxt = "AUC-35" if unsold.round == Auction.Round.FIRST else "AUC-37"
            add(
                "next_round_due",
                f"该拍品的{unsold.get_round_display()}已流拍，应在其拍卖页面“准备下一轮”继续处置，"
                "不能另行发布一拍",
                nxt,
            )
    # AUC-06: a start that cannot cover priority claims and costs.
    floor = auction.priority_claims_fen + auction.costs_estimate_fen
    if floor > 0 and start <= floor:
        if auction.low_start_notified_at is None:
            add(
                "low_start_notice_required",
                "起拍价不足以清偿优先债权和执行费用，须先通知申请执行人",
                "AUC-06",
            )
        elif auction.applicant_insisted_at is None:
            add("applicant_not_insisted", "申请执行人未在收到通知后五日内申请继续拍卖", "AUC-06")
        else:
            add(
                "low_start_not_exceeding",
                "申请执行人申请继续拍卖的，重新确定的起拍价须高于优先债权和执行费用总额",
                "AUC-06",
            )
    # AUC-07: the case's proceeds already cover the debt and costs.
    if (
        _case_proceeds_fen(auction) >= case.claim_fen + auction.costs_estimate_fen
        and auction.debtor_consented_at is None
    ):
        add(
            "proceeds_cover_debt",
            "本案已拍卖所得足以清偿债务和费用，未经被执行人同意不得继续拍卖",
            "AUC-07",
        )
    # Only one live auction per lot.
    if (
        Auction.objects.filter(
            lot_id=auction.lot_id,
            state__in=[S.SCHEDULED, S.BIDDING, S.EXTENDED, S.SUSPENDED, S.HALTED, S.SOLD],
        )
        .exclude(pk=auction.pk)
        .exists()
    ):
        add("lot_busy", "该拍品已有进行中或已成交的拍卖", "AUC-03")
    # AUC-09: the full disclosure pack.
    missing = _pack_missing(auction)
    if missing:
        add("disclosure_incomplete", "披露材料不全：" + "、".join(missing), "AUC-09")
    # AUC-10: parties and known priority purchasers served at least 3 days before.
    days = int(setting(auction, "party_notice_lead_days"))
    from cases.models import Party

    recipients = [
        (f"party:{p.pk}", p.name)
        for p in Party.objects.filter(
            case_id=case.pk, role__in=[Party.Role.CREDITOR, Party.Role.DEBTOR]
        ).order_by("pk")
    ]
    recipients += [(h.recipient_ref, h.name) for h in auction.priority_holders.all()]
    unserved = []
    for ref, name in recipients:
        served = recipient_served_at(subject=_notice_subject(auction), recipient_ref=ref)
        if (
            served is None
            or not calendar.is_at_least_days_before(served, now, days)
            or served > now
        ):
            unserved.append(name)
    if unserved:
        add(
            "parties_not_served",
            f"以下当事人或优先购买权人未在公告 {days} 日前送达（签收、书面放弃或视为送达）："
            + "、".join(unserved),
            "AUC-10",
        )
    return problems


def _check_starting_price(auction: Auction, now: dt.datetime, add) -> None:
    start = auction.starting_price_fen
    prev = auction.previous
    if auction.round == Auction.Round.FIRST:
        total, bases, missing = _price_basis_for(auction, now)
        if missing:
            add("no_price_basis", "以下财产没有有效的参考价：" + "、".join(missing), "PRC-11")
            return
        if any(b["kind"] == "equity_waiver" for b in bases.values()):
            # PRC-20: the 70% check is waived; the start must exceed the enforcement costs.
            if start <= total:
                add("start_below_costs", "股权起拍价须高于执行费用", "PRC-20")
            return
        ratio = Decimal(str(setting(auction, "first_auction_min_start_ratio")))
        if Decimal(start) < ratio * Decimal(total):
            add("start_below_ratio", f"一拍起拍价不得低于参考价的 {int(ratio * 100)}%", "AUC-05")
        return
    if prev is None:
        add("previous_round_required", "再次拍卖或变卖须关联上一轮拍卖", "AUC-35")
        return
    if auction.link == Auction.Link.REAUCTION:
        return  # AUC-33: the re-auction after a default repeats the defaulted round's numbers
    expected_prev_round = (
        Auction.Round.FIRST if auction.round == Auction.Round.SECOND else Auction.Round.SECOND
    )
    if prev.state != S.UNSOLD or prev.round != expected_prev_round:
        add("previous_round_not_unsold", "上一轮拍卖须为流拍", "AUC-35")
        return
    closed = prev.closed_at
    anchor_at = (
        now
        if setting(auction, "reauction_deadline_anchor") == "announcement_published"
        else auction.start_at
    )
    if auction.round == Auction.Round.SECOND:
        cut = Decimal(str(setting(auction, "second_auction_max_cut_ratio")))
        if Decimal(start) < (1 - cut) * Decimal(prev.starting_price_fen):
            add(
                "cut_too_deep",
                f"再次拍卖起拍价降价幅度不得超过前次起拍价的 {int(cut * 100)}%",
                "AUC-35",
            )
        days = int(setting(auction, "reauction_days_after_unsold"))
        if anchor_at and anchor_at > calendar.within_days(closed, days, court=auction.court_id):
            add("reauction_too_late", f"流拍后应在 {days} 日内再次拍卖", "AUC-35")
    else:
        ratio = Decimal(str(setting(auction, "sale_price_ratio_to_r2_start")))
        if Decimal(start) < ratio * Decimal(prev.starting_price_fen):
            add("sale_price_too_low", "变卖价不得低于二拍起拍价", "AUC-37")
        days = int(setting(auction, "sale_announce_days"))
        if now > calendar.within_days(closed, days, court=auction.court_id):
            add("sale_too_late", f"二拍流拍后应在 {days} 日内发布变卖公告", "AUC-37")


def _case_proceeds_fen(auction: Auction) -> int:
    """What the case's other lots already fetched (sales not defaulted or set aside, takings in lieu)."""
    sold = (
        AuctionResult.objects.filter(
            auction__case_id=auction.case_id,
            auction__state=S.SOLD,
            outcome=AuctionResult.Outcome.SOLD,
        )
        .exclude(auction_id=auction.pk)
        .values_list("price_fen", flat=True)
    )
    in_lieu = InLieuTaking.objects.filter(auction__case_id=auction.case_id).values_list(
        "price_fen", flat=True
    )
    return sum(p or 0 for p in sold) + sum(in_lieu)


@transaction.atomic
def auction_publish(*, auction_id: int, actor: Any) -> Auction:
    """公告: refuse, naming every rule not met; else snapshot the settings and go public."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    now = clock.now()
    problems = auction_publish_problems(auction, now=now)
    if problems:
        first = problems[0]
        raise DomainError(
            "publication_refused",
            "不能发布：" + "；".join(f"{p.message}（{p.rule}）" for p in problems),
            rule=first.rule,
            problems=[p.as_dict() for p in problems],
        )
    old = auction.state
    if auction.round == Auction.Round.FIRST:
        _, bases, _ = _price_basis_for(auction, now)
        auction.price_basis = {str(k): v for k, v in bases.items()}
    auction.settings_snapshot = _snapshot_for(auction)
    warnings = [w for w in STANDARD_WARNINGS if w not in auction.warnings_text]
    if _lot_purchase_restricted(auction) and HOUSE_WARNING not in auction.warnings_text:
        warnings.append(HOUSE_WARNING)
    if warnings:
        auction.warnings_text = "\n".join(filter(None, [auction.warnings_text, *warnings]))
    auction.applicant_bears_costs = auction.applicant_insisted_at is not None
    auction.scheduled_end_at = auction.end_at
    auction.published_at = now
    auction.published_by = actor
    auction.publish()
    pack = {
        k: getattr(auction, k)
        for k in (
            "title",
            "round",
            "starting_price_fen",
            "increment_fen",
            "deposit_fen",
            "balance_period_days",
            "start_at",
            "end_at",
            "announcement",
            "bidding_rules",
            "pricing_basis_note",
            "priority_holders_note",
            "deposit_account",
            "taxes_note",
            "court_contact",
            "known_defects_note",
            "warnings_text",
        )
    }
    _stream_append(
        auction,
        action="auction.published",
        actor=actor,
        subject=auction.ref,
        at=now,
        after={"announcement": pack, "price_basis": auction.price_basis},
        rules=[
            "AUC-04",
            "AUC-05",
            "AUC-08",
            "AUC-09",
            "AUC-10",
            "AUC-16",
            "AUC-22",
            "AUC-31",
            "REC-06",
        ],
    )
    auction.save()
    _case_audit(
        auction,
        action="auction.published",
        actor=actor,
        rules=["AUC-03"],
        after={
            "round": auction.round,
            "starting_price_fen": auction.starting_price_fen,
            "start_at": auction.start_at,
            "end_at": auction.end_at,
        },
    )
    from pricing.services import reference_price_record_announcement

    if auction.round == Auction.Round.FIRST:
        for asset_id in _lot_asset_ids(auction):
            reference_price_record_announcement(
                asset_id=asset_id, auction_ref=auction.ref, published_at=now
            )
    if auction.previous_id:
        from core.deadlines import deadline_close

        deadline_close(
            subject=f"case:{auction.case_id}/auction:{auction.previous_id}",
            actor=actor,
            reason=f"已发布 {auction.ref}",
        )
    _notify_many(
        _parties_users(auction),
        topic="auction.announced",
        subject="【拍卖公告】",
        body=f"{_titled(auction)}已公告，竞价时间 "
        f"{auction.start_at.astimezone(calendar.CST):%Y-%m-%d %H:%M} 至 "
        f"{auction.end_at.astimezone(calendar.CST):%Y-%m-%d %H:%M}。",
        key=f"auction:{auction.pk}:announced",
        link=_auction_link(auction),
        court=auction.court_id,
    )
    _state_changed(auction, old)
    publish_on_commit(AuctionPublished(auction_id=auction.pk))
    return auction


@transaction.atomic
def auction_low_start_notice(
    *, auction_id: int, actor: Any, insisted_at: dt.datetime | None = None
) -> Auction:
    """AUC-06: record the notice to the applicant, or (``insisted_at``) the applicant's request
    to continue, which must come within 5 days of the notice (a constant, not a setting)."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if auction.state != S.DRAFT:
        raise Conflict("not_a_draft", "只有草稿可以记录", "AUC-06")
    now = clock.now()
    if insisted_at is None:
        auction.low_start_notified_at = now
        action = "auction.low_start_notified"
    else:
        if auction.low_start_notified_at is None:
            raise _refuse("notice_first", "须先通知申请执行人", "AUC-06")
        if insisted_at > calendar.within_days(
            auction.low_start_notified_at, 5, court=auction.court_id
        ):
            raise _refuse("insist_too_late", "申请执行人须在收到通知后五日内申请继续拍卖", "AUC-06")
        auction.applicant_insisted_at = insisted_at
        action = "auction.applicant_insisted"
    _stream_append(
        auction,
        action=action,
        actor=actor,
        subject=auction.ref,
        rules=["AUC-06"],
        after={
            "notified_at": auction.low_start_notified_at,
            "insisted_at": auction.applicant_insisted_at,
        },
    )
    auction.save()
    return auction


@transaction.atomic
def auction_debtor_consent(*, auction_id: int, actor: Any, note: str) -> Auction:
    """AUC-07: the debtor consents to selling further lots after the debt is covered."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if not note.strip():
        raise _refuse("reason_required", "须记录被执行人同意的方式和内容", "AUC-07")
    auction.debtor_consented_at = clock.now()
    _stream_append(
        auction,
        action="auction.debtor_consented",
        actor=actor,
        subject=auction.ref,
        reason=note,
        rules=["AUC-07"],
    )
    auction.save()
    return auction


# ---------------------------------------------------------------------------------------------
# Court actions with published reasons (AUC-40..43), in lieu (AUC-36), next rounds (AUC-35/37)
# ---------------------------------------------------------------------------------------------
WITHDRAW_GROUNDS = {
    "title_set_aside": "执行依据被撤销",
    "creditor_withdrew": "申请执行人撤回申请",
    "debt_paid": "被执行人已履行债务",
    "settlement": "当事人达成和解",
    "third_party_objection": "案外人异议成立",
    "collusion": "存在恶意串通",
    "debtor_paid_before_auction": "被执行人于拍卖日前清偿并申请停止拍卖",
    "other": "其他事由",
}
SET_ASIDE_GROUNDS = {
    "untrue_description": "严重失实的标的物描述",
    "system_fault": "系统故障、病毒、黑客攻击或数据错误导致结果错误",
    "collusion": "恶意串通",
    "unqualified_buyer": "买受人不具备资格",
    "excluded_or_unequal": "违法限制竞买人或设置不平等条件",
    "other_serious": "其他严重违法情形",
}
SUSPEND_GROUNDS = {
    "court_decision": "法院决定暂缓",
    "platform_failure": "网络服务提供者系统故障或紧急情况（已立即报告法院）",
    "enforcement_objection": "执行异议",
    "third_party_objection": "案外人异议",
    "other": "其他事由",
}


def _court_action(
    auction: Auction,
    *,
    kind: str,
    actor: Any,
    reason: str,
    ground: str = "",
    document: str = "",
    follow_up: str = "",
    old: str = "",
    **extra: Any,
) -> CourtAction:
    if not reason or not reason.strip():
        raise _refuse("reason_required", "须写明公开的理由", "REC-09")
    now = clock.now()
    action = CourtAction.objects.create(
        auction=auction,
        kind=kind,
        ground=ground,
        reason=reason.strip(),
        document=document.strip(),
        follow_up=follow_up.strip(),
        decided_by=actor,
        decided_at=now,
        from_state=old,
        to_state=auction.state,
        **extra,
    )
    _stream_append(
        auction,
        action=f"court.{kind}",
        actor=actor,
        subject=f"court_action:{action.pk}",
        at=now,
        before={"state": old},
        after={
            "state": auction.state,
            "ground": ground,
            "document": document,
            "follow_up": follow_up,
            **{k: v for k, v in extra.items()},
        },
        reason=reason,
        rules=_ACTION_RULES.get(kind, ["AUC-40"]),
    )
    _case_audit(
        auction,
        action=f"auction.{kind}",
        actor=actor,
        reason=reason,
        rules=_ACTION_RULES.get(kind, []),
        before={"state": old},
        after={"state": auction.state, "ground": ground},
    )
    _state_changed(auction, old)
    return action


_ACTION_RULES = {
    "suspend": ["AUC-40", "REC-09"],
    "halt": ["AUC-40", "AUC-41", "REC-09"],
    "resume": ["AUC-40", "AUC-41", "AUC-22"],
    "withdraw": ["AUC-42", "AUC-41"],
    "set_aside": ["AUC-43"],
    "case_withdrawn": ["AUC-03"],
    "third_party_objection": ["AUC-40", "REC-12"],
    "ground_ended": ["AUC-40"],
}


def _release_all(
    auction: Auction, *, reason: str, hours: int, exclude: set[int] | None = None
) -> int:
    """Refund every deposit still held (AUC-30 / AUC-41), through settlement or as play money."""
    regs = [
        r
        for r in Registration.objects.filter(
            auction_id=auction.pk,
            deposit_held_at__isnull=False,
            status__in=[Registration.Status.ACTIVE, Registration.Status.WINNER],
        )
        if r.pk not in (exclude or set())
    ]
    if not regs:
        return 0
    if not auction.is_practice:
        from settlement import services as money

        money.deposit_release_schedule(
            case_id=auction.case_id,
            refs=[r.money_ref for r in regs],
            closed_at=clock.now(),
            hours=hours,
            rule_id="AUC-41",
        )
        for r in regs:
            money.deposit_release(
                ref=r.money_ref, reason=reason, idempotency_key=f"{r.money_ref}/release"
            )
    Registration.objects.filter(pk__in=[r.pk for r in regs]).update(
        status=Registration.Status.RELEASED
    )
    for r in regs:
        _notify_many(
            [r.user],
            topic="auction.deposit_refund",
            subject="【保证金退还】",
            body=reason,
            key=f"{r.money_ref}:refund",
            link=_auction_link(auction),
            court=auction.court_id,
        )
    return len(regs)


def _notify_action(auction: Auction, subject: str, body: str, key: str) -> None:
    _notify_many(
        _parties_users(auction),
        topic="auction.court_action",
        subject=subject,
        body=body,
        key=f"auction:{auction.pk}:{key}",
        link=_auction_link(auction),
        court=auction.court_id,
    )


@transaction.atomic
def auction_suspend(
    *, auction_id: int, actor: Any, reason: str, ground: str = "court_decision", document: str = ""
) -> CourtAction:
    """暂缓 (AUC-40): bidding stops, deposits stay held; the reason is published."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if ground not in SUSPEND_GROUNDS:
        raise _refuse("invalid_ground", "暂缓事由无效", "AUC-40")
    old = auction.state
    if old not in (S.SCHEDULED, S.BIDDING, S.EXTENDED):
        raise Conflict("cannot_suspend", "当前状态不能暂缓", "AUC-03")
    auction.suspend()
    auction.save(update_fields=["state"])
    action = _court_action(
        auction,
        kind="suspend",
        actor=actor,
        reason=reason,
        ground=ground,
        document=document,
        old=old,
    )
    _save_stream_head(auction)
    _notify_action(
        auction, "【暂缓拍卖】", f"{auction.title} 暂缓拍卖。理由：{reason}", f"suspend:{action.pk}"
    )
    return action


@transaction.atomic
def auction_halt(
    *, auction_id: int, actor: Any, reason: str, ground: str = "court_decision", document: str = ""
) -> CourtAction:
    """中止 (AUC-40): bidding stops and deposits are refunded within 24 h (AUC-41)."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if ground not in SUSPEND_GROUNDS:
        raise _refuse("invalid_ground", "中止事由无效", "AUC-40")
    old = auction.state
    if old not in (S.SCHEDULED, S.BIDDING, S.EXTENDED, S.SUSPENDED):
        raise Conflict("cannot_halt", "当前状态不能中止", "AUC-03")
    auction.halt()
    auction.save(update_fields=["state"])
    action = _court_action(
        auction, kind="halt", actor=actor, reason=reason, ground=ground, document=document, old=old
    )
    _release_all(
        auction,
        reason=f"{auction.title} 中止拍卖，保证金于 24 小时内退还（AUC-41）。恢复后可重新交纳。",
        hours=int(setting(auction, "refund_hours_on_halt_or_withdrawal")),
    )
    _save_stream_head(auction)
    _notify_action(
        auction, "【中止拍卖】", f"{auction.title} 中止拍卖。理由：{reason}", f"halt:{action.pk}"
    )
    return action


@transaction.atomic
def auction_third_party_objection(
    *, auction_id: int, actor: Any, objector: str, reason: str, measure: str = "suspend"
) -> CourtAction:
    """A third party's objection to the lot (案外人异议) forces a suspension or halt (AUC-40)."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if measure not in ("suspend", "halt"):
        raise _refuse("invalid_measure", "案外人异议须暂缓或中止拍卖", "AUC-40")
    if not objector.strip():
        raise _refuse("field_required", "须写明异议人", "AUC-40")
    old = auction.state
    if old not in (S.SCHEDULED, S.BIDDING, S.EXTENDED, S.SUSPENDED):
        raise Conflict("cannot_suspend", "当前状态不能暂缓或中止", "AUC-03")
    _court_action(
        auction,
        kind="third_party_objection",
        actor=actor,
        reason=f"{objector}：{reason}",
        old=old,
        ground="third_party_objection",
    )
    _save_stream_head(auction)
    if measure == "halt" or old == S.SUSPENDED:
        return auction_halt(
            auction_id=auction_id,
            actor=actor,
            ground="third_party_objection",
            reason=f"案外人对标的物提出异议：{reason}",
        )
    return auction_suspend(
        auction_id=auction_id,
        actor=actor,
        ground="third_party_objection",
        reason=f"案外人对标的物提出异议：{reason}",
    )


@transaction.atomic
def auction_ground_ended(
    *, auction_id: int, actor: Any, reason: str, ended_at: dt.datetime | None = None
) -> CourtAction:
    """The ground of a suspension or halt ended: resume within 5 days (AUC-40), tracked."""
    from core.deadlines import deadline_open

    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if auction.state not in (S.SUSPENDED, S.HALTED):
        raise Conflict("not_suspended", "拍卖未处于暂缓或中止状态", "AUC-40")
    ended = ended_at or clock.now()
    days = int(setting(auction, "resume_days_online"))
    action = _court_action(
        auction, kind="ground_ended", actor=actor, reason=reason, old=auction.state
    )
    deadline_open(
        rule_id="AUC-40",
        title="暂缓/中止事由消除后五日内恢复拍卖",
        subject=f"{_notice_subject(auction)}/resume",
        start_event="暂缓/中止事由消除",
        started_at=ended,
        period=days,
        court=auction.court_id,
        owner=actor,
    )
    _save_stream_head(auction)
    return action


@transaction.atomic
def auction_resume(
    *, auction_id: int, actor: Any, reason: str, start_at: dt.datetime, end_at: dt.datetime
) -> CourtAction:
    """恢复 (AUC-40/41): the court sets a new bidding period, still at least 24 hours (AUC-22)."""
    from core.deadlines import deadline_close

    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if auction.state not in (S.SUSPENDED, S.HALTED):
        raise Conflict("not_suspended", "拍卖未处于暂缓或中止状态", "AUC-40")
    now = clock.now()
    if start_at < now - dt.timedelta(minutes=1):
        raise _refuse("start_in_past", "恢复后的竞价开始时间不能早于现在", "AUC-41")
    if end_at - start_at < dt.timedelta(hours=int(setting(auction, "bidding_min_hours"))):
        raise _refuse("bidding_period_too_short", "恢复后的竞价时间不得少于二十四小时", "AUC-22")
    old = auction.state
    auction.resume()
    auction.start_at, auction.end_at, auction.scheduled_end_at = start_at, end_at, end_at
    auction.save(update_fields=["state", "start_at", "end_at", "scheduled_end_at"])
    action = _court_action(
        auction,
        kind="resume",
        actor=actor,
        reason=reason,
        old=old,
        new_start_at=start_at,
        new_end_at=end_at,
    )
    _save_stream_head(auction)
    deadline_close(subject=f"{_notice_subject(auction)}/resume", rule_id="AUC-40", actor=actor)
    _notify_action(
        auction,
        "【恢复拍卖】",
        f"{auction.title} 恢复拍卖，竞价时间 "
        f"{start_at.astimezone(calendar.CST):%Y-%m-%d %H:%M} 至 {end_at.astimezone(calendar.CST):%Y-%m-%d %H:%M}。",
        f"resume:{action.pk}",
    )
    return action


@transaction.atomic
def auction_withdraw(
    *, auction_id: int, actor: Any, ground: str, reason: str, document: str = ""
) -> CourtAction:
    """撤回 (AUC-42) before bidding starts; deposits refunded (AUC-41), costs per PRC-16."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if ground not in WITHDRAW_GROUNDS:
        raise _refuse("invalid_ground", "撤回事由无效", "AUC-42")
    old = auction.state
    if old not in (S.DRAFT, S.SCHEDULED, S.SUSPENDED, S.HALTED):
        raise Conflict("cannot_withdraw", "竞价开始后不能撤回；可暂缓、中止或撤销", "AUC-42")
    auction.withdraw()
    auction.closed_at = clock.now()
    auction.save(update_fields=["state", "closed_at"])
    action = _court_action(
        auction,
        kind="withdraw",
        actor=actor,
        reason=reason,
        ground=ground,
        document=document,
        old=old,
    )
    _release_all(
        auction,
        reason=f"{auction.title} 已撤回拍卖，保证金于 24 小时内退还（AUC-41）。",
        hours=int(setting(auction, "refund_hours_on_halt_or_withdrawal")),
    )
    if old != S.DRAFT:
        from pricing.services import reference_price_record_sale

        for asset_id in _lot_asset_ids(auction):
            reference_price_record_sale(
                asset_id=asset_id, auction_ref=auction.ref, outcome="withdrawn"
            )
    _save_stream_head(auction)
    _notify_action(
        auction,
        "【撤回拍卖】",
        f"{auction.title} 已撤回拍卖。理由：{reason}",
        f"withdraw:{action.pk}",
    )
    return action


@transaction.atomic
def auction_set_aside(
    *, auction_id: int, actor: Any, ground: str, reason: str, document: str, follow_up: str
) -> CourtAction:
    """撤销 (AUC-43): the ground, the decision (ruling) and the follow-up are all recorded.

    Deposits still held are refunded, except the buyer's where the ground lies with the
    buyer (collusion, unqualified buyer): the follow-up decides on that one.
    """
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if ground not in SET_ASIDE_GROUNDS:
        raise _refuse("invalid_ground", "撤销事由无效", "AUC-43")
    if not document.strip() or not follow_up.strip():
        raise _refuse("field_required", "须写明撤销裁定和后续处理", "AUC-43")
    old = auction.state
    if old not in (S.BIDDING, S.EXTENDED, S.SOLD, S.UNSOLD):
        raise Conflict("cannot_set_aside", "当前状态不能撤销", "AUC-03")
    auction.set_aside()
    auction.closed_at = auction.closed_at or clock.now()
    auction.save(update_fields=["state", "closed_at"])
    action = _court_action(
        auction,
        kind="set_aside",
        actor=actor,
        reason=reason,
        ground=ground,
        document=document,
        follow_up=follow_up,
        old=old,
    )
    keep = set()
    result = AuctionResult.objects.filter(auction_id=auction.pk).first()
    if result and result.winner_id and ground in ("collusion", "unqualified_buyer"):
        keep.add(result.winner_id)
    if not (result and result.followup_done_at is None and old in (S.SOLD, S.UNSOLD)):
        _release_all(
            auction,
            reason=f"{auction.title} 拍卖已被撤销，保证金退还。",
            exclude=keep,
            hours=int(setting(auction, "refund_hours_after_close")),
        )
    _save_stream_head(auction)
    _notify_action(
        auction,
        "【撤销拍卖】",
        f"{auction.title} 的拍卖已被撤销。理由：{reason}",
        f"set_aside:{action.pk}",
    )
    return action


@transaction.atomic
def auction_case_withdrawn(*, auction_id: int, actor: Any, reason: str) -> CourtAction:
    """撤案: the enforcement case ended before a sale; deposits refunded."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    old = auction.state
    if old not in (S.DRAFT, S.SCHEDULED, S.BIDDING, S.EXTENDED, S.SUSPENDED, S.HALTED, S.UNSOLD):
        raise Conflict("cannot_withdraw", "当前状态不能撤案", "AUC-03")
    auction.case_withdraw()
    auction.closed_at = auction.closed_at or clock.now()
    auction.save(update_fields=["state", "closed_at"])
    action = _court_action(auction, kind="case_withdrawn", actor=actor, reason=reason, old=old)
    _release_all(
        auction,
        reason=f"{auction.title} 因撤案终止拍卖，保证金退还。",
        hours=int(setting(auction, "refund_hours_on_halt_or_withdrawal")),
    )
    _save_stream_head(auction)
    return action


@transaction.atomic
def auction_take_in_lieu(
    *,
    auction_id: int,
    actor: Any,
    party_id: int,
    reason: str,
    excess_days: int | None = None,
    eligibility_proof: str = "",
) -> InLieuTaking:
    """以物抵债 (AUC-36): after 流拍 a creditor takes the lot at this round's starting price;
    any excess over its claim is paid within a court-set period."""
    from cases.models import Party

    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if auction.state != S.UNSOLD:
        raise Conflict("not_unsold", "只有流拍的拍卖可以以物抵债", "AUC-36")
    party = Party.objects.filter(
        pk=party_id, case_id=auction.case_id, role=Party.Role.CREDITOR
    ).first()
    if party is None:
        raise _refuse("not_a_creditor", "以物抵债须为本案申请执行人或其他债权人", "AUC-36")
    if _lot_purchase_restricted(auction) and not eligibility_proof.strip():
        raise _refuse(
            "eligibility_proof_required", "限购房产不得由不具备购房资格的债权人抵债", "AUC-13"
        )
    from bidding.in_lieu import check_in_lieu_party, has_applications

    if has_applications(auction):
        # AUC-36: of the creditors who applied, the earliest priority; equals → lot draw (APR-03).
        check_in_lieu_party(auction, party.pk)
    else:
        others = Party.objects.filter(case_id=auction.case_id, role=Party.Role.CREDITOR).exclude(
            pk=party.pk
        )
        if party.priority is not None and others.filter(priority__lt=party.priority).exists():
            raise _refuse("lower_priority", "有受偿顺位在先的债权人，应由其先行抵债", "AUC-36")
    price = auction.starting_price_fen
    claim = _outstanding_claim_fen(party)
    excess = max(0, price - claim)
    now = clock.now()
    due = None
    if excess:
        if not excess_days or excess_days < 1:
            raise _refuse(
                "excess_period_required", "抵债价超过债权的，须设定补交差价期限", "AUC-36"
            )
        due = calendar.within_days(now, excess_days, court=auction.court_id)
    old = auction.state
    auction.take_in_lieu()
    auction.save(update_fields=["state"])
    taking = InLieuTaking.objects.create(
        auction=auction,
        party=party,
        price_fen=price,
        claim_fen=claim,
        excess_fen=excess,
        excess_due_at=due,
        decided_by=actor,
        decided_at=now,
        reason=reason,
    )
    result = AuctionResult.objects.select_for_update().get(auction_id=auction.pk)
    result.buyer_name = party.name
    result.price_fen = price
    result.save(update_fields=["buyer_name", "price_fen"])
    _stream_append(
        auction,
        action="auction.in_lieu",
        actor=actor,
        subject=f"party:{party.pk}",
        at=now,
        before={"state": old},
        after={"price_fen": price, "claim_fen": claim, "excess_fen": excess, "excess_due_at": due},
        reason=reason,
        rules=["AUC-36"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="auction.in_lieu",
        actor=actor,
        reason=reason,
        rules=["AUC-36"],
        after={"party": f"party:{party.pk}", "price_fen": price, "excess_fen": excess},
    )
    if excess:
        from settlement.services import balance_due

        balance_due(
            case_id=auction.case_id,
            sale_ref=auction.sale_ref,
            payer_ref=f"party:{party.pk}",
            payer_name=party.name,
            price_fen=excess,
            deposit_applied_fen=0,
            due_at=due,
            idempotency_key=f"{auction.sale_ref}/in_lieu",
        )
    else:
        _balance_settled(auction, result, now)
    _state_changed(auction, old)
    return taking


def _balance_settled(auction: Auction, result: AuctionResult, now: dt.datetime) -> None:
    from core.deadlines import deadline_open

    days = int(setting(auction, "sale_ruling_days"))
    result.balance_paid_at = now
    result.ruling_due_at = calendar.within_days(now, days, court=auction.court_id)
    result.handover_state = AuctionResult.Handover.AWAITING_RULING
    result.save()
    deadline_open(
        rule_id="AUC-32",
        title="付清价款后十日内送达成交（抵债）裁定",
        subject=f"{_notice_subject(auction)}/ruling",
        start_event="付清价款",
        started_at=now,
        period=days,
        court=auction.court_id,
        owner=auction.case.judge if auction.case_id else None,
        owner_role="judge",
    )


@transaction.atomic
def auction_next_round_create(
    *, auction_id: int, actor: Any, starting_price_fen: int | None = None
) -> Auction:
    """After 流拍: draft the second auction (AUC-35) or, after a second 流拍, the 变卖 (AUC-37)."""
    auction = locks.auction_for_update(auction_id)
    _require_staff(actor, auction)
    if auction.state != S.UNSOLD:
        raise Conflict("not_unsold", "只有流拍后才能准备下一轮", "AUC-35")
    if auction.following.exclude(state__in=[S.WITHDRAWN]).exists():
        raise Conflict("next_round_exists", "已准备下一轮拍卖")
    now = clock.now()
    if auction.round == Auction.Round.FIRST:
        start = starting_price_fen or auction.starting_price_fen
        new = _draft_following(
            auction,
            link=Auction.Link.NEXT_ROUND,
            round_=Auction.Round.SECOND,
            now=now,
            actor=actor,
            starting_price_fen=start,
        )
    elif auction.round == Auction.Round.SECOND:
        ratio = Decimal(str(setting(auction, "sale_price_ratio_to_r2_start")))
        start = starting_price_fen or int(
            (Decimal(auction.starting_price_fen) * ratio).to_integral_value()
        )
        new = _draft_following(
            auction,
            link=Auction.Link.SALE,
            round_=Auction.Round.SALE,
            now=now,
            actor=actor,
            starting_price_fen=start,
        )
    else:
        raise Conflict("sale_failed", "变卖不成的，可以物抵债或解除查封（AUC-38）", "AUC-38")
    _stream_append(
        auction,
        action="auction.next_round",
        actor=actor,
        subject=new.ref,
        at=now,
        after={"round": new.round},
        rules=["AUC-35" if new.round == "2" else "AUC-37"],
    )
    _save_stream_head(auction)
    return new


# ---------------------------------------------------------------------------------------------
# Agents (AUC-14) and priority purchasers (AUC-19): named roles, every identity read logged
# ---------------------------------------------------------------------------------------------
def registration_identity_reveal(
    *, registration_id: int, user: Any, purpose: str
) -> dict[str, str]:
    """Identity data of one registration for an agent or priority check (REC-05: logged read).

    Returns names and numbers of the registrant, joint bidders and agent; never the code.
    """
    from core.access import reveal

    reg = Registration.objects.select_related("auction", "identity", "agent_identity").get(
        pk=registration_id
    )
    if getattr(user, "court_id", None) != reg.auction.court_id:
        raise PermissionDenied("forbidden", "仅本院人员可查看")
    subject = f"{reg.auction.ref}/registration:{reg.pk}"
    out: dict[str, str] = {}

    def show(label: str, ident) -> None:
        if ident is None:
            return
        out[f"{label}姓名"] = reveal(
            user=user,
            value=ident.name,
            subject=subject,
            field=f"{label}.name",
            purpose=purpose,
            roles=IDENTITY_READERS,
        )
        out[f"{label}证件号码"] = reveal(
            user=user,
            value=ident.number,
            subject=subject,
            field=f"{label}.number",
            purpose=purpose,
            roles=IDENTITY_READERS,
        )

    show("竞买人", reg.identity)
    for i, m in enumerate(reg.members.select_related("identity"), start=1):
        show(f"共同竞买人{i}", m.identity)
    show("代理人", reg.agent_identity)
    return out


@transaction.atomic
def registration_confirm_agent(*, registration_id: int, actor: Any) -> Registration:
    """AUC-14: the court confirms an agent, before bidding opens."""
    reg0 = Registration.objects.get(pk=registration_id)
    auction = locks.auction_for_update(reg0.auction_id)
    _require_staff(actor, auction)
    reg = Registration.objects.select_for_update().get(pk=registration_id)
    if not reg.agent_user_id:
        raise _refuse("no_agent", "该报名未委托代理人", "AUC-14")
    now = clock.now()
    if auction.start_at and now >= auction.start_at:
        raise _refuse("agent_too_late", "委托代理竞买须在竞价开始前确认", "AUC-14")
    reg.agent_confirmed_at, reg.agent_confirmed_by = now, actor
    reg.save(update_fields=["agent_confirmed_at", "agent_confirmed_by"])
    _stream_append(
        auction,
        action="registration.agent_confirmed",
        actor=actor,
        subject=f"registration:{reg.pk}",
        at=now,
        rules=["AUC-14"],
    )
    _save_stream_head(auction)
    _notify_agent(
        reg,
        auction,
        subject="法院已确认您的代理竞买",
        body=f"法院已确认您代理参加“{auction.title}”的竞买，竞价开始后可在拍卖页面出价。",
        key=f"agent_confirmed:{reg.pk}",
    )
    return reg


@transaction.atomic
def registration_confirm_priority(
    *, registration_id: int, actor: Any, holder_id: int
) -> Registration:
    """AUC-19: the court confirms a registrant as a known priority purchaser with its rank;
    the registrant then bids with a priority code of that rank."""
    reg0 = Registration.objects.get(pk=registration_id)
    auction = locks.auction_for_update(reg0.auction_id)
    _require_staff(actor, auction)
    reg = Registration.objects.select_for_update().get(pk=registration_id)
    holder = PriorityHolder.objects.filter(pk=holder_id, auction_id=auction.pk).first()
    if holder is None:
        raise _refuse("unknown_holder", "该优先购买权人不在本场拍卖的名单中", "AUC-19")
    if reg.is_priority:
        raise Conflict("already_confirmed", "已确认为优先购买权人")
    if Registration.objects.filter(auction_id=auction.pk, priority_holder_id=holder.pk).exists():
        raise Conflict("holder_taken", "该优先购买权人已对应其他报名")
    if reg.bids.exists():
        raise _refuse("already_bid", "已出价的竞买人不能再确认为优先购买权人", "AUC-19")
    now = clock.now()
    reg.is_priority, reg.priority_rank, reg.priority_holder = True, holder.rank, holder
    reg.priority_confirmed_at, reg.priority_confirmed_by = now, actor
    fields = [
        "is_priority",
        "priority_rank",
        "priority_holder",
        "priority_confirmed_at",
        "priority_confirmed_by",
    ]
    if reg.bidder_code:
        _issue_code(reg, now=now)  # a priority code of its rank replaces the ordinary one
        fields += ["bidder_code", "code_issued_at"]
    reg.save(update_fields=fields)
    _stream_append(
        auction,
        action="registration.priority_confirmed",
        actor=actor,
        subject=f"registration:{reg.pk}",
        at=now,
        after={"rank": holder.rank},
        rules=["AUC-19"],
    )
    _save_stream_head(auction)
    return reg


# ---------------------------------------------------------------------------------------------
# Other disposal routes: AUC-01 (a recorded reason for anything but online auction) and
# AUC-44 (the debtor sells the lot itself at a supervised price within a fixed period).


def disposal_route_current(*, lot_id: int) -> DisposalRoute | None:
    """The lot's active other route, if any (a lapsed self-sale no longer blocks an auction)."""
    route = (
        DisposalRoute.objects.filter(lot_id=lot_id, status=DisposalRoute.Status.ACTIVE)
        .order_by("-decided_at", "-pk")
        .first()
    )
    if (
        route is not None
        and route.route == DisposalRoute.Route.SELF_SALE
        and route.period_end_at is not None
        and route.period_end_at <= clock.now()
    ):
        return None
    return route


def _route_supersede(lot_id: int, actor: Any) -> None:
    for old in DisposalRoute.objects.select_for_update().filter(
        lot_id=lot_id, status=DisposalRoute.Status.ACTIVE
    ):
        old.status = DisposalRoute.Status.SUPERSEDED
        old.save(update_fields=["status"])


def _require_court_staff(actor: Any, court_id: int) -> None:
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.role in STAFF_ACTORS
        and actor.court_id == court_id
    ):
        raise PermissionDenied("forbidden", "仅本院法官、执行员可执行此操作")


def _lot_for_route(lot_id: int, actor: Any):
    from cases.models import Lot

    lot = Lot.objects.select_related("case").filter(pk=lot_id).first()
    if lot is None:
        raise NotFound("lot_not_found", "拍品不存在")
    _require_court_staff(actor, lot.case.court_id)
    if Auction.objects.filter(lot_id=lot_id, state__in=ROUTE_BLOCKING_STATES).exists():
        raise Conflict(
            "auction_in_progress", "该拍品有正在进行或已公告的拍卖，须先依法撤回", rule="AUC-01"
        )
    if Auction.objects.filter(lot_id=lot_id, state__in=(S.SOLD, S.IN_LIEU)).exists():
        raise Conflict("lot_already_disposed", "该拍品已拍卖成交或以物抵债", rule="AUC-01")
    return lot


#: An auction of the lot in these states is announced or under way: another route must wait
#: until it is withdrawn (a suspended or halted auction may still resume, AUC-40/41).
ROUTE_BLOCKING_STATES = (S.SCHEDULED, *OPEN_STATES, S.SUSPENDED, S.HALTED)


@transaction.atomic
def disposal_offline_record(*, lot_id: int, ground: str, reason: str, actor: Any) -> DisposalRoute:
    """AUC-01: all court sales run online; another route needs a recorded reason."""
    if ground not in (DisposalRoute.Ground.REQUIRED_BY_LAW, DisposalRoute.Ground.UNSUITABLE):
        raise DomainError(
            "offline_ground_invalid",
            "须说明理由：法律、行政法规规定须由其他途径处置，或不宜网络拍卖",
            rule="AUC-01",
        )
    if not (reason or "").strip():
        raise DomainError("reason_required", "不采用网络拍卖须记录具体理由", rule="AUC-01")
    lot = _lot_for_route(lot_id, actor)
    _route_supersede(lot_id, actor)
    route = DisposalRoute.objects.create(
        lot=lot,
        route=DisposalRoute.Route.OFFLINE,
        ground=ground,
        reason=reason.strip(),
        decided_by=actor,
        decided_at=clock.now(),
    )
    audit_record(
        stream=f"case:{lot.case_id}",
        action="disposal.offline",
        actor=actor,
        subject=f"case:{lot.case_id}/lot:{lot.pk}",
        after={"ground": ground, "reason": route.reason},
        reason=route.reason,
        rules=["AUC-01"],
    )
    return route


@transaction.atomic
def self_sale_authorize(
    *, lot_id: int, supervised_price_fen: int, days: int, reason: str, actor: Any
) -> DisposalRoute:
    """AUC-44: the court lets the debtor sell the lot itself at a supervised price in a period
    of at most ``debtor_self_sale_max_days``; the proceeds must reach the case account."""
    from core.deadlines import deadline_open

    if (
        isinstance(supervised_price_fen, bool)
        or not isinstance(supervised_price_fen, int)
        or supervised_price_fen <= 0
    ):
        raise DomainError("invalid_amount", "监督价须为正数", rule="AUC-44")
    lot = _lot_for_route(lot_id, actor)
    max_days = int(get_setting("debtor_self_sale_max_days", court=lot.case.court_id))
    if not isinstance(days, int) or days < 1 or days > max_days:
        raise DomainError(
            "self_sale_period_invalid", f"自行处置期限须为 1 至 {max_days} 日", rule="AUC-44"
        )
    if not (reason or "").strip():
        raise DomainError("reason_required", "准许自行处置须记录理由", rule="AUC-01")
    now = clock.now()
    _route_supersede(lot_id, actor)
    route = DisposalRoute.objects.create(
        lot=lot,
        route=DisposalRoute.Route.SELF_SALE,
        ground=DisposalRoute.Ground.SELF_SALE,
        reason=reason.strip(),
        supervised_price_fen=supervised_price_fen,
        period_end_at=calendar.within_days(now, days, court=lot.case.court_id),
        decided_by=actor,
        decided_at=now,
    )
    deadline_open(
        rule_id="AUC-44",
        title="被执行人自行处置期限",
        subject=f"case:{lot.case_id}/lot:{lot.pk}/self_sale:{route.pk}",
        start_event="self_sale_authorized",
        started_at=now,
        period=days,
        court=lot.case.court_id,
        owner=lot.case.judge,
        owner_role=Role.JUDGE,
        actor=actor,
    )
    audit_record(
        stream=f"case:{lot.case_id}",
        action="disposal.self_sale_authorized",
        actor=actor,
        subject=f"case:{lot.case_id}/lot:{lot.pk}",
        after={
            "supervised_price_fen": supervised_price_fen,
            "days": days,
            "period_end_at": route.period_end_at.isoformat(),
        },
        reason=route.reason,
        rules=["AUC-44"],
    )
    return route


@transaction.atomic
def self_sale_complete(*, route_id: int, receipt_id: int, actor: Any) -> DisposalRoute:
    """AUC-44: the debtor's sale is done when its proceeds, at least the supervised price,
    have arrived in this case's account (a settlement receipt matched to the case)."""
    from core.deadlines import deadline_close
    from settlement.models import Receipt

    route = (
        DisposalRoute.objects.select_for_update()
        .select_related("lot__case")
        .filter(pk=route_id)
        .first()
    )
    if route is None or route.route != DisposalRoute.Route.SELF_SALE:
        raise NotFound("self_sale_not_found", "自行处置记录不存在")
    case = route.lot.case
    _require_court_staff(actor, case.court_id)
    if route.status != DisposalRoute.Status.ACTIVE:
        raise Conflict("self_sale_not_active", "该自行处置已结束", rule="AUC-44")
    receipt = Receipt.objects.filter(pk=receipt_id, case_id=case.pk).first()
    if receipt is None:
        raise DomainError(
            "proceeds_not_in_case_account", "处置款须进入本案执行款账户", rule="AUC-44"
        )
    if receipt.received_at < route.decided_at or (
        route.period_end_at is not None and receipt.received_at > route.period_end_at
    ):
        raise DomainError(
            "proceeds_outside_period", "处置款须在准许自行处置后、处置期限内到账", rule="AUC-44"
        )
    if DisposalRoute.objects.filter(proceeds_receipt_id=receipt.pk).exists():
        raise Conflict("receipt_already_used", "该笔到账已作为其他处置的价款登记", rule="AUC-44")
    if receipt.amount_fen < (route.supervised_price_fen or 0):
        raise DomainError("below_supervised_price", "处置价款低于法院监督价", rule="AUC-44")
    route.status = DisposalRoute.Status.COMPLETED
    route.proceeds_fen = receipt.amount_fen
    route.proceeds_receipt_id = receipt.pk
    route.save(update_fields=["status", "proceeds_fen", "proceeds_receipt_id"])
    deadline_close(
        subject=f"case:{case.pk}/lot:{route.lot_id}/self_sale:{route.pk}",
        rule_id="AUC-44",
        actor=actor,
    )
    audit_record(
        stream=f"case:{case.pk}",
        action="disposal.self_sale_completed",
        actor=actor,
        subject=f"case:{case.pk}/lot:{route.lot_id}",
        after={"proceeds_fen": receipt.amount_fen, "receipt": receipt.pk},
        rules=["AUC-44"],
    )
    return route
