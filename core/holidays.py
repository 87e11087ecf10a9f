"""The official holiday calendar (REC-02), from the chinese-calendar package.

China's statutory holidays and make-up working days (调休) are fixed each year by the State
Council, not by a formula, so they are data. We take them from `chinese-calendar`
(https://github.com/LKI/chinese-calendar, MIT), the package most Python projects in China use
for this: it ships every year's arrangement since 2004 and is updated within days of each
year's announcement. A fresh installation loads them in a migration
(``core/migrations/0004_official_holidays``); the operator brings in a newer year after
upgrading the package with ``manage.py calendar_update`` (audited, open deadlines recompute).
Rows the operator set by hand win over the package: a date the package would change is
reported as a conflict and left as it is unless ``overwrite`` is asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from core.types import Actor

# chinese-calendar names its holidays in English; the calendar shows them in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def source_label() -> str:
    return f"chinese-calendar {version('chinese-calendar')}"


def official_days() -> list[tuple[dt.date, str, str]]:
    """Every (date, kind, name) the package knows: ``holiday`` or ``workday`` (调休)."""
    from chinese_calendar import constants

    days: list[tuple[dt.date, str, str]] = []
    for day, holiday in constants.holidays.items():
        days.append((day, "holiday", HOLIDAY_NAMES.get(holiday, holiday)))
    for day, holiday in constants.workdays.items():
        days.append((day, "workday", f"{HOLIDAY_NAMES.get(holiday, holiday)}调休"))
    return sorted(days)


@dataclass
class CalendarImport:
    """What an import did: rows added, rows changed, and hand-set rows left alone."""

    source: str
    added: list[dt.date] = field(default_factory=list)
    changed: list[dt.date] = field(default_factory=list)
    conflicts: list[tuple[dt.date, str, str]] = field(default_factory=list)  # date, ours, theirs

    @property
    def years(self) -> list[int]:
        return sorted({d.year for d in self.added + self.changed})


@transaction.atomic
def calendar_import_official(
    *, actor: Actor = None, reason: str = "", overwrite: bool = False
) -> CalendarImport:
    """Bring the package's holidays and 调休 days into the calendar (REC-02): audited once,
    open day-based deadlines recompute once. Idempotent: a second run changes nothing."""
    from core.audit import audit_record
    from core.deadlines import deadlines_recompute
    from core.models import CalendarDay

    result = CalendarImport(source=source_label())
    days = official_days()
    existing = {
        row.date: row
        for row in CalendarDay.objects.select_for_update().filter(
            date__gte=days[0][0], date__lte=days[-1][0]
        )
    }
    new_rows: list[CalendarDay] = []
    for day, kind, name in days:
        row = existing.get(day)
        if row is None:
            new_rows.append(CalendarDay(date=day, kind=kind, name=name))
            result.added.append(day)
        elif row.kind != kind:
            if overwrite:
                row.kind, row.name = kind, name
                row.save(update_fields=["kind", "name"])
                result.changed.append(day)
            else:
                result.conflicts.append((day, row.kind, kind))
    CalendarDay.objects.bulk_create(new_rows)
    if result.added or result.changed:
        audit_record(
            stream="system:calendar",
            action="calendar.official_import",
            actor=actor,
            subject=result.source,
            after={
                "source": result.source,
                "added": len(result.added),
                "changed": [d.isoformat() for d in result.changed],
                "years": result.years,
                "conflicts": [d.isoformat() for d, _ours, _theirs in result.conflicts],
            },
            reason=reason,
            rules=["REC-02"],
        )
        deadlines_recompute(actor=actor)
    return result
