"""Database helpers for migrations: append-only tables enforced by PostgreSQL triggers.

Use in a migration of any app: ``operations = [append_only("settlement_ledgerleg")]``: a row
trigger refuses UPDATE and DELETE, a statement trigger refuses TRUNCATE. ``guard_truncate``
(run after every ``migrate`` by core's ``post_migrate`` handler) gives every append-only table
and the audit heads the TRUNCATE guard, whatever order the apps migrated in. On SQLite (the
demo) they do nothing; the services never update or delete those rows anyway.

The guards stop a mistake and anyone who can write rows; the schema owner can drop a trigger,
which is why the application runs as a role that owns nothing (core/dbroles.py). The test
run empties tables with ``session_replication_role = replica`` (superuser only), which skips
these triggers as it skips foreign keys (tests/dbsetup.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import migrations

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.migrations.state import StateApps

    _Migrate = Callable[[StateApps, BaseDatabaseSchemaEditor], None]

_FUNC = """
CREATE OR REPLACE FUNCTION gavel_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'gavel: % on %.% refused: append-only table (REC-06/REC-08)',
    TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _exec(schema_editor: BaseDatabaseSchemaEditor, sql: str) -> None:
    # No parameters: the function body contains '%' placeholders of RAISE.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def _forward(table: str) -> _Migrate:
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        _exec(schema_editor, _FUNC)
        _exec(schema_editor, f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"')
        _exec(
            schema_editor,
            f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION gavel_refuse_change()",
        )
        _truncate_trigger(schema_editor.connection, table)

    return run


def _backward(table: str) -> _Migrate:
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        _exec(schema_editor, f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"')
        _exec(schema_editor, f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"')

    return run


#: Tables that are not append-only but must never be emptied at once (the audit heads).
NEVER_TRUNCATED = ("core_auditstream",)


def _truncate_trigger(connection: BaseDatabaseWrapper, table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_FUNC)
        cursor.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"')
        cursor.execute(
            f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION gavel_refuse_change()"
        )


def append_only_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """The tables that carry an append-only trigger (PostgreSQL; [] elsewhere)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname = c.relname || '_append_only' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def guard_truncate(connection: BaseDatabaseWrapper) -> list[str]:
    """Give every append-only table and the audit heads a TRUNCATE guard where missing.
    Returns the tables guarded now."""
    if connection.vendor != "postgresql":
        return []
    tables = [*append_only_tables(connection), *NEVER_TRUNCATED]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname = c.relname || '_no_truncate'"
        )
        done = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname = ANY(%s) "
            "AND pg_table_is_visible(oid)",
            [list(tables)],
        )
        present = {row[0] for row in cursor.fetchall()}
    todo = [t for t in tables if t in present and t not in done]
    for table in todo:
        _truncate_trigger(connection, table)
    return todo


def append_only(table: str) -> migrations.RunPython:
    return migrations.RunPython(_forward(table), _backward(table))
