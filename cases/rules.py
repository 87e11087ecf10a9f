"""Who may see and change cases (``rules`` permissions, autodiscovered).

- Staff see their own court's cases (``is_same_court``); judges, officers and bureau heads
  change them; finance only reads.
- A party sees the cases they are a party to (linked account, or their verified identity):
  ``cases.selectors.cases_visible_to``.
- Identity numbers in full: judge, officer, finance of the same court (REC-05), each read
  logged by ``identity_reveal``.

Ask with ``core.permissions.can``/``require`` rather than ``user.has_perm``: Django lets
superusers (the platform operator) through every ``has_perm``, and no one bypasses these.

Which cases a person may see at all is a query, ``cases.selectors.cases_visible_to`` (pages
and API answer 404 for the others); it is not repeated here as a permission.
"""

from __future__ import annotations

import rules

from core.permissions import (
    is_bureau_head,
    is_court_staff,
    is_finance,
    is_judge,
    is_officer,
    is_same_court,
)

can_manage = is_same_court & (is_judge | is_officer | is_bureau_head)

rules.add_perm("cases.view_case_record", is_same_court)  # audit history, all parties' details
rules.add_perm("cases.change_case", can_manage)
rules.add_perm("cases.add_case", is_court_staff & (is_judge | is_officer | is_bureau_head))
rules.add_perm("cases.reveal_identity", is_same_court & (is_judge | is_officer | is_finance))
