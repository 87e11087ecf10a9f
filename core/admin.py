from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from core.models import (
    AccessLog, AuditEntry, CalendarDay, Court, Deadline, InboxMessage, OutboxMessage, RuleSetting,
    ServiceRecord, User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are never edited (REC-06..08): view only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "division_code", "master_account_no")
    search_fields = ("code", "name")


@admin.register(User)
class GavelUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "court", "is_active")
    list_filter = ("role", "court", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Gavel", {"fields": ("role", "court", "display_name", "phone")}))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Edits go through ``calendar_day_set`` so they are audited and deadlines recompute."""

    list_display = ("date", "kind", "name")
    list_filter = ("kind",)

    def save_model(self, request, obj, form, change):
        from core.calendar import calendar_day_set

        calendar_day_set(date=obj.date, kind=obj.kind, name=obj.name, actor=request.user,
                         reason="admin edit")

    def delete_model(self, request, obj):
        from core.calendar import calendar_day_set

        calendar_day_set(date=obj.date, kind="normal", actor=request.user, reason="admin delete")


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin):
    """Changes go through ``setting_set``: range-checked and audited."""

    list_display = ("key", "court", "value", "changed_at", "reason")
    list_filter = ("court",)
    readonly_fields = ("changed_at",)

    def save_model(self, request, obj, form, change):
        from core.rulesettings import setting_set

        setting_set(key=obj.key, value=obj.value, court=obj.court, actor=request.user, reason=obj.reason)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("stream", "seq", "at", "actor_label", "action", "subject")
    list_filter = ("action",)
    search_fields = ("stream", "subject")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "role", "subject", "field", "purpose")


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    list_display = ("rule_id", "title", "subject", "due_at", "status", "flag")
    list_filter = ("status", "flag", "rule_id")


@admin.register(OutboxMessage)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "channel", "subject", "status", "attempts")
    list_filter = ("status", "channel")


@admin.register(InboxMessage)
class InboxAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "subject", "read_at")


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ("subject", "document", "recipient_name", "method", "sent_at", "received_at", "deemed_at")
