"""Following and alerts (issue 8): reminders once, never for a withdrawn or suspended auction;
the outbid alert reaches the outbid bidder once, sent by the worker from the committed bid
history (never on the bid's own thread); saved searches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from bidding.models import Auction
from core import clock
from core.models import InboxMessage, OutboxMessage, User
from core.notifications import deliver_pending
from marketplace.alerts import outbid_alerts_send, reminders_send
from marketplace.models import ReminderSent
from marketplace.services import saved_search_create, watch_add
from tests.marketplace.conftest import (
    YUAN,
    make_auction,
    make_case,
    make_lot,
    place_bid,
    register_active,
    verified_bidder,
)

H = dt.timedelta(hours=1)


def inbox(user: User, topic: str) -> list[InboxMessage]:
    deliver_pending()
    return list(InboxMessage.objects.filter(recipient=user, topic=topic).order_by("pk"))


@pytest.fixture
def lot(frozen_now, court, judge, officer):
    return make_lot(make_case(court, judge=judge, officer=officer))


@pytest.mark.django_db
def test_a_watcher_is_reminded_once_before_the_start_and_once_before_the_end(lot):
    a = make_auction(lot, state="scheduled", start_in=3 * H, hours=24)
    fan = verified_bidder()
    watch_add(user=fan, auction_id=a.pk)
    assert reminders_send() == {"start": 0, "end": 0}  # 3 h before the start: not yet (60 min lead)
    clock.advance(2 * H + dt.timedelta(minutes=30))
    assert reminders_send() == {"start": 1, "end": 0}
    assert reminders_send() == {"start": 0, "end": 0}  # never twice
    (msg,) = inbox(fan, "marketplace.reminder")
    assert msg.subject == "关注的拍品即将开拍" and f"/bidding/auctions/{a.pk}/" == msg.link
    assert "退订此类提醒" in msg.body
    # Bidding opens; 20 minutes before the end the end reminder goes, once.
    Auction.objects.filter(pk=a.pk).update(state="bidding")
    clock.advance(dt.timedelta(hours=24))
    assert reminders_send() == {"start": 0, "end": 1}
    assert reminders_send() == {"start": 0, "end": 0}
    assert [m.subject for m in inbox(fan, "marketplace.reminder")] == [
        "关注的拍品即将开拍",
        "关注的拍品即将结束",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["withdrawn", "suspended", "halted", "case_withdrawn"])
def test_no_reminder_for_a_withdrawn_or_suspended_auction(lot, state):
    a = make_auction(lot, state="scheduled", start_in=30 * dt.timedelta(minutes=1))
    fan = verified_bidder()
    watch_add(user=fan, auction_id=a.pk)
    Auction.objects.filter(pk=a.pk).update(state=state)
    assert reminders_send() == {"start": 0, "end": 0}
    clock.advance(dt.timedelta(minutes=20))
    assert reminders_send() == {"start": 0, "end": 0}
    assert not ReminderSent.objects.exists()
    assert inbox(fan, "marketplace.reminder") == []


@pytest.mark.django_db
def test_a_new_period_after_a_suspension_earns_a_new_start_reminder(lot):
    a = make_auction(lot, state="scheduled", start_in=30 * dt.timedelta(minutes=1))
    fan = verified_bidder()
    watch_add(user=fan, auction_id=a.pk)
    assert reminders_send()["start"] == 1
    new_start = clock.now() + 3 * dt.timedelta(days=1)
    Auction.objects.filter(pk=a.pk).update(start_at=new_start, end_at=new_start + 24 * H)
    clock.advance(3 * dt.timedelta(days=1) - dt.timedelta(minutes=10))
    assert reminders_send()["start"] == 1
    assert len(inbox(fan, "marketplace.reminder")) == 2


@pytest.mark.django_db
def test_an_unsubscribed_watcher_gets_no_reminder(lot):
    from marketplace.notices import unsubscribe_all_channels

    a = make_auction(lot, state="scheduled", start_in=30 * dt.timedelta(minutes=1))
    fan = verified_bidder()
    watch_add(user=fan, auction_id=a.pk)
    unsubscribe_all_channels(user=fan, topic="marketplace.reminder")
    reminders_send()
    assert not OutboxMessage.objects.filter(recipient=fan).exists()


@pytest.fixture
def live(lot):
    return make_auction(
        lot, state="bidding", start_in=-H, hours=24, start=100_000 * YUAN, increment=1_000 * YUAN
    )


@pytest.mark.django_db(transaction=True)
def test_the_outbid_bidder_is_alerted_once_and_only_after_the_bid_commits(live):
    first, second, watcher = register_active(live), register_active(live), verified_bidder()
    watch_add(user=watcher, auction_id=live.pk)
    place_bid(live, first, 100_000 * YUAN)
    with transaction.atomic():
        place_bid(live, second, 101_000 * YUAN)
        # The bid itself queues nothing for the outbid bidder: the worker does, later.
        assert not OutboxMessage.objects.filter(topic="marketplace.outbid").exists()
    assert not OutboxMessage.objects.filter(topic="marketplace.outbid").exists()
    assert outbid_alerts_send() == 1
    msgs = inbox(first.user, "marketplace.outbid")
    assert len(msgs) == 1
    assert "101,000.00" in msgs[0].body and msgs[0].link == f"/bidding/auctions/{live.pk}/"
    # Nobody else is told: not the new leader, not a watcher.
    assert (
        OutboxMessage.objects.filter(topic="marketplace.outbid")
        .exclude(recipient=first.user)
        .count()
        == 0
    )
    # It names no one (REC-05): neither the new leader's name nor their identity.
    assert second.user.display_name not in msgs[0].body
    assert second.identity is not None and second.identity.name not in msgs[0].body


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_run_does_not_alert_twice(live):
    from marketplace.models import OutbidCursor

    first, second = register_active(live), register_active(live)
    place_bid(live, first, 100_000 * YUAN)
    place_bid(live, second, 101_000 * YUAN)
    assert outbid_alerts_send() == 1
    assert outbid_alerts_send() == 0
    # Even a worker that lost its progress (a crash before saving it) sends nothing twice.
    OutbidCursor.objects.filter(auction_id=live.pk).update(seq=0)
    outbid_alerts_send()
    assert len(inbox(first.user, "marketplace.outbid")) == 1


@pytest.mark.django_db(transaction=True)
def test_each_new_outbid_is_its_own_alert(live):
    first, second = register_active(live), register_active(live)
    place_bid(live, first, 100_000 * YUAN)
    place_bid(live, second, 101_000 * YUAN)
    assert outbid_alerts_send() == 1
    place_bid(live, first, 102_000 * YUAN)
    place_bid(live, second, 103_000 * YUAN)
    assert outbid_alerts_send() == 2  # picks up where it stopped
    assert len(inbox(first.user, "marketplace.outbid")) == 2
    assert len(inbox(second.user, "marketplace.outbid")) == 1
    assert (
        inbox(first.user, "marketplace.outbid")[0].body
        != inbox(first.user, "marketplace.outbid")[1].body
    )


@pytest.mark.django_db(transaction=True)
def test_raising_ones_own_lead_is_no_outbid(live, settings):
    """AUC-21 lets a court allow a leader to bid again; that bid outbids nobody."""
    from bidding.models import Auction as A

    overrides = dict(live.setting_overrides or {}, forbid_rebid_while_leading=False)
    A.objects.filter(pk=live.pk).update(setting_overrides=overrides, settings_snapshot=None)
    live.refresh_from_db()
    first, second = register_active(live), register_active(live)
    place_bid(live, first, 100_000 * YUAN)
    place_bid(live, first, 101_000 * YUAN)
    assert outbid_alerts_send() == 0
    place_bid(live, second, 102_000 * YUAN)
    assert outbid_alerts_send() == 1
    assert inbox(second.user, "marketplace.outbid") == []


@pytest.mark.django_db(transaction=True)
def test_a_new_listing_matching_a_saved_search_is_announced_once(frozen_now, court, judge):
    from bidding.events import AuctionPublished
    from core.events import publish

    fan, other = verified_bidder(), verified_bidder()
    saved_search_create(user=fan, params={"kind": "residential", "region": "3601"}, name="南昌住宅")
    saved_search_create(user=other, params={"kind": "vehicle"})
    case = make_case(court, judge=judge)
    flat = make_auction(
        make_lot(case, kind="residential", division_code="360102"), state="scheduled"
    )
    publish(AuctionPublished(auction_id=flat.pk))
    publish(AuctionPublished(auction_id=flat.pk))  # a repeat changes nothing
    msgs = inbox(fan, "marketplace.saved_search")
    assert len(msgs) == 1 and msgs[0].subject == "“南昌住宅”有新拍品"
    assert inbox(other, "marketplace.saved_search") == []


@pytest.mark.django_db
def test_a_watch_is_idempotent_and_only_for_published_real_auctions(lot, judge):
    from core.errors import DomainError

    a = make_auction(lot, state="scheduled")
    fan = verified_bidder()
    assert watch_add(user=fan, auction_id=a.pk).pk == watch_add(user=fan, auction_id=a.pk).pk
    draft = make_auction(make_lot(lot.case), state="draft")
    with pytest.raises(DomainError) as err:
        watch_add(user=fan, auction_id=draft.pk)
    assert err.value.code == "auction_not_found"
    with pytest.raises(DomainError) as err:
        watch_add(user=judge, auction_id=a.pk)
    assert err.value.code == "staff_cannot_request"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reminder_workers_at_once_send_each_reminder_once(lot):
    """Several workers (threads with their own connections) share the work; the unique row
    and skip_locked make each reminder go out exactly once."""
    from tests import race

    auctions = [
        make_auction(make_lot(lot.case), state="scheduled", start_in=30 * dt.timedelta(minutes=1))
        for _ in range(3)
    ]
    fans = [verified_bidder() for _ in range(4)]
    for a in auctions:
        for f in fans:
            watch_add(user=f, auction_id=a.pk)

    def worker():
        return reminders_send(now=clock.now())["start"]

    totals = race.together(worker, worker, worker, reraise=True)
    assert sum(totals) == 12
    assert ReminderSent.objects.count() == 12
    assert OutboxMessage.objects.filter(topic="marketplace.reminder", channel="inbox").count() == 12


@pytest.mark.django_db
def test_extensions_do_not_repeat_the_end_reminder(lot):
    """AUC-23 moves the end on each late bid; the watcher is reminded of the end once."""
    a = make_auction(lot, state="bidding", start_in=-H, hours=2)
    fan = verified_bidder()
    watch_add(user=fan, auction_id=a.pk)
    clock.advance(dt.timedelta(minutes=40))  # 20 minutes left
    assert reminders_send()["end"] == 1
    for _ in range(3):  # three late bids, each moving the end by a few minutes
        Auction.objects.filter(pk=a.pk).update(
            state="extended", end_at=clock.now() + dt.timedelta(minutes=5)
        )
        clock.advance(dt.timedelta(minutes=2))
        assert reminders_send()["end"] == 0
    (msg,) = inbox(fan, "marketplace.reminder")
    assert msg.subject == "关注的拍品即将结束"
