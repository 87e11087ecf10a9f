"""What every bidding service shares: the auction's audit stream, the published settings,
bidder codes and passwords (AUC-17), refusals, the staff check and notices.

Each service is keyword-only, runs in one transaction, writes its audit entry in that
transaction (stream ``auction:<id>``, or ``practice:<id>`` for practice auctions, plus the
case stream for case-level facts) and raises ``DomainError`` with a stable code, a Chinese
message and the rule it enforces. Informing events go out after commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from django_fsm import FSMField, can_proceed

from bidding import locks
from bidding.events import AuctionStateChanged
from bidding.models import Auction, AuctionState, Registration
from core import calendar
from core.audit import audit_append, audit_entry_next, audit_record, audit_stream_head
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.events import publish_on_commit
from core.fsm import fire, require_allowed
from core.models import AuditEntry, Role, User
from core.notifications.text import Message
from core.permissions import is_court_staff_of
from core.rulesettings import SPECS, get_setting, settings_snapshot
from core.types import Actor

if TYPE_CHECKING:
    from cases.models import Case, Lot, Party

log = logging.getLogger("gavel.bidding")

S = AuctionState

#: AUC-23 is a constant, never a setting: 5 minutes, uncapped.
EXTENSION = dt.timedelta(minutes=5)

STAFF_ACTORS = frozenset({Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD})

#: Roles that may read bidder identities for agent and priority checks (REC-05), every read logged.
IDENTITY_READERS = frozenset({Role.JUDGE, Role.OFFICER})
#: A buyer (or a creditor taking the lot in lieu, AUC-36) owes or has paid the price.
BOUGHT_STATES = (S.SOLD, S.IN_LIEU)

#: Who calls a bidder's service: a signed-in person, or an anonymous visitor (refused).
Caller: TypeAlias = User | AnonymousUser


# ---- the state machine (AUC-03) ---------------------------------------------------------------
# Which move is allowed from which state is declared once, on the model (``Auction``'s
# django-fsm transitions). Services ask the machine and never re-list source states.


def _fire(transition: Callable[[], None], *, code: str, message: str, rule: str = "AUC-03") -> None:
    """Move the auction through one declared transition (``_fire(auction.suspend, …)``), or
    refuse with a ``Conflict`` (409) carrying ``code`` and ``rule`` when the state machine does
    not allow it from the current state (``TransitionNotAllowed``)."""
    fire(transition, Conflict(code, message, rule))


def _require_transition(
    transition: Callable[[], None], *, code: str, message: str, rule: str = "AUC-03"
) -> None:
    """Refuse, before any other check or write, what ``_fire`` would refuse later."""
    require_allowed(transition, Conflict(code, message, rule))


def _bidding_open(auction: Auction) -> bool:
    """Bids are taken where a bid may extend the auction (AUC-23, ``Auction.extend``)."""
    return bool(can_proceed(auction.extend))


def _scheduled(auction: Auction) -> bool:
    """Announced, bidding not started: the clock (or a bid after the start) opens it."""
    return bool(can_proceed(auction.open))


@functools.cache
def _states_before_bidding() -> frozenset[str]:
    """The states from which the machine can still reach bidding (draft, scheduled, suspended,
    halted): a bid there is "not open yet", elsewhere "ended"."""
    state = Auction._meta.get_field("state")
    assert isinstance(state, FSMField)
    edges = {(str(t.source), str(t.target)) for t in state.get_all_transitions(Auction)}
    reach = {str(S.BIDDING)}
    while True:
        more = {source for source, target in edges if target in reach} - reach
        if not more:
            return frozenset(reach - {str(S.BIDDING), str(S.EXTENDED)})
        reach |= more


#: Where ``_stream_append(defer=True)`` queues entries on the auction object.
_DEFERRED_AUDIT = "_deferred_audit"


def _stream_append(
    auction: Auction,
    *,
    action: str,
    actor: Actor = None,
    actor_label: str | None = None,
    subject: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rules: tuple[str, ...] | list[str] = (),
    at: dt.datetime | None = None,
    defer: bool = False,
) -> AuditEntry:
    """Append to the auction's own stream while its row is locked (core's fast append).

    The stream (``auction:<id>`` / ``practice:<id>``) is only ever written under the auction
    row lock, so its head is mirrored on the row (``stream_seq``, ``stream_hash``): the entry
    is built on the mirror with no query and written with one compare-and-set of the head and
    one insert (``core.audit.audit_append``), instead of core's lock + insert + update. If the
    mirror is stale (someone wrote the stream elsewhere), core re-links the entry after the
    real head. The caller saves the mirror with the row.

    ``defer`` (the bid path): build the entry but write nothing yet; it is queued on the
    auction object and written with the bid, in the same statement, by ``bidwrite.write_bids``.
    """
    entry = audit_entry_next(
        stream=auction.stream,
        last_seq=auction.stream_seq,
        last_hash=auction.stream_hash,
        action=action,
        actor=actor,
        actor_label=actor_label,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
        rules=rules,
        at=at,
    )
    if defer:
        auction.__dict__.setdefault(_DEFERRED_AUDIT, []).append(entry)
    else:
        entry = audit_append(entry)
    auction.stream_seq, auction.stream_hash = entry.seq, entry.hash
    return entry


def _deferred_entries(auction: Auction) -> list[AuditEntry]:
    """The entries ``_stream_append(defer=True)`` queued on this auction object (taken off)."""
    entries: list[AuditEntry] = auction.__dict__.pop(_DEFERRED_AUDIT, [])
    return entries


def _stream_mirror_resync(auction_id: int) -> None:
    """Set the auction row's mirror of its stream head from the real head (after ``StreamMoved``)."""
    with transaction.atomic():
        auction = locks.auction_for_update(auction_id)
        head = audit_stream_head(auction.stream)
        if head is not None:
            auction.stream_seq, auction.stream_hash = head
            _save_stream_head(auction)


def _save_stream_head(auction: Auction) -> None:
    Auction.objects.filter(pk=auction.pk).update(
        stream_seq=auction.stream_seq, stream_hash=auction.stream_hash
    )


def _case_audit(auction: Auction, **kw: Any) -> None:
    """Case-level facts (publication, outcome, default) also go into the case's stream."""
    if auction.is_practice or not auction.case_id:
        return

    audit_record(stream=f"case:{auction.case_id}", subject=auction.ref, **kw)


def _state_changed(auction: Auction, old: str) -> None:
    if old != auction.state:
        publish_on_commit(AuctionStateChanged(auction_id=auction.pk, old=old, new=auction.state))


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


# ---- bidder codes and bidding passwords (AUC-17) ---------------------------------------------
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
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
    raise Conflict("code_exhausted", gettext("竞买号生成失败，请重试"))


def _hash_password(password: str) -> str:
    """The bidding password, hashed exactly as account passwords are (``make_password``: the
    first of ``PASSWORD_HASHERS`` at Django's full work factor; issue 15). Verifying it costs
    as much as a sign-in, so it is verified once — when the bidder unlocks bidding
    (``registration_unlock``) or on the first bid a process sees — never on every bid."""
    return make_password(password)


def _password_ok(reg: Registration, password: str | None) -> bool:
    """Check the bidding password; a verified (registration, password) pair is remembered
    in this process as a keyed digest, so the full hash runs once, not on every bid.

    A full check is refused after ``GAVEL_BIDDING_PASSWORD_FAILURES`` wrong passwords within
    ``GAVEL_BIDDING_PASSWORD_LOCK_SECONDS`` (``password_attempts_exceeded``, 429): each costs
    as much as a sign-in, and guessing must stay slow. A hash made with weaker settings is
    re-hashed at full strength when it verifies."""
    if not reg.password_hash or not password:
        return False
    key = (reg.pk, reg.password_hash)
    digest = hmac.new(_pw_key, password.encode("utf-8"), hashlib.sha256).digest()
    known = _pw_ok.get(key)
    if known is not None:
        return hmac.compare_digest(known, digest)
    _password_attempts_check(reg)
    if not check_password(password, reg.password_hash, setter=_rehash_setter(reg)):
        _password_failure(reg)
        return False
    key = (reg.pk, reg.password_hash)
    if len(_pw_ok) > 50_000:
        _pw_ok.clear()
        _pw_by_reg.clear()
    _pw_ok[key] = digest
    _pw_by_reg[reg.pk] = digest
    return True


def _rehash_setter(reg: Registration) -> Callable[[str], None]:
    def rehash(password: str) -> None:
        reg.password_hash = make_password(password)
        Registration.objects.filter(pk=reg.pk).update(password_hash=reg.password_hash)

    return rehash


def _failures_key(reg: Registration) -> str:
    """Per registration and password (a new password starts afresh); the hash's digest keeps
    keys of another database with the same ids apart."""
    salt = hashlib.sha256(reg.password_hash.encode()).hexdigest()[:16]
    return f"gavel:bidding:password-failures:{reg.pk}:{salt}"


def _password_attempts_check(reg: Registration) -> None:
    from django.core.cache import cache

    try:
        failures = int(cache.get(_failures_key(reg)) or 0)
    except Exception:  # the cache (Redis) is down: never stop bidding for it
        log.warning("bidding password attempts not checked: cache unreachable", exc_info=True)
        return
    if failures >= int(settings.GAVEL_BIDDING_PASSWORD_FAILURES):
        minutes = max(1, round(int(settings.GAVEL_BIDDING_PASSWORD_LOCK_SECONDS) / 60))
        raise DomainError(
            "password_attempts_exceeded",
            gettext("竞价密码错误次数过多，请 %(minutes)s 分钟后再试") % {"minutes": minutes},
            "AUC-17",
            status=429,
        )


def _password_failure(reg: Registration) -> None:
    from django.core.cache import cache

    key, ttl = _failures_key(reg), int(settings.GAVEL_BIDDING_PASSWORD_LOCK_SECONDS)
    try:
        if not cache.add(key, 1, ttl):
            cache.incr(key)
    except Exception:
        log.warning("bidding password failure not counted: cache unreachable", exc_info=True)


def _unlock_token(reg: Registration) -> str:
    """Proof that the bidder verified the bidding password of ``reg`` (``registration_unlock``):
    a keyed digest of the registration and its current hash, so setting a new password
    locks every unlocked session again. Kept server-side (the session), never shown."""
    return salted_hmac(
        "gavel.bidding.unlock", f"{reg.pk}:{reg.password_hash}", algorithm="sha256"
    ).hexdigest()


def _unlock_ok(reg: Registration, token: str | None) -> bool:
    return bool(token and reg.password_hash) and constant_time_compare(
        str(token), _unlock_token(reg)
    )


def unlock_session_key(auction_id: int) -> str:
    """Where a session keeps its unlock token for one auction."""
    return f"gavel_bidding_unlock_{auction_id}"


def _password_known(registration_id: int, password: str | None) -> bool:
    """Whether this process has already verified ``password`` for the registration (no query).

    Only a shortcut to skip the lookup before the lock: the registration read under the lock
    is checked again by ``_password_ok`` (its stored hash is part of that key)."""
    known = _pw_by_reg.get(registration_id)
    if known is None or not password:
        return False
    digest = hmac.new(_pw_key, password.encode("utf-8"), hashlib.sha256).digest()
    return hmac.compare_digest(known, digest)


def _refuse(code: str, message: str, rule: str | None = None, **data: Any) -> DomainError:
    return DomainError(code, message, rule=rule, **data)


def _outstanding_claim_fen(party: Party) -> int:
    """What the case still owes this creditor (AUC-18): its claim less what approved
    distributions already gave it (a creditor paid part of its claim from an earlier sale is
    exempt only from what is still owed)."""
    from settlement.services import paid_to_creditor_fen

    claim = party.claim_fen if party.claim_fen is not None else party.case.claim_fen
    return max(0, int(claim or 0) - paid_to_creditor_fen(party.pk))


def _notify_agent(
    reg: Registration, auction: Auction, *, subject: Message, body: Message, key: str
) -> None:
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
    """A house under purchase restrictions is among the lot's assets (AUC-13)."""
    lot = auction.lot
    return lot is not None and lot.assets.filter(purchase_restricted=True).exists()


def _lot_asset_ids(auction: Auction) -> list[int]:
    lot = auction.lot
    if lot is None:
        return []
    return list(lot.assets.order_by("pk").values_list("pk", flat=True))


def _case_of(auction: Auction) -> Case:
    """The case of a court auction (a practice auction has none and never asks)."""
    if auction.case is None:
        raise NotFound("case_not_found", gettext("案件不存在"))
    return auction.case


def _lot_of(auction: Auction) -> Lot:
    """The lot of a court auction (a practice auction has none and never asks)."""
    if auction.lot is None:
        raise NotFound("lot_not_found", gettext("拍品不存在"))
    return auction.lot


def _case_id(auction: Auction) -> int:
    """The case id of a court auction (a practice auction has none and never asks)."""
    if auction.case_id is None:
        raise NotFound("case_not_found", gettext("案件不存在"))
    return auction.case_id


def _cst(value: dt.datetime | None, fmt: str) -> str:
    """A time as Beijing time in ``fmt`` for a notice ("" when there is none)."""
    return "" if value is None else value.astimezone(calendar.CST).strftime(fmt)


def _cst_date(value: dt.datetime | None) -> dt.date | str:
    """The Beijing day of ``value`` for a notification (written in the reader's language)."""
    return "" if value is None else value.astimezone(calendar.CST).date()


def _case_judge(auction: Auction) -> User | None:
    """The case's judge, who owns the auction's deadlines (none for a practice auction)."""
    return auction.case.judge if auction.case is not None else None


def _parties_users(auction: Auction) -> list[User]:
    if not auction.case_id:
        return []
    from cases.models import Party

    users: list[User] = []
    for p in Party.objects.filter(
        case_id=auction.case_id, role__in=["creditor", "debtor"]
    ).select_related("user"):
        if p.user is not None and p.user not in users:
            users.append(p.user)
    return users


def _notify_many(
    users: list[User],
    *,
    topic: str,
    subject: Message,
    body: Message,
    key: str,
    link: str = "",
    court: int | None = None,
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


def _require_staff(actor: Actor | AnonymousUser, auction: Auction) -> User:
    """Court actions: judges, officers and bureau heads of the auction's own court; on a
    practice auction, its owner. Returns the person, who is then recorded as the decider."""
    if auction.is_practice:
        if actor is None or not actor.is_authenticated or actor.pk != auction.practice_owner_id:
            raise PermissionDenied("forbidden", gettext("无权执行此操作"))
        return actor
    if (
        actor is None
        or not actor.is_authenticated
        or not is_court_staff_of(actor, auction.court_id, roles=STAFF_ACTORS)
    ):
        raise PermissionDenied("forbidden", gettext("仅本院法官、执行员可执行此操作"))
    return actor


def _notice_subject(auction: Auction) -> str:
    return f"case:{auction.case_id}/auction:{auction.pk}"


def _titled_text(auction: Auction) -> Message:
    """``_titled`` for a notification: the round in the reader's language."""
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from core.notifications import text

    with translation.override("zh-hans"):  # demo titles carry the round in Chinese
        if auction.title.endswith(f"（{auction.get_round_display()}）"):
            return auction.title
    return text(
        gettext_lazy("%(title)s（%(round)s）"), title=auction.title, round=auction.get_round_display
    )


def _titled(auction: Auction) -> str:
    """The title with its round, said once: "某房产（一拍）" (demo titles already carry it)."""
    label = f"（{auction.get_round_display()}）"
    return auction.title if auction.title.endswith(label) else f"{auction.title}{label}"


def _require_court_staff(actor: Actor | AnonymousUser, court_id: int) -> User:
    """A judge, officer or bureau head of this court (returned, to be recorded as the decider)."""
    if (
        actor is None
        or not actor.is_authenticated
        or not is_court_staff_of(actor, court_id, roles=STAFF_ACTORS)
    ):
        raise PermissionDenied("forbidden", gettext("仅本院法官、执行员可执行此操作"))
    return actor


def receipt_grace() -> dt.timedelta:
    """AUC-24: the close waits this long after the end for bids received before it
    (``GAVEL_BID_RECEIPT_GRACE_MS``); a receipt time older than this at the lock is not trusted."""
    from django.conf import settings

    return dt.timedelta(milliseconds=int(settings.GAVEL_BID_RECEIPT_GRACE_MS))


def price_lapsed_assets(auction: Auction, start_at: dt.datetime | None = None) -> list[str]:
    """PRC-11: the lot's assets whose reference price (with its 6-month grace, opened by the
    announcement) is no longer usable when bidding starts; empty for a practice auction."""
    from pricing.services import reference_price_usable_until

    start_at = start_at or auction.start_at
    if auction.is_practice or auction.lot_id is None or start_at is None:
        return []
    lapsed = []
    for asset in _lot_of(auction).assets.order_by("pk"):
        until = reference_price_usable_until(asset_id=asset.pk)
        if until is not None and start_at > until:
            lapsed.append(asset.name)
    return lapsed
