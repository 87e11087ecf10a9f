"""REC-09 in the browser: the public list of notices served by publication, with the reason,
at 390 px (one column, no sideways scroll) and at 1366 px."""

from __future__ import annotations

from playwright.sync_api import expect

from core.service import service_record
from tests.conftest import make_court

REASON = "被执行人下落不明，邮寄送达被退回，无法直接送达"


def test_rec09_notices_page_at_390_and_1366(_chromium, channels_live_server, screenshot):
    court = make_court()
    service_record(
        court=court,
        subject="case:1/auction:1",
        document="拍卖公告通知书",
        document_kind="auction_notice",
        recipient_ref="party:1",
        recipient_name="张某某",
        method="platform_publication",
        unreachable_reason=REASON,
    )
    errors: list[str] = []
    for width, height in ((390, 844), (1366, 900)):
        context = _chromium.new_context(
            base_url=channels_live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": width, "height": height},
        )
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto("/")
            page.locator("footer a", has_text="公示送达").click()
            expect(page.locator("h1")).to_have_text("公示送达")
            expect(page.locator("main")).to_contain_text(REASON)
            expect(page.locator("main")).to_contain_text("张某某")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"notices-{width}")
        finally:
            context.close()
    assert errors == []
