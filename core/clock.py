"""The one injectable clock (REC-04). Every rule that reads the time asks ``now()``.

Tests move time with ``set_time``/``advance`` instead of sleeping; production reads the
server's (NTP-synced) clock. Times are aware UTC datetimes.

A server started for browser tests runs in another process; when ``GAVEL_CLOCK_FILE`` names
a file, that process reads the frozen time or offset from it, so the test can move the
server's time too (``tests/browser/conftest.py`` writes it). Unset in production.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone

_lock = threading.Lock()
_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def _shared_state() -> tuple[dt.datetime | None, dt.timedelta]:
    """The frozen time / offset written by a test process into ``GAVEL_CLOCK_FILE``."""
    path = settings.GAVEL_CLOCK_FILE
    if not path:
        return None, dt.timedelta(0)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None, dt.timedelta(0)
    frozen = dt.datetime.fromisoformat(data["frozen"]) if data.get("frozen") else None
    return frozen, dt.timedelta(seconds=float(data.get("offset", 0)))


def now() -> dt.datetime:
    """The server time that rules use: aware, UTC."""
    with _lock:
        frozen, offset = _frozen, _offset
    if frozen is None and offset == dt.timedelta(0) and settings.GAVEL_CLOCK_FILE:
        frozen, offset = _shared_state()
    if frozen is not None:
        return frozen
    return timezone.now() + offset


def local_now() -> dt.datetime:
    """``now()`` in the configured time zone (Asia/Shanghai), for day-based rules."""
    return timezone.localtime(now())


def today() -> dt.date:
    return local_now().date()


def set_time(when: dt.datetime) -> None:
    """Freeze the clock at ``when`` (aware) until ``reset()``."""
    global _frozen
    if timezone.is_naive(when):
        raise ValueError("the clock needs an aware datetime")
    with _lock:
        _frozen = when.astimezone(dt.UTC)


def advance(delta: dt.timedelta) -> dt.datetime:
    """Move the clock forward; a frozen clock stays frozen at the new time."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
            return _frozen
        _offset = _offset + delta
        return timezone.now() + _offset


def reset() -> None:
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = dt.timedelta(0)


def is_controlled() -> bool:
    """True while a test has frozen or shifted the clock (never in production)."""
    with _lock:
        return _frozen is not None or _offset != dt.timedelta(0)


def state() -> dict[str, object]:
    """The clock's frozen time / offset, JSON-ready (what a test writes to ``GAVEL_CLOCK_FILE``)."""
    with _lock:
        return {
            "frozen": _frozen.isoformat() if _frozen is not None else None,
            "offset": _offset.total_seconds(),
        }


@contextmanager
def frozen(when: dt.datetime) -> Iterator[None]:
    set_time(when)
    try:
        yield
    finally:
        reset()
