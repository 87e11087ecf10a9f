"""Append to and verify the audit trail (REC-06..08).

``audit_record`` must run inside the caller's transaction, so the entry commits or rolls
back with the change it records. Each stream is its own hash chain; appending locks only the
stream's head row.

The chain is keyed: each entry's ``hash`` is an HMAC-SHA256 under the key ``GAVEL_AUDIT_KEY``
(kept outside the database; its id is stored with the entry so keys can rotate), and each
stream's head (``AuditStream``: last number and hash) carries its own HMAC, so someone who can
write the database but has not the key can neither edit an entry and recompute the chain nor
cut a stream's tail and move its head back. ``audit_anchor`` records every head, signed, in
``AuditAnchor`` and in a file to publish: ``audit_verify`` checks the chains, the heads and
the latest anchors, so even a rewrite with a stolen key is found if it touches anything
anchored. docs/core.md "Audit".

The fast append, for a caller that already serialises the writes of one stream (bidding: the
stream ``auction:<id>`` is only written under the auction's row lock) and keeps its own copy of
the stream's head (docs/core.md "The fast append"):

- ``audit_entry_next`` builds the entry after a known head, hashed and unsaved (no query);
- ``audit_append`` writes it: one compare-and-set of the head and one insert; if the head had
  moved, the entry is re-linked after the real head;
- ``audit_append_many`` writes a chain of such entries with one compare-and-set;
- ``audit_append_sql`` gives the same write as parts of the caller's own PostgreSQL statement
  (data-modifying CTEs), so a write and its audit entries are one round trip.

The last two raise ``StreamMoved`` when the head was not where the entries expect it: the
caller rolls back, re-reads the head (``audit_stream_head``) and retries. Only this module
writes ``core_auditentry`` and ``core_auditstream``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils.translation import gettext as _

from core import clock
from core.models import AuditAnchor, AuditEntry, AuditStream
from core.types import Actor

GENESIS = "0" * 64
#: The unique (stream, seq) constraint: a second entry with a taken number means the head moved.
AUDIT_SEQ_CONSTRAINT = "core_audit_stream_seq"


class StreamMoved(Exception):
    """The stream's head was not where the caller's copy said: roll back, re-read, retry."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.stream = stream


class UnknownAuditKey(KeyError):
    """An entry, head or anchor names a key id this process does not hold."""


@dataclass(frozen=True)
class _Keyring:
    current_id: str
    #: An HMAC-SHA256 per key id with the key already absorbed: ``.copy()`` per use is the
    #: cheapest keyed hash (the bid path hashes each entry and the head).
    primed: dict[str, Any]
    #: The setting objects it was built from (compared by identity: cheap on every append).
    source: tuple[object, object, object]


_ring: list[_Keyring] = []


def _keyring() -> _Keyring:
    """The current key and the retired ones, from the settings (tests may override them)."""
    key, key_id, retired = (
        settings.GAVEL_AUDIT_KEY,
        settings.GAVEL_AUDIT_KEY_ID,
        settings.GAVEL_AUDIT_RETIRED_KEYS,
    )
    if _ring:
        was = _ring[0].source
        if was[0] is key and was[1] is key_id and was[2] is retired:
            return _ring[0]
    if not key or not key_id or len(key_id) > 32:
        raise ImproperlyConfigured("set GAVEL_AUDIT_KEY and GAVEL_AUDIT_KEY_ID (1-32 characters)")
    keys = {k: v.encode() for k, v in settings.GAVEL_AUDIT_RETIRED_KEYS.items() if k and v}
    keys[key_id] = key.encode()
    primed = {k: hmac.new(v, digestmod=hashlib.sha256) for k, v in keys.items()}
    _ring[:] = [_Keyring(key_id, primed, (key, key_id, retired))]
    return _ring[0]


def require_key() -> None:
    """Refuse to run without a real key: with ``DEBUG`` off, ``GAVEL_AUDIT_KEY`` must hold
    32+ characters (the web process and the worker call this at start)."""
    if not settings.DEBUG and len(settings.GAVEL_AUDIT_KEY) < 32:
        raise ImproperlyConfigured("set GAVEL_AUDIT_KEY (32+ characters) when DEBUG is off")
    _keyring()


def current_key_id() -> str:
    return _keyring().current_id


def _mac(key_id: str | None, text: str) -> str:
    ring = _keyring()
    primed = ring.primed.get(ring.current_id if key_id is None else key_id)
    if primed is None:
        raise UnknownAuditKey(key_id)
    mac = primed.copy()
    mac.update(text.encode("utf-8"))
    return str(mac.hexdigest())


def head_mac(name: str, last_seq: int, last_hash: str, *, key_id: str | None = None) -> str:
    """The HMAC of a stream's head: ``(name, last_seq, last_hash)`` under ``key_id``
    (``None``: the current key). ``last_hash`` as stored ("" for an empty stream)."""
    return _mac(key_id, f"head\n{name}\n{last_seq}\n{last_hash}")


def _head_fields(name: str, last_seq: int, last_hash: str) -> dict[str, Any]:
    key_id = current_key_id()
    return {
        "last_seq": last_seq,
        "last_hash": last_hash,
        "mac": head_mac(name, last_seq, last_hash, key_id=key_id),
        "key_id": key_id,
    }


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False))


def entry_hash(
    *,
    prev_hash: str,
    stream: str,
    seq: int,
    at_iso: str,
    actor_id: int | None,
    actor_label: str,
    actor_role: str,
    action: str,
    subject: str,
    before: Any,
    after: Any,
    reason: str,
    rule_ids: str,
    key_id: str | None = None,
) -> str:
    """The entry's HMAC-SHA256 under the key ``key_id`` (``None``: the current key), over
    its content, its place (stream, number, previous hash) and the key id itself."""
    ring_id = current_key_id() if key_id is None else key_id
    payload = json.dumps(
        [
            ring_id,
            prev_hash,
            stream,
            seq,
            at_iso,
            actor_id,
            actor_label,
            actor_role,
            action,
            subject,
            before,
            after,
            reason,
            rule_ids,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return _mac(ring_id, payload)


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        prev_hash=entry.prev_hash,
        stream=entry.stream,
        seq=entry.seq,
        at_iso=entry.at.isoformat(timespec="microseconds"),
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        actor_role=entry.actor_role,
        action=entry.action,
        subject=entry.subject,
        before=entry.before,
        after=entry.after,
        reason=entry.reason,
        rule_ids=entry.rule_ids,
        key_id=entry.key_id,
    )


def _require_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must run inside the transaction of the change it records")


def _lock_head(stream: str) -> tuple[int, str]:
    """Lock this stream's head row (creating it if new) and return (next seq, previous hash).

    Appending locks only the stream's own head (never one global chain). On PostgreSQL this is
    one statement: an upsert whose conflict branch takes the row lock and returns the head.
    """
    connection = transaction.get_connection()
    empty = _head_fields(stream, 0, "")
    if connection.vendor == "postgresql":
        table = AuditStream._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" (name, last_seq, last_hash, mac, key_id) '
                "VALUES (%s, 0, %s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET last_seq = "
                f'"{table}".last_seq RETURNING last_seq, last_hash',
                [stream, "", empty["mac"], empty["key_id"]],
            )
            last_seq, last_hash = cursor.fetchone()
        return int(last_seq) + 1, last_hash or GENESIS
    AuditStream.objects.get_or_create(name=stream, defaults=empty)
    head = AuditStream.objects.select_for_update().get(pk=stream)
    return head.last_seq + 1, head.last_hash or GENESIS


def audit_entry_next(
    *,
    stream: str,
    last_seq: int,
    last_hash: str,
    action: str,
    actor: Actor = None,
    actor_label: str | None = None,
    subject: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rules: Iterable[str] = (),
    at: dt.datetime | None = None,
) -> AuditEntry:
    """The entry that follows the head ``(last_seq, last_hash)`` of ``stream``: hashed, not saved,
    no query. ``last_hash`` "" stands for the empty stream's genesis.

    ``actor`` ``None`` is the system; ``actor_label`` names the actor otherwise than
    ``str(actor)`` (bidding records a bid under the bidder's code, never the person: REC-05).
    """
    # Stored and reloaded as UTC: hash the UTC form, so verification recomputes the same text.
    when = (at or clock.now()).astimezone(dt.UTC)
    actor_obj = actor if getattr(actor, "pk", None) else None
    label = str(actor) if actor is not None else "system"
    if actor_label is not None:
        label = actor_label
    entry = AuditEntry(
        stream=stream,
        seq=last_seq + 1,
        at=when,
        actor=actor_obj,
        actor_label=label[:150],
        actor_role=getattr(actor, "role", "") or ("" if actor_obj else "system"),
        action=action,
        subject=subject,
        before=_canonical(before),
        after=_canonical(after),
        reason=reason or "",
        rule_ids=",".join(rules),
        prev_hash=last_hash or GENESIS,
        hash="",
        key_id=current_key_id(),
    )
    entry.hash = _hash_of(entry)
    return entry


def _relink(entry: AuditEntry, *, last_seq: int, last_hash: str) -> None:
    entry.seq, entry.prev_hash = last_seq + 1, last_hash or GENESIS
    entry.key_id = current_key_id()
    entry.hash = _hash_of(entry)


def _ensure_stream(stream: str, head_was: int) -> None:
    """A compare-and-set needs the head row: create it before a stream's first entry."""
    if head_was == 0:
        AuditStream.objects.get_or_create(name=stream, defaults=_head_fields(stream, 0, ""))


def _stored_prev(entry: AuditEntry) -> str:
    """The head's ``last_hash`` as stored when ``entry`` is next: "" before a first entry."""
    return "" if entry.seq == 1 else entry.prev_hash


def _check_chain(entries: Sequence[AuditEntry]) -> None:
    first = entries[0]
    for prev, entry in pairwise(entries):
        if (entry.stream, entry.seq, entry.prev_hash) != (first.stream, prev.seq + 1, prev.hash):
            raise ValueError("audit entries to append must be one chain of one stream")


def audit_append(entry: AuditEntry) -> AuditEntry:
    """Write an entry built by ``audit_entry_next``, inside the caller's transaction: one
    compare-and-set of the stream's head (from ``entry.seq - 1`` to the entry) and one insert.

    If the head was elsewhere (the stream was written by someone else), the entry is re-linked
    after the real head, which is locked for it. Returns the entry as written: the caller takes
    its ``seq`` and ``hash`` as its new copy of the head.
    """
    _require_transaction("audit_append")
    head_was = entry.seq - 1
    _ensure_stream(entry.stream, head_was)
    heads = AuditStream.objects.filter(name=entry.stream)
    # The head must be where the entry expects it, number and hash (a stale copy of the
    # hash would chain the entry to the wrong predecessor).
    expected = heads.filter(last_seq=head_was, last_hash=_stored_prev(entry))
    if not expected.update(**_head_fields(entry.stream, entry.seq, entry.hash)):
        head = AuditStream.objects.select_for_update().get(name=entry.stream)
        _relink(entry, last_seq=head.last_seq, last_hash=head.last_hash)
        heads.update(**_head_fields(entry.stream, entry.seq, entry.hash))
    entry.save(force_insert=True)
    return entry


def audit_append_many(entries: Sequence[AuditEntry]) -> None:
    """Write a chain of entries built by ``audit_entry_next`` (each after the one before) with
    one compare-and-set of the head and one insert; raises ``StreamMoved`` (nothing written)
    if the head was not at ``entries[0].seq - 1``."""
    if not entries:
        return
    _require_transaction("audit_append_many")
    _check_chain(entries)
    first, last = entries[0], entries[-1]
    _ensure_stream(first.stream, first.seq - 1)
    moved = AuditStream.objects.filter(
        name=first.stream, last_seq=first.seq - 1, last_hash=_stored_prev(first)
    ).update(**_head_fields(first.stream, last.seq, last.hash))
    if not moved:
        raise StreamMoved(first.stream)
    AuditEntry.objects.bulk_create(entries)


#: The INSERT of audit entries per database alias: the statement's head, one row's
#: placeholders, and the fields in column order (built once: Django's insert compiler costs
#: more than the statement on the bid path).
_insert_cache: dict[str, tuple[str, str, list[Any]]] = {}


def _entries_insert(
    entries: Sequence[AuditEntry], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    cached = _insert_cache.get(connection.alias)
    if cached is None:
        qn = connection.ops.quote_name
        fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(qn(f.column) for f in fields)
        head = f"INSERT INTO {qn(AuditEntry._meta.db_table)} ({columns}) VALUES "
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        cached = _insert_cache[connection.alias] = (head, row, fields)
    head, row, fields = cached
    params: list[Any] = []
    for entry in entries:
        # Each value as the ORM's insert prepares it (pre_save, then get_db_prep_save).
        params += [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in fields]
    return head + ", ".join([row] * len(entries)), params


@dataclass(frozen=True)
class AuditAppendSQL:
    """An append as parts of the caller's own PostgreSQL statement (``audit_append_sql``).

    ``ctes`` goes into the caller's ``WITH`` list (empty when there is nothing to append),
    ``params`` at that place in its parameters, ``moved`` into its ``SELECT`` list (1 when the
    head moved as the entries expect, 0 when it was elsewhere). Run the statement inside
    ``guard()`` and pass the selected value to ``check``: both raise ``StreamMoved``.
    """

    stream: str
    ctes: str
    params: list[Any] = field(default_factory=list)
    moved: str = "1"

    @contextmanager
    def guard(self) -> Iterator[None]:
        """An entry whose number another writer took breaks the unique (stream, seq): moved."""
        try:
            yield
        except IntegrityError as exc:
            if AUDIT_SEQ_CONSTRAINT in str(exc):
                raise StreamMoved(self.stream) from exc
            raise

    def check(self, moved: Any) -> None:
        if not moved:
            raise StreamMoved(self.stream)


def audit_append_sql(
    entries: Sequence[AuditEntry], *, connection: BaseDatabaseWrapper
) -> AuditAppendSQL:
    """The SQL of ``audit_append_many(entries)`` for one statement of the caller's: the insert
    of the entries and the compare-and-set of the head as two data-modifying CTEs
    (``core_audit_entries``, ``core_audit_head``). PostgreSQL only; inside the caller's
    transaction. The caller's statement must not otherwise touch core's tables::

        audit = audit_append_sql(entries, connection=connection)
        sql = f"WITH mine AS (...), {audit.ctes} SELECT {audit.moved}"
        with audit.guard():
            cursor.execute(sql, [*my_params, *audit.params])
        audit.check(cursor.fetchone()[0])
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("audit_append_sql builds PostgreSQL statements; use audit_append_many")
    if not entries:
        return AuditAppendSQL(stream="", ctes="")
    _require_transaction("audit_append_sql")
    _check_chain(entries)
    first, last = entries[0], entries[-1]
    _ensure_stream(first.stream, first.seq - 1)
    insert, params = _entries_insert(entries, connection)
    qn = connection.ops.quote_name
    head = qn(AuditStream._meta.db_table)
    ctes = (
        f"core_audit_entries AS ({insert}), "
        f'core_audit_head AS (UPDATE {head} SET "last_seq" = %s, "last_hash" = %s, '
        '"mac" = %s, "key_id" = %s '
        'WHERE "name" = %s AND "last_seq" = %s AND "last_hash" = %s RETURNING 1)'
    )
    new_head = _head_fields(first.stream, last.seq, last.hash)
    params += [last.seq, last.hash, new_head["mac"], new_head["key_id"]]
    params += [first.stream, first.seq - 1, _stored_prev(first)]
    return AuditAppendSQL(
        stream=first.stream,
        ctes=ctes,
        params=params,
        moved="(SELECT count(*) FROM core_audit_head)",
    )


def audit_heads_lock(streams: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Lock the heads of several streams at once (creating those with no entry yet) and return
    each one's ``(last_seq, last_hash)`` ("" for an empty stream), for ``audit_entry_next``.

    On PostgreSQL one statement (``_lock_head``'s upsert, one row per stream), the heads taken in
    name order, so two writers locking overlapping sets (two clocks closing auctions of one
    case) wait for each other instead of deadlocking. Inside the caller's transaction."""
    _require_transaction("audit_heads_lock")
    names = sorted(set(streams))
    if not names:
        return {}
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        out = {}
        for name in names:
            seq, prev = _lock_head(name)
            out[name] = (seq - 1, "" if seq == 1 else prev)
        return out
    table = AuditStream._meta.db_table
    rows, params = [], []
    for name in names:
        empty = _head_fields(name, 0, "")
        rows.append("(%s, 0, %s, %s, %s)")
        params += [name, "", empty["mac"], empty["key_id"]]
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" (name, last_seq, last_hash, mac, key_id) '
            f"VALUES {', '.join(rows)} "
            f'ON CONFLICT (name) DO UPDATE SET last_seq = "{table}".last_seq '
            "RETURNING name, last_seq, last_hash",
            params,
        )
        return {str(n): (int(seq), str(h or "")) for n, seq, h in cursor.fetchall()}


def audit_append_chains(chains: Sequence[Sequence[AuditEntry]]) -> None:
    """Write the chains of several streams at once (each chain built by ``audit_entry_next``
    after its stream's head, as ``audit_append_many``): on PostgreSQL one compare-and-set of
    every head and one insert of every entry, whatever the number of streams (the clock's
    batch of closes, issue 18). Raises ``StreamMoved`` if any head was not where its chain
    expects it; the caller's transaction (or savepoint) must then roll back, since the other
    heads have moved."""
    chains = [chain for chain in chains if chain]
    if not chains:
        return
    _require_transaction("audit_append_chains")
    for chain in chains:
        _check_chain(chain)
    if len({chain[0].stream for chain in chains}) != len(chains):
        raise ValueError("one chain per stream")
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        for chain in chains:
            audit_append_many(chain)
        return
    fresh = [chain[0].stream for chain in chains if chain[0].seq == 1]
    if fresh:
        AuditStream.objects.bulk_create(
            [AuditStream(name=name, **_head_fields(name, 0, "")) for name in fresh],
            ignore_conflicts=True,
        )
    rows, params = [], []
    for chain in chains:
        first, last = chain[0], chain[-1]
        new_head = _head_fields(first.stream, last.seq, last.hash)
        rows.append(
            "(%s::varchar, %s::bigint, %s::varchar, %s::bigint, %s::varchar, %s::varchar, "
            "%s::varchar)"
        )
        params += [first.stream, first.seq - 1, _stored_prev(first), last.seq, last.hash]
        params += [new_head["mac"], new_head["key_id"]]
    table = connection.ops.quote_name(AuditStream._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table} AS h SET "last_seq" = v.new_seq, "last_hash" = v.new_hash, '
            '"mac" = v.mac, "key_id" = v.key_id '
            f"FROM (VALUES {', '.join(rows)}) AS v(name, old_seq, old_hash, new_seq, new_hash, "
            "mac, key_id) "
            'WHERE h."name" = v.name AND h."last_seq" = v.old_seq AND h."last_hash" = v.old_hash',
            params,
        )
        if cursor.rowcount != len(chains):
            raise StreamMoved(",".join(chain[0].stream for chain in chains))
        sql, values = _entries_insert([e for chain in chains for e in chain], connection)
        cursor.execute(sql, values)


def audit_stream_head(stream: str) -> tuple[int, str] | None:
    """``(last_seq, last_hash)`` of a stream as committed or written in this transaction, or
    ``None`` for a stream with no entry yet (to resync a caller's copy after ``StreamMoved``)."""
    head = AuditStream.objects.filter(name=stream).values_list("last_seq", "last_hash").first()
    return None if head is None else (int(head[0]), str(head[1]))


def audit_record(
    *,
    stream: str,
    action: str,
    actor: Actor = None,
    subject: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rules: Iterable[str] = (),
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry to ``stream`` ("case:12", "auction:7", "system:settings")."""
    _require_transaction("audit_record")
    when = at or clock.now()
    seq, prev = _lock_head(stream)
    entry = audit_entry_next(
        stream=stream,
        last_seq=seq - 1,
        last_hash=prev,
        action=action,
        actor=actor,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
        rules=rules,
        at=when,
    )
    entry.save(force_insert=True)
    AuditStream.objects.filter(pk=stream).update(**_head_fields(stream, seq, entry.hash))
    return entry


@dataclass(frozen=True)
class BrokenLink:
    stream: str
    seq: int
    problem: str


def _entry_problem(entry: AuditEntry, expected_seq: int, prev: str) -> str:
    if entry.seq != expected_seq:
        return str(
            _("序号不连续：应为 %(expected)s，实为 %(seq)s")
            % {"expected": expected_seq, "seq": entry.seq}
        )
    if entry.prev_hash != prev:
        return str(_("前序哈希不符（上一条记录被改动或删除）"))
    try:
        if not hmac.compare_digest(_hash_of(entry), entry.hash):
            return str(_("内容哈希不符（记录被改动）"))
    except UnknownAuditKey:
        return str(_("记录使用了未知的密钥（%(key)s）") % {"key": entry.key_id or "—"})
    return ""


def _head_problem(name: str, head: AuditStream | None, last_seq: int, last_hash: str) -> str:
    if head is None:
        return str(_("流末端记录缺失（流的末端表被删除）"))
    stored_last = "" if last_seq == 0 else last_hash
    if head.last_seq != last_seq or (head.last_hash or "") != stored_last:
        return str(_("流末尾记录缺失或被改动"))
    try:
        mac = head_mac(name, head.last_seq, head.last_hash, key_id=head.key_id)
    except UnknownAuditKey:
        return str(_("流末端使用了未知的密钥（%(key)s）") % {"key": head.key_id or "—"})
    if not hmac.compare_digest(mac, head.mac):
        return str(_("流末端签名不符（末端被改动，或末尾记录被删除）"))
    return ""


def audit_verify(
    streams: Iterable[str] | None = None, *, anchors: Iterable[Anchor] | None = None
) -> list[BrokenLink]:
    """Recompute every chain, check every stream head and the anchors; return the first
    broken link of each broken stream (and of each bad anchor, as stream ``anchor:<digest>``).

    A link is broken when its sequence number skips, its ``prev_hash`` is not the previous
    entry's hash, its keyed hash does not match its content (or names an unknown key), the
    stream's head is missing, disagrees with the last entry (a deleted tail) or has a wrong
    HMAC (a head moved back), or an anchored head is no longer in the chain (a deleted stream,
    or a rewrite, even with the key, of anything anchored). ``anchors``: the anchors to check
    (default: the latest recorded one and the latest file in ``GAVEL_AUDIT_ANCHOR_DIR``;
    ``manage.py audit_verify`` passes every one, ``known_anchors()``, and the copies
    published outside, ``Anchor.from_file``).
    """
    only = set(streams) if streams is not None else None
    if only is not None:
        names = sorted(only)
    else:
        names = sorted(
            set(AuditEntry.objects.values_list("stream", flat=True).distinct())
            | set(AuditStream.objects.values_list("name", flat=True))
        )
    broken: dict[str, BrokenLink] = {}
    heads = {h.name: h for h in AuditStream.objects.filter(name__in=names)}
    for name in names:
        prev = GENESIS
        expected_seq = 1
        entries = AuditEntry.objects.filter(stream=name).order_by("seq")
        for entry in entries.iterator(chunk_size=2000):
            problem = _entry_problem(entry, expected_seq, prev)
            if problem:
                broken[name] = BrokenLink(name, entry.seq, problem)
                break
            prev = entry.hash
            expected_seq += 1
        else:
            head = heads.get(name)
            if head is None and expected_seq == 1 and only is not None:
                continue  # a named stream with nothing yet: nothing to check
            problem = _head_problem(name, head, expected_seq - 1, prev)
            if problem:
                broken[name] = BrokenLink(name, expected_seq, problem)
    for link in _anchors_problems(latest_anchors() if anchors is None else anchors, only):
        broken.setdefault(link.stream, link)
    return sorted(broken.values(), key=lambda b: b.stream)


# --- anchors: every head, signed and published -------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """An anchor as recorded (``AuditAnchor``) or as read back from a published file."""

    at: str
    key_id: str
    heads: dict[str, list[Any]]
    prev_digest: str
    digest: str
    signature: str
    source: str = ""

    def payload(self) -> str:
        return json.dumps(
            {
                "at": self.at,
                "heads": self.heads,
                "key_id": self.key_id,
                "prev_digest": self.prev_digest,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "format": "gavel-audit-anchor/1",
            "at": self.at,
            "key_id": self.key_id,
            "prev_digest": self.prev_digest,
            "digest": self.digest,
            "signature": self.signature,
            "heads": self.heads,
        }

    @classmethod
    def from_record(cls, record: AuditAnchor) -> Anchor:
        return cls(
            at=record.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            key_id=record.key_id,
            heads=record.heads,
            prev_digest=record.prev_digest,
            digest=record.digest,
            signature=record.signature,
            source=f"record {record.pk}",
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Anchor:
        """The anchor in a published file; an unreadable one is an anchor that fails every
        check (reported by ``audit_verify``, never an error of the page that verifies)."""
        try:
            return cls._from_file(path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls("", "", {}, "", "unreadable", "", source=str(path))

    @classmethod
    def _from_file(cls, path: str | os.PathLike[str]) -> Anchor:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            at=str(data["at"]),
            key_id=str(data["key_id"]),
            heads={str(k): list(v) for k, v in data["heads"].items()},
            prev_digest=str(data["prev_digest"]),
            digest=str(data["digest"]),
            signature=str(data["signature"]),
            source=str(path),
        )


def _anchor_digest(anchor: Anchor) -> str:
    return hashlib.sha256(anchor.payload().encode("utf-8")).hexdigest()


def _anchor_signature(digest: str, key_id: str) -> str:
    return _mac(key_id, f"anchor\n{digest}")


def _anchor_problem(anchor: Anchor) -> str:
    """What is wrong with the anchor itself (digest, signature, a published one unrecorded)."""
    if not hmac.compare_digest(_anchor_digest(anchor), anchor.digest):
        return str(_("锚定记录内容与摘要不符（%(src)s）") % {"src": anchor.source})
    try:
        signature = _anchor_signature(anchor.digest, anchor.key_id)
    except UnknownAuditKey:
        signature = ""
    if not hmac.compare_digest(signature, anchor.signature):
        return str(_("锚定记录签名不符（%(src)s）") % {"src": anchor.source})
    published = anchor.source and not anchor.source.startswith("record ")
    if published and not AuditAnchor.objects.filter(digest=anchor.digest).exists():
        return str(_("已发布的锚定记录在数据库中缺失（%(src)s）") % {"src": anchor.source})
    return ""


def _anchors_problems(anchors: Iterable[Anchor], only: set[str] | None) -> list[BrokenLink]:
    """Each anchored head must still be in its chain: the entry at that number with that
    hash. Heads repeated across anchors are looked up once."""
    out: list[BrokenLink] = []
    claims: dict[tuple[str, int], set[tuple[str, str]]] = {}
    for anchor in anchors:
        problem = _anchor_problem(anchor)
        if problem:
            out.append(BrokenLink(f"anchor:{anchor.digest[:16]}", 0, problem))
            continue
        for name, (seq, digest) in anchor.heads.items():
            if only is None or name in only:
                claims.setdefault((name, int(seq)), set()).add((str(digest), anchor.at[:19]))
    found: dict[tuple[str, int], str] = {}
    keys = list(claims)
    for i in range(0, len(keys), 500):
        q = Q()
        for name, seq in keys[i : i + 500]:
            q |= Q(stream=name, seq=seq)
        rows = AuditEntry.objects.filter(q).values_list("stream", "seq", "hash")
        found.update({(stream, seq): digest for stream, seq, digest in rows})
    for (name, seq), anchored in sorted(claims.items()):
        for digest, at in sorted(anchored):
            if found.get((name, seq)) != digest:
                problem = _("与 %(at)s 的锚定记录不符（记录被删除或改写）") % {"at": at}
                out.append(BrokenLink(name, seq, str(problem)))
                break
    return out


def latest_anchors() -> list[Anchor]:
    """The latest recorded anchor and the latest anchor file (a page's quick check)."""
    out = []
    record = AuditAnchor.objects.order_by("-at", "-pk").first()
    if record is not None:
        out.append(Anchor.from_record(record))
    directory = Path(settings.GAVEL_AUDIT_ANCHOR_DIR)
    files = sorted(directory.glob("anchor-*.json")) if directory.is_dir() else []
    if files:
        out.append(Anchor.from_file(files[-1]))
    return out


def known_anchors() -> list[Anchor]:
    """Every recorded anchor and every anchor file in ``GAVEL_AUDIT_ANCHOR_DIR``."""
    out = [Anchor.from_record(r) for r in AuditAnchor.objects.order_by("at", "pk")]
    directory = Path(settings.GAVEL_AUDIT_ANCHOR_DIR)
    if directory.is_dir():
        out += [Anchor.from_file(p) for p in sorted(directory.glob("anchor-*.json"))]
    return out


def audit_anchor(
    *, directory: str | os.PathLike[str] | None = None, at: dt.datetime | None = None
) -> tuple[AuditAnchor, Path | None]:
    """Record every stream's head, signed, and write it to ``directory`` (default
    ``GAVEL_AUDIT_ANCHOR_DIR``; ``""`` writes no file) as ``anchor-<UTC time>-<digest>.json``
    to publish. Each anchor names the previous one's digest. Returns the record and the file.
    """
    when = (at or clock.now()).astimezone(dt.UTC)
    with transaction.atomic():
        _anchor_lock()
        heads = {
            name: [seq, digest]
            for name, seq, digest in AuditStream.objects.filter(last_seq__gt=0)
            .order_by("name")
            .values_list("name", "last_seq", "last_hash")
        }
        last = AuditAnchor.objects.order_by("-at", "-pk").first()
        draft = Anchor(
            at=when.isoformat(timespec="microseconds"),
            key_id=current_key_id(),
            heads=heads,
            prev_digest=last.digest if last else GENESIS,
            digest="",
            signature="",
        )
        digest = _anchor_digest(draft)
        record = AuditAnchor.objects.create(
            at=when,
            key_id=draft.key_id,
            heads=heads,
            prev_digest=draft.prev_digest,
            digest=digest,
            signature=_anchor_signature(digest, draft.key_id),
        )
    target = settings.GAVEL_AUDIT_ANCHOR_DIR if directory is None else directory
    if not target:
        return record, None
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"anchor-{when:%Y%m%dT%H%M%S%fZ}-{digest[:16]}.json"
    body = json.dumps(Anchor.from_record(record).as_json(), ensure_ascii=False, indent=1)
    path.write_text(body + "\n", encoding="utf-8")
    return record, path


def _anchor_lock() -> None:
    """Several workers: one anchors at a time (a transaction-scoped advisory lock)."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('gavel.audit_anchor'))")


def audit_anchor_due() -> str:
    """The worker's task: an anchor when the latest is older than
    ``GAVEL_AUDIT_ANCHOR_EVERY_HOURS`` (default a day)."""
    every = dt.timedelta(hours=settings.GAVEL_AUDIT_ANCHOR_EVERY_HOURS)
    last = AuditAnchor.objects.order_by("-at", "-pk").values_list("at", flat=True).first()
    if last is not None and clock.now() - last < every:
        return "not due"
    record, path = audit_anchor()
    return f"anchored {len(record.heads)} streams" + (f" to {path}" if path else "")


# --- what people read: each app names its own actions ------------------------------------------
_action_labels: dict[str, Any] = {}


def register_action_labels(labels: dict[str, Any]) -> None:
    """Give audit actions the names people read (``{"panel.decided": _("合议庭决定")}``).

    Called from each app's ``AppConfig.ready()``; a case's history shows every app's entries,
    so each app names its own. Idempotent.
    """
    _action_labels.update(labels)


def action_label(action: str) -> Any | None:
    """The registered name of an action, or None."""
    return _action_labels.get(action)
