"""Money that comes through the payment gateway: intents, deposit holds, balances, the
outbox of gateway calls, and the webhooks that confirm them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentIntent(models.Model):
    """A payment a bidder or buyer is asked to make through the gateway (pay_url).

    ``payer_name`` and ``payer_ref`` are restricted (REC-05): no page, export or admin screen
    shows them; the finance role reads them through ``core.access.reveal``.
    """

    class Purpose(models.TextChoices):
        DEPOSIT = "deposit", _("竞买保证金")
        BALANCE = "balance", _("成交余款")

    class Mode(models.TextChoices):
        AUTHORISE = "authorise", _("冻结（预授权）")
        PAY = "pay", _("支付")

    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        AUTHORISED = "authorised", _("已冻结")
        PAID = "paid", _("已支付")
        FAILED = "failed", _("支付失败")
        EXEMPT = "exempt", _("免交")
        REFUSED = "refused", _("已拒收（退回）")

    reference = models.CharField(_("商户订单号"), max_length=60, unique=True)
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices)
    ref = models.CharField(_("业务引用"), max_length=200, db_index=True)
    payer_ref = models.CharField(_("付款人引用"), max_length=100)
    payer_name = models.CharField(_("付款人"), max_length=200)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    mode = models.CharField(_("方式"), max_length=10, choices=Mode.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    gateway = models.CharField(_("支付通道"), max_length=20)
    psp_reference = models.CharField(_("通道流水号"), max_length=60, blank=True, db_index=True)
    pay_url = models.CharField(_("支付链接"), max_length=500, blank=True)
    # Where the payment page sends the payer back to (the page that asked for the payment).
    return_url = models.CharField(_("支付后返回地址"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(_("创建时间"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    captured_at = models.DateTimeField(_("扣款时间"), null=True, blank=True)
    authorisation_expires_at = models.DateTimeField(_("授权到期"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付指令")
        verbose_name_plural = _("支付指令")
        constraints = [
            models.CheckConstraint(
                name="settlement_intent_amount_nonneg", condition=models.Q(amount_fen__gte=0)
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_captured(self) -> bool:
        return self.mode == self.Mode.PAY or self.captured_at is not None


class DepositHold(models.Model):
    """A bidder's deposit (保证金), known only by its registration reference (REC-05)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待缴纳")
        HELD = "held", _("已缴纳")
        RELEASING = "releasing", _("退还中")
        RELEASED = "released", _("已退还")
        APPLIED = "applied", _("已转作价款")
        FORFEITED = "forfeited", _("已没收")
        FAILED = "failed", _("缴纳失败")

    ref = models.CharField(_("报名引用"), max_length=200, unique=True)
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    intent = models.ForeignKey(
        PaymentIntent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_fen = models.BigIntegerField(_("保证金（分）"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    ledger_account = models.ForeignKey(
        "settlement.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(_("缴纳时间"), null=True, blank=True)
    released_at = models.DateTimeField(_("退还时间"), null=True, blank=True)
    release_reason = models.CharField(_("退还原因"), max_length=200, blank=True)
    release_due_at = models.DateTimeField(_("应退还时间"), null=True, blank=True)
    applied_sale_ref = models.CharField(_("成交引用"), max_length=200, blank=True)
    applied_fen = models.BigIntegerField(_("转作价款（分）"), default=0)
    forfeited_fen = models.BigIntegerField(_("没收（分）"), default=0)
    released_fen = models.BigIntegerField(_("已退还（分）"), default=0)
    forfeit_reason = models.CharField(_("没收原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("竞买保证金")
        verbose_name_plural = _("竞买保证金")

    def __str__(self) -> str:
        return self.ref


class BalanceDue(models.Model):
    """The buyer's balance (尾款) with its per-auction deadline (AUC-31)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待缴纳")
        PAID = "paid", _("已缴清")
        OVERDUE = "overdue", _("逾期未缴")

    sale_ref = models.CharField(_("成交引用"), max_length=200, unique=True)
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    payer_ref = models.CharField(_("买受人引用"), max_length=100)
    payer_name = models.CharField(_("买受人"), max_length=200)
    price_fen = models.BigIntegerField(_("成交价（分）"))
    deposit_applied_fen = models.BigIntegerField(_("保证金抵价（分）"))
    amount_due_fen = models.BigIntegerField(_("应缴余款（分）"))
    paid_fen = models.BigIntegerField(_("已缴余款（分）"), default=0)
    #: What arrived beyond the amount due (or after the balance closed), refunded (AUC-31).
    refunded_fen = models.BigIntegerField(_("多缴退还（分）"), default=0)
    #: The buyer quotes it on a bank transfer (``WK`` + 8 digits + 2 ISO 7064 check digits).
    payment_reference = models.CharField(
        _("付款参考号"), max_length=20, unique=True, null=True, blank=True
    )
    due_at = models.DateTimeField(_("缴款期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    paid_at = models.DateTimeField(_("缴清时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("价款转入案款时间"), null=True, blank=True)
    ledger_account = models.ForeignKey(
        "settlement.LedgerAccount", on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("成交余款")
        verbose_name_plural = _("成交余款")

    def __str__(self) -> str:
        return self.sale_ref


class GatewayOperation(models.Model):
    """An outgoing call to the gateway (capture, cancel, refund, payout): the outbox.

    The worker sends it with its idempotency key; the money moves in the ledger only when
    the gateway's webhook confirms it, from ``source_account`` to the gateway account.
    """

    class Kind(models.TextChoices):
        CAPTURE = "capture", _("扣款")
        CANCEL = "cancel", _("解冻")
        REFUND = "refund", _("退款")
        PAYOUT = "payout", _("付款")

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        CONFIRMED = "confirmed", _("已确认")
        FAILED = "failed", _("失败")

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    gateway = models.CharField(_("支付通道"), max_length=20)
    intent = models.ForeignKey(
        PaymentIntent, null=True, blank=True, on_delete=models.PROTECT, related_name="operations"
    )
    payout = models.ForeignKey(
        "settlement.Payout",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operations",
    )
    source_account = models.ForeignKey(
        "settlement.LedgerAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount_fen = models.BigIntegerField(_("金额（分）"))
    currency = models.CharField(max_length=3, default="CNY")
    reference = models.CharField(_("指令编号"), max_length=80, unique=True)
    original_psp_reference = models.CharField(_("原交易流水号"), max_length=60, blank=True)
    psp_reference = models.CharField(_("通道流水号"), max_length=60, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=250, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    purpose = models.CharField(_("事由"), max_length=200, blank=True)
    # What the confirmation settles: deposit_release, forfeit_remainder, balance_refund,
    # forfeit_surplus, payout, capture; ``subject_ref`` names the hold, sale or payout.
    context = models.CharField(_("业务"), max_length=30)
    subject_ref = models.CharField(_("业务引用"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通道指令")
        verbose_name_plural = _("通道指令")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.reference


class WebhookEvent(models.Model):
    """A verified webhook item, stored under its unique key before any processing."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("待处理")
        PROCESSED = "processed", _("已处理")
        IGNORED = "ignored", _("无需处理")
        FLAGGED = "flagged", _("需人工核对")
        FAILED = "failed", _("处理失败")

    event_key = models.CharField(max_length=250, unique=True)
    gateway = models.CharField(max_length=20)
    received_at = models.DateTimeField()
    event_code = models.CharField(max_length=60)
    psp_reference = models.CharField(max_length=60, blank=True)
    original_reference = models.CharField(max_length=60, blank=True)
    merchant_reference = models.CharField(max_length=80, blank=True, db_index=True)
    success = models.BooleanField()
    amount_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    event_date = models.CharField(max_length=40, blank=True)
    body = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("通道回调")
        verbose_name_plural = _("通道回调")
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return self.event_key
