"""In a real browser: a firm user accepts a commission drawn by lot, records the site
inspection and uploads the report PDF (APR-04..07); parties watch the draw page live."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from appraisers import services
from appraisers.models import Commission
from core.calendar import CST
from tests.appraisers.conftest import PDF_BYTES, firm_user_for, make_case, make_firm
from tests.conftest import make_court, make_user


def _world(server):
    court = make_court()
    judge = make_user("judge", court, display_name="王法官")
    case, creditor, _debtor, asset = make_case(court, judge)
    for _ in range(4):
        make_firm(None)
    req = services.commission_request(
        case_id=case.pk,
        asset_id=asset.pk,
        procedure_ref="pricing:browser-1",
        purpose="确定财产处置参考价",
        actor=judge,
    )
    services.agreement_skip(request=req, reason="被执行人下落不明", actor=judge)
    draw = services.draw_schedule(
        request=req,
        scheduled_at=server.advance(dt.timedelta(0)) + dt.timedelta(hours=1),
        seed_mode="public_value",
        actor=judge,
    )
    server.advance(dt.timedelta(hours=1))
    assert draw.frozen_at is not None
    services.draw_public_value_set(
        draw=draw,
        value="2026125期 03 07 11 19 24 30 + 09",
        source="福利彩票双色球开奖公告",
        fixed_at=draw.frozen_at + dt.timedelta(minutes=5),
        actor=judge,
    )
    services.draw_run(draw=draw, actor=judge)
    c = req.commissions.get()
    return {
        "judge": judge,
        "creditor": creditor,
        "draw": draw,
        "c": c,
        "user": firm_user_for(c.firm),
    }


def test_firm_user_accepts_a_commission_and_uploads_the_report(
    page, channels_live_server, sign_in, screenshot, page_errors, tmp_path
):
    server = channels_live_server
    server.set_time(dt.datetime(2026, 11, 2, 9, 0, tzinfo=CST))
    w = _world(server)

    # The creditor watches the draw record: list, public value, result; the live socket connects.
    sign_in(page, w["creditor"].user)
    page.goto(f"/appraisers/draws/{w['draw'].pk}/")
    expect(page.locator("#live-status")).to_contain_text("实时连接已建立")
    expect(page.locator("#result li").first).to_have_text(w["c"].firm.name)
    screenshot(page, "draw-live")
    page.goto(f"/appraisers/draws/{w['draw'].pk}/verify/")
    expect(page.locator("#verdict")).to_contain_text("核验一致")
    page.context.clear_cookies()

    sign_in(page, w["user"])
    page.goto("/appraisers/firm/")
    row = page.locator("tr", has_text=w["c"].request.asset.name)
    expect(row).to_contain_text("待接受")
    screenshot(page, "portal-list")
    row.get_by_role("link", name=w["c"].request.asset.name).click()
    expect(page.locator("h1")).to_contain_text("已委托，待接受")
    page.locator("#accept-btn").click()
    expect(page.locator(".messages")).to_contain_text("已接受委托")
    expect(page.locator("h1")).to_contain_text("已接受委托")

    page.fill("#insp-at", "2026-11-03T10:00")
    page.get_by_role("button", name="通知当事人").click()
    expect(page.locator(".messages")).to_contain_text("已通知当事人")
    server.set_time(dt.datetime(2026, 11, 3, 11, 0, tzinfo=CST))
    page.reload()
    page.fill("#witness", "社区工作人员刘某")
    page.get_by_role("button", name="记录勘验").click()
    expect(page.locator("h1")).to_contain_text("评估中")

    # A file that is not a PDF is refused in Chinese; nothing is recorded.
    fake = tmp_path / "report.pdf"
    fake.write_bytes(b"PK\x03\x04 not really a pdf")
    good = tmp_path / "评估报告.pdf"
    good.write_bytes(PDF_BYTES)
    form = page.locator("#report-form")

    def fill(path):
        form.locator("input[name=file]").set_input_files(str(path))
        form.locator("input[name=amount_yuan]").fill("1,234,567.00")
        form.locator("input[name=value_date]").fill("2026-11-03")
        form.locator("input[name=valid_until]").fill("2027-11-02")
        form.locator("input[name=method]").fill("市场比较法")
        form.locator("input[name=standards]").fill("资产评估执业准则——不动产")
        form.locator("textarea[name=facts]").fill("经现场勘验，房屋结构完好")
        form.locator("input[name=signer_licences]").fill(
            ",".join(w["c"].firm.appraisers.values_list("licence_no", flat=True))
        )

    fill(fake)
    page.locator("#report-btn").click()
    expect(page.locator(".messages")).to_contain_text("报告文件须为 PDF 格式")
    assert not Commission.objects.get(pk=w["c"].pk).reports.exists()
    form = page.locator("#report-form")
    fill(good)
    screenshot(page, "report-form")
    page.locator("#report-btn").click()
    expect(page.locator(".messages")).to_contain_text("评估报告已提交法院")
    expect(page.locator("h1")).to_contain_text("报告已提交，待法院审查")
    expect(page.locator("table", has_text="评估结果（元）")).to_contain_text("1,234,567.00")
    screenshot(page, "report-delivered")
    c = Commission.objects.get(pk=w["c"].pk)
    report = c.current_report()
    assert report is not None
    assert c.state == Commission.State.REPORT_DELIVERED and report.amount_fen == 123_456_700
    assert not page_errors, page_errors


def test_judge_approves_the_report_and_the_party_can_object(
    page, channels_live_server, sign_in, screenshot, page_errors
):
    """APR-11 approval serves the report (PRC-10); the party reads it and objects (APR-12)."""
    from tests.appraisers.conftest import pdf_upload, report_data

    server = channels_live_server
    server.set_time(dt.datetime(2026, 11, 2, 9, 0, tzinfo=CST))
    w = _world(server)
    c, user = w["c"], w["user"]
    services.commission_accept(commission=c, actor=user)
    services.inspection_notice(
        commission=c,
        at=server.advance(dt.timedelta(0)) + dt.timedelta(hours=1),
        place="现场",
        actor=user,
    )
    server.advance(dt.timedelta(hours=2))
    services.inspection_record(commission=c, witness="见证人", actor=user)
    services.report_submit(commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm))

    sign_in(page, w["judge"])
    page.goto(f"/appraisers/court/requests/{c.request_id}/")
    section = page.locator(f"#commission-{c.pk}")
    expect(section).to_contain_text("出具机构与签字评估师核对一致")
    screenshot(page, "judge-review")
    section.get_by_role("button", name="提交审查意见").click()
    expect(page.locator(".messages")).to_contain_text("审查通过，报告已送达当事人")
    expect(page.locator(f"#commission-{c.pk}")).to_contain_text("电子送达")
    screenshot(page, "judge-served")
    page.context.clear_cookies()

    sign_in(page, w["creditor"].user)
    page.goto(f"/appraisers/requests/{c.request_id}/")
    expect(page.locator("body")).to_contain_text("异议期至")
    page.get_by_label("评估结果", exact=True).check()
    page.locator("textarea[name=text]").fill("可比实例均为新建小区，评估结果偏高。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator(".messages")).to_contain_text("异议已提交")
    expect(page.locator("body")).to_contain_text("待转交评估机构")
    screenshot(page, "party-objection")
    assert c.objections.get().status == "to_forward"
    assert not page_errors, page_errors
