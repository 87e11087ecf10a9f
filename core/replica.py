"""Public reads from a PostgreSQL streaming replica (issue 18, docs/scaling.md).

With ``GAVEL_REPLICA_DATABASE_URL`` set, settings add a ``replica`` database alias and
``ReplicaRouter``. Only the views wrapped in :func:`public_read` (the public listing, search
and results pages and their API) send their reads there; everything else (every write, a
signed-in bidder's own state, the bidding pages, the staff pages, sessions) stays on the
primary. Without the setting there is no ``replica`` alias and nothing changes.

Lag guard: before a public read uses the replica, its replay lag is checked (at most once
per ``GAVEL_REPLICA_LAG_CHECK_SECONDS`` per process): a replica more than
``GAVEL_REPLICA_MAX_LAG_SECONDS`` behind, or one that cannot be reached, is skipped and the
request reads the primary. The lag is zero when the replica has replayed everything it
received (an idle primary does not make it look stale), otherwise the age of its last
replayed transaction; a database that is not a standby (the test mirror) has no lag.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest

log = logging.getLogger(__name__)

REPLICA = "replica"
P = ParamSpec("P")
R = TypeVar("R")

_reading: ContextVar[bool] = ContextVar("gavel_replica_reads", default=False)
_lock = threading.Lock()
_checked_at: float | None = None
_usable = False

LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
END
"""


def configured() -> bool:
    """Whether a ``replica`` alias exists (``GAVEL_REPLICA_DATABASE_URL`` set)."""
    return REPLICA in connections.settings


def lag_seconds() -> float:
    """The replica's replay lag in seconds, read from the replica (0 when not a standby)."""
    conn = connections[REPLICA]
    if conn.vendor != "postgresql":
        return 0.0  # no streaming replication to measure (SQLite: the test mirror)
    with conn.cursor() as cur:
        cur.execute(LAG_SQL)
        row = cur.fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


def usable() -> bool:
    """Whether public reads may go to the replica now: configured, reachable and no more
    than ``GAVEL_REPLICA_MAX_LAG_SECONDS`` behind (checked at most once per
    ``GAVEL_REPLICA_LAG_CHECK_SECONDS`` per process)."""
    global _checked_at, _usable
    if not configured():
        return False
    now = time.monotonic()
    with _lock:
        if _checked_at is not None and now - _checked_at < settings.GAVEL_REPLICA_LAG_CHECK_SECONDS:
            return _usable
        _checked_at = now
    try:
        lag = lag_seconds()
    except DatabaseError:
        log.warning("replica unreachable: public reads use the primary", exc_info=True)
        connections[REPLICA].close()
        ok = False
    else:
        ok = lag <= settings.GAVEL_REPLICA_MAX_LAG_SECONDS
        if not ok:
            log.warning("replica %.1f s behind: public reads use the primary", lag)
    with _lock:
        _usable = ok
    return ok


def reset() -> None:
    """Forget the last lag check (tests; after a failover)."""
    global _checked_at, _usable
    with _lock:
        _checked_at, _usable = None, False


def reading() -> bool:
    """Whether the current request's reads go to the replica."""
    return _reading.get()


@contextmanager
def public_reads(request: HttpRequest | None = None) -> Iterator[bool]:
    """Send this block's reads to the replica when it is usable (yields whether it is).

    With ``request``, its signed-in user and session are loaded from the primary first, so a
    replica's lag never signs anybody out."""
    user = getattr(request, "user", None)
    if user is not None:
        bool(user.is_authenticated)  # evaluates the lazy user on the primary
    token = _reading.set(usable())
    try:
        yield _reading.get()
    finally:
        _reading.reset(token)


@contextmanager
def primary() -> Iterator[None]:
    """Inside a public read: this block reads the primary (a signed-in user's own state)."""
    token = _reading.set(False)
    try:
        yield
    finally:
        _reading.reset(token)


def public_read(view: Callable[P, R]) -> Callable[P, R]:
    """Wrap a public view (listings, search, results, their API): its reads may go to the
    replica. The signed-in user and the session are loaded from the primary first, so a
    replica's lag never signs anybody out; writes always go to the primary (the router)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        request = next((a for a in args if isinstance(a, HttpRequest)), None)
        with public_reads(request):
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry when the replica is configured: reads inside
    :func:`public_reads` go to ``replica``, every write (and every other read) to the primary,
    the replica never migrates."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        return REPLICA if _reading.get() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        # Explicit: an object read from the replica is still saved on the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA
