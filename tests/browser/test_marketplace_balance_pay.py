"""The winner pays the balance (尾款, AUC-31) online from 我的账户: sees the amount, the
deadline and the payment reference, pays at the bank simulator's cashier, comes back paid."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from bidding import services
from settlement.models import BalanceDue
from tests import race
from tests.bidding.engine_factories import YUAN, bid, make_case, make_live_auction, register_paid
from tests.conftest import make_court, make_user

START = 100_000 * YUAN


def _sold() -> tuple[Any, Any]:
    court = make_court()
    judge = make_user("judge", court)
    _case, lot, _creditor, _debtor = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=START, deposit=10_000 * YUAN)
    winner = register_paid(auction)
    bid(auction, winner, START)
    return auction, winner


def test_the_winner_pays_the_balance_online_from_my_account(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    auction, winner = race.in_thread(_sold)
    channels_live_server.set_time(auction.end_at)
    assert race.in_thread(services.auction_close_due) == [auction.pk]
    bd = BalanceDue.objects.get(sale_ref=auction.sale_ref)
    sign_in(page, winner.user)
    page.goto("/marketplace/account/")
    balance = page.locator(f"#balance-{auction.pk}")
    expect(balance.get_by_test_id("balance-due")).to_contain_text("90,000.00")
    expect(balance.get_by_test_id("payment-reference")).to_have_text(bd.payment_reference or "")
    expect(balance.get_by_test_id("balance-deadline")).to_be_visible()
    screenshot(page, "account-balance-due")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "account-balance-due-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    balance.get_by_role("button", name="在线支付余款").click()
    expect(page.locator("h1")).to_contain_text("模拟银行收银台")
    expect(page.locator("body")).to_contain_text("90,000.00")
    page.click("button:has-text('确认支付')")
    expect(page.locator("body")).to_contain_text("支付已提交")
    screenshot(page, "cashier-paid")
    page.click("#sim-return")
    expect(page.locator("h1")).to_have_text("我的账户")
    expect(page.locator(f"#balance-{auction.pk}")).to_contain_text("已缴清")
    expect(page.locator(f"#balance-{auction.pk}").get_by_role("button")).to_have_count(0)
    screenshot(page, "account-balance-paid")
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.PAID
    assert page_errors == []
