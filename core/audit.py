"""Append to and verify the audit trail (REC-06..08).

``audit_record`` must run inside the caller's transaction, so the entry commits or rolls
back with the change it records. Each stream is its own hash chain; appending locks only the
stream's head row.

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
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext as _

from core import clock
from core.models import AuditEntry, AuditStream
from core.types import Actor

GENESIS = "0" * 64
#: The unique (stream, seq) constraint: a second entry with a taken number means the head moved.
AUDIT_SEQ_CONSTRAINT = "core_audit_stream_seq"


class StreamMoved(Exception):
    """The stream's head was not where the caller's copy said: roll back, re-read, retry."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.stream = stream


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
) -> str:
    payload = json.dumps(
        [
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
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    if connection.vendor == "postgresql":
        table = AuditStream._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" (name, last_seq, last_hash) VALUES (%s, 0, %s) '
                "ON CONFLICT (name) DO UPDATE SET last_seq = "
                f'"{table}".last_seq RETURNING last_seq, last_hash',
                [stream, ""],
            )
            last_seq, last_hash = cursor.fetchone()
        return int(last_seq) + 1, last_hash or GENESIS
    AuditStream.objects.get_or_create(name=stream)
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
    )
    entry.hash = _hash_of(entry)
    return entry


def _relink(entry: AuditEntry, *, last_seq: int, last_hash: str) -> None:
    entry.seq, entry.prev_hash = last_seq + 1, last_hash or GENESIS
    entry.hash = _hash_of(entry)


def _ensure_stream(stream: str, head_was: int) -> None:
    """A compare-and-set needs the head row: create it before a stream's first entry."""
    if head_was == 0:
        AuditStream.objects.get_or_create(name=stream)


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
    if not heads.filter(last_seq=head_was).update(last_seq=entry.seq, last_hash=entry.hash):
        head = AuditStream.objects.select_for_update().get(name=entry.stream)
        _relink(entry, last_seq=head.last_seq, last_hash=head.last_hash)
        heads.update(last_seq=entry.seq, last_hash=entry.hash)
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
    moved = AuditStream.objects.filter(name=first.stream, last_seq=first.seq - 1).update(
        last_seq=last.seq, last_hash=last.hash
    )
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
        f'core_audit_head AS (UPDATE {head} SET "last_seq" = %s, "last_hash" = %s '
        'WHERE "name" = %s AND "last_seq" = %s RETURNING 1)'
    )
    params += [last.seq, last.hash, first.stream, first.seq - 1]
    return AuditAppendSQL(
        stream=first.stream,
        ctes=ctes,
        params=params,
        moved="(SELECT count(*) FROM core_audit_head)",
    )


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
    AuditStream.objects.filter(pk=stream).update(last_seq=seq, last_hash=entry.hash)
    return entry


@dataclass(frozen=True)
class BrokenLink:
    stream: str
    seq: int
    problem: str


def audit_verify(streams: Iterable[str] | None = None) -> list[BrokenLink]:
    """Recompute every chain; return the first broken link of each broken stream.

    A link is broken when its sequence number skips, its ``prev_hash`` is not the previous
    entry's hash, its own hash does not match its content, or entries are missing at the end
    of the stream (the head records more than the chain holds).
    """
    names = (
        list(streams)
        if streams is not None
        else list(AuditEntry.objects.values_list("stream", flat=True).distinct().order_by("stream"))
    )
    broken: list[BrokenLink] = []
    for name in names:
        prev = GENESIS
        expected_seq = 1
        entries = AuditEntry.objects.filter(stream=name).order_by("seq")
        for entry in entries.iterator(chunk_size=2000):
            problem = ""
            if entry.seq != expected_seq:
                problem = _("序号不连续：应为 %(expected)s，实为 %(seq)s") % {
                    "expected": expected_seq,
                    "seq": entry.seq,
                }
            elif entry.prev_hash != prev:
                problem = _("前序哈希不符（上一条记录被改动或删除）")
            elif _hash_of(entry) != entry.hash:
                problem = _("内容哈希不符（记录被改动）")
            if problem:
                broken.append(BrokenLink(name, entry.seq, str(problem)))
                break
            prev = entry.hash
            expected_seq += 1
        else:
            head = AuditStream.objects.filter(name=name).first()
            if head and (head.last_seq != expected_seq - 1 or (head.last_hash or GENESIS) != prev):
                broken.append(BrokenLink(name, expected_seq, str(_("流末尾记录缺失或被改动"))))
    return broken


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
