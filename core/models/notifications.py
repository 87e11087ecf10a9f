"""The notification outbox, the site inbox (REC-11) and legal service records (REC-10)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One message to one person through one channel, written in the sender's transaction."""

    class Channel(models.TextChoices):
        INBOX = "inbox", _("站内信")
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    key = models.CharField(_("去重键"), max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A message to a number or address with no account behind it (a sign-up code); the
    # channel sends here instead of the recipient's phone or e-mail.
    address = models.CharField(_("收件地址"), max_length=254, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    topic = models.CharField(_("事项"), max_length=80)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    # The language the subject and body were written in: the recipient's (issue 17).
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.IntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} {self.topic}"  # no recipient: admin titles (REC-05)


class InboxMessage(models.Model):
    """The site inbox: what a person sees under 消息 after signing in."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox"
    )
    outbox = models.OneToOneField(
        OutboxMessage, on_delete=models.PROTECT, related_name="inbox_message"
    )
    topic = models.CharField(_("事项"), max_length=80)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class NotificationOptOut(models.Model):
    """A person's unsubscribe from one topic on one channel (never for legal notices)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=80)
    channel = models.CharField(max_length=10, choices=OutboxMessage.Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic", "channel"], name="core_optout_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ✕ {self.topic}/{self.channel}"


class ServiceRecord(models.Model):
    """Service (送达) of one legal document on one recipient (REC-10).

    Served when a receipt, a written waiver or a deemed-service date is reached.
    """

    class Method(models.TextChoices):
        ELECTRONIC = "electronic", _("电子送达")
        POST = "post", _("邮寄送达")
        IN_PERSON = "in_person", _("直接送达")
        PLATFORM_PUBLICATION = "platform_publication", _("网络平台公示")
        ENFORCEMENT_INFO_PUBLICATION = "info_publication", _("中国执行信息公开网公示")
        WAIVER = "waiver", _("书面放弃")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT)
    subject = models.CharField(_("案件/事项"), max_length=200, db_index=True)
    document = models.CharField(_("文书"), max_length=200)
    document_kind = models.CharField(_("文书类型"), max_length=60)
    recipient_ref = models.CharField(_("受送达人标识"), max_length=200, db_index=True)
    recipient_name = models.CharField(_("受送达人"), max_length=200)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
    )
    method = models.CharField(_("送达方式"), max_length=30, choices=Method.choices)
    sent_at = models.DateTimeField(_("发出时间"))
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    proof = models.CharField(_("送达凭证"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    unreachable_reason = models.TextField(_("无法送达原因"), blank=True)
    deemed_days = models.IntegerField(_("视为送达天数"), null=True, blank=True)
    deemed_at = models.DateTimeField(_("视为送达时间"), null=True, blank=True)
    #: When the evidence that makes the record count (the record itself, or the receipt added
    #: later) was entered: a date typed in cannot make service earlier than the court knew it
    #: (AUC-10, ``core.service.recipient_served_at(as_recorded=True)``). Null on older rows.
    proof_recorded_at = models.DateTimeField(_("送达证明记录时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.document} → {self.recipient_name}"
