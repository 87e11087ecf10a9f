"""Who may see and do what with case funds (``rules`` permissions, autodiscovered).

- Court staff see their own court's funds pages; finance runs receipts, reconciliation and the
  last signature; officers and judges submit; leaders approve (services check each step).
- Payer identities of deposits are readable by the finance role only (REC-05), each read
  logged through ``core.access.reveal``.
- A party sees the payment notices of their own case.

Ask with ``core.permissions.can``/``require``: Django lets superusers through ``has_perm``;
no one bypasses these. Court-level pages pass the user's court as the object
(``can(user, "settlement.run_finance", user.court)``).
"""

from __future__ import annotations

from typing import Any

import rules

from core.permissions import (
    is_bureau_head,
    is_court_staff,
    is_finance,
    is_judge,
    is_officer,
    is_same_court,
)


@rules.predicate
def is_party_of_notice_case(user: Any, notice: Any) -> bool:
    from cases.models import Party

    if notice is None or not getattr(user, "is_authenticated", False):
        return False
    return Party.objects.filter(case_id=notice.case_id, user=user).exists()


rules.add_perm("settlement.view_funds", is_court_staff)
rules.add_perm("settlement.view_case_account", is_same_court)
rules.add_perm("settlement.manage_case_funds", is_same_court & (is_officer | is_judge))
rules.add_perm("settlement.run_finance", is_same_court & is_finance)
rules.add_perm("settlement.reveal_payer", is_same_court & is_finance)
rules.add_perm("settlement.approve_plan", is_same_court & (is_judge | is_bureau_head))
rules.add_perm("settlement.view_notice", is_same_court | is_party_of_notice_case)
