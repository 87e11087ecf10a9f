"""``{% revealed_bidders auction as rows %}``: the bidders' names after the close when the
auction was published with ``reveal_losers_after_close`` on (REC-05); ``[]`` otherwise."""

from __future__ import annotations

from django import template

from bidding.models import Auction
from bidding.selectors import RevealedBidder, revealed_bidder_rows

register = template.Library()


@register.simple_tag
def revealed_bidders(auction: Auction) -> list[RevealedBidder]:
    return revealed_bidder_rows(auction)
