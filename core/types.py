"""Types shared by every app: who acts, and a request whose user is signed in."""

from __future__ import annotations

from typing import TypeAlias

from django.http import HttpRequest

from core.models import User

#: Who performs a service call: a signed-in person, or ``None`` for the system itself (the
#: clock, the worker, a management command). Services record it in the audit entry.
Actor: TypeAlias = User | None


class AuthedRequest(HttpRequest):
    """The request of a view behind ``login_required``: ``user`` is a ``User``, never anonymous."""

    user: User
