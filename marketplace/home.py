"""The marketplace's section of the home page (``core.home``): the auctions under way, ending
soonest first, and those about to start, as the listing's cards, with a search box — what a
visitor of a judicial-auction site expects to see first."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core import clock
from marketplace.filters import ListingQuery
from marketplace.listings import search_listings

#: Cards per row of the home page (one row at 1366 px, two by two on a phone).
HOME_CARDS = 4


def auctions_now(request: HttpRequest) -> dict[str, Any] | None:
    """The live and the upcoming auctions (the public listing's rules: only public auctions,
    in their listing order); ``None`` when there are neither (the home page then shows none)."""
    live = search_listings(
        ListingQuery(states=("live",), sort="ending", per_page=HOME_CARDS), request.user
    )
    upcoming = search_listings(
        ListingQuery(states=("upcoming",), sort="starting", per_page=HOME_CARDS), request.user
    )
    if not live["rows"] and not upcoming["rows"]:
        return None
    return {
        "live": live,
        "upcoming": upcoming,
        "server_now": clock.now(),
    }
