"""Journey 3 (issue 13): from an empty database with only the first operator (made by the
documented ``manage.py createoperator``), through pages a person clicks. The court, its judge
and the car's auction come from the steps journeys 4 and 5 share (``car_auction_published``);
then two new bidders take part:

- 孙参拍 signs up from the home page (the one-time code is the demo message the code page shows
  in test mode; the SMS is not really sent), passes the real-name verification, finds the car
  in 拍卖大厅, registers and pays the deposit at the payment gateway's cashier (simulator);
- 周竞买, a visitor on the auction page, clicks 报名参拍, which leads through sign-up,
  verification, registration and the deposit, then back to the auction.

Bidding opens on time (the installation's worker, the server clock moved); both bid over the
websocket in their own browsers, each seeing the other's bid arrive without a reload, under
anonymous bidder codes. Bidding closes (the worker); the winner pays the balance online from
the auction's result (gateway simulator) and sees it paid in 我的账户; the loser sees the
deposit returned in 我的账户 and finance sees it returned in the case account; the
confirmation (成交确认书, AUC-29) is published on the auction page.
Screenshots at 1366 and 390 px: var/screenshots/test_journey_3_*."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.journeys.pages_b import (
    BIDDING_CLOSED,
    BIDDING_OPENS,
    CAR,
    STAFF_PASSWORD,
    People,
    bidder_registers_and_pays_deposit,
    both_widths,
    car_auction_published,
    open_auction,
    valid_resident_id,
    worker_runs,
)

BID_PASSWORD = "jing-jia-2026"
SUN = ("13712340001", "孙参拍", valid_resident_id("36010219900307121"))
ZHOU = ("13712340002", "周竞买", valid_resident_id("36010219850611234"))


def sign_up(page: Any, shot: Any, tag: str, phone: str, name: str) -> None:
    """注册账户: the phone, the code the demo shows, the name, a password and the terms."""
    expect(page.locator("h1")).to_have_text("注册账户")
    page.fill("#id_address", phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("h1")).to_have_text("输入验证码")
    shown = page.locator("#demo-message").inner_text()  # the demo outbox, on the page
    code = re.search(r"\b(\d{6})\b", shown)
    assert code is not None, shown
    page.fill("#id_code", code.group(1))
    both_widths(page, shot, f"{tag}-code")
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("h1")).to_have_text("设置密码")
    page.fill("#id_display_name", name)
    page.fill("#id_password", STAFF_PASSWORD)
    page.fill("#id_password2", STAFF_PASSWORD)
    page.check("#id_accept_terms")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator(".messages")).to_contain_text("注册成功，请完成实名认证。")
    expect(page.locator(".who")).to_have_text(f"{name}（竞买人）")


def verify(page: Any, shot: Any, tag: str, name: str, resident_id: str) -> None:
    """实名认证 with a resident identity card (AUC-17)."""
    expect(page.locator("h1")).to_have_text("实名认证")
    page.select_option("select[name=kind]", "resident_id")
    page.fill("input[name=name]", name)
    page.fill("input[name=number]", resident_id)
    page.get_by_role("button", name="提交核验").click()
    expect(page.locator(".messages")).to_contain_text("实名核验已通过")
    both_widths(page, shot, f"{tag}-verified")


def set_bid_password(page: Any) -> None:
    """The first time on the live auction: the bidding password (AUC-18)."""
    page.fill("#pw1", BID_PASSWORD)
    page.fill("#pw2", BID_PASSWORD)
    page.get_by_role("button", name="保存竞价密码").click()
    expect(page.locator("#bid-submit")).to_be_visible()


def bid_lowest(page: Any, amount: str) -> None:
    """最低价, the password, 出价: the server acknowledges the bid over the websocket."""
    page.click("#bid-fill")
    expect(page.locator("#bid-amount")).to_have_value(amount)
    page.fill("#bid-password", BID_PASSWORD)
    page.click("#bid-submit")
    expect(page.locator("#bid-feedback")).to_contain_text(amount)


def account(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="我的账户").first.click()
    expect(page.locator("h1")).to_have_text("我的账户")


def test_journey_3_two_new_bidders_bid_live(
    _chromium, channels_live_server, screenshot, page_errors
):
    failed = True
    people = People(_chromium, channels_live_server.url, page_errors)
    try:
        car_auction_published(people, channels_live_server, screenshot)

        # 孙参拍: sign-up from the home page, verification, then the auction from 拍卖大厅.
        sun = people.new("sun")
        phone, name, rid = SUN
        sun.goto("/")
        sun.locator("#home-signup").click()
        sign_up(sun, screenshot, "11-sun", phone, name)
        verify(sun, screenshot, "12-sun", name, rid)
        open_auction(sun, CAR)
        both_widths(sun, screenshot, "13-sun-register")
        sun_code = bidder_registers_and_pays_deposit(sun, screenshot, "14-sun")
        both_widths(sun, screenshot, "15-sun-registered")

        # 周竞买: a visitor on the auction page; 报名参拍 leads through every step and back.
        zhou = people.new("zhou")
        phone, name, rid = ZHOU
        open_auction(zhou, CAR)
        zhou.locator("#bid").get_by_role("link", name="报名参拍").click()
        sign_up(zhou, screenshot, "16-zhou", phone, name)
        verify(zhou, screenshot, "17-zhou", name, rid)
        expect(zhou.locator("h1")).to_have_text(CAR)  # back on the auction
        zhou_code = bidder_registers_and_pays_deposit(zhou, screenshot, "18-zhou")
        assert sun_code != zhou_code
        expect(zhou.locator("main")).to_contain_text("报名人数")

        # Bidding opens on time (the worker); each sets the bidding password.
        channels_live_server.set_time(BIDDING_OPENS)
        worker_runs("bidding.close_due", "bidding.close_followups")
        for page in (sun, zhou):
            page.reload()
            set_bid_password(page)
        both_widths(zhou, screenshot, "19-zhou-ready")

        # 孙 bids the starting price; 周 sees it arrive without a reload, under 孙's code only.
        bid_lowest(sun, "70,000.00")
        first = zhou.locator("#bid-history tr").first
        expect(first).to_contain_text("70,000.00")
        expect(first).to_contain_text(sun_code)
        expect(zhou.locator("[data-live=leader_code]")).to_have_text(sun_code)
        expect(zhou.locator("#bid-amount")).to_have_value("71,000.00")
        both_widths(zhou, screenshot, "20-zhou-sees-sun-bid")
        # 周 outbids; 孙 sees it live.
        bid_lowest(zhou, "71,000.00")
        first = sun.locator("#bid-history tr").first
        expect(first).to_contain_text("71,000.00")
        expect(first).to_contain_text(zhou_code)
        expect(sun.locator("[data-live=price]").first).to_have_text("71,000.00")
        both_widths(sun, screenshot, "21-sun-sees-zhou-bid")
        for page, other in ((sun, ZHOU[1]), (zhou, SUN[1])):
            expect(page.locator("#bid-history")).not_to_contain_text(other)  # anonymous

        # Bidding closes (the worker): 周 wins at 71,000.00; the confirmation is published.
        channels_live_server.set_time(BIDDING_CLOSED)
        worker_runs("bidding.close_due", "bidding.close_followups")
        zhou.reload()
        result = zhou.locator("#result")
        expect(result).to_contain_text("71,000.00")
        expect(result).to_contain_text(zhou_code)
        result.get_by_text("成交确认书", exact=True).click()
        expect(result).to_contain_text(ZHOU[1])
        both_widths(zhou, screenshot, "22-closed-confirmation")

        # The winner pays the balance online from the auction's result (61,000.00).
        expect(sun.locator("#result")).to_contain_text("71,000.00")  # the close, live
        sun.reload()
        expect(sun.locator("#i-won")).to_have_count(0)  # the loser: the result, no balance
        expect(
            sun.locator("#result").get_by_role("link", name="成交公示与完整出价记录")
        ).to_be_visible()
        zhou.locator("#result").get_by_role("link", name="支付成交余款").click()
        mine = zhou.locator("#my-balance")
        expect(mine).to_contain_text("61,000.00")
        expect(mine.get_by_test_id("balance-deadline")).to_be_visible()
        both_widths(zhou, screenshot, "23-result-balance-due")
        mine.get_by_role("button", name=re.compile("在线支付余款")).click()
        expect(zhou.locator("main")).to_contain_text("61,000.00")
        both_widths(zhou, screenshot, "24-balance-cashier")
        zhou.get_by_role("button", name="确认支付").click()
        zhou.locator("#sim-return").click()
        account(zhou)
        expect(zhou.locator("[id^=balance-]").first).to_contain_text("已缴清")
        both_widths(zhou, screenshot, "25-balance-paid")

        # The loser's deposit comes back: 我的账户, and the case account (finance).
        account(sun)
        row = sun.locator("#registrations tbody tr", has_text=CAR)
        expect(row).to_contain_text("10,000.00")
        expect(row).to_contain_text("已退还")
        both_widths(sun, screenshot, "26-sun-deposit-returned")
        finance = people["finance"]
        finance.goto("/")
        finance.get_by_role("link", name="执行款").first.click()
        accounts = finance.locator(".card", has=finance.get_by_role("heading", name="案款账户"))
        accounts.get_by_role("link", name="（2026）赣0102执404号").click()
        holds = finance.locator("#deposits")
        expect(holds).to_contain_text("已退还")
        expect(holds).to_contain_text(sun_code)  # by bidder code, never the payer (REC-05)
        expect(finance.locator("main")).not_to_contain_text("auction:")  # no internal refs
        finance.set_viewport_size({"width": 390, "height": 844})
        assert finance.evaluate("document.documentElement.scrollWidth") <= 390  # a phone
        both_widths(finance, screenshot, "27-case-account")

        # The public auction page: the confirmation (AUC-29), for anyone.
        visitor = people.new("visitor")
        open_auction(visitor, CAR)
        expect(visitor.locator("#result")).to_contain_text("成交确认书")
        both_widths(visitor, screenshot, "28-public-confirmation")
        assert page_errors == []
        failed = False
    finally:
        people.close(failed=failed)
