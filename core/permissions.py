"""Who may do what: one registry of object permissions (the ``rules`` library).

Each app registers its own predicates and permissions in its ``rules.py`` (autodiscovered).
Core provides the building blocks: roles, court scoping for staff, and ``require``.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import PermissionDenied
from core.models import STAFF_ROLES, Role


def court_id_of(obj: Any) -> int | None:
    """The court an object belongs to: ``court_id``, or ``case.court_id`` and the like."""
    if obj is None:
        return None
    for attr in ("court_id",):
        if hasattr(obj, attr):
            return getattr(obj, attr)
    for attr in ("case", "auction", "account"):
        inner = getattr(obj, attr, None)
        if inner is not None and inner is not obj:
            return court_id_of(inner)
    return None


def has_role(*roles: str):
    names = "_".join(roles)

    @rules.predicate(name=f"has_role_{names}")
    def _pred(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.role in roles

    return _pred


@rules.predicate
def is_court_staff(user: Any) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.role in STAFF_ROLES
        and user.court_id is not None
    )


@rules.predicate
def is_same_court(user: Any, obj: Any) -> bool:
    """Staff act on their own court's objects only."""
    if not is_court_staff(user):
        return False
    return obj is not None and court_id_of(obj) == user.court_id


is_judge = has_role(Role.JUDGE)
is_officer = has_role(Role.OFFICER)
is_finance = has_role(Role.FINANCE)
is_bureau_head = has_role(Role.BUREAU_HEAD)
is_judge_or_officer = has_role(Role.JUDGE, Role.OFFICER)
is_operator = has_role(Role.OPERATOR)

rules.add_perm("core.view_court_staff_pages", is_court_staff)
rules.add_perm("core.change_court_settings", is_same_court & (is_judge | is_bureau_head))


def require(user: Any, perm: str, obj: Any = None) -> None:
    """Raise a 403 DomainError unless ``user`` has ``perm`` on ``obj``."""
    if not (user and user.has_perm(perm, obj)):
        raise PermissionDenied("forbidden", _("无权执行此操作"), perm=perm)


def court_scoped(qs: QuerySet, user: Any, *, field: str = "court") -> QuerySet:
    """Court scoping for staff: only rows of the user's own court (none for anyone else).

    ``field`` is the lookup path to the court, e.g. ``"court"`` or ``"case__court"``.
    """
    if not is_court_staff(user):
        return qs.none()
    return qs.filter(**{f"{field}_id": user.court_id})


def requires_two_factor(user: Any) -> bool:
    """Who must pass TOTP (REC-14): court staff, platform operators and admin-site users."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        user.role in STAFF_ROLES
        or user.role == Role.OPERATOR
        or bool(getattr(user, "is_staff", False))
        or bool(getattr(user, "is_superuser", False))
    )
