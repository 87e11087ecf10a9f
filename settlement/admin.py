"""Admin screens: read-only views of the money records (changes go through the services).

REC-05: no admin screen shows who paid a deposit — ``PaymentIntent`` hides payer fields and
deposit holds are listed by registration reference.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from settlement.models import (
    BalanceDue,
    CaseAccount,
    Charge,
    DepositHold,
    DistributionPlan,
    FeeAdvance,
    GatewayOperation,
    LedgerAccount,
    LedgerLeg,
    LedgerTransaction,
    PaymentIntent,
    Payout,
    PayoutApproval,
    Receipt,
    ReconciliationRun,
    WebhookEvent,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class LegInline(admin.TabularInline):
    model = LedgerLeg
    fields = ("account", "amount_fen", "external_ref", "posted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnly):
    list_display = ("pk", "posted_at", "kind", "memo", "ref", "case")
    list_filter = ("kind", "court")
    search_fields = ("idempotency_key", "ref", "memo")
    inlines = [LegInline]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnly):
    list_display = ("code", "name", "kind", "pool", "case")
    list_filter = ("kind", "pool", "court")
    search_fields = ("code", "name", "ref")


class CaseAccountForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("变更理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=300
    )

    class Meta:
        model = CaseAccount
        fields = ("gateway_balance_account",)


@admin.register(CaseAccount)
class CaseAccountAdmin(admin.ModelAdmin):
    """Only the gateway balance account changes here, through ``case_account_set_gateway``
    with a reason (audited, REC-08); the account itself is opened by the services (FND-02)."""

    form = CaseAccountForm
    list_display = ("account_no", "case", "party_ref", "gateway_balance_account", "opened_at")
    search_fields = ("account_no", "case__number")
    fields = (
        "case",
        "court",
        "party_ref",
        "account_no",
        "ledger_account",
        "opened_at",
        "gateway_balance_account",
        "reason",
    )
    readonly_fields = ("case", "court", "party_ref", "account_no", "ledger_account", "opened_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(
        self,
        request: HttpRequest,
        obj: CaseAccount,
        form: forms.ModelForm[CaseAccount],
        change: bool,
    ) -> None:
        from core.admin import admin_actor, refusal_text
        from core.errors import DomainError
        from settlement.services import case_account_set_gateway

        try:
            case_account_set_gateway(
                account=obj,
                balance_account=obj.gateway_balance_account,
                reason=form.cleaned_data["reason"],
                actor=admin_actor(request),
            )
        except DomainError as exc:
            messages.error(request, refusal_text(exc))


@admin.register(PaymentIntent)
class PaymentIntentAdmin(ReadOnly):
    # REC-05: payer_name / payer_ref are never shown here.
    list_display = (
        "reference",
        "purpose",
        "ref",
        "amount_fen",
        "mode",
        "status",
        "gateway",
        "created_at",
    )
    list_filter = ("purpose", "status", "gateway")
    search_fields = ("reference", "ref", "psp_reference")
    fields = (
        "reference",
        "court",
        "case",
        "purpose",
        "ref",
        "amount_fen",
        "currency",
        "mode",
        "status",
        "gateway",
        "psp_reference",
        "created_at",
        "confirmed_at",
        "captured_at",
        "authorisation_expires_at",
    )


@admin.register(DepositHold)
class DepositHoldAdmin(ReadOnly):
    list_display = ("ref", "case", "amount_fen", "status", "held_at", "released_at")
    list_filter = ("status",)
    search_fields = ("ref",)
    exclude = ("intent",)


@admin.register(BalanceDue)
class BalanceDueAdmin(ReadOnly):
    list_display = (
        "sale_ref",
        "case",
        "price_fen",
        "amount_due_fen",
        "paid_fen",
        "due_at",
        "status",
    )
    list_filter = ("status",)


@admin.register(Charge)
class ChargeAdmin(ReadOnly):
    list_display = ("case", "kind", "amount_fen", "payee_name", "charged_at")
    list_filter = ("kind",)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnly):
    list_display = (
        "bank_reference",
        "received_at",
        "amount_fen",
        "payer_name",
        "status",
        "case",
        "claimed_late",
    )
    list_filter = ("status", "claimed_late")
    search_fields = ("bank_reference", "payer_name", "memo")


@admin.register(FeeAdvance)
class FeeAdvanceAdmin(ReadOnly):
    """PRC-17: advances and guarantees change only through ``settlement.services.fee_advances``."""

    list_display = ("case", "kind", "form", "creditor_name", "amount_fen", "status", "received_at")
    list_filter = ("kind", "form", "status")


@admin.register(DistributionPlan)
class DistributionPlanAdmin(ReadOnly):
    list_display = ("pk", "case", "status", "available_fen", "created_at")


class ApprovalInline(admin.TabularInline):
    model = PayoutApproval
    fields = ("step", "actor", "role", "at", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Payout)
class PayoutAdmin(ReadOnly):
    list_display = ("pk", "case", "payee_name", "amount_fen", "status", "created_at", "paid_at")
    list_filter = ("status", "payee_kind")
    inlines = [ApprovalInline]


@admin.register(GatewayOperation)
class GatewayOperationAdmin(ReadOnly):
    list_display = (
        "reference",
        "kind",
        "context",
        "subject_ref",
        "amount_fen",
        "status",
        "attempts",
        "created_at",
    )
    list_filter = ("kind", "status", "context")
    search_fields = ("reference", "psp_reference", "subject_ref")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnly):
    list_display = ("event_key", "event_code", "success", "status", "received_at", "note")
    list_filter = ("status", "event_code")
    search_fields = ("event_key", "merchant_reference", "psp_reference")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnly):
    list_display = (
        "court",
        "source",
        "period_start",
        "period_end",
        "ran_at",
        "ledger_lines",
        "statement_lines",
    )
