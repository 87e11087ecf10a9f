"""Court statistics (统计): pure functions over plain rows, computed with pandas.

One row per real (non-practice) published auction; ``marketplace.stats_rows`` builds the rows
from the database, ``compute_statistics`` turns them into one line per court and period, so
the arithmetic is tested on a hand-computed fixture independent of the database.

Definitions (docs/marketplace.md):
- listed (上拍): auctions published in the period.
- ended: auctions whose bidding ended in the period with a hammer result: sold (the hammer
  fell: ``sold``, later ``defaulted`` or ``set_aside``) or unsold (``unsold``, later
  ``in_lieu``). Withdrawn, halted or still running auctions are not ended.
- deal rate (成交率) = sold / ended.
- premium (溢价率) over the starting price and over the reference price: the mean over sold
  auctions of (hammer price / base − 1), in percent.
- days from seizure to sale: mean over sold auctions of the calendar days (China Standard
  Time) from the earliest seizure of the lot to the end of bidding; to payout: to the first
  payout of the case after the sale, over sold auctions already paid out.
- defaults (悔拍): auctions that ended ``defaulted``.
- collusion flags (issue 19): ended auctions that carry a collusion flag (raised), and of
  those the ones the court referred for review (confirmed) or dismissed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from django.utils.translation import gettext_lazy

CST = ZoneInfo("Asia/Shanghai")

SOLD_STATES = frozenset({"sold", "defaulted", "set_aside"})
UNSOLD_STATES = frozenset({"unsold", "in_lieu"})
ROUND_KEYS = {"1": "r1", "2": "r2", "sale": "sale"}
FREQS = {
    "month": gettext_lazy("月"),
    "quarter": gettext_lazy("季度"),
    "year": gettext_lazy("年"),
    "all": gettext_lazy("合计"),
}

ROW_COLUMNS = [
    "auction_id",
    "court_id",
    "court_name",
    "round",
    "state",
    "published_at",
    "closed_at",
    "starting_price_fen",
    "final_price_fen",
    "reference_price_fen",
    "seized_on",
    "paid_out_at",
    "collusion_state",
]

OUTPUT_COLUMNS = [
    "court_id",
    "court_name",
    "period",
    "listed",
    "ended",
    "sold",
    "unsold",
    "sold_r1",
    "sold_r2",
    "sold_sale",
    "unsold_r1",
    "unsold_r2",
    "unsold_sale",
    "defaults",
    "deal_rate_pct",
    "turnover_fen",
    "premium_start_pct",
    "premium_ref_pct",
    "days_seizure_to_sale",
    "days_seizure_to_payout",
    "collusion_flagged",
    "collusion_referred",
    "collusion_dismissed",
]

# Chinese headers for the CSV export and the page's table.
# The CSV's column titles, in the reader's language (issue 17).
HEADERS = {
    "court_id": gettext_lazy("法院编号"),
    "court_name": gettext_lazy("法院"),
    "period": gettext_lazy("期间"),
    "listed": gettext_lazy("上拍数"),
    "ended": gettext_lazy("结束数"),
    "sold": gettext_lazy("成交数"),
    "unsold": gettext_lazy("流拍数"),
    "sold_r1": gettext_lazy("一拍成交"),
    "sold_r2": gettext_lazy("二拍成交"),
    "sold_sale": gettext_lazy("变卖成交"),
    "unsold_r1": gettext_lazy("一拍流拍"),
    "unsold_r2": gettext_lazy("二拍流拍"),
    "unsold_sale": gettext_lazy("变卖未成交"),
    "defaults": gettext_lazy("悔拍数"),
    "deal_rate_pct": gettext_lazy("成交率(%)"),
    "turnover_fen": gettext_lazy("成交额(元)"),
    "premium_start_pct": gettext_lazy("较起拍价溢价率(%)"),
    "premium_ref_pct": gettext_lazy("较参考价溢价率(%)"),
    "days_seizure_to_sale": gettext_lazy("查封至成交(日)"),
    "days_seizure_to_payout": gettext_lazy("查封至发放(日)"),
    "collusion_flagged": gettext_lazy("串通风险预警"),
    "collusion_referred": gettext_lazy("预警移送审查"),
    "collusion_dismissed": gettext_lazy("预警排除"),
}

_COUNT_COLUMNS = [
    "listed",
    "ended",
    "sold",
    "unsold",
    "sold_r1",
    "sold_r2",
    "sold_sale",
    "unsold_r1",
    "unsold_r2",
    "unsold_sale",
    "defaults",
    "turnover_fen",
    "collusion_flagged",
    "collusion_referred",
    "collusion_dismissed",
]


def period_label(when: dt.datetime | dt.date | None, freq: str) -> str | None:
    """The period a moment falls in, on China Standard Time: "2026-11", "2026Q4", "2026", "合计"."""
    if when is None:
        return None
    if freq == "all":
        return "合计"
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ValueError("aware datetimes only")
        when = when.astimezone(CST).date()
    if freq == "month":
        return f"{when.year}-{when.month:02d}"
    if freq == "quarter":
        return f"{when.year}Q{(when.month - 1) // 3 + 1}"
    if freq == "year":
        return f"{when.year}"
    raise ValueError(f"unknown frequency {freq!r}")


def _local(series: pd.Series) -> pd.Series:
    """Aware datetimes (or None) → naive China Standard Time timestamps (NaT for None)."""
    return pd.to_datetime(series, utc=True).dt.tz_convert(CST).dt.tz_localize(None)


def _bound(when: dt.datetime | None) -> pd.Timestamp | None:
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError("aware datetimes only")
    return pd.Timestamp(when.astimezone(CST).replace(tzinfo=None))


def _in_range(
    moments: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.Series:
    mask = moments.notna()
    if start is not None:
        mask &= moments >= start
    if end is not None:
        mask &= moments < end
    return mask


_PERIOD_CODES = {"month": "M", "quarter": "Q", "year": "Y"}


def _periods(moments: pd.Series, freq: str) -> pd.Series:
    if freq == "all":
        return pd.Series("合计", index=moments.index, dtype=object)
    return moments.dt.to_period(_PERIOD_CODES[freq]).astype(str)


def compute_statistics(
    rows: Iterable[Mapping[str, Any]],
    *,
    freq: str = "month",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> pd.DataFrame:
    """One line per (court, period) with at least one event in [start, end); see the module doc.

    Listing counts by ``published_at``; every outcome measure by ``closed_at`` (the end of
    bidding), both on China Standard Time.
    """
    if freq not in FREQS:
        raise ValueError(f"unknown frequency {freq!r}")
    df = pd.DataFrame(list(rows), columns=ROW_COLUMNS)
    if df.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    lo, hi = _bound(start), _bound(end)
    keys = ["court_id", "period"]
    published = _local(df["published_at"])
    closed = _local(df["closed_at"])
    paid = _local(df["paid_out_at"])
    seized = pd.to_datetime(df["seized_on"])
    names = df.groupby("court_id")["court_name"].last()

    in_pub = _in_range(published, lo, hi)
    listed = (
        df.loc[in_pub, ["court_id"]]
        .assign(period=_periods(published[in_pub], freq))
        .groupby(keys)
        .size()
        .rename("listed")
    )

    state = df["state"].astype(str)
    is_sold = state.isin(SOLD_STATES)
    ended_mask = (is_sold | state.isin(UNSOLD_STATES)) & _in_range(closed, lo, hi)
    e = df.loc[ended_mask].copy()
    sold = is_sold[ended_mask]
    rnd = e["round"].astype(str).map(ROUND_KEYS).fillna("r1")
    final = pd.to_numeric(e["final_price_fen"], errors="coerce").where(sold)
    start_price = pd.to_numeric(e["starting_price_fen"], errors="coerce")
    ref_price = pd.to_numeric(e["reference_price_fen"], errors="coerce")
    closed_day = closed[ended_mask].dt.normalize()
    e = e.assign(
        period=_periods(closed[ended_mask], freq),
        sold=sold.astype(int),
        unsold=(~sold).astype(int),
        defaults=(state[ended_mask] == "defaulted").astype(int),
        turnover_fen=final.fillna(0),
        prem_start=(final / start_price.where(start_price > 0) - 1) * 100,
        prem_ref=(final / ref_price.where(ref_price > 0) - 1) * 100,
        to_sale=(closed_day - seized[ended_mask]).dt.days.where(sold),
        to_payout=(paid[ended_mask].dt.normalize() - seized[ended_mask]).dt.days.where(sold),
        flagged=e["collusion_state"].notna().astype(int),
        referred=(e["collusion_state"] == "referred").astype(int),
        dismissed=(e["collusion_state"] == "dismissed").astype(int),
    )
    for key in ROUND_KEYS.values():
        e[f"sold_{key}"] = (sold & (rnd == key)).astype(int)
        e[f"unsold_{key}"] = (~sold & (rnd == key)).astype(int)
    outcomes = e.groupby(keys).agg(
        ended=("sold", "size"),
        sold=("sold", "sum"),
        unsold=("unsold", "sum"),
        sold_r1=("sold_r1", "sum"),
        sold_r2=("sold_r2", "sum"),
        sold_sale=("sold_sale", "sum"),
        unsold_r1=("unsold_r1", "sum"),
        unsold_r2=("unsold_r2", "sum"),
        unsold_sale=("unsold_sale", "sum"),
        defaults=("defaults", "sum"),
        turnover_fen=("turnover_fen", "sum"),
        premium_start_pct=("prem_start", "mean"),
        premium_ref_pct=("prem_ref", "mean"),
        days_seizure_to_sale=("to_sale", "mean"),
        days_seizure_to_payout=("to_payout", "mean"),
        collusion_flagged=("flagged", "sum"),
        collusion_referred=("referred", "sum"),
        collusion_dismissed=("dismissed", "sum"),
    )
    table = pd.concat([listed, outcomes], axis=1).reset_index()
    if table.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    table[_COUNT_COLUMNS] = table[_COUNT_COLUMNS].fillna(0).astype("int64")
    table["court_name"] = table["court_id"].map(names)
    table["deal_rate_pct"] = (table["sold"] * 100 / table["ended"].where(table["ended"] > 0)).round(
        2
    )
    table["premium_start_pct"] = table["premium_start_pct"].round(2)
    table["premium_ref_pct"] = table["premium_ref_pct"].round(2)
    table["days_seizure_to_sale"] = table["days_seizure_to_sale"].round(1)
    table["days_seizure_to_payout"] = table["days_seizure_to_payout"].round(1)
    table = table[OUTPUT_COLUMNS].astype(object)
    table = table.where(table.notna(), None)
    return table.sort_values(keys, kind="stable").reset_index(drop=True)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()  # numpy scalar → plain Python
    return value


def to_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (``None`` for "no data", never NaN)."""
    return [{k: _cell(v) for k, v in rec.items()} for rec in table.to_dict(orient="records")]


def to_csv(table: pd.DataFrame) -> str:
    """CSV with headers in the reader's language, amounts in yuan with 2 places, empty cells
    for "no data"."""
    from core.money import yuan

    frame = table.copy()
    frame["turnover_fen"] = [yuan(int(v)).replace(",", "") for v in frame["turnover_fen"]]
    frame = frame.rename(columns={k: str(v) for k, v in HEADERS.items()})
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue()


def all_periods(start: dt.datetime, end: dt.datetime, freq: str) -> list[str]:
    """Every period label from ``start`` to just before ``end`` (CST), for gap-free charts."""
    if freq == "all":
        return ["合计"]
    lo = _bound(start)
    hi = _bound(end - dt.timedelta(microseconds=1))
    return [str(p) for p in pd.period_range(lo, hi, freq=_PERIOD_CODES[freq])]


def chart_series(
    table: pd.DataFrame, court_id: int | None = None, periods: list[str] | None = None
) -> dict[str, Any]:
    """The data the page's ECharts draw: periods on x (every one of ``periods`` when given,
    zero counts and no rates where nothing happened), counts and rates as series."""
    frame = table if court_id is None else table[table["court_id"] == court_id]
    if periods:
        have = set(frame["period"]) if not frame.empty else set()
        missing = [
            {"court_id": court_id, "court_name": "", "period": p} | {c: 0 for c in _COUNT_COLUMNS}
            for p in periods
            if p not in have
        ]
        if missing:
            frame = pd.concat(
                [frame, pd.DataFrame(missing, columns=OUTPUT_COLUMNS).astype(object)],
                ignore_index=True,
            )
            frame = frame.where(frame.notna(), None)
    if court_id is None and not frame.empty:
        frame = frame.groupby("period", as_index=False)[_COUNT_COLUMNS].sum()
        frame["deal_rate_pct"] = [
            round(s * 100 / e, 2) if e else None
            for s, e in zip(frame["sold"], frame["ended"], strict=True)
        ]
        frame["premium_start_pct"] = None
        frame["premium_ref_pct"] = None
    frame = frame.sort_values("period")

    def col(name: str) -> list[Any]:
        return [_cell(v) for v in frame[name]] if name in frame else []

    return {
        "periods": col("period"),
        "listed": col("listed"),
        "sold": col("sold"),
        "unsold_r1": col("unsold_r1"),
        "unsold_r2": col("unsold_r2"),
        "unsold_sale": col("unsold_sale"),
        "defaults": col("defaults"),
        "deal_rate_pct": col("deal_rate_pct"),
        "premium_start_pct": col("premium_start_pct"),
        "premium_ref_pct": col("premium_ref_pct"),
    }
