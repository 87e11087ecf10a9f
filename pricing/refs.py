"""How pricing's references read (core.refs): a pricing procedure by its asset."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.refs import int_keys, register


def _procedures(keys: list[str]) -> dict[str, str]:
    from pricing.models import PricingProcedure

    return {
        str(p.pk): str(_("定价程序（%(asset)s）") % {"asset": p.asset.name})
        for p in PricingProcedure.objects.filter(pk__in=int_keys(keys)).select_related("asset")
    }


def _inquiries(keys: list[str]) -> dict[str, str]:
    from pricing.models import Inquiry

    return {
        str(i.pk): str(_("网络询价（%(date)s 发出）") % {"date": i.sent_at.strftime("%Y-%m-%d")})
        for i in Inquiry.objects.filter(pk__in=int_keys(keys))
    }


def _staff(user: object, key: str, ids: dict[str, str]) -> bool:
    from core.permissions import is_court_staff

    return bool(is_court_staff(user))


register(
    "pricing",
    noun=_("定价程序"),
    label=_procedures,
    url=lambda key, ids: reverse("pricing:procedure", args=[int(key)]),
    visible=_staff,
)
register("inquiry", noun=_("网络询价"), label=_inquiries)
register("request", noun=_("询价请求"))
