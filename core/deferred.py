"""Work that may be done once for many rows: collected inside a ``deferred()`` block, flushed
once at its end (issue 18).

A caller doing many similar writes in one transaction (the clock closing a batch of auctions)
opens ``with deferred():``; a handler reached by each write (a signal handler of a higher app
that rebuilds a derived row) calls ``collect(key, item, flush)`` instead of doing its work at
once. At the block's end — still inside the caller's transaction, so the derived rows commit
or roll back with the writes — each key's ``flush`` runs once with every item collected for
it. Outside a block ``collect`` calls ``flush([item])`` at once: nothing changes for callers
that never open one. The lower app opening the block needs to know nothing of the higher
app's work (layers: core → … → marketplace).

``deferred(separate=True)`` opens a block of its own inside another: its items are flushed at
its own end. The clock uses two: an inner one around a batch's writes (derived rows, flushed
inside the transaction) and an outer one around the whole transaction, which collects what the
after-commit handlers of every close in the batch do (one state check, one upsert, one watcher
look-up for the batch instead of one each per close).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

Flush = Callable[[list[Any]], Any]

_state = threading.local()


Pending = dict[Hashable, tuple[Flush, dict[Any, None]]]


def _frames() -> list[Pending]:
    frames: list[Pending] | None = getattr(_state, "frames", None)
    if frames is None:
        frames = _state.frames = []
    return frames


def _pending() -> Pending | None:
    frames = _frames()
    return frames[-1] if frames else None


@contextmanager
def deferred(*, separate: bool = False) -> Iterator[None]:
    """Collect ``collect`` calls made in this thread until the block ends, then flush each
    key once (in the order keys first appeared; items in the order first collected). Nested
    blocks join the enclosing one, unless ``separate``: then the block collects on its own and
    flushes at its own end. If the block raises, nothing is flushed (the caller's transaction
    is rolling back anyway)."""
    frames = _frames()
    if frames and not separate:
        yield
        return
    frames.append({})
    depth = len(frames)
    try:
        yield
        while frames[depth - 1]:
            # Flushing may collect more (a flush that saves rows): run until nothing is left.
            batch = frames[depth - 1]
            frames[depth - 1] = {}
            for flush, items in batch.values():
                flush(list(items))
    finally:
        del frames[depth - 1 :]


def collect(key: Hashable, item: Any, flush: Flush) -> None:
    """Do ``flush([item])`` now, or once with the other items of ``key`` at the end of the
    enclosing ``deferred()`` block."""
    pending = _pending()
    if pending is None:
        flush([item])
        return
    entry = pending.get(key)
    if entry is None:
        entry = pending[key] = (flush, {})
    entry[1][item] = None
