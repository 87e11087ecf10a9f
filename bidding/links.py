"""Pages of higher apps that the public auction page links to. Bidding knows no higher app
(docs/DEVELOPING.md, layers): the app that owns the page registers it in its
``AppConfig.ready()``, as apps register their navigation in ``core.nav``.

- the result page of a closed auction (marketplace: the result, the confirmation and, for
  the winner, the balance due and how to pay it, AUC-29/AUC-31).
"""

from __future__ import annotations

from collections.abc import Callable

_result_page: Callable[[int], str] | None = None


def register_result_page(url_of: Callable[[int], str]) -> None:
    """``url_of(auction_id)``: the path of the auction's result page."""
    global _result_page
    _result_page = url_of


def result_page(auction_id: int) -> str:
    """The result page's path, or "" when no installed app shows results."""
    return _result_page(auction_id) if _result_page is not None else ""
