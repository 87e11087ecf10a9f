"""Two bidders in two browsers bid against each other live and see each other's bids without
reloading (AUC-25); a bid in the last five minutes extends the end (AUC-23); the result shows
the winner's code when bidding ends (AUC-28, REC-05)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from bidding import services
from bidding.models import Auction
from core import clock
from tests.bidding.engine_factories import PASSWORD as BID_PASSWORD
from tests.bidding.engine_factories import YUAN, make_case, make_live_auction, register_active
from tests.conftest import make_court, make_user

START = 1_280_000 * YUAN
INC = 5_000 * YUAN


def _auction():
    court = make_court(name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="王法官")
    _, lot, _, _ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=START, increment=INC, deposit=128_000 * YUAN)
    auction.title = "东湖区示例路8号502室住宅"
    auction.announcement = "南昌市东湖区人民法院将在本平台公开拍卖下列标的物，竞价期间欢迎竞买。"
    # Four minutes before the end: every bid now extends it (AUC-23).
    auction.end_at = auction.scheduled_end_at = clock.now() + dt.timedelta(minutes=4)
    auction.save(update_fields=["title", "announcement", "end_at", "scheduled_end_at"])
    return auction


@pytest.fixture
def other_page(_chromium, channels_live_server, page_errors):
    """A second, separate browser (its own cookies): the other bidder."""
    context = _chromium.new_context(
        base_url=channels_live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},  # a phone
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.on("pageerror", lambda exc: page_errors.append(f"pageerror(other): {exc}"))
    yield pg
    context.close()


def _bid(pg, amount_text: str | None = None) -> None:
    if amount_text is None:
        pg.click("#bid-fill")  # 最低价: the next valid bid
    else:
        pg.fill("#bid-amount", amount_text)
    pg.fill("#bid-password", BID_PASSWORD)
    pg.click("#bid-submit")


def live(pg, name: str):
    return pg.locator(f'[data-live="{name}"]').first


def test_two_bidders_bid_against_each_other_live(
    page, other_page, channels_live_server, sign_in, screenshot, page_errors
):
    auction = _auction()
    alice = register_active(auction)
    bob = register_active(auction)

    sign_in(page, alice.user)
    page.goto(f"/bidding/auctions/{auction.pk}/")
    sign_in(other_page, bob.user)
    other_page.goto(f"/bidding/auctions/{auction.pk}/")
    for pg in (page, other_page):
        expect(live(pg, "connection")).to_have_text("实时连接")
        expect(live(pg, "price")).to_have_text("1,280,000.00")
        expect(live(pg, "countdown")).to_have_text(re.compile(r"^00:0[34]:\d\d$"))
        expect(live(pg, "watchers")).to_have_text("2")
    expect(live(page, "my_code")).to_have_text(alice.bidder_code)

    # Alice bids the starting price; Bob sees it without reloading.
    _bid(page)
    expect(page.locator("#bid-feedback")).to_contain_text("出价成功")
    expect(live(other_page, "price")).to_have_text("1,280,000.00")
    expect(live(other_page, "leader_code")).to_have_text(alice.bidder_code)
    expect(other_page.locator("#bid-history tr").first).to_contain_text(alice.bidder_code)
    expect(live(other_page, "extension_count")).to_have_text("1")
    expect(live(other_page, "extended_note")).to_contain_text("结束时间已延长5分钟")
    expect(live(other_page, "next_min")).to_have_text("1,285,000.00")

    # Bob answers with the next valid bid; Alice sees it and that she is outbid.
    _bid(other_page)
    expect(other_page.locator("#bid-feedback")).to_contain_text("出价成功")
    expect(live(page, "price")).to_have_text("1,285,000.00")
    expect(live(page, "leader_code")).to_have_text(bob.bidder_code)
    expect(live(page, "my_status")).to_have_text("您已被超越")
    expect(live(other_page, "my_status")).to_have_text("您当前领先")

    # A stale or off-grid bid is refused with the engine's Chinese message.
    _bid(page, "1,285,000")
    expect(page.locator("#bid-feedback")).to_contain_text("出价须高于当前价")
    _bid(page, "1,287,000")
    expect(page.locator("#bid-feedback")).to_contain_text("出价须为起拍价加整数倍加价幅度")

    # A few more rounds, each seen by the other side live.
    amount = 1_285_000
    for i in range(4):
        me, them = (page, other_page) if i % 2 == 0 else (other_page, page)
        amount += 5_000
        _bid(me)
        expect(live(them, "price")).to_have_text(f"{amount:,}.00")
    expect(live(page, "seq")).to_have_text("6")
    expect(page.locator("#bid-history tr")).to_have_count(6)
    expect(live(page, "extension_count")).to_have_text(re.compile(r"^[1-6]$"))
    page.wait_for_function("document.querySelector('#price-chart canvas') !== null")
    screenshot(page, "alice-desktop")
    screenshot(other_page, "bob-phone")

    # Bidding ends (the server's clock passes the end); the close names only the winner's code.
    auction.refresh_from_db()
    channels_live_server.set_time(auction.end_at + dt.timedelta(seconds=1))
    assert services.auction_close_due() == [auction.pk]
    assert Auction.objects.get(pk=auction.pk).state == "sold"
    for pg in (page, other_page):
        expect(pg.locator("#result")).to_be_visible(timeout=30_000)
        expect(live(pg, "result_line")).to_contain_text(bob.bidder_code)
        expect(live(pg, "result_line")).to_contain_text("1,305,000.00")
        expect(live(pg, "countdown")).to_have_text("竞价已结束")
    expect(page.locator("#bid-submit")).to_be_disabled()
    screenshot(page, "alice-closed")
    assert page_errors == []
