"""Object permissions of the appraisers app (REC-14: least privilege).

A firm user acts only on their own firm's commissions and never reads another firm's; court
staff act on their own court's appraisals; a party reads the appraisal of their own case and
may object, but never changes a report; roster keepers (platform operators, bureau heads)
maintain the roster.

The platform operator is an ordinary role here: the roster by the ``operator`` role, nothing
else; being a superuser (the Django admin's own permission) grants nothing in this app.
"""

from __future__ import annotations

from typing import Any

import rules

from core.models import Role
from core.permissions import (
    is_bureau_head,
    is_finance,
    is_judge_or_officer,
    is_operator,
    is_same_court,
)


def _firm_id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    for attr in ("firm_id",):
        if hasattr(obj, attr):
            return getattr(obj, attr)
    inner = getattr(obj, "commission", None)
    return _firm_id_of(inner) if inner is not None else None


def _case_id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if hasattr(obj, "case_id"):
        return obj.case_id
    for attr in ("request", "commission"):
        inner = getattr(obj, attr, None)
        if inner is not None:
            return _case_id_of(inner)
    return None


@rules.predicate
def is_user_of_firm(user: Any, obj: Any) -> bool:
    """The user is an active user of the firm the object belongs to."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.APPRAISER:
        return False
    fu = getattr(user, "appraisal_firm_user", None)
    return fu is not None and fu.is_active and fu.firm_id == _firm_id_of(obj)


@rules.predicate
def is_party_of_case(user: Any, obj: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    from cases.models import Party

    case_id = _case_id_of(obj)
    return case_id is not None and Party.objects.filter(case_id=case_id, user=user).exists()


is_court_manager = is_same_court & is_judge_or_officer

rules.add_perm("appraisers.view_request", is_same_court | is_party_of_case)
rules.add_perm("appraisers.manage_appraisal", is_court_manager)
rules.add_perm("appraisers.view_commission", is_user_of_firm | is_same_court | is_party_of_case)
rules.add_perm("appraisers.act_for_firm", is_user_of_firm)
rules.add_perm("appraisers.change_report", is_user_of_firm)
rules.add_perm("appraisers.object_to_report", is_party_of_case)
rules.add_perm("appraisers.take_part_in_draw", is_party_of_case | is_court_manager)
rules.add_perm("appraisers.manage_roster", is_operator | is_bureau_head)
# Onboarding firms (with their recommending association, APR-01) and their users (who get
# an enrolment link): the platform operator only.
rules.add_perm("appraisers.onboard_firms", is_operator)
rules.add_perm("appraisers.record_fee_payment", is_same_court & (is_finance | is_judge_or_officer))
