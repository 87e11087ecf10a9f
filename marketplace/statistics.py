"""Court statistics for staff: parameters checked, rows read, table computed (``marketplace.stats``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.errors import DomainError
from core.models import User
from core.validation import date_param
from marketplace.stats import FREQS, compute_statistics
from marketplace.stats_source import statistics_rows

#: The years a statistics query may span.
FIRST_YEAR, LAST_YEAR = 1990, 2199


def _date(params: Mapping[str, Any], key: str, label: str) -> dt.date | None:
    return date_param(params, key, label, first_year=FIRST_YEAR, last_year=LAST_YEAR)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class StatisticsParams(TypedDict):
    """The checked query: the arguments of :func:`court_statistics`."""

    court_id: int | None
    freq: str
    start: dt.datetime | None
    end: dt.datetime | None


def parse_statistics_params(params: Mapping[str, Any], *, user: User) -> StatisticsParams:
    """``freq`` (month/quarter/year/all), ``from`` and ``to`` (inclusive local dates).

    Default: the last twelve months by month. Staff see their own court only.
    """
    freq = (params.get("freq") or "month").strip()
    if freq not in FREQS:
        options = "、".join(f"{k}（{v}）" for k, v in FREQS.items())
        raise DomainError(
            "invalid_freq",
            _("统计周期“%(freq)s”不存在，可选：%(options)s") % {"freq": freq, "options": options},
            field="freq",
        )
    start_day = _date(params, "from", _("开始日期"))
    end_day = _date(params, "to", _("结束日期"))
    if start_day is None and end_day is None:
        today = clock.local_now().date()
        first = today.replace(day=1)
        start_day = (pd.Timestamp(first) - pd.DateOffset(months=11)).date()
    if start_day and end_day and start_day > end_day:
        raise DomainError("invalid_range", _("开始日期不能晚于结束日期"), field="from")
    return StatisticsParams(
        court_id=user.court_id,
        freq=freq,
        start=_midnight(start_day) if start_day else None,
        end=_midnight(end_day + dt.timedelta(days=1)) if end_day else None,
    )


def court_statistics(
    *, court_id: int | None, freq: str, start: dt.datetime | None, end: dt.datetime | None
) -> pd.DataFrame:
    rows = statistics_rows(court_id=court_id, start=start, end=end)
    return compute_statistics(rows, freq=freq, start=start, end=end)
