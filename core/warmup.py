"""Work a long-running process does once, before its first job (issue 18).

A higher app registers what it loads lazily on first use (``register(fn)``, in its
``AppConfig.ready``): the listing index's word dictionary, say, takes seconds to load. A
process whose first job has a deadline (the clock: its first batch of closes) calls
``warm_up()`` when it starts, so that cost is not paid inside the first batch. A web process
does not need to: it loads the same things on its first request, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("gavel.warmup")

_steps: list[Callable[[], object]] = []


def register(step: Callable[[], object]) -> None:
    """Add ``step`` (idempotent: a step is kept once)."""
    if step not in _steps:
        _steps.append(step)


def warm_up() -> None:
    """Run every registered step; a failing step is logged (it will run on first use)."""
    for step in _steps:
        try:
            step()
        except Exception:
            log.exception("warm-up step %r failed", step)
