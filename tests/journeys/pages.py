"""What a person does on the site, shared by the journeys (issue 13): the first operator made
by the documented command, enrolment through the one-time link (the TOTP code computed from
the secret the page shows, as an authenticator app would), signing in with the second factor,
and screenshots at the two widths. Apart from the documented command, every step is a page."""

from __future__ import annotations

import base64
import io
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django_otp.oath import TOTP
from playwright.sync_api import expect

STEP = 30  # seconds: django-otp's TOTP time step


@dataclass
class Person:
    """Someone who signs in: what they know (password) and what their phone holds (secret)."""

    username: str
    password: str
    secret: str = ""
    last_step: int = 0

    def code(self) -> str:
        """The authenticator's code, never one the server has already accepted (django-otp
        refuses a replayed step; it accepts the next step within its tolerance of one)."""
        while True:
            now = int(time.time()) // STEP
            step = max(now, self.last_step + 1)
            if step <= now + 1:
                break
            time.sleep(STEP - time.time() % STEP + 0.2)
        self.last_step = step
        key = base64.b32decode(self.secret + "=" * (-len(self.secret) % 8))
        t = TOTP(key)
        t.time = step * STEP
        return f"{t.token():06d}"


def both_widths(page: Any, screenshot: Any, name: str) -> None:
    """Screenshots at the phone (390 px) and desktop (1366 px) widths; ends on the desktop."""
    for width, height in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")


def create_first_operator(
    username: str = "ops", password: str = "Ping-Tai-Yun-2026!"
) -> tuple[Person, str]:
    """README "First operator on a fresh installation", unattended: returns the operator and
    the enrolment link the command printed."""
    out = io.StringIO()
    os.environ["JOURNEY_OP_PASSWORD"] = password
    try:
        call_command(
            "createoperator",
            "--username",
            username,
            "--name",
            "平台运营小刘",
            "--phone",
            "13900000001",
            "--password-from-env",
            "JOURNEY_OP_PASSWORD",
            "--noinput",
            stdout=out,
        )
    finally:
        os.environ.pop("JOURNEY_OP_PASSWORD", None)
    found = re.search(r"(\S*/accounts/enrol/\S+)", out.getvalue())
    assert found is not None, out.getvalue()
    return Person(username, password), found.group(1)


def enrol(page: Any, link: str, person: Person, *, sets_password: bool = True) -> None:
    """Opens the one-time link, sets the password (staff) and binds the authenticator."""
    page.goto(link)
    expect(page.locator("h1")).to_have_text("启用账户")
    person.secret = page.locator("#totp-secret").inner_text().strip()
    if sets_password:
        page.fill("#id_password", person.password)
        page.fill("#id_password2", person.password)
    page.fill("#id_otp", person.code())
    page.get_by_role("button", name="启用账户").click()
    expect(page.locator(".messages")).to_contain_text("账户已启用，身份验证器已绑定。")


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.locator(".messages")).to_contain_text("您已安全退出。")


def sign_in(page: Any, person: Person) -> None:
    """The login page, then the second factor when the account has one."""
    page.goto("/accounts/login/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", person.password)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    if person.secret and page.locator("#id_token").count():  # staff and operators (REC-14)
        page.fill("#id_token", person.code())
        page.get_by_role("button", name="验证").click()
        if page.locator("#id_token").count():  # refused: type the app's next code, as people do
            person.last_step = int(time.time()) // STEP + 1
            page.fill("#id_token", person.code())
            page.get_by_role("button", name="验证").click()
        expect(page.locator("#id_token")).to_have_count(0)
    expect(page.get_by_role("button", name="退出")).to_be_visible()


# --- the operator's pages (平台运营) ------------------------------------------------------

COURT = "南昌市西湖区人民法院（旅程）"
STAFF = {
    "judge": ("judge.wang", "王审判", "13900000011"),
    "officer": ("officer.li", "李执行", "13900000012"),
    "bureau_head": ("head.zhao", "赵局长", "13900000013"),
    "finance": ("finance.qian", "钱财务", "13900000014"),
}
FIRM = "江西信达房地产评估有限公司（旅程）"


def new_court(page: Any) -> None:
    """From the operator's home: a court with its enforcement funds account and phone."""
    page.goto("/")
    page.get_by_role("link", name="平台运营").first.click()
    expect(page.locator("h1")).to_have_text("法院")
    page.fill("#id_name", COURT)
    page.fill("#id_code", "赣0103")
    page.fill("#id_division_code", "360103")
    page.fill("#id_master_account_no", "3601030000000001")
    page.fill("#id_master_account_bank", "某银行南昌西湖支行")
    page.fill("#id_master_account_name", "南昌市西湖区人民法院执行款专户")
    page.fill("#id_contact_phone", "0791-86000000")
    page.get_by_role("button", name="创建法院").click()
    expect(page.locator(".messages")).to_contain_text(f"已创建法院：{COURT}")
    expect(page.locator("h1")).to_have_text(COURT)


def add_staff(page: Any, role: str) -> tuple[Person, str]:
    """On the court's page: one staff member; returns them and the link shown once."""
    username, name, phone = STAFF[role]
    form = page.locator("#staff-form")
    form.locator("[name=role]").select_option(role)
    form.locator("[name=username]").fill(username)
    form.locator("[name=display_name]").fill(name)
    form.locator("[name=phone]").fill(phone)
    form.get_by_role("button", name="添加并发送启用链接").click()
    expect(page.locator(".messages")).to_contain_text(f"{name}，启用链接已发送。")
    link = page.locator("#issued-url").inner_text().strip()
    page.get_by_role("link", name=COURT).click()  # back to the court for the next one
    expect(page.locator("#staff")).to_contain_text(name)
    return Person(username, f"{username}-Mi-Ma-2026!"), link


def new_firm(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="平台运营").first.click()
    page.get_by_role("link", name="评估机构").first.click()
    page.locator("#firm-new").click()
    expect(page.locator("h1")).to_have_text("新增评估机构")
    page.fill("#id_name", FIRM)
    page.fill("#id_licence_no", "赣评估2026001")
    page.fill("#id_uscc", "91360100MA35XXXX1X")
    page.select_option("#id_qualification", "real_estate")
    page.fill("#id_recommended_by", "中国房地产估价师与房地产经纪人学会")
    page.fill("#id_division_code", "360103")
    page.fill("#id_address", "南昌市西湖区示例路1号")
    page.fill("#id_contact_name", "周评估")
    page.fill("#id_contact_phone", "0791-86000100")
    page.get_by_role("button", name="加入名单库").click()
    expect(page.locator(".messages")).to_contain_text(f"已将「{FIRM}」加入名单库")


def add_firm_user(page: Any) -> tuple[Person, str]:
    form = page.locator("#firm-user-form")
    form.locator("[name=username]").fill("appraiser.zhou")
    form.locator("[name=display_name]").fill("周评估")
    form.locator("[name=phone]").fill("13900000021")
    form.get_by_role("button", name="添加并发送启用链接").click()
    expect(page.locator(".messages")).to_contain_text("已添加机构用户 周评估，启用链接已发送。")
    link = page.locator("#issued-url").inner_text().strip()
    return Person("appraiser.zhou", "Zhou-Ping-Gu-2026!"), link
