"""The write of an accepted bid, in one statement on PostgreSQL (ARCHITECTURE.md "The hot path").

``bid_place`` reads and locks the auction (with the bidder's registration) in one statement,
checks every rule in Python on the locked row, and then has up to four writes: the bid rows,
their audit entries, the audit stream's head and the auction's live fields. Issued one by one
that is four round trips to the database while the auction's row lock is held; here they go as
one statement of data-modifying CTEs (PostgreSQL runs each exactly once, in one snapshot):

    WITH b AS (INSERT INTO bidding_bid ... RETURNING id),
         e AS (INSERT INTO core_auditentry ...),
         h AS (UPDATE core_auditstream SET ... WHERE name = … AND last_seq = … RETURNING 1),
         a AS (UPDATE bidding_auction SET ... WHERE id = …)
    SELECT (SELECT count(*) FROM h), array(SELECT id FROM b ORDER BY id)

The SQL of each part is Django's own (its insert and update compilers), so field preparation
(dates, JSON) is the ORM's. The head update is a compare-and-set: if another writer moved the
stream (nothing in Gavel does: the auction's stream is only written under its row lock), the
statement reports it and the caller rolls back, resyncs and retries. On SQLite (the demo and
the quick tests) the same rows are written with ordinary ORM statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models.sql import InsertQuery

from core.models import AuditEntry, AuditStream

AUDIT_SEQ_CONSTRAINT = "core_audit_stream_seq"


class StreamMoved(Exception):
    """The audit stream's head was not where the auction row's mirror said (resync, retry)."""


def _insert_sql(
    model: type[models.Model], objs: Sequence[models.Model], using: str, returning: bool
):
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    query = InsertQuery(model)
    query.insert_values(fields, list(objs))
    compiler = query.get_compiler(using=using)
    if returning:
        compiler.returning_fields = [model._meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, list(params)


_update_cache: dict[tuple[type, tuple[str, ...], str], tuple[str, list[Any]]] = {}


def _update_sql(obj: models.Model, field_names: Sequence[str], connection: Any):
    """``UPDATE <table> SET <col> = %s, … WHERE <pk> = %s`` for ``field_names``, built once per
    model, field list and database; each value is prepared by its field as the ORM would
    (``get_db_prep_save``). Django's update compiler cost a quarter of the bid thread."""
    model = type(obj)
    key = (model, tuple(field_names), connection.alias)
    cached = _update_cache.get(key)
    if cached is None:
        fields = [model._meta.get_field(name) for name in field_names]
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(model._meta.pk.column)} = %s"
        cached = _update_cache[key] = (sql, fields)
    sql, fields = cached
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    return sql, [*params, obj.pk]


def write_bids(
    *,
    auction: models.Model,
    live_fields: Sequence[str],
    bids: Sequence[models.Model],
    entries: Sequence[AuditEntry],
    stream: str,
    head_was: int,
) -> None:
    """Insert ``bids`` and ``entries``, move the stream head from ``head_was`` to the last
    entry, save the auction's ``live_fields``; sets each bid's ``pk``. Inside the caller's
    transaction (the auction row is locked)."""
    connection = transaction.get_connection()
    using = connection.alias
    last = entries[-1] if entries else None
    if connection.vendor != "postgresql":
        if last is not None:
            moved = AuditStream.objects.filter(name=stream, last_seq=head_was).update(
                last_seq=last.seq, last_hash=last.hash
            )
            if not moved:
                raise StreamMoved(stream)
        created = type(bids[0]).objects.bulk_create(bids) if bids else []
        for bid, row in zip(bids, created, strict=True):
            bid.pk = row.pk
        AuditEntry.objects.bulk_create(entries)
        auction.save(update_fields=list(live_fields))
        return
    parts: list[str] = []
    params: list[Any] = []
    if bids:
        sql, p = _insert_sql(type(bids[0]), bids, using, returning=True)
        parts.append(f"b AS ({sql})")
        params += p
    if entries:
        sql, p = _insert_sql(AuditEntry, entries, using, returning=False)
        parts.append(f"e AS ({sql})")
        params += p
        head = AuditStream._meta.db_table
        parts.append(
            f'h AS (UPDATE "{head}" SET "last_seq" = %s, "last_hash" = %s '
            'WHERE "name" = %s AND "last_seq" = %s RETURNING 1)'
        )
        params += [last.seq, last.hash, stream, head_was]
    sql, p = _update_sql(auction, live_fields, connection)
    parts.append(f"a AS ({sql})")
    params += p
    moved_sql = "(SELECT count(*) FROM h)" if entries else "1"
    ids_sql = "array(SELECT id FROM b ORDER BY id)" if bids else "NULL"
    statement = f"WITH {', '.join(parts)} SELECT {moved_sql}, {ids_sql}"
    with connection.cursor() as cursor:
        try:
            cursor.execute(statement, params)
        except IntegrityError as exc:
            # The head had moved past the mirror: an entry with our sequence number exists.
            if AUDIT_SEQ_CONSTRAINT in str(exc):
                raise StreamMoved(stream) from exc
            raise
        moved, ids = cursor.fetchone()
    if not moved:
        raise StreamMoved(stream)
    for bid, pk in zip(bids, ids or [], strict=True):
        bid.pk = pk
