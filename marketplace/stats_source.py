"""The rows the statistics are computed from, read from bidding, cases and settlement.

One row per real (never practice) published auction (``marketplace.stats.ROW_COLUMNS``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Min, Q

from bidding.models import Auction, AuctionResult, CollusionFlag
from cases.models import Seizure
from marketplace.listings import reference_price_of


def _first_payouts(case_ids: set[int]) -> dict[int, list[dt.datetime]]:
    """Paid payouts per case, in time order (settlement); empty when settlement is absent."""
    from settlement.models import Payout

    out: dict[int, list[dt.datetime]] = {}
    for case_id, paid_at in (
        Payout.objects.filter(
            case_id__in=case_ids, status=Payout.Status.PAID, paid_at__isnull=False
        )
        .order_by("paid_at")
        .values_list("case_id", "paid_at")
    ):
        if paid_at is not None:  # always: the query asks for paid ones
            out.setdefault(case_id, []).append(paid_at)
    return out


def statistics_rows(
    *, court_id: int | None = None, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Rows of auctions published or closed inside [start, end) (both open when None)."""
    qs = Auction.objects.filter(
        is_practice=False, published_at__isnull=False, lot__isnull=False
    ).select_related("court")
    if court_id is not None:
        qs = qs.filter(court_id=court_id)
    if start is not None or end is not None:
        pub = Q()
        closed = Q(result__isnull=False)
        if start is not None:
            pub &= Q(published_at__gte=start)
            closed &= Q(result__closed_at__gte=start)
        if end is not None:
            pub &= Q(published_at__lt=end)
            closed &= Q(result__closed_at__lt=end)
        qs = qs.filter(pub | closed)
    auctions = list(qs)
    results = {
        r.auction_id: r
        for r in AuctionResult.objects.filter(auction_id__in=[a.pk for a in auctions])
    }
    seized = dict(
        Seizure.objects.filter(asset__lots__in={a.lot_id for a in auctions})
        .values("asset__lots")
        .annotate(first=Min("seized_on"))
        .values_list("asset__lots", "first")
    )
    payouts = _first_payouts({a.case_id for a in auctions if a.case_id})
    flags = dict(
        CollusionFlag.objects.filter(auction_id__in=[a.pk for a in auctions]).values_list(
            "auction_id", "state"
        )
    )
    rows: list[dict[str, Any]] = []
    for a in auctions:
        r = results.get(a.pk)
        closed_at = r.closed_at if r else None
        paid_out_at = None
        if r is not None and r.outcome == AuctionResult.Outcome.SOLD and a.case_id is not None:
            sold_at = r.closed_at
            paid_out_at = next((p for p in payouts.get(a.case_id, []) if p >= sold_at), None)
        rows.append(
            {
                "auction_id": a.pk,
                "court_id": a.court_id,
                "court_name": a.court.name if a.court is not None else "",
                "round": a.round,
                "state": a.state,
                "published_at": a.published_at,
                "closed_at": closed_at,
                "starting_price_fen": a.starting_price_fen,
                "final_price_fen": r.price_fen
                if r and r.outcome == AuctionResult.Outcome.SOLD
                else None,
                "reference_price_fen": reference_price_of(a),
                "seized_on": seized.get(a.lot_id) if a.lot_id is not None else None,
                "paid_out_at": paid_out_at,
                "collusion_state": flags.get(a.pk),
            }
        )
    return rows
