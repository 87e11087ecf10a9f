"""The marketplace demo seed: viewing slots, a watch and a saved search for bidder1; idempotent."""

from __future__ import annotations

import pytest

from core import clock
from marketplace import demo
from marketplace.models import ListingInfo, SavedSearch, ViewingSlot, Watch
from tests.conftest import make_user
from tests.marketplace.conftest import make_auction, make_case, make_lot

pytestmark = pytest.mark.django_db


def test_the_seed_creates_slots_a_watch_and_a_saved_search_once(frozen_now, court, judge, officer):
    case = make_case(court, judge=judge, officer=officer)
    flat, car = make_lot(case, kind="residential"), make_lot(case, kind="vehicle", name="示例车辆")
    make_auction(flat, state="scheduled")
    bidder1 = make_user("bidder", username="bidder1")
    ctx = {
        "court": court,
        "users": {"officer": officer, "bidder1": bidder1},
        "lots": {"flat": flat, "car": car},
    }
    demo.seed(ctx)
    demo.seed(ctx)  # idempotent
    assert ViewingSlot.objects.filter(starts_at__gt=clock.now()).count() == 4
    assert Watch.objects.filter(user=bidder1).count() == 1
    assert SavedSearch.objects.filter(user=bidder1).count() == 1
    assert ListingInfo.objects.filter(loan_supported=True).count() == 1


def test_the_seed_runs_with_nothing_below_it():
    """Without the other apps' people and lots the seed adds nothing (and does not fail)."""
    ctx: dict[str, object] = {}
    demo.seed(ctx)
    assert ctx == {"marketplace": {"auctions": []}}
    assert ViewingSlot.objects.count() == 0
    assert Watch.objects.count() == 0
    assert SavedSearch.objects.count() == 0
    assert ListingInfo.objects.count() == 0
