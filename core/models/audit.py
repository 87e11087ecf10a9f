"""The audit trail (REC-06..08): append-only entries, hash-chained per stream."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditStream(models.Model):
    """The head of one chain ("case:12", "auction:7", "system:settings").

    Appending locks only this row, so bids of different auctions never wait on each other.
    """

    name = models.CharField(max_length=120, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")
    #: HMAC of (name, last_seq, last_hash) under key ``key_id``: a head moved back over a
    #: deleted tail needs the key (core.audit.head_mac).
    mac = models.CharField(max_length=64, default="")
    key_id = models.CharField(max_length=32, default="")

    class Meta:
        verbose_name = _("审计流")
        verbose_name_plural = _("审计流")

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """One recorded fact: who (actor, role), did what, to which subject, when, why, before/after."""

    stream = models.CharField(_("流"), max_length=120, db_index=True)
    seq = models.BigIntegerField(_("序号"))
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    actor_role = models.CharField(_("角色"), max_length=20, blank=True)
    action = models.CharField(_("动作"), max_length=80)
    subject = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    rule_ids = models.CharField(_("规则"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    #: HMAC-SHA256 of the entry and ``prev_hash`` under the key ``key_id`` (GAVEL_AUDIT_KEY).
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32, default="")

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["stream", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="core_audit_stream_seq")
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.action}"


class AuditAnchor(models.Model):
    """A signed record of every stream's head at one time (core.audit.audit_anchor).

    Also written to a file to be published outside the system: a later rewrite of any entry
    up to an anchored head, even by someone holding the key, no longer matches it.
    Append-only."""

    at = models.DateTimeField(_("时间"))
    key_id = models.CharField(max_length=32)
    heads = models.JSONField(_("各流末端"))  # {stream: [seq, hash]}
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    signature = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计锚定")
        verbose_name_plural = _("审计锚定")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"anchor {self.at:%Y-%m-%d %H:%M} {self.digest[:12]}"


class AccessLog(models.Model):
    """Every read of restricted data (identity numbers, bidder identities): REC-05, REC-08."""

    at = models.DateTimeField(_("时间"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=20)
    subject = models.CharField(_("对象"), max_length=200)
    field = models.CharField(_("字段"), max_length=80)
    purpose = models.CharField(_("用途"), max_length=200)

    class Meta:
        verbose_name = _("受限数据访问记录")
        verbose_name_plural = _("受限数据访问记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.subject}.{self.field}"
