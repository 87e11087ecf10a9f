"""Following (关注) and alerts: reminders before start and end, outbid alerts, saved-search alerts.

- Reminders: a periodic task (``marketplace.reminders``) sends each watcher one reminder before
  bidding starts and one before it ends. A unique ``ReminderSent`` row per (person, auction,
  kind, time) makes it once, however many workers run; only scheduled (start) or open (end)
  auctions qualify, so a withdrawn, suspended or halted auction never reminds anyone.
- Outbid: subscribed to bidding's ``BidAccepted``, which bidding publishes after the bid's
  transaction commits, so the alert is never written inside the bid's lock. It goes only to
  the person whose registration led before the bid, once per bid (the outbox key); it names
  no one (REC-05).
- Saved searches: on ``AuctionPublished``, each person whose saved search matches the new
  listing is told once.
All messages go through the core outbox with an unsubscribe link (``marketplace.notices``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from bidding.models import OPEN_STATES, Auction, AuctionState, Registration
from core import clock
from core.money import yuan
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


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


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
        subject = "关注的拍品即将开拍"
        body = f"您关注的“{a.title}”将于 {_local(for_time)} 开始竞价，起拍价 {yuan(a.starting_price_fen)} 元。"
    else:
        subject = "关注的拍品即将结束"
        price = a.current_price_fen if a.current_price_fen is not None else a.starting_price_fen
        body = (
            f"您关注的“{a.title}”将于 {_local(a.end_at)} 结束竞价（最后5分钟内有出价将延时），"
            f"当前价 {yuan(price)} 元。"
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


def on_bid_accepted(event: Any) -> None:
    """Outbid alert: tell the previous leader (only them) that a higher bid took the lead."""
    reg_id = event.previous_leader_registration_id
    if not reg_id:
        return
    reg = Registration.objects.select_related("auction", "user").filter(pk=reg_id).first()
    if reg is None or reg.auction_id != event.auction_id or reg.auction.is_practice:
        return
    a = reg.auction
    with transaction.atomic():
        notices.send(
            user=reg.user,
            topic="marketplace.outbid",
            subject="您的出价已被超越",
            body=(
                f"“{a.title}”有新的出价 {yuan(event.amount_fen)} 元，您已不再领先。"
                f"竞价结束时间 {_local(event.end_at)}（以页面为准）。"
            ),
            key=f"outbid:{a.pk}:{event.seq}:{reg.user_id}",
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


def on_auction_published(event: Any) -> None:
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
            start = f"，{_local(a.start_at)} 开拍" if a.start_at else ""
            notices.send(
                user=search.user,
                topic="marketplace.saved_search",
                subject=f"“{search.name}”有新拍品",
                body=f"新拍品“{a.title}”（{a.get_round_display()}）起拍价 {yuan(a.starting_price_fen)} 元{start}。",
                key=f"saved_search:{search.pk}:{a.pk}",
                link=auction_url(a.pk),
                court=a.court_id,
            )


def connect() -> None:
    """Wire the subscriptions and the periodic task (``MarketplaceConfig.ready``)."""
    from bidding.events import AuctionPublished, BidAccepted
    from core.events import subscribe
    from core.worker import register_task

    subscribe(BidAccepted, on_bid_accepted)
    subscribe(AuctionPublished, on_auction_published)
    register_task("marketplace.reminders", reminders_send, every=30.0)

    from marketplace.practice import practice_sparring_tick

    # The practice sparring partner answers outbids on practice auctions (never real ones).
    register_task("marketplace.practice_sparring", practice_sparring_tick, every=2.0)
