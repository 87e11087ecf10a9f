"""Acceptance: a bidder who led and is then outbid is never told, on screen, that they still
lead (AUC-24: one leader; the page follows the live price)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.bidding.engine_factories import PASSWORD as BID_PASSWORD
from tests.bidding.engine_factories import YUAN, bid, make_case, make_live_auction, register_active
from tests.conftest import make_court, make_user

VISIBLE_LEADING = """() => [...document.querySelectorAll('[data-live="my_status"]')]
    .some(el => el.offsetParent !== null && el.textContent.includes('您当前领先'))"""


def test_the_outbid_leader_no_longer_reads_that_they_lead(
    page, _chromium, channels_live_server, sign_in, screenshot, page_errors
):
    court = make_court(name="南昌市东湖区人民法院（测试）")
    _, lot, _, _ = make_case(court, judge=make_user("judge", court))
    auction = make_live_auction(court, lot, start=100_000 * YUAN, increment=1_000 * YUAN)
    leader = register_active(auction)
    other = register_active(auction)
    bid(auction, leader, 100_000 * YUAN)  # placed earlier (another device, before a reload)

    sign_in(page, leader.user)
    page.goto(f"/bidding/auctions/{auction.pk}/")
    expect(page.locator('[data-live="connection"]').first).to_have_text("实时连接")
    expect(page.locator('[data-live="leader_code"]').first).to_have_text(leader.bidder_code)

    context = _chromium.new_context(base_url=channels_live_server.url, locale="zh-CN")
    rival = context.new_page()
    sign_in(rival, other.user)
    rival.goto(f"/bidding/auctions/{auction.pk}/")
    rival.click("#bid-fill")
    rival.fill("#bid-password", BID_PASSWORD)
    rival.click("#bid-submit")
    expect(rival.locator("#bid-feedback")).to_contain_text("出价成功")

    expect(page.locator('[data-live="leader_code"]').first).to_have_text(other.bidder_code)
    assert page.evaluate(VISIBLE_LEADING) is False
    screenshot(page, "outbid")
    context.close()
    assert page_errors == []
