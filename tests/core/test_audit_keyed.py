"""The keyed audit chain (REC-06..08, issue 15 item 4): every attack of the issue is found.

- an edited entry whose chain is recomputed without the key (plain SHA-256, as before);
- a deleted tail with the head moved back; a deleted stream (entries, and head too);
- TRUNCATE of the audit and ledger tables (PostgreSQL refuses it);
- a rewrite by someone holding the key, after an anchor was taken and published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core import clock
from core.audit import (
    GENESIS,
    Anchor,
    audit_anchor,
    audit_anchor_due,
    audit_record,
    audit_verify,
    entry_hash,
    head_mac,
    require_key,
)
from core.models import AuditAnchor, AuditEntry, AuditStream

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchor_dir(settings: Any, tmp_path: Path) -> Path:
    settings.GAVEL_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return Path(settings.GAVEL_AUDIT_ANCHOR_DIR)


def _record(stream: str, n: int = 1) -> list[AuditEntry]:
    with transaction.atomic():
        return [audit_record(stream=stream, action="test.step", after={"i": i}) for i in range(n)]


def _tamper(sql: str, params: Any = ()) -> None:
    """A forger with database access: triggers off for the session (PostgreSQL superuser)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        try:
            cur.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")


def _fields(e: AuditEntry, prev_hash: str) -> dict[str, Any]:
    return {
        "prev_hash": prev_hash,
        "stream": e.stream,
        "seq": e.seq,
        "at_iso": e.at.isoformat(timespec="microseconds"),
        "actor_id": e.actor_id,
        "actor_label": e.actor_label,
        "actor_role": e.actor_role,
        "action": e.action,
        "subject": e.subject,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
        "rule_ids": e.rule_ids,
    }


def _unkeyed_hash(e: AuditEntry, prev_hash: str) -> str:
    """The old, unkeyed hash: what a forger without the key can compute."""
    f = _fields(e, prev_hash)
    payload = json.dumps(
        [f[k] for k in ("prev_hash", "stream", "seq", "at_iso", "actor_id", "actor_label")]
        + [f[k] for k in ("actor_role", "action", "subject", "before", "after", "reason")]
        + [f["rule_ids"]],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _rewrite(stream: str, seq: int, reason: str, *, keyed: bool) -> None:
    """Change entry ``seq``'s reason and recompute the rest of the chain and the head, with
    the key (a stolen key) or without it (plain SHA-256)."""
    prev = GENESIS
    entries = list(AuditEntry.objects.filter(stream=stream).order_by("seq"))
    for e in entries:
        if e.seq == seq:
            e.reason = reason
        if e.seq >= seq:
            f = _fields(e, prev)
            digest = entry_hash(**f, key_id=e.key_id) if keyed else _unkeyed_hash(e, prev)
            _tamper(
                "UPDATE core_auditentry SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [e.reason, prev, digest, e.pk],
            )
            e.hash = digest
        prev = e.hash
    last = entries[-1]
    mac = head_mac(stream, last.seq, prev) if keyed else ""
    _tamper(
        "UPDATE core_auditstream SET last_hash = %s, mac = CASE WHEN %s THEN %s ELSE mac END "
        "WHERE name = %s",
        [prev, keyed, mac, stream],
    )


def test_entries_and_heads_are_keyed_with_the_key_id_stored(settings: Any) -> None:
    [e] = _record("case:1")
    assert e.key_id == settings.GAVEL_AUDIT_KEY_ID == "demo"
    head = AuditStream.objects.get(name="case:1")
    assert head.mac == head_mac("case:1", 1, e.hash) and head.key_id == "demo"
    # Not the plain SHA-256 of the content: without the key the hash cannot be recomputed.
    assert e.hash != _unkeyed_hash(e, GENESIS)
    assert audit_verify() == []


def test_an_edited_entry_with_the_unkeyed_chain_recomputed_is_found() -> None:
    """Attack: edit an entry and recompute every later hash and the head, as the old unkeyed
    chain allowed."""
    _record("case:2", 4)
    _rewrite("case:2", 2, "伪造", keyed=False)
    [broken] = audit_verify(["case:2"])
    assert broken.seq == 2 and "内容哈希不符" in broken.problem


def test_a_deleted_tail_is_found_even_with_the_head_moved_back() -> None:
    """Attack: delete the last entries and set the head to the new last entry's number and
    hash (both readable in the database): the head's HMAC no longer matches."""
    entries = _record("case:3", 4)
    _tamper("DELETE FROM core_auditentry WHERE stream = 'case:3' AND seq > 2")
    [tail] = audit_verify(["case:3"])
    assert tail.seq == 3 and "末尾" in tail.problem
    _tamper(
        "UPDATE core_auditstream SET last_seq = 2, last_hash = %s WHERE name = 'case:3'",
        [entries[1].hash],
    )
    [moved] = audit_verify(["case:3"])
    assert moved.seq == 3 and "流末端签名不符" in moved.problem


def test_a_deleted_stream_is_found_by_its_head_and_by_the_anchor() -> None:
    """Attack: delete every entry of a stream (the head table still names it); then delete
    its head too (the anchor still names it)."""
    _record("case:4", 3)
    _record("case:5", 1)
    audit_anchor()
    _tamper("DELETE FROM core_auditentry WHERE stream = 'case:4'")
    [gone] = audit_verify()
    assert (gone.stream, gone.seq) == ("case:4", 1) and "末尾" in gone.problem
    _tamper("DELETE FROM core_auditstream WHERE name = 'case:4'")
    [gone] = audit_verify()
    assert (gone.stream, gone.seq) == ("case:4", 3) and "锚定记录不符" in gone.problem
    assert audit_verify(anchors=[]) == []  # only the anchor remembers the stream


def test_a_rewrite_with_the_stolen_key_after_an_anchor_is_found(anchor_dir: Path) -> None:
    """Attack: someone holding the key rewrites an anchored entry, recomputes the keyed chain
    and the head's HMAC, and records a fresh anchor of the forged heads; the published
    anchor (and the earlier record) still name the true hash."""
    _record("case:6", 3)
    _anchored, published = audit_anchor()
    assert published is not None and published.parent == anchor_dir
    kept_outside = Anchor.from_file(published)
    _record("case:6", 1)  # work goes on after the anchor

    _rewrite("case:6", 2, "伪造", keyed=True)
    assert audit_verify(["case:6"], anchors=[]) == []  # the keyed chain alone cannot tell
    clock.advance(dt.timedelta(hours=1))
    audit_anchor(directory="")  # a forged anchor of the forged heads, recorded, not published
    [broken] = audit_verify(["case:6"])
    assert (broken.stream, broken.seq) == ("case:6", 3) and "锚定记录不符" in broken.problem
    [broken] = audit_verify(["case:6"], anchors=[kept_outside])
    assert broken.seq == 3


def test_anchor_files_are_signed_chained_and_checked(anchor_dir: Path) -> None:
    _record("case:7", 2)
    first, path = audit_anchor()
    _record("case:8", 1)
    clock.advance(dt.timedelta(seconds=1))
    second, latest = audit_anchor()
    assert second.prev_digest == first.digest and first.prev_digest == GENESIS
    assert path is not None and latest is not None
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["heads"] == {"case:7": [2, AuditStream.objects.get(name="case:7").last_hash]}
    assert data["digest"] == first.digest and data["signature"] == first.signature
    assert audit_verify() == []
    data = json.loads(latest.read_text(encoding="utf-8"))
    data["heads"]["case:7"][0] = 1  # an edited published copy
    latest.write_text(json.dumps(data), encoding="utf-8")
    [bad] = audit_verify()
    assert bad.stream.startswith("anchor:") and "摘要不符" in bad.problem
    latest.write_text("{not json", encoding="utf-8")  # an unreadable one: reported, no error
    [bad] = audit_verify()
    assert bad.stream.startswith("anchor:") and str(latest) in bad.problem


def test_a_published_anchor_missing_from_the_database_is_reported(anchor_dir: Path) -> None:
    _record("case:9", 1)
    record, path = audit_anchor()
    assert path is not None
    _tamper("DELETE FROM core_auditanchor WHERE id = %s", [record.pk])
    [missing] = audit_verify()
    assert "数据库中缺失" in missing.problem


def test_keys_rotate_and_old_entries_need_their_retired_key(settings: Any) -> None:
    _record("case:10", 2)
    settings.GAVEL_AUDIT_KEY = "a-new-key-of-more-than-thirty-two-characters"
    settings.GAVEL_AUDIT_KEY_ID = "2027"
    settings.GAVEL_AUDIT_RETIRED_KEYS = {
        "demo": "gavel-demo-audit-key-public-never-use-in-production"
    }
    [e3] = _record("case:10", 1)
    assert e3.key_id == "2027" and AuditStream.objects.get(name="case:10").key_id == "2027"
    assert audit_verify() == []
    settings.GAVEL_AUDIT_RETIRED_KEYS = {}
    [unknown] = audit_verify()
    assert unknown.seq == 1 and "未知的密钥" in unknown.problem


def test_the_commands_anchor_and_verify_against_a_published_copy(tmp_path: Path) -> None:
    _record("case:11", 2)
    out = io.StringIO()
    call_command("audit_anchor", "--dir", str(tmp_path / "pub"), stdout=out)
    [published] = (tmp_path / "pub").glob("anchor-*.json")
    assert published.name in out.getvalue()
    call_command("audit_verify", "--anchor", str(published), stdout=io.StringIO())
    _rewrite("case:11", 1, "伪造", keyed=True)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", "--anchor", str(published), stderr=err)
    assert "BROKEN case:11 at seq 2" in err.getvalue()


def test_the_worker_anchors_once_a_day() -> None:
    """The daily anchor (``core.audit_anchor``, every 10 minutes: due after 24 hours)."""
    _record("case:12", 1)
    assert audit_anchor_due().startswith("anchored 1 streams")
    clock.advance(dt.timedelta(hours=23))
    assert audit_anchor_due() == "not due"
    clock.advance(dt.timedelta(hours=1))
    assert audit_anchor_due().startswith("anchored")
    assert AuditAnchor.objects.count() == 2


def test_production_refuses_to_start_without_a_real_key(settings: Any) -> None:
    settings.DEBUG = False
    settings.GAVEL_AUDIT_KEY = "short"
    with pytest.raises(ImproperlyConfigured):
        require_key()
    settings.GAVEL_AUDIT_KEY = "x" * 40
    settings.GAVEL_AUDIT_KEY_ID = "k1"
    require_key()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table",
    [
        "core_auditentry",
        "core_auditstream",
        "core_auditanchor",
        "core_accesslog",
        "settlement_ledgerleg",
        "settlement_ledgertransaction",
        "bidding_bid",
    ],
)
def test_postgres_refuses_truncate_of_audit_and_ledger_tables(table: str) -> None:
    """Attack: TRUNCATE skips row triggers; a statement trigger refuses it, even for the
    owner (a superuser could switch triggers off; the application role has no TRUNCATE)."""
    with (
        pytest.raises(DatabaseError, match=r"TRUNCATE on public\.\w+ refused"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(f'TRUNCATE "{table}" CASCADE')


@pytest.mark.django_db(transaction=True)
def test_the_migration_keys_an_intact_unkeyed_chain_and_refuses_a_broken_one() -> None:
    """Existing entries are re-hashed with the key when the chain is keyed, but only after
    their unkeyed chain checked out: a chain already tampered with is not laundered."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("core.migrations.0007_audit_keyed_chain_and_anchors")

    def as_before_keying(entries: list[AuditEntry], *, forge_seq: int = 0) -> None:
        prev = GENESIS
        for e in entries:
            if e.seq == forge_seq:
                e.reason = "伪造"  # changed after its hash was taken
            digest = _unkeyed_hash(e, prev)
            if e.seq == forge_seq:
                e.reason = ""
                digest = _unkeyed_hash(e, prev)
                _tamper("UPDATE core_auditentry SET reason = '伪造' WHERE id = %s", [e.pk])
            _tamper(
                "UPDATE core_auditentry SET prev_hash = %s, hash = %s, key_id = '' WHERE id = %s",
                [prev, digest, e.pk],
            )
            prev = digest
        _tamper(
            "UPDATE core_auditstream SET last_hash = %s, mac = '', key_id = '' WHERE name = %s",
            [prev, entries[0].stream],
        )

    as_before_keying(_record("case:20", 3))
    assert audit_verify(["case:20"])  # unkeyed: not accepted as it is
    with connection.schema_editor() as editor:
        migration.rekey(apps, editor)
    assert audit_verify() == []

    as_before_keying(_record("case:21", 3), forge_seq=2)
    with pytest.raises(RuntimeError, match="case:21#2"), connection.schema_editor() as editor:
        migration.rekey(apps, editor)


def test_the_demo_sets_aside_anchor_files_of_an_earlier_database(anchor_dir: Path) -> None:
    """A demo database made afresh: the anchors of the one before would not match it."""
    from core.management.commands.demo import _set_aside_foreign_anchors

    _record("case:30", 1)
    _anchored, path = audit_anchor()
    _set_aside_foreign_anchors()
    assert path is not None and path.exists()  # this database's own anchors stay
    _tamper("DELETE FROM core_auditanchor")  # as if the database were made afresh
    _set_aside_foreign_anchors()
    assert not anchor_dir.exists()
    [aside] = anchor_dir.parent.glob("anchors.earlier-*")
    assert [p.name for p in aside.iterdir()] == [path.name]
