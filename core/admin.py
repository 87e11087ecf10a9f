"""Django admin for the platform operator.

Every edit that the rules care about goes through the same service as everywhere else:
calendar days through ``calendar_day_set`` (audited, open deadlines recompute, REC-02), rule
settings through ``setting_set``/``setting_clear`` (legal ranges, audited, REC-08), court
and account changes are audited. Records that are never edited (audit trail, access log,
deadlines, messages, service records) are read-only here.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.errors import DomainError
from core.models import (
    AccessLog,
    AuditAnchor,
    AuditEntry,
    CalendarDay,
    Court,
    Deadline,
    Document,
    DocumentRequest,
    InboxMessage,
    OutboxMessage,
    RuleSetting,
    ServiceRecord,
    User,
)


def admin_actor(request: HttpRequest) -> User:
    """Who acts in the admin: a signed-in staff person (the admin site lets in no one else).
    Every app's admin passes this person to the audited services (REC-08)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


_operator = admin_actor


def refusal_text(exc: DomainError) -> str:
    """A service's refusal as the admin shows it: the message and its rule."""
    rule = f"（{exc.rule}）" if exc.rule and exc.rule not in str(exc.message) else ""
    return f"{exc.message}{rule}"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are never edited (REC-06..08): view only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _plain(value: Any) -> Any:
    """A form value as JSON for the audit entry (objects by their name, sets as lists)."""
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if hasattr(value, "__iter__"):
        return sorted(str(v) for v in value)
    return str(value)


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin):
    """Courts and their master account (FND-02); every change is audited (REC-08)."""

    list_display = ("code", "name", "division_code", "master_account_no")
    search_fields = ("code", "name")

    def has_delete_permission(self, request: HttpRequest, obj: Court | None = None) -> bool:
        return False

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Court, form: Any, change: bool) -> None:
        before = {f: _plain(form.initial.get(f)) for f in form.changed_data} if change else None
        super().save_model(request, obj, form, change)
        audit_record(
            stream="system:courts",
            action="court.changed" if change else "court.created",
            actor=_operator(request),
            subject=f"court:{obj.pk}",
            before=before,
            after={f: _plain(form.cleaned_data.get(f)) for f in form.changed_data},
            reason=str(_("通过管理后台修改")),
            rules=["REC-08"],
        )


@admin.register(User)
class GavelUserAdmin(UserAdmin):
    """People, their role and court; role, court and access changes are audited (REC-08)."""

    list_display = ("username", "display_name", "role", "court", "is_active")
    list_filter = ("role", "court", "is_active")
    search_fields = ("username", "display_name", "phone")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("角色与法院"), {"fields": ("role", "court", "display_name", "phone")}),
    )
    add_fieldsets = (
        *(UserAdmin.add_fieldsets or ()),
        (_("角色与法院"), {"fields": ("role", "court", "display_name", "phone")}),
    )
    _audited = (
        "role",
        "court",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
    )

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Deleting would list a user's protected related objects (e.g. auction registrations),
        # linking a person to a bidder before the close (REC-05). Deactivate instead.
        return False

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """REC-08/REC-14: an operator setting someone's password leaves an audit entry."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                audit_record(
                    stream="system:users",
                    action="user.password_set",
                    actor=admin_actor(request),
                    subject=f"user:{id}",
                    reason=str(_("通过管理后台修改")),
                    rules=["REC-08", "REC-14"],
                )
        return response

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changed = [f for f in form.changed_data if f in self._audited]
        if changed or not change:
            audit_record(
                stream="system:users",
                action="user.changed" if change else "user.created",
                actor=_operator(request),
                subject=f"user:{obj.pk}",
                before={f: _plain(form.initial.get(f)) for f in changed} if change else None,
                after={f: _plain(form.cleaned_data.get(f)) for f in changed}
                | {"username": obj.username},
                reason=str(_("通过管理后台修改")),
                rules=["REC-08", "REC-14"],
            )


class CalendarDayForm(forms.ModelForm):
    reason = forms.CharField(label=_("修改理由"), widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "name")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Edits go through ``calendar_day_set``: audited, and open deadlines recompute (REC-02)."""

    form = CalendarDayForm
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"

    def get_readonly_fields(
        self, request: HttpRequest, obj: CalendarDay | None = None
    ) -> tuple[str, ...]:
        # Moving a row to another date would leave the old date behind: add a new one instead.
        return ("date",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        from core.calendar import calendar_day_set

        row = calendar_day_set(
            date=obj.date,
            kind=obj.kind,
            name=obj.name,
            actor=_operator(request),
            reason=form.cleaned_data["reason"],
        )
        obj.pk = row.pk if row is not None else obj.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        from core.calendar import calendar_day_set

        calendar_day_set(
            date=obj.date,
            kind="normal",
            actor=_operator(request),
            reason=str(_("通过管理后台删除")),
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for obj in list(queryset):
            self.delete_model(request, obj)


class RuleSettingForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("参数"), choices=())
    value = forms.JSONField(
        label=_("取值"),
        required=False,
        help_text=_('JSON：数字写 15，比例写 "0.10"，布尔写 true/false，列表写 ["sms", "inbox"]'),
    )

    class Meta:
        model = RuleSetting
        fields = ("court", "key", "value", "reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from core.rulesettings import SPECS

        key_field = self.fields.get("key")  # read-only (absent) when changing a row
        if isinstance(key_field, forms.ChoiceField):
            key_field.choices = [
                (k, f"{k} · {s.label} ({'、'.join(s.rules)})") for k, s in sorted(SPECS.items())
            ]

    def clean(self) -> dict[str, Any]:
        from core.rulesettings import _check_pairs, spec

        super().clean()
        data = self.cleaned_data
        # On change, court and key are read-only: take them from the row being edited.
        key = data.get("key") or self.instance.key
        court = data.get("court", self.instance.court)
        if key:
            try:
                cleaned = spec(key).clean(data.get("value"))
                _check_pairs(key, cleaned, getattr(court, "pk", None))
            except DomainError as exc:
                rule = f"（{exc.rule}）" if exc.rule and exc.rule not in str(exc.message) else ""
                raise ValidationError(f"{exc.message}{rule}") from exc
            data["value"] = cleaned
        return data

    def validate_unique(self) -> None:
        # The service updates the existing override for (court, key); no duplicate error.
        pass


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin):
    """Changes go through ``setting_set``: range-checked with the rule ID and audited.

    Deleting an override goes through ``setting_clear`` (the next level applies again).
    """

    form = RuleSettingForm
    list_display = ("key", "court", "display_value", "changed_at", "reason")
    list_filter = ("court",)
    search_fields = ("key",)
    readonly_fields = ("changed_at",)

    @admin.display(description=_("取值"))
    def display_value(self, obj: RuleSetting) -> str:
        return json.dumps(obj.value, ensure_ascii=False)

    def get_readonly_fields(
        self, request: HttpRequest, obj: RuleSetting | None = None
    ) -> tuple[str, ...]:
        return ("court", "key", "changed_at") if obj is not None else ("changed_at",)

    def save_model(self, request: HttpRequest, obj: RuleSetting, form: Any, change: bool) -> None:
        from core.rulesettings import setting_set

        setting_set(
            key=obj.key,
            value=obj.value,
            court=obj.court,
            actor=_operator(request),
            reason=obj.reason,
        )
        row = RuleSetting.objects.get(court=obj.court, key=obj.key)
        obj.pk = row.pk
        obj.changed_at = row.changed_at

    def delete_model(self, request: HttpRequest, obj: RuleSetting) -> None:
        from core.rulesettings import setting_clear

        try:
            setting_clear(
                key=obj.key,
                court=obj.court,
                actor=_operator(request),
                reason=str(_("通过管理后台删除")),
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RuleSetting]) -> None:
        for obj in list(queryset):
            self.delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("stream", "seq", "at", "actor_label", "actor_role", "action", "subject")
    list_filter = ("action",)
    search_fields = ("stream", "subject")


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyAdmin):
    """The signed daily record of every stream head (core.audit.audit_anchor)."""

    list_display = ("at", "digest", "key_id", "prev_digest")
    exclude = ("heads",)  # one line per stream: read it in the published file


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "role", "subject", "field", "purpose")
    search_fields = ("subject",)


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    list_display = ("rule_id", "shown_title", "subject", "due_at", "status", "flag", "court")
    list_filter = ("status", "flag", "rule_id", "court")
    search_fields = ("subject", "title")

    @admin.display(description=_("事项"), ordering="title")
    def shown_title(self, obj: Deadline) -> str:
        """The title in the reader's language (the stored ``title`` stays Chinese)."""
        return obj.display_title


def _confidential(topic: str) -> bool:
    from django.conf import settings

    prefixes = tuple(settings.GAVEL_CONFIDENTIAL_TOPICS)
    return bool(prefixes) and (topic or "").startswith(prefixes)


HIDDEN = _("（竞买相关消息，已隐去，REC-05）")


def _masked(field: str, label: Any) -> Any:
    """An admin column showing ``field``, or HIDDEN for a bidding message."""

    @admin.display(description=label)
    def shown(self: Any, obj: Any) -> Any:
        return HIDDEN if _confidential(obj.topic) else getattr(obj, field)

    return shown


class MessageAdmin(ReadOnlyAdmin):
    """Delivery records. A bidder's messages never show who got them or what they said
    (REC-05): operators see the topic, channel, times and status, enough to retry."""

    list_display: tuple[str, ...] = ("created_at", "shown_recipient", "topic", "shown_subject")
    shown_fields: tuple[str, ...] = ()

    shown_recipient = _masked("recipient", _("收件人"))
    shown_subject = _masked("subject", _("标题"))
    shown_body = _masked("body", _("内容"))
    shown_link = _masked("link", _("链接"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.shown_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.shown_fields


@admin.register(OutboxMessage)
class OutboxAdmin(MessageAdmin):
    list_display = (
        "created_at",
        "shown_recipient",
        "channel",
        "topic",
        "shown_subject",
        "status",
        "attempts",
    )
    list_filter = ("status", "channel")
    actions = ["retry_failed"]
    shown_fields = (
        "topic",
        "channel",
        "shown_recipient",
        "shown_subject",
        "shown_body",
        "shown_link",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description=_("重新发送所选的发送失败消息"), permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        from core import clock

        with transaction.atomic():
            failed = list(
                queryset.filter(status=OutboxMessage.Status.FAILED).values_list("pk", flat=True)
            )
            n = OutboxMessage.objects.filter(pk__in=failed).update(
                status=OutboxMessage.Status.PENDING, next_attempt_at=clock.now(), attempts=0
            )
            if n:
                audit_record(
                    stream="system:notifications",
                    action="outbox.retried",
                    actor=admin_actor(request),
                    subject="outbox",
                    before={"status": "failed", "messages": failed},
                    after={"status": "pending", "messages": failed},
                    reason=str(_("通过管理后台重新发送")),
                    rules=["REC-08"],
                )
        self.message_user(request, _("已重新排队 %(n)d 条消息") % {"n": n})


@admin.register(InboxMessage)
class InboxAdmin(MessageAdmin):
    list_display = ("created_at", "shown_recipient", "topic", "shown_subject", "read_at")
    shown_fields = (
        "topic",
        "shown_recipient",
        "shown_subject",
        "shown_body",
        "shown_link",
        "created_at",
        "read_at",
    )


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "subject",
        "document",
        "recipient_name",
        "method",
        "sent_at",
        "received_at",
        "deemed_at",
    )
    list_filter = ("method",)
    search_fields = ("subject", "recipient_name")


class _NoWrites:
    """Mixin: view only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _AuditedDeletes:
    """Mixin: view, and delete with an audit entry (REC-08); no add, no change."""

    audit_action = "record.deleted"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                stream="system:users",
                action=self.audit_action,
                actor=admin_actor(request),
                subject=f"{obj._meta.label_lower}:{obj.pk}",
                before={"record": str(obj)},
                reason=str(_("通过管理后台删除")),
                rules=["REC-08", "REC-14"],
            )
            obj.delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in list(queryset):
            self.delete_model(request, obj)


def _third_party_admins() -> None:
    """REC-08 for the admins other packages register: failed sign-ins and Django's unused
    groups are view only (Gavel's roles are ``User.role``, REC-14); a lockout is lifted and a
    second-factor device removed only with an audit entry; devices are added by the person
    (``otp_setup``), never by the operator."""
    from django.contrib.auth.models import Group

    def swap(model: Any, base: Any, mixin: type, **attrs: Any) -> None:
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, type(f"Gavel{base.__name__}", (mixin, base), attrs))

    swap(Group, admin.ModelAdmin, _NoWrites)
    try:
        from axes import admin as axes_admin
        from axes.models import AccessAttempt, AccessFailureLog
        from axes.models import AccessLog as AxesAccessLog
    except ImportError:  # pragma: no cover - axes is a dependency
        pass
    else:
        swap(AccessFailureLog, axes_admin.AccessFailureLogAdmin, _NoWrites)
        swap(AxesAccessLog, axes_admin.AccessLogAdmin, _NoWrites)
        swap(
            AccessAttempt,
            axes_admin.AccessAttemptAdmin,
            _AuditedDeletes,
            audit_action="lockout.lifted",
        )
    try:
        from django_otp.plugins.otp_totp import admin as totp_admin
        from django_otp.plugins.otp_totp.models import TOTPDevice
    except ImportError:  # pragma: no cover - django-otp is a dependency
        pass
    else:
        swap(
            TOTPDevice,
            totp_admin.TOTPDeviceAdmin,
            _AuditedDeletes,
            audit_action="otp_device.removed",
        )


_third_party_admins()


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Issued documents (issue 16): the register, read-only (the table is append-only)."""

    list_display = ("number", "version", "title", "court", "subject_label", "code", "issued_at")
    list_filter = ("doc_type", "public")
    search_fields = ("number", "code", "sha256", "subject")
    exclude = ("pdf",)


@admin.register(DocumentRequest)
class DocumentRequestAdmin(ReadOnlyAdmin):
    """The worker's queue of documents to issue; a failed one can be queued again."""

    list_display = ("doc_type", "subject", "state", "attempts", "created_at", "done_at")
    list_filter = ("state", "doc_type")
    search_fields = ("subject",)
    actions = ["requeue"]

    @admin.action(description=_("重新排队出具"))
    def requeue(self, request: HttpRequest, queryset: Any) -> None:
        from core.audit import audit_record

        with transaction.atomic():
            for req in queryset.select_for_update().filter(state=DocumentRequest.State.FAILED):
                req.state, req.attempts = DocumentRequest.State.PENDING, 0
                req.save(update_fields=["state", "attempts"])
                audit_record(
                    stream="system:documents",
                    action="document.requeued",
                    actor=request.user,  # type: ignore[arg-type]  # the admin requires a signed-in user
                    subject=f"{req.doc_type}:{req.subject}",
                    before={"last_error": req.last_error},
                )


def _otp_search_help() -> None:
    """django-otp writes its admin's search help from the user model's field names once, at
    import, in the default language (Chinese): give it a lazy text so English reads English."""
    from django.utils.translation import gettext_lazy

    try:
        from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
    except ImportError:  # pragma: no cover - the plugin is installed (settings.INSTALLED_APPS)
        return
    TOTPDeviceAdmin.search_help_text = gettext_lazy("按用户的用户名或电子邮件地址搜索")


_otp_search_help()
