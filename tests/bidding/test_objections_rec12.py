"""REC-12 on auctions: a third party's objection (案外人异议) or an objection to the auction as
an enforcement act (执行异议) opens the court's 15-day review; the served ruling opens the
15-day suit window or the 10-day reconsideration window. Service, API and court page."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding import services
from bidding.services.objections import objection_subject
from core import calendar, clock
from core.deadlines import ENFORCEMENT_ACT, THIRD_PARTY
from core.errors import Conflict, DomainError
from core.models import AuditEntry, Deadline

from .engine_factories import make_case, make_live_auction

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(court, lot)


def _open(subject):
    return Deadline.objects.filter(subject=subject, rule_id="REC-12", status="open")


def test_rec12_third_party_objection_opens_the_15_day_review_once(live, judge):
    services.auction_third_party_objection(
        auction_id=live.pk, actor=judge, objector="案外人张某", reason="主张房屋为其所有"
    )
    review = _open(objection_subject(live, THIRD_PARTY)).get()
    assert review.due_at == calendar.within_days(clock.now(), 15, court=live.court_id)
    assert "案外人张某" in review.title
    services.auction_third_party_objection(
        auction_id=live.pk, actor=judge, objector="案外人张某", reason="补充", measure="halt"
    )
    assert _open(objection_subject(live, THIRD_PARTY)).count() == 1


def test_rec12_third_party_ruling_opens_the_15_day_suit_window(live, judge):
    services.auction_third_party_objection(
        auction_id=live.pk, actor=judge, objector="案外人张某", reason="主张房屋为其所有"
    )
    clock.advance(dt.timedelta(days=3))
    window = services.auction_objection_rule(
        auction_id=live.pk, actor=judge, track=THIRD_PARTY, upheld=False, ruling="驳回异议"
    )
    subject = objection_subject(live, THIRD_PARTY)
    assert not _open(subject).exists()
    assert window.subject == f"{subject}/suit"
    assert window.due_at == calendar.within_days(clock.now(), 15, court=live.court_id)
    assert window.due_at > calendar.within_days(clock.now(), 14, court=live.court_id)
    entry = AuditEntry.objects.get(action="auction.objection_ruled")
    assert entry.reason == "驳回异议" and "REC-12" in entry.rule_ids


def test_rec12_enforcement_objection_suspension_and_10_day_reconsideration(live, judge):
    services.auction_suspend(
        auction_id=live.pk,
        actor=judge,
        reason="申请执行人提出执行异议",
        ground="enforcement_objection",
    )
    assert _open(objection_subject(live, ENFORCEMENT_ACT)).exists()
    window = services.auction_objection_rule(
        auction_id=live.pk, actor=judge, track=ENFORCEMENT_ACT, upheld=True, ruling="异议成立"
    )
    assert window.subject.endswith("/reconsideration")
    assert window.due_at == calendar.within_days(clock.now(), 10, court=live.court_id)


def test_rec12_a_suspension_on_another_ground_opens_no_review(live, judge):
    services.auction_suspend(auction_id=live.pk, actor=judge, reason="法院决定暂缓")
    assert not Deadline.objects.filter(rule_id="REC-12").exists()


def test_rec12_no_ruling_without_a_pending_objection_or_a_text(live, judge):
    with pytest.raises(Conflict) as exc:
        services.auction_objection_rule(
            auction_id=live.pk, actor=judge, track=THIRD_PARTY, upheld=False, ruling="驳回"
        )
    assert exc.value.rule == "REC-12"
    with pytest.raises(DomainError) as exc2:
        services.auction_objection_rule(
            auction_id=live.pk, actor=judge, track=THIRD_PARTY, upheld=False, ruling=" "
        )
    assert exc2.value.code == "ruling_required"


@pytest.mark.rule("REC-12", entry="api")
def test_rec12_third_party_objection_through_the_api_opens_the_review(client, live, judge):
    client.force_login(judge)
    resp = client.post(
        f"/api/bidding/court/auctions/{live.pk}/objection",
        {"objector": "案外人李某", "reason": "主张共有"},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    assert _open(objection_subject(live, THIRD_PARTY)).exists()


@pytest.mark.rule("REC-12", entry="page")
def test_rec12_third_party_objection_through_the_court_page_opens_the_review(client, live, judge):
    client.force_login(judge)
    resp = client.post(
        f"/bidding/court/auctions/{live.pk}/do/objection/",
        {
            "objection-objector": "案外人王某",
            "objection-reason": "主张租赁权",
            "objection-measure": "suspend",
        },
        follow=True,
    )
    msgs = [str(m) for m in resp.context["messages"]]
    assert resp.status_code == 200, msgs
    assert _open(objection_subject(live, THIRD_PARTY)).exists()


@pytest.mark.rule("REC-12", entry="api")
def test_rec12_the_ruling_through_the_api_opens_the_suit_window(client, live, judge):
    services.auction_third_party_objection(
        auction_id=live.pk, actor=judge, objector="案外人张某", reason="主张所有权"
    )
    client.force_login(judge)
    url = f"/api/bidding/court/auctions/{live.pk}/objection/ruling"
    resp = client.post(
        url,
        {"track": "third_party", "upheld": False, "ruling": "驳回"},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    assert _open(f"{objection_subject(live, THIRD_PARTY)}/suit").exists()
    again = client.post(
        url,
        {"track": "third_party", "upheld": False, "ruling": "驳回"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["rule"] == "REC-12"


@pytest.mark.rule("REC-12", entry="service")
def test_rec12_reconsideration_due_at_the_end_of_day_10_overdue_a_second_later(live, judge):
    """REC-12: after a ruling on an objection to an enforcement act, reconsideration lies within
    10 days of service. Ruled on Monday 2026-11-02, the window closes at the end of Thursday
    11-12 (the starting day not counted, REC-01): still open (green) at that instant, overdue
    (yellow) one second later."""
    from core.deadlines import deadlines_sweep

    assert clock.now().astimezone(calendar.CST).date() == dt.date(2026, 11, 2)
    services.auction_suspend(
        auction_id=live.pk,
        actor=judge,
        reason="申请执行人提出执行异议",
        ground="enforcement_objection",
    )
    window = services.auction_objection_rule(
        auction_id=live.pk, actor=judge, track=ENFORCEMENT_ACT, upheld=False, ruling="驳回异议"
    )
    assert (window.rule_id, window.period) == ("REC-12", 10)
    assert window.due_at == calendar.end_of_day(dt.date(2026, 11, 12))
    clock.set_time(window.due_at)
    deadlines_sweep()
    window.refresh_from_db()
    assert (window.status, window.flag) == ("open", "green")
    clock.set_time(window.due_at + dt.timedelta(seconds=1))
    deadlines_sweep()
    window.refresh_from_db()
    assert window.flag == "yellow"
