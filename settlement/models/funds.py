"""Case funds (FND): fees charged to a case, receipts, payment notices, distribution plans,
payouts with their approvals, deferral and escrow, forfeited deposits, reconciliation runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_fsm import RETURN_VALUE, FSMField, transition

from core.fsm import ProtectedStateModel


class Charge(models.Model):
    """A cost or fee owed out of a case's funds, charged by another app (``fee_charge``)."""

    class Kind(models.TextChoices):
        APPRAISAL_FEE = "appraisal_fee", _("评估费")
        INQUIRY_FEE = "inquiry_fee", _("询价费")
        AUCTION_COST = "auction_cost", _("拍卖费用")
        TAX = "tax", _("税费")
        OTHER_COST = "other_cost", _("其他执行费用")
        ESCROW_FEE = "escrow_fee", _("提存费")

    FEE_KINDS = frozenset({Kind.APPRAISAL_FEE, Kind.INQUIRY_FEE})

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    ref = models.CharField(_("业务引用"), max_length=200)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    payee_ref = models.CharField(_("收款人引用"), max_length=100)
    payee_name = models.CharField(_("收款人"), max_length=200)
    idempotency_key = models.CharField(max_length=250, unique=True)
    charged_at = models.DateTimeField(_("记费时间"))
    charged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("费用")
        verbose_name_plural = _("费用")
        ordering = ["charged_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="settlement_charge_positive", condition=models.Q(amount_fen__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"


class PaymentNotice(models.Model):
    """缴款通知书 (FND-04): the case account, bank and name, and the memo to quote."""

    class Status(models.TextChoices):
        OPEN = "open", _("待缴")
        PAID = "paid", _("已到账")
        CANCELLED = "cancelled", _("已作废")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    account_no = models.CharField(_("案款账号"), max_length=60)
    payer_name = models.CharField(_("付款人"), max_length=200)
    payer_ref = models.CharField(_("付款人引用"), max_length=100, blank=True)
    purpose = models.CharField(_("款项用途"), max_length=200)
    amount_fen = models.BigIntegerField(_("应缴金额（分）"))
    memo = models.CharField(_("附言"), max_length=300)
    token = models.CharField(max_length=40, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    issued_at = models.DateTimeField(_("出具时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("缴款通知书")
        verbose_name_plural = _("缴款通知书")

    def __str__(self) -> str:
        return f"{self.case_id} {self.payer_name} {self.amount_fen}"


class Receipt(models.Model):
    """Money arriving on the master account: matched to a case (FND-03) or to be claimed (FND-08)."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("已自动匹配")
        UNIDENTIFIED = "unidentified", _("待认领")
        CLAIMED = "claimed", _("已认领")

    class Source(models.TextChoices):
        BANK = "bank", _("银行流水")
        MANUAL = "manual", _("手工登记")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.BANK)
    bank_reference = models.CharField(_("银行流水号"), max_length=100)
    idempotency_key = models.CharField(max_length=250, unique=True)
    received_at = models.DateTimeField(_("到账时间"))
    amount_fen = models.BigIntegerField(_("金额（分）"))
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    payer_name = models.CharField(_("付款人"), max_length=200, blank=True)
    payer_account = models.CharField(_("付款账号"), max_length=60, blank=True)
    credited_account_no = models.CharField(_("收款账号"), max_length=60, blank=True)
    memo = models.CharField(_("附言"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=15, choices=Status.choices)
    match_note = models.CharField(_("匹配说明"), max_length=300, blank=True)
    notice = models.ForeignKey(
        PaymentNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts"
    )
    ledger_account = models.ForeignKey(
        "settlement.LedgerAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claim_due_at = models.DateTimeField(_("认领期限"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_late = models.BooleanField(_("逾期认领"), default=False)
    #: The buyer's balance this receipt paid (matched by its payment reference, or claimed).
    balance = models.ForeignKey(
        "settlement.BalanceDue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("所缴成交余款"),
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("到账款项")
        verbose_name_plural = _("到账款项")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="settlement_receipt_positive", condition=models.Q(amount_fen__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_reference} {self.amount_fen}"


class DistributionPlan(models.Model):
    """分配方案 (FND-06, EWR 34): costs first, then creditors by priority, surplus to the debtor."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        APPROVED = "approved", _("已批准")
        CANCELLED = "cancelled", _("已作废")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    available_fen = models.BigIntegerField(_("可分配金额（分）"))
    created_at = models.DateTimeField(_("制作时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("分配方案")
        verbose_name_plural = _("分配方案")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.pk}"


class DistributionLine(models.Model):
    class Kind(models.TextChoices):
        COST = "cost", _("执行费用")
        CREDITOR = "creditor", _("债权")
        SURPLUS = "surplus", _("余款退还被执行人")

    plan = models.ForeignKey(DistributionPlan, on_delete=models.PROTECT, related_name="lines")
    seq = models.PositiveIntegerField(_("顺序"))
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payee_ref = models.CharField(_("收款人引用"), max_length=100)
    payee_name = models.CharField(_("收款人"), max_length=200)
    priority = models.PositiveIntegerField(_("受偿顺位"), null=True, blank=True)
    claim_fen = models.BigIntegerField(_("应受偿（分）"))
    amount_fen = models.BigIntegerField(_("分配金额（分）"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分配明细")
        verbose_name_plural = _("分配明细")
        ordering = ["plan", "seq"]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.seq} {self.payee_name} {self.amount_fen}"


class PanelDecision(models.Model):
    """合议庭 decision allowing a payout to someone other than the creditor (FND-13)."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("事项"), max_length=200)
    members = models.CharField(_("合议庭成员"), max_length=200)
    decision = models.TextField(_("合议意见"))
    decided_at = models.DateTimeField(_("合议时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("合议记录")
        verbose_name_plural = _("合议记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.subject}"


#: A plan line's payout purpose (stored in Chinese; ``Payout.purpose_display`` translates).
PLAN_LINE_PURPOSE = gettext_noop("分配方案 #%(plan)s 第 %(seq)s 项：%(kind)s")


class Payout(ProtectedStateModel):
    """发放 (FND-10..14): officer → bureau head / court leader → finance → bank.

    The state machine below is every allowed move of ``status`` in one place; ``status`` is
    protected (no assignment), so a service moves it only through a transition, after it has
    locked the row, checked the person and the rule; it writes the audit entry around it.
    """

    class PayeeKind(models.TextChoices):
        CREDITOR = "creditor", _("申请执行人")
        DEBTOR = "debtor", _("被执行人（余款）")
        FEE = "fee", _("评估/询价机构")
        COST = "cost", _("执行费用/税费收款人")
        REFUND = "refund", _("原付款人（退款）")
        THIRD_PARTY = "third_party", _("第三人")

    class Status(models.TextChoices):
        PENDING_LEADER = "pending_leader", _("待领导审批")
        PENDING_FINANCE = "pending_finance", _("待财务审核")
        SENDING = "sending", _("银行付款中")
        PAID = "paid", _("已发放")
        FAILED = "failed", _("付款失败")
        DEFERRAL_REQUESTED = "deferral_requested", _("暂缓发放待批")
        DEFERRED = "deferred", _("暂缓发放")
        ESCROWED = "escrowed", _("已提存")
        CANCELLED = "cancelled", _("已撤销")

    class DeferralReason(models.TextChoices):
        """FND-11 grounds."""

        DISTRIBUTION = "distribution", _("多个债权人参与分配")
        FROZEN = "frozen", _("款项被其他案件或刑事冻结")
        NOT_COLLECTED = "not_collected", _("申请执行人未领取")
        CASE_SUSPENDED = "case_suspended", _("案件中止或终结")
        OTHER = "other", _("其他正当理由")

    class EscrowGround(models.TextChoices):
        """FND-14 grounds."""

        REFUSED = "refused", _("申请执行人无正当理由拒绝领取")
        UNFINDABLE = "unfindable", _("下落不明")
        DEAD_NO_HEIR = "dead_no_heir", _("死亡未确定继承人")
        INCAPABLE = "incapable", _("丧失民事行为能力未确定监护人")
        UNREACHABLE = "unreachable", _("无法联系")

    #: Where the payee's account may still be changed (FND-12, FND-13).
    ACCOUNT_EDITABLE = (
        Status.PENDING_LEADER,
        Status.PENDING_FINANCE,
        Status.FAILED,
        Status.DEFERRED,
    )

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    line = models.OneToOneField(
        DistributionLine, null=True, blank=True, on_delete=models.PROTECT, related_name="payout"
    )
    payee_kind = models.CharField(_("收款人类别"), max_length=15, choices=PayeeKind.choices)
    payee_ref = models.CharField(_("收款人引用"), max_length=100)
    payee_name = models.CharField(_("收款人"), max_length=200)
    payee_account_no = models.CharField(_("收款账号"), max_length=60, blank=True)
    payee_bank = models.CharField(_("开户行"), max_length=100, blank=True)
    payee_bic = models.CharField(_("SWIFT/BIC"), max_length=11, blank=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    purpose = models.CharField(_("用途"), max_length=200)
    status = FSMField(
        _("状态"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING_LEADER,
        protected=True,
    )
    status_before_deferral = models.CharField(max_length=20, blank=True)
    leader_role = models.CharField(_("审批角色"), max_length=20)
    ledger_account = models.ForeignKey(
        "settlement.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )
    panel_decision = models.ForeignKey(
        PanelDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(_("申请时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    deferral_reason = models.CharField(
        _("暂缓事由"), max_length=20, choices=DeferralReason.choices, blank=True
    )
    deferral_note = models.CharField(_("暂缓说明"), max_length=300, blank=True)
    deferral_ended_at = models.DateTimeField(_("暂缓事由消除时间"), null=True, blank=True)
    escrow_ground = models.CharField(
        _("提存事由"), max_length=20, choices=EscrowGround.choices, blank=True
    )
    escrow_evidence = models.CharField(_("提存证据"), max_length=300, blank=True)
    escrow_body = models.CharField(_("提存机构"), max_length=200, blank=True)
    escrow_fee_fen = models.BigIntegerField(_("提存费（分）"), default=0)
    escrowed_at = models.DateTimeField(_("提存时间"), null=True, blank=True)
    failure_note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("发放")
        verbose_name_plural = _("发放")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="settlement_payout_positive", condition=models.Q(amount_fen__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.payee_name} {self.amount_fen}"

    @property
    def purpose_display(self) -> str:
        """``purpose`` in the reader's language. The stored text stays Chinese (the approval
        form and the bank memo): a payout of a distribution plan's line is named from its msgid
        (``PLAN_LINE_PURPOSE``) with the plan, line and kind; other purposes are msgids (a
        default purpose) or text people typed."""
        from django.utils.translation import gettext

        text = self.purpose or ""
        line = self.line
        if line is not None and text.startswith(f"分配方案 #{line.plan_id} "):
            return gettext(PLAN_LINE_PURPOSE) % {
                "plan": line.plan_id,
                "seq": line.seq,
                "kind": line.get_kind_display(),
            }
        return gettext(text) if text.strip() else text

    # ---- the state machine (FND-10..16): transitions only move ``status`` -----------------
    @transition(field=status, source=Status.PENDING_LEADER, target=Status.PENDING_FINANCE)
    def approve_as_leader(self) -> None:
        """局长/院领导审批 (FND-12): the leader of the amount's tier signed."""

    @transition(field=status, source=Status.PENDING_FINANCE, target=Status.SENDING)
    def approve_as_finance(self) -> None:
        """财务审核 (FND-12): finance signed last and the bank is told to pay."""

    @transition(field=status, source=Status.FAILED, target=Status.SENDING)
    def retry(self) -> None:
        """A failed transfer goes to the bank again, after finance checked the account."""

    # The bank's confirmation is a fact: money that left the court is paid, whatever the
    # record said ("+": from any other state).
    @transition(field=status, source="+", target=Status.PAID)
    def mark_paid(self) -> None:
        """已发放 (FND-10, FND-16): the bank confirmed the transfer."""

    @transition(field=status, source=[Status.SENDING, Status.PAID], target=Status.FAILED)
    def mark_failed(self) -> None:
        """付款失败 (FND-16): refused, or returned after it was confirmed."""

    @transition(
        field=status,
        source=[Status.PENDING_LEADER, Status.PENDING_FINANCE, Status.FAILED],
        target=Status.CANCELLED,
    )
    def reject(self) -> None:
        """退回 (FND-12): the leader or finance sends it back; the money returns to the case."""

    @transition(
        field=status,
        source=[Status.PENDING_LEADER, Status.PENDING_FINANCE, Status.FAILED],
        target=Status.DEFERRAL_REQUESTED,
    )
    def request_deferral(self) -> None:
        """申请暂缓 (FND-11): where it stood is kept, to go back there."""
        self.status_before_deferral = self.status

    @transition(field=status, source=Status.DEFERRAL_REQUESTED, target=Status.DEFERRED)
    def approve_deferral(self) -> None:
        """暂缓发放 (FND-11): a leader approved the deferral."""

    @transition(
        field=status,
        source=Status.DEFERRAL_REQUESTED,
        target=RETURN_VALUE(Status.PENDING_LEADER, Status.PENDING_FINANCE, Status.FAILED),
    )
    def refuse_deferral(self) -> str:
        """The leader refused the deferral: back where it stood."""
        return self.status_before_deferral

    @transition(
        field=status,
        source=Status.DEFERRED,
        target=RETURN_VALUE(Status.PENDING_LEADER, Status.PENDING_FINANCE, Status.FAILED),
    )
    def end_deferral(self) -> str:
        """暂缓事由消除 (FND-11): back where it stood (finance, if that was not kept)."""
        return self.status_before_deferral or self.Status.PENDING_FINANCE

    @transition(
        field=status,
        source=[Status.PENDING_LEADER, Status.PENDING_FINANCE, Status.FAILED, Status.DEFERRED],
        target=Status.ESCROWED,
    )
    def escrow(self) -> None:
        """提存 (FND-14): approved with evidence; the money goes to the escrow body."""


class PayoutApproval(models.Model):
    """One signature on a payout (FND-12, REC-08): never edited."""

    class Step(models.TextChoices):
        SUBMIT = "submit", _("承办人提交")
        LEADER = "leader", _("局长/院领导审批")
        FINANCE = "finance", _("财务审核")
        BANK = "bank", _("银行付款")
        DEFERRAL_REQUEST = "deferral_request", _("申请暂缓")
        DEFERRAL_APPROVE = "deferral_approve", _("批准暂缓")
        DEFERRAL_END = "deferral_end", _("暂缓事由消除")
        ESCROW = "escrow", _("批准提存")
        REJECT = "reject", _("退回")

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="approvals")
    step = models.CharField(_("环节"), max_length=20, choices=Step.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=20)
    at = models.DateTimeField(_("时间"))
    note = models.CharField(_("意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("发放审批")
        verbose_name_plural = _("发放审批")
        ordering = ["at", "pk"]
        constraints = [
            # A payout is approved once per step (no double approval).
            models.UniqueConstraint(
                fields=["payout", "step"],
                condition=models.Q(step__in=["submit", "leader", "finance", "escrow"]),
                name="settlement_payoutapproval_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.payout_id} {self.step}"


class ForfeitSettlement(models.Model):
    """How a forfeited deposit was applied (AUC-33 order, AUC-34 switches)."""

    hold = models.OneToOneField(
        "settlement.DepositHold", on_delete=models.PROTECT, related_name="forfeit_settlement"
    )
    original_price_fen = models.BigIntegerField(_("原成交价（分）"))
    resale_price_fen = models.BigIntegerField(_("再次拍卖成交价（分）"), null=True, blank=True)
    forfeited_fen = models.BigIntegerField(_("没收金额（分）"))
    costs_fen = models.BigIntegerField(_("拍卖费用及损失（分）"))
    shortfall_fen = models.BigIntegerField(_("再拍差价（分）"))
    to_costs_fen = models.BigIntegerField(_("用于费用（分）"))
    to_shortfall_fen = models.BigIntegerField(_("用于差价（分）"))
    to_debt_fen = models.BigIntegerField(_("用于清偿债务（分）"))
    to_defaulter_fen = models.BigIntegerField(_("退还悔拍人（分）"))
    pursued_fen = models.BigIntegerField(_("向悔拍人追偿（分）"))
    settings_used = models.JSONField(_("适用参数"))
    #: What people read for the sale that was defaulted (the caller names it: title, round).
    label = models.CharField(_("悔拍的拍卖"), max_length=300, blank=True, default="")
    settled_at = models.DateTimeField(_("处理时间"))
    idempotency_key = models.CharField(max_length=250, unique=True)

    class Meta:
        verbose_name = _("没收保证金处理")
        verbose_name_plural = _("没收保证金处理")

    def __str__(self) -> str:
        return f"{self.hold_id} {self.forfeited_fen}"


class ShortfallClaim(models.Model):
    """差价追偿 (AUC-34 ``pursue_shortfall_from_defaulter``): what the defaulter still owes."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    ref = models.CharField(_("报名引用"), max_length=200, unique=True)
    amount_fen = models.BigIntegerField(_("追偿金额（分）"))
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("差价追偿")
        verbose_name_plural = _("差价追偿")

    def __str__(self) -> str:
        return f"{self.ref} {self.amount_fen}"


class ReconciliationRun(models.Model):
    """One comparison of the ledger with a gateway's or bank's statement (FND-15)."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("对账来源"), max_length=20)
    period_start = models.DateField(_("起始日"))
    period_end = models.DateField(_("截止日"))
    ran_at = models.DateTimeField(_("对账时间"))
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ledger_lines = models.PositiveIntegerField(_("账内笔数"))
    statement_lines = models.PositiveIntegerField(_("对账单笔数"))
    ledger_total_fen = models.BigIntegerField(_("账内合计（分）"))
    statement_total_fen = models.BigIntegerField(_("对账单合计（分）"))
    differences = models.JSONField(_("差异"))

    class Meta:
        verbose_name = _("对账记录")
        verbose_name_plural = _("对账记录")
        ordering = ["-ran_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source} {self.period_start}..{self.period_end}"

    @property
    def difference_count(self) -> int:
        return len(self.differences)
