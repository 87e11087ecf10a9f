"""Per-court rule settings (RULES.md §8), with national defaults in code (core.rulesettings)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleSetting(models.Model):
    """A court's override of one setting. No row → the national default."""

    court = models.ForeignKey("core.Court", null=True, blank=True, on_delete=models.PROTECT)
    key = models.CharField(_("参数"), max_length=80)
    value = models.JSONField(_("取值"))
    changed_at = models.DateTimeField(_("修改时间"))
    reason = models.TextField(_("理由"))

    class Meta:
        verbose_name = _("规则参数")
        verbose_name_plural = _("规则参数")
        constraints = [
            models.UniqueConstraint(fields=["court", "key"], name="core_rulesetting_court_key"),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(court__isnull=True),
                name="core_rulesetting_national_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court_id or 'national'}:{self.key}={self.value}"
