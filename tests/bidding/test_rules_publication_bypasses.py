"""Publication rules no route may bypass (issue 14): the AUC-35 floor whatever the timing, the
PRC-11 validity at publication of every round and when bidding starts, and the AUC-10 notice
dates bounded by when they were recorded. Each through the service, the API and the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bidding import services
from bidding.models import Auction, AuctionState
from core import clock
from core.errors import DomainError

from .engine_factories import YUAN, decide_all, publishable_draft, serve_all

pytestmark = pytest.mark.django_db

BASIS = 120_000 * YUAN


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def problems(auction):
    auction.refresh_from_db()
    return {(p.code, p.rule) for p in services.auction_publish_problems(auction)}


def _run_unsold(auction, judge):
    auction = services.auction_publish(auction_id=auction.pk, actor=judge)
    clock.set_time(auction.start_at)
    services.auction_clock_tick()
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.state == AuctionState.UNSOLD
    return auction


def _fresh_first(lot, judge, start_fen):
    """A fresh 一拍 draft for the lot, complete but for its numbers' panel decisions."""
    fresh = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=start_fen,
        increment_fen=1_000 * YUAN,
        deposit_fen=start_fen // 10,
        balance_period_days=30,
        start_at=clock.now() + dt.timedelta(days=31),
        end_at=clock.now() + dt.timedelta(days=32),
        announcement="拍卖公告（示例）",
        bidding_rules="竞价规则（示例）",
        pricing_basis_note="参考价依据（示例）",
        priority_holders_note="无",
        court_contact="0791-00000000（执行局）",
        platform_chosen_by=Auction.PlatformChoice.CREDITOR,
    )
    serve_all(fresh, judge, at=clock.now() - dt.timedelta(days=3))
    decide_all(fresh, judge)
    fresh.refresh_from_db()
    return fresh


@pytest.fixture
def lapsed(court, judge, frozen_now):
    """A first round at the full basis went unsold, and its 30-day window lapsed."""
    first = _run_unsold(publishable_draft(court, judge, start=BASIS), judge)
    clock.advance(dt.timedelta(days=35))
    assert services.lot_unsold_awaiting_next_round(first.lot_id) is None
    return first


# --- AUC-35: the 80% floor whatever the timing ----------------------------------------------------


def test_auc35_fresh_first_round_after_the_window_under_80_percent_is_refused(lapsed, judge):
    """79% of the previous start (still above 70% of the basis, AUC-05) is refused; 80% is not."""
    under = _fresh_first(lapsed.lot, judge, BASIS * 79 // 100)
    assert ("start_below_ratio", "AUC-05") not in problems(under)
    assert ("cut_too_deep", "AUC-35") in problems(under)
    with pytest.raises(DomainError) as exc:
        services.auction_publish(auction_id=under.pk, actor=judge)
    assert exc.value.rule is not None and "AUC-35" in str(exc.value.message)
    services.auction_draft_update(
        auction_id=under.pk,
        actor=judge,
        starting_price_fen=BASIS * 80 // 100,
        deposit_fen=BASIS * 8 // 100,
    )
    under.refresh_from_db()
    decide_all(under, judge)
    assert problems(under) == set()
    assert services.auction_publish(auction_id=under.pk, actor=judge).state == "scheduled"


@pytest.mark.rule("AUC-35", entry="api")
def test_auc35_floor_through_the_api(lapsed, judge):
    under = _fresh_first(lapsed.lot, judge, BASIS * 79 // 100)
    r = login(judge).post(f"/api/bidding/court/auctions/{under.pk}/publish")
    assert r.status_code == 400 and "AUC-35" in r.json()["message"]
    under.refresh_from_db()
    assert under.state == AuctionState.DRAFT


@pytest.mark.rule("AUC-35", entry="page")
def test_auc35_floor_on_the_court_page(lapsed, judge):
    under = _fresh_first(lapsed.lot, judge, BASIS * 79 // 100)
    r = login(judge).post(f"/bidding/court/auctions/{under.pk}/do/publish/", follow=True)
    assert "起拍价降价幅度不得超过前次起拍价的 20%" in r.content.decode()
    under.refresh_from_db()
    assert under.state == AuctionState.DRAFT


# --- AUC-10: notice dates bounded by their recording ------------------------------------------------


@pytest.fixture
def backdated(court, judge, frozen_now):
    """A complete draft whose notices were recorded now, dated ten days earlier."""
    from cases.models import Party
    from core.models import ServiceRecord

    draft = publishable_draft(court, judge)
    ServiceRecord.objects.filter(subject=f"case:{draft.case_id}/auction:{draft.pk}").delete()
    ten_days_ago = clock.now() - dt.timedelta(days=10)
    for party in Party.objects.filter(case_id=draft.case_id, role__in=["creditor", "debtor"]):
        services.auction_notice_record(
            auction_id=draft.pk,
            actor=judge,
            recipient=party,
            method="in_person",
            sent_at=ten_days_ago,
            received_at=ten_days_ago,
            proof="送达回证",
        )
    return draft


def test_auc10_a_notice_recorded_today_but_dated_ten_days_earlier_does_not_publish(
    backdated, judge
):
    """Served on the record today: two days later still short, three days later enough."""
    assert ("parties_not_served", "AUC-10") in problems(backdated)
    with pytest.raises(DomainError) as exc:
        services.auction_publish(auction_id=backdated.pk, actor=judge)
    assert "AUC-10" in str(exc.value.message)
    clock.advance(dt.timedelta(days=2))
    assert ("parties_not_served", "AUC-10") in problems(backdated)
    clock.advance(dt.timedelta(days=1))
    assert ("parties_not_served", "AUC-10") not in problems(backdated)


def test_auc10_a_notice_dated_after_its_recording_is_refused(court, judge, frozen_now):
    from cases.models import Party

    draft = publishable_draft(court, judge)
    party = Party.objects.filter(case_id=draft.case_id).first()
    assert party is not None
    for kw in (
        {"sent_at": clock.now() + dt.timedelta(seconds=1)},
        {"received_at": clock.now() + dt.timedelta(days=1)},
    ):
        with pytest.raises(DomainError) as exc:
            services.auction_notice_record(
                auction_id=draft.pk,
                actor=judge,
                recipient=party,
                method="post",
                **{"sent_at": clock.now(), **kw},  # type: ignore[arg-type]
            )
        assert exc.value.code == "service_date_in_future" and exc.value.rule == "AUC-10"


@pytest.mark.rule("AUC-10", entry="api")
def test_auc10_backdated_notice_through_the_api(backdated, judge):
    r = login(judge).post(f"/api/bidding/court/auctions/{backdated.pk}/publish")
    assert r.status_code == 400 and "AUC-10" in r.json()["message"]


@pytest.mark.rule("AUC-10", entry="page")
def test_auc10_on_the_court_page(backdated, judge):
    from cases.models import Party

    c = login(judge)
    party = Party.objects.filter(case_id=backdated.case_id).first()
    assert party is not None
    tomorrow = (clock.now() + dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    r = c.post(
        f"/bidding/court/auctions/{backdated.pk}/do/notice/",
        {  # the page's forms are prefixed with their action
            "notice-recipient": f"party:{party.pk}",
            "notice-method": "post",
            "notice-sent_at": tomorrow.strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    assert "发出时间不能晚于记录时间" in r.content.decode()
    r = c.post(f"/bidding/court/auctions/{backdated.pk}/do/publish/", follow=True)
    assert "AUC-10" in r.content.decode()
    backdated.refresh_from_db()
    assert backdated.state == AuctionState.DRAFT


# --- PRC-11: validity at every round's publication and when bidding starts ----------------------


def _set_validity(lot, valid_until, grace_until=None):
    from pricing.models import ReferencePrice

    n = ReferencePrice.objects.filter(procedure__asset__in=lot.assets.all()).update(
        valid_until=valid_until, grace_until=grace_until
    )
    assert n == lot.assets.count()


@pytest.mark.rule("PRC-11", entry="api")
def test_prc11_first_round_must_start_inside_validity_and_grace(court, judge, frozen_now):
    """Announced inside validity: bidding may start up to 6 months after it, not a minute later."""
    from core import calendar

    draft = publishable_draft(court, judge)
    valid_until = clock.now() + dt.timedelta(days=5)
    _set_validity(draft.lot, valid_until)
    last_start = calendar.months_after(valid_until, 6)
    for start, refused in ((last_start, False), (last_start + dt.timedelta(minutes=1), True)):
        draft.start_at, draft.end_at = start, start + dt.timedelta(days=1)
        draft.save()
        assert (("price_lapses_before_start", "PRC-11") in problems(draft)) is refused
    with pytest.raises(DomainError) as exc:
        services.auction_publish(auction_id=draft.pk, actor=judge)
    assert "PRC-11" in str(exc.value.message)
    r = login(judge).post(f"/api/bidding/court/auctions/{draft.pk}/publish")
    assert r.status_code == 400 and "PRC-11" in r.json()["message"]
    r = login(judge).post(f"/bidding/court/auctions/{draft.pk}/do/publish/", follow=True)
    assert "竞价开始时参考价已过有效期（含宽限期）" in r.content.decode()


def test_prc11_a_later_round_is_not_published_on_an_expired_price(court, judge, frozen_now):
    from pricing.models import ReferencePrice

    first = _run_unsold(publishable_draft(court, judge), judge)
    price = ReferencePrice.objects.get(procedure__asset__in=first.lot.assets.all())
    assert price.grace_until is not None  # opened by the first announcement
    second = services.auction_next_round_create(auction_id=first.pk, actor=judge)
    second.start_at = clock.now() + dt.timedelta(days=16)
    second.end_at = second.start_at + dt.timedelta(days=1)
    second.save()
    expired = clock.now() - dt.timedelta(days=30)
    # the grace ends when bidding starts: fine; a second earlier: bidding would start too late
    _set_validity(first.lot, expired, second.start_at)
    assert not {p for p in problems(second) if p[1] == "PRC-11"}
    _set_validity(first.lot, expired, second.start_at - MS_)
    assert ("price_lapses_before_start", "PRC-11") in problems(second)
    # the grace ended a second ago: the price is expired for this round's announcement
    _set_validity(first.lot, expired, clock.now() - MS_)
    assert ("price_expired", "PRC-11") in problems(second)


MS_ = dt.timedelta(seconds=1)


@pytest.mark.rule("PRC-11", entry="worker")
def test_prc11_bidding_does_not_start_on_a_lapsed_price_and_takes_no_bid(court, judge, frozen_now):
    """An auction published before the check (or whose price changed since): at its start
    the clock leaves it unopened and flagged for the court; a bid is refused."""
    from bidding.models import Registration
    from core.models import OutboxMessage

    from .engine_factories import register_active

    auction = services.auction_publish(auction_id=publishable_draft(court, judge).pk, actor=judge)
    reg = register_active(auction)
    assert reg.status == Registration.Status.ACTIVE
    assert auction.start_at is not None and auction.end_at is not None
    _set_validity(auction.lot, clock.now(), auction.start_at - MS_)  # lapses before the start
    clock.set_time(auction.start_at)
    with pytest.raises(DomainError) as exc:  # a bid before the clock ticks does not open it
        services.bid_place(
            auction_id=auction.pk,
            user=reg.user,
            amount_fen=auction.starting_price_fen,
            password="bid-pass-2026",
        )
    assert (exc.value.code, exc.value.rule) == ("price_lapsed", "PRC-11")
    assert services.auction_clock_tick()["opened"] == 0
    auction.refresh_from_db()
    assert auction.state == AuctionState.SCHEDULED and auction.price_lapsed_at == clock.now()
    assert OutboxMessage.objects.filter(recipient=judge, topic="auction.price_lapsed").exists()
    clock.set_time(auction.end_at)
    assert services.auction_close_due() == []  # never 流拍 on a lapsed price
    body = login(judge).get(f"/bidding/court/auctions/{auction.pk}/").content.decode()
    assert "参考价已过有效期" in body


def test_prc11_resume_may_not_set_a_start_after_the_grace(court, judge, frozen_now):
    auction = services.auction_publish(auction_id=publishable_draft(court, judge).pk, actor=judge)
    services.auction_suspend(auction_id=auction.pk, actor=judge, reason="暂缓")
    from pricing.models import ReferencePrice

    assert auction.lot is not None
    grace_until = ReferencePrice.objects.get(
        procedure__asset__in=auction.lot.assets.all()
    ).grace_until
    assert grace_until is not None
    for start, refused in ((grace_until, False), (grace_until + MS_, True)):
        kw = dict(
            auction_id=auction.pk,
            actor=judge,
            reason="恢复",
            start_at=start,
            end_at=start + dt.timedelta(days=1),
        )
        if refused:
            with pytest.raises(DomainError) as exc:
                services.auction_resume(**kw)
            assert exc.value.rule == "PRC-11"
        else:
            services.auction_resume(**kw)
            services.auction_suspend(auction_id=auction.pk, actor=judge, reason="再次暂缓")
