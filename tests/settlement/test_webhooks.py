"""Webhooks: HMAC-verified with the Adyen library, stored once, answered [accepted], processed by
the worker; replays and out-of-order events change nothing twice."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from Adyen.util import is_valid_hmac_notification
from django.test import Client

from settlement import ledger, simulator
from settlement.models import (
    DepositHold,
    GatewayOperation,
    LedgerTransaction,
    PaymentIntent,
    WebhookEvent,
)
from settlement.services import deposit_release, deposit_request
from settlement.webhooks import webhook_receive, webhooks_process
from tests.settlement.conftest import pay

pytestmark = pytest.mark.django_db

ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
ADYEN_VECTOR: dict[str, Any] = {
    "pspReference": "7914073381342284",
    "merchantAccountCode": "TestMerchant",
    "merchantReference": "TestPayment-1407325143704",
    "amount": {"value": 1130, "currency": "EUR"},
    "eventCode": "AUTHORISATION",
    "success": "true",
    "additionalData": {"hmacSignature": "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="},
}
TEST_KEY = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
REF = "reg-test:3/registration:1"


def _raw(*items):
    return json.dumps(simulator.notification_body(*items)).encode()


@pytest.fixture
def adyen(settings):
    settings.GAVEL_PAYMENT_GATEWAY = "adyen"
    settings.ADYEN_HMAC_KEY = ADYEN_KEY
    settings.ADYEN_API_KEY = "test-key"
    settings.ADYEN_MERCHANT_ACCOUNT = "TestMerchant"


def test_adyen_public_vector_verifies(db):
    assert is_valid_hmac_notification(copy.deepcopy(ADYEN_VECTOR), ADYEN_KEY) is True


def test_adyen_public_vector_is_accepted_stored_and_flagged_as_unknown(adyen):
    status, body = webhook_receive(_raw(copy.deepcopy(ADYEN_VECTOR)))
    assert (status, body) == (200, "[accepted]")
    ev = WebhookEvent.objects.get()
    assert (ev.event_code, ev.psp_reference, ev.amount_minor, ev.currency) == (
        "AUTHORISATION",
        "7914073381342284",
        1130,
        "EUR",
    )
    webhooks_process()
    ev.refresh_from_db()
    assert ev.status == WebhookEvent.Status.FLAGGED  # no such payment of ours: nothing moves
    assert not LedgerTransaction.objects.exists()


def test_a_tampered_amount_is_refused_with_401_and_nothing_stored(adyen):
    item = copy.deepcopy(ADYEN_VECTOR)
    item["amount"]["value"] = 1131
    assert webhook_receive(_raw(item))[0] == 401
    assert not WebhookEvent.objects.exists()


def test_a_missing_signature_is_refused(adyen):
    item = copy.deepcopy(ADYEN_VECTOR)
    del item["additionalData"]
    assert webhook_receive(_raw(item))[0] == 401
    item["additionalData"] = {"hmacSignature": ""}
    assert webhook_receive(_raw(item))[0] == 401
    assert not WebhookEvent.objects.exists()


def test_one_bad_item_refuses_the_whole_delivery(adyen):
    good = copy.deepcopy(ADYEN_VECTOR)
    bad = simulator.signed_item(
        event_code="REFUND",
        psp_reference="1",
        merchant_reference="x",
        amount_minor=5,
        currency="CNY",
        success=True,
        key=TEST_KEY,
    )
    assert (
        webhook_receive(_raw(good, bad))[0] == 401
    )  # Adyen.util only checks the first item; we check each
    assert not WebhookEvent.objects.exists()


def test_cny_events_signed_with_a_test_key_verify(settings, db):
    settings.GAVEL_SIMULATOR_HMAC_KEY = TEST_KEY
    item = simulator.signed_item(
        event_code="AUTHORISATION",
        psp_reference="8815",
        merchant_reference="GVL1-X",
        amount_minor=2_000_000,
        currency="CNY",
        success=True,
    )
    assert is_valid_hmac_notification(copy.deepcopy(item), TEST_KEY) is True
    assert webhook_receive(_raw(item))[0] == 200


def test_the_http_endpoint_is_csrf_exempt_and_answers_accepted(settings, db):
    settings.GAVEL_SIMULATOR_HMAC_KEY = TEST_KEY
    item = simulator.signed_item(
        event_code="REPORT_AVAILABLE",
        psp_reference="99",
        merchant_reference="r",
        amount_minor=0,
        currency="CNY",
        success=True,
    )
    client = Client(enforce_csrf_checks=True)
    resp = client.post(
        "/settlement/webhooks/adyen", data=_raw(item), content_type="application/json"
    )
    assert resp.status_code == 200
    assert resp.content == b"[accepted]"
    item["success"] = "false"  # changed after signing
    resp = client.post(
        "/settlement/webhooks/adyen", data=_raw(item), content_type="application/json"
    )
    assert resp.status_code == 401
    assert (
        client.post(
            "/settlement/webhooks/adyen", data=b"{not json", content_type="application/json"
        ).status_code
        == 400
    )


def _authorisation_for(
    intent, *, amount=None, currency="CNY", success=True, psp="4444333322221111"
):
    return simulator.signed_item(
        event_code="AUTHORISATION",
        psp_reference=psp,
        merchant_reference=intent.reference,
        amount_minor=intent.amount_fen if amount is None else amount,
        currency=currency,
        success=success,
    )


def test_a_replayed_webhook_is_stored_once_and_moves_money_once(case, events):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=100_000,
        idempotency_key="d",
    )
    raw = _raw(_authorisation_for(intent))
    assert webhook_receive(raw) == (200, "[accepted]")
    assert webhook_receive(raw) == (200, "[accepted]")  # Adyen retries: still 2xx
    assert WebhookEvent.objects.count() == 1
    webhooks_process()
    webhook_receive(raw)
    webhooks_process()
    assert LedgerTransaction.objects.count() == 1
    assert ledger.balance(DepositHold.objects.get(ref=REF).ledger_account) == 100_000
    assert len([e for e, _ in events if type(e).__name__ == "DepositHeld"]) == 1


def test_a_late_failure_after_success_changes_nothing(case):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=100_000,
        idempotency_key="d",
    )
    webhook_receive(_raw(_authorisation_for(intent)))
    webhook_receive(_raw(_authorisation_for(intent, success=False)))
    webhooks_process()
    intent.refresh_from_db()
    assert intent.status == PaymentIntent.Status.AUTHORISED
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.HELD


def test_success_after_an_earlier_failure_is_honoured(case):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=100_000,
        idempotency_key="d",
    )
    webhook_receive(_raw(_authorisation_for(intent, success=False)))
    webhooks_process()
    webhook_receive(_raw(_authorisation_for(intent, success=True)))
    webhooks_process()
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.HELD


@pytest.mark.parametrize(("amount", "currency"), [(99_999, "CNY"), (100_000, "USD")])
def test_a_wrong_amount_or_currency_is_flagged_and_moves_nothing(case, finance, amount, currency):
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=100_000,
        idempotency_key="d",
    )
    webhook_receive(_raw(_authorisation_for(intent, amount=amount, currency=currency)))
    webhooks_process()
    ev = WebhookEvent.objects.get()
    assert ev.status == WebhookEvent.Status.FLAGGED
    assert not LedgerTransaction.objects.exists()
    assert DepositHold.objects.get(ref=REF).status == DepositHold.Status.REQUESTED
    from core.models import OutboxMessage

    assert OutboxMessage.objects.filter(
        recipient=finance, topic="settlement.webhook_flagged"
    ).exists()


def test_a_duplicated_refund_confirmation_posts_once_and_a_later_refund_failed_reverses_it(
    case, drain
):
    pay(
        deposit_request(
            case_id=case.pk,
            ref=REF,
            payer_ref="u",
            payer_name="竞买人",
            amount_fen=100_000,
            idempotency_key="d",
            mode="pay",
        )
    )
    deposit_release(ref=REF, reason="未成交", idempotency_key="r")
    drain()
    op = GatewayOperation.objects.get(context="deposit_release")
    again = simulator.signed_item(
        event_code="REFUND",
        psp_reference=op.psp_reference,
        merchant_reference=op.reference,
        amount_minor=op.amount_fen,
        currency="CNY",
        success=True,
        original_reference=op.original_psp_reference,
        reason="",
    )
    again["eventDate"] = "2026-12-01T00:00:00+08:00"  # a retry is not byte-identical
    from Adyen.util import generate_notification_sig

    again["additionalData"]["hmacSignature"] = generate_notification_sig(
        {k: v for k, v in again.items() if k != "additionalData"}, simulator.simulator_hmac_key()
    ).decode()
    webhook_receive(_raw(again))
    webhooks_process()
    hold = DepositHold.objects.get(ref=REF)
    assert ledger.balance(hold.ledger_account) == 0
    assert hold.released_fen == 100_000
    failed = simulator.signed_item(
        event_code="REFUND_FAILED",
        psp_reference="7777",
        merchant_reference=op.reference,
        amount_minor=op.amount_fen,
        currency="CNY",
        success=True,
        original_reference=op.original_psp_reference,
        reason="收款账户已销户",
    )
    webhook_receive(_raw(failed))
    webhooks_process()
    hold.refresh_from_db()
    assert ledger.balance(hold.ledger_account) == 100_000  # the money is back with us
    assert hold.status == DepositHold.Status.HELD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_webhook_delivered_twice_at_once_is_processed_once(court):
    """Two deliveries race on separate connections: one row, one posting (PostgreSQL)."""
    import threading

    from tests import race
    from tests.settlement.conftest import make_case

    case = make_case(court)
    intent = deposit_request(
        case_id=case.pk,
        ref=REF,
        payer_ref="u",
        payer_name="竞买人",
        amount_fen=100_000,
        idempotency_key="d",
    )
    raw = _raw(_authorisation_for(intent))
    both_received = threading.Barrier(2)

    def deliver():
        answer = webhook_receive(raw)
        both_received.wait()  # then both process at once too
        webhooks_process()
        return answer

    results = race.together(deliver, deliver, reraise=True)
    assert results == [(200, "[accepted]")] * 2
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    assert LedgerTransaction.objects.filter(kind="deposit_hold").count() == 1
    assert ledger.balance(DepositHold.objects.get(ref=REF).ledger_account) == 100_000
