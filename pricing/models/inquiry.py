"""Online inquiry (网络询价): the platform roster, inquiries, reports, deliveries, objections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pricing.models.procedure import PricingProcedure, PricingStep


class InquiryPlatform(models.Model):
    """One entry of the inquiry-platform roster (司法网络询价平台名单库, PRC-18).

    ``adapter`` says how we talk to it: ``builtin`` (our own valuation model, in-process,
    ``config = {"method": "gbm"|"knn"}``) or ``http`` (the signed JSON contract of
    docs/pricing.md, ``config = {"url": ...}`` and ``secret``).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("在库")
        FLAGGED = "flagged", _("逾期达限，待名单库管理人决定")
        REMOVED = "removed", _("已除名")

    class Adapter(models.TextChoices):
        BUILTIN = "builtin", _("内置估价模型")
        HTTP = "http", _("外部平台（HTTP 接口）")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    adapter = models.CharField(_("接入方式"), max_length=10, choices=Adapter.choices)
    config = models.JSONField(_("接入配置"), default=dict, blank=True)
    secret = models.CharField(_("共享密钥"), max_length=200, blank=True)
    price_data_kinds = models.JSONField(_("价格数据种类"), default=list, blank=True)
    retention_years = models.PositiveIntegerField(_("数据保存年限"), default=10)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    flagged_at = models.DateTimeField(_("标记时间"), null=True, blank=True)
    removed_at = models.DateTimeField(_("除名时间"), null=True, blank=True)
    removal_reason = models.TextField(_("除名理由"), blank=True)
    barred_until = models.DateTimeField(_("禁入期至"), null=True, blank=True)
    admitted_at = models.DateTimeField(_("入库时间"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("询价平台")
        verbose_name_plural = _("询价平台名单库")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class PlatformLateness(models.Model):
    """One late (or missing) report of a platform; unexcused ones count toward the PRC-18 flag."""

    platform = models.ForeignKey(
        InquiryPlatform, on_delete=models.PROTECT, related_name="late_reports"
    )
    request = models.OneToOneField(
        "pricing.InquiryRequest", on_delete=models.PROTECT, related_name="lateness"
    )
    due_at = models.DateTimeField(_("应报告时间"))
    recorded_at = models.DateTimeField(_("记录时间"))
    excused = models.BooleanField(_("有正当理由"), default=False)
    excuse = models.TextField(_("理由"), blank=True)

    class Meta:
        verbose_name = _("平台逾期记录")
        verbose_name_plural = _("平台逾期记录")
        ordering = ["-due_at"]

    def __str__(self) -> str:
        return f"{self.platform} {self.due_at:%Y-%m-%d}"


class Inquiry(models.Model):
    """One online inquiry round sent to every active platform at once (PRC-06)."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("网络询价")
        REISSUE = "reissue", _("重新询价（PRC-12）")

    class Status(models.TextChoices):
        OPEN = "open", _("等待报告")
        EXTENDED = "extended", _("已延期（PRC-07）")
        REPORTED = "reported", _("报告已齐")
        FAILED = "failed", _("均未按期出具，转委托评估")
        FIXED = "fixed", _("已确定参考价")
        CANCELLED = "cancelled", _("已终止")

    procedure = models.ForeignKey(
        PricingProcedure, on_delete=models.PROTECT, related_name="inquiries"
    )
    step = models.ForeignKey(PricingStep, on_delete=models.PROTECT, related_name="inquiries")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.ORIGINAL)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    sent_at = models.DateTimeField(_("发出时间"))
    due_at = models.DateTimeField(_("报告期限"))
    extended_due_at = models.DateTimeField(_("延长后期限"), null=True, blank=True)
    window_closed_at = models.DateTimeField(_("期限结算时间"), null=True, blank=True)
    # PRC-06: the mandate states item, features, quantity, purpose, deadline.
    mandate = models.JSONField(_("询价委托书"))
    fee_fen = models.BigIntegerField(_("询价费（分）"), default=0)
    corrections_requested_at = models.DateTimeField(_("要求补正时间"), null=True, blank=True)
    corrections_due_at = models.DateTimeField(_("补正期限"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("网络询价")
        verbose_name_plural = _("网络询价")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="pricing_inquiry_fee_nonneg", condition=models.Q(fee_fen__gte=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def ref(self) -> str:
        return f"{self.procedure.ref}/inquiry:{self.pk}"


class InquiryRequest(models.Model):
    """The mandate as sent to one platform, and where its report stands (PRC-07)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待报告")
        ACCEPTED = "accepted", _("平台已受理，报告未出")
        REPORTED = "reported", _("已按期报告")
        LATE = "late", _("逾期报告")
        MISSING = "missing", _("未报告")

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="requests")
    platform = models.ForeignKey(InquiryPlatform, on_delete=models.PROTECT, related_name="requests")
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    sent_at = models.DateTimeField(_("送达平台时间"))
    due_at = models.DateTimeField(_("报告期限"))
    extension_requested_at = models.DateTimeField(_("申请延期时间"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    extension_granted = models.BooleanField(_("准予延期"), null=True, blank=True)
    last_error = models.TextField(_("最近一次接口错误"), blank=True)
    last_attempt_at = models.DateTimeField(_("最近一次调用"), null=True, blank=True)
    #: Calls that failed in a row, and when the next one is due (exponential backoff).
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    remote_id = models.CharField(_("平台受理号"), max_length=100, blank=True)
    # A correction asked of this platform (PRC-08 for all, or after an upheld objection).
    correction_kind = models.CharField(_("待补正类型"), max_length=30, blank=True)
    correction_of = models.ForeignKey(
        "pricing.InquiryReport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correction_note = models.TextField(_("补正要求"), blank=True)
    correction_due_at = models.DateTimeField(_("补正期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("询价请求")
        verbose_name_plural = _("询价请求")
        ordering = ["inquiry", "platform__sort_order", "platform_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "platform"], name="pricing_request_once_per_platform"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.get_status_display()}"


class InquiryReport(models.Model):
    """A platform's report (询价报告): facts, samples, method, result, validity (PRC-07).

    Amounts are whole fen in the report's ``currency``; only a CNY report can enter a
    reference price. A correction (PRC-08) or a post-objection correction is its own row
    pointing at the report it corrects.
    """

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("询价报告")
        CORRECTION = "correction", _("补正报告（PRC-08）")
        OBJECTION_CORRECTION = "objection_correction", _("异议后补正")
        REISSUE = "reissue", _("重新出具（PRC-12）")

    request = models.ForeignKey(InquiryRequest, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices, default=Kind.ORIGINAL)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    received_at = models.DateTimeField(_("法院收到时间"))
    on_time = models.BooleanField(_("按期"))
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    amount_fen = models.BigIntegerField(_("询价结果（分）"))
    interval_low_fen = models.BigIntegerField(_("区间下限（分）"), null=True, blank=True)
    interval_high_fen = models.BigIntegerField(_("区间上限（分）"), null=True, blank=True)
    interval_level = models.DecimalField(
        _("区间置信水平"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    method = models.TextField(_("询价方法"))
    facts = models.JSONField(_("基本事实"), default=dict, blank=True)
    samples = models.JSONField(_("参照样本"), default=list, blank=True)
    explanation = models.JSONField(_("影响价格的因素"), default=list, blank=True)
    model_info = models.JSONField(_("模型与数据来源"), default=dict, blank=True)
    valid_until = models.DateTimeField(_("结果有效期至"))
    raw = models.JSONField(_("原始报文"), default=dict, blank=True)
    # Court review (PRC-08 / APR-11): a basic-fact error, or beyond/missing part of the item.
    fact_error = models.BooleanField(_("基本事实错误或超出/遗漏标的"), default=False)
    fact_error_note = models.TextField(_("审查意见"), blank=True)
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("询价报告")
        verbose_name_plural = _("询价报告")
        ordering = ["request", "received_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="pricing_report_amount_positive", condition=models.Q(amount_fen__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.platform} {self.get_kind_display()}"

    @property
    def platform(self) -> InquiryPlatform:
        return self.request.platform

    @property
    def subject(self) -> str:
        return f"{self.request.inquiry.procedure.subject}/report:{self.pk}"


class ReportDelivery(models.Model):
    """A report served on one party (PRC-10); the objection window runs from receipt."""

    report = models.ForeignKey(InquiryReport, on_delete=models.PROTECT, related_name="deliveries")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("core.ServiceRecord", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("报告送达")
        verbose_name_plural = _("报告送达")
        constraints = [
            models.UniqueConstraint(fields=["report", "party"], name="pricing_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.report} → {self.party}"


class Objection(models.Model):
    """An objection (异议) to an online-inquiry report (APR-12), decided by the court (APR-15)."""

    class Ground(models.TextChoices):
        FACTS = "facts", _("基本事实错误")
        SCOPE = "scope", _("超出或遗漏财产范围")
        QUALIFICATION = "qualification", _("平台不具备资格")
        PROCEDURE = "procedure", _("程序严重违法")
        RESULT = "result", _("参照标准、计价方法或结果")

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        REJECTED = "rejected", _("驳回")
        UPHELD = "upheld", _("成立，待补正")
        CORRECTED = "corrected", _("已补正")
        SUPERVISION = "supervision", _("转执行监督（APR-14 例外）")

    report = models.ForeignKey(InquiryReport, on_delete=models.PROTECT, related_name="objections")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    grounds = models.JSONField(_("异议事由"))
    text = models.TextField(_("异议内容"))
    filed_at = models.DateTimeField(_("提出时间"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    decision = models.TextField(_("处理意见"), blank=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correction = models.ForeignKey(
        InquiryReport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="answers_objections",
    )

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["filed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.party} → {self.report}"
