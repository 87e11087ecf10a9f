"""Public statistics (issue 17): deal rate, premium over the reference price, bidders per lot and
days from seizure to sale, per court or per region, over a chosen period.

Computed in the database by one aggregate query per view (``GROUP BY`` court or region, and one
``GROUP BY`` month for the trend), never row by row in Python, so a million auctions cost one
scan of the period's results; each answer is cached per (scope, grouping, period).

Definitions (docs/marketplace.md, "Public statistics"):
- an auction counts in the period when its bidding ended there (``AuctionResult.closed_at``,
  China Standard Time dates, the end date included); practice auctions never count;
- ended: every result (sold or unsold); sold: outcome ``sold`` (later defaults included: the
  hammer fell);
- deal rate (成交率) = sold ÷ ended;
- premium over the reference price (较参考价溢价率): mean over sold auctions with a reference
  price of (hammer price ÷ reference price − 1), in percent; the reference price is the sum of
  the lot's price bases frozen at publication (``Auction.price_basis``, as the listings show);
- bidders per lot (每场竞买人数): mean over ended auctions of the registrations that obtained a
  bidder code (paid the deposit);
- days from seizure to sale (查封至成交天数): mean over sold auctions of the calendar days from the
  lot's earliest seizure to the end of bidding (CST).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Avg,
    BigIntegerField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.errors import DomainError
from core.models import Court
from core.validation import date_param

GROUPS = {
    "court": gettext_lazy("按法院"),
    "province": gettext_lazy("按省份"),
    "city": gettext_lazy("按城市"),
}
_REGION_DIGITS = {"province": 2, "city": 4}
FIRST_YEAR, LAST_YEAR = 2000, 2199
MAX_DAYS = 366 * 10


class _ReferencePrice(Func):
    """The sum of ``price_basis[*].amount_fen`` (a JSON object per asset), in SQL."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(SELECT SUM((v ->> 'amount_fen')::bigint) FROM jsonb_each("
                "CASE WHEN jsonb_typeof(%(expressions)s) = 'object' THEN %(expressions)s "
                "ELSE '{}'::jsonb END) AS t(k, v))"
            ),
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(SELECT SUM(CAST(json_extract(value, '$.amount_fen') AS INTEGER)) FROM json_each("
                "CASE WHEN json_type(%(expressions)s) = 'object' THEN %(expressions)s "
                "ELSE '{}' END))"
            ),
            **extra,
        )


class _DaysSince(Func):
    """Calendar days (China Standard Time) from a date to a moment: ``moment::date - date``."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        moment, day = self.source_expressions
        m_sql, m_params = compiler.compile(moment)
        d_sql, d_params = compiler.compile(day)
        return (
            f"((({m_sql}) AT TIME ZONE 'Asia/Shanghai')::date - ({d_sql}))",
            [*m_params, *d_params],
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        moment, day = self.source_expressions
        m_sql, m_params = compiler.compile(moment)
        d_sql, d_params = compiler.compile(day)
        return (
            f"CAST(julianday(date({m_sql}, '+8 hours')) - julianday({d_sql}) AS INTEGER)",
            [*m_params, *d_params],
        )


class Period(TypedDict):
    start: dt.date  # first day (CST)
    end: dt.date  # last day (CST), included


class StatRow(TypedDict):
    key: str
    label: str
    ended: int
    sold: int
    deal_rate_pct: float | None
    premium_ref_pct: float | None
    bidders_per_lot: float | None
    days_seizure_to_sale: float | None


def _date(params: Mapping[str, Any], key: str, label: str) -> dt.date | None:
    return date_param(params, key, label, first_year=FIRST_YEAR, last_year=LAST_YEAR)


def parse_params(params: Mapping[str, Any]) -> tuple[Period, str]:
    """``from``/``to`` (inclusive dates, CST; default: the last 12 whole months and this one)
    and ``group`` (court, province, city). Bad input → ``DomainError`` with a field."""
    group = str(params.get("group") or "court").strip()
    if group not in GROUPS:
        options = "、".join(f"{k}（{v}）" for k, v in GROUPS.items())
        raise DomainError(
            "invalid_group",
            _("分组方式“%(group)s”不存在，可选：%(options)s")
            % {"group": group, "options": options},
            field="group",
        )
    today = clock.local_now().date()
    start = _date(params, "from", _("开始日期"))
    end = _date(params, "to", _("结束日期"))
    if end is None:
        end = today
    if start is None:
        start = dt.date(end.year - 1, end.month, 1)
    if start > end:
        raise DomainError("invalid_range", _("开始日期不能晚于结束日期"), field="from")
    if (end - start).days > MAX_DAYS:
        raise DomainError("range_too_long", _("统计区间最长 10 年，请缩短区间"), field="from")
    return Period(start=start, end=end), group


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    lo = timezone.make_aware(dt.datetime.combine(period["start"], dt.time()), timezone=_cst())
    hi = timezone.make_aware(
        dt.datetime.combine(period["end"] + dt.timedelta(days=1), dt.time()), timezone=_cst()
    )
    return lo, hi


def _cst() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def _results(period: Period, court_ids: Sequence[int] | None) -> QuerySet[Any]:
    from bidding.models import AuctionResult, Registration
    from cases.models import Seizure

    lo, hi = _bounds(period)
    qs = AuctionResult.objects.filter(
        closed_at__gte=lo,
        closed_at__lt=hi,
        auction__is_practice=False,
        auction__court__isnull=False,
    )
    if court_ids is not None:
        qs = qs.filter(auction__court_id__in=list(court_ids))
    bidders = (
        Registration.objects.filter(auction_id=OuterRef("auction_id"), bidder_code__isnull=False)
        .order_by()
        .values("auction_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    seized = (
        Seizure.objects.filter(asset__lots=OuterRef("auction__lot_id"))
        .order_by("seized_on")
        .values("seized_on")[:1]
    )
    return qs.annotate(
        ref_fen=_ReferencePrice(F("auction__price_basis")),
        n_bidders=Coalesce(Subquery(bidders, output_field=IntegerField()), Value(0)),
        seized_on=Subquery(seized),
    )


def _aggregates() -> dict[str, Any]:
    sold = Q(outcome="sold")
    priced = sold & Q(ref_fen__gt=0) & Q(price_fen__isnull=False)
    return {
        "ended": Count("pk"),
        "sold": Count("pk", filter=sold),
        "premium": Avg(
            Case(
                When(
                    priced,
                    then=(Cast("price_fen", FloatField()) / Cast("ref_fen", FloatField()) - 1.0)
                    * 100.0,
                ),
                output_field=FloatField(),
            )
        ),
        "bidders": Avg(Cast("n_bidders", FloatField())),
        "days": Avg(
            Case(
                When(
                    sold & Q(seized_on__isnull=False),
                    then=Cast(_DaysSince(F("closed_at"), F("seized_on")), FloatField()),
                ),
                output_field=FloatField(),
            )
        ),
    }


def _round(value: Any, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def _row(key: str, label: str, agg: Mapping[str, Any]) -> StatRow:
    ended, sold = int(agg["ended"] or 0), int(agg["sold"] or 0)
    return StatRow(
        key=key,
        label=label,
        ended=ended,
        sold=sold,
        deal_rate_pct=round(sold * 100 / ended, 2) if ended else None,
        premium_ref_pct=_round(agg["premium"], 2),
        bidders_per_lot=_round(agg["bidders"], 2),
        days_seizure_to_sale=_round(agg["days"], 1),
    )


def _region_label(prefix: str) -> str:
    from core.regions import region

    r = region(prefix.ljust(6, "0"))
    if r is None and len(prefix) > 2:  # a municipality's "city" level: the province
        r = region(prefix[:2].ljust(6, "0"))
    return r.name if r is not None else prefix


def _compute(period: Period, group: str, court_ids: Sequence[int] | None) -> dict[str, Any]:
    qs = _results(period, court_ids)
    if group == "court":
        keyed = qs.values("auction__court_id", "auction__court__name").order_by(
            "auction__court__code"
        )
        rows = [
            _row(str(r["auction__court_id"]), r["auction__court__name"], r)
            for r in keyed.annotate(**_aggregates())
        ]
    else:
        digits = _REGION_DIGITS[group]
        keyed = (
            qs.annotate(region=Substr("auction__court__division_code", 1, digits))
            .values("region")
            .order_by("region")
        )
        rows = [
            _row(r["region"], _region_label(r["region"]), r)
            for r in keyed.annotate(**_aggregates())
        ]
    total = _row("all", str(_("合计")), qs.aggregate(**_aggregates()))
    trend = [
        {
            "month": r["month"].astimezone(_cst()).strftime("%Y-%m")
            if isinstance(r["month"], dt.datetime)
            else str(r["month"])[:7],
            "ended": int(r["ended"]),
            "sold": int(r["sold"]),
            "deal_rate_pct": round(int(r["sold"]) * 100 / int(r["ended"]), 2)
            if r["ended"]
            else None,
        }
        for r in qs.annotate(month=TruncMonth("closed_at", tzinfo=_cst()))
        .values("month")
        .order_by("month")
        .annotate(ended=Count("pk"), sold=Count("pk", filter=Q(outcome="sold")))
    ]
    return {"rows": rows, "total": total, "trend": trend}


def statistics(
    *, period: Period, group: str, court_ids: Sequence[int] | None = None
) -> dict[str, Any]:
    """``{"rows": [StatRow…], "total": StatRow, "trend": [{month, ended, sold, deal_rate_pct}]}``
    for the courts ``court_ids`` (all courts when None), cached per scope, grouping and period
    for ``GAVEL_PUBLIC_STATS_CACHE_SECONDS``."""
    scope = "all" if court_ids is None else ",".join(str(c) for c in sorted(court_ids))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
    key = f"gavel:public-stats:v1:{group}:{period['start']}:{period['end']}:{digest}"
    ttl = int(settings.GAVEL_PUBLIC_STATS_CACHE_SECONDS)
    cached = cache.get(key) if ttl > 0 else None
    if cached is not None:
        return dict(cached)
    value = _compute(period, group, court_ids)
    if ttl > 0:
        cache.set(key, value, ttl)
    return value


def courts_overseen(court: Court | None) -> list[Court]:
    """A court and the courts under it, by the court code (法院代字): a high court ``赣`` oversees
    ``赣01`` (intermediate) and ``赣0102`` (basic); a basic court oversees only itself."""
    if court is None:
        return []
    return list(Court.objects.filter(code__startswith=court.code).order_by("code"))


CSV_COLUMNS = [
    ("label", gettext_lazy("法院/地区")),
    ("ended", gettext_lazy("结束场次")),
    ("sold", gettext_lazy("成交场次")),
    ("deal_rate_pct", gettext_lazy("成交率(%)")),
    ("premium_ref_pct", gettext_lazy("较参考价溢价率(%)")),
    ("bidders_per_lot", gettext_lazy("每场竞买人数")),
    ("days_seizure_to_sale", gettext_lazy("查封至成交(日)")),
]


def to_csv(data: Mapping[str, Any], period: Period) -> str:
    """CSV (UTF-8 with BOM, for spreadsheet programs): one line per group, then the total;
    empty cells where there is nothing to measure."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow([_("统计区间"), f"{period['start']}", f"{period['end']}"])
    w.writerow([str(label) for _key, label in CSV_COLUMNS])
    for row in [*data["rows"], data["total"]]:
        w.writerow(["" if row[k] is None else row[k] for k, _label in CSV_COLUMNS])
    return buf.getvalue()
