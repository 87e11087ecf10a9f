"""Finding lots (issue 17) in the browser at 390 and 1366 px: region by name (province → city →
district), a keyword understood as words, counts next to the options, cards with a ticking
countdown and the watcher count, the next page by cursor, and no horizontal scroll on a phone.
Screenshots under var/screenshots/ (looked at while writing this test)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from marketplace.services import watch_add
from tests.conftest import make_court
from tests.marketplace.conftest import YUAN, make_auction, make_case, make_lot, verified_bidder

WEDNESDAY = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
H = dt.timedelta(hours=1)


def _market() -> dict:
    court = make_court(name="南昌市东湖区人民法院（测试）", division_code="360102")
    case = make_case(court)
    lots = {
        "flat": make_lot(case, name="红谷滩世纪中央城3栋1单元502室住宅", division_code="360113"),
        "shop": make_lot(
            case, kind="commercial", name="东湖区八一大道临街商铺", division_code="360102"
        ),
        "car": make_lot(case, kind="vehicle", name="奥迪A6L轿车", division_code="360111"),
    }
    out = {
        "flat": make_auction(
            lots["flat"],
            state="bidding",
            start_in=-2 * H,
            hours=5,
            start=1_280_000 * YUAN,
            reference=1_600_000 * YUAN,
        ),
        "shop": make_auction(
            lots["shop"], state="scheduled", start_in=30 * H, start=900_000 * YUAN
        ),
        "car": make_auction(
            lots["car"], state="bidding", start_in=-H, hours=20, start=60_000 * YUAN
        ),
    }
    for i in range(12):  # enough upcoming houses for a second page
        lot = make_lot(case, name=f"青山湖花园{i + 1}栋住宅", division_code="360111")
        make_auction(lot, state="scheduled", start_in=(40 + i) * H, start=(500_000 + i) * YUAN)
    for _ in range(3):
        watch_add(user=verified_bidder(), auction_id=out["flat"].pk)
    return out


def _no_horizontal_scroll(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow} px of horizontal scroll"


@pytest.mark.parametrize("width", [390, 1366])
def test_a_bidder_finds_lots_by_place_and_words(
    page, channels_live_server, screenshot, page_errors, width
):
    channels_live_server.set_time(WEDNESDAY)
    _market()
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    page.goto("/marketplace/?per_page=10")
    _no_horizontal_scroll(page)
    cards = page.locator("#results .mk-card")
    expect(cards).to_have_count(10)  # ten of fifteen; the rest on the next page
    first = cards.first  # the flat ends soonest (3 h left)
    expect(first).to_contain_text("3 人关注")
    countdown = first.locator(".countdown")
    expect(countdown).to_contain_text("距结束 02:59:")  # the server's clock, not the browser's
    before = countdown.inner_text()
    # it ticks (within a few seconds: a loaded machine may run the page's timer late)
    expect(countdown).not_to_have_text(before, timeout=10_000)
    screenshot(page, f"listing-{width}")

    # Region by name: province → city → district (the code field stays hidden).
    if not page.evaluate("document.getElementById('filter-box').open"):
        page.click("#filter-box summary")  # folded on a phone until a search is active
    expect(page.locator("#f-region")).to_be_hidden()
    expect(page.locator("#f-kind option[value=residential]")).to_contain_text("住宅（13）")
    page.select_option("#f-region-province", "360000")
    page.select_option("#f-region-city", "360100")
    expect(page.locator("#f-region-district option[value='360111']")).to_have_count(1)
    page.select_option("#f-region-district", "360111")
    page.click("#filters button[type=submit]")
    expect(page.locator("#result-count")).to_contain_text("江西省南昌市青山湖区")
    expect(cards).to_have_count(10)
    page.click("nav.pager a[rel=next]")  # keyset: the next page by cursor
    expect(cards).to_have_count(3)
    _no_horizontal_scroll(page)

    # Words, not substrings: 红谷滩 finds the flat by its title; 湖区住 (a substring) nothing.
    page.goto("/marketplace/")
    page.fill("#f-q", "红谷滩 住宅")
    page.click(".mk-search button")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("红谷滩世纪中央城")
    expect(cards.first).to_contain_text("1,600,000.00")  # the reference price on the card
    # A keyword search's counts come after the page, from the API (issue 18: the results do
    # not wait for them): the one match is a live residential lot.
    expect(page.locator("#filters")).to_have_attribute("data-counts-shown", "1")
    expect(page.locator("#f-kind option[value=residential]")).to_have_text("住宅（1）")
    expect(page.locator("#f-kind option[value=commercial]")).to_have_text("商业用房（0）")
    _no_horizontal_scroll(page)
    screenshot(page, f"search-{width}")
    page.goto("/marketplace/?q=湖区住")
    expect(page.locator("#results")).to_contain_text("没有符合条件的拍品")
    assert page_errors == []
