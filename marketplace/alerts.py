"""Following (关注) and alerts: reminders before start and end, outbid alerts, saved-search alerts.

- Reminders: a periodic task (``marketplace.reminders``) sends each watcher one reminder before
  bidding starts and one before it ends. A unique ``ReminderSent`` row per (person, auction,
  kind, time) makes it once, however many workers run; only scheduled (start) or open (end)
  auctions qualify, so a withdrawn, suspended or halted auction never reminds anyone.
- Outbid: a worker task (every second) reads the new bids of each auction and tells the
  person whose registration led before each bid, once per bid (a cursor per auction and the
  outbox key); it names no one (REC-05). The bid's own thread never waits for it.
- Saved searches: on ``AuctionPublished``, each person whose saved search matches the new
  listing is told once.
All messages go through the core outbox with an unsubscribe link (``marketplace.notices``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bidding.events import AuctionPublished
from bidding.models import OPEN_STATES, Auction, AuctionState, Bid
from core import clock
from core.models import User
from core.money import yuan
from core.notifications import Message, text
from core.rulesettings import SettingSpec, get_setting, register
from marketplace import notices
from marketplace.filters import parse_listing_query
from marketplace.listings import auction_url, listing_queryset
from marketplace.models import ReminderSent, SavedSearch, Watch

log = logging.getLogger("gavel.marketplace")
S = AuctionState

register(
    SettingSpec(
        "marketplace_reminder_start_minutes",
        60,
        "int",
        "A",
        ("REC-11",),
        "关注拍品开拍前提醒（分钟）",
        min=5,
        max=7 * 24 * 60,
    ),
    SettingSpec(
        "marketplace_reminder_end_minutes",
        30,
        "int",
        "A",
        ("REC-11",),
        "关注拍品结束前提醒（分钟）",
        min=5,
        max=24 * 60,
    ),
)
MAX_LEAD = dt.timedelta(days=7)


def _due_kind(auction: Auction, now: dt.datetime) -> tuple[str, dt.datetime] | None:
    """Which reminder (if any) this auction is due for now, by its court's lead times."""
    if auction.state == S.SCHEDULED and auction.start_at and auction.start_at > now:
        lead = dt.timedelta(
            minutes=int(get_setting("marketplace_reminder_start_minutes", court=auction.court_id))
        )
        if auction.start_at - now <= lead:
            return ReminderSent.Kind.START, auction.start_at
    if auction.state in OPEN_STATES and auction.end_at and auction.end_at > now:
        lead = dt.timedelta(
            minutes=int(get_setting("marketplace_reminder_end_minutes", court=auction.court_id))
        )
        if auction.end_at - now <= lead:
            # Keyed on the scheduled end: extensions (AUC-23) move ``end_at`` but earn no new
            # reminder; a new period set after a resume does.
            return ReminderSent.Kind.END, auction.scheduled_end_at or auction.end_at
    return None


def reminders_send(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send due start/end reminders to watchers, each once. Safe with several workers."""
    now = now or clock.now()
    counts = {"start": 0, "end": 0}
    window = Q(
        auction__state=S.SCHEDULED, auction__start_at__gt=now, auction__start_at__lte=now + MAX_LEAD
    ) | Q(
        auction__state__in=list(OPEN_STATES),
        auction__end_at__gt=now,
        auction__end_at__lte=now + MAX_LEAD,
    )
    with transaction.atomic():
        watches = (
            Watch.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("auction", "user")
            .filter(window, auction__is_practice=False, user__is_active=True)
            .order_by("pk")[:limit]
        )
        for watch in watches:
            due = _due_kind(watch.auction, now)
            if due is None:
                continue
            kind, for_time = due
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        user=watch.user,
                        auction=watch.auction,
                        kind=kind,
                        for_time=for_time,
                        sent_at=now,
                    )
            except IntegrityError:
                continue  # sent already (by this or another worker)
            _send_reminder(watch, kind, for_time)
            counts[kind] += 1
    return counts


def _send_reminder(watch: Watch, kind: str, for_time: dt.datetime) -> None:
    a = watch.auction
    if kind == ReminderSent.Kind.START:
        subject = _("关注的拍品即将开拍")
        body = text(
            _("您关注的“%(title)s”将于 %(when)s 开始竞价，起拍价 %(price)s 元。"),
            title=a.title,
            when=for_time,
            price=yuan(a.starting_price_fen),
        )
    else:
        subject = _("关注的拍品即将结束")
        price = a.current_price_fen if a.current_price_fen is not None else a.starting_price_fen
        ends = a.end_at or for_time  # an open auction always has an end (``for_time`` is it)
        body = text(
            _(
                "您关注的“%(title)s”将于 %(when)s 结束竞价（最后5分钟内有出价将延时），当前价 %(price)s 元。"
            ),
            title=a.title,
            when=ends,
            price=yuan(price),
        )
    notices.send(
        user=watch.user,
        topic="marketplace.reminder",
        subject=subject,
        body=body,
        key=f"reminder:{kind}:{a.pk}:{watch.user_id}:{for_time.isoformat()}",
        link=auction_url(a.pk),
        court=a.court_id,
    )


OUTBID_LOOKBACK = dt.timedelta(days=1)


def outbid_alerts_send(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Outbid alerts (worker task): tell the person who led before each new bid, once.

    Derived from bidding's bid history, not from the ``BidAccepted`` event: the bid's thread
    (the live path, ARCHITECTURE.md "The hot path") never waits for a query or a commit of
    ours, and an alert survives a restart between the bid and its delivery. Bid *n* outbids
    the registration of bid *n − 1* when they differ (a priority purchaser taking the lead at
    an equal price included, AUC-26). The message names no one (REC-05). Practice auctions get
    none. Safe with several workers: one cursor row per auction, taken with ``skip_locked``,
    and the outbox key ``outbid:<auction>:<seq>:<user>`` makes a repeat a no-op.
    """
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce

    from marketplace.models import OutbidCursor

    now = now or clock.now()
    pending = list(
        Auction.objects.filter(is_practice=False, last_seq__gt=0, end_at__gte=now - OUTBID_LOOKBACK)
        .annotate(done=Coalesce(F("outbid_cursor__seq"), Value(0)))
        .filter(last_seq__gt=F("done"))
        .only("pk", "title", "end_at", "court_id")[:limit]
    )
    sent = 0
    for auction in pending:
        auction_id = auction.pk
        with transaction.atomic():
            OutbidCursor.objects.get_or_create(auction_id=auction_id)
            cursor = (
                OutbidCursor.objects.select_for_update(skip_locked=True)
                .filter(auction_id=auction_id)
                .first()
            )
            if cursor is None:
                continue  # another worker has it
            bids = list(
                Bid.objects.filter(auction_id=auction_id, seq__gte=max(cursor.seq, 1))
                .select_related("registration__user")
                .order_by("seq")
            )
            previous = bids[0] if bids and bids[0].seq == cursor.seq else None
            for bid in bids:
                if bid.seq <= cursor.seq:
                    continue
                if previous is not None and previous.registration_id != bid.registration_id:
                    _send_outbid(auction, previous.registration.user, bid)
                    sent += 1
                previous = bid
            if bids:
                cursor.seq = bids[-1].seq
                cursor.save(update_fields=["seq"])
    return sent


def _send_outbid(a: Auction, user: User, bid: Bid) -> None:
    # The auctions read for alerts all have an end (``end_at__gte`` in the query).
    body: Message = text(
        _("“%(title)s”有新的出价 %(price)s 元，您已不再领先。"),
        title=a.title,
        price=yuan(bid.amount_fen),
    )
    if a.end_at is not None:
        body = body + text(_("竞价结束时间 %(when)s（以页面为准）。"), when=a.end_at)
    notices.send(
        user=user,
        topic="marketplace.outbid",
        subject=_("您的出价已被超越"),
        body=body,
        key=f"outbid:{a.pk}:{bid.seq}:{user.pk}",
        link=auction_url(a.pk),
        court=a.court_id,
    )


def saved_search_matches(search: SavedSearch, auction_id: int) -> bool:
    try:
        query = parse_listing_query(search.params or {})
    except Exception:  # a search saved under older rules: never break the publisher
        log.warning("saved search %s no longer parses", search.pk)
        return False
    return listing_queryset(query).filter(pk=auction_id).exists()


def on_auction_published(event: AuctionPublished) -> None:
    """New listing: tell each person whose saved search matches it (once per search and auction)."""
    a = (
        Auction.objects.filter(pk=event.auction_id, is_practice=False)
        .exclude(state=S.DRAFT)
        .first()
    )
    if a is None:
        return
    with transaction.atomic():
        for search in SavedSearch.objects.filter(notify=True, user__is_active=True).select_related(
            "user"
        ):
            if not saved_search_matches(search, a.pk):
                continue
            new = (
                _("新拍品“%(title)s”（%(round)s）起拍价 %(price)s 元，%(when)s 开拍。")
                if a.start_at
                else _("新拍品“%(title)s”（%(round)s）起拍价 %(price)s 元。")
            )
            notices.send(
                user=search.user,
                topic="marketplace.saved_search",
                subject=text(_("“%(name)s”有新拍品"), name=search.name),
                body=text(
                    new,
                    title=a.title,
                    round=a.get_round_display,
                    price=yuan(a.starting_price_fen),
                    when=a.start_at,
                ),
                key=f"saved_search:{search.pk}:{a.pk}",
                link=auction_url(a.pk),
                court=a.court_id,
            )


def connect() -> None:
    """Wire the subscriptions and the periodic task (``MarketplaceConfig.ready``)."""
    from core.events import subscribe
    from core.worker import register_task

    subscribe(AuctionPublished, on_auction_published)
    register_task("marketplace.reminders", reminders_send, every=30.0)
    register_task("marketplace.outbid_alerts", outbid_alerts_send, every=1.0)

    from marketplace.practice import practice_sparring_tick

    # The practice sparring partner answers outbids on practice auctions (never real ones).
    register_task("marketplace.practice_sparring", practice_sparring_tick, every=2.0)
