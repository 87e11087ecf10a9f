"""The Adyen implementation of the payment gateway port (the ``Adyen`` library, v16).

- Deposits and balances: Checkout payment links (``/paymentLinks``), the bidder pays on
  Adyen's page; deposits in ``authorise`` mode are frozen (``manualCapture``) and later
  captured for the winner or cancelled for the losers (NJA 17 "frozen by the payment
  system"); in ``pay`` mode they are captured at once and refunded on the original payment.
- Capture, cancel and refund: Checkout modifications on the original ``pspReference``.
- Payouts: Balance Platform transfers (``/transfers``) from the court's balance account.
- Splits: with ``ADYEN_SPLIT_MODE=court`` every payment books into the court's balance
  account (``ADYEN_BALANCE_ACCOUNT_ID``); with ``per_case`` into the case's own balance account
  (``CaseAccount.gateway_balance_account``, falling back to the court's). Our ledger stays the
  source of truth; the mapping is configuration.
- Every call carries the operation's idempotency key (``Idempotency-Key`` header).

Results are confirmed by webhooks (``/settlement/webhooks/adyen``, HMAC-checked); the
synchronous answer only tells us the request was received.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import Adyen
from django.conf import settings

from settlement.gateway import CreatedPayment, SentOperation, StatementLine

if TYPE_CHECKING:
    from core.models import Court
    from settlement.models import GatewayOperation, PaymentIntent, Payout


class AdyenGateway:
    name = "adyen"

    def __init__(
        self,
        *,
        api_key: str,
        merchant_account: str,
        hmac_key: str,
        platform: str = "test",
        live_endpoint_prefix: str = "",
        balance_account_id: str = "",
        split_mode: str = "none",
        return_url: str = "",
        http_client: object | None = None,
    ) -> None:
        kwargs: dict[str, str] = {
            "xapikey": api_key,
            "platform": platform or "test",
            "merchant_account": merchant_account,
        }
        if live_endpoint_prefix:
            kwargs["live_endpoint_prefix"] = live_endpoint_prefix
        self.adyen = Adyen.Adyen(**kwargs)
        if http_client is not None:
            # The library's own tests inject a fake client object the same way.
            self.adyen.client.http_client = http_client
            self.adyen.client.http_init = True
        self.merchant_account = merchant_account
        self._hmac_key = hmac_key
        self.balance_account_id = balance_account_id
        self.split_mode = split_mode or "none"
        self.return_url = return_url

    @classmethod
    def from_settings(cls) -> AdyenGateway:
        return cls(
            api_key=str(settings.ADYEN_API_KEY),
            merchant_account=str(settings.ADYEN_MERCHANT_ACCOUNT),
            hmac_key=str(settings.ADYEN_HMAC_KEY),
            platform=str(settings.ADYEN_PLATFORM or "test"),
            live_endpoint_prefix=str(settings.ADYEN_LIVE_ENDPOINT_PREFIX or ""),
            balance_account_id=str(settings.ADYEN_BALANCE_ACCOUNT_ID or ""),
            split_mode=str(settings.ADYEN_SPLIT_MODE or "none"),
            return_url=str(settings.ADYEN_RETURN_URL or ""),
        )

    def hmac_key(self) -> str:
        return self._hmac_key

    # ---- payments ------------------------------------------------------------------------

    def _balance_account_for(self, intent: PaymentIntent) -> str:
        if self.split_mode == "per_case":
            from settlement.models import CaseAccount

            own = (
                CaseAccount.objects.filter(case_id=intent.case_id, party_ref="")
                .values_list("gateway_balance_account", flat=True)
                .first()
            )
            if own:
                return own
        return self.balance_account_id

    def create_payment(self, *, intent: PaymentIntent, description: str) -> CreatedPayment:
        request: dict[str, Any] = {
            "merchantAccount": self.merchant_account,
            "reference": intent.reference,
            "amount": {"currency": intent.currency, "value": intent.amount_fen},
            "description": description[:280],
            "countryCode": "CN",
            "shopperLocale": "zh-CN",
        }
        # The page that asked for this payment (absolute), else the configured default.
        own = str(getattr(intent, "return_url", "") or "")
        return_url = own if own.startswith(("https://", "http://")) else self.return_url
        if return_url:
            request["returnUrl"] = return_url
        if intent.mode == "authorise":
            request["manualCapture"] = True
        if self.split_mode in ("court", "per_case"):
            account = self._balance_account_for(intent)
            if account:
                request["splits"] = [
                    {
                        "amount": {"value": intent.amount_fen},
                        "type": "BalanceAccount",
                        "account": account,
                        "reference": intent.reference,
                        "description": description[:64],
                    }
                ]
        result = self.adyen.checkout.payment_links_api.payment_links(
            request, idempotency_key=intent.idempotency_key
        )
        message = result.message or {}
        return CreatedPayment(
            pay_url=str(message.get("url", "")), gateway_id=str(message.get("id", ""))
        )

    def _amount(self, op: GatewayOperation) -> dict[str, str | int]:
        return {"currency": op.currency, "value": op.amount_fen}

    def capture(self, *, op: GatewayOperation) -> SentOperation:
        result = self.adyen.checkout.modifications_api.capture_authorised_payment(
            {
                "merchantAccount": self.merchant_account,
                "amount": self._amount(op),
                "reference": op.reference,
            },
            op.original_psp_reference,
            idempotency_key=op.idempotency_key,
        )
        return SentOperation(psp_reference=str((result.message or {}).get("pspReference", "")))

    def cancel(self, *, op: GatewayOperation) -> SentOperation:
        result = self.adyen.checkout.modifications_api.cancel_authorised_payment_by_psp_reference(
            {"merchantAccount": self.merchant_account, "reference": op.reference},
            op.original_psp_reference,
            idempotency_key=op.idempotency_key,
        )
        return SentOperation(psp_reference=str((result.message or {}).get("pspReference", "")))

    def refund(self, *, op: GatewayOperation) -> SentOperation:
        result = self.adyen.checkout.modifications_api.refund_captured_payment(
            {
                "merchantAccount": self.merchant_account,
                "amount": self._amount(op),
                "reference": op.reference,
            },
            op.original_psp_reference,
            idempotency_key=op.idempotency_key,
        )
        return SentOperation(psp_reference=str((result.message or {}).get("pspReference", "")))

    def payout(self, *, op: GatewayOperation, payout: Payout | None) -> SentOperation:
        if payout is None:  # every payout operation is queued with its payout
            raise ValueError(f"payout operation {op.reference} has no payout")
        identification: dict[str, str] = {
            "type": "numberAndBic",
            "accountNumber": payout.payee_account_no,
        }
        if payout.payee_bic:
            identification["bic"] = payout.payee_bic
        request = {
            "amount": self._amount(op),
            "balanceAccountId": self.balance_account_id,
            "category": "bank",
            "counterparty": {
                "bankAccount": {
                    "accountHolder": {"fullName": payout.payee_name[:80]},
                    "accountIdentification": identification,
                }
            },
            "reference": op.reference,
            "referenceForBeneficiary": op.reference[:80],
            "description": (payout.purpose or "执行款发放")[:140],
        }
        result = self.adyen.transfers.transfers_api.transfer_funds(
            request, idempotency_key=op.idempotency_key
        )
        return SentOperation(psp_reference=str((result.message or {}).get("id", "")))

    def statement(self, *, court: Court | int, start: dt.date, end: dt.date) -> list[StatementLine]:
        """Adyen's settlement details report is downloaded from the Customer Area or the report
        webhook; pass it to ``manage.py reconcile --file`` instead."""
        raise NotImplementedError("对账请下载 Adyen 结算明细报表后使用 --file 导入")
