"""A new user, as a new user would: finds an auction through search, opens it, follows it,
verifies their identity, registers and pays the deposit in the bank simulator, then practises
in a sandbox auction. A judge reads the court's statistics in charts and works from the
workbench. Screenshots under var/screenshots/ (looked at while writing these tests)."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from core import clock
from tests.conftest import make_court, make_user
from tests.marketplace.conftest import YUAN, make_auction, make_case, make_lot

# A Wednesday in the middle of a month without holidays: the deadlines, "this month" and the
# working-day rules below give the same answer whatever day the suite runs on.
WEDNESDAY = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _market():
    court = make_court(name="南昌市东湖区人民法院（测试）", division_code="360102")
    judge = make_user("judge", court, display_name="王法官")
    officer = make_user("officer", court, display_name="李执行员")
    case = make_case(court, judge=judge, officer=officer)
    flat = make_lot(
        case,
        kind="residential",
        name="东湖区示例路8号502室住宅",
        division_code="360102",
        seized_on=dt.date(2026, 3, 2),
        recorder=officer,
    )
    car = make_lot(case, kind="vehicle", name="赣A·示例号小型轿车", division_code="360103")
    far = make_lot(
        make_case(make_court(division_code="110105")),
        kind="residential",
        name="北京朝阳区示例住宅",
        division_code="110105",
    )
    flat_auction = make_auction(
        flat,
        state="scheduled",
        start_in=dt.timedelta(days=3),
        start=1_280_000 * YUAN,
        increment=5_000 * YUAN,
        deposit=128_000 * YUAN,
        reference=1_600_000 * YUAN,
        priced_by=judge,
    )
    make_auction(
        car,
        state="bidding",
        start_in=-dt.timedelta(hours=2),
        hours=24,
        start=60_000 * YUAN,
        increment=1_000 * YUAN,
        deposit=6_000 * YUAN,
        priced_by=judge,
    )
    make_auction(far, state="scheduled", start_in=dt.timedelta(days=5), start=3_000_000 * YUAN)
    return {"court": court, "judge": judge, "officer": officer, "flat": flat_auction}


def _valid_resident_id() -> str:
    from cases.identity import resident_id_check_char

    first17 = "36010219900307123"
    return first17 + resident_id_check_char(first17)


def _practise(page, screenshot) -> None:
    """In the practice lobby: register, pay the play-money deposit, set a password, outbid."""
    page.goto("/marketplace/practice/")
    screenshot(page, "6-practice-lobby")
    page.locator("form:has(input[value=extension]) button").click()
    expect(page).to_have_url(re.compile(r"/bidding/auctions/\d+/"))
    page.check("input[name=accept_terms]")
    page.get_by_role("button", name="报名竞买").click()
    page.get_by_role("button", name="交纳保证金").click()
    page.fill("#pw1", "practice-pass")
    page.fill("#pw2", "practice-pass")
    page.get_by_role("button", name="保存竞价密码").click()
    # The sparring partner opened at the starting price; the learner outbids it by one increment.
    expect(page.locator("#bid-history tr").first).to_contain_text("1,000.00")
    page.click("#bid-fill")
    page.fill("#bid-password", "practice-pass")
    page.click("#bid-submit")
    expect(page.locator("#bid-history tr").first).to_contain_text("1,100.00")
    screenshot(page, "7-practice-bid")


def test_a_new_user_finds_follows_verifies_registers_pays_and_practises(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    channels_live_server.set_time(WEDNESDAY)
    m = _market()
    newcomer = make_user("bidder", display_name="新用户")
    sign_in(page, newcomer)

    # 1. Search: houses in Nanchang, chosen by name (province → city).
    page.goto("/marketplace/")
    page.select_option("#f-kind", "residential")
    page.select_option("#f-region-province", "360000")
    page.select_option("#f-region-city", "360100")
    page.click("#filters button[type=submit]")
    cards = page.locator("#results .mk-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("东湖区示例路8号502室住宅")
    expect(cards.first).to_contain_text("1,280,000.00")
    screenshot(page, "1-search")
    # A typo in a filter is a clear Chinese message, not an error page.
    page.goto("/marketplace/?region=36x")
    expect(page.locator(".error-box")).to_contain_text("行政区划代码")
    screenshot(page, "1b-bad-filter")
    assert [e for e in page_errors if "400" not in e] == []  # the page answered 400 on purpose
    page_errors.clear()

    # 2. Open it and follow it.
    page.goto(f"/marketplace/auctions/{m['flat'].pk}/")
    expect(page.locator("h1")).to_contain_text("东湖区示例路8号502室住宅")
    page.get_by_role("button", name="关注").click()
    expect(page.locator(".messages")).to_contain_text("已关注")
    page.goto("/marketplace/watchlist/")
    expect(page.locator("#watched .mk-card")).to_have_count(1)
    screenshot(page, "2-watchlist")

    # 3. My account says the identity is missing; verify it.
    page.goto("/marketplace/account/")
    expect(page.locator("#identity")).to_contain_text("尚未实名认证")
    screenshot(page, "3-account-before")
    page.get_by_role("link", name="去实名认证").click()
    page.select_option("select[name=kind]", "resident_id")
    page.fill("input[name=name]", "张示例")
    page.fill("input[name=number]", _valid_resident_id())
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".messages")).to_contain_text("实名核验已通过")
    page.goto("/marketplace/account/")
    expect(page.locator("#identity")).to_contain_text("已核验")

    # 4. Register on bidding's auction page and pay the deposit in the bank simulator.
    # One page per lot (issue 17): the old overview URL lands on the auction page itself.
    page.goto(f"/marketplace/auctions/{m['flat'].pk}/")
    expect(page).to_have_url(re.compile(rf"/bidding/auctions/{m['flat'].pk}/"))
    page.check("input[name=accept_terms]")
    page.get_by_role("button", name="报名竞买").click()
    expect(page.locator("#bid")).to_contain_text("128,000.00")
    page.get_by_role("button", name="交纳保证金").click()
    expect(page).to_have_url(re.compile(r"/settlement/simulator/pay/"))
    screenshot(page, "4-simulator")
    page.get_by_role("button", name="确认支付").click()
    page.goto(f"/bidding/auctions/{m['flat'].pk}/")
    expect(page.locator("#bid")).to_contain_text("您的竞买号")
    page.fill("#pw1", "my-bid-pass")
    page.fill("#pw2", "my-bid-pass")
    page.get_by_role("button", name="保存竞价密码").click()
    expect(page.locator(".messages")).to_contain_text("竞价密码已设置")
    page.goto("/marketplace/account/")
    expect(page.locator("#registrations")).to_contain_text("东湖区示例路8号502室住宅")
    expect(page.locator("#registrations")).to_contain_text("已缴纳")
    screenshot(page, "5-account-after")

    # 5. Practise in a sandbox auction: register, play-money deposit, password, bid.
    _practise(page, screenshot)

    # 6. Auction day: reminded before the start, bids, wins, sees the money due in the account.
    from bidding.services import auction_open_due
    from marketplace.alerts import reminders_send
    from tests.marketplace.conftest import close_due

    flat = m["flat"]
    channels_live_server.advance(flat.start_at - clock.now() - dt.timedelta(minutes=30))
    assert reminders_send()["start"] == 1
    from core.notifications import deliver_pending

    deliver_pending()
    page.goto("/inbox/")
    expect(page.locator("main")).to_contain_text("关注的拍品即将开拍")
    screenshot(page, "8-reminder")
    channels_live_server.advance(dt.timedelta(minutes=31))
    assert auction_open_due() == 1
    page.goto(f"/bidding/auctions/{flat.pk}/")
    page.click("#bid-fill")
    page.fill("#bid-password", "my-bid-pass")
    page.click("#bid-submit")
    expect(page.locator("#bid-history tr").first).to_contain_text("1,280,000.00")
    channels_live_server.advance(dt.timedelta(hours=25))
    assert flat.pk in close_due()  # (with the car and the practice auction, also due)
    page.goto(f"/marketplace/results/{flat.pk}/")
    expect(page.locator("#confirmation")).to_contain_text("张示例")
    screenshot(page, "9-result")
    page.goto("/marketplace/account/")
    wins = page.locator("#wins")
    expect(wins).to_contain_text("东湖区示例路8号502室住宅")
    expect(wins).to_contain_text("1,152,000.00")  # 1,280,000 − the 128,000 deposit
    expect(wins).to_contain_text("付款截止")
    expect(page.locator("#case-account")).not_to_be_empty()
    screenshot(page, "10-account-balance-due")
    assert page_errors == []


def test_a_judge_reads_the_courts_statistics_and_works_from_the_workbench(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    from core.deadlines import deadline_open
    from tests.marketplace.conftest import close_due, place_bid, register_active

    channels_live_server.set_time(WEDNESDAY)
    m = _market()
    court, judge = m["court"], m["judge"]
    case = make_case(court, judge=judge)
    # Three ended auctions this month: two sales with premiums, one unsold.
    for start, bids in (
        (100_000, [100_000, 110_000]),
        (200_000, [200_000, 210_000, 230_000]),
        (50_000, []),
    ):
        a = make_auction(
            make_lot(case, seized_on=dt.date(2026, 1, 10), recorder=judge),
            state="bidding",
            start_in=-dt.timedelta(hours=1),
            hours=2,
            start=start * YUAN,
            increment=5_000 * YUAN,
            reference=int(start * 1.25) * YUAN,
        )
        regs = [register_active(a), register_active(a)]
        for i, amount in enumerate(bids):
            place_bid(a, regs[i % 2], amount * YUAN)
    channels_live_server.advance(dt.timedelta(hours=2))
    assert len(close_due()) == 3
    deadline_open(
        rule_id="AUC-32",
        title="送达成交裁定",
        subject=f"case:{case.pk}",
        start_event="付清价款",
        started_at=clock.now() - dt.timedelta(days=12),
        period=10,
        court=court,
        owner=judge,
    )
    deadline_open(
        rule_id="PRC-01",
        title="启动定价程序",
        subject=f"case:{case.pk}",
        start_event="查封",
        started_at=clock.now(),
        period=30,
        court=court,
        owner_role="judge",
    )

    sign_in(page, judge)
    page.goto("/marketplace/court/workbench/")
    rows = page.locator("#workbench tbody tr")
    # The two duties above, plus what pricing opened for the priced lots (PRC-13), most urgent first.
    expect(page.locator("#workbench")).to_contain_text("启动定价程序")
    expect(rows.first).to_contain_text("送达成交裁定")
    expect(rows.first).to_have_attribute("data-urgency", "yellow")
    screenshot(page, "workbench")

    page.goto("/marketplace/court/statistics/?freq=month")
    expect(page.locator("#chart-counts svg")).to_have_count(1)
    expect(page.locator("#chart-rates svg")).to_have_count(1)
    expect(page.locator("#stats-table")).to_contain_text("66.67%")  # 2 sold of 3 ended
    screenshot(page, "statistics")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    with open(download.value.path(), encoding="utf-8") as csv:
        assert "成交率(%)" in csv.read()
    # In English the charts take their words from the scripts' catalogue (/jsi18n/, issue 17).
    root = re.match(r"https?://[^/]+", page.url)
    assert root is not None
    # The language switch's cookie, for the whole site (path /, as /i18n/setlang/ sets it).
    page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": root.group(0) + "/"}]
    )
    page.goto("/marketplace/court/statistics/?freq=month")
    expect(page.locator("#chart-counts svg")).to_contain_text("Listed")
    expect(page.locator("#chart-rates svg")).to_contain_text("Premium over reference price")
    expect(page.locator("#chart-counts svg")).not_to_contain_text("上拍")
    screenshot(page, "statistics-en")
    assert page_errors == []


def test_the_storefront_works_on_a_phone(_chromium, channels_live_server, screenshot, page_errors):
    channels_live_server.set_time(WEDNESDAY)
    m = _market()
    context = _chromium.new_context(
        base_url=channels_live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone = context.new_page()
    phone.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        phone.goto("/marketplace/")
        expect(phone.locator("#filters")).to_be_hidden()  # folded on a phone until asked for
        phone.locator("#filter-box summary").click()
        phone.select_option("#f-sort", "price_asc")
        phone.click("#filters button[type=submit]")
        cards = phone.locator("#results .mk-card")
        expect(cards).to_have_count(3)
        expect(cards.first).to_contain_text("小型轿车")  # the cheapest first
        # One column: the cards do not overflow the screen.
        box = cards.first.bounding_box()
        assert box is not None and box["width"] <= 390
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(phone, "phone-listings")
        phone.goto("/marketplace/calendar/")
        expect(phone.locator(".cal-item")).to_have_count(2)
        screenshot(phone, "phone-calendar")
        phone.goto(f"/marketplace/cases/{m['flat'].case_id}/")
        screenshot(phone, "phone-transparency")
        # The house was seized; house and car (same case) were priced and announced.
        for kind, n in (("seizure", 1), ("pricing", 2), ("priced", 2), ("announced", 2)):
            expect(phone.locator(f"#steps li[data-kind={kind}]")).to_have_count(n)
        expect(phone.locator("#steps li[data-kind=seizure]")).to_contain_text("查封")
    finally:
        context.close()
    assert page_errors == []
