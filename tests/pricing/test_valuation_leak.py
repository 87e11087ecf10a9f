"""No training feature is a function of the row's own price (PRC-09: the built-in platform's
value must hold on sales it never saw; a leaked target makes training rows look easy)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.valuation.engine import FeatureBuilder, Recipe
from tests.pricing.synthetic_market import SPEC, market


def _features(df: pd.DataFrame) -> pd.DataFrame:
    b = FeatureBuilder(Recipe(**SPEC["recipe"]))
    return b.fit_transform(df, np.log(df["price"].to_numpy()))


def test_perturbing_one_training_price_leaves_that_rows_features_unchanged() -> None:
    """PRC-09: each of several rows' price is multiplied by 3 (and by 1/3); none of its own
    features moves, while other rows' features do (so the test can fail)."""
    df = market(1500, seed=3)
    before = _features(df)
    for i in (0, 400, 777, 1499):
        for factor in (3.0, 1 / 3):
            changed = df.copy()
            changed.loc[i, "price"] *= factor
            after = _features(changed)
            pd.testing.assert_series_equal(before.loc[i], after.loc[i], check_names=False)
            # the perturbation is visible elsewhere: the encodings and levels of other rows
            assert not before.drop(index=i).equals(after.drop(index=i))


def test_target_encoding_is_not_a_function_of_the_price_within_a_category() -> None:
    """PRC-09: the old leave-one-out encoding was, within a category, an exact decreasing
    function of the row's own price (correlation −1). Out of fold it is not. (A market
    without a trend: with one, an early sale's encoding from later folds is higher by the
    trend, which the price index removes, not the encoding.)"""
    df = market(3000, seed=5, trend=False)
    X = _features(df)
    level = np.log(df["price"]) - np.log(df["area_m2"])
    for code in df["division_code"].unique():
        inside = (df["division_code"] == code).to_numpy()
        corr = np.corrcoef(X.loc[inside, "division_code_te"], level[inside])[0, 1]
        assert corr > -0.5, (code, corr)


def test_local_level_of_a_training_sale_uses_only_earlier_sales() -> None:
    """The nearest sales behind a training row's local level are strictly earlier: the ten
    latest sales moved onto an older sale's very coordinates change no earlier row's local
    level or distance (and the earliest sales have none rather than a later one). Prices stay
    as they are, so the price index, which uses every sale, is the same in both."""
    df = market(1200, seed=7)
    j = 300
    moved = df.copy()
    latest = moved.index[-10:]
    moved.loc[latest, ["lat", "lon"]] = df.loc[j, ["lat", "lon"]].to_numpy(dtype=float)
    before, after = _features(df), _features(moved)
    local = ["local_level", "local_level_median", "local_level_wide", "local_dist_km"]
    pd.testing.assert_frame_equal(
        before.loc[: latest[0] - 1, local], after.loc[: latest[0] - 1, local]
    )
    assert np.isnan(before.loc[0, "local_level"])
    # the moved sales would have been row j's nearest (distance 0) had later sales counted
    assert before.loc[j, "local_dist_km"] > 0 and after.loc[j, "local_dist_km"] > 0
