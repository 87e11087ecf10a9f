"""``{% revealed_bidders auction as rows %}``: the bidders' names after the close when the
auction was published with ``reveal_losers_after_close`` on (REC-05); ``[]`` otherwise."""

from __future__ import annotations

from typing import Any

from django import template

from bidding.selectors import revealed_bidder_rows

register = template.Library()


@register.simple_tag
def revealed_bidders(auction) -> list[dict[str, Any]]:
    return revealed_bidder_rows(auction)
