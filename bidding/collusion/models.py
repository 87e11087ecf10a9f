"""The records of collusion detection (issue 19, AUC-43, REC-05).

``ClientMark``: the hashed network address and browser of a registration, recorded once when
the bidder registers (never per bid: the bid path is untouched). Only keyed hashes are kept, so
the table shows who shared a network, never the address itself.

``CollusionCheck``: one per auction, the last assessment (its phase and score) and the queue
marker the worker reads (``pending``): the close only marks it, the worker assesses.

``CollusionFlag``: an auction whose score reached the court's threshold, with the evidence
(signals, bidder CODES, supporting records; never names or identity numbers, REC-05) and the
court's decision (dismissed with a reason, or referred for review / set-aside, AUC-43).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class ClientMark(models.Model):
    """Hashed client facts of one registration (keyed with the site secret; no raw address)."""

    registration = models.OneToOneField(
        "bidding.Registration", on_delete=models.CASCADE, related_name="client_mark"
    )
    network_hash = models.CharField(_("网络地址摘要"), max_length=64, blank=True, db_index=True)
    subnet_hash = models.CharField(_("网段摘要"), max_length=64, blank=True)
    device_hash = models.CharField(_("设备摘要"), max_length=64, blank=True, db_index=True)
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("报名终端摘要")
        verbose_name_plural = _("报名终端摘要")

    def __str__(self) -> str:
        return str(_("报名终端摘要"))


class CollusionCheck(models.Model):
    """The latest assessment of one auction, and the worker's queue marker."""

    class Phase(models.TextChoices):
        LIVE = "live", _("竞价中（快速信号）")
        PENDING = "pending", _("结束待评估")
        FINAL = "final", _("结束后评估")

    auction = models.OneToOneField(
        "bidding.Auction", on_delete=models.PROTECT, related_name="collusion_check"
    )
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices)
    score = models.PositiveIntegerField(_("风险分"), default=0)
    seen_seq = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(_("评估时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("串通风险评估")
        verbose_name_plural = _("串通风险评估")
        indexes = [models.Index(fields=["phase"])]

    def __str__(self) -> str:
        return f"{self.auction_id}: {self.phase} {self.score}"


class CollusionFlag(models.Model):
    """An auction flagged for the court: score, evidence (codes only) and the court's decision."""

    class State(models.TextChoices):
        OPEN = "open", _("待审查")
        DISMISSED = "dismissed", _("已排除串通")
        REFERRED = "referred", _("已移送审查/撤销程序")

    auction = models.OneToOneField(
        "bidding.Auction", on_delete=models.PROTECT, related_name="collusion_flag"
    )
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveIntegerField(_("风险分"))
    threshold = models.PositiveIntegerField(_("预警阈值"))
    signals = models.JSONField(_("信号与证据"), default=list)
    phase = models.CharField(_("评估阶段"), max_length=10, choices=CollusionCheck.Phase.choices)
    state = FSMField(_("状态"), max_length=12, choices=State.choices, default=State.OPEN)
    raised_at = models.DateTimeField(_("预警时间"))
    assessed_at = models.DateTimeField(_("最近评估时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_reason = models.TextField(_("处理理由"), blank=True)

    class Meta:
        verbose_name = _("串通风险预警")
        verbose_name_plural = _("串通风险预警")
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["court", "state"])]

    def __str__(self) -> str:
        return f"{self.auction_id}: {self.score}"

    @property
    def subject(self) -> str:
        return f"case:{self.auction.case_id}/auction:{self.auction_id}/collusion_flag:{self.pk}"

    @transition(field=state, source=State.OPEN, target=State.DISMISSED)
    def dismiss(self) -> None:
        """排除: the court found no collusion (reason recorded)."""

    @transition(field=state, source=State.OPEN, target=State.REFERRED)
    def refer(self) -> None:
        """移送: the court opens a review / set-aside (AUC-43)."""
