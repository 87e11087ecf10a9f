"""What a bidder sees of their own standing and of the auction's state on the live page:

- "您已被超越" / "您当前领先" after a reload, from the bid history (AUC-25), not only from bids
  this browser placed;
- the bid form disabled with the reason while the court has suspended (暂缓) the auction and
  enabled again, without a reload, when it resumes (AUC-40); the page in each state;
- the registration form with co-bidders and an agent, and the agent bidding for the
  registrant once the court confirmed the agency before the start (AUC-14);
- the way back from the bank's payment page to the auction after paying the deposit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from bidding import services
from bidding.models import Auction, AuctionState, Registration
from core import clock
from tests import race
from tests.bidding.engine_factories import PASSWORD as BID_PASSWORD
from tests.bidding.engine_factories import (
    YUAN,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)
from tests.conftest import TEST_NOW, make_court, make_user

START = 500_000 * YUAN
INC = 5_000 * YUAN


def _auction(**kw):
    court = make_court(name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="王法官")
    _, lot, _, _ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=START, increment=INC, deposit=50_000 * YUAN, **kw)
    auction.title = "东湖区示例街12号临街商铺"
    auction.announcement = "南昌市东湖区人民法院将在本平台公开拍卖下列标的物。"
    auction.save(update_fields=["title", "announcement"])
    return auction, judge


def off_loop(fn: Any, **kw: Any) -> Any:
    """Run an engine service in a plain thread: Playwright keeps an event loop in this one, and
    the live layer's after-commit publish must not run inside it."""
    return race.in_thread(fn, **kw)


def _beijing(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")


def _court_acts(pg, auction, name: str, label: str, **fields: str) -> None:
    """The judge takes a court action on the court page (which calls the engine's service)."""
    pg.goto(f"/bidding/court/auctions/{auction.pk}/")
    pg.click(f"summary:text-is('{label}')")
    for field, value in fields.items():
        pg.fill(f"#id_{name}-{field}", value)
    with pg.expect_navigation():
        pg.click(f"form[action$='/do/{name}/'] button[type=submit]")


def live(pg, name: str):
    return pg.locator(f'[data-live="{name}"]').first


def _bid(pg) -> None:
    pg.click("#bid-fill")
    pg.fill("#bid-password", BID_PASSWORD)
    pg.click("#bid-submit")


def _open(pg, auction) -> None:
    pg.goto(f"/bidding/auctions/{auction.pk}/")
    expect(live(pg, "connection")).to_have_text("实时连接")


def test_outbid_and_leading_status_survive_a_reload(
    page, _chromium, channels_live_server, sign_in, screenshot, page_errors
):
    auction, _judge = _auction()
    alice, bob = register_active(auction), register_active(auction)
    sign_in(page, alice.user)
    _open(page, auction)
    expect(live(page, "my_status")).to_be_hidden()  # no bid yet: neither leading nor outbid

    _bid(page)
    expect(page.locator("#bid-feedback")).to_contain_text("出价成功")
    expect(live(page, "my_status")).to_have_text("您当前领先")

    # Bob outbids Alice from his own browser; Alice comes back later and reloads the page.
    context = _chromium.new_context(
        base_url=channels_live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    rival = context.new_page()
    sign_in(rival, bob.user)
    _open(rival, auction)
    _bid(rival)
    expect(rival.locator("#bid-feedback")).to_contain_text("出价成功")
    expect(live(page, "leader_code")).to_have_text(bob.bidder_code)
    page.reload()
    expect(live(page, "connection")).to_have_text("实时连接")
    expect(live(page, "my_status")).to_have_text("您已被超越")
    expect(live(page, "my_status")).to_have_class("tag red")
    screenshot(page, "outbid-after-reload")

    # Alice bids again and reloads: she leads; Bob, reloading, is outbid.
    _bid(page)
    expect(page.locator("#bid-feedback")).to_contain_text("出价成功")
    page.reload()
    expect(live(page, "connection")).to_have_text("实时连接")
    expect(live(page, "leader_code")).to_have_text(alice.bidder_code)
    expect(live(page, "my_status")).to_have_text("您当前领先")
    rival.reload()
    expect(live(rival, "connection")).to_have_text("实时连接")
    expect(live(rival, "my_status")).to_have_text("您已被超越")

    # Outbid while the page is open, by a bid this browser did not see placed.
    _bid(rival)
    expect(live(page, "my_status")).to_have_text("您已被超越")
    context.close()
    assert page_errors == []


def test_bid_form_pauses_while_suspended_and_reopens_on_resume_live_auc40(
    page, _chromium, channels_live_server, sign_in, screenshot, page_errors
):
    # Frozen on a whole minute: the resume form takes minutes, and a running clock could pass
    # the next minute before the server checks the new start (AUC-41 allows one minute back).
    channels_live_server.set_time(TEST_NOW)
    auction, judge = _auction()
    alice = register_active(auction)
    sign_in(page, alice.user)
    _open(page, auction)
    note = live(page, "action_note")
    expect(note).to_be_hidden()
    expect(page.locator("#bid-submit")).to_be_enabled()
    expect(page.locator("#bid-amount")).to_be_editable()

    context = _chromium.new_context(
        base_url=channels_live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    court = context.new_page()
    sign_in(court, judge)
    _court_acts(
        court, auction, "suspend", "暂缓（AUC-40）", reason="案外人对标的物提出异议，暂缓拍卖。"
    )
    assert Auction.objects.get(pk=auction.pk).state == AuctionState.SUSPENDED

    # The bidder's open page follows without a reload, with the court's published reason.
    expect(note).to_be_visible()
    expect(note).to_contain_text("拍卖已暂缓，暂停出价")
    expect(note).to_contain_text("法院公告的理由：案外人对标的物提出异议，暂缓拍卖。")
    expect(live(page, "state_label")).to_have_text("暂缓")
    expect(page.locator("#bid-submit")).to_be_disabled()
    expect(page.locator("#bid-amount")).not_to_be_editable()
    expect(page.locator("#bid-password")).not_to_be_editable()
    screenshot(page, "suspended-live")

    # Reloaded during the suspension, the page says the same (and shows the published reason).
    page.reload()
    expect(note).to_contain_text("拍卖已暂缓，暂停出价")
    expect(page.locator("#bid-submit")).to_be_disabled()
    expect(page.locator("#actions-h + ul")).to_contain_text("案外人对标的物提出异议")

    # The court resumes with a new period starting now (AUC-41): the form opens again live,
    # and a bid is taken (the first bid opens bidding, as the clock would).
    now = clock.now()
    _court_acts(
        court,
        auction,
        "resume",
        "恢复拍卖（AUC-41）",
        reason="异议已审查完毕，恢复拍卖。",
        start_at=_beijing(now),
        end_at=_beijing(now + dt.timedelta(hours=25)),
    )
    assert Auction.objects.get(pk=auction.pk).state == AuctionState.SCHEDULED
    expect(note).to_be_hidden()
    expect(page.locator("#bid-submit")).to_be_enabled()
    _bid(page)
    expect(page.locator("#bid-feedback")).to_contain_text("出价成功")
    expect(live(page, "state_label")).to_have_text("进行中")
    expect(live(page, "my_status")).to_have_text("您当前领先")

    # Suspended again and resumed with a later start: the form waits for the start.
    _court_acts(court, auction, "suspend", "暂缓（AUC-40）", reason="再次暂缓。")
    expect(note).to_contain_text("拍卖已暂缓")
    expect(live(page, "my_status")).to_be_hidden()
    now = clock.now()
    _court_acts(
        court,
        auction,
        "resume",
        "恢复拍卖（AUC-41）",
        reason="恢复拍卖。",
        start_at=_beijing(now + dt.timedelta(hours=1)),
        end_at=_beijing(now + dt.timedelta(hours=26)),
    )
    expect(note).to_contain_text("竞价尚未开始，开始后方可出价")
    expect(page.locator("#bid-submit")).to_be_disabled()
    expect(live(page, "countdown_label")).to_have_text("距开始")
    screenshot(page, "resumed-later-start")
    context.close()
    assert page_errors == []


def _set_state(auction: Auction, state: str) -> None:
    Auction.objects.filter(pk=auction.pk).update(state=state)


def test_the_auction_page_in_each_state_zh_and_en(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    """Screenshots of the page as a registered bidder sees it in each state, with the reason
    next to the (disabled) bid form. States that need the whole court procedure elsewhere
    (halt with refunds, withdrawal, sale) are set on the row here: this test is about the page."""
    auction, judge = _auction(state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=3))
    alice = register_active(auction)
    sign_in(page, alice.user)

    _open(page, auction)
    expect(live(page, "action_note")).to_have_text("竞价尚未开始，开始后方可出价。")
    expect(page.locator("#bid-submit")).to_be_disabled()
    screenshot(page, "1-scheduled")

    _set_state(auction, AuctionState.BIDDING)
    Auction.objects.filter(pk=auction.pk).update(start_at=clock.now() - dt.timedelta(hours=1))
    bob = register_active(auction)
    for who, amount in ((alice, START), (bob, START + INC)):
        off_loop(
            services.bid_place,
            auction_id=auction.pk,
            user=who.user,
            amount_fen=amount,
            password=BID_PASSWORD,
        )
    _open(page, auction)
    expect(live(page, "action_note")).to_be_hidden()
    expect(live(page, "my_status")).to_have_text("您已被超越")
    page.wait_for_function("document.querySelector('#price-chart canvas') !== null")
    screenshot(page, "2-bidding-outbid")

    for state, text in (
        (AuctionState.HALTED, "拍卖已中止，暂停出价"),
        (AuctionState.WITHDRAWN, "拍卖已撤回，不再接受出价"),
        (AuctionState.UNSOLD, "本场拍卖竞价已结束，不再接受出价"),
    ):
        _set_state(auction, state)
        _open(page, auction)
        expect(live(page, "action_note")).to_contain_text(text)
        expect(page.locator("#bid-submit")).to_be_disabled()
        screenshot(page, f"3-{state}")

    _set_state(auction, AuctionState.BIDDING)
    off_loop(
        services.auction_suspend, auction_id=auction.pk, actor=judge, reason="暂缓拍卖（测试）。"
    )
    _open(page, auction)
    expect(live(page, "action_note")).to_contain_text("拍卖已暂缓，暂停出价")
    screenshot(page, "4-suspended")

    # The same page in English.
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    expect(live(page, "action_note")).to_contain_text("The auction is suspended")
    expect(live(page, "state_label")).to_have_text("Suspend")  # the page's language, live
    expect(page.locator("#bid-submit")).to_be_disabled()
    screenshot(page, "5-suspended-en")
    assert page_errors == []


def test_registering_with_a_co_bidder_and_an_agent_who_then_bids_auc14(
    page, _chromium, channels_live_server, sign_in, screenshot, page_errors
):
    auction, judge = _auction(state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2))
    me, co, agent = bidder_user(), bidder_user(), bidder_user()
    sign_in(page, me)
    _open(page, auction)

    # A wrong identity number first: refused in Chinese, nothing typed is lost.
    page.check("input[name=accept_terms]")
    page.click("#reg-joint summary")
    page.fill("input[name=joint_1_username]", co.username)
    page.fill("input[name=joint_1_id_number]", "360102199001019999")
    page.fill("input[name=joint_1_share]", "40")
    page.click("#reg-agent summary")
    page.fill("input[name=agent_username]", agent.username)
    page.fill("input[name=agent_id_number]", agent.identities.get().number)
    page.click("button:has-text('报名竞买')")
    expect(page.locator(".register-form .error").first).to_contain_text(
        f"未找到登录账号为“{co.username}”且证件号码相符的已实名认证用户"
    )
    expect(page.locator("input[name=joint_1_share]")).to_have_value("40")
    expect(page.locator("input[name=agent_username]")).to_have_value(agent.username)
    expect(page.locator("input[name=accept_terms]")).to_be_checked()
    screenshot(page, "register-refused")

    page.fill("input[name=joint_1_id_number]", co.identities.get().number)
    page.click("button:has-text('报名竞买')")
    expect(page.locator(".messages")).to_contain_text("报名成功")
    facts = page.locator("#reg-facts")
    expect(facts).to_contain_text("您本人：60%")
    expect(facts).to_contain_text(f"{co.username}：40%")
    expect(facts).to_contain_text(f"代理人 {agent.username}")
    expect(facts).to_contain_text("待法院确认")
    screenshot(page, "registered-joint-agent")

    reg = Registration.objects.get(auction=auction, user=me)
    services.registration_confirm_agent(registration_id=reg.pk, actor=judge)
    services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    services.registration_set_password(registration_id=reg.pk, user=me, password=BID_PASSWORD)
    reg.refresh_from_db()

    # The start passes; the agent, in their own browser, bids under the registrant's code (the
    # first bid opens bidding).
    channels_live_server.set_time(auction.start_at + dt.timedelta(minutes=1))
    context = _chromium.new_context(
        base_url=channels_live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    agent_page = context.new_page()
    agent_page.on("pageerror", lambda exc: page_errors.append(f"pageerror(agent): {exc}"))
    sign_in(agent_page, agent)
    _open(agent_page, auction)
    expect(agent_page.locator("#reg-facts")).to_contain_text("您受委托代为竞买")
    expect(agent_page.locator("#reg-facts")).to_contain_text("法院已确认")
    expect(live(agent_page, "my_code")).to_have_text(reg.bidder_code)
    _bid(agent_page)
    expect(agent_page.locator("#bid-feedback")).to_contain_text("出价成功")
    expect(agent_page.locator("#bid-history tr").first).to_contain_text(reg.bidder_code)
    expect(live(agent_page, "my_status")).to_have_text("您当前领先")
    screenshot(agent_page, "agent-bid")
    # The registrant sees the bid under their own code.
    expect(page.locator("#bid-history tr").first).to_contain_text(reg.bidder_code)
    context.close()
    assert page_errors == []


def test_an_unconfirmed_agent_has_no_bid_form_auc14(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    auction, _judge = _auction(state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2))
    me, agent = bidder_user(), bidder_user()
    reg = services.registration_create(
        auction_id=auction.pk, user=me, accept_terms=True, agent=agent
    )
    services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    services.registration_set_password(registration_id=reg.pk, user=me, password=BID_PASSWORD)
    channels_live_server.set_time(auction.start_at + dt.timedelta(minutes=1))
    off_loop(services.auction_open_due)
    sign_in(page, agent)
    _open(page, auction)
    expect(page.locator("#bid")).to_contain_text("委托代理未在竞价开始前经法院确认，您不能代为出价")
    expect(page.locator("#bid-form")).to_have_count(0)
    screenshot(page, "agent-unconfirmed")
    assert page_errors == []


def test_after_paying_the_deposit_the_cashier_leads_back_to_the_auction(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    auction, _judge = _auction(state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=2))
    me = bidder_user()
    sign_in(page, me)
    _open(page, auction)
    page.check("input[name=accept_terms]")
    page.click("button:has-text('报名竞买')")
    page.click("button:has-text('交纳保证金')")
    expect(page.locator("h1")).to_contain_text("模拟银行收银台")
    expect(page.locator("main, body").first).to_contain_text(f"竞买保证金：{auction.title}")
    page.click("button:has-text('确认支付')")
    expect(page.locator("body")).to_contain_text("支付已提交")
    screenshot(page, "cashier-paid")
    page.click("#sim-return")
    expect(page.locator("h1")).to_have_text(auction.title)
    expect(page.locator("#bid")).to_contain_text("设置竞价密码")
    assert page_errors == []
