"""Admin for cases. Identity numbers are masked in lists and forms (REC-05); the full number is
read only through ``identity_reveal`` (named roles, logged). Writes that have rules (seizures,
disclosures) go through the services, so they are audited and open their deadlines."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
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


class CaseAdminForm(forms.ModelForm):
    """Only the status and the claim change here, each through its audited service with the
    reason typed below (REC-08); everything else of a case is read-only in the admin."""

    claim_fen = forms.IntegerField(label=_("申请执行标的（分）"), min_value=0)
    reason = forms.CharField(
        label=_("变更理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=300
    )

    class Meta:
        model = Case
        fields = ("status", "claim_fen")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    form = CaseAdminForm
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
    fields = ("number", "court", "title", "judge", "officer", "status", "claim_fen", "reason")
    readonly_fields = (
        "number",
        "year",
        "court_code",
        "case_type",
        "sequence",
        "created_at",
        "court",
        "title",
        "judge",
        "officer",
        "title_document",
        "filed_on",
    )
    inlines = [PartyInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cases are created through case_create (number parsed, audited, announced)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Case, form: ModelForm[Any], change: bool
    ) -> None:
        """REC-08: through ``case_status_set`` / ``case_claim_set`` (audited, PRC-14 event)."""
        from cases.services import case_claim_set, case_status_set
        from core.admin import admin_actor, refusal_text
        from core.errors import DomainError

        reason, actor = form.cleaned_data["reason"], admin_actor(request)
        try:
            if "status" in form.changed_data:
                case_status_set(case=obj, status=obj.status, reason=reason, actor=actor)
            if "claim_fen" in form.changed_data:
                case_claim_set(case=obj, claim_fen=obj.claim_fen, reason=reason, actor=actor)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))


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
        from core.access import mask
        from core.admin import admin_actor
        from core.audit import audit_record

        simulator_reject(kind=obj.kind, number=obj.number, reason=obj.reason)
        audit_record(
            stream="system:identity",
            action="simulator.rejection_set",
            actor=admin_actor(request),
            subject=f"simulated_rejection:{obj.kind}",
            after={"kind": obj.kind, "number": mask(obj.number), "reason": obj.reason},
            reason=str(_("通过管理后台修改")),
            rules=["REC-08"],
        )

    def delete_model(self, request: HttpRequest, obj: SimulatedRejection) -> None:
        from core.access import mask
        from core.admin import admin_actor
        from core.audit import audit_record

        audit_record(
            stream="system:identity",
            action="simulator.rejection_removed",
            actor=admin_actor(request),
            subject=f"simulated_rejection:{obj.kind}",
            before={"kind": obj.kind, "number": mask(obj.number), "reason": obj.reason},
            reason=str(_("通过管理后台删除")),
            rules=["REC-08"],
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in list(queryset):
            self.delete_model(request, obj)


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
