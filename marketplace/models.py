"""Tables of the marketplace: saved searches, viewing slots and appointments (看样).

Watches and reminders join these once bidding's ``Auction`` exists (a later migration).
Nothing here stores a bidder code or a registration: what a person follows or asks to view
never links them to a bid (REC-05).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedSearch(models.Model):
    """A person's saved listing filter; new matching listings are announced to them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("名称"), max_length=80)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    notify = models.BooleanField(_("有新拍品时提醒"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("保存的搜索")
        verbose_name_plural = _("保存的搜索")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ViewingSlot(models.Model):
    """A time the court offers for viewing a lot (看样), with a place and a capacity."""

    court = models.ForeignKey("core.Court", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("cases.Lot", on_delete=models.PROTECT, related_name="viewing_slots")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("集合地点"), max_length=300)
    capacity = models.PositiveIntegerField(_("名额"), default=5)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    cancelled = models.BooleanField(_("已取消"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("看样时段")
        verbose_name_plural = _("看样时段")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="marketplace_slot_ends_after_start",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            ),
            models.CheckConstraint(
                name="marketplace_slot_capacity_positive", condition=models.Q(capacity__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot} {self.starts_at:%Y-%m-%d %H:%M}"


class ViewingAppointment(models.Model):
    """A bidder's request for a viewing slot; the court confirms or declines it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DECLINED = "declined", _("已婉拒")
        CANCELLED = "cancelled", _("已取消")

    ACTIVE = (Status.REQUESTED, Status.CONFIRMED)

    slot = models.ForeignKey(ViewingSlot, on_delete=models.PROTECT, related_name="appointments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="viewing_appointments"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.CharField(_("留言"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.CharField(_("婉拒理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("看样预约")
        verbose_name_plural = _("看样预约")
        ordering = ["slot__starts_at", "requested_at", "pk"]
        constraints = [
            # One live request per person per slot; a declined or cancelled one may be renewed.
            models.UniqueConstraint(
                fields=["slot", "user"],
                condition=models.Q(status__in=["requested", "confirmed"]),
                name="marketplace_one_active_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot} · {self.get_status_display()}"


class Watch(models.Model):
    """A person follows an auction (关注): reminders before start and end, shown in their account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    auction = models.ForeignKey("bidding.Auction", on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(_("关注时间"))

    class Meta:
        verbose_name = _("关注")
        verbose_name_plural = _("关注")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "auction"], name="marketplace_watch_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → auction:{self.auction_id}"


class ReminderSent(models.Model):
    """One reminder (start or end) of one auction to one person, for one scheduled time.

    The unique row is what makes a reminder go out once, however many workers run; a new
    time (the court set a new period after a suspension) earns a new reminder.
    """

    class Kind(models.TextChoices):
        START = "start", _("开拍提醒")
        END = "end", _("结束提醒")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    auction = models.ForeignKey("bidding.Auction", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    for_time = models.DateTimeField(_("所提醒的时间"))
    sent_at = models.DateTimeField(_("发送时间"))

    class Meta:
        verbose_name = _("已发送提醒")
        verbose_name_plural = _("已发送提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "auction", "kind", "for_time"], name="marketplace_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} auction:{self.auction_id} → {self.user_id}"


class ListingInfo(models.Model):
    """What the storefront shows about an auction beyond bidding's record: bank loans (可贷款).

    Set by the auction's court; bidding's announcement stays the legal text.
    """

    auction = models.OneToOneField(
        "bidding.Auction", on_delete=models.CASCADE, related_name="listing_info"
    )
    loan_supported = models.BooleanField(_("支持贷款"), default=False)
    loan_note = models.CharField(_("贷款说明"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("拍品展示信息")
        verbose_name_plural = _("拍品展示信息")

    def __str__(self) -> str:
        return f"auction:{self.auction_id} 贷款={'是' if self.loan_supported else '否'}"


class OutbidCursor(models.Model):
    """How far the outbid alerts of one auction have been sent (the last bid's sequence number).

    The worker derives the alerts from bidding's bid history (bid *n* outbids the registration of
    bid *n − 1*), so the bid itself never waits for them; one row per auction, advanced under a
    row lock, and the outbox key keeps each alert once even if two workers raced.
    """

    auction = models.OneToOneField(
        "bidding.Auction", on_delete=models.CASCADE, primary_key=True, related_name="outbid_cursor"
    )
    seq = models.PositiveIntegerField(_("已提醒至出价序号"), default=0)

    class Meta:
        verbose_name = _("超越提醒进度")
        verbose_name_plural = _("超越提醒进度")

    def __str__(self) -> str:
        return f"auction:{self.auction_id} @ {self.seq}"


class ListingIndex(models.Model):
    """One row per public auction: what the storefront filters, sorts and searches on (issue 18).

    Kept current by ``marketplace.search_index`` from bidding's saves and events (state,
    schedule, publication), the listing's loan flag, its assets, and a worker sweep for the
    price and end moved by bids. Each sort has one stored, unique ``BIGINT`` key (the time or
    price, then the auction), so a page is an index range read (``key > cursor``) and no page
    sorts or counts the whole table. On PostgreSQL a generated ``tsvector`` column over the
    jieba-segmented text (title words weighted A) has a GIN index (migration 0005); SQLite
    falls back to matching the segmented words in ``search_title``/``search_body``.
    """

    auction = models.OneToOneField(
        "bidding.Auction", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    court_id = models.IntegerField(_("法院"), null=True)
    case_number = models.CharField(_("案号"), max_length=60, blank=True, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, blank=True)
    province = models.CharField(_("省"), max_length=2, blank=True)
    city = models.CharField(_("市"), max_length=4, blank=True)
    district = models.CharField(_("区县"), max_length=6, blank=True)
    round = models.CharField(_("轮次"), max_length=10)
    state = models.CharField(_("状态"), max_length=20)
    state_group = models.CharField(_("状态分组"), max_length=10)
    loan = models.BooleanField(_("可贷款"), default=False)
    restricted = models.BooleanField(_("限购"), default=False)
    price_fen = models.BigIntegerField(_("价格（分）"))
    seq = models.IntegerField(_("已计入的出价序号"), default=0)
    key_ending = models.BigIntegerField(unique=True)
    key_starting = models.BigIntegerField(unique=True)
    key_newest = models.BigIntegerField(unique=True)
    key_price = models.BigIntegerField(unique=True)
    key_closed = models.BigIntegerField(null=True, unique=True)
    search_title = models.TextField(blank=True)
    search_body = models.TextField(blank=True)

    class Meta:
        verbose_name = _("拍品检索索引")
        verbose_name_plural = _("拍品检索索引")
        # On PostgreSQL migration 0006 rebuilds the (filter, key_ending) indexes with the auction
        # id and the other filter columns INCLUDEd (index-only pages and facet counts).
        indexes = [
            models.Index(fields=["state_group", "key_ending"], name="mk_li_group_ending"),
            models.Index(fields=["kind", "key_ending"], name="mk_li_kind_ending"),
            models.Index(fields=["province", "key_ending"], name="mk_li_prov_ending"),
            models.Index(fields=["city", "key_ending"], name="mk_li_city_ending"),
            models.Index(fields=["district", "key_ending"], name="mk_li_dist_ending"),
            models.Index(fields=["court_id", "key_ending"], name="mk_li_court_ending"),
            models.Index(fields=["round", "key_ending"], name="mk_li_round_ending"),
            models.Index(fields=["price_fen", "key_ending"], name="mk_li_price"),
            models.Index(fields=["court_id", "key_closed"], name="mk_li_court_closed"),
            models.Index(fields=["state_group", "seq"], name="mk_li_group_seq"),
        ]

    def __str__(self) -> str:
        return f"auction:{self.auction_id} {self.state_group}"
