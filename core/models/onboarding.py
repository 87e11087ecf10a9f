"""Sign-up codes (one-time codes sent to a mobile number or e-mail address) and enrolment
links (one-time links that set a new staff member's password and bind the second factor)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignupCode(models.Model):
    """One request for a sign-up code. Stored hashed; a request for an address that already
    has an account is recorded too (``notice_only``: no code was sent, a notice was), so the
    limits count every request alike and nobody can tell the two apart (no enumeration)."""

    identifier = models.CharField(_("手机号或邮箱"), max_length=254, db_index=True)
    code_hash = models.CharField(max_length=128, blank=True)
    notice_only = models.BooleanField(default=False)
    ip = models.CharField(_("IP 地址"), max_length=45, db_index=True)
    created_at = models.DateTimeField(_("请求时间"))
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.IntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("注册验证码")
        verbose_name_plural = _("注册验证码")
        indexes = [models.Index(fields=["identifier", "created_at"])]

    def __str__(self) -> str:
        return f"signup code #{self.pk}"


class EnrolmentLink(models.Model):
    """A one-time, expiring link for one person: sets the password (unless the account
    already has one, ``sets_password`` off) and binds the TOTP second factor (REC-14)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    sets_password = models.BooleanField(default=True)
    created_at = models.DateTimeField(_("发放时间"))
    expires_at = models.DateTimeField(_("过期时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    failed_attempts = models.IntegerField(_("错误次数"), default=0)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("启用链接")
        verbose_name_plural = _("启用链接")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"enrolment link #{self.pk}"
