"""Day counting (REC-01..03) on the holiday calendar (REC-02).

- ``within_days(event, n)``: "within N days after E": the starting day is not counted, due
  = date(E) + N, and a period ending on a holiday (法定休假日, or a weekend that is not a
  make-up working day) ends on the next working day. Due at the end of that day.
- ``at_least_days_before(event, n)``: "at least N days before X": the earliest date of X is
  date(E) + N, never shortened (or moved) by holidays.
- ``add_working_days(event, n)``: N working days after E, for rules that count working days.
- ``elapsed(start, hours=…, minutes=…)``: exact elapsed server time, no holiday shift (REC-03).
Dates are China Standard Time (REC-04).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

CST = ZoneInfo("Asia/Shanghai")


def _local_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ValueError("aware datetime required")
        return value.astimezone(CST).date()
    return value


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    from core.models import CalendarDay

    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind"))


def _weekends_are_holidays(court=None) -> bool:
    from core.rulesettings import get_setting

    return bool(get_setting("weekends_are_holidays", court=court))


def is_working_day(day: dt.date, *, court=None, _cache: dict | None = None, _weekends: bool | None = None) -> bool:
    overrides = _cache if _cache is not None else _overrides(day, day)
    kind = overrides.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    weekends = _weekends_are_holidays(court) if _weekends is None else _weekends
    return not (weekends and day.weekday() >= 5)


def next_working_day(day: dt.date, *, court=None) -> dt.date:
    """``day`` itself if it is a working day, else the next one."""
    cache = _overrides(day, day + dt.timedelta(days=60))
    weekends = _weekends_are_holidays(court)
    while not is_working_day(day, _cache=cache, _weekends=weekends):
        day += dt.timedelta(days=1)
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in China Standard Time, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(23, 59, 59, 999999), tzinfo=CST).astimezone(dt.UTC)


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=CST).astimezone(dt.UTC)


def within_days_date(event: dt.datetime | dt.date, n: int, *, court=None) -> dt.date:
    if n < 0:
        raise ValueError("a period cannot be negative")
    return next_working_day(_local_date(event) + dt.timedelta(days=n), court=court)


def within_days(event: dt.datetime | dt.date, n: int, *, court=None) -> dt.datetime:
    """REC-01: the end of the period "within N days after E"."""
    return end_of_day(within_days_date(event, n, court=court))


def at_least_days_before(event: dt.datetime | dt.date, n: int) -> dt.date:
    """REC-01: the earliest date for X when X must come at least N days after E."""
    if n < 0:
        raise ValueError("a period cannot be negative")
    return _local_date(event) + dt.timedelta(days=n)


def add_working_days(event: dt.datetime | dt.date, n: int, *, court=None) -> dt.datetime:
    """N working days after E (the starting day not counted), due at the end of the last one."""
    day = _local_date(event)
    cache = _overrides(day, day + dt.timedelta(days=n * 3 + 60))
    weekends = _weekends_are_holidays(court)
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day, _cache=cache, _weekends=weekends):
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
    import calendar as _cal

    day = min(local.day, _cal.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(dt.UTC)


def calendar_day_set(*, date: dt.date, kind: str, name: str = "", actor=None, reason: str = "") -> None:
    """Admin edit of the calendar (REC-02): audited; open day-based deadlines recompute."""
    from django.db import transaction

    from core.audit import audit_record
    from core.deadlines import deadlines_recompute
    from core.models import CalendarDay

    if kind not in ("holiday", "workday", "normal"):
        raise ValueError(kind)
    with transaction.atomic():
        old = CalendarDay.objects.filter(date=date).first()
        before = {"kind": old.kind, "name": old.name} if old else None
        if kind == "normal":
            CalendarDay.objects.filter(date=date).delete()
            after = None
        else:
            CalendarDay.objects.update_or_create(date=date, defaults={"kind": kind, "name": name})
            after = {"kind": kind, "name": name}
        audit_record(
            stream="system:calendar", action="calendar.day_set", actor=actor, subject=str(date),
            before=before, after=after, reason=reason, rules=["REC-02"],
        )
        deadlines_recompute()


