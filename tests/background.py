"""Driving the background entries for real (issue 14): a worker task through the worker's own
runner, a domain event through ``core.events`` to the handler the receiving app registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import events, worker


def run_task(name: str) -> Any:
    """Run the registered task ``name`` once through ``core.worker.run_due`` (what
    ``manage.py run_worker`` loops on), as if its interval had passed; fails the test when the
    task is not registered or failed (the runner logs a failure and goes on: here it raises)."""
    worker.ensure_core_tasks()
    task = next((t for t in worker.tasks() if t.name == name), None)
    assert task is not None, f"no worker task {name!r} is registered"
    task.last_run = -1e9
    # The runner recycles the worker's database connection before each task; inside the test's
    # transaction that would drop the test's data, so the recycling is skipped here.
    import django.db

    recycle = django.db.close_old_connections
    django.db.close_old_connections = lambda **kw: None
    try:
        results = worker.run_due(now=0.0, only={name})
    finally:
        django.db.close_old_connections = recycle
    assert name in results, f"the worker did not run {name!r}"
    if results[name] == "error":  # the runner swallowed it: run it again to see why
        task.fn()
        raise AssertionError(f"worker task {name!r} failed")
    return results[name]


def publish(event: events.Event, handler: Callable[..., Any]) -> None:
    """Publish ``event`` through ``core.events`` after checking that ``handler`` (the receiving
    app's subscription) is registered for it, so the test proves the wiring too."""
    assert handler in events.handlers_for(type(event)), (
        f"{handler.__qualname__} is not subscribed to {type(event).__name__}"
    )
    events.publish(event)
