"""The official holiday calendar on a fresh installation and its updates (REC-01, REC-02)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from core import calendar
from core.holidays import calendar_import_official, official_days
from core.models import AuditEntry, CalendarDay

pytestmark = pytest.mark.django_db

D = dt.date


def test_fresh_installation_knows_every_year_the_package_covers():
    """REC-02: the migrated database holds every holiday and 调休 day of chinese-calendar."""
    expected = {day: kind for day, kind, _name in official_days()}
    have = dict(CalendarDay.objects.values_list("date", "kind"))
    assert {d: have.get(d) for d in expected} == expected
    years = {d.year for d in expected}
    assert min(years) == 2004 and max(years) >= 2026
    spring = CalendarDay.objects.get(date=D(2026, 2, 17))
    assert (spring.kind, spring.name) == ("holiday", "春节")
    assert CalendarDay.objects.get(date=D(2026, 1, 4)).name == "元旦调休"


def test_migration_loader_fills_an_empty_calendar_and_keeps_hand_set_rows():
    """The data migration (core 0004) on a database with one hand-set row: the row stays."""
    from importlib import import_module

    load = import_module("core.migrations.0004_official_holidays").load
    CalendarDay.objects.all().delete()
    CalendarDay.objects.create(date=D(2026, 10, 1), kind="workday", name="本院调整")
    load(apps, None)
    assert CalendarDay.objects.count() == len(official_days())
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).kind == "workday"


def test_a_period_ending_in_the_2026_spring_festival_moves_past_it_on_a_fresh_install():
    """REC-01 on shipped data: 10 days after 2026-02-06 end on Mon 16 Feb, a holiday, so the
    period runs to the first working day after the Spring Festival (Tue 24 Feb)."""
    assert calendar.within_days_date(D(2026, 2, 6), 10) == D(2026, 2, 24)
    # One day earlier it ends on Sat 14 Feb, a 调休 working day: no shift.
    assert calendar.within_days_date(D(2026, 2, 4), 10) == D(2026, 2, 14)


def test_update_is_idempotent_and_silent_when_nothing_changes():
    result = calendar_import_official(reason="年度更新")
    assert (result.added, result.changed, result.conflicts) == ([], [], [])
    assert not AuditEntry.objects.filter(action="calendar.official_import").exists()


def test_update_adds_missing_days_audited_and_recomputes_deadlines(judge):
    """REC-02: an operator's update is one audit entry naming the source and the years."""
    CalendarDay.objects.filter(date__year=2026).delete()
    result = calendar_import_official(actor=judge, reason="国务院2026年安排")
    assert result.years == [2026] and len(result.added) == sum(
        1 for d, _k, _n in official_days() if d.year == 2026
    )
    entry = AuditEntry.objects.get(action="calendar.official_import")
    assert entry.stream == "system:calendar" and entry.actor == judge
    after = entry.after or {}
    assert after["years"] == [2026] and after["source"].startswith("chinese-calendar")
    assert entry.rule_ids == "REC-02"


def test_hand_set_day_is_kept_and_reported_unless_overwrite():
    CalendarDay.objects.filter(date=D(2026, 10, 10)).update(kind="holiday", name="本院调整")
    kept = calendar_import_official()
    assert kept.conflicts == [(D(2026, 10, 10), "holiday", "workday")]
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).kind == "holiday"
    replaced = calendar_import_official(overwrite=True)
    assert replaced.changed == [D(2026, 10, 10)]
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).kind == "workday"


def test_calendar_update_command_reports_what_it_did():
    CalendarDay.objects.filter(date__year=2025).delete()
    out = StringIO()
    call_command("calendar_update", stdout=out)
    assert "added" in out.getvalue() and "2025" in out.getvalue()
    assert CalendarDay.objects.filter(date=D(2025, 10, 1), kind="holiday").exists()
