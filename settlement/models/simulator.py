"""The local bank simulator's own books: it plays the payment provider for the demo and tests.

It keeps its own record of payments and money movements (from which it prints daily
statements) and a queue of signed webhooks it delivers to the engine, like Adyen does.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SimPayment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        AUTHORISED = "authorised", _("已冻结")
        CAPTURED = "captured", _("已扣款")
        CANCELLED = "cancelled", _("已解冻")
        REFUNDED = "refunded", _("已退款")
        FAILED = "failed", _("失败")

    court_id_ref = models.BigIntegerField()
    merchant_reference = models.CharField(max_length=80, unique=True)
    psp_reference = models.CharField(max_length=40, blank=True)
    token = models.CharField(max_length=60, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    manual_capture = models.BooleanField()
    description = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    captured_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("模拟银行支付")
        verbose_name_plural = _("模拟银行支付")

    def __str__(self) -> str:
        return f"{self.merchant_reference} {self.status}"


class SimEntry(models.Model):
    """A money movement on the simulated account: one line of its daily statement."""

    court_id_ref = models.BigIntegerField(db_index=True)
    at = models.DateTimeField(db_index=True)
    psp_reference = models.CharField(max_length=40)
    merchant_reference = models.CharField(max_length=80)
    event_code = models.CharField(max_length=40)
    amount_minor = models.BigIntegerField()  # + money in for the court, − money out
    currency = models.CharField(max_length=3)

    class Meta:
        verbose_name = _("模拟银行流水")
        verbose_name_plural = _("模拟银行流水")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.psp_reference} {self.event_code} {self.amount_minor}"


class SimWebhook(models.Model):
    body = models.JSONField()
    deliver_after = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("模拟银行回调")
        verbose_name_plural = _("模拟银行回调")

    def __str__(self) -> str:
        return f"webhook {self.pk}"
