"""The creditor's advance of inquiry and appraisal fees (PRC-17, RPR 33)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FeeAdvance(models.Model):
    """The creditor advances the inquiry or appraisal fee (预交): cash received into the case
    account, from which the fee is paid; or an insurer's guarantee (保险公司担保) in its place.
    The debtor finally bears the fee: the distribution repays a cash advance to the creditor
    among the costs, before any claim."""

    class Kind(models.TextChoices):
        INQUIRY_FEE = "inquiry_fee", _("询价费")
        APPRAISAL_FEE = "appraisal_fee", _("评估费")

    class Form(models.TextChoices):
        CASH = "cash", _("申请执行人预交")
        GUARANTEE = "guarantee", _("保险公司担保")

    class Status(models.TextChoices):
        HELD = "held", _("已预交，待支付费用")
        APPLIED = "applied", _("已用于支付费用")
        GUARANTEED = "guaranteed", _("以担保代替预交")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("费用类别"), max_length=20, choices=Kind.choices)
    form = models.CharField(_("方式"), max_length=12, choices=Form.choices)
    creditor_ref = models.CharField(_("申请执行人引用"), max_length=100)
    creditor_name = models.CharField(_("申请执行人"), max_length=200)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    insurer = models.CharField(_("担保保险公司"), max_length=200, blank=True)
    guarantee_no = models.CharField(_("保函编号"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    charge = models.OneToOneField(
        "settlement.Charge",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="advance",
        verbose_name=_("所付费用"),
    )
    payout = models.ForeignKey(
        "settlement.Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=250, unique=True)
    received_at = models.DateTimeField(_("预交时间"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("费用预交")
        verbose_name_plural = _("费用预交")
        ordering = ["received_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="settlement_fee_advance_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_form_display()} {self.get_kind_display()} {self.amount_fen}"

    @property
    def ref(self) -> str:
        return f"case:{self.case_id}/fee_advance:{self.pk}"
