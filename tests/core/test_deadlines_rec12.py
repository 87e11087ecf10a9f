"""REC-12 (CPL 236, 238): an objection is reviewed within 15 days of receipt; after the ruling
is served, 10 days to apply for reconsideration (enforcement act) or 15 days to sue (third
party). Periods in days count under REC-01 (the start day not counted, end of the last day)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import calendar, clock
from core.deadlines import (
    ENFORCEMENT_ACT,
    THIRD_PARTY,
    objection_review_open,
    objection_ruling_served,
)
from core.models import Deadline

pytestmark = pytest.mark.django_db
SUBJECT = "case:1/auction:1/objection"


def _review(court, track):
    return objection_review_open(
        track=track, subject=SUBJECT, what="测试", filed_at=clock.now(), court=court
    )


@pytest.mark.parametrize("track", [ENFORCEMENT_ACT, THIRD_PARTY])
def test_rec12_review_is_due_at_the_end_of_the_15th_day(court, track):
    d = _review(court, track)
    assert d.due_at == calendar.within_days(clock.now(), 15, court=court.pk)
    assert d.due_at > calendar.within_days(clock.now(), 14, court=court.pk)  # one day short
    assert (d.rule_id, d.period, d.unit) == ("REC-12", 15, Deadline.Unit.CALENDAR_DAYS)


@pytest.mark.parametrize(
    ("track", "days", "suffix"),
    [(ENFORCEMENT_ACT, 10, "reconsideration"), (THIRD_PARTY, 15, "suit")],
)
def test_rec12_the_ruling_closes_the_review_and_opens_the_window_from_service(
    court, track, days, suffix
):
    review = _review(court, track)
    served = clock.now()  # Monday 2 November: days N-1, N and N+1 are all working days
    window = objection_ruling_served(
        track=track, subject=SUBJECT, what="测试", served_at=served, court=court
    )
    review.refresh_from_db()
    assert review.status == Deadline.Status.MET
    assert window.subject == f"{SUBJECT}/{suffix}" and window.status == Deadline.Status.OPEN
    assert window.due_at == calendar.within_days(served, days, court=court.pk)
    day = dt.date(2026, 11, 2) + dt.timedelta(days=days)
    assert window.due_at == calendar.end_of_day(day)
    assert window.due_at > calendar.within_days(served, days - 1, court=court.pk)
    assert window.due_at < calendar.within_days(served, days + 1, court=court.pk)
    assert window.start_event.endswith("ruling_served")


def test_rec12_unknown_track_is_a_programming_error(court):
    with pytest.raises(ValueError):
        objection_review_open(
            track="appeal", subject=SUBJECT, what="x", filed_at=clock.now(), court=court
        )


@pytest.mark.rule("REC-12", entry="service")
@pytest.mark.parametrize("track", [ENFORCEMENT_ACT, THIRD_PARTY])
def test_rec12_review_filed_2_nov_due_at_the_end_of_17_nov_overdue_a_second_later(
    court, frozen_now, track
):
    """REC-12: an objection is reviewed within 15 days of receipt. Filed on Monday 2026-11-02,
    the review is due at the end of Tuesday 11-17 (not day 14 or 16): open (green) at that
    instant, overdue (yellow) one second later."""
    from core.deadlines import deadlines_sweep

    assert frozen_now.astimezone(calendar.CST).date() == dt.date(2026, 11, 2)
    d = _review(court, track)
    due = calendar.end_of_day(dt.date(2026, 11, 17))
    assert (d.rule_id, d.due_at) == ("REC-12", due)
    clock.set_time(due)
    deadlines_sweep()
    d.refresh_from_db()
    assert (d.status, d.flag) == ("open", "green")
    clock.set_time(due + dt.timedelta(seconds=1))
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "yellow"
