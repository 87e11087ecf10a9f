"""Tables of the marketplace: saved searches, viewing slots and appointments (看样).

Watches and reminders join these once bidding's ``Auction`` exists (a later migration).
Nothing here stores a bidder code or a registration: what a person follows or asks to view
never links them to a bid (REC-05).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedSearch(models.Model):
    """A person's saved listing filter; new matching listings are announced to them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("名称"), max_length=80)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    notify = models.BooleanField(_("有新拍品时提醒"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("保存的搜索")
        verbose_name_plural = _("保存的搜索")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ViewingSlot(models.Model):
    """A time the court offers for viewing a lot (看样), with a place and a capacity."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("cases.Lot", on_delete=models.PROTECT, related_name="viewing_slots")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("集合地点"), max_length=300)
    capacity = models.PositiveIntegerField(_("名额"), default=5)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    cancelled = models.BooleanField(_("已取消"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("看样时段")
        verbose_name_plural = _("看样时段")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="marketplace_slot_ends_after_start",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            ),
            models.CheckConstraint(
                name="marketplace_slot_capacity_positive", condition=models.Q(capacity__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot} {self.starts_at:%Y-%m-%d %H:%M}"


class ViewingAppointment(models.Model):
    """A bidder's request for a viewing slot; the court confirms or declines it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DECLINED = "declined", _("已婉拒")
        CANCELLED = "cancelled", _("已取消")

    ACTIVE = (Status.REQUESTED, Status.CONFIRMED)

    slot = models.ForeignKey(ViewingSlot, on_delete=models.PROTECT, related_name="appointments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="viewing_appointments"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.CharField(_("留言"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.CharField(_("婉拒理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("看样预约")
        verbose_name_plural = _("看样预约")
        ordering = ["slot__starts_at", "requested_at", "pk"]
        constraints = [
            # One live request per person per slot; a declined or cancelled one may be renewed.
            models.UniqueConstraint(
                fields=["slot", "user"],
                condition=models.Q(status__in=["requested", "confirmed"]),
                name="marketplace_one_active_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot} · {self.get_status_display()}"
