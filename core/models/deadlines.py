"""Deadlines (REC-13): one record per legal duty with a due time, owner and flag."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Deadline(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        MET = "met", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    class Flag(models.TextChoices):
        GREEN = "green", _("正常")
        YELLOW = "yellow", _("已超期")
        RED = "red", _("超期已升级")

    class Unit(models.TextChoices):
        CALENDAR_DAYS = "calendar_days", _("日（遇法定休假日顺延）")
        WORKING_DAYS = "working_days", _("工作日")
        HOURS = "hours", _("小时（精确计时）")
        MINUTES = "minutes", _("分钟（精确计时）")
        FIXED = "fixed", _("指定时间")

    court = models.ForeignKey("core.Court", null=True, blank=True, on_delete=models.PROTECT)
    rule_id = models.CharField(_("规则"), max_length=20)
    title = models.CharField(_("事项"), max_length=200)
    subject = models.CharField(_("对象"), max_length=200, db_index=True)
    start_event = models.CharField(_("起算事件"), max_length=100)
    started_at = models.DateTimeField(_("起算时间"))
    period = models.IntegerField(_("期间"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=20, choices=Unit.choices)
    due_at = models.DateTimeField(_("届满时间"), db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    owner_role = models.CharField(_("责任角色"), max_length=20, blank=True)
    party_ref = models.CharField(_("相关当事人"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    flag = models.CharField(_("标记"), max_length=10, choices=Flag.choices, default=Flag.GREEN)
    alert_only = models.BooleanField(_("仅提醒"), default=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("超期时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("期限")
        verbose_name_plural = _("期限")
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.title} → {self.due_at:%Y-%m-%d %H:%M}"
