"""Auctions and their rounds, the legal state machine (AUC-03), registrations, bids, results.

Everything an online judicial auction records: the auction (one round for one lot) with its
announcement and rule-settings snapshot, the collegial-panel decisions behind its numbers
(AUC-04), the bidders' registrations with their codes (AUC-17), the append-only bid history
with a per-auction hash chain (AUC-25, REC-06), the court's published actions (AUC-40..43),
and the outcome record that makes closing happen exactly once (AUC-28).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class AuctionState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SCHEDULED = "scheduled", _("预告中")
    BIDDING = "bidding", _("进行中")
    EXTENDED = "extended", _("延时中")
    SOLD = "sold", _("已成交")
    UNSOLD = "unsold", _("流拍")
    SUSPENDED = "suspended", _("暂缓")
    HALTED = "halted", _("中止")
    WITHDRAWN = "withdrawn", _("已撤回")
    SET_ASIDE = "set_aside", _("已撤销")
    IN_LIEU = "in_lieu", _("以物抵债")
    CASE_WITHDRAWN = "case_withdrawn", _("撤案")
    DEFAULTED = "defaulted", _("悔拍")


S = AuctionState
#: Bids are accepted in these states (AUC-24 still requires t < end).
OPEN_STATES = (S.BIDDING, S.EXTENDED)
#: Bidding has ended in these states: a code may be linked to the winner (REC-05).
ENDED_STATES = (S.SOLD, S.UNSOLD, S.IN_LIEU, S.DEFAULTED, S.SET_ASIDE)
#: Nothing more happens in these states (a sold auction may still default or be set aside).
FINAL_STATES = (S.UNSOLD, S.WITHDRAWN, S.SET_ASIDE, S.IN_LIEU, S.CASE_WITHDRAWN, S.DEFAULTED)


class Auction(models.Model):
    """One round (一拍 / 二拍 / 变卖) for one lot, or a practice auction (模拟拍) outside any case.

    The state machine below is the whole of AUC-03 in one place. Transitions only change
    ``state``; the services around them lock the row, check the rules, write the audit
    entry and call other apps.
    """

    class Round(models.TextChoices):
        FIRST = "1", _("一拍")
        SECOND = "2", _("二拍")
        SALE = "sale", _("变卖")

    class Link(models.TextChoices):
        NEXT_ROUND = "next_round", _("流拍后再次拍卖")
        SALE = "sale", _("二拍流拍后变卖")
        REAUCTION = "reauction", _("悔拍后重新拍卖")

    court = models.ForeignKey(
        "core.Court",
        verbose_name=_("法院"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="auctions",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="auctions",
    )
    lot = models.ForeignKey(
        "cases.Lot",
        verbose_name=_("拍品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="auctions",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("上一轮"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="following",
    )
    link = models.CharField(_("与上一轮关系"), max_length=20, choices=Link.choices, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    round = models.CharField(_("轮次"), max_length=10, choices=Round.choices, default=Round.FIRST)
    state = FSMField(_("状态"), max_length=20, choices=AuctionState.choices, default=S.DRAFT)
    is_practice = models.BooleanField(_("模拟拍"), default=False)
    practice_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The numbers the collegial panel decides (AUC-04).
    starting_price_fen = models.BigIntegerField(_("起拍价（分）"))
    increment_fen = models.BigIntegerField(_("加价幅度（分）"))
    deposit_fen = models.BigIntegerField(_("保证金（分）"))
    balance_period_days = models.PositiveIntegerField(
        _("尾款支付期限（日）"), null=True, blank=True, help_text=_("必填，无默认值（AUC-31）")
    )

    # Time. ``end_at`` is the current end, moved by extensions (AUC-23).
    start_at = models.DateTimeField(_("竞价开始"), null=True, blank=True)
    end_at = models.DateTimeField(_("竞价结束"), null=True, blank=True, db_index=True)
    scheduled_end_at = models.DateTimeField(_("原定结束"), null=True, blank=True)

    # The live state: the hot path reads and writes only this row.
    current_price_fen = models.BigIntegerField(_("当前价（分）"), null=True, blank=True)
    leader = models.ForeignKey(
        "bidding.Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_code = models.CharField(_("领先竞买号"), max_length=20, blank=True)
    leader_priority_rank = models.PositiveIntegerField(null=True, blank=True)
    leader_bid_at = models.DateTimeField(null=True, blank=True)
    #: PRC-11: bidding was due to start after the reference price's validity and grace: the
    #: auction did not open and takes no bids; the court withdraws it (a new price first).
    price_lapsed_at = models.DateTimeField(_("参考价失效未开拍"), null=True, blank=True)
    extension_count = models.PositiveIntegerField(_("延时次数"), default=0)
    last_seq = models.PositiveIntegerField(_("最新出价序号"), default=0)
    last_bid_hash = models.CharField(max_length=64, blank=True)
    # Mirror of this auction's audit-stream head (the stream is only written under this row's
    # lock), so a bid appends its audit entry with one insert and one head update.
    stream_seq = models.BigIntegerField(default=0)
    stream_hash = models.CharField(max_length=64, blank=True)
    sale_countdown_started_at = models.DateTimeField(_("变卖倒计时开始"), null=True, blank=True)

    # Settings: per-auction court choices (drafts), frozen into the snapshot on publication.
    setting_overrides = models.JSONField(_("本场参数"), default=dict, blank=True)
    settings_snapshot = models.JSONField(_("参数快照"), null=True, blank=True)

    # The announcement and the rest of the disclosure pack (AUC-09).
    announcement = models.TextField(_("拍卖公告"), blank=True)
    bidding_rules = models.TextField(_("竞价规则"), blank=True)
    pricing_basis_note = models.TextField(_("定价依据说明"), blank=True)
    title_document_barred_reason = models.CharField(
        _("不公开执行依据的理由"), max_length=300, blank=True
    )
    priority_holders_note = models.TextField(_("优先购买权人情况"), blank=True)
    deposit_account = models.CharField(_("保证金账户"), max_length=300, blank=True)
    taxes_note = models.TextField(_("税费及承担方"), blank=True)
    court_contact = models.CharField(_("法院联系方式"), max_length=200, blank=True)
    known_defects_note = models.TextField(_("已知瑕疵"), blank=True)
    warnings_text = models.TextField(_("特别提示"), blank=True)

    # AUC-02: who chose the platform (the applicant-creditor from the SPC roster, or the court
    # designating one when the creditor did not choose or the parties disagreed).
    class PlatformChoice(models.TextChoices):
        CREDITOR = "creditor", _("申请执行人选择")
        COURT = "court", _("法院指定（未选择或意见不一）")

    platform_chosen_by = models.CharField(
        _("平台选定方式"), max_length=10, choices=PlatformChoice.choices, blank=True
    )
    platform_choice_note = models.CharField(_("平台选定记录"), max_length=300, blank=True)

    # AUC-06 / AUC-07 facts the court records before publication.
    priority_claims_fen = models.BigIntegerField(_("优先债权总额（分）"), default=0)
    costs_estimate_fen = models.BigIntegerField(_("执行费用估算（分）"), default=0)
    low_start_notified_at = models.DateTimeField(
        _("AUC-06 通知申请执行人时间"), null=True, blank=True
    )
    applicant_insisted_at = models.DateTimeField(
        _("申请执行人申请继续拍卖时间"), null=True, blank=True
    )
    applicant_bears_costs = models.BooleanField(_("流拍费用由申请执行人负担"), default=False)
    debtor_consented_at = models.DateTimeField(_("被执行人同意继续拍卖时间"), null=True, blank=True)
    price_basis = models.JSONField(_("价格依据"), null=True, blank=True)

    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("公告时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("拍卖")
        verbose_name_plural = _("拍卖")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["state", "end_at"]),
            models.Index(fields=["state", "start_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="bidding_auction_amounts_positive",
                condition=models.Q(
                    starting_price_fen__gt=0, increment_fen__gt=0, deposit_fen__gte=0
                ),
            ),
            models.CheckConstraint(
                name="bidding_auction_practice_or_case",
                condition=models.Q(is_practice=True)
                | models.Q(case__isnull=False, lot__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # ---- the state machine (AUC-03): transitions only change state -------------------------
    @transition(field=state, source=S.DRAFT, target=S.SCHEDULED)
    def publish(self) -> None:
        """公告: the announcement goes out; publication checks ran in ``auction_publish``."""

    @transition(field=state, source=S.SCHEDULED, target=S.BIDDING)
    def open(self) -> None:
        """竞价开始 at ``start_at``."""

    @transition(field=state, source=[S.BIDDING, S.EXTENDED], target=S.EXTENDED)
    def extend(self) -> None:
        """延时 (AUC-23): a bid in the last 5 minutes moved the end."""

    @transition(field=state, source=[S.BIDDING, S.EXTENDED], target=S.SOLD)
    def close_sold(self) -> None:
        """成交 (AUC-28): at least one valid bid at the end."""

    @transition(field=state, source=[S.BIDDING, S.EXTENDED], target=S.UNSOLD)
    def close_unsold(self) -> None:
        """流拍 (AUC-28): no valid bid at the end."""

    @transition(field=state, source=[S.SCHEDULED, S.BIDDING, S.EXTENDED], target=S.SUSPENDED)
    def suspend(self) -> None:
        """暂缓 (AUC-40), reason published."""

    @transition(
        field=state, source=[S.SCHEDULED, S.BIDDING, S.EXTENDED, S.SUSPENDED], target=S.HALTED
    )
    def halt(self) -> None:
        """中止 (AUC-40), reason published."""

    @transition(field=state, source=[S.SUSPENDED, S.HALTED], target=S.SCHEDULED)
    def resume(self) -> None:
        """恢复 (AUC-40/41): the court sets a new bidding period."""

    @transition(
        field=state, source=[S.DRAFT, S.SCHEDULED, S.SUSPENDED, S.HALTED], target=S.WITHDRAWN
    )
    def withdraw(self) -> None:
        """撤回 (AUC-42), before bidding starts (or while suspended/halted)."""

    @transition(field=state, source=[S.BIDDING, S.EXTENDED, S.SOLD, S.UNSOLD], target=S.SET_ASIDE)
    def set_aside(self) -> None:
        """撤销 (AUC-43): ground, decision and follow-up recorded."""

    @transition(field=state, source=S.UNSOLD, target=S.IN_LIEU)
    def take_in_lieu(self) -> None:
        """以物抵债 (AUC-36) at this round's starting price."""

    @transition(
        field=state,
        source=[S.DRAFT, S.SCHEDULED, S.BIDDING, S.EXTENDED, S.SUSPENDED, S.HALTED, S.UNSOLD],
        target=S.CASE_WITHDRAWN,
    )
    def case_withdraw(self) -> None:
        """撤案: the enforcement case ended before a sale."""

    @transition(field=state, source=S.SOLD, target=S.DEFAULTED)
    def default(self) -> None:
        """悔拍 (AUC-33): balance unpaid by the deadline."""

    # ---- helpers --------------------------------------------------------------------------
    @property
    def ref(self) -> str:
        return f"auction:{self.pk}"

    @property
    def stream(self) -> str:
        """Audit stream: ``auction:<id>``; practice auctions stay out of real streams."""
        return f"practice:{self.pk}" if self.is_practice else f"auction:{self.pk}"

    @property
    def sale_ref(self) -> str:
        return f"auction:{self.pk}/sale"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def has_ended(self) -> bool:
        """Bidding is over (REC-05: only now may the winner's identity be shown)."""
        return self.state in ENDED_STATES


class PanelDecision(models.Model):
    """A collegial-panel (合议庭) decision behind an auction's numbers (AUC-04, REC-08).

    Never edited: a new decision on the same topic supersedes the older one.
    """

    class Topic(models.TextChoices):
        STARTING_PRICE = "starting_price", _("起拍价")
        INCREMENT = "increment", _("加价幅度")
        DEPOSIT = "deposit", _("保证金")
        PRIORITY_PURCHASERS = "priority_purchasers", _("优先购买权人资格及顺序")

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="panel_decisions")
    topic = models.CharField(_("事项"), max_length=30, choices=Topic.choices)
    value_fen = models.BigIntegerField(_("金额（分）"), null=True, blank=True)
    text = models.TextField(_("决定内容"), blank=True)
    panel_members = models.CharField(_("合议庭成员"), max_length=300)
    decided_at = models.DateTimeField(_("合议时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"))
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        verbose_name = _("合议庭决定")
        verbose_name_plural = _("合议庭决定")
        ordering = ["auction", "topic", "-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} @ {self.decided_at:%Y-%m-%d}"


class PriorityHolder(models.Model):
    """A known priority purchaser (优先购买权人) of the lot with the court's rank (AUC-19)."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="priority_holders")
    name = models.CharField(_("姓名/名称"), max_length=200)
    identity = models.ForeignKey(
        "cases.Identity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveIntegerField(_("顺序"), help_text=_("1 为最优先"))
    basis = models.CharField(_("权利依据"), max_length=200, help_text=_("如 共有人、承租人"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("优先购买权人")
        verbose_name_plural = _("优先购买权人")
        ordering = ["auction", "rank", "pk"]

    def __str__(self) -> str:
        return f"{self.name}（顺序 {self.rank}）"

    @property
    def recipient_ref(self) -> str:
        """Reference of this holder in service records (AUC-10)."""
        return f"auction:{self.auction_id}/priority:{self.pk}"


class Registration(models.Model):
    """A bidder's registration (报名) for one auction.

    Anonymity (REC-05): until bidding ends nothing shown anywhere links ``bidder_code`` to
    ``user`` or ``identity``. The code is random, never derived from the identity.
    """

    class Status(models.TextChoices):
        PENDING_DEPOSIT = "pending_deposit", _("待交保证金")
        ACTIVE = "active", _("已取得竞买号")
        RELEASED = "released", _("保证金已退还")
        WINNER = "winner", _("买受人")
        FORFEITED = "forfeited", _("保证金已没收")
        CANCELLED = "cancelled", _("已取消")

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations"
    )
    identity = models.ForeignKey(
        "cases.Identity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING_DEPOSIT
    )
    accepted_terms_at = models.DateTimeField(_("接受竞买须知时间"))
    eligibility_declared = models.BooleanField(_("已声明具备购买资格"), default=False)
    party_ref = models.CharField(_("当事人身份"), max_length=60, blank=True)
    # AUC-14: agent bidding, confirmed by the court before bidding opens.
    agent_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    agent_identity = models.ForeignKey(
        "cases.Identity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agent_confirmed_at = models.DateTimeField(_("代理确认时间"), null=True, blank=True)
    agent_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Deposit (AUC-16..18) through settlement, or play money for practice auctions.
    deposit_required_fen = models.BigIntegerField(_("应交保证金（分）"), default=0)
    # The settlement reference of the current hold (a new one after a halt refunded the first).
    deposit_ref = models.CharField(_("保证金业务编号"), max_length=120, blank=True)
    deposit_held_fen = models.BigIntegerField(_("已交保证金（分）"), null=True, blank=True)
    deposit_held_at = models.DateTimeField(_("保证金到账时间"), null=True, blank=True)
    # AUC-17: code and password.
    bidder_code = models.CharField(_("竞买号"), max_length=20, null=True, blank=True)
    code_issued_at = models.DateTimeField(_("竞买号发放时间"), null=True, blank=True)
    password_hash = models.CharField(max_length=200, blank=True)
    # AUC-19: priority purchaser confirmed by the court with its rank.
    priority_holder = models.ForeignKey(
        PriorityHolder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    claims_priority = models.BooleanField(_("主张优先购买权"), default=False)
    is_priority = models.BooleanField(_("优先购买权人"), default=False)
    priority_rank = models.PositiveIntegerField(_("优先顺序"), null=True, blank=True)
    priority_confirmed_at = models.DateTimeField(null=True, blank=True)
    priority_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # AUC-27: proxy bidding, when the auction enables it.
    proxy_max_fen = models.BigIntegerField(null=True, blank=True)
    proxy_set_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("报名时间"))

    class Meta:
        verbose_name = _("竞买报名")
        verbose_name_plural = _("竞买报名")
        ordering = ["auction", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "user"], name="bidding_registration_once"),
            models.UniqueConstraint(
                fields=["auction", "bidder_code"],
                name="bidding_registration_code_unique",
                condition=models.Q(bidder_code__isnull=False),
            ),
            models.CheckConstraint(
                name="bidding_registration_priority_has_rank",
                condition=models.Q(is_priority=False) | models.Q(priority_rank__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        # Neither the person nor the code (REC-05): wherever Django prints a related object
        # (a user's protected-objects list, a foreign key), nothing links the two.
        return str(_("竞买报名"))

    @property
    def ref(self) -> str:
        """The reference of this registration: ``auction:<id>/registration:<id>``."""
        return f"auction:{self.auction_id}/registration:{self.pk}"

    @property
    def money_ref(self) -> str:
        """The settlement reference of the deposit currently held (AUC-17)."""
        return self.deposit_ref or self.ref


class RegistrationMember(models.Model):
    """A joint bidder (共同竞买人) with its stated share."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="members")
    identity = models.ForeignKey("cases.Identity", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    share_percent = models.DecimalField(_("份额（%）"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("共同竞买人")
        verbose_name_plural = _("共同竞买人")

    def __str__(self) -> str:
        return f"{self.share_percent}%"


class Bid(models.Model):
    """One accepted bid (AUC-25): append-only, sequence-numbered and hash-chained per auction."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="bids")
    seq = models.PositiveIntegerField(_("序号"))
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="bids")
    bidder_code = models.CharField(_("竞买号"), max_length=20)
    amount_fen = models.BigIntegerField(_("出价（分）"))
    at = models.DateTimeField(_("出价时间"))
    is_priority = models.BooleanField(_("优先购买权人出价"), default=False)
    priority_rank = models.PositiveIntegerField(null=True, blank=True)
    is_proxy = models.BooleanField(default=False)
    client_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("出价记录")
        verbose_name_plural = _("出价记录")
        ordering = ["auction", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "seq"], name="bidding_bid_seq_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.bidder_code} {self.amount_fen}"


class CourtAction(models.Model):
    """A court action on an auction with its published reason (AUC-40..43, REC-09).

    Append-only: a later action (resume) follows an earlier one (suspend); nothing is edited.
    """

    class Kind(models.TextChoices):
        SUSPEND = "suspend", _("暂缓")
        HALT = "halt", _("中止")
        RESUME = "resume", _("恢复")
        WITHDRAW = "withdraw", _("撤回")
        SET_ASIDE = "set_aside", _("撤销")
        CASE_WITHDRAWN = "case_withdrawn", _("撤案")
        THIRD_PARTY_OBJECTION = "third_party_objection", _("案外人异议")
        GROUND_ENDED = "ground_ended", _("暂缓/中止事由消除")

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="court_actions")
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    ground = models.CharField(_("事由"), max_length=40, blank=True)
    reason = models.TextField(_("公开理由"))
    document = models.CharField(_("文书"), max_length=200, blank=True)
    follow_up = models.TextField(_("后续处理"), blank=True)
    new_start_at = models.DateTimeField(null=True, blank=True)
    new_end_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"))
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = _("法院处置行为")
        verbose_name_plural = _("法院处置行为")
        ordering = ["auction", "decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.reason[:30]}"


class ExclusionEntry(models.Model):
    """AUC-11: who may not bid on this lot (court, platform, agencies, their staff, relatives)."""

    class Category(models.TextChoices):
        COURT = "court", _("执行法院")
        PLATFORM = "platform", _("网络服务提供者")
        AGENCY = "agency", _("拍卖辅助机构")
        STAFF = "staff", _("上述单位工作人员")
        RELATIVE = "relative", _("上述人员近亲属")

    lot = models.ForeignKey("cases.Lot", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    identity_kind = models.CharField(_("证件类型"), max_length=20)
    identity_number = models.CharField(_("证件号码"), max_length=40)
    name = models.CharField(_("姓名/名称"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("禁止竞买名单")
        verbose_name_plural = _("禁止竞买名单")
        indexes = [models.Index(fields=["lot", "identity_kind", "identity_number"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.name}"


class DefaulterBar(models.Model):
    """AUC-15: a defaulting buyer's identity is barred from every re-auction of the lot."""

    lot = models.ForeignKey("cases.Lot", on_delete=models.PROTECT, related_name="+")
    identity = models.ForeignKey("cases.Identity", on_delete=models.PROTECT, related_name="+")
    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("悔拍人禁止竞买")
        verbose_name_plural = _("悔拍人禁止竞买")
        constraints = [
            models.UniqueConstraint(fields=["lot", "identity"], name="bidding_defaulter_once")
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id}: identity {self.identity_id}"


class AuctionResult(models.Model):
    """The outcome of bidding: one per auction, which is what makes closing happen once.

    On a sale it carries the confirmation (成交确认书, AUC-29) naming the buyer, and the
    follow-up: balance (AUC-31), sale ruling (AUC-32) and handover (AUC-32).
    """

    class Outcome(models.TextChoices):
        SOLD = "sold", _("成交")
        UNSOLD = "unsold", _("流拍")

    class Handover(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        AWAITING_RULING = "awaiting_ruling", _("待送达成交裁定")
        VACATING = "vacating", _("腾退中")
        EVICTION = "eviction", _("强制清场中")
        KEYS_HANDED = "keys_handed", _("已交付钥匙/证照")
        COMPLETED = "completed", _("已移交")
        IMPOSSIBLE = "impossible", _("依法不能移交")

    auction = models.OneToOneField(Auction, on_delete=models.PROTECT, related_name="result")
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    closed_at = models.DateTimeField(_("结束时间"))
    price_fen = models.BigIntegerField(_("成交价（分）"), null=True, blank=True)
    winner = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    winner_code = models.CharField(_("买受人竞买号"), max_length=20, blank=True)
    bid_count = models.PositiveIntegerField(_("出价次数"), default=0)
    buyer_name = models.CharField(_("买受人"), max_length=300, blank=True)
    confirmation_text = models.TextField(_("成交确认书"), blank=True)
    confirmation_published_at = models.DateTimeField(_("确认书公示时间"), null=True, blank=True)
    balance_due_at = models.DateTimeField(_("尾款截止"), null=True, blank=True)
    balance_paid_at = models.DateTimeField(_("尾款付清时间"), null=True, blank=True)
    ruling_due_at = models.DateTimeField(_("成交裁定送达期限"), null=True, blank=True)
    ruling_served_at = models.DateTimeField(_("成交裁定送达时间"), null=True, blank=True)
    ruling_document = models.CharField(_("成交裁定文号"), max_length=200, blank=True)
    handover_due_at = models.DateTimeField(_("移交期限"), null=True, blank=True)
    handover_state = models.CharField(
        _("移交状态"), max_length=20, choices=Handover.choices, default=Handover.NOT_STARTED
    )
    keys_handed_at = models.DateTimeField(_("交付钥匙时间"), null=True, blank=True)
    vehicle_violations_cleared = models.BooleanField(_("车辆违章已处理"), null=True, blank=True)
    handover_completed_at = models.DateTimeField(_("移交完成时间"), null=True, blank=True)
    handover_note = models.TextField(_("移交说明"), blank=True)
    eligibility_proof = models.CharField(_("购房资格证明（AUC-13）"), max_length=300, blank=True)
    followup_done_at = models.DateTimeField(null=True, blank=True)
    followup_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("拍卖结果")
        verbose_name_plural = _("拍卖结果")
        # Public statistics (issue 17) read a period's results by the end of bidding.
        indexes = [models.Index(fields=["closed_at"], name="bidding_result_closed_at")]

    def __str__(self) -> str:
        return f"{self.auction_id}: {self.get_outcome_display()}"


class InLieuTaking(models.Model):
    """以物抵债 (AUC-36): a creditor takes the unsold lot at that round's starting price."""

    auction = models.OneToOneField(Auction, on_delete=models.PROTECT, related_name="in_lieu")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    price_fen = models.BigIntegerField(_("抵债价（分）"))
    claim_fen = models.BigIntegerField(_("债权（分）"))
    excess_fen = models.BigIntegerField(_("应补差价（分）"))
    excess_due_at = models.DateTimeField(_("补交差价期限"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("以物抵债")
        verbose_name_plural = _("以物抵债")

    def __str__(self) -> str:
        return f"以物抵债 {self.price_fen}"


class DisposalRoute(models.Model):
    """How a lot is disposed of when not by online auction (AUC-01, AUC-44).

    Online auction is the default and needs no record. Any other route needs the court's
    recorded reason: offline auction (required by law, or the item is unsuitable for an online
    sale), or the debtor's own sale (自行处置) at a supervised price within a fixed period, the
    proceeds going to the case account. Never edited: a new decision supersedes the old one.
    """

    class Route(models.TextChoices):
        OFFLINE = "offline", _("线下拍卖/变卖")
        SELF_SALE = "self_sale", _("被执行人自行处置")

    class Ground(models.TextChoices):
        REQUIRED_BY_LAW = "required_by_law", _("法律、行政法规规定须由其他途径处置")
        UNSUITABLE = "unsuitable", _("不宜网络拍卖")
        SELF_SALE = "self_sale", _("经法院准许由被执行人自行处置")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        COMPLETED = "completed", _("已完成")
        LAPSED = "lapsed", _("期满未完成")
        SUPERSEDED = "superseded", _("已被取代")

    lot = models.ForeignKey("cases.Lot", on_delete=models.PROTECT, related_name="disposal_routes")
    route = models.CharField(_("处置途径"), max_length=20, choices=Route.choices)
    ground = models.CharField(_("理由类型"), max_length=20, choices=Ground.choices)
    reason = models.TextField(_("理由"))
    supervised_price_fen = models.BigIntegerField(_("监督价（分）"), null=True, blank=True)
    period_end_at = models.DateTimeField(_("处置期限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    proceeds_fen = models.BigIntegerField(_("处置款（分）"), null=True, blank=True)
    proceeds_receipt_id = models.BigIntegerField(_("到账记录"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"))

    class Meta:
        verbose_name = _("其他处置途径")
        verbose_name_plural = _("其他处置途径")
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.get_route_display()}：{self.lot_id}"


class InLieuApplication(models.Model):
    """A creditor's application to take an unsold lot in lieu of debt (以物抵债, AUC-36).

    Recorded by the court on the creditor's request. The creditor's statutory priority
    (``cases.Party.priority``: 1 is first; none = an ordinary claim, after every ranked one)
    is frozen at the application; of several applicants the earliest priority takes the lot,
    and of several sharing it a lot draw decides (``InLieuDraw``, logged as APR-03).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待决定")
        GRANTED = "granted", _("准予抵债")
        NOT_CHOSEN = "not_chosen", _("未获抵债")

    auction = models.ForeignKey(
        Auction, on_delete=models.PROTECT, related_name="in_lieu_applications"
    )
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveIntegerField(_("受偿顺位"), null=True, blank=True)
    note = models.TextField(_("申请内容"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    applied_at = models.DateTimeField(_("申请时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("以物抵债申请")
        verbose_name_plural = _("以物抵债申请")
        ordering = ["applied_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "party"], name="bidding_in_lieu_apply_once")
        ]

    def __str__(self) -> str:
        return f"以物抵债申请 {self.party_id}"


class InLieuDraw(models.Model):
    """The lot draw (摇号) among in-lieu applicants of equal priority (AUC-36, logged as APR-03).

    Frozen list → commitments (the court and each applicant, sha256 of a secret made in the
    browser) → reveals after the commitment deadline → seed and order by the appraisers'
    published algorithm (``appraisers.draw_algorithm``) → the first in the order takes the lot.
    Everything needed to re-run it is in the record and in the case's audit trail (REC-07).
    """

    class Status(models.TextChoices):
        FROZEN = "frozen", _("名单已冻结公布")
        DONE = "done", _("摇号完成")

    auction = models.OneToOneField(Auction, on_delete=models.PROTECT, related_name="in_lieu_draw")
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.FROZEN
    )
    frozen_list = models.JSONField(_("冻结名单"))
    list_hash = models.CharField(_("名单哈希"), max_length=64)
    context = models.CharField(_("摇号标识"), max_length=100)
    scheduled_at = models.DateTimeField(_("摇号时间"))
    commit_deadline = models.DateTimeField(_("承诺截止时间"))
    algorithm_version = models.CharField(_("算法版本"), max_length=40)
    seed = models.CharField(_("种子"), max_length=64, blank=True)
    result = models.JSONField(_("摇号结果（当事人 id 按顺序）"), null=True, blank=True)
    winner = models.ForeignKey(
        "cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(_("摇号完成时间"), null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("以物抵债摇号")
        verbose_name_plural = _("以物抵债摇号")

    def __str__(self) -> str:
        return f"以物抵债摇号 {self.pk}"

    @property
    def subject(self) -> str:
        return f"case:{self.auction.case_id}/auction:{self.auction_id}/in_lieu_draw:{self.pk}"


class InLieuDrawCommitment(models.Model):
    """One participant's commitment (sha256 of a secret) and, later, the revealed secret."""

    draw = models.ForeignKey(InLieuDraw, on_delete=models.PROTECT, related_name="commitments")
    participant_ref = models.CharField(_("参与方"), max_length=40)
    participant_label = models.CharField(_("参与方名称"), max_length=200)
    commitment = models.CharField(_("承诺值"), max_length=64)
    secret = models.CharField(_("揭示值"), max_length=200, blank=True)
    committed_at = models.DateTimeField(_("承诺时间"))
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revealed_at = models.DateTimeField(_("揭示时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("摇号承诺值")
        verbose_name_plural = _("摇号承诺值")
        ordering = ["participant_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "participant_ref"], name="bidding_in_lieu_commit_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_label} {self.commitment[:8]}"


class OfflineRound(models.Model):
    """One round of the offline channel (线下拍卖/变卖, AUC-39) under an offline disposal route
    (AUC-01). It follows the rules for auctions and sales by the court (ASR 10, 13, 23–25, 32),
    never the online rounds': deposit ≥ 5% of the appraisal, refunds within 3 days, a
    re-auction within 60 days, a third auction only for immovables, a sale (变卖) at no less
    than half the appraisal, ties among holders of the same priority rank decided by lot."""

    class Method(models.TextChoices):
        AUCTION = "auction", _("线下拍卖")
        SALE = "sale", _("变卖")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待举行")
        SOLD = "sold", _("成交")
        UNSOLD = "unsold", _("流拍/未能变卖")

    route = models.ForeignKey(
        DisposalRoute, on_delete=models.PROTECT, related_name="offline_rounds"
    )
    lot = models.ForeignKey("cases.Lot", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("方式"), max_length=10, choices=Method.choices)
    round = models.PositiveSmallIntegerField(_("拍卖次数"), default=0)
    appraisal_fen = models.BigIntegerField(_("评估价（分）"))
    start_price_fen = models.BigIntegerField(_("起拍价/变卖价（分）"))
    deposit_fen = models.BigIntegerField(_("保证金（分）"), default=0)
    held_at = models.DateTimeField(_("举行时间"))
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    price_fen = models.BigIntegerField(_("成交价（分）"), null=True, blank=True)
    buyer_name = models.CharField(_("买受人"), max_length=200, blank=True)
    tie_draw = models.JSONField(_("同顺位抽签记录"), null=True, blank=True)
    deposit_refund_due_at = models.DateTimeField(_("保证金退还期限"), null=True, blank=True)
    next_round_due_at = models.DateTimeField(_("再次拍卖期限"), null=True, blank=True)
    #: AUC-40 / ASR 18: a pending round suspended (暂缓) or halted (中止) before it is held; once
    #: the ground ends the court resumes it within ``resume_days_entrusted`` (15) days.
    suspended_at = models.DateTimeField(_("暂缓/中止时间"), null=True, blank=True)
    suspend_reason = models.TextField(_("暂缓/中止理由"), blank=True)
    ground_ended_at = models.DateTimeField(_("事由消除时间"), null=True, blank=True)
    resume_due_at = models.DateTimeField(_("恢复期限"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"))
    result_at = models.DateTimeField(_("结果登记时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("线下拍卖/变卖")
        verbose_name_plural = _("线下拍卖/变卖")
        ordering = ["lot", "held_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.round or ''} {self.lot_id}"

    @property
    def ref(self) -> str:
        return f"case:{self.route.lot.case_id}/lot:{self.lot_id}/offline:{self.pk}"


# Collusion detection (issue 19) keeps its records in its own module.
from bidding.collusion.models import ClientMark, CollusionCheck, CollusionFlag  # noqa: E402, F401


class LotQuestion(models.Model):
    """拍品咨询: a signed-in visitor's question about a lot, asked on an auction's page.

    The court of the lot answers it (or rejects it, with a reason: off-topic, abusive…); once
    answered, the question and the answer are public on every round's page of the lot, the
    asker shown only as 竞买人 + ``asker_alias`` (a short code derived per lot, never the name,
    never the bidder code, REC-05). Rejected questions stay private to the asker and the court.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待答复")
        ANSWERED = "answered", _("已答复")
        REJECTED = "rejected", _("未予公开")

    class RejectReason(models.TextChoices):
        OFF_TOPIC = "off_topic", _("与拍品无关")
        ABUSIVE = "abusive", _("含不当言论")
        DUPLICATE = "duplicate", _("重复提问")
        PRIVATE = "private", _("涉及个人信息")

    lot = models.ForeignKey("cases.Lot", on_delete=models.PROTECT, related_name="questions")
    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="questions")
    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lot_questions"
    )
    asker_alias = models.CharField(_("咨询人代号"), max_length=8)
    text = models.TextField(_("咨询内容"))
    asked_at = models.DateTimeField(_("提问时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    answer = models.TextField(_("答复"), blank=True)
    reject_reason = models.CharField(
        _("不予公开的理由"), max_length=20, choices=RejectReason.choices, blank=True
    )
    reject_note = models.CharField(_("说明"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("拍品咨询")
        verbose_name_plural = _("拍品咨询")
        ordering = ["lot", "asked_at", "pk"]
        indexes = [
            models.Index(fields=["lot", "status", "decided_at"], name="bidding_q_lot_status"),
            models.Index(fields=["court", "status", "asked_at"], name="bidding_q_court_status"),
            models.Index(fields=["asker", "asked_at"], name="bidding_q_asker_time"),
        ]
        constraints = [
            models.CheckConstraint(
                name="bidding_question_answered_has_answer",
                condition=~models.Q(status="answered") | ~models.Q(answer=""),
            ),
            models.CheckConstraint(
                name="bidding_question_rejected_has_reason",
                condition=~models.Q(status="rejected") | ~models.Q(reject_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}/{self.pk}: {self.get_status_display()}"

    @property
    def ref(self) -> str:
        return f"auction:{self.auction_id}/question:{self.pk}"
