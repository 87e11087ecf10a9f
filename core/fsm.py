"""State machines (django-fsm-2) as the single source of allowed moves.

Models declare their transitions; services never re-list source states. They ask the machine
before any write (``require_allowed``) and move through it (``fire``); a move the machine does
not allow from the current state is the caller's ``refusal`` (a ``Conflict``, HTTP 409).

``ProtectedStateModel`` is the base of every model with a ``protected=True`` state field: its
``refresh_from_db`` is safe from any number of threads at once (NOTES.md, "Traps").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django_fsm import FSMFieldMixin, TransitionNotAllowed, can_proceed

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


class ProtectedStateModel(models.Model):
    """An abstract model whose protected FSM state fields survive concurrent refreshes.

    django-fsm-2 refuses ``setattr`` on a protected state field that the instance already
    holds; its ``FSMModelMixin`` lets ``refresh_from_db`` through by switching ``protected``
    off on the *field*, which is shared by every thread of the process, and on again after:
    a second thread refreshing meanwhile finds it switched back on and fails with "Direct
    state modification is not allowed" (HTTP 500 under concurrent reads). Here nothing
    shared changes: the instance drops its own copy of each protected field to reload
    (``__dict__``, so the guard lets the new value in) and the fields load from the row.
    """

    class Meta:
        abstract = True

    def _protected_state_attnames(self) -> set[str]:
        return {
            f.attname
            for f in self._meta.concrete_fields
            if isinstance(f, FSMFieldMixin) and f.protected
        }

    def refresh_from_db(
        self,
        using: str | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: models.QuerySet[Any] | None = None,
    ) -> None:
        """Reload from the database like Django does, protected state fields included."""
        names = None if fields is None else list(fields)
        protected = self._protected_state_attnames()
        loaded = {name for name in protected if name in self.__dict__}
        reload = loaded if names is None else protected & set(names)
        dropped = {name: self.__dict__.pop(name) for name in reload if name in self.__dict__}
        try:
            # With ``fields=None`` Django reloads what the instance holds; the dropped state
            # fields now look deferred, so they are named in a second, narrow refresh.
            super().refresh_from_db(using=using, fields=names, from_queryset=from_queryset)
            if names is None and reload:
                super().refresh_from_db(
                    using=using, fields=sorted(reload), from_queryset=from_queryset
                )
        except BaseException:
            for name, value in dropped.items():
                self.__dict__.setdefault(name, value)
            raise
