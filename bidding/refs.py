"""How bidding's references read (core.refs): an auction by its title and round."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.punctuation import paren
from core.refs import int_keys, register, register_word


def _auctions(keys: list[str]) -> dict[str, str]:
    from bidding.models import Auction

    out = {}
    for a in Auction.objects.filter(pk__in=int_keys(keys)):
        title = a.title or str(a.pk)
        with translation.override("zh-hans"):  # demo titles carry the round in Chinese
            carried = str(a.get_round_display()) in title
        round_name = a.get_round_display()
        out[str(a.pk)] = title if carried or round_name in title else title + paren(round_name)
    return out


def _registrations(keys: list[str]) -> dict[str, str]:
    from bidding.models import Registration

    return {
        str(pk): str(_("竞买号 %(code)s") % {"code": code})
        for pk, code in Registration.objects.filter(pk__in=int_keys(keys)).values_list(
            "pk", "bidder_code"
        )
    }


def _court_staff(user: object, key: str, ids: dict[str, str]) -> bool:
    from bidding.models import Auction
    from core.permissions import is_court_staff_of

    if not key.isdigit():
        return False
    court_id = Auction.objects.filter(pk=int(key)).values_list("court_id", flat=True).first()
    return court_id is not None and is_court_staff_of(user, court_id)


def _auction_manager(user: object, key: str, ids: dict[str, str]) -> bool:
    """The court's auction page opens to its judges, officers and heads only
    (``bidding.manage_auction``): finance sees the auction's name without a link to a 403."""
    from bidding.models import Auction
    from core.permissions import can

    if not key.isdigit():
        return False
    auction = Auction.objects.filter(pk=int(key)).only("pk", "court_id").first()
    return auction is not None and can(user, "bidding.manage_auction", auction)


def _auction_url(key: str, ids: dict[str, str]) -> str:
    return reverse("bidding:court_auction", args=[int(key)])


register("auction", noun=_("拍卖"), label=_auctions, url=_auction_url, visible=_auction_manager)
register("registration", noun=_("竞买报名"), label=_registrations)
register("in_lieu_draw", noun=_("以物抵债抽签"))
register("viewing", noun=_("看样预约"))
register_word("handover", _("交付"))


def _flags(keys: list[str]) -> dict[str, str]:
    from bidding.collusion.models import CollusionFlag

    return {
        str(pk): str(_("串通风险提示（%(score)s 分）") % {"score": score})
        for pk, score in CollusionFlag.objects.filter(pk__in=int_keys(keys)).values_list(
            "pk", "score"
        )
    }


register(
    "collusion_flag",
    noun=_("串通风险提示"),
    label=_flags,
    url=lambda key, ids: reverse("bidding:collusion_flag", args=[int(key)]),
    visible=lambda user, key, ids: _court_staff(user, ids.get("auction", ""), ids),
)
