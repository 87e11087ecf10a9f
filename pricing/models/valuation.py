"""Stored valuation models: one fitted pipeline per asset class and method, with provenance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ValuationModel(models.Model):
    """A trained valuation model (joblib file under ``var/models/``).

    Carries what a reader of a report needs to judge it: the data it learned from, the
    currency of its prices, the hold-out kind (time-ordered or random), the metrics and the
    library versions it was fitted with (a mismatch at load is refused, NOTES.md).
    """

    class Split(models.TextChoices):
        TIME = "time", _("按时间划分（以较早成交训练、较晚成交检验）")
        RANDOM = "random", _("随机划分（数据无成交日期）")

    asset_class = models.CharField(_("资产类别"), max_length=30)
    method = models.CharField(_("方法"), max_length=20)
    version = models.PositiveIntegerField(_("版本"))
    file = models.CharField(_("模型文件"), max_length=300)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64)
    created_at = models.DateTimeField(_("训练时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dataset = models.CharField(_("训练数据"), max_length=200)
    dataset_note = models.TextField(_("数据说明（来源、许可）"), blank=True)
    data_fingerprint = models.CharField(_("训练数据指纹"), max_length=64)
    rows = models.PositiveIntegerField(_("样本数"))
    currency = models.CharField(_("价格币种"), max_length=3)
    area_unit = models.CharField(_("面积单位"), max_length=10, blank=True)
    region = models.CharField(_("数据所在地区"), max_length=100, blank=True)
    split = models.CharField(_("检验方式"), max_length=10, choices=Split.choices)
    split_note = models.CharField(_("划分说明"), max_length=200, blank=True)
    features = models.JSONField(_("所需特征"), default=list)
    metrics = models.JSONField(_("检验指标"), default=dict)
    library_versions = models.JSONField(_("库版本"), default=dict)
    interval_level = models.DecimalField(_("预测区间水平"), max_digits=4, decimal_places=3)
    is_active = models.BooleanField(_("启用"), default=False)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    activation_note = models.TextField(_("启用说明"), blank=True)

    class Meta:
        verbose_name = _("估价模型")
        verbose_name_plural = _("估价模型")
        ordering = ["asset_class", "method", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset_class", "method", "version"], name="pricing_model_version"
            ),
            models.UniqueConstraint(
                fields=["asset_class", "method"],
                condition=models.Q(is_active=True),
                name="pricing_model_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_class}/{self.method} v{self.version}（{self.dataset}）"
