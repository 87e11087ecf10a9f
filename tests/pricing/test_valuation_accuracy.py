"""Accuracy and interval calibration steps, each measured on the most recent training period
and never on the final hold-out: the model's lag behind the market (training.drift_shift),
the split of the interval's misses below and above (engine.balanced_tail), and the local
level features of the place (engine.local_stats)."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.valuation.engine import (
    BALANCE_MIN_ROWS,
    EARTH_KM,
    balanced_tail,
    conformal_bounds,
    local_stats,
)
from pricing.valuation.training import build_artifact, drift_shift
from tests.pricing.synthetic_market import SPEC, market

SMALL = {"max_iter": 80, "learning_rate": 0.1}


def test_a_lag_that_holds_through_the_period_is_adopted() -> None:
    """Residuals 5 % above the prediction all through the most recent period: the shift is
    their median, adopted because the earlier half's median helped the later half."""
    rng = np.random.default_rng(1)
    r = 0.05 + rng.normal(0, 0.1, 2000)
    shift, why = drift_shift(r)
    assert why["adopted"] and abs(shift - 0.05) < 0.01
    assert why["later_half_mdape"]["with_earlier_half_shift"] < why["later_half_mdape"]["without"]


def test_a_lag_that_reverses_is_not_adopted() -> None:
    """Too low in the earlier half, too high in the later one: the earlier half's shift would
    have hurt the later half, so none is used."""
    rng = np.random.default_rng(2)
    r = np.concatenate([-0.06 + rng.normal(0, 0.05, 1000), 0.06 + rng.normal(0, 0.05, 1000)])
    shift, why = drift_shift(r)
    assert shift == 0.0 and not why["adopted"]


def test_too_few_validation_rows_give_no_shift() -> None:
    shift, why = drift_shift(np.full(30, 0.2))
    assert shift == 0.0 and not why["adopted"]


def test_the_stored_model_carries_the_measured_shift() -> None:
    """The final model adds the shift measured on the validation period; the metrics say it."""
    built = build_artifact(spec={**SPEC}, method="gbm", params=SMALL, table=market(2500, seed=4))
    drift = built.artifact["metrics"]["drift"]
    assert built.artifact["valuer"].shift_ == drift["shift"]
    assert drift["adopted"] == (drift["shift"] != 0.0)


def _regressing(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A log price and a prediction that knows only part of it: the cheapest sales lie below
    the prediction, the dearest above (regression to the mean); scores are the residuals."""
    rng = np.random.default_rng(seed)
    known = rng.normal(13.0, 0.5, n)
    y = known + rng.normal(0, 0.15, n) - np.abs(rng.normal(0, 0.25, n)) * (rng.random(n) < 0.3)
    return y, y - known


def _worst_decile(y: np.ndarray, z: np.ndarray, q_lo: float, q_hi: float) -> float:
    edges = np.quantile(y, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges[1:-1], y, side="right"), 0, 9)
    inside = (z >= q_lo) & (z <= q_hi)
    return min(float(inside[decile == d].mean()) for d in range(10))


def test_the_miss_split_lifts_the_worst_price_decile_on_new_sales() -> None:
    """Misses mostly below (a long lower tail of distressed sales): the split chosen on the
    calibration rows puts more of them below than half and, on fresh sales of the same
    market, the worst decile of the actual price is better covered than with half and half,
    while overall coverage stays near 80 %."""
    y_cal, z_cal = _regressing(4000, seed=11)
    a_lo = balanced_tail(z_cal, y_cal, 0.8)
    assert a_lo is not None and a_lo < 0.1
    y, z = _regressing(20000, seed=12)
    even = conformal_bounds(z_cal, 0.8)
    split = conformal_bounds(z_cal, 0.8, a_lo)
    assert _worst_decile(y, z, *split) > _worst_decile(y, z, *even)
    overall = float(((z >= split[0]) & (z <= split[1])).mean())
    assert 0.77 <= overall <= 0.83


def test_few_calibration_rows_keep_half_and_half() -> None:
    y, z = _regressing(BALANCE_MIN_ROWS - 1, seed=13)
    assert balanced_tail(z, y, 0.8) is None
    assert conformal_bounds(z, 0.8, None) == conformal_bounds(z, 0.8)


def test_local_stats_weigh_nearer_sales_more_and_read_the_adjusted_levels() -> None:
    lv = np.array([[1.0, 2.0, 3.0, 10.0]])
    d = np.array([[0.0, 0.0, 0.0, 5.0]]) / EARTH_KM  # three at the address, one 5 km away
    out = local_stats(lv, d, near=3)
    assert out["local_level"][0] == 2.0 and out["local_level_3"][0] == 2.0
    assert 2.0 < out["local_level_idw"][0] < 2.1  # the far sale barely counts
    assert out["local_level_sd"][0] > 0 and "local_adj" not in out
    adj = lv - 1.0
    with_adj = local_stats(lv, d, near=3, adj=adj)
    assert with_adj["local_adj"][0] == 1.0
    assert with_adj["local_adj_idw"][0] == pytest.approx(out["local_level_idw"][0] - 1.0)
