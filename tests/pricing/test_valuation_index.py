"""The market price index recovers a known trend per region, and brings sales to a date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.valuation.engine import GBMValuer, Recipe
from pricing.valuation.index import PriceIndex, month_number
from tests.pricing.synthetic_market import REGIONS, SPEC, market


def _slope(index: PriceIndex, df: pd.DataFrame, region: str) -> float:
    months = pd.date_range(df["sale_date"].min(), df["sale_date"].max(), freq="MS")[6:-6]
    rows = pd.DataFrame({"sale_date": months, "division_code": region})
    level = index.log_level(rows)
    return float(np.polyfit(month_number(months), level, 1)[0])


def test_index_recovers_each_regions_monthly_trend() -> None:
    """+1.0 %, +0.4 % and −0.2 % a month by region, with flats that differ by age and floor."""
    df = market(4000, seed=11)
    level = np.log(df["price"] / df["area_m2"]).to_numpy()
    index = PriceIndex("division_code", ["year_built", "floor"]).fit(df, level)
    for code, (*_, trend) in REGIONS.items():
        assert abs(_slope(index, df, code) - trend) < 0.0015, code
    # an unseen region follows the market; the chart series ends at 100
    s = index.series("360102")
    assert s["values"][-1] == 100.0 and 55 < s["values"][0] < 72  # 47 months at +1 %: ×0.63
    unseen = index.log_level(pd.DataFrame({"sale_date": ["2020-06-01"], "division_code": ["x"]}))
    assert np.isfinite(unseen).all()


def test_index_does_not_extrapolate_after_the_data_end() -> None:
    df = market(2000, seed=12)
    index = PriceIndex("division_code").fit(df, np.log(df["price"] / df["area_m2"]).to_numpy())
    end = df["sale_date"].max()
    later = pd.DataFrame(
        {"sale_date": [end, end + pd.DateOffset(years=2)], "division_code": "360102"}
    )
    a, b = index.log_level(later)
    assert a == b


def test_a_model_values_an_old_sale_at_its_own_date_and_a_new_one_at_the_end() -> None:
    """The model learns every sale brought to the data end; valuing as of an early date
    takes the index back down (+1 % a month in 360102: about 0.63× four years earlier)."""
    df = market(3000, seed=13)
    v = GBMValuer(Recipe(**SPEC["recipe"]), {"max_iter": 80}).fit(df, np.log(df["price"]))
    row = df[df["division_code"] == "360102"].iloc[[0]].copy()
    early, late = row.copy(), row.copy()
    late["sale_date"] = df["sale_date"].max()
    ratio = float(np.exp(v.predict_log(early)[0] - v.predict_log(late)[0]))
    months = (late["sale_date"].iloc[0] - early["sale_date"].iloc[0]).days / 30.44
    assert abs(np.log(ratio) - (-0.010 * months)) < 0.08
