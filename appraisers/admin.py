"""Admin for roster keepers. Draw records, reports, objections and fees are read-only: they
change only through the services (REC-07, REC-08)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from appraisers.models import (
    AppraisalFee,
    AppraisalRequest,
    Appraiser,
    Commission,
    DrawCommitment,
    DrawExclusion,
    Firm,
    FirmUser,
    LotDraw,
    Objection,
    Report,
    RosterEntry,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RosterEntryInline(admin.TabularInline):
    model = RosterEntry
    extra = 0


class AppraiserInline(admin.TabularInline):
    model = Appraiser
    extra = 0
    fields = ("name", "licence_no", "specialty", "is_active")


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    """Status changes go through the roster page (``firm_set_status``: APR-01 bar, audit)."""

    list_display = ("name", "licence_no", "qualification", "status", "is_sample")
    list_filter = ("status", "qualification", "is_sample")
    search_fields = ("name", "licence_no", "uscc")
    readonly_fields = ("status", "status_reason", "status_changed_at", "removed_at", "created_at")
    inlines = [RosterEntryInline, AppraiserInline]


@admin.register(FirmUser)
class FirmUserAdmin(admin.ModelAdmin):
    list_display = ("user", "firm", "is_active")
    list_filter = ("is_active",)


@admin.register(AppraisalRequest)
class AppraisalRequestAdmin(ReadOnly):
    list_display = ("procedure_ref", "case", "asset", "status", "round", "created_at")
    list_filter = ("status",)


@admin.register(LotDraw)
class LotDrawAdmin(ReadOnly):
    list_display = ("pk", "request", "round", "status", "seed_mode", "scheduled_at", "drawn_at")


@admin.register(DrawExclusion)
class DrawExclusionAdmin(ReadOnly):
    list_display = ("draw", "firm_name", "reason_code", "reason")


@admin.register(DrawCommitment)
class DrawCommitmentAdmin(ReadOnly):
    list_display = ("draw", "participant_label", "commitment", "committed_at", "revealed_at")
    exclude = ("secret",)


@admin.register(Commission)
class CommissionAdmin(ReadOnly):
    list_display = ("pk", "firm", "request", "kind", "state", "offered_at", "report_due_at")
    list_filter = ("state", "kind")


@admin.register(Report)
class ReportAdmin(ReadOnly):
    list_display = ("commission", "version", "source", "amount_fen", "valid_until", "uploaded_at")


@admin.register(Objection)
class ObjectionAdmin(ReadOnly):
    list_display = ("pk", "commission", "party", "status", "outcome", "filed_at")


@admin.register(AppraisalFee)
class AppraisalFeeAdmin(ReadOnly):
    list_display = ("commission", "firm", "basis", "amount_fen", "status", "computed_at")
