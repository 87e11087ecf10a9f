"""Duties that wait for one person, gathered from every app (issue 13: "every workbench shows
every duty that waits for that person, approvals included").

Deadlines (``core.models.Deadline``) are one kind of duty; the rest live in each app's own data
(a commission to accept, a report due, a payout to sign, a training run to look at). Core knows
no higher app: each app says what waits for whom in its ``duties.py`` (collected like
``refs.py``), with ``register(provider)``; ``duties_for(user)`` asks every provider. A provider
reads, never writes, and answers for any user (an empty list when none of its duties is theirs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: Sections of the workbench, in the order it shows them.
APPROVAL, DRAFT, TODO = "approval", "draft", "todo"


@dataclass(frozen=True)
class Duty:
    """One thing that waits for a person.

    - ``kind``: a stable code ("payout_signature", "commission_offer", "training_failed"),
      for the API and tests;
    - ``section``: ``"approval"`` (a signature), ``"draft"`` (something to check and publish)
      or ``"todo"`` (anything else to do);
    - ``title``: what to do, in the viewer's language; ``subject``: the thing, named as people
      know it (a case number, an auction's title and round), never an internal reference;
    - ``url``: the page where it is done; ``since``: when it started to wait; ``due_at``: by
      when, if a rule says so; ``rule``: the rule's ID, if any; ``detail``: one more line
      (a payee, why a run failed); ``amount_fen``: the money at stake, if any.
    """

    kind: str
    section: str
    title: str
    subject: str
    url: str | None
    since: dt.datetime | None = None
    due_at: dt.datetime | None = None
    rule: str = ""
    detail: str = ""
    amount_fen: int | None = None


Provider = Callable[[Any], Iterable[Duty]]

_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """``provider(user)`` → the duties of ``name`` that wait for ``user``."""
    _PROVIDERS[name] = provider


_loaded = False


def _discover() -> None:
    global _loaded
    if not _loaded:
        from core.apps import app_modules

        app_modules("duties")
        _loaded = True


def duties_for(user: Any, *, section: str | None = None) -> list[Duty]:
    """Every duty waiting for ``user`` (oldest first), optionally of one section."""
    if not getattr(user, "is_authenticated", False):
        return []
    _discover()
    out: list[Duty] = []
    for provider in _PROVIDERS.values():
        out.extend(d for d in provider(user) if section is None or d.section == section)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    out.sort(key=lambda d: (d.due_at or far, d.since or far, d.kind))
    return out
