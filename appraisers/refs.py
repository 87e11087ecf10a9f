"""How the appraisers app's references read (core.refs): requests, commissions, firms."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.refs import int_keys, register


def _requests(keys: list[str]) -> dict[str, str]:
    from appraisers.models import AppraisalRequest

    return {
        str(r.pk): str(_("委托评估（%(asset)s）") % {"asset": r.asset.name})
        for r in AppraisalRequest.objects.filter(pk__in=int_keys(keys)).select_related("asset")
    }


def _commissions(keys: list[str]) -> dict[str, str]:
    from appraisers.models import Commission

    return {
        str(c.pk): str(_("评估委托：%(firm)s") % {"firm": c.firm.name})
        for c in Commission.objects.filter(pk__in=int_keys(keys)).select_related("firm")
    }


def _firms(keys: list[str]) -> dict[str, str]:
    from appraisers.models import Firm

    return {
        str(pk): name
        for pk, name in Firm.objects.filter(pk__in=int_keys(keys)).values_list("pk", "name")
    }


def _staff(user: object, key: str, ids: dict[str, str]) -> bool:
    from core.permissions import is_court_staff

    return bool(is_court_staff(user))


register(
    "appraisal",
    noun=_("委托评估"),
    label=_requests,
    url=lambda key, ids: reverse("appraisers:court_request", args=[int(key)]),
    visible=_staff,
)
register("commission", noun=_("评估委托"), label=_commissions)
register("appraisal_firm", noun=_("评估机构"), label=_firms)
register("draw", noun=_("摇号"))
register("objection", noun=_("异议"))
register("report", noun=_("评估报告"))
