"""Restricted data (REC-05, REC-08): masking, and a log entry for every unmasked read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core import clock
from core.errors import PermissionDenied
from core.models import AccessLog


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """``360102199001011234`` → ``360***********1234``. Short values are masked whole."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def access_log_record(*, user: Any, subject: str, field: str, purpose: str) -> AccessLog:
    return AccessLog.objects.create(
        at=clock.now(),
        user=user if getattr(user, "pk", None) else None,
        role=getattr(user, "role", "") or "system",
        subject=subject,
        field=field,
        purpose=purpose,
    )


def reveal(
    *,
    user: Any,
    value: str,
    subject: str,
    field: str,
    purpose: str,
    roles: frozenset[str] | set[str],
) -> str:
    """Return ``value`` in full to one of the named ``roles``, logging the read; refuse others."""
    if not getattr(user, "is_authenticated", False) or user.role not in roles:
        raise PermissionDenied("restricted_data", _("无权查看该受限信息"), rule="REC-05")
    if not purpose or not purpose.strip():
        raise PermissionDenied("purpose_required", _("查看受限信息须说明用途"), rule="REC-08")
    access_log_record(user=user, subject=subject, field=field, purpose=purpose)
    return value
