"""Deadlines (REC-13): one record per legal duty with a due time, owner and flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TitleWord:
    """A word inside a deadline title that is itself interface text (a msgid, Chinese), such
    as a report kind: stored as its msgid and translated when the title is shown."""

    msgid: str
    context: str = ""

    def as_json(self) -> dict[str, str]:
        return (
            {"msgid": self.msgid, "context": self.context}
            if self.context
            else {"msgid": self.msgid}
        )


@dataclass(frozen=True)
class DeadlineTitle:
    """A deadline title with values inside (``出具评估报告（%(firm)s）``): the msgid (Chinese,
    marked with ``gettext_noop``) and its values. ``stored`` is the Chinese text kept in
    ``Deadline.title`` (court records are Chinese); ``Deadline.title_params`` keeps the msgid
    and values so that each reader sees the title in their own language."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def stored(self) -> str:
        values = {k: _stored(v) for k, v in self.params.items()}
        return self.msgid % values if values else self.msgid

    def as_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "params": {k: _json(v) for k, v in self.params.items()}}


def _stored(value: Any) -> Any:
    if isinstance(value, TitleWord):
        return value.msgid
    if isinstance(value, DeadlineTitle):
        return value.stored()
    return value


def _json(value: Any) -> Any:
    if isinstance(value, TitleWord | DeadlineTitle):
        return value.as_json()
    return value if isinstance(value, int | float) else str(value)


def _word(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("msgid"), str):
        if "params" in value:  # a nested title with its own values
            return _render(value)
        ctx = value.get("context") or ""
        return pgettext(ctx, value["msgid"]) if ctx else gettext(value["msgid"])
    return value


def _render(params: dict[str, Any]) -> str:
    values = params.get("params") or {}
    template = gettext(params["msgid"])
    if not isinstance(values, dict) or not values:
        return template
    return template % {k: _word(v) for k, v in values.items()}


def render_title(title: str, params: Any) -> str:
    """A deadline title in the active language: the stored msgid and values when there are
    any, else the stored Chinese title through the catalogue (fixed titles are msgids; a
    title that is not one, as on rows older than ``title_params``, is shown as stored)."""
    if isinstance(params, dict) and isinstance(params.get("msgid"), str):
        try:
            return _render(params)
        except (KeyError, ValueError, TypeError):
            pass  # a catalogue entry that does not fit its values: the stored title
    return gettext(title) if title and title.strip() else title


class TitleText:
    """A deadline's title rendered when turned into ``str``, in the language active then
    (a notification renders it per recipient)."""

    __slots__ = ("params", "title")

    def __init__(self, title: str, params: Any) -> None:
        self.title = title
        self.params = params

    def __str__(self) -> str:
        return render_title(self.title, self.params)


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
    #: ``{"msgid": …, "params": {…}}`` for a title with values inside (``DeadlineTitle``);
    #: null for a fixed title (itself a msgid) and on older rows.
    title_params = models.JSONField(_("事项模板"), null=True, blank=True, editable=False)
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

    @property
    def display_title(self) -> str:
        """The title in the reader's language (the stored ``title`` stays Chinese)."""
        return render_title(self.title, self.title_params)

    def title_text(self) -> TitleText:
        """The title rendered later, in the language active then (notifications)."""
        return TitleText(self.title, self.title_params)
