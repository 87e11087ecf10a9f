"""Who may see and change cases (``rules`` permissions, autodiscovered).

- Staff see their own court's cases (``is_same_court``); judges, officers and bureau heads
  change them; finance only reads.
- A party sees the cases they are a party to (linked account, or their verified identity).
- Identity numbers in full: judge, officer, finance of the same court (REC-05), each read
  logged by ``identity_reveal``.

Use ``cases.rules.can``/``require`` rather than ``user.has_perm``: Django lets superusers
(the platform operator) through every ``has_perm``, and no one bypasses these.
"""

from __future__ import annotations

from typing import Any

import rules

from core.errors import PermissionDenied
from core.permissions import (
    is_bureau_head,
    is_court_staff,
    is_finance,
    is_judge,
    is_officer,
    is_same_court,
)


@rules.predicate
def is_party_of_case(user: Any, case: Any) -> bool:
    from cases.selectors import is_party_to

    return case is not None and is_party_to(user, case)


can_manage = is_same_court & (is_judge | is_officer | is_bureau_head)

rules.add_perm("cases.view_case", is_same_court | is_party_of_case)
rules.add_perm("cases.view_case_record", is_same_court)  # audit history, all parties' details
rules.add_perm("cases.change_case", can_manage)
rules.add_perm("cases.add_case", is_court_staff & (is_judge | is_officer | is_bureau_head))
rules.add_perm("cases.reveal_identity", is_same_court & (is_judge | is_officer | is_finance))


def can(user: Any, perm: str, obj: Any = None) -> bool:
    return bool(user) and rules.has_perm(perm, user, obj)


def require(user: Any, perm: str, obj: Any = None) -> None:
    if not can(user, perm, obj):
        raise PermissionDenied("forbidden", "无权执行此操作", perm=perm)
