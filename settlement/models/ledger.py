"""The double-entry ledger (integer fen) and the case accounts (一案一账号, FND-02).

Every account holds money: a leg adds to (positive) or takes from (negative) one account, and
the legs of a transaction sum to zero. Custody accounts (case, deposit holds, payables…) never
go below zero; external accounts (the gateway, the bank) are the outside world's side of each
movement and may. Balances are sums of legs; nothing is ever updated or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        CASE = "case", _("案款账户")
        DEPOSIT_HOLD = "deposit_hold", _("竞买保证金")
        SALE = "sale", _("成交价款")
        FORFEIT_SUSPENSE = "forfeit_suspense", _("没收保证金（待处理）")
        UNIDENTIFIED = "unidentified", _("待认领款")
        CREDITOR_PAYABLE = "creditor_payable", _("应付申请执行人")
        DEBTOR_PAYABLE = "debtor_payable", _("应退被执行人")
        FEE_PAYABLE = "fee_payable", _("应付评估费/询价费")
        COST_PAYABLE = "cost_payable", _("应付执行费用/税费")
        REFUND_PAYABLE = "refund_payable", _("应退款")
        THIRD_PARTY_PAYABLE = "third_party_payable", _("应付第三人")
        ESCROW = "escrow", _("提存款")
        GATEWAY = "gateway", _("支付通道清算")
        BANK = "bank", _("银行往来")

    class Pool(models.TextChoices):
        """The real account the money sits in (FND-06): the master account or the auction account."""

        MASTER = "master", _("执行款专户")
        AUCTION = "auction", _("拍卖款专户")
        ESCROW = "escrow", _("提存机构")
        EXTERNAL = "external", _("外部")

    EXTERNAL_KINDS = frozenset({Kind.GATEWAY, Kind.BANK})

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类别"), max_length=30, choices=Kind.choices)
    pool = models.CharField(_("所在账户"), max_length=10, choices=Pool.choices)
    ref = models.CharField(_("引用"), max_length=200, blank=True)
    code = models.CharField(_("科目代码"), max_length=300, unique=True)
    # REC-05: never a payer's name; deposit holds are named by their registration reference.
    name = models.CharField(_("名称"), max_length=200)
    may_go_negative = models.BooleanField(_("可为负数"), default=False)
    opened_at = models.DateTimeField(_("开立时间"))

    class Meta:
        verbose_name = _("分户账")
        verbose_name_plural = _("分户账")
        indexes = [models.Index(fields=["court", "kind"]), models.Index(fields=["case", "kind"])]

    def __str__(self) -> str:
        return self.name


class LedgerTransaction(models.Model):
    """One balanced movement; its idempotency key makes a repeat return the first result."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("业务类型"), max_length=40)
    idempotency_key = models.CharField(_("幂等键"), max_length=250, unique=True)
    fingerprint = models.CharField(max_length=64)
    ref = models.CharField(_("引用"), max_length=200, blank=True)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    posted_at = models.DateTimeField(_("记账时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["posted_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.memo}"


class LedgerLeg(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="legs"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="legs")
    amount_fen = models.BigIntegerField(_("金额（分）"))
    # The gateway's or bank's reference, for reconciliation (FND-15).
    external_ref = models.CharField(_("外部流水号"), max_length=100, blank=True)
    posted_at = models.DateTimeField(_("记账时间"))

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["posted_at", "pk"]
        indexes = [models.Index(fields=["account", "posted_at"])]
        constraints = [
            models.CheckConstraint(name="settlement_leg_nonzero", condition=~models.Q(amount_fen=0))
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_fen}"


class CaseAccount(models.Model):
    """A case's virtual sub-account under the court's master account (FND-02).

    ``party_ref`` is empty for the case's own account; with ``account_granularity =
    per_person_per_case`` each payer gets an extra number that still feeds the same case
    ledger account.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="settlement_accounts"
    )
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    party_ref = models.CharField(_("付款人引用"), max_length=100, blank=True)
    account_no = models.CharField(_("案款账号"), max_length=60, unique=True)
    ledger_account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    # Adyen "splits" per case (balance account id); empty: the court's balance account.
    gateway_balance_account = models.CharField(_("通道余额账户"), max_length=40, blank=True)
    opened_at = models.DateTimeField(_("开立时间"))

    class Meta:
        verbose_name = _("案款账户")
        verbose_name_plural = _("案款账户")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "party_ref"], name="settlement_caseaccount_case_party"
            )
        ]

    def __str__(self) -> str:
        return self.account_no
