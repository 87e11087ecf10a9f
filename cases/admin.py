"""Admin for cases. Identity numbers are masked in lists and forms (REC-05); the full number is
read only through ``identity_reveal`` (named roles, logged). Writes that have rules (seizures,
disclosures) go through the services, so they are audited and open their deadlines."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Asset,
    AssetFile,
    Case,
    Disclosure,
    Identity,
    Lot,
    Party,
    Seizure,
    SimulatedRejection,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PartyInline(ReadOnlyMixin, admin.TabularInline):
    model = Party
    fields = ("role", "kind", "name", "masked_identity", "phone", "priority", "claim_fen")
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("证件号码"))
    def masked_identity(self, obj: Party) -> str:
        return obj.identity.masked_number if obj.identity is not None else ""


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "court",
        "title",
        "status",
        "judge",
        "officer",
        "claim_fen",
        "filed_on",
    )
    list_filter = ("court", "status", "case_type")
    search_fields = ("number", "title")
    readonly_fields = (
        "number",
        "year",
        "court_code",
        "case_type",
        "sequence",
        "created_at",
        "court",
    )
    inlines = [PartyInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cases are created through case_create (number parsed, audited, announced)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Identity)
class IdentityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "masked_number", "status", "verified_at", "verifier", "user")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    fields = (
        "name",
        "kind",
        "masked_number",
        "status",
        "submitted_at",
        "verified_at",
        "verifier",
        "failure_reason",
        "user",
    )
    readonly_fields = fields

    @admin.display(description=_("证件号码（脱敏）"))
    def masked_number(self, obj: Identity) -> str:
        return obj.masked_number


@admin.register(SimulatedRejection)
class SimulatedRejectionAdmin(admin.ModelAdmin):
    """The simulator's refusal list: add a number here to script a failed verification."""

    list_display = ("kind", "masked", "reason", "created_at")
    fields = ("kind", "number", "reason")

    @admin.display(description=_("证件号码（脱敏）"))
    def masked(self, obj: SimulatedRejection) -> str:
        from core.access import mask

        return mask(obj.number)

    def save_model(
        self, request: HttpRequest, obj: SimulatedRejection, form: ModelForm[Any], change: bool
    ) -> None:
        from cases.verifier import simulator_reject

        simulator_reject(kind=obj.kind, number=obj.number, reason=obj.reason)


@admin.register(Party)
class PartyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "role", "kind", "case", "masked_identity", "user")
    list_filter = ("role", "kind")
    search_fields = ("name", "case__number")
    fields = (
        "case",
        "role",
        "kind",
        "name",
        "masked_identity",
        "user",
        "phone",
        "address",
        "email",
        "priority",
        "claim_fen",
    )
    readonly_fields = fields

    @admin.display(description=_("证件号码"))
    def masked_identity(self, obj: Party) -> str:
        return obj.identity.masked_number if obj.identity is not None else ""


@admin.register(Asset)
class AssetAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "case", "division_code", "purchase_restricted", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "case__number", "address")
    readonly_fields = (
        "case",
        "kind",
        "name",
        "division_code",
        "address",
        "latitude",
        "longitude",
        "features",
        "description",
        "purchase_restricted",
        "created_at",
    )


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("asset", "topic", "recorded_by", "recorded_at", "supersedes")
    list_filter = ("topic",)
    readonly_fields = ("asset", "topic", "text", "recorded_by", "recorded_at", "supersedes")


@admin.register(Seizure)
class SeizureAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("asset", "kind", "seized_on", "document", "expires_on", "recorded_by")
    list_filter = ("kind",)
    readonly_fields = (
        "asset",
        "kind",
        "seized_on",
        "document",
        "expires_on",
        "recorded_by",
        "recorded_at",
    )


@admin.register(Lot)
class LotAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("title", "case", "bundle_reason", "created_at")
    readonly_fields = ("case", "title", "assets", "bundle_reason", "created_at")


@admin.register(AssetFile)
class AssetFileAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("title", "asset", "kind", "content_type", "size_bytes", "uploaded_at")
    readonly_fields = (
        "asset",
        "kind",
        "title",
        "file",
        "content_type",
        "size_bytes",
        "uploaded_at",
        "uploaded_by",
    )
