"""The write of an accepted bid, in one statement on PostgreSQL (ARCHITECTURE.md "The hot path").

``bid_place`` reads and locks the auction (with the bidder's registration) in one statement,
checks every rule in Python on the locked row, and then has up to four writes: the bid rows,
their audit entries, the audit stream's head and the auction's live fields. Issued one by one
that is four round trips to the database while the auction's row lock is held; here they go as
one statement of data-modifying CTEs (PostgreSQL runs each exactly once, in one snapshot):

    WITH b AS (INSERT INTO bidding_bid ... RETURNING id),
         core_audit_entries AS (INSERT INTO core_auditentry ...),
         core_audit_head AS (UPDATE core_auditstream SET ... WHERE name = … AND last_seq = …),
         a AS (UPDATE bidding_auction SET ... WHERE id = …)
    SELECT (SELECT count(*) FROM core_audit_head), array(SELECT id FROM b ORDER BY id)

The audit part is core's (``core.audit.audit_append_sql``: only core writes core's tables);
bidding's own parts are built here once per process, each value prepared by its field as the
ORM would. The head update is a compare-and-set: if another writer moved the stream (nothing
in Gavel does: the auction's stream is only written under its row lock), ``StreamMoved`` is
raised and the caller rolls back, resyncs and retries. On SQLite (the demo and the quick tests)
the same rows are written with ordinary statements (``core.audit.audit_append_many``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from bidding.models import Auction, Bid
from core.audit import audit_append_many, audit_append_sql
from core.models import AuditEntry

#: Built statements per (model, fields or "insert", database alias): the SQL (the insert's
#: head and one row's placeholders) and the fields in column order. Django's compilers cost a
#: quarter of the bid thread; the statements never change within a process.
_sql_cache: dict[tuple[type[models.Model], tuple[str, ...], str], tuple[str, str, list[Any]]] = {}


def _pk_column(model: type[models.Model]) -> str:
    pk = model._meta.pk
    if pk is None:  # every concrete model has one
        raise TypeError(f"{model.__name__} has no primary key")
    return str(pk.column)


def _insert_sql(
    objs: Sequence[models.Model], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """``INSERT INTO <table> (<every column but the pk>) VALUES (…), … RETURNING <pk>``."""
    model = type(objs[0])
    key = (model, (), connection.alias)
    cached = _sql_cache.get(key)
    if cached is None:
        qn = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(qn(f.column) for f in fields)
        head = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES "
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        cached = _sql_cache[key] = (head, row, fields)
    head, row, fields = cached
    params: list[Any] = []
    for obj in objs:  # each value as the ORM's insert prepares it
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    pk = connection.ops.quote_name(_pk_column(model))
    return f"{head}{', '.join([row] * len(objs))} RETURNING {pk}", params


def _update_sql(
    obj: models.Model, field_names: Sequence[str], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """``UPDATE <table> SET <col> = %s, … WHERE <pk> = %s`` for ``field_names``, built once per
    model, field list and database; each value is prepared by its field as the ORM would
    (``get_db_prep_save``). Django's update compiler cost a quarter of the bid thread."""
    model = type(obj)
    key = (model, tuple(field_names), connection.alias)
    cached = _sql_cache.get(key)
    if cached is None:
        by_name = {f.name: f for f in model._meta.concrete_fields}
        fields = [by_name[name] for name in field_names]
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(_pk_column(model))} = %s"
        cached = _sql_cache[key] = (sql, "", fields)
    sql, _, fields = cached
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    return sql, [*params, obj.pk]


def write_bids(
    *,
    auction: Auction,
    live_fields: Sequence[str],
    bids: Sequence[Bid],
    entries: Sequence[AuditEntry],
) -> None:
    """Insert ``bids``, append ``entries`` to the auction's audit stream (built by
    ``core.audit.audit_entry_next`` on the row's mirror of the head), save the auction's
    ``live_fields``; sets each bid's ``pk``. Inside the caller's transaction (the auction row is
    locked). Raises ``core.audit.StreamMoved`` if the stream's head was not where the entries
    expect it (nothing is then written)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        audit_append_many(entries)
        created = Bid.objects.bulk_create(bids) if bids else []
        for bid, row in zip(bids, created, strict=True):
            bid.pk = row.pk
        auction.save(update_fields=list(live_fields))
        return
    parts: list[str] = []
    params: list[Any] = []
    if bids:
        sql, p = _insert_sql(bids, connection)
        parts.append(f"b AS ({sql})")
        params += p
    audit = audit_append_sql(entries, connection=connection)
    if audit.ctes:
        parts.append(audit.ctes)
        params += audit.params
    sql, p = _update_sql(auction, live_fields, connection)
    parts.append(f"a AS ({sql})")
    params += p
    ids_sql = "array(SELECT id FROM b ORDER BY id)" if bids else "NULL"
    statement = f"WITH {', '.join(parts)} SELECT {audit.moved}, {ids_sql}"
    with connection.cursor() as cursor:
        with audit.guard():
            cursor.execute(statement, params)
        moved, ids = cursor.fetchone()
    audit.check(moved)
    for bid, pk in zip(bids, ids or [], strict=True):
        bid.pk = pk
