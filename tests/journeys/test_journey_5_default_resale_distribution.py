"""Journey 5 (issue 13): from an empty database with only the first operator (``manage.py
createoperator``), through pages a person clicks, a car is sold at auction (the set-up shared
with journey 4); the winner does not pay the balance by the deadline (the server clock is moved
past it and the installation's worker runs); the auction is defaulted, the deposit forfeited
and held pending (AUC-33), and the AUC-30 capture deadline of the sale no longer runs. The
judge records the cost the default caused (AUC-33 (1)), finds the re-auction the engine
drafted, sets its dates, records the panel's decisions and the parties' service, and
publishes it; the defaulting buyer is refused (AUC-15/33); a second bidder signs up, wins and
pays the balance online; the forfeit is then applied by itself in the AUC-33 order with the
re-sale price. The officer drafts the distribution plan (costs, the creditor, the surplus to
the debtor, FND-06), the bureau head approves it and signs each payout, finance signs and the
bank pays (FND-12), each in their own browser with their second factor; the case account ends
at zero, on its page and in its statement.
Screenshots at 1366 and 390 px: var/screenshots/test_journey_5_*."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.journeys.pages_b import (
    COURT,
    CST,
    People,
    bidder_bids_the_next_price,
    bidder_signs_up_and_registers,
    both_widths,
    car_auction_won,
    enrol,
    judge_edits_draft,
    judge_finds_draft,
    judge_publishes,
    judge_records_cost,
    judge_records_notice_served,
    judge_records_panel_decision,
    open_auction_in_hall,
    open_case_account,
    operator_adds_staff_to_court,
    payout_sign,
    valid_resident_id,
    winner_pays_balance_online,
    worker_runs,
)

CASE_NUMBER = "（2026）赣0102执404号"
REAUCTION = "赣A·旅程四号小型轿车（一拍（重新拍卖））"
BANK_TASKS = ("settlement.gateway_outbox", "settlement.simulator", "settlement.webhooks")


@pytest.mark.browser
@pytest.mark.real_clock
def test_journey_5_default_resale_distribution(
    _chromium,
    channels_live_server,
    screenshot,
    page_errors,
):
    failed = True
    server = channels_live_server
    people = People(_chromium, server.url, page_errors)
    try:
        # The creditor's claim (60,000.00) is less than what the car fetches: a surplus remains.
        auction_url = car_auction_won(people, server, screenshot, claim="60,000.00")
        judge, bidder = people["judge"], people["bidder"]
        # The court's bureau head, who approves plans and payouts (FND-12).
        link = operator_adds_staff_to_court(
            people["operator"],
            COURT["name"],
            role="bureau_head",
            username="j5.head",
            name="钱局长",
            phone="13900000405",
        )
        enrol(people.new("head"), link)

        # The balance deadline (2026-12-21 23:59) and the 24 h bank-transfer grace pass unpaid
        # (AUC-31): the worker marks the default.
        server.set_time(dt.datetime(2026, 12, 23, 10, 0, tzinfo=CST))
        worker_runs("settlement.balance_overdue", "bidding.close_due", "bidding.close_followups")
        bidder.reload()
        both_widths(bidder, screenshot, "11-defaulted-account")

        judge.goto(auction_url)
        forfeit = judge.locator("#forfeit")
        expect(forfeit).to_contain_text("没收的保证金暂存于没收待处理账户")
        # The sale's AUC-30 duty (capture the winner's deposit toward the price) ends with it.
        deadlines = judge.locator("#deadlines")
        expect(deadlines.locator("li", has_text="AUC-30")).to_contain_text("已取消")
        # AUC-33 (1): the cost the default caused, recorded on the defaulted auction's page.
        judge_records_cost(judge, amount="1,500.00", payee="南昌某停车场", note="车辆保管费")
        expect(judge.locator(".messages")).to_contain_text("已记录拍卖费用：车辆保管费")
        expect(judge.locator("#forfeit")).to_contain_text("1,500.00")
        both_widths(judge, screenshot, "12-forfeit-pending")

        # The re-auction the engine drafted: the judge finds it, sets what is new, publishes.
        server.set_time(dt.datetime(2026, 12, 23, 14, 0, tzinfo=CST))
        judge_finds_draft(judge, REAUCTION)
        judge_edits_draft(judge, {"start_at": "2027-01-12T10:00", "end_at": "2027-01-13T10:00"})
        for topic, value in (
            ("starting_price", "70,000.00"),
            ("increment", "1,000.00"),
            ("deposit", "10,000.00"),
        ):
            judge_records_panel_decision(judge, topic=topic, value=value, when="2026-12-23T10:30")
        judge_records_panel_decision(
            judge, topic="priority_purchasers", text="无优先购买权人", when="2026-12-23T10:30"
        )
        for who in ("甲银行股份有限公司", "林某"):
            judge_records_notice_served(judge, recipient_label=who, when="2026-12-23T11:00")
        both_widths(judge, screenshot, "13-reauction-draft")
        server.set_time(dt.datetime(2026, 12, 26, 11, 30, tzinfo=CST))  # AUC-10: 3 days
        judge.reload()
        judge_publishes(judge)
        both_widths(judge, screenshot, "14-reauction-published")

        # The defaulting buyer may not bid in the re-auction (AUC-15, AUC-33).
        # The page says so before any form is filled in (issue 13).
        open_auction_in_hall(bidder, REAUCTION)
        expect(bidder.locator("#registration-barred")).to_contain_text("您不能报名本场拍卖")
        expect(bidder.locator("main")).to_contain_text("悔拍人不得参加该标的物的再次拍卖")
        expect(bidder.locator("input[name=accept_terms]")).to_have_count(0)
        expect(bidder.locator("#bid")).not_to_contain_text("您的竞买号")
        both_widths(bidder, screenshot, "15-defaulter-refused")

        # A second bidder signs up from the re-auction, wins it and pays the balance online.
        buyer = people.new("buyer")
        bidder_signs_up_and_registers(
            buyer,
            auction_title=REAUCTION,
            phone="13700000405",
            name="许买受",
            resident_id=valid_resident_id("36010219900505234"),
        )
        server.set_time(dt.datetime(2027, 1, 12, 10, 1, tzinfo=CST))
        worker_runs("bidding.close_due", "bidding.close_followups")
        bidder_bids_the_next_price(buyer)
        expect(buyer.locator("#bid-history tr").first).to_contain_text("70,000.00")
        server.set_time(dt.datetime(2027, 1, 13, 10, 5, tzinfo=CST))
        worker_runs("bidding.close_due", "bidding.close_followups", *BANK_TASKS)
        winner_pays_balance_online(buyer)
        worker_runs(*BANK_TASKS)
        buyer.reload()
        expect(buyer.locator("[id^=balance-]").first).to_contain_text("已缴清")
        both_widths(buyer, screenshot, "16-reauction-paid")

        # The default is final: the forfeit was applied by itself, in the AUC-33 order.
        judge.goto(auction_url)
        forfeit = judge.locator("#forfeit")
        expect(forfeit).to_contain_text("再次拍卖成交价 ¥70,000.00")
        expect(forfeit.locator("tr", has_text="（1）")).to_contain_text("1,500.00")
        expect(forfeit.locator("tr", has_text="（3）")).to_contain_text("8,500.00")
        both_widths(judge, screenshot, "17-forfeit-applied")

        # The officer drafts the plan on the case account: cost, creditor, surplus (FND-06).
        officer = people["officer"]
        open_case_account(officer, CASE_NUMBER)
        expect(officer.locator("main")).to_contain_text("80,000.00")
        officer.get_by_role("button", name="按现有余额制作分配方案").click()
        plan = officer.locator("main table").first
        expect(plan.locator("tr", has_text="南昌某停车场")).to_contain_text("1,500.00")
        expect(plan.locator("tr", has_text="甲银行股份有限公司")).to_contain_text("60,000.00")
        expect(plan.locator("tr", has_text="林某")).to_contain_text("18,500.00")
        both_widths(officer, screenshot, "18-plan-drafted")
        plan_url = officer.url

        # The bureau head finds the plan waiting on the workbench and approves it.
        head = people["head"]
        head.goto("/")
        head.get_by_role("link", name="工作台").first.click()
        head.locator("#approvals").get_by_role("link", name="分配方案").first.click()
        head.get_by_role("button", name="批准分配方案").click()
        expect(head.locator(".messages")).to_contain_text("分配方案已批准")
        both_widths(head, screenshot, "19-plan-approved")

        accounts = {
            "南昌某停车场": ("6222000000000501", "某银行南昌分行"),
            "甲银行股份有限公司": ("6222000000000502", "甲银行南昌分行"),
            "林某": ("6222000000000503", "某银行东湖支行"),
        }
        # The bureau head signs each payout (its workbench lists them), then finance.
        head.goto("/")
        head.get_by_role("link", name="工作台").first.click()
        expect(head.locator("#approvals")).to_contain_text("林某")
        both_widths(head, screenshot, "20-head-workbench")
        for payee in accounts:
            head.goto(plan_url)
            payout_sign(head, payee, note="同意发放")
            expect(head.locator(".messages")).to_contain_text(payee)
        finance = people["finance"]
        finance.goto("/")
        finance.get_by_role("link", name="工作台").first.click()
        expect(finance.locator("#approvals")).to_contain_text("甲银行股份有限公司")
        for payee, account in accounts.items():
            finance.goto(plan_url)
            payout_sign(finance, payee, note="核对无误", account=account)
            expect(finance.locator(".messages")).to_contain_text(payee)
        both_widths(finance, screenshot, "21-finance-signed")
        worker_runs(*BANK_TASKS)  # the bank pays; its confirmations come back
        finance.goto(plan_url)
        for payee in accounts:
            expect(
                finance.locator("main table").first.locator("tr", has_text=payee)
            ).to_contain_text("已发放")
        both_widths(finance, screenshot, "22-paid")

        # The case account ends at zero: its balance and the statement's last line.
        open_case_account(officer, CASE_NUMBER)
        expect(officer.locator("main dl").first).to_contain_text("¥ 0.00")
        last = officer.locator("main table").first.locator("tr").last
        expect(last.locator("td").last).to_have_text("0.00")
        expect(officer.locator("#forfeits")).to_contain_text("AUC-33")
        both_widths(officer, screenshot, "23-account-zero")
        assert page_errors == []
        failed = False
    finally:
        people.close(failed=failed)
