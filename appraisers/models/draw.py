"""Appraisal requests, the parties' agreement (APR-02) and the verifiable lot draw (摇号, APR-03)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from appraisers.models.roster import Firm, RosterEntry
from cases.models import Asset, Case, Party


class AppraisalRequest(models.Model):
    """One entrusted appraisal asked for by pricing (or a judge), keyed by ``procedure_ref``."""

    class Status(models.TextChoices):
        AGREEMENT = "agreement", _("当事人协商选定中")
        DRAW = "draw", _("待摇号")
        COMMISSIONED = "commissioned", _("委托评估中")
        FIXED = "fixed", _("评估结果已确定")
        FAILED = "failed", _("评估未能完成")
        WITHDRAWN = "withdrawn", _("已撤回")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    procedure_ref = models.CharField(_("定价程序标识"), max_length=200, unique=True)
    purpose = models.CharField(_("评估目的"), max_length=300)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.AGREEMENT
    )
    round = models.PositiveIntegerField(_("选定轮次"), default=1)
    agreement_deadline = models.DateTimeField(_("协商选定截止时间"), null=True, blank=True)
    agreement_skip_reason = models.CharField(_("不经协商理由"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    failed_reason = models.CharField(_("未能完成原因"), max_length=300, blank=True)
    withdrawn_reason = models.CharField(_("撤回原因"), max_length=300, blank=True)
    # APR-14: a late objection alleging fraud goes to supervision only if raised before the
    # first auction announcement (or direct sale); pricing records that moment here.
    first_announced_at = models.DateTimeField(_("首次拍卖公告时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("委托评估申请")
        verbose_name_plural = _("委托评估申请")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case} / {self.asset}"

    @property
    def subject(self) -> str:
        return f"case:{self.case_id}/appraisal:{self.pk}"

    @property
    def stream(self) -> str:
        return f"case:{self.case_id}"


class AgreementSubmission(models.Model):
    """A party's answer in the agreement window (APR-02): three firms in order, a sub-roster, or no."""

    class Choice(models.TextChoices):
        FIRMS = "firms", _("协商选定三家机构")
        ROSTER = "roster", _("请求在指定名单分库摇号")
        REFUSE = "refuse", _("不同意协商")

    request = models.ForeignKey(
        AppraisalRequest, on_delete=models.CASCADE, related_name="submissions"
    )
    round = models.PositiveIntegerField(_("轮次"))
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("选择"), max_length=10, choices=Choice.choices)
    firm_ids = models.JSONField(_("机构（按顺序）"), default=list, blank=True)
    roster_level = models.CharField(
        _("分库层级"), max_length=10, choices=RosterEntry.Level.choices, blank=True
    )
    roster_division_code = models.CharField(_("分库区划代码"), max_length=6, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("协商选定意见")
        verbose_name_plural = _("协商选定意见")
        ordering = ["request", "round", "party"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "round", "party"], name="appraisers_submission_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.get_choice_display()}"


class LotDraw(models.Model):
    """One lot draw: frozen list → commitments (or a public value) → reveals → seed → ranking."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已定摇号时间")
        FROZEN = "frozen", _("名单已冻结公布")
        DONE = "done", _("摇号完成")
        CANCELLED = "cancelled", _("已取消")

    class SeedMode(models.TextChoices):
        COMMIT_REVEAL = "commit_reveal", _("承诺—揭示（法院与当事人）")
        PUBLIC_VALUE = "public_value", _("冻结后产生的公开随机值")

    request = models.ForeignKey(AppraisalRequest, on_delete=models.PROTECT, related_name="draws")
    round = models.PositiveIntegerField(_("轮次"))
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    specialty = models.CharField(_("专业类别"), max_length=20, choices=Asset.Kind.choices)
    roster_level = models.CharField(
        _("分库层级"), max_length=10, choices=RosterEntry.Level.choices, blank=True
    )
    roster_division_code = models.CharField(_("分库区划代码"), max_length=6, blank=True)
    roster_basis = models.CharField(_("分库依据"), max_length=200, blank=True)
    seed_mode = models.CharField(_("随机源"), max_length=20, choices=SeedMode.choices)
    scheduled_at = models.DateTimeField(_("摇号时间"))
    commit_deadline = models.DateTimeField(_("承诺截止时间"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("名单冻结时间"), null=True, blank=True)
    frozen_list = models.JSONField(_("冻结名单"), null=True, blank=True)
    list_hash = models.CharField(_("名单哈希"), max_length=64, blank=True)
    public_value = models.CharField(_("公开随机值"), max_length=200, blank=True)
    public_value_source = models.CharField(_("公开随机值来源"), max_length=300, blank=True)
    public_value_fixed_at = models.DateTimeField(_("公开随机值产生时间"), null=True, blank=True)
    seed = models.CharField(_("种子"), max_length=64, blank=True)
    algorithm_version = models.CharField(_("算法版本"), max_length=40, blank=True)
    result = models.JSONField(_("摇号结果（机构 id 按顺序）"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("摇号完成时间"), null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("摇号")
        verbose_name_plural = _("摇号")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return str(_("摇号 #%(pk)s") % {"pk": self.pk})

    @property
    def subject(self) -> str:
        return f"case:{self.request.case_id}/appraisal:{self.request_id}/draw:{self.pk}"

    @property
    def group_name(self) -> str:
        return f"appraisers.draw.{self.pk}"


class DrawExclusion(models.Model):
    """A firm of the sub-roster left out of the frozen list, with its published reason."""

    class Reason(models.TextChoices):
        SUSPENDED = "suspended", _("暂停")
        REMOVED = "removed", _("除名（五年内不得摇中）")
        CONFLICT = "conflict", _("与当事人存在利害关系")
        WORKLOAD = "workload", _("在办委托达到上限")
        PREVIOUS_ROUND = "previous_round", _("前轮选定后未能完成")
        COURT = "court", _("法院决定回避")

    draw = models.ForeignKey(LotDraw, on_delete=models.CASCADE, related_name="exclusions")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    firm_name = models.CharField(_("机构名称"), max_length=200)
    reason_code = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    reason = models.CharField(_("说明"), max_length=300)

    class Meta:
        verbose_name = _("摇号排除")
        verbose_name_plural = _("摇号排除")
        ordering = ["draw", "firm_id", "reason_code"]

    def __str__(self) -> str:
        return f"{self.firm_name}：{self.reason}"


class DrawCommitment(models.Model):
    """A participant's commitment sha256(secret), and later the secret itself (reveal)."""

    draw = models.ForeignKey(LotDraw, on_delete=models.CASCADE, related_name="commitments")
    participant_ref = models.CharField(_("参与方"), max_length=60)
    participant_label = models.CharField(_("参与方名称"), max_length=100)
    commitment = models.CharField(_("承诺值 sha256"), max_length=64)
    committed_at = models.DateTimeField(_("承诺时间"))
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    secret = models.CharField(_("揭示值"), max_length=200, blank=True)
    revealed_at = models.DateTimeField(_("揭示时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("摇号承诺")
        verbose_name_plural = _("摇号承诺")
        ordering = ["draw", "participant_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "participant_ref"], name="appraisers_commitment_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_label} {self.commitment[:12]}…"


class RankedFirm(models.Model):
    """One of the (up to) three firms of a round, in order, from the agreement or the draw."""

    class Source(models.TextChoices):
        AGREEMENT = "agreement", _("当事人协商选定")
        DRAW = "draw", _("摇号")

    request = models.ForeignKey(AppraisalRequest, on_delete=models.CASCADE, related_name="ranked")
    round = models.PositiveIntegerField(_("轮次"))
    rank = models.PositiveSmallIntegerField(_("顺序"))
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    draw = models.ForeignKey(
        LotDraw, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("选定机构")
        verbose_name_plural = _("选定机构")
        ordering = ["request", "round", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "round", "rank"], name="appraisers_ranked_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(
            _("第%(round)s轮第%(rank)s顺位 %(firm)s")
            % {"round": self.round, "rank": self.rank, "firm": self.firm}
        )
