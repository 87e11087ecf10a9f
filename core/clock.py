"""The one injectable clock (REC-04). Every rule that reads the time asks ``now()``.

Tests move time with ``freeze``/``advance`` instead of sleeping; production reads the
server's (NTP-synced) clock. Times are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_lock = threading.Lock()
_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    """The server time that rules use: aware, UTC."""
    with _lock:
        if _frozen is not None:
            return _frozen
        return timezone.now() + _offset


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


@contextmanager
def frozen(when: dt.datetime) -> Iterator[None]:
    set_time(when)
    try:
        yield
    finally:
        reset()
