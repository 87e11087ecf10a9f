"""Listings (拍卖大厅): search, filters, sorting, pagination; bad values → 400 with a stable code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from core.models import User
from marketplace.services import listing_info_set
from tests.conftest import make_court
from tests.marketplace.conftest import YUAN, make_auction, make_case, make_lot

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def market(frozen_now, court, judge, officer):
    """Five real auctions of two courts, a draft and a practice auction."""
    case = make_case(court, judge=judge, officer=officer)
    other = make_court(division_code="110105")
    other_case = make_case(other)
    flat = make_lot(
        case, kind="residential", name="东湖区住宅", division_code="360102", restricted=True
    )
    shop = make_lot(case, kind="commercial", name="西湖区商铺", division_code="360103")
    car = make_lot(case, kind="vehicle", name="奥迪轿车", division_code="360111")
    bj = make_lot(other_case, kind="residential", name="朝阳区住宅", division_code="110105")
    land = make_lot(case, kind="land", name="新建区土地", division_code="360112")
    a = {
        "flat": make_auction(
            flat,
            state="bidding",
            start_in=-2 * H,
            hours=5,
            start=800_000 * YUAN,
            reference=1_000_000 * YUAN,
        ),
        "shop": make_auction(
            shop,
            state="scheduled",
            start_in=30 * H,
            start=300_000 * YUAN,
            round_="2",
            published_ago=dt.timedelta(days=1),
        ),
        "car": make_auction(
            car, state="bidding", start_in=-20 * H, hours=21, start=50_000 * YUAN, round_="sale"
        ),
        "bj": make_auction(bj, state="unsold", start_in=-60 * H, hours=24, start=2_000_000 * YUAN),
        "land": make_auction(land, state="withdrawn", start_in=5 * H, start=1_500_000 * YUAN),
    }
    from bidding.models import Auction
    from bidding.services import practice_auction_start

    draft_lot = make_lot(case, name="草稿拍品")
    a["draft"] = make_auction(draft_lot, state="draft")
    a["practice"] = practice_auction_start(user=judge_or_bidder(), title="模拟拍练习")
    assert Auction.objects.count() == 7
    listing_info_set(
        auction_id=a["flat"].pk, actor=officer, loan_supported=True, loan_note="示例银行可贷"
    )
    return a


def judge_or_bidder() -> User:
    from tests.conftest import make_user

    return make_user("bidder")


def ids(client: Client, qs: str = "") -> list[int]:
    resp = client.get("/api/marketplace/auctions" + (f"?{qs}" if qs else ""))
    assert resp.status_code == 200, resp.content
    return [r["auction_id"] for r in resp.json()["results"]]


def test_the_listing_shows_every_published_real_auction_and_nothing_else(client, market):
    got = ids(client)
    assert set(got) == {market[k].pk for k in ("flat", "shop", "car", "bj", "land")}
    assert market["draft"].pk not in got and market["practice"].pk not in got


def test_ending_soonest_puts_live_auctions_first_then_upcoming_then_the_rest(client, market):
    # car ends in 1 h, flat in 3 h; shop starts in 30 h; then land (withdrawn) and bj (ended).
    assert ids(client) == [market[k].pk for k in ("car", "flat", "shop", "land", "bj")]


def test_other_sort_orders(client, market):
    assert ids(client, "sort=price_asc")[:2] == [market["car"].pk, market["shop"].pk]
    assert ids(client, "sort=price_desc")[0] == market["bj"].pk
    assert (
        ids(client, "sort=newest")[0] == market["shop"].pk
    )  # published yesterday, the others 20 days ago
    assert ids(client, "sort=starting")[0] == market["shop"].pk


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        ("kind=residential", {"flat", "bj"}),
        ("kind=vehicle,land", {"car", "land"}),
        ("region=36", {"flat", "shop", "car", "land"}),
        ("region=360100", {"flat", "shop", "car", "land"}),
        ("region=360103", {"shop"}),
        ("region=11", {"bj"}),
        ("price_min=300000&price_max=800000", {"flat", "shop"}),
        ("price_max=50000", {"car"}),
        ("round=2", {"shop"}),
        ("round=sale", {"car"}),
        ("state=live", {"flat", "car"}),
        ("state=upcoming", {"shop"}),
        ("state=ended", {"bj"}),
        ("state=withdrawn", {"land"}),
        ("loan=1", {"flat"}),
        ("loan=0", {"shop", "car", "bj", "land"}),
        ("restricted=1", {"flat"}),
        ("restricted=0&kind=residential", {"bj"}),
        ("q=商铺", {"shop"}),
    ],
)
def test_each_filter_narrows_the_listing(client, market, qs, expected):
    assert set(ids(client, qs)) == {market[k].pk for k in expected}


def test_the_court_filter_and_a_combination(client, market, court):
    assert set(ids(client, f"court={court.pk}&state=live&kind=residential")) == {market["flat"].pk}


def test_pagination_splits_and_counts(client, market):
    first = client.get("/api/marketplace/auctions?per_page=10&page=1").json()
    assert (first["total"], first["pages"]) == (5, 1)
    beyond = client.get("/api/marketplace/auctions?page=3").json()
    assert beyond["results"] == [] and beyond["total"] == 5


@pytest.mark.parametrize(
    ("qs", "code"),
    [
        ("kind=castle", "invalid_kind"),
        ("region=3601x", "invalid_region"),
        ("price_min=abc", "invalid_price"),
        ("price_min=9&price_max=1", "invalid_price_range"),
        ("round=4", "invalid_round"),
        ("state=gone", "invalid_state"),
        ("loan=perhaps", "invalid_flag"),
        ("sort=cheapest", "invalid_sort"),
        ("page=0", "invalid_page"),
        ("page=%00", "invalid_text"),  # a NUL byte: core.middleware.InputGuardMiddleware
        ("court=abc", "invalid_court"),
    ],
)
def test_a_bad_filter_is_a_400_with_a_stable_code_in_the_api_and_the_page(client, market, qs, code):
    api = client.get(f"/api/marketplace/auctions?{qs}")
    assert api.status_code == 400
    body = api.json()
    assert body["code"] == code and body["message"]
    page = client.get(f"{reverse('marketplace:listings')}?{qs}")
    assert page.status_code == 400
    html = page.content.decode()
    assert f'data-code="{code}"' in html
    assert body["message"] in html


def test_the_listing_page_shows_cards_with_the_buyer_facts(client, market):
    html = client.get(reverse("marketplace:listings") + "?state=live").content.decode()
    assert "东湖区住宅" in html and "奥迪轿车" in html and "西湖区商铺" not in html
    assert "800,000.00" in html  # starting price
    assert "1,000,000.00" in html  # reference price
    assert "可贷款" in html and "限购" in html
    assert "变卖" in html
    assert (
        f"/bidding/auctions/{market['flat'].pk}/" in html
    )  # every listing leads to bidding's page


def test_a_keyword_search_leaves_its_counts_to_the_browser_a_plain_listing_counts_at_once(
    client, market
):
    """Issue 18: a keyword page does not wait for its counts per option (a word ANDed with an
    option it never meets can read the whole index); the page names the API call that gives
    them (listings.js fills them in), and that call counts what the page would."""
    import html as htmllib
    import re

    plain = client.get(reverse("marketplace:listings")).content.decode()
    assert "住宅（2）" in plain and "data-facets-url" not in plain
    page = client.get(reverse("marketplace:listings") + "?q=住宅&state=live").content.decode()
    assert "东湖区住宅" in page and "住宅（" not in page
    found = re.search(r'data-facets-url="([^"]+)"', page)
    assert found is not None
    url = htmllib.unescape(found.group(1))
    assert url.startswith("/api/marketplace/auctions?") and "facets=1" in url
    facets = client.get(url).json()["facets"]
    assert facets["kind"]["residential"] == 1 and facets["kind"]["commercial"] == 0
    assert facets["state"]["live"] == 1
    # A case number is an exact lookup: its counts come with the page.
    number = client.get(
        reverse("marketplace:listings") + "?q=" + market["flat"].case.number
    ).content.decode()
    assert "data-facets-url" not in number and "住宅（1）" in number


def test_the_calendar_lists_upcoming_auctions_by_day(client, market):
    html = client.get(reverse("marketplace:calendar")).content.decode()
    assert "西湖区商铺" in html
    assert "东湖区住宅" not in html  # already live
    local = clock.local_now() + 30 * H
    assert f"{local.year}年{local.month}月{local.day}日" in html


def test_the_auction_overview_links_to_bidding_and_offers_viewings(client, market, officer):
    from marketplace.services import viewing_slot_create

    start = clock.now() + 5 * H
    viewing_slot_create(
        lot_id=market["shop"].lot_id,
        starts_at=start,
        ends_at=start + H,
        place="商铺门口",
        actor=officer,
    )
    # One page per lot (issue 17): the old overview URL moves to the auction page for good,
    # which shows the marketplace's viewing slots.
    old = client.get(reverse("marketplace:auction", args=[market["shop"].pk]))
    assert old.status_code == 301
    assert old["Location"] == f"/bidding/auctions/{market['shop'].pk}/"
    html = client.get(old["Location"]).content.decode()
    assert "商铺门口" in html and 'id="tab-viewings"' in html
    assert client.get(reverse("marketplace:auction", args=[market["draft"].pk])).status_code == 404
    assert (
        client.get(reverse("marketplace:auction", args=[market["practice"].pk])).status_code == 404
    )


def test_only_the_auctions_court_sets_the_loan_flag(market, other_court):
    from core.errors import DomainError
    from tests.conftest import make_user

    with pytest.raises(DomainError) as err:
        listing_info_set(
            auction_id=market["shop"].pk,
            actor=make_user("officer", other_court),
            loan_supported=True,
        )
    assert err.value.code == "forbidden"
