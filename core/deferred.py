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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

Flush = Callable[[list[Any]], Any]

_state = threading.local()


def _pending() -> dict[Hashable, tuple[Flush, dict[Any, None]]] | None:
    pending: dict[Hashable, tuple[Flush, dict[Any, None]]] | None = getattr(_state, "pending", None)
    return pending


@contextmanager
def deferred() -> Iterator[None]:
    """Collect ``collect`` calls made in this thread until the block ends, then flush each
    key once (in the order keys first appeared; items in the order first collected). Nested
    blocks join the outermost. If the block raises, nothing is flushed (the caller's
    transaction is rolling back anyway)."""
    if _pending() is not None:
        yield
        return
    _state.pending = {}
    try:
        yield
        while _state.pending:
            # Flushing may collect more (a flush that saves rows): run until nothing is left.
            batch, _state.pending = _state.pending, {}
            for flush, items in batch.values():
                flush(list(items))
    finally:
        _state.pending = None


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
