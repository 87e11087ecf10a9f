"""The one auction page (issue 17) in each state — announced, bidding, extended, sold, unsold —
at a phone's width (390 px) and a desktop's (1366 px): the gallery with its lightbox, the price
panel (当前价/起拍价, 评估价/参考价 with its basis, 加价幅度, 保证金, countdown, 报名/围观/提醒),
the chart only once there is a bid, the tabs, and on the phone the fixed bottom bar and no
horizontal scroll. Screenshots: ``var/screenshots/test_auction_page_*``."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from bidding import services
from bidding.models import Auction, AuctionState
from cases.demo_images import photos_for
from cases.services import asset_file_add
from core import clock
from tests.bidding.engine_factories import YUAN, bid, make_case, make_live_auction, register_active
from tests.conftest import make_court, make_user
from tests.race import in_thread

START = 800_000 * YUAN
INC = 5_000 * YUAN
BASIS = 1_000_000 * YUAN

NO_HSCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(autouse=True)
def _server_media(settings: Any) -> None:
    """The photos are written where the test server (its own process) serves files from, as an
    upload through the page would be (config/settings.py: MEDIA_ROOT, default var/media)."""
    root = os.environ.get("MEDIA_ROOT") or str(Path(settings.BASE_DIR) / "var" / "media")
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = root


def _auction(**kw: Any) -> Auction:
    court = make_court(name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="王法官")
    _, lot, _, _ = make_case(court, judge=judge, basis_fen=BASIS)
    asset = lot.assets.get()
    for n, (caption, data) in enumerate(photos_for("residential", seed=asset.pk), start=1):
        asset_file_add(
            asset=asset,
            kind="photo",
            title=f"{caption}（示例）",
            file=ContentFile(data, name=f"p{n}.jpg"),
            actor=judge,
        )
    auction = make_live_auction(court, lot, start=START, increment=INC, deposit=80_000 * YUAN, **kw)
    auction.title = "东湖区示例路8号3栋2单元502室住宅"
    auction.announcement = "南昌市东湖区人民法院将在本平台公开拍卖下列标的物。"
    auction.priority_holders_note = "经查，无优先购买权人。"
    # As publication freezes it (bidding.services.publication): one PRC-19 market price.
    auction.price_basis = {
        str(asset.pk): {"kind": "market", "amount_fen": BASIS, "ground": "easily_priced"}
    }
    auction.save(update_fields=["title", "announcement", "priority_holders_note", "price_basis"])
    return auction


def _both_widths(page: Any, screenshot: Any, name: str, *, bar: str | None) -> None:
    """390 px: no horizontal scroll, the bottom bar fixed with the price and countdown (and
    ``bar``, its action, if any); 1366 px: two columns, no bottom bar."""
    page.set_viewport_size({"width": 390, "height": 844})
    # measured once the page has laid itself out at the new width (a loaded machine reflows late)
    ok = page.wait_for_function(f"() => {NO_HSCROLL}", timeout=5_000)
    assert ok, page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    bottom = page.locator("#bottom-bar")
    expect(bottom).to_be_visible()
    assert bottom.evaluate("el => getComputedStyle(el).position") == "fixed"
    if bar:
        expect(bottom.get_by_role("link")).to_have_text(bar)
        box = bottom.get_by_role("link").bounding_box()
        assert box is not None and box["height"] >= 44  # a thumb's tap target
    # The header is one line with a menu button, not three lines of links.
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] <= 64
    expect(page.locator("#menu-btn")).to_be_visible()
    screenshot(page, f"{name}-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(page.locator("#bottom-bar")).to_be_hidden()
    screenshot(page, f"{name}-1366")


def _panel(page: Any) -> Any:
    return page.locator("section.live")


def test_auction_page_announced(page, screenshot, page_errors):
    auction = _auction(state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=3))
    page.goto(f"/bidding/auctions/{auction.pk}/")
    expect(page.locator('[data-live="state_label"]')).to_have_text("预告中")
    panel = _panel(page)
    expect(panel).to_contain_text("起拍价")
    expect(panel).to_contain_text("800,000.00")
    expect(panel).to_contain_text("定价依据金额")  # a PRC-19 market price, not an appraisal
    expect(panel).to_contain_text("1,000,000.00")
    expect(panel).to_contain_text("价格依照通常方法容易确定")
    expect(panel).to_contain_text("5,000.00")
    expect(panel).to_contain_text("80,000.00")
    expect(page.locator('[data-live="countdown_label"]').first).to_have_text("距开始")
    expect(page.locator('[data-live="countdown"]').first).to_have_text(re.compile(r"^\d天 "))
    for label in ("报名人数", "围观人数", "提醒人数"):
        expect(panel.locator(".counts")).to_contain_text(label)
    # No empty chart frame before the first bid.
    expect(page.locator("#chart-box")).to_be_hidden()
    # The tabs: the announcement first; each tab shows its own panel only.
    tabs = page.locator("#lot-info [role=tab]")
    expect(tabs.first).to_have_text("竞买公告")
    expect(page.locator("#tab-notice")).to_be_visible()
    page.get_by_role("tab", name="优先购买权人").click()
    expect(page.locator("#tab-priority")).to_contain_text("无优先购买权人")
    expect(page.locator("#tab-notice")).to_be_hidden()
    page.get_by_role("tab", name="优先购买权人").press("ArrowLeft")
    expect(page.locator("#tab-lot")).to_be_visible()
    expect(page.get_by_role("tab", name="标的物介绍")).to_be_focused()
    # The gallery opens in a lightbox and steps through the photos.
    expect(page.locator(".gallery-thumbs li")).to_have_count(3)
    page.locator(".gallery-thumbs a").nth(1).click()
    dialog = page.locator("#lightbox")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".lb-caption")).to_contain_text("2 / 3")
    dialog.get_by_role("button", name=re.compile("下一张")).click()
    expect(dialog.locator(".lb-caption")).to_contain_text("3 / 3")
    screenshot(page, "lightbox")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Anonymous: the next step is to register (the bar links to the bid box).
    _both_widths(page, screenshot, "announced", bar="我要报名")
    assert page_errors == []


def test_auction_page_bidding(page, sign_in, screenshot, page_errors):
    auction = _auction()
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, START)
    bid(auction, b, START + INC)
    sign_in(page, a.user)
    page.goto(f"/bidding/auctions/{auction.pk}/")
    expect(page.locator('[data-live="connection"]').first).to_have_text("实时连接")
    expect(page.locator('[data-live="state_label"]')).to_have_text("进行中")
    expect(page.locator('[data-live="price_label"]').first).to_have_text("当前价")
    expect(page.locator('[data-live="price"]').first).to_have_text("805,000.00")
    expect(page.locator('[data-live="registrants"]')).to_have_text("2")
    expect(page.locator("#chart-box")).to_be_visible()
    page.wait_for_function("document.querySelector('#price-chart canvas') !== null")
    expect(page.locator("#bid-history tr")).to_have_count(2)
    # The price change is announced to screen readers once, politely.
    live = page.locator('[data-live="price_announce"]')
    assert live.get_attribute("aria-live") == "polite"
    in_thread(bid, auction, a, START + 2 * INC)  # no event loop there, as the server's
    expect(live).to_have_text(re.compile(r"当前价 ¥810,000\.00"))
    page.get_by_role("button", name="关注并提醒").click()
    expect(page.locator(".messages")).to_contain_text("已关注")
    expect(page.locator("#watch-count")).to_have_text("1")
    expect(page.get_by_role("button", name=re.compile("已关注"))).to_be_visible()
    _both_widths(page, screenshot, "bidding", bar="我要出价")
    # The bar's 我要出价 goes to the bid box with the amount focused.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#bottom-bar a").click()
    expect(page.locator("#bid-amount")).to_be_focused()
    assert page_errors == []


def test_auction_page_extended(page, channels_live_server, screenshot, page_errors):
    auction = _auction()
    # Four minutes before the end: a bid now moves the end (AUC-23).
    auction.end_at = auction.scheduled_end_at = clock.now() + dt.timedelta(minutes=4)
    auction.save(update_fields=["end_at", "scheduled_end_at"])
    a = register_active(auction)
    page.goto(f"/bidding/auctions/{auction.pk}/")
    expect(page.locator('[data-live="connection"]').first).to_have_text("实时连接")
    expect(page.locator("#chart-box")).to_be_hidden()
    in_thread(bid, auction, a, START)  # the first bid, pushed live: the chart appears with it
    expect(page.locator('[data-live="state_label"]')).to_have_text("延时中")
    expect(page.locator('[data-live="extended_note"]')).to_contain_text("结束时间已延长5分钟")
    expect(page.locator("#chart-box")).to_be_visible()
    page.wait_for_function("document.querySelector('#price-chart canvas') !== null")
    expect(page.locator('[data-live="extension_count"]')).to_have_text("1")
    expect(page.locator('[data-live="countdown"]').first).to_have_text(re.compile(r"^00:0[4-5]"))
    _both_widths(page, screenshot, "extended", bar="我要报名")
    assert page_errors == []


def test_auction_page_sold(page, channels_live_server, screenshot, page_errors):
    auction = _auction()
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, START)
    bid(auction, b, START + INC)
    auction.refresh_from_db()
    assert auction.end_at is not None
    channels_live_server.set_time(auction.end_at + dt.timedelta(seconds=1))
    assert in_thread(services.auction_close_due) == [auction.pk]
    page.goto(f"/bidding/auctions/{auction.pk}/")
    expect(page.locator('[data-live="state_label"]')).to_have_text("已成交")
    expect(page.locator('[data-live="price_label"]').first).to_have_text("成交价")
    expect(page.locator("#result")).to_contain_text(b.bidder_code)
    expect(page.locator("#result")).to_contain_text("805,000.00")
    expect(page.locator("#result").get_by_role("link", name=re.compile("成交公示"))).to_be_visible()
    expect(page.locator('[data-live="countdown"]').first).to_have_text("竞价已结束")
    expect(page.locator("#chart-box")).to_be_visible()
    _both_widths(page, screenshot, "sold", bar="查看结果")
    assert page_errors == []


def test_auction_page_unsold(page, channels_live_server, screenshot, page_errors):
    auction = _auction()
    assert auction.end_at is not None
    channels_live_server.set_time(auction.end_at + dt.timedelta(seconds=1))
    assert in_thread(services.auction_close_due) == [auction.pk]
    page.goto(f"/bidding/auctions/{auction.pk}/")
    expect(page.locator('[data-live="state_label"]')).to_have_text("流拍")
    expect(page.locator("#result")).to_contain_text("流拍")
    expect(page.locator("#chart-box")).to_be_hidden()  # never a bid: never a chart
    expect(page.locator("#bid-history")).to_contain_text("暂无出价")
    _both_widths(page, screenshot, "unsold", bar="查看结果")
    assert page_errors == []
