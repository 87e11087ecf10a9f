"""In a real browser, a judge records the debtor's self-sale of a lot (AUC-44) from the case page,
and settles 以物抵债 between two creditors of equal priority by a lot draw (AUC-36, APR-03):
the secret and its SHA-256 commitment are made in the browser, revealed after the deadline,
and the draw is run and verified on its page."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from bidding import services
from bidding.models import AuctionState, DisposalRoute, InLieuDraw
from cases.models import Party
from core.calendar import CST
from tests.bidding.engine_factories import YUAN, make_case, make_live_auction
from tests.conftest import make_court, make_user


def _local(when: dt.datetime) -> str:
    return when.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


def test_judge_authorises_a_self_sale_from_the_case_page(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    channels_live_server.set_time(dt.datetime(2026, 3, 2, 9, 30, tzinfo=CST))
    court = make_court("赣0103", name="南昌市西湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="李法官")
    case, lot, _creditor, _debtor = make_case(court, judge=judge)
    sign_in(page, judge)
    page.goto(f"/cases/{case.pk}/")
    expect(page.locator("#case-lot-routes")).to_contain_text("网络司法拍卖")
    page.locator("#case-lot-routes").scroll_into_view_if_needed()
    screenshot(page, "case-page")
    page.locator("#case-lot-routes").get_by_role("link", name="处置途径（AUC-01 / AUC-44）").click()
    expect(page.locator("#current-route")).to_contain_text("网络司法拍卖")

    # 61 days is over the 60-day maximum: refused in Chinese, every input kept.
    form = page.locator("#self-sale")
    form.get_by_label("监督价（元）").fill("850,000.00")
    form.get_by_label("自行处置期限（日）").fill("61")
    form.get_by_label("准许理由").fill("被执行人申请自行变卖，价格经合议庭确定")
    form.get_by_role("button", name="准许自行处置").click()
    expect(page.locator("#self-sale .errorlist")).to_contain_text(
        "自行处置期限须为 1 至 60 日（AUC-44）"
    )
    expect(form.get_by_label("监督价（元）")).to_have_value("850,000.00")
    expect(form.get_by_label("准许理由")).to_have_value("被执行人申请自行变卖，价格经合议庭确定")
    screenshot(page, "self-sale-refused")

    form.get_by_label("自行处置期限（日）").fill("30")
    form.get_by_role("button", name="准许自行处置").click()
    expect(page.locator(".messages")).to_contain_text("已准许被执行人自行处置")
    expect(page.locator("#current-route")).to_contain_text("被执行人自行处置")
    expect(page.locator("#current-route")).to_contain_text("¥850,000.00")
    expect(page.locator("#self-sale-complete")).to_be_visible()
    screenshot(page, "self-sale-authorised")
    route = DisposalRoute.objects.get(lot=lot)
    assert route.route == "self_sale" and route.supervised_price_fen == 850_000 * YUAN
    assert page_errors == []


def test_judge_settles_in_lieu_between_equal_creditors_by_a_lot_draw(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    channels_live_server.set_time(dt.datetime(2026, 3, 2, 9, 30, tzinfo=CST))
    court = make_court("赣0104", name="南昌市青山湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="赵法官")
    case, lot, first, _debtor = make_case(court, judge=judge, claim_fen=60_000 * YUAN)
    Party.objects.filter(pk=first.pk).update(name="甲银行股份有限公司", priority=2)
    Party.objects.create(
        case=case,
        role="creditor",
        kind="organisation",
        name="乙资产管理有限公司",
        priority=2,
        claim_fen=80_000 * YUAN,
    )
    auction = make_live_auction(court, lot, start=100_000 * YUAN)
    channels_live_server.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.state == AuctionState.UNSOLD

    sign_in(page, judge)
    page.goto(f"/bidding/court/auctions/{auction.pk}/")
    expect(page.locator("#disposal-route")).to_contain_text("网络司法拍卖")
    page.get_by_role("link", name="以物抵债（AUC-36）").click()
    expect(page.locator("h1")).to_contain_text("以物抵债（AUC-36）")

    apply = page.locator("#in-lieu-applications form")
    for name in ("甲银行股份有限公司", "乙资产管理有限公司"):
        apply.get_by_label("申请抵债的债权人").select_option(label=f"{name}（受偿顺位 2）")
        apply.get_by_label("申请内容（如何提出、何时提出）").fill(f"{name}书面申请以物抵债")
        apply.get_by_role("button", name="记录申请").click()
        expect(page.locator(".messages")).to_contain_text("已记录以物抵债申请")
    expect(page.locator("#in-lieu-order")).to_contain_text("须摇号决定")

    # No decision yet: equal ranks need the draw.
    expect(page.locator("#in-lieu-decide")).to_contain_text("须先按受偿顺位或摇号确定抵债债权人")
    expect(page.locator("#in-lieu-decide form")).to_have_count(0)

    now = auction.end_at
    assert now is not None
    draw_form = page.locator("#in-lieu-order form")
    draw_form.get_by_label("承诺截止时间（北京时间）").fill(_local(now + dt.timedelta(hours=1)))
    draw_form.get_by_label("摇号时间（北京时间）").fill(_local(now + dt.timedelta(hours=2)))
    screenshot(page, "in-lieu-applications")
    draw_form.get_by_role("button", name="冻结名单并公布").click()
    expect(page.locator(".messages")).to_contain_text("摇号名单已冻结公布")
    page.get_by_role("link", name="进入摇号").click()
    expect(page.locator("h1")).to_contain_text("以物抵债摇号")

    # The court's secret and commitment are made in the browser.
    commit = page.locator("form.commit-form")
    commit.get_by_role("button", name="生成随机串").click()
    expect(commit.locator(".commitment-out")).to_have_value(re.compile("^[0-9a-f]{64}$"))
    secret = commit.locator(".secret-out").input_value()
    screenshot(page, "draw-commit")
    commit.get_by_role("button", name="提交承诺值").click()
    expect(page.locator(".messages")).to_contain_text("承诺值已提交")

    channels_live_server.advance(dt.timedelta(hours=1))
    page.reload()
    page.get_by_label("随机串").fill(secret)
    page.get_by_role("button", name="揭示").click()
    expect(page.locator(".messages")).to_contain_text("随机串已揭示")
    channels_live_server.advance(dt.timedelta(hours=1))
    page.reload()
    page.locator("#draw-run").get_by_role("button", name="执行摇号").click()
    expect(page.locator(".messages")).to_contain_text("摇号已完成")
    expect(page.locator("#draw-verified")).to_contain_text("核验通过")
    expect(page.locator("#draw-order li").first).to_contain_text("抵债")
    screenshot(page, "draw-done")
    draw = InLieuDraw.objects.get(auction=auction)
    assert draw.winner_id is not None
    winner = Party.objects.get(pk=draw.winner_id)

    page.get_by_role("link", name="以物抵债").first.click()
    expect(page.locator("#in-lieu-order")).to_contain_text(f"经摇号由 {winner.name} 抵债")
    decide = page.locator("#in-lieu-decide")
    decide.get_by_label("理由").fill("受偿顺位相同，经摇号决定以物抵债")
    decide.get_by_label("补交差价期限（日）").fill("15")
    decide.get_by_role("button", name="决定以物抵债").click()
    expect(page.locator(".messages")).to_contain_text("已决定以物抵债")
    expect(page.locator("#in-lieu-taking")).to_contain_text(winner.name)
    screenshot(page, "in-lieu-decided")
    auction.refresh_from_db()
    assert auction.state == AuctionState.IN_LIEU and auction.in_lieu.party_id == winner.pk
    assert page_errors == []
