"""Issue 13 in the browser, through pages a person clicks: the operator onboards a court with
its judge and the judge enrols through the one-time link (the TOTP code computed here from
the secret the page shows); a visitor signs up from the home page; a visitor's "报名参拍" on
an auction page leads through sign-up, verification, registration and deposit and back.
Screenshots at 1366 and 390 px: var/screenshots/."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.models import OutboxMessage, User
from tests.conftest import make_user

WEDNESDAY = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _match(pattern, text):
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def _both_widths(page, screenshot, name):
    """Screenshots at the desktop (1366 px) and phone (390 px) widths; back to desktop."""
    for width, height in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")


def _totp_now(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = TOTP(key)
    t.time = time.time()
    return f"{t.token():06d}"


def _code_for(address: str) -> str:
    msg = OutboxMessage.objects.filter(address=address).order_by("-pk").first()
    assert msg is not None
    return _match(r"\b(\d{6})\b", msg.body)


def test_operator_onboards_a_court_and_its_judge_enrols_through_the_link(
    page, sign_in, screenshot, page_errors
):
    operator = make_user("operator", display_name="平台运营小刘")
    sign_in(page, operator)
    page.get_by_role("link", name="平台运营").first.click()
    expect(page.locator("h1")).to_have_text("法院")
    page.fill("#id_name", "南昌市西湖区人民法院（测试）")
    page.fill("#id_code", "赣0103")
    page.fill("#id_division_code", "360103")
    page.fill("#id_master_account_no", "3601030000000001")
    page.fill("#id_master_account_bank", "某银行南昌西湖支行")
    page.fill("#id_master_account_name", "南昌市西湖区人民法院执行款专户")
    page.fill("#id_contact_phone", "0791-86000000")
    _both_widths(page, screenshot, "1-new-court")
    page.get_by_role("button", name="创建法院").click()
    expect(page.locator(".messages")).to_contain_text("已创建法院：南昌市西湖区人民法院（测试）")
    expect(page.locator("h1")).to_have_text("南昌市西湖区人民法院（测试）")

    form = page.locator("#staff-form")
    form.locator("[name=role]").select_option("judge")
    form.locator("[name=username]").fill("judge.wang")
    form.locator("[name=display_name]").fill("王审判")
    form.locator("[name=phone]").fill("13900000011")
    form.get_by_role("button", name="添加并发送启用链接").click()
    expect(page.locator(".messages")).to_contain_text("已添加法官 王审判，启用链接已发送。")
    expect(page.locator("#enrol-status")).to_contain_text("尚未启用")
    link = page.locator("#issued-url").inner_text().strip()
    assert "/accounts/enrol/" in link
    _both_widths(page, screenshot, "2-link-once")
    page.reload()
    expect(page.locator("#issued-url")).to_have_count(0)  # shown once only
    page.get_by_role("button", name="退出").click()

    # The judge opens the link: password and the authenticator in one step.
    page.goto(link)
    expect(page.locator("h1")).to_have_text("启用账户")
    expect(page.locator("main")).to_contain_text("judge.wang")
    secret = page.locator("#totp-secret").inner_text().strip()
    _both_widths(page, screenshot, "3-enrol")
    page.fill("#id_password", "Fa-Yuan-2026-Shi!")
    page.fill("#id_password2", "Fa-Yuan-2026-Shi!")
    page.fill("#id_otp", f"{(int(_totp_now(secret)) + 500_000) % 1_000_000:06d}")
    page.get_by_role("button", name="启用账户").click()
    expect(page.locator("#enrol-error")).to_contain_text("动态验证码不正确")
    # django-otp throttles the device for a second after a wrong code (real time, not ours).
    page.wait_for_timeout(1100)
    page.fill("#id_password", "Fa-Yuan-2026-Shi!")
    page.fill("#id_password2", "Fa-Yuan-2026-Shi!")
    page.fill("#id_otp", _totp_now(secret))
    page.get_by_role("button", name="启用账户").click()
    expect(page.locator(".messages")).to_contain_text("账户已启用，身份验证器已绑定。")
    expect(page.locator(".who")).to_have_text("王审判（法官）")
    _both_widths(page, screenshot, "4-enrolled")
    judge = User.objects.get(username="judge.wang")
    assert TOTPDevice.objects.filter(user=judge, confirmed=True).count() == 1
    # The link is spent.
    page.goto(link)
    expect(page.locator("#enrol-refused")).to_contain_text("已使用过")
    assert [e for e in page_errors if "410" not in e] == []


def test_a_visitor_signs_up_from_the_home_page(page, screenshot, page_errors):
    page.goto("/")
    page.locator("#home-signup").click()
    expect(page.locator("h1")).to_have_text("注册账户")
    page.fill("#id_address", "13912345678")
    _both_widths(page, screenshot, "1-address")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("h1")).to_have_text("输入验证码")
    expect(page.locator("#demo-message")).to_contain_text("注册验证码")  # the demo shows it
    page.fill("#id_code", _code_for("13912345678"))
    _both_widths(page, screenshot, "2-code")
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("h1")).to_have_text("设置密码")
    page.fill("#id_display_name", "钱竞买")
    page.fill("#id_password", "Qiao-Mu-2026!")
    page.fill("#id_password2", "Qiao-Mu-2026!")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator("#signup-error")).to_contain_text("请阅读并同意《平台服务协议》")
    page.fill("#id_password", "Qiao-Mu-2026!")
    page.fill("#id_password2", "Qiao-Mu-2026!")
    page.check("#id_accept_terms")
    _both_widths(page, screenshot, "3-password")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator(".messages")).to_contain_text("注册成功，请完成实名认证。")
    expect(page.locator(".who")).to_have_text("钱竞买（竞买人）")
    expect(page.locator("h1")).to_have_text("实名认证")
    _both_widths(page, screenshot, "4-identity")
    assert User.objects.get(username="13912345678").phone == "13912345678"
    assert page_errors == []


def test_a_visitors_bid_button_leads_through_sign_up_verification_registration_and_deposit(
    page, channels_live_server, screenshot, page_errors
):
    from tests.browser.test_marketplace_journey import _market, _valid_resident_id

    channels_live_server.set_time(WEDNESDAY)
    auction = _market()["flat"]
    page.goto(f"/bidding/auctions/{auction.pk}/")
    page.locator("#signup-to-bid").click()
    page.fill("#id_address", "13712340000")
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", _code_for("13712340000"))
    page.get_by_role("button", name="下一步").click()
    page.fill("#id_display_name", "孙参拍")
    page.fill("#id_password", "Sun-Can-Pai-2026")
    page.fill("#id_password2", "Sun-Can-Pai-2026")
    page.check("#id_accept_terms")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator("h1")).to_have_text("实名认证")
    page.select_option("select[name=kind]", "resident_id")
    page.fill("input[name=name]", "孙参拍")
    page.fill("input[name=number]", _valid_resident_id())
    page.locator("form button[type=submit]").last.click()
    # Back on the auction, where registration and the deposit follow.
    expect(page).to_have_url(re.compile(rf"/bidding/auctions/{auction.pk}/"))
    expect(page.locator(".messages")).to_contain_text("实名核验已通过")
    page.check("input[name=accept_terms]")
    page.get_by_role("button", name="报名竞买").click()
    expect(page.locator("#bid")).to_contain_text("128,000.00")
    page.get_by_role("button", name="交纳保证金").click()
    expect(page).to_have_url(re.compile(r"/settlement/simulator/pay/"))
    page.get_by_role("button", name="确认支付").click()
    page.get_by_role("link", name="返回拍卖页面").click()
    expect(page).to_have_url(re.compile(rf"/bidding/auctions/{auction.pk}/"))
    expect(page.locator("#bid")).to_contain_text("您的竞买号")
    _both_widths(page, screenshot, "registered")
    assert page_errors == []
