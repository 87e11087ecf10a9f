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

from collections.abc import Callable
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

can_manage = is_same_court & (is_judge | is_officer | is_bureau_head)

#: Who else publishes an asset's files: functions ``(AssetFile) -> bool`` registered by later
#: apps (bidding: the files of a lot whose auction is announced are part of the announcement,
#: AUC-09). Cases cannot ask bidding, so bidding tells it (``register_publication``).
_publications: list[Callable[[Any], bool]] = []


def register_publication(check: Callable[[Any], bool]) -> None:
    if check not in _publications:
        _publications.append(check)


@rules.predicate
def is_published_file(user: Any, asset_file: Any) -> bool:
    return any(check(asset_file) for check in _publications)


@rules.predicate
def sees_case_of(user: Any, obj: Any) -> bool:
    """The object's case is one ``user`` may see: its court's staff, or a party to it."""
    from cases.selectors import cases_visible_to

    case_id = getattr(getattr(obj, "asset", obj), "case_id", None)
    if case_id is None or not getattr(user, "is_authenticated", False):
        return False
    return cases_visible_to(user).filter(pk=case_id).exists()


rules.add_perm("cases.view_case_record", is_same_court)  # audit history, all parties' details
rules.add_perm("cases.change_case", can_manage)
rules.add_perm("cases.add_case", is_court_staff & (is_judge | is_officer | is_bureau_head))
# An asset's photo, video or document: public once announced, else the case's staff and parties.
rules.add_perm("cases.view_asset_file", is_published_file | sees_case_of)
rules.add_rule("cases.asset_file_public", is_published_file)  # read by anyone (core.files)
rules.add_perm("cases.reveal_identity", is_same_court & (is_judge | is_officer | is_finance))
