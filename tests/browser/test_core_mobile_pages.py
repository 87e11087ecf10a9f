"""Every public and bidder page on a phone (issue 17): at 360 and 414 px no horizontal scroll,
a one-line header with a menu button (the links fold behind it, none broken mid-word), a skip
link that is the first thing Tab reaches, and tap targets of at least 44 px in the menu.
Screenshots at 360 px: ``var/screenshots/test_public_and_bidder_pages_on_a_phone-*``."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.bidding.engine_factories import bidder_user
from tests.browser.test_marketplace_journey import _market

NO_HSCROLL = "document.documentElement.scrollWidth <= window.innerWidth"

PUBLIC = [
    "/",
    "/marketplace/",
    "/marketplace/calendar/",
    "/marketplace/results/",
    "/marketplace/practice/",
    "/notices/",
    "/documents/verify/",
    "/accounts/login/",
    "/accounts/signup/",
]
BIDDER = [
    "/marketplace/account/",
    "/marketplace/watchlist/",
    "/marketplace/viewings/",
    "/inbox/",
    "/cases/identity/",
]


def _check(page: Any, url: str, screenshot: Any) -> None:
    for width in (360, 414):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(url)
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert page.evaluate(NO_HSCROLL), (url, width, sizes)
        header = page.locator("header.topbar").bounding_box()
        assert header is not None and header["height"] <= 64, (url, width, header)
        if width == 360:
            screenshot(page, url.strip("/").replace("/", "_") or "home")


def test_public_and_bidder_pages_on_a_phone(page, sign_in, screenshot, page_errors):
    m = _market()
    for url in [
        *PUBLIC,
        f"/bidding/auctions/{m['flat'].pk}/",
        f"/marketplace/cases/{m['flat'].case_id}/",
    ]:
        _check(page, url, screenshot)

    # The skip link comes first and jumps to the content.
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/marketplace/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main #main")).to_be_focused()

    user = bidder_user()
    sign_in(page, user)
    for url in BIDDER:
        _check(page, url, screenshot)

    # The menu: folded, then open with every link on one line and a thumb's height.
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/marketplace/account/")
    button = page.locator("#menu-btn")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#site-nav")).to_be_hidden()
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    account = page.locator("#site-nav").get_by_role("link", name="我的账户")
    expect(account).to_be_visible()
    for link in page.locator("#site-nav a").all():
        b = link.bounding_box()
        assert b is not None and 44 <= b["height"] < 60, (link.inner_text(), b)
    assert page.evaluate(NO_HSCROLL)
    screenshot(page, "menu-open")
    page.keyboard.press("Escape")
    expect(page.locator("#site-nav")).to_be_hidden()
    expect(button).to_be_focused()
    assert page_errors == []
