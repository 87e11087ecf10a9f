"""Public reads from a replica (issue 18, core/replica.py): with a ``replica`` alias the
public listing, search and results requests (pages and API) read it; a signed-in bidder's own
state, the session and every write stay on the primary; a lagging or unreachable replica is
skipped; without the setting there is no alias and nothing changes.

The replica here is Django's test mirror of the test database (``TEST: {"MIRROR":
"default"}``, what settings give the alias): a second connection to the same database, so the
tests commit (``transaction=True``) for the mirror to see the rows."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connections, router
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bidding.models import Auction
from core import replica
from core.models import Court, User
from marketplace.models import Watch
from tests.marketplace.conftest import make_auction, make_case, make_lot

H = dt.timedelta(hours=1)
PUBLIC_URLS = [
    "/marketplace/",
    "/marketplace/?q=住宅",
    "/api/marketplace/auctions",
    "/api/marketplace/auctions?q=住宅",
    "/api/marketplace/auctions?facets=1&kind=residential",
    "/marketplace/results/",
    "/api/marketplace/results",
]


@pytest.fixture(scope="module", autouse=True)
def with_replica(django_db_setup: None) -> Iterator[None]:
    """The ``replica`` alias and router that settings add for ``GAVEL_REPLICA_DATABASE_URL``,
    a mirror of the test database (module scope: the alias exists before each test's database
    set-up lists it)."""
    cfg = copy.deepcopy(connections["default"].settings_dict)
    cfg["OPTIONS"] = {k: v for k, v in cfg.get("OPTIONS", {}).items() if k != "pool"}
    cfg["TEST"] = {**cfg.get("TEST", {}), "MIRROR": "default"}
    connections.settings[replica.REPLICA] = cfg
    routers = override_settings(DATABASE_ROUTERS=["core.replica.ReplicaRouter"])
    routers.enable()
    replica.reset()
    yield
    routers.disable()
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    del connections.settings[replica.REPLICA]
    replica.reset()


BOTH = pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA])


@pytest.fixture
def shelf(frozen_now, court: Court) -> dict[str, Auction]:
    case = make_case(court)
    flat = make_lot(case, kind="residential", name="东湖区住宅", division_code="360102")
    shop = make_lot(case, kind="commercial", name="红谷滩商铺", division_code="360113")
    return {
        "flat": make_auction(flat, state="bidding", start_in=-2 * H, hours=3),
        "shop": make_auction(shop, state="scheduled", start_in=50 * H),
    }


def _index_reads(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "marketplace_listingindex" in q["sql"]]


@BOTH
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_listing_search_and_results_read_the_replica(shelf, url) -> None:
    client = Client()
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[replica.REPLICA]) as mirror,
    ):
        resp = client.get(url)
    assert resp.status_code == 200, resp.content[:300]
    assert _index_reads(mirror), "the index was not read on the replica"
    assert _index_reads(primary) == []
    if "auctions" in url or url.startswith("/marketplace/?"):
        assert str(shelf["flat"].pk) in resp.content.decode()


@BOTH
def test_a_signed_in_bidders_own_state_and_the_writes_stay_on_the_primary(
    shelf, bidder: User, frozen_now
) -> None:
    client = Client()
    client.force_login(bidder)
    Watch.objects.create(user=bidder, auction=shelf["flat"], created_at=frozen_now)
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[replica.REPLICA]) as mirror,
    ):
        data = client.get("/api/marketplace/auctions").json()
    watched = {r["auction_id"]: r["watched"] for r in data["results"]}
    assert watched == {shelf["flat"].pk: True, shelf["shop"].pk: False}

    def own(sql: str) -> bool:
        return "marketplace_watch" in sql and f'"user_id" = {bidder.pk}' in sql

    assert any(own(q["sql"]) for q in primary.captured_queries)
    assert not any(own(q["sql"]) for q in mirror.captured_queries)
    # The session and the user are read on the primary, never the replica.
    assert not any("django_session" in q["sql"] for q in mirror.captured_queries)
    assert not any('"core_user"' in q["sql"] for q in mirror.captured_queries)
    assert _index_reads(mirror)

    # An object read on the replica is still saved on the primary.
    with replica.public_reads():
        a = Auction.objects.get(pk=shelf["shop"].pk)
    assert a._state.db == replica.REPLICA
    assert router.db_for_write(Auction, instance=a) == "default"
    assert router.allow_migrate(replica.REPLICA, "bidding") is False


@BOTH
def test_a_replica_further_behind_than_allowed_is_skipped(shelf, settings) -> None:
    # The mirror has no lag; a maximum below zero makes any replica "too far behind".
    settings.GAVEL_REPLICA_MAX_LAG_SECONDS = -1
    replica.reset()
    assert replica.lag_seconds() == 0
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[replica.REPLICA]) as mirror,
    ):
        resp = Client().get("/api/marketplace/auctions")
    assert resp.status_code == 200
    assert _index_reads(primary) and not _index_reads(mirror)


@BOTH
def test_an_unreachable_replica_is_skipped(shelf) -> None:
    if connections["default"].vendor != "postgresql":
        pytest.skip("an unreachable server needs PostgreSQL")
    cfg = connections.settings[replica.REPLICA]
    port = cfg["PORT"]
    connections[replica.REPLICA].close()
    cfg["PORT"] = "1"  # nothing listens on port 1
    replica.reset()
    try:
        assert replica.usable() is False
        resp = Client().get("/api/marketplace/auctions?q=住宅")
        assert resp.status_code == 200
        assert [r["auction_id"] for r in resp.json()["results"]] == [shelf["flat"].pk]
    finally:
        connections[replica.REPLICA].close()
        cfg["PORT"] = port
        replica.reset()
