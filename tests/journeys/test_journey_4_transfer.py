"""Journey 4 (issue 13): from an empty database with only the first operator (created by
``manage.py createoperator``), through pages a person clicks: a court is onboarded, a judge
records a case and puts a lot up for auction, a bidder signs up and wins, and pays the balance
by bank transfer quoting the payment reference shown to them; finance matches the receipt;
the ruling and the handover are tracked on the court's pages.
Screenshots at 1366 and 390 px: var/screenshots/test_journey_4_*."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.journeys.pages_b import (  # noqa: F401  (fixtures)
    People,
    _chromium,
    _gavel_server,
    bidder_bids_the_next_price,
    bidder_signs_up_and_registers,
    both_widths,
    channels_live_server,
    create_first_operator,
    enrol,
    finance_imports_statement,
    judge_adds_party,
    judge_completes_asset,
    judge_drafts_auction,
    judge_forms_lot,
    judge_prices_by_directed_inquiry,
    judge_publishes,
    judge_records_case,
    judge_records_notice_served,
    judge_records_panel_decision,
    judge_records_ruling_served,
    judge_registers_asset,
    judge_updates_handover,
    operator_adds_staff,
    operator_creates_court,
    page_errors,
    screenshot,
    transfer_details,
    valid_resident_id,
    winner_sees_balance_due,
    worker_runs,
)

#: A Wednesday without holidays near it (the AUC deadlines count working days).
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


@pytest.mark.browser
@pytest.mark.real_clock
def test_journey_4_balance_by_bank_transfer(
    tmp_path,
    _chromium,  # noqa: F811
    channels_live_server,  # noqa: F811
    screenshot,  # noqa: F811
    page_errors,  # noqa: F811  (the fixtures imported above)
):
    failed = True
    people = People(_chromium, channels_live_server.url, page_errors)
    try:
        channels_live_server.set_time(START)
        link = create_first_operator("ops", "平台运营小周")
        op = people.new("operator")
        enrol(op, link)
        operator_creates_court(op, COURT)
        both_widths(op, screenshot, "01-court")
        staff = {}
        for role, username, name, phone in (
            ("judge", "j4.judge", "周法官", "13900000401"),
            ("officer", "j4.officer", "吴执行员", "13900000402"),
            ("finance", "j4.finance", "郑财务", "13900000403"),
        ):
            staff[role] = operator_adds_staff(
                op, role=role, username=username, name=name, phone=phone
            )
        for role, link in staff.items():
            enrol(people.new(role), link)
        both_widths(people["judge"], screenshot, "02-judge-enrolled")

        judge = people["judge"]
        case_url = judge_records_case(
            judge,
            number="（2026）赣0102执404号",
            claim="300,000.00",
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
            claim="300,000.00",
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
            photo=screenshot(judge, "03-asset-before-photo"),
        )
        both_widths(judge, screenshot, "03-asset")
        judge_forms_lot(
            judge, case_url, title="赣A·旅程四号小型轿车", asset_name="赣A·旅程四号小型轿车"
        )
        both_widths(judge, screenshot, "04-case-with-lot")
        judge_prices_by_directed_inquiry(
            judge, asset_name="赣A·旅程四号小型轿车", amount="100,000.00"
        )
        both_widths(judge, screenshot, "05-reference-price")
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
        both_widths(judge, screenshot, "06-draft")
        # AUC-10: the parties are served at least three days before the announcement.
        channels_live_server.advance(dt.timedelta(days=3, hours=1))
        judge.reload()
        judge_publishes(judge)
        both_widths(judge, screenshot, "07-published")

        bidder = people.new("bidder")
        bidder_signs_up_and_registers(
            bidder,
            auction_title="赣A·旅程四号小型轿车",
            phone="13700000404",
            name="何买受",
            resident_id=valid_resident_id("36010219880404123"),
        )
        both_widths(bidder, screenshot, "08-bidder-registered")

        # Bidding opens on time (the worker) and the bidder bids the starting price.
        channels_live_server.set_time(dt.datetime(2026, 12, 10, 10, 1, tzinfo=CST))
        worker_runs("bidding.close_due")
        bidder_bids_the_next_price(bidder)
        expect(bidder.locator("#bid-history tr").first).to_contain_text("70,000.00")
        both_widths(bidder, screenshot, "09-bid")
        channels_live_server.set_time(dt.datetime(2026, 12, 11, 10, 5, tzinfo=CST))
        worker_runs("bidding.close_due")
        reference = winner_sees_balance_due(bidder)
        assert reference
        expect(bidder.locator("main")).to_contain_text("60,000.00")
        both_widths(bidder, screenshot, "10-balance-due")

        # The winner transfers the balance quoting the reference; finance imports the statement.
        account_no, reference = transfer_details(bidder)
        finance = people["finance"]
        finance_imports_statement(
            finance,
            tmp_path / "statement.csv",
            [
                {
                    "交易时间": "2026-12-11 10:04:00",
                    "流水号": "BANK-J4-0001",
                    "付款人": "何买受",
                    "付款账号": "6222000000000404",
                    "收款账号": account_no,
                    "金额": "60000.00",
                    "附言": reference,
                }
            ],
        )
        expect(finance.locator("main")).to_contain_text("自动匹配 1 笔")
        both_widths(finance, screenshot, "11-statement-imported")
        bidder.reload()
        expect(bidder.locator("[id^=balance-]").first).to_contain_text("已缴清")
        both_widths(bidder, screenshot, "12-balance-paid")

        # The ruling is served and the handover tracked on the auction's court page (AUC-32).
        judge_records_ruling_served(
            judge, auction_url, document="（2026）赣0102执404号之二", when="2026-12-11T15:00"
        )
        judge_updates_handover(judge, state="keys_handed", note="车辆及钥匙、行驶证已交付")
        expect(judge.locator("main")).to_contain_text("已交付钥匙/证照")
        judge_updates_handover(
            judge, state="completed", note="买受人已签收", vehicle_violations_cleared="true"
        )
        # Completed: the handover can no longer be updated.
        expect(judge.get_by_text("更新移交进度（AUC-32）")).to_have_count(0)
        both_widths(judge, screenshot, "13-ruling-and-handover")
        bidder.reload()
        expect(bidder.locator("main")).to_contain_text("已移交")
        expect(bidder.locator("main")).not_to_contain_text("未开始")
        both_widths(bidder, screenshot, "14-handed-over")
        failed = False
    finally:
        people.close(failed=failed)
