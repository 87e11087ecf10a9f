"""In a real browser, the judge opens a case from 我的案件 and records a disclosure (PRC-02, AUC-09)."""

import datetime as dt
import re

from playwright.sync_api import expect

from cases.models import Disclosure
from cases.services import asset_register, case_create, party_add, seizure_record
from core.calendar import CST
from tests.conftest import make_court, make_user


def _case():
    court = make_court("赣0102", name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court, display_name="王法官")
    case = case_create(
        court=court,
        number="（2026）赣0102执1001号",
        claim_fen=128_650_000,
        filed_on=dt.date(2026, 1, 5),
        judge=judge,
        title="金融借款合同纠纷",
        actor=judge,
    )
    party_add(
        case=case,
        role="debtor",
        kind="person",
        name="张某",
        identity_kind="resident_id",
        identity_number="11010519491231002X",
        actor=judge,
    )
    flat = asset_register(
        case=case,
        kind="residential",
        name="示例路8号502室",
        division_code="360102",
        address="江西省南昌市东湖区示例路8号502室",
        features={"area_m2": "118.46", "rooms": 3, "floor": 5, "year_built": 2008},
        actor=judge,
    )
    seizure_record(
        asset=flat, kind="seal", seized_on=dt.date(2026, 1, 10), document="查封裁定", actor=judge
    )
    return judge, case, flat


def test_judge_opens_a_case_and_records_a_disclosure(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    # A Tuesday in January 2026, here and in the server: the seizure's PRC-01 deadline is running.
    channels_live_server.set_time(dt.datetime(2026, 1, 20, 9, 30, tzinfo=CST))
    judge, case, flat = _case()
    sign_in(page, judge)
    page.goto("/cases/")
    page.get_by_role("link", name=case.number).click()
    expect(page.locator("h1")).to_contain_text(case.number)
    expect(page.locator("#parties")).to_contain_text("被执行人")
    expect(page.locator("#parties")).to_contain_text("110***********002X")  # masked (REC-05)
    expect(page.locator("#parties")).not_to_contain_text("11010519491231002X")
    expect(page.locator("#assets")).to_contain_text("建筑面积（平方米）")
    expect(page.locator("#deadlines")).to_contain_text("PRC-01")
    expect(page.locator("#deadlines")).to_contain_text("2026-02-09 23:59")
    expect(page.locator("#deadlines")).to_contain_text("正常")

    # The 已知瑕疵 row is still empty; record it from there.
    row = page.locator(f"#asset-{flat.pk} table.disclosures tr", has_text="已知瑕疵")
    expect(row).to_contain_text("未登记")
    row.get_by_role("link", name="登记").click()
    expect(page.locator("h1")).to_contain_text("登记披露事项")
    expect(page.locator("#id_topic")).to_have_value("defects")

    # An empty text is refused in Chinese, nothing is recorded.
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".field.has-error")).to_contain_text("必填")
    page.fill("#id_text", "卫生间顶棚有渗水痕迹；无其他已知瑕疵。")
    page.get_by_role("button", name="提交").click()

    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/assets/{flat.pk}/$"))
    expect(page.locator(".messages")).to_contain_text("已登记披露事项：已知瑕疵")
    row = page.locator(f"#asset-{flat.pk} table.disclosures tr", has_text="已知瑕疵")
    expect(row).to_contain_text("卫生间顶棚有渗水痕迹")
    expect(row).to_contain_text("王法官 · 2026-01-20 09:30")
    screenshot(page, "disclosure-recorded")

    d = Disclosure.objects.get()
    assert (d.topic, d.recorded_by, d.asset) == ("defects", judge, flat)
    page.goto(f"/cases/{case.pk}/")
    expect(page.locator("#history")).to_contain_text("登记披露事项")
    screenshot(page, "case-page")
    assert page_errors == []
