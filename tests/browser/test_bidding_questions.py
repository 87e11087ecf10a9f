"""拍品咨询 in the browser (issue 17): a bidder asks on the auction page, the judge answers on
the auction's court page, the bidder sees the answer under an anonymous code; at 390 px
(no horizontal scroll) and 1366 px. Screenshots: ``var/screenshots/test_questions_*``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from bidding.models import AuctionState, LotQuestion
from tests.bidding.engine_factories import make_case, make_identity, make_live_auction
from tests.conftest import PASSWORD, make_court, make_user

NO_HSCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
NAME = "李四隐名"


def _setup() -> tuple[Any, Any, Any]:
    court = make_court(name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="王法官")
    _, lot, _, _ = make_case(court, judge=judge)
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=3)
    )
    auction.title = "东湖区示例路8号3栋2单元502室住宅"
    auction.save(update_fields=["title"])
    asker = make_user("bidder", display_name=NAME)
    make_identity(asker)
    return auction, judge, asker


def _no_hscroll(page: Any) -> None:
    assert page.evaluate(NO_HSCROLL), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )


@pytest.mark.parametrize("width", [390, 1366])
def test_questions_ask_then_see_the_answer(
    width, page, sign_in, screenshot, page_errors, _chromium, channels_live_server
):
    auction, judge, asker = _setup()
    height = 844 if width == 390 else 900
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, asker)
    page.goto(f"/bidding/auctions/{auction.pk}/#questions")
    tab = page.get_by_role("tab", name="拍品咨询")
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = page.locator("#questions")
    expect(panel).to_contain_text("暂无已答复的咨询")
    box = panel.get_by_label("咨询内容")
    # Too short: the page says why and keeps the text.
    box.fill("请问")
    panel.get_by_role("button", name="提交咨询").click()
    expect(page.locator("#q-error")).to_contain_text("至少 5 个字")
    expect(panel.get_by_label("咨询内容")).to_have_value("请问")
    panel.get_by_label("咨询内容").fill("请问房屋目前是否有人居住？可以贷款吗？")
    panel.get_by_role("button", name="提交咨询").click()
    expect(page.get_by_role("tab", name="拍品咨询")).to_have_attribute("aria-selected", "true")
    expect(panel.locator(".qa-mine")).to_contain_text("待答复")
    if width == 390:
        _no_hscroll(page)
    screenshot(page, f"asked-{width}")
    q = LotQuestion.objects.get(asker=asker)

    # The judge answers on the auction's court page (another browser session).
    staff = _chromium.new_context(base_url=channels_live_server.url, locale="zh-CN")
    try:
        jp = staff.new_page()
        jp.set_viewport_size({"width": width, "height": height})
        sign_in(jp, judge, PASSWORD)
        jp.goto(f"/bidding/court/auctions/{auction.pk}/#questions")
        item = jp.locator(f"#question-{q.pk}")
        expect(item).to_contain_text(q.asker_alias)
        expect(item).not_to_contain_text(NAME)
        item.get_by_label("答复内容").fill("经查目前无人居住；可以办理贷款，详见竞买须知。")
        item.get_by_role("button", name="答复并公开").click()
        expect(jp.locator(f"#question-{q.pk}")).to_contain_text("经查目前无人居住")
        if width == 390:
            _no_hscroll(jp)
        screenshot(jp, f"court-{width}")
    finally:
        staff.close()

    page.reload()
    expect(page.get_by_role("tab", name="拍品咨询 (1)")).to_be_visible()
    answered = panel.locator(".qa-list .qa")
    expect(answered).to_have_count(1)
    expect(answered).to_contain_text("经查目前无人居住")
    expect(answered).to_contain_text(f"竞买人{q.asker_alias}")
    expect(panel).not_to_contain_text(NAME)
    if width == 390:
        _no_hscroll(page)
    screenshot(page, f"answered-{width}")
    # A visitor who is not signed in sees the answer and is asked to sign in to ask.
    page.context.clear_cookies()
    page.goto(f"/bidding/auctions/{auction.pk}/?visitor=1#questions")  # a new load, not a jump
    expect(panel.locator(".qa-list .qa")).to_contain_text("经查目前无人居住")
    expect(panel.get_by_role("link", name="登录后提问")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(NAME)
    # The one refused ask answered 400 (the page with the reason); nothing else went wrong.
    assert [e for e in page_errors if "status of 400" not in e] == []
    assert len(page_errors) <= 1
