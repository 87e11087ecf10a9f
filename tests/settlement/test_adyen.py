"""The Adyen gateway: the library's real request-building code runs; a fake HTTP client object
(injected as the library's own tests do) records the requests instead of sending them."""

from __future__ import annotations

import json

import pytest

from settlement.adyen import AdyenGateway
from settlement.gateway import register_gateway, unregister_gateway
from settlement.models import GatewayOperation, PaymentIntent, Payout
from settlement.services import (
    deposit_apply,
    deposit_release,
    deposit_request,
    payout_approve,
    payout_create,
)
from settlement.services.confirmations import operations_send
from settlement.webhooks import webhook_receive, webhooks_process

pytestmark = pytest.mark.django_db
HMAC = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
REF = "reg-test:5/registration:1"


class FakeHTTP:
    """Stands in for ``Adyen.httpclient.HTTPClient``: same ``request`` signature and result."""

    user_agent = "gavel-tests"

    def __init__(self):
        self.calls = []
        self.responses = []

    def request(self, method, url, json=None, xapikey=None, headers=None, **kwargs):
        self.calls.append(
            {
                "method": method,
                "url": url,
                "json": json,
                "xapikey": xapikey,
                "headers": headers or {},
            }
        )
        body = (
            self.responses.pop(0)
            if self.responses
            else {"pspReference": f"PSP{len(self.calls):04d}", "status": "received"}
        )
        return __import__("json").dumps(body), __import__("json").dumps(json), 201, {}


@pytest.fixture
def http(settings):
    fake = FakeHTTP()
    settings.GAVEL_PAYMENT_GATEWAY = "adyen"

    def factory():
        return AdyenGateway(
            api_key="AQE-test",
            merchant_account="GavelCourtCN",
            hmac_key=HMAC,
            balance_account_id="BA0000001",
            split_mode="court",
            return_url="https://gavel.example/back",
            http_client=fake,
        )

    register_gateway("adyen", factory)
    yield fake
    unregister_gateway("adyen")


def _confirm(intent, psp="8815000000000001"):
    from settlement.simulator import notification_body, signed_item

    item = signed_item(
        event_code="AUTHORISATION",
        psp_reference=psp,
        merchant_reference=intent.reference,
        amount_minor=intent.amount_fen,
        currency="CNY",
        success=True,
        key=HMAC,
        merchant_account="GavelCourtCN",
    )
    assert webhook_receive(json.dumps(notification_body(item)).encode()) == (200, "[accepted]")
    webhooks_process()


def test_a_frozen_deposit_is_a_payment_link_with_manual_capture_and_a_court_split(case, http):
    http.responses.append({"id": "PL123", "url": "https://test.adyen.link/PL123"})
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=2_000_000,
        idempotency_key="dep",
    )
    assert intent.pay_url == "https://test.adyen.link/PL123"
    call = http.calls[0]
    assert call["method"] == "POST"
    assert call["url"] == "https://checkout-test.adyen.com/v72/paymentLinks"
    assert call["xapikey"] == "AQE-test"
    assert call["headers"]["Idempotency-Key"] == intent.idempotency_key
    body = call["json"]
    assert body["amount"] == {"currency": "CNY", "value": 2_000_000}
    assert body["reference"] == intent.reference and body["merchantAccount"] == "GavelCourtCN"
    assert body["manualCapture"] is True
    assert body["splits"][0] | {} == {
        "amount": {"value": 2_000_000},
        "type": "BalanceAccount",
        "account": "BA0000001",
        "reference": intent.reference,
        "description": body["splits"][0]["description"],
    }
    assert "竞买人" not in json.dumps(
        body, ensure_ascii=False
    )  # REC-05: no payer identity leaves us


def test_the_winner_is_captured_and_a_loser_cancelled_on_the_original_reference(case, http, drain):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=2_000_000,
        idempotency_key="dep",
    )
    _confirm(intent)
    deposit_apply(ref=REF, sale_ref="sale-test:5/sale", idempotency_key="apply")
    other = deposit_request(
        case_id=case.pk,
        ref=REF + "0",
        payer_ref="u2",
        payer_name="竞买人2",
        amount_fen=2_000_000,
        idempotency_key="dep2",
    )
    _confirm(other, psp="8815000000000002")
    deposit_release(ref=REF + "0", reason="未成交", idempotency_key="rel")
    operations_send()
    capture, cancel = http.calls[-2:]
    cap_op = GatewayOperation.objects.get(kind="capture")
    assert (
        capture["url"] == "https://checkout-test.adyen.com/v72/payments/8815000000000001/captures"
    )
    assert capture["json"] == {
        "merchantAccount": "GavelCourtCN",
        "amount": {"currency": "CNY", "value": 2_000_000},
        "reference": cap_op.reference,
    }
    assert capture["headers"]["Idempotency-Key"] == cap_op.idempotency_key
    cancel_op = GatewayOperation.objects.get(kind="cancel")
    assert cancel["url"] == "https://checkout-test.adyen.com/v72/payments/8815000000000002/cancels"
    assert cancel["json"] == {"merchantAccount": "GavelCourtCN", "reference": cancel_op.reference}
    assert cancel["headers"]["Idempotency-Key"] == cancel_op.idempotency_key
    assert GatewayOperation.objects.filter(status="sent").count() == 2


def test_a_paid_deposit_is_refunded_on_its_original_payment(case, http):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=500_000,
        idempotency_key="dep",
        mode="pay",
    )
    assert "manualCapture" not in http.calls[0]["json"]
    _confirm(intent, psp="8815000000000009")
    assert PaymentIntent.objects.get().status == "paid"
    deposit_release(ref=REF, reason="未成交", idempotency_key="rel")
    operations_send()
    call = http.calls[-1]
    assert call["url"] == "https://checkout-test.adyen.com/v72/payments/8815000000000009/refunds"
    assert call["json"]["amount"] == {"currency": "CNY", "value": 500_000}


def test_a_payout_is_a_balance_platform_transfer_with_its_key(
    case, officer, bureau_head, finance, http
):
    from tests.settlement.conftest import fund

    fund(case, 900_000)
    p = payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref="party:1",
        payee_name="申请人甲",
        amount_fen=900_000,
        purpose="执行款发放",
        idempotency_key="po",
        actor=officer,
        payee_account_no="6222000011112222",
        payee_bank="测试银行",
        payee_bic="ICBKCNBJ",
    )
    payout_approve(payout_id=p.pk, actor=bureau_head)
    payout_approve(payout_id=p.pk, actor=finance)
    http.responses.append({"id": "TRF0001", "status": "authorised"})
    operations_send()
    call = http.calls[-1]
    op = GatewayOperation.objects.get(kind="payout")
    assert call["url"] == "https://balanceplatform-api-test.adyen.com/btl/v4/transfers"
    assert call["headers"]["Idempotency-Key"] == op.idempotency_key
    assert call["json"]["balanceAccountId"] == "BA0000001"
    assert call["json"]["amount"] == {"currency": "CNY", "value": 900_000}
    assert call["json"]["counterparty"]["bankAccount"]["accountIdentification"] == {
        "type": "numberAndBic",
        "accountNumber": "6222000011112222",
        "bic": "ICBKCNBJ",
    }
    op.refresh_from_db()
    assert op.psp_reference == "TRF0001"
    # The transfer webhook (HMAC over the raw bytes) confirms it.
    from Adyen.util import generate_payload_sig
    from django.test import Client

    raw = json.dumps(
        {
            "type": "balancePlatform.transfer.updated",
            "data": {
                "id": "TRF0001",
                "reference": op.reference,
                "status": "booked",
                "amount": {"currency": "CNY", "value": 900_000},
            },
        }
    ).encode()
    client = Client(enforce_csrf_checks=True)
    bad = client.post(
        "/settlement/webhooks/adyen/transfers",
        data=raw,
        content_type="application/json",
        headers={"HmacSignature": "AAAA"},
    )
    assert bad.status_code == 401
    ok = client.post(
        "/settlement/webhooks/adyen/transfers",
        data=raw,
        content_type="application/json",
        headers={"HmacSignature": generate_payload_sig(raw, HMAC).decode()},
    )
    assert ok.status_code == 200
    webhooks_process()
    assert Payout.objects.get(pk=p.pk).status == Payout.Status.PAID


def test_a_gateway_error_is_retried_with_the_same_key(case, http, frozen_now):
    from core import clock

    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=500_000,
        idempotency_key="dep",
        mode="pay",
    )
    _confirm(intent)
    deposit_release(ref=REF, reason="未成交", idempotency_key="rel")

    def boom(*a, **k):
        raise ConnectionError("network down")

    real = http.request
    http.request = boom
    assert operations_send() == 0
    op = GatewayOperation.objects.get(context="deposit_release")
    assert (op.status, op.attempts) == ("queued", 1)
    http.request = real
    import datetime as dt

    clock.advance(dt.timedelta(seconds=5))
    assert operations_send() == 1
    assert http.calls[-1]["headers"]["Idempotency-Key"] == op.idempotency_key
