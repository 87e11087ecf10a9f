"""Template context for every page: server time, staff flag, unread count, the top bar."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core import clock, nav
from core.models import STAFF_ROLES


def gavel(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = user.inbox.filter(read_at__isnull=True).count()
    return {
        "server_now": clock.now(),
        "is_court_staff": bool(user and user.is_authenticated and user.role in STAFF_ROLES),
        "unread_count": unread,
        "nav_items": nav.items_for(user),
    }
