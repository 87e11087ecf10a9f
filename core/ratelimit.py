"""Per-user rate limits on writes (REC-14), via django-ratelimit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from core.errors import DomainError

_View = TypeVar("_View", bound=Callable[..., Any])

log = logging.getLogger("gavel.ratelimit")


class RateLimited(DomainError):
    status = 429


def check_write_rate(
    request: HttpRequest, group: str, rate: str | None = None, *, fail_open: bool = False
) -> None:
    """Count one write for this user (or IP); raise ``RateLimited`` past the limit.

    ``fail_open``: when the cache that counts is unreachable (Redis down), let the write
    through (logged) instead of failing it — for writes that must not stop with the cache,
    such as bids."""
    if not settings.RATELIMIT_ENABLE:
        return
    key = "user_or_ip"
    try:
        limited = is_ratelimited(
            request,
            group=group,
            key=key,
            rate=rate or settings.RATELIMIT_WRITE,
            method=is_ratelimited.ALL,
            increment=True,
        )
    except Exception:
        if not fail_open:
            raise
        log.warning("rate limit of %s not counted: the cache is unreachable", group, exc_info=True)
        return
    if limited:
        raise RateLimited("rate_limited", _("操作过于频繁，请稍后再试"))


def write_rate_limited(group: str, rate: str | None = None) -> Callable[[_View], _View]:
    """A view decorator: every write (not GET, HEAD, OPTIONS) counts against the limit."""

    def deco(view: _View) -> _View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check_write_rate(request, group, rate)
            return view(request, *args, **kwargs)

        return cast(_View, wrapper)

    return deco
