"""A request to train a built-in valuation model, run by the worker (``pricing.train_models``).

Training takes seconds to minutes on a loaded machine, so a page never trains inside the
request: the roster keeper asks for it on 估价模型, the worker trains, the page shows the
outcome in words (the model's data set, or why it failed).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ValuationTrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("训练中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    preset = models.CharField(_("训练数据"), max_length=40)
    method = models.CharField(_("方法"), max_length=10)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The worker's lease: renewed while it trains; a run whose lease lapsed (the worker died)
    # is marked failed and can be asked for again (``valuation_training_runs_expire``).
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    message = models.TextField(_("结果"), blank=True)
    model = models.ForeignKey(
        "pricing.ValuationModel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.preset}/{self.method} {self.status}"
