"""Day counting (REC-01..03) on the holiday calendar (REC-02).

- ``within_days(event, n)``: "within N days after E": the starting day is not counted, due
  = date(E) + N, and a period ending on a holiday (法定休假日, or a weekend that is not a
  make-up working day 调休) ends on the next working day. Due at the end of that day.
- ``at_least_days_before(event, n)``: "at least N days before X": the earliest date of X is
  date(E) + N, never shortened (or moved) by holidays; ``is_at_least_days_before`` checks it.
- ``add_working_days(event, n)``: N working days after E, for rules that count working days.
- ``elapsed(start, hours=…, minutes=…)``: exact elapsed server time, no holiday shift (REC-03).
Dates are China Standard Time (REC-04). The calendar is national; whether weekends are
holidays is the per-court setting ``weekends_are_holidays`` (default true).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

if TYPE_CHECKING:
    from core.types import Actor

CST = ZoneInfo("Asia/Shanghai")
_WINDOW = 62  # days of calendar rows fetched at once; refetched when a count runs past it


def _local_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ValueError("aware datetime required")
        return value.astimezone(CST).date()
    return value


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    from core.models import CalendarDay

    return dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind")
    )


def _weekends_are_holidays(court: Any = None) -> bool:
    from core.rulesettings import get_setting

    return bool(get_setting("weekends_are_holidays", court=court))


class _Days:
    """Working-day lookups over a sliding window of calendar rows (few queries per count)."""

    def __init__(self, start: dt.date, court: Any = None) -> None:
        self.weekends = _weekends_are_holidays(court)
        self._load(start)

    def _load(self, start: dt.date) -> None:
        self.start, self.end = start, start + dt.timedelta(days=_WINDOW)
        self.rows = _overrides(self.start, self.end)

    def is_working(self, day: dt.date) -> bool:
        if not (self.start <= day <= self.end):
            self._load(day)
        kind = self.rows.get(day)
        if kind == "holiday":
            return False
        if kind == "workday":
            return True
        return not (self.weekends and day.weekday() >= 5)


def is_working_day(
    day: dt.date, *, court: Any = None, _cache: dict | None = None, _weekends: bool | None = None
) -> bool:
    """A working day: not a statutory holiday, and not a weekend unless it is a 调休 workday."""
    overrides = _cache if _cache is not None else _overrides(day, day)
    kind = overrides.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    weekends = _weekends_are_holidays(court) if _weekends is None else _weekends
    return not (weekends and day.weekday() >= 5)


def next_working_day(day: dt.date, *, court: Any = None) -> dt.date:
    """``day`` itself if it is a working day, else the next one."""
    days = _Days(day, court)
    while not days.is_working(day):
        day += dt.timedelta(days=1)
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in China Standard Time, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(23, 59, 59, 999999), tzinfo=CST).astimezone(dt.UTC)


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=CST).astimezone(dt.UTC)


def within_days_date(event: dt.datetime | dt.date, n: int, *, court: Any = None) -> dt.date:
    """REC-01: the last day of "within N days after E" (date(E) + N, moved off holidays)."""
    if n < 0:
        raise ValueError("a period cannot be negative")
    return next_working_day(_local_date(event) + dt.timedelta(days=n), court=court)


def within_days(event: dt.datetime | dt.date, n: int, *, court: Any = None) -> dt.datetime:
    """REC-01: the end of the period "within N days after E"."""
    return end_of_day(within_days_date(event, n, court=court))


def at_least_days_before(event: dt.datetime | dt.date, n: int) -> dt.date:
    """REC-01: the earliest date for X when X must come at least N days after E."""
    if n < 0:
        raise ValueError("a period cannot be negative")
    return _local_date(event) + dt.timedelta(days=n)


def is_at_least_days_before(
    event: dt.datetime | dt.date, later: dt.datetime | dt.date, n: int
) -> bool:
    """REC-01: does ``later`` fall at least N days after ``event`` (date(E) + N or later)?"""
    return _local_date(later) >= at_least_days_before(event, n)


def add_working_days(event: dt.datetime | dt.date, n: int, *, court: Any = None) -> dt.datetime:
    """N working days after E (the starting day not counted), due at the end of the last one."""
    if n < 0:
        raise ValueError("a period cannot be negative")
    day = _local_date(event)
    days = _Days(day, court)
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if days.is_working(day):
            counted += 1
    return end_of_day(day)


def elapsed(start: dt.datetime, *, hours: float = 0, minutes: float = 0) -> dt.datetime:
    """REC-03: exact elapsed server time, no holiday shift."""
    return start + dt.timedelta(hours=hours, minutes=minutes)


def months_after(start: dt.datetime, months: int) -> dt.datetime:
    """The same local day ``months`` later (clamped to the month's last day)."""
    local = start.astimezone(CST)
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, _cal.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(dt.UTC)


CALENDAR_KINDS = ("holiday", "workday", "normal")


@transaction.atomic
def calendar_day_set(
    *, date: dt.date, kind: str, name: str = "", actor: Actor = None, reason: str = ""
) -> Any:
    """Admin edit of the calendar (REC-02): audited; open day-based deadlines recompute.

    ``kind`` is ``holiday`` (法定休假日), ``workday`` (调休工作日) or ``normal`` (back to the
    weekly pattern). Returns the ``CalendarDay`` (``None`` for ``normal``).
    """
    from core.audit import audit_record
    from core.deadlines import deadlines_recompute
    from core.models import CalendarDay

    if kind not in CALENDAR_KINDS:
        raise DomainError(
            "calendar_kind_invalid",
            _("日期类型只能是法定休假日、调休工作日或普通日"),
            rule="REC-02",
        )
    old = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = {"kind": old.kind, "name": old.name} if old else None
    row: CalendarDay | None = None
    if kind == "normal":
        CalendarDay.objects.filter(date=date).delete()
        after = None
    else:
        row, _created = CalendarDay.objects.update_or_create(
            date=date, defaults={"kind": kind, "name": name}
        )
        after = {"kind": kind, "name": name}
    if before == after:
        return row
    audit_record(
        stream="system:calendar",
        action="calendar.day_set",
        actor=actor,
        subject=str(date),
        before=before,
        after=after,
        reason=reason,
        rules=["REC-02"],
    )
    deadlines_recompute(actor=actor)
    return row
