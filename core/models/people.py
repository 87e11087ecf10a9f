"""Courts (the tenant) and people with their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Court(models.Model):
    """A people's court (人民法院): the tenant every case, account and rule setting belongs to."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    code = models.CharField(
        _("法院代字"), max_length=20, unique=True, help_text=_("如 赣 / 赣01 / 赣0102")
    )
    division_code = models.CharField(_("行政区划代码"), max_length=6)
    master_account_no = models.CharField(_("执行款专户账号"), max_length=40)
    master_account_bank = models.CharField(_("开户行"), max_length=100)
    master_account_name = models.CharField(_("户名"), max_length=100)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("法院")
        verbose_name_plural = _("法院")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    JUDGE = "judge", _("法官")
    OFFICER = "officer", _("执行员")
    BUREAU_HEAD = "bureau_head", _("执行局长/院领导")
    FINANCE = "finance", _("财务人员")
    BIDDER = "bidder", _("竞买人")
    APPRAISER = "appraiser", _("评估机构人员")
    PARTY = "party", _("当事人")
    OPERATOR = "operator", _("平台运营人员")


#: The languages a person can read the site and their messages in (``settings.LANGUAGES``).
LANGUAGE_CHOICES = [("zh-hans", _("简体中文")), ("en", _("English"))]

STAFF_ROLES = frozenset({Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD, Role.FINANCE})


class User(AbstractUser):
    """A person who signs in. Court staff belong to one court; others belong to none."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.BIDDER)
    court = models.ForeignKey(
        Court,
        verbose_name=_("所属法院"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # The language of the site and of every message to this person (issue 17): set by the
    # language switch and at sign-up; notifications are written in it (core.notifications).
    language = models.CharField(
        _("语言"), max_length=10, choices=LANGUAGE_CHOICES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="core_user_staff_has_court",
                condition=~models.Q(role__in=sorted(r.value for r in STAFF_ROLES))
                | models.Q(court__isnull=False),
                violation_error_message=_(
                    "法院工作人员（法官、执行员、执行局长、财务人员）须指定所属法院"
                ),
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_court_staff(self) -> bool:
        return self.role in STAFF_ROLES
