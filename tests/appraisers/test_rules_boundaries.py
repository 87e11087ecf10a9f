"""Firm appraisal rules with a number, at their boundary (one value each side)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from core import calendar, clock
from tests.appraisers.test_commission import _in_progress, offered  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_apr07_report_due_on_day_30_is_not_late_a_second_after_it_is(offered):  # noqa: F811
    """APR-07: the report is due within 30 days of the commission; the sweep marks it late only
    once that moment has passed."""
    c = _in_progress(offered)
    due = c.report_due_at
    assert due == calendar.within_days(c.offered_at, 30, court=offered["court"].pk)
    clock.set_time(due)
    assert services.appraisers_sweep()["late"] == 0
    clock.set_time(due + dt.timedelta(seconds=1))
    assert services.appraisers_sweep()["late"] == 1
