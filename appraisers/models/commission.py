"""Commissions (委托) to a firm as a state machine, reports, court review, extensions, objections.

Transitions only change state; the services in ``appraisers.services`` hold the rules, the
deadlines, the audit entries and the notifications.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from appraisers.models.draw import AppraisalRequest, RankedFirm
from appraisers.models.roster import Firm
from cases.models import Party
from core.files import UploadTo

ACTIVE_STATES = ("offered", "accepted", "in_progress", "report_delivered", "under_review", "served")
WORKING_STATES = ("offered", "accepted", "in_progress")


def _inspected_or_reissue(instance: models.Model) -> bool:
    """``deliver``'s condition: a report follows the inspection, or is a reissue (PRC-12).

    django-fsm types a condition as taking any model, so the commission is narrowed here.
    """
    if not isinstance(instance, Commission):
        return False
    return instance.state == Commission.State.IN_PROGRESS or instance._is_reissue()


class Commission(models.Model):
    """A commission to one firm: offered → accepted → in progress → report delivered → served → final."""

    class State(models.TextChoices):
        OFFERED = "offered", _("已委托，待接受")
        ACCEPTED = "accepted", _("已接受委托")
        DECLINED = "declined", _("已拒绝委托")
        IN_PROGRESS = "in_progress", _("评估中（已现场勘验）")
        REPORT_DELIVERED = "report_delivered", _("报告已提交，待法院审查")
        UNDER_REVIEW = "under_review", _("法院审查：待机构说明或补正")
        SERVED = "served", _("报告已送达，异议期")
        FINAL = "final", _("评估结果已确定")
        LATE = "late", _("逾期未出具，已更换")
        REPLACED = "replaced", _("异议成立，已更换")
        CANCELLED = "cancelled", _("已撤销")

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("评估")
        REISSUE = "reissue", _("重新出具（有效期届满）")

    request = models.ForeignKey(
        AppraisalRequest, on_delete=models.PROTECT, related_name="commissions"
    )
    ranked = models.ForeignKey(
        RankedFirm, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="commissions")
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ORIGINAL)
    reissue_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reissues"
    )
    state = FSMField(_("状态"), default=State.OFFERED, choices=State.choices)
    materials = models.TextField(_("委托材料（标的物、特征、数量、用途、期限）"), blank=True)
    offered_at = models.DateTimeField(_("委托时间"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    declined_at = models.DateTimeField(_("拒绝时间"), null=True, blank=True)
    decline_reason = models.CharField(_("拒绝理由"), max_length=300, blank=True)
    report_due_at = models.DateTimeField(_("报告期限"), null=True, blank=True)
    extensions_granted = models.PositiveSmallIntegerField(_("已准许延期次数"), default=0)
    paused_at = models.DateTimeField(_("期限中止时间"), null=True, blank=True)
    pause_reason = models.CharField(_("中止原因"), max_length=300, blank=True)
    paused_days_total = models.PositiveIntegerField(_("累计中止日数"), default=0)
    inspection_at = models.DateTimeField(_("现场勘验时间"), null=True, blank=True)
    inspection_place = models.CharField(_("勘验地点"), max_length=300, blank=True)
    inspection_witness = models.CharField(_("见证人"), max_length=200, blank=True)
    inspection_attendees = models.CharField(_("到场当事人"), max_length=300, blank=True)
    inspection_note = models.TextField(_("勘验记录"), blank=True)
    delivered_at = models.DateTimeField(_("报告提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("法院审查通过时间"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("结果确定时间"), null=True, blank=True)
    ended_reason = models.CharField(_("终止原因"), max_length=300, blank=True)
    materials_return_due_at = models.DateTimeField(_("退回材料期限"), null=True, blank=True)
    materials_returned_at = models.DateTimeField(_("材料退回时间"), null=True, blank=True)
    fee_forfeited = models.BooleanField(_("不予支付评估费"), default=False)
    actual_costs_fen = models.BigIntegerField(_("实际支出费用（分）"), null=True, blank=True)
    actual_costs_note = models.CharField(_("实际费用说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("委托评估")
        verbose_name_plural = _("委托评估")
        ordering = ["-offered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="appraisers_commission_costs_nonneg",
                condition=models.Q(actual_costs_fen__isnull=True)
                | models.Q(actual_costs_fen__gte=0),
            )
        ]

    def __str__(self) -> str:
        return str(_("委托 #%(pk)s %(firm)s") % {"pk": self.pk, "firm": self.firm})

    @property
    def subject(self) -> str:
        return f"case:{self.request.case_id}/appraisal:{self.request_id}/commission:{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def current_report(self) -> Report | None:
        return self.reports.filter(is_current=True).order_by("-version").first()

    def _is_reissue(self) -> bool:
        return self.kind == self.Kind.REISSUE

    # --- transitions (state only; no I/O) ---
    @transition(field=state, source=State.OFFERED, target=State.ACCEPTED)
    def accept(self) -> None:
        """接受委托."""

    @transition(field=state, source=State.OFFERED, target=State.DECLINED)
    def decline(self) -> None:
        """拒绝委托 (APR-05): the next-ranked firm is commissioned."""

    @transition(field=state, source=State.ACCEPTED, target=State.IN_PROGRESS)
    def inspect(self) -> None:
        """现场勘验 recorded (APR-06)."""

    @transition(
        field=state,
        source=[State.IN_PROGRESS, State.ACCEPTED],
        target=State.REPORT_DELIVERED,
        conditions=[_inspected_or_reissue],
    )
    def deliver(self) -> None:
        """报告提交 (APR-07); a reissue needs no new inspection (PRC-12)."""

    @transition(field=state, source=State.REPORT_DELIVERED, target=State.UNDER_REVIEW)
    def ask_explanation(self) -> None:
        """法院审查：须说明或补正 (APR-11)."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.REPORT_DELIVERED)
    def answer_review(self) -> None:
        """机构说明或补正后回到法院审查."""

    @transition(field=state, source=State.REPORT_DELIVERED, target=State.SERVED)
    def approve(self) -> None:
        """法院审查通过，送达当事人 (PRC-10)."""

    @transition(field=state, source=State.SERVED, target=State.FINAL)
    def finalize(self) -> None:
        """结果确定 (APR-15)."""

    @transition(field=state, source=list(WORKING_STATES), target=State.LATE)
    def mark_late(self) -> None:
        """逾期未出具 (APR-09)."""

    @transition(
        field=state,
        source=[State.REPORT_DELIVERED, State.UNDER_REVIEW, State.SERVED],
        target=State.REPLACED,
    )
    def replace(self) -> None:
        """异议成立（评估人员不具备资质或程序严重违法）后更换 (APR-13)."""

    @transition(field=state, source=list(ACTIVE_STATES), target=State.CANCELLED)
    def cancel(self) -> None:
        """撤销委托（申请撤回等）."""


class ExtensionRequest(models.Model):
    """A written request to extend the report deadline (APR-08), decided by the judge."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待决定")
        APPROVED = "approved", _("已准许")
        REFUSED = "refused", _("不予准许")

    commission = models.ForeignKey(Commission, on_delete=models.PROTECT, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长日数"))
    reason = models.TextField(_("理由"))
    requested_at = models.DateTimeField(_("申请时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_at_when_requested = models.DateTimeField(_("申请时的报告期限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.CharField(_("决定理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["commission", "requested_at"]

    def __str__(self) -> str:
        return f"延期申请 #{self.pk}（{self.days}日）"


class Report(models.Model):
    """One version of an appraisal report (APR-04): facts, method, standards, result, validity."""

    class Source(models.TextChoices):
        INITIAL = "initial", _("评估报告")
        REVIEW_CORRECTION = "review_correction", _("审查补正报告（APR-11）")
        OBJECTION_CORRECTION = "objection_correction", _("异议补正报告（APR-13）")
        EXPERT_CORRECTION = "expert_correction", _("专业技术评审后补正报告")
        REISSUE = "reissue", _("重新出具报告（PRC-12）")

    commission = models.ForeignKey(Commission, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveSmallIntegerField(_("版本"))
    source = models.CharField(_("类型"), max_length=30, choices=Source.choices)
    file = models.FileField(
        _("报告文件（PDF）"), upload_to=UploadTo("appraisers/reports"), db_index=True
    )
    file_sha256 = models.CharField(_("文件哈希"), max_length=64)
    file_size = models.PositiveIntegerField(_("文件大小（字节）"))
    amount_fen = models.BigIntegerField(_("评估结果（分）"))
    value_date = models.DateField(_("评估基准日"))
    valid_until = models.DateField(_("有效期至"))
    facts = models.TextField(_("基本事实"))
    method = models.CharField(_("评估方法"), max_length=200)
    standards = models.CharField(_("评估依据/准则"), max_length=300)
    signing_firm_name = models.CharField(_("出具机构"), max_length=200)
    signing_firm_licence = models.CharField(_("出具机构资质证书编号"), max_length=60)
    signer_licences = models.JSONField(_("签字评估师执业证书编号"), default=list)
    uploaded_at = models.DateTimeField(_("提交时间"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    is_current = models.BooleanField(_("现行版本"), default=True)

    class Meta:
        verbose_name = _("评估报告")
        verbose_name_plural = _("评估报告")
        ordering = ["commission", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["commission", "version"], name="appraisers_report_version"
            ),
            models.CheckConstraint(
                name="appraisers_report_amount_pos", condition=models.Q(amount_fen__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} v{self.version}"

    @property
    def objectionable(self) -> bool:
        """APR-14: corrections made in answer to an objection or after expert review are final."""
        return self.source not in (self.Source.OBJECTION_CORRECTION, self.Source.EXPERT_CORRECTION)


class ReviewRequest(models.Model):
    """Court review (APR-11): the firm explains or corrects within 3 days."""

    class Ground(models.TextChoices):
        FACTS = "facts", _("基本事实错误")
        SCOPE = "scope", _("超出或遗漏财产范围")
        SIGNING_FIRM = "signing_firm", _("出具机构与委托机构不一致")
        LICENCE = "licence", _("资质或执业证书不符")

    class Answer(models.TextChoices):
        EXPLANATION = "explanation", _("书面说明")
        CORRECTION = "correction", _("补正报告")

    commission = models.ForeignKey(Commission, on_delete=models.PROTECT, related_name="reviews")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="reviews")
    grounds = models.JSONField(_("审查事由"))
    note = models.TextField(_("审查意见"))
    requested_at = models.DateTimeField(_("要求时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("答复期限"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer_kind = models.CharField(_("答复方式"), max_length=20, choices=Answer.choices, blank=True)
    explanation = models.TextField(_("说明"), blank=True)
    corrected_report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("法院审查")
        verbose_name_plural = _("法院审查")
        ordering = ["commission", "requested_at"]

    def __str__(self) -> str:
        return f"法院审查 #{self.pk}"


class Objection(models.Model):
    """A party's objection (异议) to an appraisal report (APR-12..15)."""

    class Ground(models.TextChoices):
        FACTS = "facts", _("（一）财产基本信息错误")
        SCOPE = "scope", _("（二）超出或遗漏财产范围")
        UNQUALIFIED = "unqualified", _("（三）评估人员不具备相应资质")
        PROCEDURE = "procedure", _("（四）评估程序严重违法")
        STANDARD = "standard", _("评估依据/准则")
        METHOD = "method", _("评估方法")
        RESULT = "result", _("评估结果")

    class Target(models.TextChoices):
        REPORT = "report", _("评估报告")
        CORRECTION = "correction", _("补正报告")
        EXPLANATION = "explanation", _("评估机构的说明")
        EXPERT_CONCLUSION = "expert_conclusion", _("专业技术评审意见")

    class Status(models.TextChoices):
        REFUSED = "refused", _("不予受理")
        PROCEDURAL = "procedural", _("程序事由待法院审查")
        TO_FORWARD = "to_forward", _("待转交评估机构")
        FORWARDED = "forwarded", _("已转交，待机构答复")
        ANSWERED = "answered", _("机构已答复，待异议人表态")
        EXPERT_REVIEW = "expert_review", _("专业技术评审中")
        AWAITING_CORRECTION = "awaiting_correction", _("待机构按评审意见补正")
        CLOSED = "closed", _("已办结")

    class Outcome(models.TextChoices):
        REFUSED = "refused", _("不予受理")
        REJECTED = "rejected", _("驳回")
        UPHELD_REPLACED = "upheld_replaced", _("成立，更换机构重新评估")
        SATISFIED = "satisfied", _("异议人接受说明")
        CORRECTED = "corrected", _("机构已补正")
        EXPERT_NO_NEGATIVE = "expert_no_negative", _("评审未发现问题，维持原结果")
        EXPERT_CORRECTED = "expert_corrected", _("按评审意见补正")
        SUPERVISION = "supervision", _("转执行监督")

    commission = models.ForeignKey(Commission, on_delete=models.PROTECT, related_name="objections")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="objections")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("提出时间"))
    target = models.CharField(
        _("异议对象"), max_length=20, choices=Target.choices, default=Target.REPORT
    )
    grounds = models.JSONField(_("异议事由"))
    text = models.TextField(_("异议内容"))
    fraud_alleged = models.BooleanField(_("主张欺诈、胁迫、恶意串通等"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, blank=True)
    refusal_reason = models.CharField(_("不予受理理由"), max_length=300, blank=True)
    procedural_upheld = models.BooleanField(_("程序事由成立"), null=True, blank=True)
    procedural_reason = models.TextField(_("程序事由审查意见"), blank=True)
    procedural_decided_at = models.DateTimeField(_("程序事由决定时间"), null=True, blank=True)
    forwarded_at = models.DateTimeField(_("转交时间"), null=True, blank=True)
    answer_text = models.TextField(_("机构答复"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    corrected_report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    objector_satisfied = models.BooleanField(_("异议人是否接受"), null=True, blank=True)
    expert_body = models.CharField(_("评审机构（行业协会）"), max_length=200, blank=True)
    expert_started_at = models.DateTimeField(_("评审开始"), null=True, blank=True)
    expert_due_at = models.DateTimeField(_("评审期限"), null=True, blank=True)
    expert_conclusion = models.TextField(_("评审意见"), blank=True)
    expert_negative = models.BooleanField(_("评审认为结果有误"), null=True, blank=True)
    expert_concluded_at = models.DateTimeField(_("评审完成"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    PROCEDURAL_GROUNDS = frozenset({Ground.UNQUALIFIED, Ground.PROCEDURE})
    SUBSTANTIVE_GROUNDS = frozenset(
        {Ground.FACTS, Ground.SCOPE, Ground.STANDARD, Ground.METHOD, Ground.RESULT}
    )

    class Meta:
        verbose_name = _("评估异议")
        verbose_name_plural = _("评估异议")
        ordering = ["commission", "filed_at"]

    def __str__(self) -> str:
        return f"异议 #{self.pk}"

    @property
    def subject(self) -> str:
        return f"{self.commission.subject}/objection:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.REFUSED, self.Status.CLOSED)

    @property
    def procedural(self) -> bool:
        return bool(set(self.grounds) & self.PROCEDURAL_GROUNDS)

    @property
    def substantive(self) -> bool:
        return bool(set(self.grounds) & self.SUBSTANTIVE_GROUNDS)

    def grounds_display(self) -> list[str]:
        labels = dict(self.Ground.choices)
        return [str(labels.get(g, g)) for g in self.grounds]
