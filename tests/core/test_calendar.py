"""Day counting on the holiday calendar (REC-01, REC-02, REC-03).

The calendar used here is the State Council's 2024 National Day arrangement: 1–7 October
off, Sunday 29 September and Saturday 12 October are make-up working days (调休).
"""

import datetime as dt

import pytest

from core import calendar
from core.calendar import CST
from core.models import AuditEntry, CalendarDay
from core.rulesettings import setting_set

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def national_day_2024(db):
    """The 2024 National Day arrangement, as a fresh installation has it (REC-02: loaded from
    chinese-calendar by core migration 0004, not typed in by a test)."""
    days = dict(
        CalendarDay.objects.filter(date__range=(D(2024, 9, 28), D(2024, 10, 13))).values_list(
            "date", "kind"
        )
    )
    assert days == {
        **{D(2024, 10, day): "holiday" for day in range(1, 8)},
        D(2024, 9, 29): "workday",
        D(2024, 10, 12): "workday",
    }


def cst(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, us, tzinfo=CST)


def test_starting_day_not_counted_and_due_at_end_of_last_day():
    """REC-01: "within 3 days after Monday 10:00" ends at the end of Thursday (CST)."""
    due = calendar.within_days(cst(2024, 9, 9, 10, 0), 3)
    assert due == cst(2024, 9, 12, 23, 59, 59, 999999)
    assert due.tzinfo == dt.UTC


def test_period_ending_on_statutory_holiday_moves_to_next_working_day(national_day_2024):
    """REC-01: 25 Sep + 7 days = 2 Oct, a holiday: the period ends on Tuesday 8 Oct."""
    assert calendar.within_days_date(cst(2024, 9, 25, 10), 7) == D(2024, 10, 8)


def test_period_ending_on_make_up_working_sunday_ends_that_sunday(national_day_2024):
    """REC-01/REC-02: Sunday 29 Sep is a 调休 working day, so a period ending there ends there."""
    assert calendar.within_days_date(D(2024, 9, 22), 7) == D(2024, 9, 29)


def test_period_running_through_the_holiday_is_not_lengthened(national_day_2024):
    """REC-01: holidays inside the period count; only the last day moves. 30 Sep + 10 = 10 Oct."""
    assert calendar.within_days_date(D(2024, 9, 30), 10) == D(2024, 10, 10)


def test_period_ending_on_make_up_saturday_and_on_plain_sunday(national_day_2024):
    assert calendar.within_days_date(D(2024, 10, 5), 7) == D(2024, 10, 12)  # 调休 Saturday
    assert calendar.within_days_date(D(2024, 10, 6), 7) == D(2024, 10, 14)  # Sunday → Monday


def test_day_of_event_is_taken_in_china_standard_time():
    """REC-04: 8 Oct 17:00 UTC is already 9 Oct in Beijing; the count starts from 9 Oct."""
    event = dt.datetime(2024, 10, 8, 17, 0, tzinfo=dt.UTC)
    assert calendar.within_days_date(event, 1) == D(2024, 10, 10)


def test_at_least_days_before_is_never_shortened_by_holidays(national_day_2024):
    """REC-01: an announcement on 16 Sep with a 15-day lead allows bidding from 1 Oct on,
    a holiday, and not later; a date one day earlier is refused."""
    assert calendar.at_least_days_before(cst(2024, 9, 16, 15), 15) == D(2024, 10, 1)
    assert calendar.is_at_least_days_before(cst(2024, 9, 16, 15), cst(2024, 10, 1, 10), 15)
    assert not calendar.is_at_least_days_before(cst(2024, 9, 16, 15), cst(2024, 9, 30, 23), 15)


def test_working_days_skip_holidays_and_count_make_up_days(national_day_2024):
    """Friday 27 Sep + 3 working days: Sun 29 (调休), Mon 30, then Tue 8 Oct."""
    assert calendar.add_working_days(D(2024, 9, 27), 3) == calendar.end_of_day(D(2024, 10, 8))


def test_long_holiday_beyond_the_lookup_window_is_still_skipped(db):
    """A run of holidays longer than one fetch window of calendar rows is still honoured."""
    start = D(2030, 1, 1)
    for i in range(100):
        CalendarDay.objects.create(date=start + dt.timedelta(days=i), kind="holiday")
    assert calendar.next_working_day(start) == calendar.next_working_day(
        start + dt.timedelta(days=100)
    )
    assert calendar.next_working_day(start) >= start + dt.timedelta(days=100)


def test_hours_and_minutes_are_exact_elapsed_time_without_holiday_shift(national_day_2024):
    """REC-03: 24 hours from 30 Sep 10:00 is 1 Oct 10:00, a holiday, unchanged."""
    start = cst(2024, 9, 30, 10, 0)
    assert calendar.elapsed(start, hours=24) == cst(2024, 10, 1, 10, 0)
    assert calendar.elapsed(start, minutes=5) == cst(2024, 9, 30, 10, 5)


def test_weekends_are_working_days_where_a_court_says_so(court):
    """REC-02: ``weekends_are_holidays`` is a per-court setting (default true)."""
    saturday = D(2024, 9, 7)
    assert calendar.within_days_date(D(2024, 9, 6), 1) == D(2024, 9, 9)
    setting_set(key="weekends_are_holidays", value=False, court=court, reason="地方规定")
    assert calendar.within_days_date(D(2024, 9, 6), 1, court=court) == saturday
    assert calendar.within_days_date(D(2024, 9, 6), 1) == D(2024, 9, 9)  # others unchanged


def test_negative_period_is_refused():
    with pytest.raises(ValueError):
        calendar.within_days(D(2024, 9, 6), -1)
    with pytest.raises(ValueError):
        calendar.at_least_days_before(D(2024, 9, 6), -1)


def test_months_after_clamps_to_month_end():
    assert calendar.months_after(cst(2024, 1, 31, 12), 1) == cst(2024, 2, 29, 12)
    assert calendar.months_after(cst(2024, 11, 15, 12), 14) == cst(2026, 1, 15, 12)


def test_calendar_edit_is_audited_with_before_and_after(judge):
    """REC-02/REC-08: each change to the calendar is an audit entry with old and new values."""
    calendar.calendar_day_set(
        date=D(2025, 3, 3), kind="holiday", name="示例", actor=judge, reason="国务院通知"
    )
    calendar.calendar_day_set(date=D(2025, 3, 3), kind="normal", actor=judge, reason="录入错误")
    entries = list(AuditEntry.objects.filter(stream="system:calendar").order_by("seq"))
    assert [(e.before, e.after) for e in entries] == [
        (None, {"kind": "holiday", "name": "示例"}),
        ({"kind": "holiday", "name": "示例"}, None),
    ]
    assert entries[1].reason == "录入错误" and entries[1].actor == judge
    assert not CalendarDay.objects.filter(date=D(2025, 3, 3)).exists()


def test_calendar_edit_refuses_unknown_kind(db):
    from core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        calendar.calendar_day_set(date=D(2025, 1, 1), kind="party", reason="x")
    assert exc.value.rule == "REC-02"
