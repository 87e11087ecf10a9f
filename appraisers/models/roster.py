"""The roster (名单库) of appraisal firms (评估机构), their users and licensed appraisers (APR-01)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Asset

# APR-01: a removed firm is barred for five years. A constant, not a setting (RULES.md §8).
REMOVAL_BAR_YEARS = 5

#: APR-01: the national appraisal associations that recommend firms to the roster, by the
#: qualification each one governs (used to complete rows that predate the requirement).
NATIONAL_ASSOCIATIONS = {
    "asset": "中国资产评估协会",
    "real_estate": "中国房地产估价师与房地产经纪人学会",
    "land": "中国土地估价师与土地登记代理人协会",
    "other": "中国资产评估协会",
}


class Firm(models.Model):
    """An appraisal firm on the roster, recommended by a national appraisal association."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("暂停")
        REMOVED = "removed", _("除名")

    class Qualification(models.TextChoices):
        ASSET = "asset", _("资产评估")
        REAL_ESTATE = "real_estate", _("房地产估价")
        LAND = "land", _("土地估价")
        OTHER = "other", _("其他")

    name = models.CharField(_("机构名称"), max_length=200, unique=True)
    licence_no = models.CharField(_("资质证书编号"), max_length=60, unique=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    qualification = models.CharField(_("资质类别"), max_length=20, choices=Qualification.choices)
    recommended_by = models.CharField(
        _("推荐协会"), max_length=100, help_text=_("推荐该机构入库的全国性评估行业协会（APR-01）")
    )
    division_code = models.CharField(_("注册地行政区划代码"), max_length=6)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    status_reason = models.CharField(_("状态原因"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    removed_at = models.DateTimeField(_("除名时间"), null=True, blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(_("入库时间"))

    class Meta:
        verbose_name = _("评估机构")
        verbose_name_plural = _("评估机构")
        ordering = ["name"]
        constraints = [
            # APR-01: no firm on the roster without its recommending association.
            models.CheckConstraint(
                condition=~models.Q(recommended_by=""), name="appraisers_firm_recommended_by"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def barred_until(self) -> dt.datetime | None:
        """APR-01: the end of the five-year bar after a removal."""
        if self.removed_at is None:
            return None
        from core.calendar import months_after

        return months_after(self.removed_at, 12 * REMOVAL_BAR_YEARS)

    def is_barred(self, at: dt.datetime) -> bool:
        until = self.barred_until
        return until is not None and at < until

    @property
    def ref(self) -> str:
        return f"appraisal_firm:{self.pk}"


class RosterEntry(models.Model):
    """Membership of a sub-roster (名单分库): one specialty at one level of one division."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="roster_entries")
    specialty = models.CharField(_("专业类别"), max_length=20, choices=Asset.Kind.choices)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    division_code = models.CharField(
        _("行政区划代码"), max_length=6, help_text=_("省级如 360000，市级如 360100")
    )

    class Meta:
        verbose_name = _("名单分库条目")
        verbose_name_plural = _("名单分库条目")
        ordering = ["specialty", "division_code", "firm"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "specialty", "level", "division_code"],
                name="appraisers_roster_entry_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_specialty_display()} {self.get_level_display()} {self.division_code}"


class FirmUser(models.Model):
    """A person who signs in for a firm (role ``appraiser``); sees only that firm's commissions."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="users")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appraisal_firm_user"
    )
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("机构用户")
        verbose_name_plural = _("机构用户")

    def __str__(self) -> str:
        return f"{self.user} @ {self.firm}"


class Appraiser(models.Model):
    """A licensed appraiser (评估师) of a firm; the report's signers must be these (APR-11)."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="appraisers")
    name = models.CharField(_("姓名"), max_length=60)
    licence_no = models.CharField(_("执业证书编号"), max_length=60, unique=True)
    specialty = models.CharField(_("专业"), max_length=20, choices=Asset.Kind.choices, blank=True)
    id_number = models.CharField(_("身份证件号码"), max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("在职"), default=True)

    class Meta:
        verbose_name = _("评估师")
        verbose_name_plural = _("评估师")
        ordering = ["firm", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.licence_no}）"
