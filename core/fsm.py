"""State machines (django-fsm-2) as the single source of allowed moves.

Models declare their transitions; services never re-list source states. They ask the machine
before any write (``require_allowed``) and move through it (``fire``); a move the machine does
not allow from the current state is the caller's ``refusal`` (a ``Conflict``, HTTP 409).
"""

from __future__ import annotations

from collections.abc import Callable

from django_fsm import TransitionNotAllowed, can_proceed

from core.errors import DomainError


def require_allowed(move: Callable[..., object], refusal: DomainError) -> None:
    """Raise ``refusal`` unless the machine allows ``move`` from the object's current state."""
    if not can_proceed(move):
        raise refusal


def fire(move: Callable[[], object], refusal: DomainError) -> None:
    """Run the transition ``move``; one the machine does not allow raises ``refusal``."""
    try:
        move()
    except TransitionNotAllowed:
        raise refusal from None
