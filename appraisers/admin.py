"""Admin for roster keepers. Draw records, reports, objections and fees are read-only: they
change only through the services (REC-07, REC-08)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RosterEntryInline(ReadOnlyInline):
    model = RosterEntry


class AppraiserInline(ReadOnlyInline):
    model = Appraiser
    fields = ("name", "licence_no", "specialty", "is_active")


@admin.register(Firm)
class FirmAdmin(ReadOnly):
    """Read-only (REC-08): firms enter the roster, change status and join sub-rosters on the
    roster page or by CSV import, through the audited services (``firm_create`` needs the
    recommending association, APR-01; ``firm_set_status`` keeps the 5-year bar)."""

    list_display = ("name", "licence_no", "qualification", "recommended_by", "status", "is_sample")
    list_filter = ("status", "qualification", "is_sample")
    search_fields = ("name", "licence_no", "uscc")
    inlines = [RosterEntryInline, AppraiserInline]


class FirmUserAddForm(forms.ModelForm):
    class Meta:
        model = FirmUser
        fields = ("firm", "user")


class FirmUserChangeForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("变更理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=300
    )

    class Meta:
        model = FirmUser
        fields = ("is_active",)


@admin.register(FirmUser)
class FirmUserAdmin(admin.ModelAdmin):
    """Linking a person to a firm goes through ``firm_user_add`` (appraiser role, one firm,
    audited); switching access through ``firm_user_set_active`` with a reason (REC-08, REC-14)."""

    list_display = ("user", "firm", "is_active")
    list_filter = ("is_active",)

    def get_form(
        self, request: HttpRequest, obj: FirmUser | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[FirmUser]]:
        kwargs["form"] = FirmUserChangeForm if obj is not None else FirmUserAddForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: FirmUser | None = None) -> tuple[str, ...]:
        return ("firm", "user", "is_active", "reason") if obj is not None else ("firm", "user")

    def get_readonly_fields(
        self, request: HttpRequest, obj: FirmUser | None = None
    ) -> tuple[str, ...]:
        return ("firm", "user") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # deactivate instead: the link is part of the trail

    def save_model(
        self, request: HttpRequest, obj: FirmUser, form: forms.ModelForm[FirmUser], change: bool
    ) -> None:
        from appraisers.services import firm_user_add, firm_user_set_active
        from core.admin import admin_actor, refusal_text
        from core.errors import DomainError

        actor = admin_actor(request)
        try:
            if change:
                firm_user_set_active(
                    firm_user=obj,
                    is_active=obj.is_active,
                    reason=form.cleaned_data["reason"],
                    actor=actor,
                )
            else:
                obj.pk = firm_user_add(firm=obj.firm, user=obj.user, actor=actor).pk
        except DomainError as exc:
            messages.error(request, refusal_text(exc))


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
