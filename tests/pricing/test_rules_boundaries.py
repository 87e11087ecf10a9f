"""Firm pricing rules with a number, at their boundary (one value each side)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from tests.pricing.test_inquiry import platforms, report, requests, send

pytestmark = pytest.mark.django_db


def test_prc07_report_at_the_3_day_deadline_is_on_time_a_second_later_is_late(
    procedure, judge, now
):
    """PRC-07: each platform reports within 3 days of receipt; a report at the due time counts,
    one a second later is late (kept, counted under PRC-18, never in the mean)."""
    platforms(2)
    inquiry = send(procedure, judge)
    r1, r2 = requests(inquiry)
    assert inquiry.due_at is not None
    clock.set_time(inquiry.due_at)
    assert report(r1, 1_000_000_00).on_time is True
    clock.set_time(inquiry.due_at + dt.timedelta(seconds=1))
    late = report(r2, 1_000_000_00)
    r2.refresh_from_db()
    assert (late.on_time, r2.status) == (False, "late")


def test_prc08_correction_at_the_3_day_deadline_is_on_time_a_second_later_is_not(
    procedure, judge, now
):
    """PRC-08: when every report has a basic-fact error, all platforms correct within 3 days;
    a correction at the due time counts, one a second later does not."""
    from pricing.services import inquiry_request_corrections, report_review
    from tests.pricing.test_inquiry import _three_reports

    inquiry, reps = _three_reports(procedure, judge)
    for r in reps:
        report_review(report=r, fact_error=True, note="遗漏车位")
    reqs = inquiry_request_corrections(inquiry=inquiry, note="遗漏地下车位一个")
    inquiry.refresh_from_db()
    due = inquiry.corrections_due_at
    assert due is not None
    clock.set_time(due)
    assert report(reqs[0], 1_100_000_00).on_time is True
    clock.set_time(due + dt.timedelta(seconds=1))
    assert report(reqs[1], 1_300_000_00).on_time is False
