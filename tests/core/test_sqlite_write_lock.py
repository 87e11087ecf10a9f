"""SQLite (the demo's database): a transaction that reads, then writes while another connection
is writing, waits for it instead of failing with "database is locked" (found in the demo:
sign-up and the bid password answered 500 while a second window or the demo's clock wrote).
Django's own ``transaction.atomic`` on a SQLite file configured by ``database_from_url``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.utils import ConnectionHandler

from config.settings import database_from_url

ALIAS = "sqlite_write_lock"


@pytest.fixture
def sqlite_file(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    db = database_from_url(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    connections.settings[ALIAS] = ConnectionHandler({"default": db}).settings["default"]
    with django_db_blocker.unblock():
        with connections[ALIAS].cursor() as cur:
            cur.execute("CREATE TABLE seat (n INTEGER)")
        try:
            yield ALIAS
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]


def test_read_then_write_waits_for_a_concurrent_writer(sqlite_file: str) -> None:
    other: list[BaseException | None] = []

    def other_window() -> None:
        try:
            with transaction.atomic(using=sqlite_file), connections[sqlite_file].cursor() as cur:
                cur.execute("INSERT INTO seat VALUES (2)")
            other.append(None)
        except BaseException as exc:
            other.append(exc)
        finally:
            connections[sqlite_file].close()

    with transaction.atomic(using=sqlite_file), connections[sqlite_file].cursor() as cur:
        cur.execute("SELECT count(*) FROM seat")  # reads first (a check, a lookup)
        thread = threading.Thread(target=other_window)
        thread.start()
        time.sleep(0.5)  # the other connection begins its write meanwhile
        cur.execute("INSERT INTO seat VALUES (1)")  # DEFERRED: "database is locked"
    thread.join(30)
    assert other == [None]
    with connections[sqlite_file].cursor() as cur:
        cur.execute("SELECT n FROM seat ORDER BY rowid")
        assert [row[0] for row in cur.fetchall()] == [1, 2]
