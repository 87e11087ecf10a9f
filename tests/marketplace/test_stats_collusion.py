"""Court statistics count collusion flags of ended auctions: raised, referred, dismissed (issue 19)."""

from __future__ import annotations

import datetime as dt

from marketplace import stats

CST = dt.timezone(dt.timedelta(hours=8))


def row(aid: int, state: str, collusion: str | None) -> dict[str, object]:
    at = dt.datetime(2026, 10, 5, 10, tzinfo=CST)
    return {
        "auction_id": aid,
        "court_id": 1,
        "court_name": "甲法院",
        "round": "1",
        "state": state,
        "published_at": at - dt.timedelta(days=2),
        "closed_at": at,
        "starting_price_fen": 1_000_000,
        "final_price_fen": 1_100_000 if state == "sold" else None,
        "reference_price_fen": None,
        "seized_on": None,
        "paid_out_at": None,
        "collusion_state": collusion,
    }


def test_flags_raised_referred_and_dismissed_are_counted_per_court_and_period_auc43():
    rows = [
        row(1, "sold", "open"),
        row(2, "sold", "referred"),
        row(3, "unsold", "dismissed"),
        row(4, "sold", None),
        # Still running: its (live) flag is counted once bidding has ended.
        {**row(5, "bidding", "open"), "closed_at": None},
    ]
    (line,) = stats.to_records(stats.compute_statistics(rows, freq="month"))
    assert (line["collusion_flagged"], line["collusion_referred"], line["collusion_dismissed"]) == (
        3,
        1,
        1,
    )


def test_rows_without_a_flag_count_zero():
    rows = [row(1, "sold", None)]
    (line,) = stats.to_records(stats.compute_statistics(rows, freq="month"))
    assert line["collusion_flagged"] == 0
