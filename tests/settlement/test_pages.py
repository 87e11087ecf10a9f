"""What people see: the finance dashboard, the case statement and its CSV, the payment notice,
the simulator's payment page, payout approval, receipts import, reconciliation, the API — and
nowhere the name of a deposit's payer (REC-05)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AccessLog
from settlement.models import DepositHold, PaymentIntent, Payout, Receipt, SimPayment
from settlement.services import (
    case_account_open,
    deposit_request,
    payment_notice_issue,
    payout_create,
    receipt_record,
)
from tests.settlement.conftest import fund, pay

pytestmark = pytest.mark.django_db
PAYER = "竞买人王秘密"
REF = "reg-test:8/registration:3"


@pytest.fixture
def paid_deposit(case):
    return pay(
        deposit_request(
            case_id=case.pk,
            ref=REF,
            payer_ref="user:77",
            payer_name=PAYER,
            amount_fen=1_000_000,
            idempotency_key="d",
        )
    )


def _get(client, user, url, **kw):
    client.force_login(user)
    return client.get(url, **kw)


def test_the_finance_dashboard_shows_accounts_receipts_payouts_and_flags(
    client, case, finance, officer, frozen_now
):
    fund(case, 700_000)
    receipt_record(
        court_id=case.court_id,
        amount_fen=12_300,
        bank_reference="UNK1",
        received_at=frozen_now,
        payer_name="某人",
        memo="不明",
    )
    payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref="party:1",
        payee_name="申请人甲",
        amount_fen=100_000,
        purpose="发放",
        idempotency_key="p",
        actor=officer,
    )
    page = _get(client, finance, "/settlement/").content.decode()
    for text in (
        "执行款工作台",
        case.number,
        "6,000.00",
        "UNK1",
        "123.00",
        "申请人甲",
        "待领导审批",
        "期限提示",
    ):
        assert text in page


def test_the_dashboard_is_for_court_staff_only(client, bidder, party_user):
    assert _get(client, bidder, "/settlement/").status_code == 404
    assert _get(client, party_user, "/settlement/").status_code == 404
    client.logout()
    assert client.get("/settlement/").status_code == 302


def test_the_statement_lists_every_movement_and_exports_csv_without_the_depositor(
    client, case, finance, paid_deposit
):
    fund(case, 250_000)
    page = _get(client, finance, f"/settlement/accounts/{case.pk}/").content.decode()
    assert case_account_open(case_id=case.pk).account_no in page
    assert "2,500.00" in page
    # The deposit, by its registration in words (core.refs), never the internal reference.
    from django.utils.html import escape

    from core.refs import describe

    assert escape(describe(REF).text) in page
    assert REF not in page
    assert PAYER not in page  # REC-05
    resp = client.get(f"/settlement/accounts/{case.pk}/?format=csv")
    assert resp["Content-Type"].startswith("text/csv")
    text = resp.content.decode("utf-8-sig")
    assert "2500.00" in text and "期末余额" in text
    assert PAYER not in text


def test_monthly_statement_filters_by_month(client, case, finance, frozen_now):
    fund(case, 10_000)
    page = _get(client, finance, f"/settlement/accounts/{case.pk}/?month=2026-10").content.decode()
    assert "暂无资金往来" in page
    page = client.get(f"/settlement/accounts/{case.pk}/?month=2026-11").content.decode()
    assert "100.00" in page


def test_staff_of_another_court_cannot_see_a_case_account(client, case, other_court):
    from tests.conftest import make_user

    stranger = make_user("finance", other_court)
    assert _get(client, stranger, f"/settlement/accounts/{case.pk}/").status_code == 404


def test_finance_may_reveal_a_depositor_with_a_purpose_and_the_read_is_logged_REC_05(
    client, case, finance, officer, paid_deposit
):
    hold = DepositHold.objects.get(ref=REF)
    resp = _get(client, officer, f"/settlement/accounts/{case.pk}/")
    assert "查看用途" not in resp.content.decode()
    client.force_login(officer)
    assert (
        client.post(f"/settlement/deposits/{hold.pk}/reveal/", {"purpose": "退款核对"}).status_code
        == 404
    )
    client.force_login(finance)
    resp = client.post(f"/settlement/deposits/{hold.pk}/reveal/", {"purpose": ""}, follow=True)
    assert PAYER not in resp.content.decode()
    assert not AccessLog.objects.exists()
    resp = client.post(f"/settlement/deposits/{hold.pk}/reveal/", {"purpose": "退款核对"})
    assert PAYER in resp.content.decode()
    log = AccessLog.objects.get()
    assert (log.user_id, log.field, log.purpose) == (finance.pk, "payer_name", "退款核对")


def test_the_admin_never_shows_the_depositor_REC_05(client, paid_deposit, platform_operator):
    intent = PaymentIntent.objects.get()
    client.force_login(platform_operator)
    for url in (
        "/admin/settlement/paymentintent/",
        f"/admin/settlement/paymentintent/{intent.pk}/change/",
        "/admin/settlement/deposithold/",
        "/admin/settlement/ledgeraccount/",
        "/admin/settlement/ledgertransaction/",
    ):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert PAYER not in resp.content.decode(), url


def test_the_payment_notice_shows_account_bank_name_and_memo_FND_04(
    client, case, officer, party_user
):
    from cases.models import Party

    notice = payment_notice_issue(
        case_id=case.pk, payer_name="被执行人乙", purpose="履行义务", amount_fen=880_000
    )
    Party.objects.filter(case=case, role="debtor").update(user=party_user)
    page = _get(client, party_user, f"/settlement/notices/{notice.token}/").content.decode()
    for text in (
        notice.account_no,
        case.court.master_account_bank,
        case.court.master_account_name,
        case.number,
        "被执行人乙",
        "履行义务",
        "8,800.00",
        "缴款通知书",
    ):
        assert text in page
    from tests.conftest import make_user

    assert (
        _get(client, make_user("party"), f"/settlement/notices/{notice.token}/").status_code == 404
    )


def test_an_officer_issues_a_notice_from_the_account_page(client, case, officer):
    client.force_login(officer)
    resp = client.post(
        f"/settlement/accounts/{case.pk}/notices/",
        {"payer_name": "被执行人乙", "purpose": "履行义务", "amount": "1,000.50"},
    )
    assert resp.status_code == 302
    from settlement.models import PaymentNotice

    assert PaymentNotice.objects.get().amount_fen == 100_050
    resp = client.post(
        f"/settlement/accounts/{case.pk}/notices/",
        {"payer_name": "x", "purpose": "y", "amount": "-1"},
        follow=True,
    )
    assert "金额须大于零" in resp.content.decode()


def test_the_simulator_page_takes_the_payment_and_the_deposit_is_held(client, case):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name=PAYER,
        amount_fen=1_000_000,
        idempotency_key="d",
    )
    page = client.get(intent.pay_url).content.decode()
    assert "10,000.00" in page and "确认支付" in page
    resp = client.post(intent.pay_url, {"action": "pay"})
    assert "银行已通知法院" in resp.content.decode()
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.HELD
    assert SimPayment.objects.get().status == SimPayment.Status.AUTHORISED


def test_the_payer_may_cancel_on_the_simulator_page(client, case):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name=PAYER,
        amount_fen=1_000_000,
        idempotency_key="d",
    )
    client.post(intent.pay_url, {"action": "cancel"})
    assert PaymentIntent.objects.get().status == PaymentIntent.Status.FAILED


def test_payout_approval_through_the_page(client, case, officer, bureau_head, finance):
    fund(case, 500_000)
    p = payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref="party:1",
        payee_name="申请人甲",
        amount_fen=500_000,
        purpose="发放",
        idempotency_key="p",
        actor=officer,
        payee_account_no="6222",
        payee_bank="测试银行",
    )
    client.force_login(finance)
    # The leader signs first: finance sees no approve button that could only refuse them.
    page = client.get(f"/settlement/payouts/{p.pk}/").content.decode()
    assert 'value="approve"' not in page and 'id="not-your-step"' in page
    resp = client.post(f"/settlement/payouts/{p.pk}/", {"action": "approve"}, follow=True)
    assert "无权" in resp.content.decode()
    client.force_login(bureau_head)
    page = client.get(f"/settlement/payouts/{p.pk}/").content.decode()
    assert 'value="approve"' in page and 'id="not-your-step"' not in page
    client.post(f"/settlement/payouts/{p.pk}/", {"action": "approve", "note": "同意"})
    client.force_login(finance)
    assert 'value="approve"' in client.get(f"/settlement/payouts/{p.pk}/").content.decode()
    client.post(f"/settlement/payouts/{p.pk}/", {"action": "approve"})
    from settlement.worker import drain

    drain()
    page = client.get(f"/settlement/payouts/{p.pk}/").content.decode()
    assert Payout.objects.get(pk=p.pk).status == Payout.Status.PAID
    for step in ("承办人提交", "局长/院领导审批", "财务审核", "银行付款"):
        assert step in page


def test_finance_imports_a_bank_statement_and_claims_from_the_dashboard(client, case, finance):
    client.force_login(finance)
    csv_text = "交易时间,流水号,付款人,付款账号,收款账号,金额,币种,附言\n2026-11-02 10:00,Z1,某人,,,66.00,CNY,不明\n"
    resp = client.post(
        "/settlement/receipts/import/",
        {"file": SimpleUploadedFile("s.csv", csv_text.encode("utf-8"), content_type="text/csv")},
    )
    assert "新增 1 笔" in resp.content.decode()
    r = Receipt.objects.get()
    resp = client.post(
        f"/settlement/receipts/{r.pk}/claim/", {"case_number": case.number}, follow=True
    )
    assert "已认领至" in resp.content.decode()
    assert Receipt.objects.get().status == Receipt.Status.CLAIMED


def test_reconcile_page_runs_against_the_simulator(client, case, finance, paid_deposit):
    client.force_login(finance)
    resp = client.post("/settlement/reconcile/", {"source": "simulator", "day": ""})
    page = resp.content.decode()
    assert "无差异" in page and "账内 1 笔" in page


# ---- API ------------------------------------------------------------------------------------


def test_api_account_and_statement(client, case, finance):
    fund(case, 5_000)
    client.force_login(finance)
    body = client.get(f"/api/settlement/accounts/{case.pk}").json()
    assert (
        body["balance_fen"] == 5_000
        and body["account_no"] == case_account_open(case_id=case.pk).account_no
    )
    rows = client.get(f"/api/settlement/accounts/{case.pk}/statement").json()["rows"]
    assert [r["in_fen"] for r in rows] == [5_000]
    assert client.get(f"/api/settlement/accounts/{case.pk}/statement?month=bad").status_code == 400


def test_api_refuses_outsiders_and_double_approval(client, case, officer, bureau_head, bidder):
    client.force_login(bidder)
    assert client.get(f"/api/settlement/accounts/{case.pk}").status_code == 404
    assert client.get("/api/settlement/payouts").status_code == 403
    fund(case, 5_000)
    p = payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref="party:1",
        payee_name="申请人甲",
        amount_fen=5_000,
        purpose="发放",
        idempotency_key="p",
        actor=officer,
    )
    client.force_login(bureau_head)
    ok = client.post(
        f"/api/settlement/payouts/{p.pk}/approve", {"note": ""}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "pending_finance"
    again = client.post(
        f"/api/settlement/payouts/{p.pk}/approve", {"note": ""}, content_type="application/json"
    )
    assert again.status_code == 403  # the leader cannot sign again as finance


def test_api_intent_status_only_for_its_payer(client, case, bidder):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref=f"user:{bidder.pk}",
        payer_name=PAYER,
        amount_fen=100,
        idempotency_key="d",
    )
    client.force_login(bidder)
    assert client.get(f"/api/settlement/intents/{intent.reference}").json()["status"] == "pending"
    from tests.conftest import make_user

    client.force_login(make_user("bidder"))
    assert client.get(f"/api/settlement/intents/{intent.reference}").status_code == 404


def test_the_monthly_case_by_case_statements_are_written_FND_15(
    case, other_case, tmp_path, frozen_now
):
    from django.core.management import call_command

    fund(case, 42_00)
    call_command(
        "case_statements", "--court", case.court.code, "--month", "2026-11", "--out", str(tmp_path)
    )
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        f"case-{case.pk}-2026-11.csv"
    ]  # a case with no money that month has no statement
    text = (tmp_path / files[0]).read_text(encoding="utf-8-sig")
    assert case.number in text and "42.00" in text


def test_the_simulator_cashier_is_closed_once_a_real_gateway_is_configured(client, case, settings):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name=PAYER,
        amount_fen=1_000,
        idempotency_key="d",
    )
    settings.GAVEL_PAYMENT_GATEWAY = "adyen"
    assert client.get(intent.pay_url).status_code == 404
    assert client.post(intent.pay_url, {"action": "pay"}).status_code == 404
    assert SimPayment.objects.get().status == SimPayment.Status.PENDING


def test_failed_gateway_calls_show_on_the_dashboard(client, case, finance, paid_deposit, settings):
    from settlement.services import deposit_release
    from settlement.worker import drain

    settings.GAVEL_SIMULATOR_FAILURE_RATE = 1.0
    deposit_release(ref=REF, reason="未成交", idempotency_key="r")
    drain()
    page = _get(client, finance, "/settlement/").content.decode()
    assert "通道异常" in page and "模拟银行" in page


def test_the_simulator_is_closed_when_disabled(client, case, finance, settings):
    """Outside the demo and the tests (GAVEL_SIMULATOR_ENABLED off) the cashier and the
    statement answer 404, and the simulator cannot serve as the gateway."""
    from django.core.exceptions import ImproperlyConfigured

    from settlement.gateway import get_gateway
    from settlement.worker import simulator_deliver

    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name=PAYER,
        amount_fen=1_000,
        idempotency_key="d",
    )
    settings.GAVEL_SIMULATOR_ENABLED = False
    assert client.get(intent.pay_url).status_code == 404
    assert client.post(intent.pay_url, {"action": "pay"}).status_code == 404
    assert SimPayment.objects.get().status == SimPayment.Status.PENDING
    with pytest.raises(ImproperlyConfigured, match="GAVEL_SIMULATOR_ENABLED"):
        get_gateway("simulator")
    assert simulator_deliver() == 0
    client.force_login(finance)
    assert client.get("/settlement/simulator/statement/").status_code == 404
    settings.GAVEL_SIMULATOR_ENABLED = True
    assert client.get("/settlement/simulator/statement/").status_code == 200


def test_the_case_page_shows_its_account_balance_and_links_to_it_fnd02(
    client, case, judge, finance, other_court, frozen_now
):
    """Issue 13: the case page leads to its case account (一案一账号) for those who may open it."""
    fund(case, 250_000)
    page = _get(client, judge, f"/cases/{case.pk}/").content.decode()
    assert "案款账户" in page and "2,500.00" in page
    assert f"/settlement/accounts/{case.pk}/" in page
    assert _get(client, judge, f"/settlement/accounts/{case.pk}/").status_code == 200


# ---- the finance pages' uploads and the payer reveal by API (issue 13) -----------------------


def test_api_imports_a_statement_claims_it_and_reconciles(client, case, finance, paid_deposit):
    import json

    client.force_login(finance)
    csv_text = "交易时间,流水号,付款人,付款账号,收款账号,金额,币种,附言\n2026-11-02 10:00,Z1,某人,,,66.00,CNY,不明\n"
    upload = SimpleUploadedFile("s.csv", csv_text.encode("gb18030"), content_type="text/csv")
    body = client.post("/api/settlement/receipts/import", {"file": upload}).json()
    assert (body["created"], body["errors"]) == (1, [])
    r = Receipt.objects.get()
    resp = client.post(
        f"/api/settlement/receipts/{r.pk}/claim/actions/claim",
        json.dumps({"fields": {"case_number": case.number}}),
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["message"].startswith("已认领至")
    body = client.post("/api/settlement/reconcile", {"source": "simulator"}).json()
    assert body["ledger_lines"] == 1 and body["differences"] == []
    resp = client.post("/api/settlement/reconcile", {"source": "bank"})
    assert resp.status_code == 400 and resp.json()["code"] == "statement_required"


def test_api_reveals_a_depositor_to_finance_only_with_a_purpose_REC_05(
    client, finance, officer, paid_deposit
):
    hold = DepositHold.objects.get(ref=REF)
    url = f"/api/settlement/deposits/{hold.pk}/reveal"
    client.force_login(officer)
    resp = client.post(url, {"purpose": "退款核对"}, content_type="application/json")
    assert resp.status_code == 404
    client.force_login(finance)
    resp = client.post(url, {"purpose": ""}, content_type="application/json")
    assert resp.status_code in (400, 403) and not AccessLog.objects.exists()
    resp = client.post(url, {"purpose": "退款核对"}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()[0]["payer_name"] == PAYER
    assert AccessLog.objects.get().purpose == "退款核对"
