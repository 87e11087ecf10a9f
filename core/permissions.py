"""Who may do what: one registry of object permissions (the ``rules`` library).

Each app registers its own permissions in its ``rules.py`` (autodiscovered) from the
predicates here; pages, API endpoints and services ask through ``can``/``require``. Core
provides the building blocks: roles, "staff of this court", court scoping for staff lists.

``can``/``require`` ask the ``rules`` registry directly: Django's ``user.has_perm`` lets every
superuser (the platform operator of the admin) through, and no business check may (NOTES.md).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

import rules
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from core.errors import PermissionDenied
from core.models import STAFF_ROLES, Court, Role

M = TypeVar("M", bound=Model)

#: The court's deciding staff: who acts on a court's auctions, procedures and appraisals
#: (finance keeps the accounts but decides none of these).
COURT_ACTORS: frozenset[str] = frozenset({Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD})


def court_id_of(obj: object) -> int | None:
    """The court an object belongs to: a ``Court`` itself, its ``court_id``, or that of its
    ``case``, ``auction`` or ``account`` (followed as far as needed)."""
    if obj is None:
        return None
    if isinstance(obj, Court):
        return obj.pk
    if hasattr(obj, "court_id"):
        value = obj.court_id
        return value if isinstance(value, int) else None
    for attr in ("case", "auction", "account"):
        inner = getattr(obj, attr, None)
        if inner is not None and inner is not obj:
            return court_id_of(inner)
    return None


def is_court_staff_of(
    user: object, court_id: int | None, *, roles: Collection[str] = STAFF_ROLES
) -> bool:
    """The one "staff of this court" check: ``user`` is signed in, holds one of ``roles`` (any
    staff role by default) and belongs to court ``court_id``."""
    return (
        court_id is not None
        and bool(getattr(user, "is_authenticated", False))
        and getattr(user, "role", None) in roles
        and getattr(user, "court_id", None) == court_id
    )


def has_role(*roles: str) -> rules.Predicate:
    names = "_".join(roles)

    @rules.predicate(name=f"has_role_{names}")
    def _pred(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.role in roles

    return _pred


@rules.predicate
def is_court_staff(user: Any) -> bool:
    """Any court's staff (judge, officer, bureau head, finance)."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.role in STAFF_ROLES
        and user.court_id is not None
    )


@rules.predicate
def is_same_court(user: Any, obj: Any) -> bool:
    """Staff act on their own court's objects only (``court_id_of(obj)``)."""
    return is_court_staff_of(user, court_id_of(obj))


is_judge = has_role(Role.JUDGE)
is_officer = has_role(Role.OFFICER)
is_finance = has_role(Role.FINANCE)
is_bureau_head = has_role(Role.BUREAU_HEAD)
is_judge_or_officer = has_role(Role.JUDGE, Role.OFFICER)
is_operator = has_role(Role.OPERATOR)

rules.add_perm("core.view_court_staff_pages", is_court_staff)
rules.add_perm("core.change_court_settings", is_same_court & (is_judge | is_bureau_head))
# Onboarding (courts, their staff, firm users, enrolment links): the operator role only.
rules.add_perm("core.onboard", is_operator)


def can(user: Any, perm: str, obj: Any = None) -> bool:
    """Whether ``user`` has ``perm`` on ``obj``, asked of the predicates themselves (a
    superuser gets no free pass, unlike ``user.has_perm``)."""
    return bool(getattr(user, "is_authenticated", False)) and rules.has_perm(perm, user, obj)


def require(user: Any, perm: str, obj: Any = None) -> None:
    """Raise a 403 ``PermissionDenied`` unless ``can(user, perm, obj)``."""
    if not can(user, perm, obj):
        raise PermissionDenied("forbidden", _("无权执行此操作"), perm=perm)


def court_scoped(qs: QuerySet[M], user: Any, *, field: str = "court") -> QuerySet[M]:
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
