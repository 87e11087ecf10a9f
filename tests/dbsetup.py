"""Test databases: migrated once and cloned per parallel worker; emptied fast on PostgreSQL.

Migrating the test database takes tens of seconds; with one database per worker, every
worker used to pay it. Here the first worker to take a file lock migrates a template
database, and each worker copies it (PostgreSQL ``CREATE DATABASE … TEMPLATE``, a file copy
on SQLite) as its own ``…_gw<n>`` database. The last worker to finish drops the template.
Without xdist, or with ``--reuse-db`` / ``--create-db`` / ``--nomigrations``, pytest-django
sets the database up as usual (``tests/conftest.py`` decides).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

VAR = Path(__file__).resolve().parents[1] / "var"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _template_name(settings_dict: dict[str, Any], worker: str, run: str) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return str(VAR / f"test-template-{run}.sqlite3")
    test_name = settings_dict.get("TEST", {}).get("NAME") or f"test_{settings_dict['NAME']}"
    return f"{test_name.removesuffix('_' + worker)}_template"


def _close(connection: Any) -> None:
    connection.close()
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()


def _use(connection: Any, name: str) -> None:
    from django.conf import settings

    _close(connection)
    connection.settings_dict["NAME"] = name
    settings.DATABASES[connection.alias]["NAME"] = name


@contextmanager
def worker_database(worker: str, verbosity: int) -> Iterator[None]:
    """The default database of worker ``worker`` (``gw0``…) for the whole session."""
    from django.db import connection

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "local")[:12]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    lock = VAR / f"test-template-{run}.lock"
    marker = VAR / f"test-template-{run}.done"
    finished = VAR / f"test-template-{run}.finished"
    original = connection.settings_dict["NAME"]
    template = _template_name(connection.settings_dict, worker, run)
    creation = connection.creation

    with _locked(lock):
        if not marker.exists():
            connection.settings_dict.setdefault("TEST", {})["NAME"] = template
            creation.create_test_db(
                verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False
            )
            _close(connection)
            marker.write_text(template, encoding="utf-8")
        _use(connection, template)
        creation.clone_test_db(suffix=worker, verbosity=verbosity, autoclobber=True)
        _use(connection, creation.get_test_db_clone_settings(worker)["NAME"])
    try:
        yield
    finally:
        _close(connection)
        creation.destroy_test_db(old_database_name=original, verbosity=verbosity)
        with _locked(lock):
            with open(finished, "a", encoding="utf-8") as fh:
                fh.write(worker + "\n")
            if len(finished.read_text(encoding="utf-8").split()) >= workers:
                _drop_template(connection, template)
                for path in (marker, finished, lock):
                    path.unlink(missing_ok=True)


def _drop_template(connection: Any, template: str) -> None:
    if connection.vendor == "sqlite":
        Path(template).unlink(missing_ok=True)
        return
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(template)}")


# Rows that only ``post_migrate`` writes (content types, permissions): kept by the flush, so
# Django's ``post_migrate`` after it finds them and writes nothing (their ids stay the same).
# The holiday calendar is installation data (core migration 0004), like content types; no
# transactional test edits it.
KEPT_BY_FLUSH = frozenset({"django_content_type", "auth_permission", "core_calendarday"})


def install_fast_flush() -> None:
    """Make the flush after each transactional test (``transaction=True``, consumers, the
    browser tests) cheap.

    - Content types and permissions are not deleted (``KEPT_BY_FLUSH``): recreating them in
      ``post_migrate`` cost a good part of each flush.
    - PostgreSQL: the tables that hold rows are emptied with ``DELETE`` instead of one
      ``TRUNCATE`` of the hundred-odd tables (seconds of file work each time). The
      append-only triggers and the foreign-key checks (all the tables are emptied together)
      are skipped as ``TRUNCATE`` skips them, with ``session_replication_role = replica`` for
      that transaction only; that needs a superuser (CI's ``postgres``), otherwise Django's
      ``TRUNCATE`` stays.
    """
    from django.db import connections

    for conn in connections.all():  # wrappers only: nothing connects here
        ops = type(conn.ops)
        if not getattr(ops.sql_flush, "gavel_fast", False):
            _wrap_sql_flush(ops, postgres=conn.vendor == "postgresql")


def _wrap_sql_flush(ops: Any, *, postgres: bool) -> None:
    original = ops.sql_flush

    def sql_flush(
        self: Any,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade:
            return list(
                original(
                    self,
                    style,
                    tables,
                    reset_sequences=reset_sequences,
                    allow_cascade=allow_cascade,
                )
            )
        tables = [t for t in tables if t not in KEPT_BY_FLUSH]
        if not postgres or not tables:
            return list(original(self, style, tables))
        qn = self.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            if not (row and row[0]):
                return list(original(self, style, tables))
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {qn(t)})" for i, t in enumerate(tables)
                )
            )
            filled = [tables[i] for (i,) in cursor.fetchall()]
        if not filled:
            return []
        return ["SET LOCAL session_replication_role = replica"] + [
            f"DELETE FROM {qn(t)}" for t in filled
        ]

    sql_flush.gavel_fast = True  # type: ignore[attr-defined]
    ops.sql_flush = sql_flush


def skip_durable_writes() -> None:
    """Test databases need no durability: commits do not wait for the disk (SQLite
    ``synchronous=OFF``, PostgreSQL ``synchronous_commit=off``). Migrations, transactional
    tests and races commit often; a crash only loses a test database."""
    from django.conf import settings

    for db in settings.DATABASES.values():
        options = db.setdefault("OPTIONS", {})
        if db["ENGINE"].endswith("sqlite3"):
            init = options.get("init_command", "")
            options["init_command"] = ";".join(filter(None, [init, "PRAGMA synchronous=OFF"]))
        elif db["ENGINE"].endswith("postgresql"):
            extra = options.get("options", "")
            options["options"] = " ".join(filter(None, [extra, "-c synchronous_commit=off"]))
