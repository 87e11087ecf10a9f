"""Who may do what in pricing (``rules`` permissions, autodiscovered).

- The court's judges and officers (and bureau heads) run the procedure of their own court's
  assets; other staff of that court read it.
- A party reads the pricing of the cases they are a party to, files objections and quotes.
- The roster keeper (platform operator, or a bureau head) maintains the inquiry-platform
  roster and activates valuation models.

Ask with ``core.permissions.can``/``require`` (superusers get no free pass).
"""

from __future__ import annotations

from typing import Any

import rules

from core.permissions import is_bureau_head, is_judge_or_officer, is_operator, is_same_court


@rules.predicate
def is_party_of_case(user: Any, obj: Any) -> bool:
    from cases.models import Party

    case_id = getattr(obj, "case_id", None)
    if case_id is None or not getattr(user, "is_authenticated", False):
        return False
    return Party.objects.filter(case_id=case_id, user=user).exists()


can_run = is_same_court & (is_judge_or_officer | is_bureau_head)

rules.add_perm("pricing.run_procedure", can_run)
rules.add_perm("pricing.view_procedure", is_same_court | is_party_of_case)
rules.add_perm("pricing.object", is_party_of_case)
rules.add_perm("pricing.keep_roster", is_operator | is_bureau_head)
