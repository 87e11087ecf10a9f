"""Journey 5 (issue 13), as far as it goes today: from an empty database with only the first
operator (``manage.py createoperator``), through pages a person clicks, a car is sold at auction
(the set-up shared with journey 4); the winner does not pay the balance by the deadline (the
server clock is moved past it and the installation's worker runs); the auction is defaulted
and its court page holds the forfeited deposit pending (AUC-33); the judge applies it by the
button on the defaulted auction's page and sees it applied in the AUC-33 order.
Not yet here (issue 13): the re-auction, its sale and payment, the distribution plan through
officer → bureau head → finance, and the case account at zero.
Screenshots at 1366 and 390 px: var/screenshots/test_journey_5_*."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.journeys.pages_b import (
    CST,
    People,
    both_widths,
    car_auction_won,
    worker_runs,
)


@pytest.mark.browser
@pytest.mark.real_clock
def test_journey_5_default_and_forfeit(
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

        # The balance deadline (2026-12-21 23:59) and the 24 h bank-transfer grace pass unpaid
        # (AUC-31): the worker marks the default.
        channels_live_server.set_time(dt.datetime(2026, 12, 23, 10, 0, tzinfo=CST))
        worker_runs("settlement.balance_overdue", "bidding.close_due", "bidding.close_followups")
        bidder.reload()
        both_widths(bidder, screenshot, "11-defaulted-account")

        judge.goto(auction_url)
        forfeit = judge.locator("#forfeit")
        expect(forfeit).to_contain_text("没收的保证金暂存于没收待处理账户")
        both_widths(judge, screenshot, "12-forfeit-pending")
        forfeit.locator("summary").click()
        forfeit.get_by_role("button", name="不再等待再次拍卖，立即处理").click()
        expect(judge.locator("#forfeit")).to_contain_text("没收 ¥10,000.00")
        expect(judge.locator("#forfeit table")).to_contain_text("AUC-33")
        both_widths(judge, screenshot, "13-forfeit-applied")
        failed = False
    finally:
        people.close(failed=failed)
