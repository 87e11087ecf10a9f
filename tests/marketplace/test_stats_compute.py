"""Court statistics against a hand-computed fixture (issue 8): counts, 成交率, 溢价率, durations.

Every expected number below was worked out by hand from the rows (see the comments), not by
running the code.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from marketplace import stats

if TYPE_CHECKING:
    import pandas as pd

CST = dt.timezone(dt.timedelta(hours=8))


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=CST)


def row(
    aid: int,
    court: int,
    rnd: str,
    state: str,
    published: dt.datetime,
    closed: dt.datetime | None = None,
    start: int = 0,
    final: int | None = None,
    ref: int | None = None,
    seized: dt.date | None = None,
    paid: dt.datetime | None = None,
) -> dict[str, Any]:
    return {
        "auction_id": aid,
        "court_id": court,
        "court_name": {1: "甲法院", 2: "乙法院"}[court],
        "round": rnd,
        "state": state,
        "published_at": published,
        "closed_at": closed,
        "starting_price_fen": start,
        "final_price_fen": final,
        "reference_price_fen": ref,
        "seized_on": seized,
        "paid_out_at": paid,
    }


ROWS = [
    # 1: sold in Oct, +15% over start (805k / 700k), −19.5% vs reference 1m;
    #    seizure 08-01 → 10-15 = 31 + 30 + 14 = 75 days; → payout 11-20 = 31 + 30 + 31 + 19 = 111 days.
    row(
        1,
        1,
        "1",
        "sold",
        at(2026, 9, 10),
        at(2026, 10, 15),
        70_000_000,
        80_500_000,
        100_000_000,
        dt.date(2026, 8, 1),
        at(2026, 11, 20),
    ),
    # 2: first-round unsold in Oct.
    row(2, 1, "1", "unsold", at(2026, 9, 20), at(2026, 10, 25), 50_000_000),
    # 3: second round, hammer in Nov at +10% (616k / 560k), −38.4% vs 1m, then the buyer defaulted;
    #    seizure 08-01 → 11-10 = 31 + 30 + 31 + 9 = 101 days.
    row(
        3,
        1,
        "2",
        "defaulted",
        at(2026, 10, 28),
        at(2026, 11, 10),
        56_000_000,
        61_600_000,
        100_000_000,
        dt.date(2026, 8, 1),
    ),
    # 4: published 10-01 00:30 CST (still 09-30 in UTC: must count in October), closed 10-31 23:30 CST
    #    (still October in CST), +30%, no reference; 09-01 → 10-31 = 60 days; → payout 11-30 = 90 days.
    row(
        4,
        1,
        "1",
        "sold",
        at(2026, 10, 1, 0, 30),
        at(2026, 10, 31, 23, 30),
        10_000_000,
        13_000_000,
        None,
        dt.date(2026, 9, 1),
        at(2026, 11, 30),
    ),
    # 5: 变卖 with no buyer, ended in Nov.
    row(5, 1, "sale", "unsold", at(2026, 10, 20), at(2026, 11, 5), 40_000_000),
    # 6: withdrawn: listed, never ended.
    row(6, 1, "1", "withdrawn", at(2026, 10, 5), None, 30_000_000),
    # 7: court 2, sold at the starting price (0%), −20% vs 1.25m; 10-01 → 11-03 = 33 days.
    row(
        7,
        2,
        "1",
        "sold",
        at(2026, 10, 2),
        at(2026, 11, 3),
        1_000_000,
        1_000_000,
        1_250_000,
        dt.date(2026, 10, 1),
    ),
    # 8: court 2, still scheduled.
    row(8, 2, "1", "scheduled", at(2026, 11, 15), None, 2_000_000),
]


def by_key(table: pd.DataFrame) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["court_id"], r["period"]): r for r in stats.to_records(table)}


def test_monthly_statistics_match_the_hand_computed_figures():
    got = by_key(stats.compute_statistics(ROWS, freq="month"))
    assert set(got) == {
        (1, "2026-09"),
        (1, "2026-10"),
        (1, "2026-11"),
        (2, "2026-10"),
        (2, "2026-11"),
    }

    sep = got[(1, "2026-09")]
    assert (sep["listed"], sep["ended"], sep["deal_rate_pct"]) == (2, 0, None)

    octo = got[(1, "2026-10")]
    assert octo["listed"] == 4  # auctions 3, 4 (CST!), 5, 6
    assert (octo["ended"], octo["sold"], octo["unsold"]) == (3, 2, 1)
    assert (octo["sold_r1"], octo["unsold_r1"], octo["unsold_r2"], octo["defaults"]) == (2, 1, 0, 0)
    assert octo["deal_rate_pct"] == 66.67  # 2 / 3
    assert octo["turnover_fen"] == 93_500_000
    assert octo["premium_start_pct"] == 22.5  # mean(15, 30)
    assert octo["premium_ref_pct"] == -19.5  # only auction 1 has a reference price
    assert octo["days_seizure_to_sale"] == 67.5  # mean(75, 60)
    assert octo["days_seizure_to_payout"] == 100.5  # mean(111, 90)

    nov = got[(1, "2026-11")]
    assert (nov["listed"], nov["ended"], nov["sold"], nov["unsold"]) == (0, 2, 1, 1)
    assert (nov["sold_r2"], nov["unsold_sale"], nov["defaults"]) == (1, 1, 1)
    assert nov["deal_rate_pct"] == 50.0
    assert nov["turnover_fen"] == 61_600_000
    assert (nov["premium_start_pct"], nov["premium_ref_pct"]) == (10.0, -38.4)
    assert (nov["days_seizure_to_sale"], nov["days_seizure_to_payout"]) == (101.0, None)

    assert (got[(2, "2026-10")]["listed"], got[(2, "2026-10")]["ended"]) == (1, 0)
    b_nov = got[(2, "2026-11")]
    assert (b_nov["listed"], b_nov["sold"], b_nov["deal_rate_pct"]) == (1, 1, 100.0)
    assert (
        b_nov["premium_start_pct"],
        b_nov["premium_ref_pct"],
        b_nov["days_seizure_to_sale"],
    ) == (0.0, -20.0, 33.0)


def test_quarterly_statistics_pool_the_months():
    got = by_key(stats.compute_statistics(ROWS, freq="quarter"))
    q3, q4 = got[(1, "2026Q3")], got[(1, "2026Q4")]
    assert (q3["listed"], q3["ended"]) == (2, 0)
    assert (q4["listed"], q4["ended"], q4["sold"], q4["unsold"], q4["defaults"]) == (4, 5, 3, 2, 1)
    assert q4["deal_rate_pct"] == 60.0
    assert q4["turnover_fen"] == 155_100_000
    assert q4["premium_start_pct"] == 18.33  # mean(15, 30, 10) = 18.333…
    assert q4["premium_ref_pct"] == -28.95  # mean(−19.5, −38.4)
    assert q4["days_seizure_to_sale"] == 78.7  # mean(75, 60, 101) = 78.666…
    assert q4["days_seizure_to_payout"] == 100.5


def test_a_date_range_keeps_only_events_inside_it():
    got = by_key(
        stats.compute_statistics(
            ROWS, freq="all", start=at(2026, 11, 1, 0, 0), end=at(2026, 12, 1, 0, 0)
        )
    )
    a = got[(1, "合计")]
    # Court 1 in November: nothing listed; auctions 3 (defaulted) and 5 (变卖 unsold) ended.
    assert (a["listed"], a["ended"], a["sold"], a["unsold"], a["defaults"]) == (0, 2, 1, 1, 1)
    b = got[(2, "合计")]
    assert (b["listed"], b["ended"], b["sold"]) == (1, 1, 1)


def test_csv_has_chinese_headers_and_yuan_amounts():
    text = stats.to_csv(stats.compute_statistics(ROWS, freq="month"))
    header, *lines = text.strip().splitlines()
    assert header.split(",")[:4] == ["法院编号", "法院", "期间", "上拍数"]
    assert "成交率(%)" in header and "较参考价溢价率(%)" in header
    oct_line = next(line for line in lines if ",2026-10," in line and line.startswith("1,"))
    assert "935000.00" in oct_line  # 93,500,000 fen


def test_no_rows_give_an_empty_table_not_an_error():
    table = stats.compute_statistics([], freq="month")
    assert table.empty
    assert stats.to_records(table) == []


def test_chart_series_for_one_court_follow_the_periods():
    table = stats.compute_statistics(ROWS, freq="month")
    series = stats.chart_series(table, court_id=1)
    assert series["periods"] == ["2026-09", "2026-10", "2026-11"]
    assert series["listed"] == [2, 4, 0]
    assert series["deal_rate_pct"] == [None, 66.67, 50.0]


def test_an_unknown_frequency_is_refused():
    with pytest.raises(ValueError):
        stats.compute_statistics(ROWS, freq="week")


def test_chart_series_fill_every_period_of_the_range():
    table = stats.compute_statistics(
        ROWS, freq="month", start=at(2026, 8, 1, 0, 0), end=at(2027, 1, 1, 0, 0)
    )
    periods = stats.all_periods(at(2026, 8, 1, 0, 0), at(2027, 1, 1, 0, 0), "month")
    assert periods == ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    series = stats.chart_series(table, court_id=1, periods=periods)
    assert series["periods"] == periods
    assert series["listed"] == [0, 2, 4, 0, 0]
    assert series["deal_rate_pct"] == [None, None, 66.67, 50.0, None]
