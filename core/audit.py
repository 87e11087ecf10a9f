"""Append to and verify the audit trail (REC-06..08).

``audit_record`` must run inside the caller's transaction, so the entry commits or rolls
back with the change it records. Each stream is its own hash chain; appending locks only the
stream's head row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.models import AuditEntry, AuditStream

GENESIS = "0" * 64


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
        return last_seq + 1, last_hash or GENESIS
    AuditStream.objects.get_or_create(name=stream)
    head = AuditStream.objects.select_for_update().get(pk=stream)
    return head.last_seq + 1, head.last_hash or GENESIS


def audit_record(
    *,
    stream: str,
    action: str,
    actor: Any = None,
    subject: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rules: Iterable[str] = (),
    at: Any = None,
) -> AuditEntry:
    """Append one entry to ``stream`` ("case:12", "auction:7", "system:settings")."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    at = at or clock.now()
    # Stored and reloaded as UTC: hash the UTC form, so verification recomputes the same text.
    at = at.astimezone(dt.UTC)
    seq, prev = _lock_head(stream)
    actor_obj = actor if getattr(actor, "pk", None) else None
    entry = AuditEntry(
        stream=stream,
        seq=seq,
        at=at,
        actor=actor_obj,
        actor_label=(str(actor) if actor is not None else "system")[:150],
        actor_role=getattr(actor, "role", "") or ("" if actor_obj else "system"),
        action=action,
        subject=subject,
        before=_canonical(before),
        after=_canonical(after),
        reason=reason or "",
        rule_ids=",".join(rules),
        prev_hash=prev,
        hash="",
    )
    entry.hash = _hash_of(entry)
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
