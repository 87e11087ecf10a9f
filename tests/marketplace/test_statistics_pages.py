"""Statistics from the database: rows read from bidding and cases, the judge's page, CSV, API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core import clock
from marketplace.stats_source import statistics_rows
from tests.conftest import make_user
from tests.marketplace.conftest import (
    YUAN,
    close_due,
    make_auction,
    make_case,
    make_lot,
    place_bid,
    register_active,
)

pytestmark = pytest.mark.django_db(transaction=True)
H = dt.timedelta(hours=1)


@pytest.fixture
def history(frozen_now, court, judge, officer):
    """Court's November: one sale at +5% over the start (reference 125,000 → −16%), one unsold."""
    case = make_case(court, judge=judge, officer=officer)
    sale = make_auction(
        make_lot(case, seized_on=dt.date(2026, 10, 2), recorder=officer),
        state="bidding",
        start_in=-H,
        hours=2,
        start=100_000 * YUAN,
        increment=5_000 * YUAN,
        reference=125_000 * YUAN,
    )
    flop = make_auction(
        make_lot(case), state="bidding", start_in=-H, hours=2, round_="2", start=80_000 * YUAN
    )
    a, b = register_active(sale), register_active(sale)
    place_bid(sale, a, 100_000 * YUAN)
    place_bid(sale, b, 105_000 * YUAN)
    clock.advance(2 * H)  # 2026-11-02 11:00 CST
    assert sorted(close_due()) == sorted([sale.pk, flop.pk])
    return {"sale": sale, "flop": flop}


def test_rows_come_from_the_database(history):
    rows = {r["auction_id"]: r for r in statistics_rows()}
    sale = rows[history["sale"].pk]
    assert (sale["state"], sale["final_price_fen"], sale["reference_price_fen"]) == (
        "sold",
        105_000 * YUAN,
        125_000 * YUAN,
    )
    assert sale["seized_on"] == dt.date(2026, 10, 2)
    assert rows[history["flop"].pk]["state"] == "unsold"


def test_the_judge_reads_the_courts_statistics_with_charts(client, history, judge):
    client.force_login(judge)
    resp = client.get(
        reverse("marketplace:statistics") + "?freq=month&from=2026-11-01&to=2026-11-30"
    )
    assert resp.status_code == 200
    html = resp.content.decode()
    assert (
        'id="chart-counts"' in html
        and "vendor/echarts.min.js" in html
        and 'id="stats-series"' in html
    )
    api = client.get("/api/marketplace/statistics?freq=month&from=2026-11-01&to=2026-11-30").json()
    (nov,) = api["rows"]
    assert nov["period"] == "2026-11"
    assert (nov["ended"], nov["sold"], nov["unsold_r2"], nov["deal_rate_pct"]) == (2, 1, 1, 50.0)
    assert (nov["premium_start_pct"], nov["premium_ref_pct"]) == (5.0, -16.0)
    assert nov["days_seizure_to_sale"] == 31.0  # 10-02 → 11-02
    csv = client.get(
        reverse("marketplace:statistics") + "?freq=month&from=2026-11-01&to=2026-11-30&format=csv"
    )
    assert csv["Content-Type"].startswith("text/csv") and "成交率(%)" in csv.content.decode()
    # In English, the column titles are English (issue 17).
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(
        reverse("marketplace:statistics") + "?freq=month&from=2026-11-01&to=2026-11-30&format=csv"
    ).content.decode()
    header = english.splitlines()[0]
    assert "Turnover (CNY)" in header
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in header)


def test_statistics_are_per_court(client, history, other_court):
    client.force_login(make_user("judge", other_court))
    assert client.get("/api/marketplace/statistics?freq=all").json()["rows"] == []


@pytest.mark.parametrize(
    ("qs", "code"),
    [
        ("freq=week", "invalid_freq"),
        ("from=2026-13-01", "invalid_date"),
        ("from=2026-12-01&to=2026-11-01", "invalid_range"),
    ],
)
def test_bad_statistics_parameters_are_clear_400s(client, judge, qs, code):
    client.force_login(judge)
    assert client.get(f"/api/marketplace/statistics?{qs}").json()["code"] == code
    page = client.get(reverse("marketplace:statistics") + f"?{qs}")
    assert page.status_code == 400 and f'data-code="{code}"' in page.content.decode()


def test_statistics_and_workbench_are_for_court_staff_only(client, bidder):
    client.force_login(bidder)
    for url in ("/api/marketplace/statistics", "/api/marketplace/workbench"):
        resp = client.get(url)
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    assert client.get(reverse("marketplace:statistics")).status_code == 403
    client.logout()
    assert client.get("/api/marketplace/workbench").status_code == 401
