"""Published results (成交公示): confirmations and complete bid histories of ended auctions.

Nothing here is shown before bidding ends (REC-05): an auction qualifies only in an ended
state with its outcome record. After a sale the confirmation names the buyer (AUC-29) and
the bid history marks the winning code; losers stay codes unless the auction was published
with ``reveal_losers_after_close`` on, when every row carries the bidder's ``name``
(``bidding.selectors.auction_bid_history``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext

from bidding.models import ENDED_STATES, Auction, AuctionResult
from bidding.selectors import auction_bid_history
from core.errors import NotFound
from marketplace.listings import auction_url, public_auctions


def ended_auctions() -> QuerySet[Auction]:
    return (
        public_auctions()
        .filter(state__in=list(ENDED_STATES), result__isnull=False)
        .select_related("court", "case", "lot", "result")
        .order_by("-result__closed_at", "-pk")
    )


def results_page(
    *, page: int = 1, per_page: int = 20, court_id: int | None = None, cursor: int | None = None
) -> dict[str, Any]:
    """A page of results, latest close first, read from the listing index's ``key_closed``
    (an index range: ``cursor`` is the key of the last row shown; the total is bounded)."""
    from marketplace.listings import TOTAL_LIMIT, bounded_count
    from marketplace.models import ListingIndex

    qs = ListingIndex.objects.filter(key_closed__isnull=False)
    if court_id:
        qs = qs.filter(court_id=court_id)
    total = min(bounded_count(qs, TOTAL_LIMIT), TOTAL_LIMIT)
    pages = max(1, -(-total // per_page))
    ordered = qs.order_by("key_closed")
    window: list[tuple[int, int | None]] = []
    if cursor is not None:
        window = list(
            ordered.filter(key_closed__gt=cursor).values_list("auction_id", "key_closed")[
                : per_page + 1
            ]
        )
    elif page <= pages:
        start = (page - 1) * per_page
        window = list(ordered.values_list("auction_id", "key_closed")[start : start + per_page + 1])
    has_next = len(window) > per_page
    window = window[:per_page]
    by_id = ended_auctions().in_bulk([pk for pk, _ in window])
    items = [by_id[pk] for pk, _ in window if pk in by_id]
    return {
        "items": [result_summary(a) for a in items],
        "page": page,
        "pages": pages,
        "total": total,
        "next_cursor": str(window[-1][1]) if has_next and window else None,
    }


def result_summary(a: Auction) -> dict[str, Any]:
    r: AuctionResult = a.result
    sold = r.outcome == AuctionResult.Outcome.SOLD
    return {
        "auction": a,
        "url": auction_url(a.pk),
        "outcome": r.outcome,
        "outcome_label": str(r.get_outcome_display()),
        "state_label": str(a.get_state_display()),
        "closed_at": r.closed_at,
        "price_fen": r.price_fen if sold else None,
        "winner_code": r.winner_code if sold else "",
        # AUC-29: the confirmation names the buyer and is published at the close.
        "buyer_name": r.buyer_name if sold and r.confirmation_published_at else "",
        "bid_count": r.bid_count,
        "extension_count": a.extension_count,
    }


def result_detail(auction_id: int) -> dict[str, Any]:
    """One ended auction: outcome, confirmation text (sold), complete bid history (AUC-25)."""
    a = ended_auctions().filter(pk=auction_id).first()
    if a is None:
        raise NotFound("result_not_found", gettext("该拍卖尚未结束或不存在，结束后公示结果"))
    summary = result_summary(a)
    r = a.result
    history = auction_bid_history(a.pk)
    winner = summary["winner_code"]
    for row in history:
        row["winner"] = bool(winner) and row["code"] == winner and row["seq"] == a.last_seq
    summary.update(
        {
            "confirmation_text": r.confirmation_text if summary["buyer_name"] else "",
            "confirmation_published_at": r.confirmation_published_at,
            "ruling_document": r.ruling_document if r.ruling_served_at else "",
            "ruling_served_at": r.ruling_served_at,
            "bids": history,
        }
    )
    return summary


def result_json(summary: dict[str, Any]) -> dict[str, Any]:
    a: Auction = summary["auction"]
    out = {k: v for k, v in summary.items() if k not in ("auction",)}
    out.update(
        {
            "auction_id": a.pk,
            "title": a.title,
            "round": a.round,
            "state": a.state,
            "court": a.court.name if a.court is not None else None,
            "case_number": a.case.number if a.case is not None else None,
        }
    )
    for key in ("closed_at", "confirmation_published_at", "ruling_served_at"):
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    return out
