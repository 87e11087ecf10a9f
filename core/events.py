"""Domain events: typed, explicit publish/subscribe between layers (ARCHITECTURE.md).

A lower app defines a frozen dataclass subclassing ``Event`` and publishes it; a higher app
subscribes in its ``AppConfig.ready()``. ``publish`` runs handlers at once, inside the
publisher's transaction (both commit or roll back together). ``publish_on_commit`` runs
them after the transaction commits, for events that only inform (alerts, pushes); they
never run inside a lock on the hot path. Outside effects go through the outbox.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

log = logging.getLogger("gavel.events")


@dataclass(frozen=True)
class Event:
    """Base class of every domain event."""


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]

_handlers: dict[type[Event], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Register ``handler`` for ``event_type`` (idempotent: a handler is kept once)."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type[Event], handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def handlers_for(event_type: type[Event]) -> list[Handler]:
    out: list[Handler] = []
    for klass in event_type.__mro__:
        out.extend(_handlers.get(klass, []))
    return out


def publish(event: Event) -> None:
    """Run every handler now, in the caller's transaction. A handler's error propagates."""
    for handler in handlers_for(type(event)):
        handler(event)


def publish_on_commit(event: Event) -> None:
    """Run every handler after the current transaction commits; errors are logged, not raised."""

    def _run() -> None:
        for handler in handlers_for(type(event)):
            try:
                handler(event)
            except Exception:  # an informing handler must never break the publisher
                log.exception("handler %r failed for %r", handler, event)

    transaction.on_commit(_run)
