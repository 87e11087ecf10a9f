"""Database helpers for migrations: append-only tables enforced by PostgreSQL triggers.

Use in a migration of any app: ``operations = [append_only("settlement_ledgerleg")]``.
On SQLite (the demo) it does nothing; the services never update or delete those rows anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import migrations

if TYPE_CHECKING:
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
        # No TRUNCATE trigger: the test runner's flush truncates; operators never get TRUNCATE.

    return run


def _backward(table: str) -> _Migrate:
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        _exec(schema_editor, f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"')

    return run


def append_only(table: str) -> migrations.RunPython:
    return migrations.RunPython(_forward(table), _backward(table))
