"""Appraisal fees (PRC-16/17), computed when the sale outcome is known and charged to the case."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from appraisers.models.commission import Commission
from appraisers.models.draw import AppraisalRequest
from appraisers.models.roster import Firm


class AppraisalFee(models.Model):
    """One firm's fee for one commission: the basis, the amount and where it stands."""

    class Basis(models.TextChoices):
        APPRAISAL_VALUE = "appraisal_value", _("按评估价计费（成交价高于评估价）")
        SALE_PRICE = "sale_price", _("按成交价计费（成交价低于评估价）")
        ACTUAL_COSTS = "actual_costs", _("按实际支出费用")
        REISSUE = "reissue", _("重新出具：原费用的30%")
        NONE = "none", _("不予支付")

    class Status(models.TextChoices):
        NONE = "none", _("无需支付")
        CHARGED = "charged", _("已计入案件费用，待支付")
        PAID = "paid", _("已支付")

    request = models.ForeignKey(AppraisalRequest, on_delete=models.PROTECT, related_name="fees")
    commission = models.OneToOneField(Commission, on_delete=models.PROTECT, related_name="fee")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="fees")
    outcome = models.CharField(_("处置结果"), max_length=20)
    sale_price_fen = models.BigIntegerField(_("成交价（分）"), null=True, blank=True)
    basis = models.CharField(_("计费依据"), max_length=20, choices=Basis.choices)
    basis_fen = models.BigIntegerField(_("计费基数（分）"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("费用（分）"))
    explanation = models.CharField(_("说明"), max_length=300)
    status = models.CharField(_("支付状态"), max_length=10, choices=Status.choices)
    charge_ref = models.CharField(_("案件费用标识"), max_length=200, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))
    charged_at = models.DateTimeField(_("计入时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    payment_reference = models.CharField(_("支付凭证"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("评估费")
        verbose_name_plural = _("评估费")
        ordering = ["-computed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="appraisers_fee_nonneg", condition=models.Q(amount_fen__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"评估费 #{self.pk} {self.firm}"
