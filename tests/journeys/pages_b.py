"""Page helpers for journeys 4 and 5 (issue 13): functions that drive the site's pages as a
person would, so a journey's set-up reads as a list of steps. Nothing here calls a service or
a factory; the only thing outside the browser is the documented ``createoperator`` command
(README, "First operator on a fresh installation") and the server clock (time set-up, the
mechanism of tests/browser/conftest.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django_otp.oath import TOTP
from playwright.sync_api import expect

from core.models import OutboxMessage

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
STAFF_PASSWORD = "Fa-Yuan-2026-Shi!"


def totp_now(secret: str) -> str:
    """The authenticator's current code for the secret the enrolment page shows."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = TOTP(key)
    t.time = time.time()
    return f"{t.token():06d}"


def both_widths(page: Any, shot: Callable[[Any, str], Path], name: str) -> None:
    """Screenshots at the phone (390 px) and desktop (1366 px) widths; ends at desktop."""
    for width, height in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        shot(page, f"{name}-{width}")


@dataclass
class People:
    """One browser context per person, each signed in as that person."""

    browser: Any
    base_url: str
    errors: list[str]
    pages: dict[str, Any] = field(default_factory=dict)

    def new(self, who: str) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1366, "height": 900},
        )
        context.set_default_timeout(20_000)
        pg = context.new_page()
        pg.on("pageerror", lambda exc: self.errors.append(f"pageerror({who}): {exc}"))
        self.pages[who] = pg
        return pg

    def __getitem__(self, who: str) -> Any:
        return self.pages[who]

    def close(self, *, failed: bool = False) -> None:
        for who, pg in self.pages.items():
            if failed:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(SCREENSHOTS / f"journey-FAILED-{who}.png"), full_page=True)
            pg.context.close()


# --- onboarding ---------------------------------------------------------------------------


def create_first_operator(username: str, name: str) -> str:
    """``manage.py createoperator`` as the README documents it; returns the enrolment link."""
    import os

    os.environ["JOURNEY_OP_PASSWORD"] = STAFF_PASSWORD
    out = io.StringIO()
    call_command(
        "createoperator",
        "--username",
        username,
        "--name",
        name,
        "--password-from-env",
        "JOURNEY_OP_PASSWORD",
        "--noinput",
        stdout=out,
    )
    found = re.search(r"(/accounts/enrol/[^/\s]+/)", out.getvalue())
    assert found is not None, out.getvalue()
    return found.group(1)


def enrol(page: Any, link: str, *, password: str | None = STAFF_PASSWORD) -> None:
    """Open a one-time enrolment link: set the password (when asked) and bind the authenticator."""
    page.goto(link)
    expect(page.locator("h1")).to_have_text("启用账户")
    secret = page.locator("#totp-secret").inner_text().strip()
    if password is not None and page.locator("#id_password").count():
        page.fill("#id_password", password)
        page.fill("#id_password2", password)
    page.fill("#id_otp", totp_now(secret))
    page.get_by_role("button", name="启用账户").click()
    expect(page.locator(".messages")).to_contain_text("身份验证器已绑定")


def operator_creates_court(page: Any, court: dict[str, str]) -> None:
    """平台运营 → 法院: a new court with its enforcement funds account and phone."""
    page.goto("/")
    page.get_by_role("link", name="平台运营").first.click()
    for name, value in court.items():
        page.fill(f"#id_{name}", value)
    page.get_by_role("button", name="创建法院").click()
    expect(page.locator(".messages")).to_contain_text(f"已创建法院：{court['name']}")


def operator_adds_staff(page: Any, *, role: str, username: str, name: str, phone: str) -> str:
    """On the court's page: a staff member with a role; returns the one-time enrolment link."""
    form = page.locator("#staff-form")
    form.locator("[name=role]").select_option(role)
    form.locator("[name=username]").fill(username)
    form.locator("[name=display_name]").fill(name)
    form.locator("[name=phone]").fill(phone)
    form.get_by_role("button", name="添加并发送启用链接").click()
    expect(page.locator(".messages")).to_contain_text(f"{name}，启用链接已发送")
    link = str(page.locator("#issued-url").inner_text().strip())
    page.locator("main").get_by_role("link", name=page_court_name(page)).first.click()
    return link


def page_court_name(page: Any) -> str:
    """The court a person page names (its link leads back to the court's page)."""
    return str(page.locator("main a[href*='/operator/courts/']").first.inner_text().strip())


def code_sent_to(address: str) -> str:
    """The one-time code the notification channel delivered to ``address`` (the person's
    phone: the outbox is what the SMS gateway would send)."""
    msg = OutboxMessage.objects.filter(address=address).order_by("-pk").first()
    assert msg is not None, address
    found = re.search(r"\b(\d{6})\b", msg.body)
    assert found is not None, msg.body
    return found.group(1)


# --- online inquiry on a fresh installation (the roster keeper: the operator) -------------


def operator_admits_builtin_platform(page: Any, *, method_label: str, kinds: str) -> None:
    """询价平台名单库 → 内置估价平台入库 (PRC-18: price data kinds, 10 years' retention)."""
    page.goto("/")
    page.get_by_role("link", name="询价平台名单库").first.click()
    form = page.locator("#admit-builtin form")
    form.locator("[name=method]").select_option(label=method_label)
    form.locator("[name=kinds]").fill(kinds)
    form.get_by_role("button", name="内置平台入库").click()
    expect(page.locator(".messages")).to_contain_text("内置估价平台已入库")


def operator_admits_http_platform(
    page: Any, *, code: str, name: str, url: str, secret: str, kinds: str
) -> None:
    """询价平台名单库 → 平台入库（外部 HTTP 接口）: address and shared secret (gavel-inquiry/1)."""
    page.goto("/")
    page.get_by_role("link", name="询价平台名单库").first.click()
    form = page.locator("#admit-http-form")
    for field_name, value in (
        ("code", code),
        ("name", name),
        ("url", url),
        ("secret", secret),
        ("kinds", kinds),
    ):
        form.locator(f"[name={field_name}]").fill(value)
    form.get_by_role("button", name="入库").click()
    expect(page.locator(".messages")).to_contain_text("已入库")
    expect(page.locator("main table").first).to_contain_text(name)


def operator_trains_models(page: Any, *, dataset: str, methods: list[str]) -> None:
    """估价模型 → 训练模型: a shipped data set and the methods ticked; the worker trains."""
    page.goto("/")
    page.get_by_role("link", name="询价平台名单库").first.click()
    page.locator("#admit-builtin").get_by_role("link", name="估价模型").click()
    form = page.locator("#train form")
    option = form.locator(f"[name=preset] option:has-text('{dataset}')")
    form.locator("[name=preset]").select_option(option.get_attribute("value"))
    for box in form.locator("input[name=methods]").all():
        label = str(box.locator("xpath=..").inner_text()).strip()
        box.set_checked(label in methods)
    form.get_by_role("button", name="开始训练").click()
    expect(page.locator(".messages")).to_contain_text("已提交训练请求")


# --- the case, its parties, its asset and lot (the judge) ---------------------------------


def judge_records_case(
    page: Any, *, number: str, claim: str, filed_on: str, title: str, title_document: str
) -> str:
    """我的案件 → 立案登记; returns the case page's path."""
    page.goto("/cases/")
    page.get_by_role("link", name="立案登记").click()
    page.fill("#id_number", number)
    page.fill("#id_claim", claim)
    page.fill("#id_filed_on", filed_on)
    page.locator("#id_judge").select_option(index=1)
    page.locator("#id_officer").select_option(index=1)
    page.fill("#id_title", title)
    page.fill("#id_title_document", title_document)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("h1")).to_contain_text(number)
    return str(page.url)


def judge_adds_party(page: Any, case_url: str, **fields: str) -> None:
    """On the case page: 添加当事人 (role, kind, name, identity, priority, claim…)."""
    page.goto(case_url)
    page.get_by_role("link", name="添加当事人").click()
    for name, value in fields.items():
        el = page.locator(f"#id_{name}")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text(fields["name"])


def judge_registers_asset(page: Any, case_url: str, *, kind_label: str, **fields: str) -> None:
    """On the case page: 登记标的物, its kind, then its details and valuation features."""
    page.goto(case_url)
    page.get_by_role("link", name="登记标的物").click()
    page.get_by_role("link", name=kind_label).click()
    for name, value in fields.items():
        page.fill(f"#id_{name}", value)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text(fields["name"])


def judge_completes_asset(
    page: Any, *, disclosure: str, seizure_on: str, seizure_doc: str, photo: Path
) -> None:
    """On the asset's page: every disclosure topic (AUC-09), the seizure, a photo."""
    table_links = page.locator("main table").first.get_by_role("link", name="登记", exact=True)
    while table_links.count():
        table_links.first.click()
        page.fill("#id_text", disclosure)
        page.locator("main form button[type=submit]").last.click()
        expect(page.locator(".messages")).to_contain_text("已登记披露事项")
    page.get_by_role("link", name="登记查封措施").click()
    page.fill("#id_seized_on", seizure_on)
    page.fill("#id_document", seizure_doc)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text(seizure_doc)
    page.get_by_role("link", name="上传照片/文件").click()
    page.locator("#id_kind").select_option("photo")
    page.fill("#id_title", "外观照片")
    page.set_input_files("#id_file", str(photo))
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text("外观照片")


def judge_forms_lot(page: Any, case_url: str, *, title: str, asset_name: str) -> None:
    """On the case page: 组成拍品 from the asset."""
    page.goto(case_url)
    page.get_by_role("link", name="组成拍品").click()
    page.fill("#id_title", title)
    page.get_by_label(asset_name).check()
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".messages")).to_contain_text(f"已组成拍品：{title}")


# --- the reference price (the judge, on 参考价 pages) ------------------------------------


def judge_prices_by_directed_inquiry(page: Any, *, asset_name: str, amount: str) -> None:
    """参考价 → 启动 for the asset; the PRC-02 checks (a government guidance price exists);
    定向询价 adopted (PRC-05) and its result recorded as the reference price."""
    page.goto("/")
    page.get_by_role("link", name="参考价").first.click()
    option = page.locator(f"select#asset option:has-text('{asset_name}')")
    page.locator("select#asset").select_option(option.get_attribute("value"))
    page.get_by_role("button", name="启动").click()
    checks = page.locator("form:has(input[name=action][value=checks])")
    for box in checks.locator("input[type=text]").all():
        box.fill("已核查，无异常")
    checks.locator("input[name=has_tax_base_or_gov_price]").check()
    checks.locator("input[name=online_feasible]").uncheck()
    checks.get_by_role("button", name="记录核查").click()
    step = page.locator("form:has(input[name=action][value=directed])")
    step.locator("[name=body_name]").fill("南昌市价格认证中心")
    step.locator("[name=letter_ref]").fill("（2026）赣0102执404号询价函")
    step.locator("[name=deadline_at]").fill("2026-11-27T17:00")
    step.locator("[name=joint_request]").check()  # the parties' joint written request
    step.get_by_role("button", name="采用").click()
    result = page.locator("form:has(input[name=action][value=directed_result])")
    result.locator("[name=amount_yuan]").fill(amount)
    result.get_by_role("button", name="登记结果").click()
    expect(page.locator("#price")).to_contain_text(amount)


# --- the auction (the judge, on 网络拍卖 pages) --------------------------------------------


def judge_drafts_auction(page: Any, *, lot_title: str, fields: dict[str, str]) -> str:
    """网络拍卖 → 新建拍卖草稿 for the lot; returns the draft's court page path."""
    page.goto("/")
    page.get_by_role("link", name="网络拍卖").first.click()
    page.locator("li", has_text=lot_title).get_by_role("link", name="新建拍卖草稿").click()
    for name, value in fields.items():
        el = page.locator(f"#id_{name}")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".messages")).to_contain_text("已创建拍卖草稿")
    return str(page.url)


def _court_action(page: Any, name: str, fields: dict[str, str], label: str) -> None:
    form = page.locator(f"form[action*='/{name}/']")
    form.locator("xpath=..").locator("summary").click()
    for key, value in fields.items():
        el = form.locator(f"[name$={key}]")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)
    form.get_by_role("button", name=label).click()


def judge_records_panel_decision(
    page: Any, *, topic: str, when: str, value: str = "", text: str = ""
) -> None:
    """合议庭决定 (AUC-04) on the draft's page."""
    _court_action(
        page,
        "decision",
        {
            "topic": topic,
            "value_fen": value,
            "text": text,
            "panel_members": "周法官、吴法官、陈法官",
            "decided_at": when,
        },
        "记录合议庭决定",
    )


def judge_records_notice_served(page: Any, *, recipient_label: str, when: str) -> None:
    """通知当事人 (AUC-10): served and signed for, on the draft's page."""
    form = page.locator("form[action*='/notice/']")
    value = form.locator(f"[name$=recipient] option:has-text('{recipient_label}')").get_attribute(
        "value"
    )
    _court_action(
        page,
        "notice",
        {"recipient": value or "", "sent_at": when, "received_at": when, "proof": "送达回证"},
        "记录送达",
    )


def judge_publishes(page: Any) -> None:
    """发布检查 passes; 发布拍卖公告."""
    expect(page.locator("main")).to_contain_text("各项发布条件均已满足。")
    page.get_by_role("button", name="发布拍卖公告").click()
    expect(page.locator("main")).to_contain_text("公告时间")


# --- a bidder (sign-up from the auction's 报名参拍, verification, registration, deposit) ----


def valid_resident_id(first17: str) -> str:
    from cases.identity import resident_id_check_char

    return first17 + resident_id_check_char(first17)


def bidder_signs_up_and_registers(
    page: Any, *, auction_title: str, phone: str, name: str, resident_id: str
) -> None:
    """拍卖大厅 → the auction → 报名参拍: sign-up with the code sent to the phone, real-name
    verification, registration and the deposit at the bank simulator, back on the auction."""
    open_auction(page, auction_title)
    page.locator("#signup-to-bid").click()
    page.fill("#id_address", phone)
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", code_sent_to(phone))
    page.get_by_role("button", name="下一步").click()
    page.fill("#id_display_name", name)
    page.fill("#id_password", STAFF_PASSWORD)
    page.fill("#id_password2", STAFF_PASSWORD)
    page.check("#id_accept_terms")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator("h1")).to_have_text("实名认证")
    page.select_option("select[name=kind]", "resident_id")
    page.fill("input[name=name]", name)
    page.fill("input[name=number]", resident_id)
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".messages")).to_contain_text("实名核验已通过")
    bidder_registers_and_pays_deposit(page)


def open_auction(page: Any, auction_title: str) -> None:
    """拍卖大厅 (from the home page) → the auction's card → its auction page."""
    page.goto("/")
    page.get_by_role("link", name="拍卖大厅").first.click()
    page.locator(".mk-card", has_text=auction_title).get_by_role("link").first.click()


def bidder_registers_and_pays_deposit(
    page: Any, shot: Callable[[Any, str], Path] | None = None, name: str = ""
) -> str:
    """On the auction page, a verified bidder: 报名竞买 (the terms), 交纳保证金 at the payment
    gateway's cashier (the simulator), back on the auction with a bidder code; returns it."""
    page.check("input[name=accept_terms]")
    page.get_by_role("button", name="报名竞买").click()
    page.get_by_role("button", name="交纳保证金").click()
    expect(page.locator("h1")).to_contain_text("模拟银行收银台")
    if shot is not None:
        both_widths(page, shot, f"{name}-deposit-cashier")
    page.get_by_role("button", name="确认支付").click()
    page.get_by_role("link", name="返回拍卖页面").click()
    expect(page.locator("#bid")).to_contain_text("您的竞买号")
    code = re.search(r"您的竞买号[：:]\s*(\S+)", str(page.locator("#bid").inner_text()))
    assert code is not None
    return code.group(1)


def worker_runs(*tasks: str) -> None:
    """The installation's worker (``manage.py run_worker``) runs its periodic tasks once: what
    opens and closes auctions on time in production (no seed; the clock is the test's). It
    runs in a thread of its own, as the worker is a process of its own: Playwright's sync API
    keeps an event loop in this thread, where the live updates the worker publishes (the
    close, the result) could not be sent to the pages."""
    import threading

    from django.db import connection

    failure: list[BaseException] = []

    def run() -> None:
        try:
            call_command("run_worker", "--once", "--only", *tasks, stdout=io.StringIO())
        except BaseException as exc:
            failure.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=run, name="journey-worker")
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the worker did not finish"
    if failure:
        raise failure[0]


def bidder_bids_the_next_price(page: Any, *, bid_password: str = "jing-jia-404") -> None:
    """On the live auction: set the bidding password (first time) and bid the lowest price."""
    page.reload()
    if page.locator("#pw1").count():
        page.fill("#pw1", bid_password)
        page.fill("#pw2", bid_password)
        page.get_by_role("button", name="保存竞价密码").click()
    page.click("#bid-fill")
    page.fill("#bid-password", bid_password)
    page.click("#bid-submit")
    expect(page.locator("#bid-history tr").first).to_be_visible()


def winner_sees_balance_due(page: Any) -> str:
    """我的账户: the balance due, its deadline and the payment reference; returns the reference."""
    page.goto("/")
    page.get_by_role("link", name="我的账户").first.click()
    box = page.locator("[id^=balance-]").first
    expect(box.get_by_test_id("balance-deadline")).to_be_visible()
    return str(box.get_by_test_id("payment-reference").inner_text().strip())


def transfer_details(page: Any) -> tuple[str, str]:
    """What 我的账户 tells the winner to transfer to: (case account number, payment reference)."""
    box = page.locator("[id^=balance-]").first
    text = str(box.inner_text())
    account = re.search(r"账户[：:]\s*(\d{12,})", text)
    assert account is not None, text
    return account.group(1), str(box.get_by_test_id("payment-reference").inner_text().strip())


def finance_imports_statement(page: Any, csv_path: Path, rows: list[dict[str, str]]) -> None:
    """执行款 → 导入银行流水: the bank's statement (CSV, Chinese headers) uploaded."""
    import csv

    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    page.goto("/")
    page.get_by_role("link", name="执行款").first.click()
    page.get_by_role("link", name="导入银行流水").click()
    page.set_input_files("input[name=file]", str(csv_path))
    page.get_by_role("button", name="导入").click()


def judge_records_ruling_served(page: Any, auction_url: str, *, document: str, when: str) -> None:
    """拍卖结果 on the auction's court page: 成交裁定送达 (AUC-32)."""
    page.goto(auction_url)
    _court_action(
        page, "ruling", {"document": document, "served_at": when}, "记录成交裁定送达（AUC-32）"
    )
    expect(page.locator("main")).to_contain_text(document)


def judge_updates_handover(page: Any, *, state: str, note: str, **more: str) -> None:
    """拍卖结果: 更新移交进度 (AUC-32)."""
    fields = {"state": state, "note": note, **more}
    _court_action(page, "handover", fields, "更新移交进度（AUC-32）")


# --- the shared set-up of journeys 4 and 5: a car sold at auction, through pages ----------

CST = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 18, 10, 0, tzinfo=CST)
COURT = {
    "name": "南昌市东湖区人民法院（旅程四）",
    "code": "赣0102",
    "division_code": "360102",
    "master_account_no": "3601020000000004",
    "master_account_bank": "某银行南昌东湖支行",
    "master_account_name": "南昌市东湖区人民法院执行款专户",
    "contact_phone": "0791-86000004",
}


CAR = "赣A·旅程四号小型轿车"
BIDDING_OPENS = dt.datetime(2026, 12, 10, 10, 1, tzinfo=CST)
BIDDING_CLOSED = dt.datetime(2026, 12, 11, 10, 5, tzinfo=CST)


def car_auction_won(
    people: People, server: Any, shot: Callable[[Any, str], Path], *, claim: str = "300,000.00"
) -> str:
    """From an empty database: the car auction is published (``car_auction_published``); a
    visitor signs up from the auction, verifies, registers and pays the deposit; bidding opens
    and closes on time (the worker) and the bidder wins at the starting price (70,000.00 yuan,
    10,000.00 deposit). Pages: operator, judge, officer, finance, bidder in ``people``.
    ``claim`` is the creditor's (and the case's) claim. Returns the auction's court page path."""
    auction_url = car_auction_published(people, server, shot, claim=claim)
    bidder = people.new("bidder")
    bidder_signs_up_and_registers(
        bidder,
        auction_title=CAR,
        phone="13700000404",
        name="何买受",
        resident_id=valid_resident_id("36010219880404123"),
    )
    both_widths(bidder, shot, "08-bidder-registered")

    # Bidding opens on time (the worker) and the bidder bids the starting price.
    server.set_time(BIDDING_OPENS)
    worker_runs("bidding.close_due")
    bidder_bids_the_next_price(bidder)
    expect(bidder.locator("#bid-history tr").first).to_contain_text("70,000.00")
    both_widths(bidder, shot, "09-bid")
    server.set_time(BIDDING_CLOSED)
    worker_runs("bidding.close_due")
    reference = winner_sees_balance_due(bidder)
    assert reference
    expect(bidder.locator("main")).to_contain_text("60,000.00")
    both_widths(bidder, shot, "10-balance-due")
    return auction_url


def car_auction_published(
    people: People, server: Any, shot: Callable[[Any, str], Path], *, claim: str = "300,000.00"
) -> str:
    """From an empty database: the first operator (createoperator) onboards a court and its
    judge, officer and finance officer; the judge records a case with creditor and debtor, a
    car with its disclosures, seizure and photo, a lot, a reference price (directed inquiry),
    a draft with the panel's decisions and the parties served, and publishes it (starting
    price 70,000.00 yuan, increment 1,000.00, deposit 10,000.00; bidding from 2026-12-10 10:00
    to 2026-12-11 10:00). Pages: operator, judge, officer, finance in ``people``. Returns the
    auction's court page path."""
    server.set_time(START)
    link = create_first_operator("ops", "平台运营小周")
    op = people.new("operator")
    enrol(op, link)
    operator_creates_court(op, COURT)
    both_widths(op, shot, "01-court")
    staff = {}
    for role, username, name, phone in (
        ("judge", "j4.judge", "周法官", "13900000401"),
        ("officer", "j4.officer", "吴执行员", "13900000402"),
        ("finance", "j4.finance", "郑财务", "13900000403"),
    ):
        staff[role] = operator_adds_staff(op, role=role, username=username, name=name, phone=phone)
    for role, link in staff.items():
        enrol(people.new(role), link)
    both_widths(people["judge"], shot, "02-judge-enrolled")

    judge = people["judge"]
    case_url = judge_records_case(
        judge,
        number="（2026）赣0102执404号",
        claim=claim,
        filed_on="2026-01-05",
        title="借款合同纠纷",
        title_document="（2025）赣0102民初1号民事判决书",
    )
    judge_adds_party(
        judge,
        case_url,
        role="creditor",
        kind="organisation",
        name="甲银行股份有限公司",
        priority="1",
        claim=claim,
    )
    judge_adds_party(judge, case_url, role="debtor", kind="person", name="林某")
    judge_registers_asset(
        judge,
        case_url,
        kind_label="机动车",
        name="赣A·旅程四号小型轿车",
        address="南昌市东湖区示例路4号停车场",
        f_make="示例",
        f_model="轿车",
        f_year="2020",
        f_mileage_km="40000",
    )
    judge_completes_asset(
        judge,
        disclosure="经法院调查，无其他需要披露的情况。",
        seizure_on="2026-11-10",
        seizure_doc="（2026）赣0102执404号之一",
        photo=shot(judge, "03-asset-before-photo"),
    )
    both_widths(judge, shot, "03-asset")
    judge_forms_lot(
        judge, case_url, title="赣A·旅程四号小型轿车", asset_name="赣A·旅程四号小型轿车"
    )
    both_widths(judge, shot, "04-case-with-lot")
    judge_prices_by_directed_inquiry(judge, asset_name="赣A·旅程四号小型轿车", amount="100,000.00")
    both_widths(judge, shot, "05-reference-price")
    auction_url = judge_drafts_auction(
        judge,
        lot_title="赣A·旅程四号小型轿车",
        fields={
            "starting_price_fen": "70,000.00",
            "increment_fen": "1,000.00",
            "deposit_fen": "10,000.00",
            "balance_period_days": "10",
            "start_at": "2026-12-10T10:00",
            "end_at": "2026-12-11T10:00",
            "announcement": "本院将在本平台公开拍卖下列标的物。",
            "bidding_rules": "增价拍卖，至少一人报名且出价不低于起拍价方可成交。",
            "pricing_basis_note": "定向询价结果 100,000.00 元。",
            "taxes_note": "过户税费由买受人承担。",
            "known_defects_note": "无。",
            "priority_holders_note": "无",
            "platform_chosen_by": "creditor",
            "platform_choice_note": "申请执行人书面选择本平台",
        },
    )
    for topic, value in (
        ("starting_price", "70,000.00"),
        ("increment", "1,000.00"),
        ("deposit", "10,000.00"),
    ):
        judge_records_panel_decision(judge, topic=topic, value=value, when="2026-11-18T09:30")
    judge_records_panel_decision(
        judge, topic="priority_purchasers", text="无优先购买权人", when="2026-11-18T09:30"
    )
    for who in ("甲银行股份有限公司", "林某"):
        judge_records_notice_served(judge, recipient_label=who, when="2026-11-18T10:00")
    both_widths(judge, shot, "06-draft")
    # AUC-10: the parties are served at least three days before the announcement.
    server.advance(dt.timedelta(days=3, hours=1))
    judge.reload()
    judge_publishes(judge)
    both_widths(judge, shot, "07-published")
    return auction_url


# --- journey 5: the re-auction after a default, its sale, and the distribution ------------


def operator_adds_staff_to_court(
    page: Any, court_name: str, *, role: str, username: str, name: str, phone: str
) -> str:
    """平台运营 → the court's page → a staff member; returns the one-time enrolment link."""
    page.goto("/")
    page.get_by_role("link", name="平台运营").first.click()
    page.get_by_role("link", name=court_name).first.click()
    return operator_adds_staff(page, role=role, username=username, name=name, phone=phone)


def judge_finds_draft(page: Any, title: str) -> str:
    """网络拍卖: the court's auctions list, the draft by its title; returns its page path."""
    page.goto("/")
    page.get_by_role("link", name="网络拍卖").first.click()
    page.get_by_role("link", name=title).first.click()
    expect(page.locator("h1")).to_contain_text(title)
    return str(page.url)


def judge_edits_draft(page: Any, fields: dict[str, str]) -> None:
    """修改草稿 on the draft's page: the fields typed again, saved, back on the draft."""
    page.get_by_role("link", name="修改草稿").click()
    for name, value in fields.items():
        page.fill(f"#id_{name}", value)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".messages")).to_contain_text("草稿已保存")


def open_auction_in_hall(page: Any, title: str) -> None:
    """拍卖大厅 → the auction's card (its full title)."""
    page.goto("/")
    page.get_by_role("link", name="拍卖大厅").first.click()
    page.locator(".mk-card", has_text=title).get_by_role("link").first.click()


def winner_pays_balance_online(page: Any) -> None:
    """我的账户 → 在线支付余款 → the bank's cashier (simulator) → back in 我的账户."""
    page.goto("/")
    page.get_by_role("link", name="我的账户").first.click()
    box = page.locator("[id^=balance-]").first
    box.get_by_role("button", name=re.compile("在线支付余款")).click()
    page.get_by_role("button", name="确认支付").click()
    back = page.locator("#sim-return")
    expect(back).to_have_text("返回")  # paid (before, it reads 返回，暂不支付)
    back.click()


def open_case_account(page: Any, case_number: str) -> None:
    """执行款 → the case's account (the case accounts listed on the funds dashboard)."""
    page.goto("/")
    page.get_by_role("link", name="执行款").first.click()
    page.locator("main a[href*='/settlement/accounts/']", has_text=case_number).first.click()
    expect(page.locator("h1")).to_contain_text(case_number)


def payout_sign(
    page: Any, payee: str, *, note: str, account: tuple[str, str] | None = None
) -> None:
    """On the plan page: the payout of ``payee``; its account (when given), then 同意."""
    page.locator("table tr", has_text=payee).get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text(payee)
    if account is not None:
        page.fill("#acct", account[0])
        page.fill("#bank", account[1])
        page.get_by_role("button", name="保存收款账户").click()
        expect(page.locator(".messages")).to_contain_text("收款账户")
    page.fill("#note", note)
    page.get_by_role("button", name="同意").click()


def judge_records_cost(page: Any, *, amount: str, payee: str, note: str) -> None:
    """记录拍卖费用（AUC-33）on the defaulted auction's page: a cost the default caused."""
    _court_action(
        page,
        "cost",
        {"amount_yuan": amount, "payee_name": payee, "note": note},
        "记录拍卖费用（AUC-33）",
    )
