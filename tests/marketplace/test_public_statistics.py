"""Public statistics (issue 17): the numbers on a small hand-computed fixture, per court and per
region, the CSV, the public page, and the higher-court view limited to its own courts.

The fixture (period 2026-10-01 … 2026-10-31, China Standard Time):

| # | court | outcome | price / reference | bidders | seized     | bidding ended (CST) |
|---|-------|---------|-------------------|---------|------------|---------------------|
| 1 | 赣0102 | sold    | 120 / 100 → +20 % | 3       | 2026-09-01 | 10-11 10:00 → 40 d  |
| 2 | 赣0102 | unsold  | — / 100           | 0       | —          | 10-20 12:00         |
| 3 | 赣01   | sold    | 90 / 100 → −10 %  | 2       | 2026-08-02 | 10-01 00:30 → 60 d  |
| 4 | 赣01   | sold    | 80 / none         | 1       | none       | 10-15 15:00         |
| 5 | 京     | sold    | 150 / 100 → +50 % | 4       | 2026-10-01 | 10-31 23:30 → 30 d  |
| 6 | 赣0102 | sold    | outside: ended 11-01 00:10 CST (still October in UTC)            |
| 7 | practice auction, sold in October: never counted                            |

Per court: 赣0102 2 ended, 1 sold, 50 %, +20 %, 1.5 bidders, 40 d; 赣01 2/2, 100 %, −10 %,
1.5, 60 d; 京 1/1, 100 %, +50 %, 4, 30 d. All: 5 ended, 4 sold, 80 %, +20 % (mean of 20, −10,
50), 2.0 bidders (10 / 5), 43.3 d (mean of 40, 60, 30). Jiangxi (36): 4/3, 75 %, +5 %, 1.5,
50 d.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from bidding.models import AuctionResult, AuctionState, Registration
from marketplace import public_stats as ps
from tests.bidding.engine_factories import make_case, make_live_auction
from tests.conftest import make_court, make_user
from tests.factories import SeizureFactory

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")
WAN = 10_000 * 100  # 万元 in fen
OCTOBER = ps.Period(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _sale(
    court, judge, *, outcome, closed, price=None, ref=None, bidders=0, seized=None, practice=False
):
    if practice:
        auction = make_live_auction(None, practice=True, owner=make_user("bidder"))
    else:
        _, lot, _, _ = make_case(court, judge=judge, basis_fen=None)
        auction = make_live_auction(court, lot)
        asset = lot.assets.get()
        if ref is not None:
            auction.price_basis = {str(asset.pk): {"kind": "market", "amount_fen": ref * WAN}}
        if seized is not None:
            SeizureFactory.create(asset=asset, seized_on=seized, recorded_by=judge)
            SeizureFactory.create(  # a later one on the same asset
                asset=asset, seized_on=seized + dt.timedelta(days=5), recorded_by=judge
            )
    auction.state = AuctionState.SOLD if outcome == "sold" else AuctionState.UNSOLD
    auction.save(update_fields=["state", "price_basis"])
    for i in range(bidders):
        Registration.objects.create(
            auction=auction,
            user=make_user("bidder"),
            status="active",
            accepted_terms_at=closed - dt.timedelta(days=3),
            created_at=closed - dt.timedelta(days=3),
            bidder_code=f"C{i:03d}",
        )
    # One registration without a code (no deposit): never counted as a bidder.
    Registration.objects.create(
        auction=auction,
        user=make_user("bidder"),
        status="pending_deposit",
        accepted_terms_at=closed - dt.timedelta(days=3),
        created_at=closed - dt.timedelta(days=3),
    )
    AuctionResult.objects.create(
        auction=auction,
        outcome=outcome,
        closed_at=closed,
        price_fen=price * WAN if price is not None else None,
    )
    return auction


@pytest.fixture
def courts():
    high = make_court("赣", name="江西省高级人民法院", division_code="360000")
    mid = make_court("赣01", name="南昌市中级人民法院", division_code="360100")
    basic = make_court("赣0102", name="南昌市东湖区人民法院", division_code="360102")
    beijing = make_court("京", name="北京市高级人民法院", division_code="110000")
    return high, mid, basic, beijing


@pytest.fixture
def fixture(courts):
    _high, mid, basic, beijing = courts
    j_mid, j_basic, j_bj = (make_user("judge", c) for c in (mid, basic, beijing))

    def at(month, day, h, m):
        return dt.datetime(2026, month, day, h, m, tzinfo=CST)

    _sale(
        basic,
        j_basic,
        outcome="sold",
        closed=at(10, 11, 10, 0),
        price=120,
        ref=100,
        bidders=3,
        seized=dt.date(2026, 9, 1),
    )
    _sale(basic, j_basic, outcome="unsold", closed=at(10, 20, 12, 0), ref=100)
    _sale(
        mid,
        j_mid,
        outcome="sold",
        closed=at(10, 1, 0, 30),
        price=90,
        ref=100,
        bidders=2,
        seized=dt.date(2026, 8, 2),
    )
    _sale(mid, j_mid, outcome="sold", closed=at(10, 15, 15, 0), price=80, bidders=1)
    _sale(
        beijing,
        j_bj,
        outcome="sold",
        closed=at(10, 31, 23, 30),
        price=150,
        ref=100,
        bidders=4,
        seized=dt.date(2026, 10, 1),
    )
    _sale(
        basic,
        j_basic,
        outcome="sold",
        closed=at(11, 1, 0, 10),
        price=200,
        ref=100,
        bidders=5,
        seized=dt.date(2026, 1, 1),
    )
    _sale(None, None, outcome="sold", closed=at(10, 5, 10, 0), practice=True)
    return courts


def _by_label(rows):
    return {r["label"]: r for r in rows}


def test_numbers_per_court_hand_computed(fixture):
    data = ps.statistics(period=OCTOBER, group="court")
    rows = _by_label(data["rows"])
    assert set(rows) == {"南昌市东湖区人民法院", "南昌市中级人民法院", "北京市高级人民法院"}
    b = rows["南昌市东湖区人民法院"]
    assert (b["ended"], b["sold"], b["deal_rate_pct"], b["premium_ref_pct"]) == (2, 1, 50.0, 20.0)
    assert (b["bidders_per_lot"], b["days_seizure_to_sale"]) == (1.5, 40.0)
    m = rows["南昌市中级人民法院"]
    assert (m["ended"], m["sold"], m["deal_rate_pct"], m["premium_ref_pct"]) == (2, 2, 100.0, -10.0)
    assert (m["bidders_per_lot"], m["days_seizure_to_sale"]) == (1.5, 60.0)
    x = rows["北京市高级人民法院"]
    assert (x["ended"], x["sold"], x["premium_ref_pct"], x["bidders_per_lot"]) == (1, 1, 50.0, 4.0)
    assert x["days_seizure_to_sale"] == 30.0
    t = data["total"]
    assert (t["ended"], t["sold"], t["deal_rate_pct"], t["premium_ref_pct"]) == (5, 4, 80.0, 20.0)
    assert (t["bidders_per_lot"], t["days_seizure_to_sale"]) == (2.0, 43.3)
    assert data["trend"] == [{"month": "2026-10", "ended": 5, "sold": 4, "deal_rate_pct": 80.0}]


def test_numbers_per_region(fixture):
    rows = _by_label(ps.statistics(period=OCTOBER, group="province")["rows"])
    jx = rows["江西省"]
    assert (jx["ended"], jx["sold"], jx["deal_rate_pct"], jx["premium_ref_pct"]) == (
        4,
        3,
        75.0,
        5.0,
    )
    assert (jx["bidders_per_lot"], jx["days_seizure_to_sale"]) == (1.5, 50.0)
    assert rows["北京市"]["ended"] == 1
    cities = ps.statistics(period=OCTOBER, group="city")["rows"]
    nc = _by_label(cities)["南昌市"]
    assert (nc["ended"], nc["sold"]) == (4, 3)


def test_the_period_is_china_standard_time_and_cached(fixture):
    november = ps.Period(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    first = ps.statistics(period=november, group="court")
    assert first["total"]["ended"] == 1  # #6: 00:10 CST on Nov 1 is in November
    assert first["total"]["days_seizure_to_sale"] == 304.0  # 2026-01-01 → 2026-11-01
    # Cached per period: a new result does not change the cached answer until it expires.
    _high, _mid, basic, _ = fixture
    _sale(
        basic,
        make_user("judge", basic),
        outcome="unsold",
        closed=dt.datetime(2026, 11, 2, 8, tzinfo=CST),
    )
    assert ps.statistics(period=november, group="court")["total"]["ended"] == 1
    cache.clear()
    assert ps.statistics(period=november, group="court")["total"]["ended"] == 2


def test_aggregates_in_sql_a_fixed_number_of_queries(fixture, django_assert_max_num_queries):
    """No per-row loop: the same few queries whatever the number of auctions."""
    with django_assert_max_num_queries(3):
        data = ps.statistics(period=OCTOBER, group="province")
    assert data["total"]["ended"] == 5 and len(data["rows"]) == 2


def test_csv_content(fixture):
    r = Client().get(
        reverse("marketplace:public_statistics"),
        {"from": "2026-10-01", "to": "2026-10-31", "group": "court", "format": "csv"},
    )
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "gavel-statistics-court-2026-10-01-2026-10-31.csv" in r["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0] == ["统计区间", "2026-10-01", "2026-10-31"]
    assert lines[1] == [
        "法院/地区",
        "结束场次",
        "成交场次",
        "成交率(%)",
        "较参考价溢价率(%)",
        "每场竞买人数",
        "查封至成交(日)",
    ]
    assert ["南昌市东湖区人民法院", "2", "1", "50.0", "20.0", "1.5", "40.0"] in lines
    assert ["南昌市中级人民法院", "2", "2", "100.0", "-10.0", "1.5", "60.0"] in lines
    assert lines[-1] == ["合计", "5", "4", "80.0", "20.0", "2.0", "43.3"]


def test_csv_headers_are_in_the_reader_language(fixture):
    """Issue 17: an English reader's CSV has English column titles (the names stay as they are)."""
    from django.conf import settings

    c = Client()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = c.get(
        reverse("marketplace:public_statistics"),
        {"from": "2026-10-01", "to": "2026-10-31", "group": "court", "format": "csv"},
    )
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0] == ["Period", "2026-10-01", "2026-10-31"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(lines[1]))


def test_public_page_renders_with_labels_and_chart_data(fixture):
    c = Client()
    r = c.get(reverse("marketplace:public_statistics"), {"from": "2026-10-01", "to": "2026-10-31"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>司法拍卖统计</h1>" in html
    for field in ("ps-group", "ps-from", "ps-to"):
        assert f'<label for="{field}">' in html
    assert 'id="ps-data"' in html and "echarts.min.js" in html
    assert "南昌市东湖区人民法院" in html and "80.0%" in html
    # Reachable from the site's navigation, signed in or not.
    assert reverse("marketplace:public_statistics") in c.get("/").content.decode()


def test_public_page_bad_input_is_a_clear_400(db):
    r = Client().get(reverse("marketplace:public_statistics"), {"from": "2026-13-01"})
    assert r.status_code == 400 and "不是有效日期" in r.content.decode()
    r = Client().get(reverse("marketplace:public_statistics"), {"group": "planet"})
    assert r.status_code == 400 and "分组方式" in r.content.decode()
    r = Client().get(
        reverse("marketplace:public_statistics"), {"from": "2026-10-02", "to": "2026-10-01"}
    )
    assert r.status_code == 400 and "开始日期不能晚于结束日期" in r.content.decode()


def test_public_page_in_english(fixture):
    c = Client(headers={"accept-language": "en"})
    c.cookies["django_language"] = "en"
    html = c.get(reverse("marketplace:public_statistics")).content.decode()
    assert "Auction statistics" in html and "Deal rate" in html


def test_higher_court_sees_its_courts_only(fixture):
    high, mid, basic, _beijing = fixture
    url = reverse("marketplace:statistics_courts")
    query = {"from": "2026-10-01", "to": "2026-10-31"}

    def labels(user):
        c = Client()
        c.force_login(user)
        r = c.get(url, {**query, "format": "csv"})
        assert r.status_code == 200
        return {row[0] for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig")))}

    seen_by_high = labels(make_user("bureau_head", high))
    assert {"南昌市中级人民法院", "南昌市东湖区人民法院"} <= seen_by_high
    assert "北京市高级人民法院" not in seen_by_high
    seen_by_mid = labels(make_user("judge", mid))
    assert {"南昌市中级人民法院", "南昌市东湖区人民法院"} <= seen_by_mid
    seen_by_basic = labels(make_user("officer", basic))
    assert "南昌市东湖区人民法院" in seen_by_basic and "南昌市中级人民法院" not in seen_by_basic
    c = Client()
    c.force_login(make_user("judge", high))
    html = c.get(url, query).content.decode()
    assert "辖区法院拍卖统计" in html and "北京市高级人民法院" not in html
    assert "江西省高级人民法院、南昌市中级人民法院、南昌市东湖区人民法院" in html
    # Only court staff.
    c.force_login(make_user("bidder"))
    assert c.get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the sign-in page
