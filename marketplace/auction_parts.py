"""The marketplace's parts of the one auction page (bidding's ``/bidding/auctions/<id>/``):
the 可贷款/限购/kind tags, the 提醒 (follow) count and button, the viewing appointments tab, and
the links to the published result and the case's public steps. Registered with
``bidding.page_parts`` in ``MarketplaceConfig.ready()``; bidding never imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import reverse

from core.models import STAFF_ROLES
from marketplace.listings import GROUP_OF_STATE, listing_rows
from marketplace.models import Watch
from marketplace.selectors import viewing_slots_for_lot

if TYPE_CHECKING:
    from bidding.models import Auction

P = "marketplace/auction_parts/"


def auction_page_parts(request: HttpRequest, auction: Auction) -> dict[str, Any]:
    if auction.is_practice:  # play money: nothing to follow, view or publish
        return {}
    user = request.user
    (row,) = listing_rows([auction], user)
    ended = GROUP_OF_STATE.get(auction.state, "ended") == "ended"
    has_result = ended and getattr(auction, "result", None) is not None
    slots = viewing_slots_for_lot(auction.lot_id, user) if auction.lot_id else []
    staff = bool(user.is_authenticated and getattr(user, "role", None) in STAFF_ROLES)
    result_url = reverse("marketplace:result", args=[auction.pk]) if has_result else ""
    return {
        # page_parts' shared key: where the winner pays the balance (AUC-31), the result page.
        "result_url": result_url,
        "market": {
            "row": row,
            "watch_count": Watch.objects.filter(auction_id=auction.pk).count(),
            "viewing_slots": slots,
            # Following is for reminders before the start and the end: not once bidding ended.
            "can_watch": user.is_authenticated and not staff and not ended,
            "ended": ended,
            "result_url": result_url,
            "transparency_url": reverse("marketplace:transparency", args=[auction.case_id])
            if auction.case_id
            else "",
        },
        "slots": {
            "tags": [P + "_tags.html"],
            "counts": [P + "_counts.html"],
            "actions": [P + "_watch.html"],
            "tabs": [P + "_viewing_tab.html"],
            "tab_panels": [P + "_viewing_panel.html"],
            "after_result": [P + "_result_link.html"],
        },
    }
