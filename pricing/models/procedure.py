"""The reference-price procedure (参考价确定程序) of one asset, its steps and its results.

The state machine follows the PRC-03 cascade: party agreement (议价) → directed inquiry
(定向询价) → online inquiry (网络询价) → entrusted appraisal (委托评估). Transitions only
change state; the services decide which transition is lawful and why (PRC-03) and do the I/O.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_fsm import RETURN_VALUE, FSMField, transition

from core.fsm import ProtectedStateModel


class Method(models.TextChoices):
    PARTY_AGREEMENT = "party_agreement", _("当事人议价")
    DIRECTED_INQUIRY = "directed_inquiry", _("定向询价")
    ONLINE_INQUIRY = "online_inquiry", _("网络询价")
    APPRAISAL = "appraisal", _("委托评估")


CASCADE_STATES = ("party_agreement", "directed_inquiry", "online_inquiry", "appraisal")


class PricingProcedure(ProtectedStateModel):
    """One asset's way to a price basis: the PRC-03 cascade, a PRC-19 skip or a PRC-20 waiver."""

    class State(models.TextChoices):
        OPENED = "opened", _("待核查（PRC-02）")
        CHECKED = "checked", _("已核查，待选择定价方式")
        PARTY_AGREEMENT = "party_agreement", _("当事人议价中")
        DIRECTED_INQUIRY = "directed_inquiry", _("定向询价中")
        ONLINE_INQUIRY = "online_inquiry", _("网络询价中")
        APPRAISAL = "appraisal", _("委托评估中")
        FIXED = "fixed", _("参考价已确定")
        REISSUING = "reissuing", _("重新出具中（PRC-12）")
        MARKET_PRICE = "market_price", _("不经定价，以市场价为基础（PRC-19）")
        EQUITY_WAIVER = "equity_waiver", _("股权起拍价依申请确定（PRC-20）")
        SUSPENDED = "suspended", _("暂缓定价（PRC-14）")
        WITHDRAWN = "withdrawn", _("已撤回（PRC-14）")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="pricing_procedures"
    )
    asset = models.ForeignKey(
        "cases.Asset", on_delete=models.PROTECT, related_name="pricing_procedures"
    )
    state = FSMField(
        _("状态"), default=State.OPENED, choices=State.choices, protected=True, max_length=30
    )
    resume_state = models.CharField(_("暂缓前状态"), max_length=30, blank=True)
    opened_at = models.DateTimeField(_("启动时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # PRC-02: the checks before any method.
    checks = models.JSONField(_("核查记录"), default=dict, blank=True)
    checks_recorded_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    # PRC-03 conditions, recorded with the checks (each changes which step is lawful).
    has_tax_base_or_gov_price = models.BooleanField(
        _("有计税基准价或政府定价/指导价"), default=False
    )
    online_feasible = models.BooleanField(_("具备网络询价条件"), default=True)
    needs_site_inspection = models.BooleanField(_("需现场勘验或专业鉴定"), default=False)
    law_requires_appraisal = models.BooleanField(_("法律规定须委托评估"), default=False)
    settings_snapshot = models.JSONField(_("参数快照"), default=dict, blank=True)
    ended_reason = models.TextField(_("撤回/暂缓理由"), blank=True)

    class Meta:
        verbose_name = _("定价程序")
        verbose_name_plural = _("定价程序")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"],
                condition=~models.Q(state="withdrawn"),
                name="pricing_one_live_procedure_per_asset",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset} · {self.get_state_display()}"

    @property
    def subject(self) -> str:
        """The asset reference deadlines and services use: ``case:<cid>/asset:<aid>``."""
        return f"case:{self.case_id}/asset:{self.asset_id}"

    @property
    def ref(self) -> str:
        return f"{self.subject}/pricing:{self.pk}"

    @property
    def stream(self) -> str:
        return f"case:{self.case_id}"

    # --- transitions (state only; rules and I/O live in services) -----------------
    @transition(field=state, source=State.OPENED, target=State.CHECKED)
    def record_checks(self) -> None:
        """PRC-02 checks recorded."""

    @transition(field=state, source=State.CHECKED, target=State.PARTY_AGREEMENT)
    def begin_party_agreement(self) -> None:
        """PRC-04."""

    @transition(
        field=state, source=[State.CHECKED, State.PARTY_AGREEMENT], target=State.DIRECTED_INQUIRY
    )
    def begin_directed_inquiry(self) -> None:
        """PRC-05."""

    @transition(
        field=state,
        source=[State.CHECKED, State.PARTY_AGREEMENT, State.DIRECTED_INQUIRY],
        target=State.ONLINE_INQUIRY,
    )
    def begin_online_inquiry(self) -> None:
        """PRC-06."""

    @transition(
        field=state,
        source=[State.CHECKED, State.PARTY_AGREEMENT, State.DIRECTED_INQUIRY, State.ONLINE_INQUIRY],
        target=State.APPRAISAL,
    )
    def begin_appraisal(self) -> None:
        """Entrusted appraisal (委托评估)."""

    @transition(
        field=state,
        source=[
            State.PARTY_AGREEMENT,
            State.DIRECTED_INQUIRY,
            State.ONLINE_INQUIRY,
            State.APPRAISAL,
            State.REISSUING,
        ],
        target=State.FIXED,
    )
    def fix(self) -> None:
        """A reference price is fixed."""

    @transition(field=state, source=State.FIXED, target=State.REISSUING)
    def begin_reissue(self) -> None:
        """PRC-12."""

    @transition(field=state, source=[State.OPENED, State.CHECKED], target=State.MARKET_PRICE)
    def skip_pricing(self) -> None:
        """PRC-19."""

    @transition(field=state, source=State.APPRAISAL, target=State.EQUITY_WAIVER)
    def waive_for_equity(self) -> None:
        """PRC-20."""

    @transition(
        field=state,
        source=[State.OPENED, State.CHECKED, *CASCADE_STATES, State.REISSUING],
        target=State.SUSPENDED,
    )
    def suspend(self) -> None:
        """PRC-14: pricing paused."""
        self.resume_state = self.state

    @transition(
        field=state,
        source=State.SUSPENDED,
        target=RETURN_VALUE(State.OPENED, State.CHECKED, *CASCADE_STATES, State.REISSUING),
    )
    def resume(self) -> str:
        """PRC-14: the ground ended; back to where pricing stood."""
        target = self.resume_state
        self.resume_state = ""
        return target

    @transition(
        field=state,
        source=[s for s in State.values if s != "withdrawn"],
        target=State.WITHDRAWN,
    )
    def withdraw(self) -> None:
        """PRC-14: pricing withdrawn."""


#: A step that fixed the price: its stored ``outcome_reason`` (Chinese, the amount in yuan).
FIXED_REASON = gettext_noop("确定为 %(amount)s 元")
_FIXED_REASON = re.compile(r"^确定为 ([\d,]+\.\d{2}) 元$")


class PricingStep(models.Model):
    """One step of the cascade with the reason it was taken and how it ended (PRC-03)."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("进行中")
        FIXED = "fixed", _("形成参考价")
        FAILED = "failed", _("未成功，转下一方式")
        ABANDONED = "abandoned", _("终止")

    procedure = models.ForeignKey(PricingProcedure, on_delete=models.PROTECT, related_name="steps")
    method = models.CharField(_("方式"), max_length=30, choices=Method.choices)
    reason = models.TextField(_("采用理由"))
    reason_code = models.CharField(_("理由代码"), max_length=60)
    started_at = models.DateTimeField(_("开始时间"))
    deadline_at = models.DateTimeField(_("法院指定期限"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=20, choices=Outcome.choices, default=Outcome.RUNNING
    )
    outcome_reason = models.TextField(_("结果说明"), blank=True)
    # PRC-04 party agreement: each party's quote {"party:<id>": {"amount_fen": .., "at": .., "refused": ..}}.
    quotes = models.JSONField(_("当事人报价"), default=dict, blank=True)
    # PRC-05 directed inquiry: the body asked and the letter.
    body_name = models.CharField(_("询价机构"), max_length=200, blank=True)
    letter_ref = models.CharField(_("询价函文号"), max_length=100, blank=True)
    result_fen = models.BigIntegerField(_("结果（分）"), null=True, blank=True)
    result_received_at = models.DateTimeField(_("结果收到时间"), null=True, blank=True)
    result_valid_until = models.DateTimeField(_("结果有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("定价步骤")
        verbose_name_plural = _("定价步骤")
        ordering = ["procedure", "started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="pricing_step_result_positive",
                condition=models.Q(result_fen__isnull=True) | models.Q(result_fen__gt=0),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} · {self.get_outcome_display()}"

    @property
    def outcome_reason_display(self) -> str:
        """``outcome_reason`` in the reader's language. The stored text stays Chinese: a price
        fixed by the step is stored as ``确定为 1,234.00 元`` (``FIXED_REASON``) and shown from
        its msgid with the amount; other reasons are msgids or text people typed."""
        from django.utils.translation import gettext

        text = self.outcome_reason or ""
        m = _FIXED_REASON.match(text)
        if m:
            return gettext(FIXED_REASON) % {"amount": m.group(1)}
        return gettext(text) if text.strip() else text


class ReferencePrice(models.Model):
    """A fixed price basis: a reference price, a PRC-19 market price or a PRC-20 waiver.

    Validity (PRC-11): ``valid_until`` is at most 12 months after fixing; once an
    announcement was published inside validity, the sale may start until ``grace_until``.
    """

    class Kind(models.TextChoices):
        REFERENCE = "reference", _("参考价")
        MARKET = "market", _("市场价（不经定价，PRC-19）")
        EQUITY_WAIVER = "equity_waiver", _("股权起拍价（PRC-20）")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        SUPERSEDED = "superseded", _("已被重新出具结果取代")
        WITHDRAWN = "withdrawn", _("已撤回")

    procedure = models.ForeignKey(PricingProcedure, on_delete=models.PROTECT, related_name="prices")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    method = models.CharField(_("定价方式"), max_length=30, choices=Method.choices, blank=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    fixed_at = models.DateTimeField(_("确定时间"))
    valid_until = models.DateTimeField(_("有效期至"))
    ground = models.TextField(_("依据/理由"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    basis = models.JSONField(_("计算依据"), default=dict, blank=True)
    announcement_published_at = models.DateTimeField(_("首次公告时间"), null=True, blank=True)
    announcement_ref = models.CharField(_("公告所属拍卖"), max_length=100, blank=True)
    grace_until = models.DateTimeField(_("宽限期至"), null=True, blank=True)
    sale_outcomes = models.JSONField(_("处置结果"), default=list, blank=True)
    source_ref = models.CharField(_("来源"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("参考价")
        verbose_name_plural = _("参考价")
        ordering = ["-fixed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="pricing_price_positive", condition=models.Q(amount_fen__gt=0)
            ),
            models.CheckConstraint(
                name="pricing_price_validity_after_fixing",
                condition=models.Q(valid_until__gte=models.F("fixed_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"
