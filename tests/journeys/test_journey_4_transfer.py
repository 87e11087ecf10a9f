"""Journey 4 (issue 13): from an empty database with only the first operator (created by
``manage.py createoperator``), through pages a person clicks: a court is onboarded, a judge
records a case and puts a lot up for auction, a bidder signs up and wins, and pays the balance
by bank transfer quoting the payment reference shown to them; finance matches the receipt;
the ruling and the handover are tracked on the court's pages.
Screenshots at 1366 and 390 px: var/screenshots/test_journey_4_*."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.journeys.pages_b import (
    People,
    both_widths,
    car_auction_won,
    finance_imports_statement,
    judge_records_ruling_served,
    judge_updates_handover,
    transfer_details,
)


@pytest.mark.browser
@pytest.mark.real_clock
def test_journey_4_balance_by_bank_transfer(
    tmp_path,
    _chromium,
    channels_live_server,
    screenshot,
    page_errors,
):
    failed = True
    people = People(_chromium, channels_live_server.url, page_errors)
    try:
        auction_url = car_auction_won(people, channels_live_server, screenshot)
        judge, bidder = people["judge"], people["bidder"]

        # The winner transfers the balance quoting the reference; finance imports the statement.
        account_no, reference = transfer_details(bidder)
        finance = people["finance"]
        finance_imports_statement(
            finance,
            tmp_path / "statement.csv",
            [
                {
                    "交易时间": "2026-12-11 10:04:00",
                    "流水号": "BANK-J4-0001",
                    "付款人": "何买受",
                    "付款账号": "6222000000000404",
                    "收款账号": account_no,
                    "金额": "60000.00",
                    "附言": reference,
                }
            ],
        )
        expect(finance.locator("main")).to_contain_text("自动匹配 1 笔")
        both_widths(finance, screenshot, "11-statement-imported")
        bidder.reload()
        expect(bidder.locator("[id^=balance-]").first).to_contain_text("已缴清")
        both_widths(bidder, screenshot, "12-balance-paid")

        # The ruling is served and the handover tracked on the auction's court page (AUC-32).
        judge_records_ruling_served(
            judge, auction_url, document="（2026）赣0102执404号之二", when="2026-12-11T15:00"
        )
        judge_updates_handover(judge, state="keys_handed", note="车辆及钥匙、行驶证已交付")
        expect(judge.locator("main")).to_contain_text("已交付钥匙/证照")
        judge_updates_handover(
            judge, state="completed", note="买受人已签收", vehicle_violations_cleared="true"
        )
        # Completed: the handover can no longer be updated.
        expect(judge.get_by_text("更新移交进度（AUC-32）")).to_have_count(0)
        both_widths(judge, screenshot, "13-ruling-and-handover")
        bidder.reload()
        expect(bidder.locator("main")).to_contain_text("已移交")
        expect(bidder.locator("main")).not_to_contain_text("未开始")
        both_widths(bidder, screenshot, "14-handed-over")
        failed = False
    finally:
        people.close(failed=failed)
