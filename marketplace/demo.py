"""Demo data for the marketplace (honest sample data): viewing slots, a watch and a saved search
for bidder1, and the loan flag on the first listed house. Idempotent: safe at every start.

Builds on ``ctx`` from the apps below: ``court``, ``users``, ``lots`` (cases) and, when bidding
seeded them, its published auctions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from core import clock


def _slot_times(days_ahead: int, hour: int) -> tuple[dt.datetime, dt.datetime]:
    day = clock.local_now().date() + dt.timedelta(days=days_ahead)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))
    return start, start + dt.timedelta(hours=1, minutes=30)


def seed(ctx: dict[str, Any]) -> None:
    from marketplace.listings import public_auctions
    from marketplace.models import ListingInfo, SavedSearch, ViewingSlot, Watch
    from marketplace.services import (
        listing_info_set,
        saved_search_create,
        viewing_slot_create,
        watch_add,
    )

    users = ctx.get("users") or {}
    officer, bidder1 = users.get("officer"), users.get("bidder1")
    court = ctx.get("court")
    lots = list((ctx.get("lots") or {}).values())
    # Viewing slots (看样) for the seeded lots that have none upcoming yet.
    if officer is not None:
        for i, lot in enumerate(lots[:3]):
            if ViewingSlot.objects.filter(
                lot=lot, cancelled=False, starts_at__gt=clock.now()
            ).exists():
                continue
            for j, hour in enumerate((10, 15)):
                start, end = _slot_times(3 + i + j * 2, hour)
                viewing_slot_create(
                    lot_id=lot.pk,
                    starts_at=start,
                    ends_at=end,
                    capacity=6,
                    actor=officer,
                    place=f"{lot.title} 现场（示例：请在小区/停放地门口集合）",
                    note="请携带身份证件；由执行员带领看样（示例）",
                )
    auctions = (
        list(public_auctions().filter(court=court).order_by("pk")) if court is not None else []
    )
    if bidder1 is not None:
        if auctions and not Watch.objects.filter(user=bidder1).exists():
            watch_add(user=bidder1, auction_id=auctions[0].pk)
        if not SavedSearch.objects.filter(user=bidder1).exists():
            saved_search_create(
                user=bidder1,
                name="南昌住宅 100 万元以下（示例）",
                params={"kind": "residential", "region": "3601", "price_max": "1000000"},
            )
    if officer is not None:
        house = next(
            (a for a in auctions if a.lot and a.lot.assets.filter(kind="residential").exists()),
            None,
        )
        if house is not None and not ListingInfo.objects.filter(auction=house).exists():
            listing_info_set(
                auction_id=house.pk,
                actor=officer,
                loan_supported=True,
                loan_note="示例银行提供司法拍卖贷款，最高成交价的 70%（示例）",
            )
    ctx["marketplace"] = {"auctions": [a.pk for a in auctions]}
