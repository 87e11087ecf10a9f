"""The public statistics page in the browser (issue 17): the charts draw (ECharts, SVG), the
table and the CSV link are there, at 390 px without horizontal scroll and at 1366 px.
Screenshots: ``var/screenshots/test_public_statistics_*``."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.conftest import make_court, make_user
from tests.marketplace.test_public_statistics import CST, _sale

NO_HSCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("width", [390, 1366])
def test_public_statistics_page(width, page, screenshot, page_errors):
    for code, name, division in (
        ("赣0102", "南昌市东湖区人民法院", "360102"),
        ("赣0103", "南昌市西湖区人民法院", "360103"),
    ):
        court = make_court(code, name=name, division_code=division)
        judge = make_user("judge", court)
        for day, outcome in ((3, "sold"), (12, "unsold"), (20, "sold")):
            _sale(
                court,
                judge,
                outcome=outcome,
                closed=dt.datetime(2026, 10, day, 10, tzinfo=CST),
                price=110 if outcome == "sold" else None,
                ref=100,
                bidders=day % 4 + 1,
                seized=dt.date(2026, 6, 1),
            )
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    page.goto("/")
    nav_link = page.locator('a[href="/marketplace/statistics/"]').first
    expect(nav_link).to_be_attached()  # in the site's navigation (behind the menu on a phone)
    page.goto("/marketplace/statistics/?from=2026-10-01&to=2026-10-31")
    expect(page.get_by_role("heading", level=1)).to_have_text("司法拍卖统计")
    expect(page.get_by_label("分组")).to_have_value("court")
    expect(page.locator("#ps-table tbody tr")).to_have_count(2)
    expect(page.locator("#stats-total")).to_contain_text("66.67%")
    for chart in ("deal", "premium", "bidders", "days", "trend"):
        expect(page.locator(f"#ps-chart-{chart} svg")).to_be_attached()
    expect(page.locator("#csv-link")).to_have_attribute(
        "href", "?from=2026-10-01&to=2026-10-31&format=csv"
    )
    page.get_by_label("分组").select_option("province")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#ps-table tbody tr")).to_have_count(1)
    expect(page.locator("#ps-table tbody")).to_contain_text("江西省")
    if width == 390:
        assert page.evaluate(NO_HSCROLL), page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
    screenshot(page, f"province-{width}")
    assert page_errors == []
