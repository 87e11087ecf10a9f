"""Periodic work run by ``manage.py run_worker`` (and inside the demo server).

Apps register their periodic tasks in ``AppConfig.ready()``: ``register_task("bidding.close_due",
close_due_auctions, every=1.0)``. Every task must be safe to run from several workers at once
(``select_for_update(skip_locked=True)``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("gavel.worker")


@dataclass
class Task:
    name: str
    fn: Callable[[], object]
    every: float
    last_run: float = field(default=0.0)


_tasks: dict[str, Task] = {}


def register_task(name: str, fn: Callable[[], object], *, every: float) -> None:
    _tasks[name] = Task(name, fn, every)


def tasks() -> list[Task]:
    return list(_tasks.values())


def run_due(*, now: float | None = None, only: set[str] | None = None) -> dict[str, object]:
    """Run every task whose interval has passed; one task's failure never stops the others."""
    from django.db import close_old_connections

    now = time.monotonic() if now is None else now
    results: dict[str, object] = {}
    for task in list(_tasks.values()):
        if only is not None and task.name not in only:
            continue
        if now - task.last_run < task.every:
            continue
        task.last_run = now
        close_old_connections()
        try:
            results[task.name] = task.fn()
        except Exception:
            log.exception("task %s failed", task.name)
            results[task.name] = "error"
    return results


def _register_core() -> None:
    from core.audit import audit_anchor_due
    from core.deadlines import deadlines_sweep
    from core.notifications import deliver_pending

    register_task("core.outbox", deliver_pending, every=2.0)
    register_task("core.deadlines", deadlines_sweep, every=30.0)
    # Looks every 10 minutes; anchors when the latest anchor is a day old (REC-06).
    register_task("core.audit_anchor", audit_anchor_due, every=600.0)


_register_core_done = False


def ensure_core_tasks() -> None:
    global _register_core_done
    if not _register_core_done:
        _register_core()
        _register_core_done = True
