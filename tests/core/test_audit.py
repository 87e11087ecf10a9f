"""The audit trail (REC-06..08): one hash chain per stream, written in the transaction of the
change, tampering found by ``audit_verify``, UPDATE/DELETE refused by PostgreSQL."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from core import clock
from core.audit import audit_record, audit_verify
from core.models import AuditEntry, AuditStream
from tests import race

pytestmark = pytest.mark.django_db


def _record(stream, n=1, **kw):
    with transaction.atomic():
        return [
            audit_record(stream=stream, action="test.step", after={"i": i}, **kw) for i in range(n)
        ]


def _tamper(sql, params=()):
    """Change a row behind the application's back: on PostgreSQL a superuser switches
    triggers off for the session (what a forger with database access would do)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        try:
            cur.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")


def test_each_stream_is_its_own_chain(judge):
    """REC-06/07: entries of case:1 and auction:7 are numbered and chained separately."""
    _record("case:1", 2, actor=judge, reason="立案")
    _record("auction:7", 3)
    case = list(AuditEntry.objects.filter(stream="case:1").order_by("seq"))
    auction = list(AuditEntry.objects.filter(stream="auction:7").order_by("seq"))
    assert [e.seq for e in case] == [1, 2] and [e.seq for e in auction] == [1, 2, 3]
    assert case[1].prev_hash == case[0].hash
    assert auction[0].prev_hash == "0" * 64
    assert case[0].actor == judge and case[0].actor_role == "judge" and case[0].reason == "立案"
    assert AuditStream.objects.get(name="auction:7").last_seq == 3
    assert audit_verify() == []


@pytest.mark.django_db(transaction=True)
def test_entry_outside_a_transaction_is_refused():
    """The entry must commit or roll back with the change it records."""
    with pytest.raises(RuntimeError):
        audit_record(stream="case:1", action="x")


def test_entry_rolls_back_with_the_change():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(stream="case:5", action="x")
        1 / 0  # noqa: B018
    assert not AuditEntry.objects.filter(stream="case:5").exists()
    _record("case:5")
    assert AuditEntry.objects.get(stream="case:5").seq == 1


def test_local_time_and_decimal_values_verify_after_reload():
    """Times given in Beijing time and non-JSON values hash the same once stored."""
    from decimal import Decimal

    beijing = dt.timezone(dt.timedelta(hours=8))
    with transaction.atomic():
        audit_record(
            stream="case:2",
            action="x",
            at=dt.datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=beijing),
            after={"ratio": Decimal("0.10"), "when": dt.date(2026, 11, 2), "名称": "房产"},
        )
    assert audit_verify(["case:2"]) == []
    assert AuditEntry.objects.get(stream="case:2").after == {
        "ratio": "0.10",
        "when": "2026-11-02",
        "名称": "房产",
    }


def test_changed_content_is_found_at_its_sequence_number():
    _record("auction:9", 4)
    _tamper(
        "UPDATE core_auditentry SET after = %s WHERE stream = %s AND seq = 3",
        [json.dumps({"i": 99}), "auction:9"],
    )
    [broken] = audit_verify()
    assert (broken.stream, broken.seq) == ("auction:9", 3)
    assert "内容哈希不符" in broken.problem


def test_rehashed_forgery_breaks_the_next_link():
    """A forger who also recomputes the changed entry's hash still breaks the next link."""
    from core.audit import _hash_of

    _record("case:3", 3)
    e = AuditEntry.objects.get(stream="case:3", seq=2)
    e.reason = "伪造"
    forged = _hash_of(e)
    _tamper(
        "UPDATE core_auditentry SET reason = %s, hash = %s WHERE id = %s", ["伪造", forged, e.pk]
    )
    [broken] = audit_verify(["case:3"])
    assert broken.seq == 3 and "前序哈希不符" in broken.problem


def test_deleted_entries_are_found():
    _record("case:4", 3)
    _tamper("DELETE FROM core_auditentry WHERE stream = %s AND seq = 2", ["case:4"])
    assert audit_verify(["case:4"])[0].seq == 3
    _tamper("DELETE FROM core_auditentry WHERE stream = %s AND seq = 3", ["case:4"])
    [tail] = audit_verify(["case:4"])
    assert tail.seq == 2 and "末尾" in tail.problem


def test_audit_verify_command_names_the_first_broken_link():
    _record("system:settings:national", 2)
    _record("case:8", 5)
    call_command("audit_verify", stdout=io.StringIO())
    _tamper("UPDATE core_auditentry SET action = 'forged' WHERE stream = 'case:8' AND seq = 2")
    _tamper("UPDATE core_auditentry SET action = 'forged' WHERE stream = 'case:8' AND seq = 4")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", stderr=err)
    assert err.getvalue().strip() == f"BROKEN case:8 at seq 2: {audit_verify()[0].problem}"


def test_audit_export_writes_the_stream_as_json_lines(tmp_path, judge):
    clock.set_time(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    _record("case:6", 2, actor=judge)
    out = tmp_path / "case6.jsonl"
    msg = io.StringIO()
    call_command("audit_export", "case:6", str(out), stdout=msg)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["seq"], x["actor_id"]) for x in lines] == [(1, judge.pk), (2, judge.pk)]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert "intact" in msg.getvalue()
    with pytest.raises(CommandError):
        call_command("audit_export", "case:404", str(out))


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_entries():
    """REC-06/08: append-only is enforced by the database, not only by the code."""
    [entry] = _record("case:10")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="改写")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


@pytest.mark.postgres
def test_postgres_refuses_update_of_access_log(judge):
    from core.access import access_log_record
    from core.models import AccessLog

    row = access_log_record(user=judge, subject="case:1/party:2", field="id_number", purpose="核对")
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).update(purpose="无")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_stream_keep_one_unbroken_chain():
    """Two writers on one stream queue on the stream head's row lock: no gap, no fork."""

    def writer():
        for _ in range(15):
            _record("auction:77")

    errors = [r for r in race.together(writer, writer) if isinstance(r, BaseException)]
    assert errors == []
    seqs = list(AuditEntry.objects.filter(stream="auction:77").values_list("seq", flat=True))
    assert sorted(seqs) == list(range(1, 31))
    assert audit_verify(["auction:77"]) == []
