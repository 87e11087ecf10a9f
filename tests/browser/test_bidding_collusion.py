"""In a real browser (issue 19): a judge opens a live collusion flag from the navigation, reads
the evidence in bidder codes only at phone and desktop widths (REC-05), and dismisses it with a
reason (AUC-43). Screenshots: var/screenshots/."""

from __future__ import annotations

from playwright.sync_api import expect

from bidding.collusion.models import CollusionFlag
from bidding.collusion.services import collusion_tick
from tests.bidding.engine_factories import (
    YUAN,
    bid,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)
from tests.conftest import make_court, make_user


def test_judge_reads_a_flag_and_dismisses_it(page, sign_in, screenshot, page_errors):
    court = make_court("赣0104", name="南昌市青山湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="周法官")
    _case, lot, _creditor, debtor = make_case(court, judge=judge)
    debtor.phone = "13755550000"
    debtor.save(update_fields=["phone"])
    auction = make_live_auction(court, lot, start=100_000 * YUAN, increment=1_000 * YUAN)
    regs = []
    for phone in ("13755550000", "13755550000", "13600000001"):
        user = bidder_user()
        user.phone = phone
        user.save(update_fields=["phone"])
        regs.append(register_active(auction, user))
    bid(auction, regs[2], 100_000 * YUAN)
    bid(auction, regs[0], 101_000 * YUAN)
    collusion_tick()
    flag = CollusionFlag.objects.get(auction=auction)

    sign_in(page, judge)
    page.goto("/bidding/court/collusion/")
    expect(page.locator("h1")).to_have_text("串通风险预警")
    page.get_by_role("link", name=auction.title).click()
    expect(page.locator("body")).to_contain_text(str(regs[0].bidder_code))
    expect(page.locator("body")).to_contain_text("竞价结束前不显示竞买人身份")
    for width, height in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"flag-{width}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"horizontal scroll at {width}px"
    body = page.locator("body").inner_text()
    for r in regs:
        assert r.identity is not None
        assert r.identity.name not in body and r.user.display_name not in body

    page.fill("textarea[name=reason]", "经核实为同一家庭成员，另一人未出价")
    page.get_by_role("button", name="排除（未发现串通）").click()
    expect(page.locator("body")).to_contain_text("已排除该预警并记录理由")
    flag.refresh_from_db()
    assert flag.state == "dismissed"
    assert page_errors == []
