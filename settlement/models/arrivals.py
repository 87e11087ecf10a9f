"""Money that reaches the court other than by bank transfer to the master account (FND-07,
FND-09), payments made straight to the creditor (FND-05), and the monthly clearing of
unclaimed receipts (FND-08)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class Arrival(models.Model):
    """Cash at the counter, cash collected in the field, or an instrument (票据) handed in.

    Cash at the counter is credited at once with a receipt on the spot (FND-07). Field cash
    stays with the officers, who collected it together (FND-09), until finance takes it the
    same day. An instrument gets an interim voucher at once; when the money arrives the case
    is credited and the formal receipt is due within ``instrument_receipt_notice_days``.
    """

    class Method(models.TextChoices):
        CASH = "cash", _("现金（财务柜台）")
        FIELD_CASH = "field_cash", _("现场收取现金")
        INSTRUMENT = "instrument", _("票据")

    class Status(models.TextChoices):
        WITH_OFFICERS = "with_officers", _("执行人员保管，待交财务")
        INTERIM = "interim", _("已开临时收据，待票据兑付")
        CREDITED = "credited", _("已入案款账户")
        FORMAL_NOTIFIED = "formal_notified", _("已通知领取正式收据")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("方式"), max_length=12, choices=Method.choices)
    status = FSMField(_("状态"), max_length=16, choices=Status.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    payer_name = models.CharField(_("交款人"), max_length=200)
    received_at = models.DateTimeField(_("收取时间"))
    voucher_no = models.CharField(_("收据号"), max_length=40, unique=True)
    instrument_no = models.CharField(_("票据号"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # FND-09: who collected the cash and who signed the on-the-spot record (all present).
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("在场执行人员")
    )
    place = models.CharField(_("收取地点"), max_length=200, blank=True)
    handover_due_at = models.DateTimeField(_("交财务期限"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("交财务时间"), null=True, blank=True)
    handover_late_reason = models.TextField(_("逾期交付理由"), blank=True)
    handover_overdue = models.BooleanField(_("超过交付期限"), default=False)
    # FND-07 instrument: when the money arrived and the formal-receipt notice went out.
    cleared_at = models.DateTimeField(_("票据兑付时间"), null=True, blank=True)
    formal_notice_due_at = models.DateTimeField(_("正式收据通知期限"), null=True, blank=True)
    formal_notified_at = models.DateTimeField(_("正式收据通知时间"), null=True, blank=True)
    receipt = models.OneToOneField(
        "settlement.Receipt", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("现金及票据收款")
        verbose_name_plural = _("现金及票据收款")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="settlement_arrival_positive", condition=models.Q(amount_fen__gt=0)
            )
        ]

    def __str__(self) -> str:
        return self.voucher_no

    @transition(field=status, source=Status.WITH_OFFICERS, target=Status.CREDITED)
    def hand_over(self) -> None:
        """FND-09: finance took the field cash."""

    @transition(field=status, source=Status.INTERIM, target=Status.CREDITED)
    def clear(self) -> None:
        """FND-07: the instrument's money arrived."""

    @transition(field=status, source=Status.CREDITED, target=Status.FORMAL_NOTIFIED)
    def notify_formal(self) -> None:
        """FND-07: the payer was told to collect the formal receipt."""

    def can_notify_formal(self) -> bool:
        return self.method == self.Method.INSTRUMENT and self.status == self.Status.CREDITED


class DirectPayment(models.Model):
    """FND-05: the debtor paid the creditor directly; recorded, no money passes the court."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    creditor = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("金额（分）"))
    paid_at = models.DateTimeField(_("支付时间"))
    evidence = models.TextField(_("支付凭证说明"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("直接支付记录")
        verbose_name_plural = _("直接支付记录")
        ordering = ["-paid_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="settlement_directpayment_positive", condition=models.Q(amount_fen__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount_fen}"


class UnclaimedClearing(models.Model):
    """FND-08: the month's clearing of receipts still unclaimed after their claim period."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))  # the first day of the month cleared
    count = models.PositiveIntegerField(_("笔数"))
    total_fen = models.BigIntegerField(_("金额（分）"))
    items = models.JSONField(_("明细"), default=list)
    created_at = models.DateTimeField(_("清理时间"))

    class Meta:
        verbose_name = _("未认领款月度清理")
        verbose_name_plural = _("未认领款月度清理")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["court", "month"], name="settlement_clearing_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
