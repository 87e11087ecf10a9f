"""Issued court documents (issue 16): numbered, sealed, append-only; the queue that issues them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Document(models.Model):
    """One sealed PDF as issued: never changed; a correction is a new row naming this one.

    The table is append-only (PostgreSQL trigger, ``core.dbutil.append_only``); the PDF's
    SHA-256 is recorded in the case's audit stream when the row is written (REC-06).
    """

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(_("文书类型"), max_length=60, db_index=True)
    title = models.CharField(_("文书名称"), max_length=100)
    year = models.PositiveIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    number = models.CharField(_("文书编号"), max_length=120)
    corrects = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
        verbose_name=_("更正的版本"),
    )
    subject = models.CharField(_("对象"), max_length=200, db_index=True)
    subject_label = models.CharField(_("对象名称"), max_length=300, blank=True)
    stream = models.CharField(_("审计流"), max_length=80)
    public = models.BooleanField(_("公开"), default=False)
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="readable_documents"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    code = models.CharField(_("核验码"), max_length=16, unique=True)
    pdf = models.BinaryField(_("PDF"))
    size = models.PositiveIntegerField(_("大小（字节）"))
    cert_serial = models.CharField(_("签章证书序列号"), max_length=64)
    cert_subject = models.CharField(_("签章证书主体"), max_length=300)
    reason = models.CharField(_("更正原因"), max_length=300, blank=True)
    issued_at = models.DateTimeField(_("出具时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("法律文书")
        verbose_name_plural = _("法律文书")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["court", "doc_type", "year", "seq", "version"], name="document_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    @property
    def ref(self) -> str:
        return f"document:{self.pk}"


class DocumentCounter(models.Model):
    """The last number given per court, type and year (locked while a number is taken)."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(max_length=60)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["court", "doc_type", "year"], name="document_counter_one"
            )
        ]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.year}: {self.last}"


class DocumentRequest(models.Model):
    """A document to issue, queued by an event handler (cheap) and issued by the worker."""

    class State(models.TextChoices):
        PENDING = "pending", _("待出具")
        DONE = "done", _("已出具")
        FAILED = "failed", _("失败")

    key = models.CharField(max_length=200, unique=True)
    doc_type = models.CharField(max_length=60)
    subject = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.subject} ({self.state})"
