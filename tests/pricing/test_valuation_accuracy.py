"""Accuracy and interval calibration steps, each measured on the most recent training period
and never on the final hold-out: the model's lag behind the market (training.drift_shift),
the interval's quantiles per bin of the actual price (intervals.price_edges, bin_quantiles,
price_bin_hull), and the local level features of the place (engine.local_stats)."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.valuation.engine import EARTH_KM, local_stats
from pricing.valuation.intervals import (
    PRICE_BIN_MIN_ROWS,
    LocalInterval,
    bin_quantiles,
    checked_hull_levels,
    conformal_bounds,
    hull_levels,
    price_bin_hull,
    price_edges,
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


def _deciles(y: np.ndarray, inside: np.ndarray) -> list[float]:
    edges = np.quantile(y, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges[1:-1], y, side="right"), 0, 9)
    return [float(inside[decile == d].mean()) for d in range(10)]


def test_quantiles_per_price_bin_cover_every_decile_of_new_sales() -> None:
    """A point model that regresses to the mean: the cheapest sales lie below it, the
    dearest above. One pair of quantiles for all (80 % overall) leaves the cheapest decile
    near 70 %; quantiles per bin of the actual price, calibrated on other sales of the same
    market, cover every decile of fresh sales at ≥ 75 % with 78–83 % overall."""
    y_cal, z_cal = _regressing(4000, seed=11)
    edges = price_edges(y_cal)
    assert len(edges) == 9  # ten bins of 400 calibration sales
    bin_q = bin_quantiles(z_cal, y_cal, edges, 0.8)
    y, z = _regressing(20000, seed=12)
    pred, s = y - z, np.ones(len(y))
    q_lo, q_hi = conformal_bounds(z_cal, 0.8)
    one = _deciles(y, (z >= q_lo) & (z <= q_hi))
    lo, hi = price_bin_hull(pred, s, edges, bin_q, pred + q_lo * s, pred + q_hi * s)
    inside = (y >= lo) & (y <= hi)
    per_bin = _deciles(y, inside)
    assert min(one) < 0.72 and min(per_bin) >= 0.75
    assert 0.78 <= float(inside.mean()) <= 0.83
    assert np.all((lo <= pred) & (pred <= hi))  # the interval holds the point value


def test_the_hull_joins_the_bins_pieces_and_falls_back_when_none_is_left() -> None:
    """Two bins split at log price 0: sales below it were 1–2 scales under the prediction,
    sales above it 1–2 over. A prediction of 0.5 keeps [−1.5, −0.5] from the lower bin and
    [1.5, 2.5] from the upper: the interval is their hull. Swapped quantiles leave no piece:
    the single pair's bounds are used."""
    pred, s = np.array([0.5]), np.array([1.0])
    edges = np.array([0.0])
    lo, hi = price_bin_hull(pred, s, edges, np.array([[-2.0, -1.0], [1.0, 2.0]]), pred, pred)
    assert (lo[0], hi[0]) == (-1.5, 2.5)
    lo, hi = price_bin_hull(
        pred, s, edges, np.array([[1.0, 2.0], [-2.0, -1.0]]), pred - 0.3, pred + 0.4
    )
    assert (lo[0], hi[0]) == pytest.approx((0.2, 0.9))


def test_few_calibration_rows_keep_one_pair_of_quantiles() -> None:
    y, z = _regressing(2 * PRICE_BIN_MIN_ROWS - 1, seed=13)
    assert len(price_edges(y)) == 0 and bin_quantiles(z, y, price_edges(y), 0.8).shape == (0, 2)
    iv = LocalInterval()
    iv.q_lo_, iv.q_hi_ = conformal_bounds(z, 0.8)
    iv.edges_, iv.bin_q_ = price_edges(y), bin_quantiles(z, y, price_edges(y), 0.8)
    pred, s = np.array([13.0, 12.0]), np.array([1.0, 2.0])
    lo, hi = iv.combine(pred, s)
    np.testing.assert_allclose(lo, pred + iv.q_lo_ * s)
    np.testing.assert_allclose(hi, pred + iv.q_hi_ * s)


def test_tied_prices_leave_no_bin_short() -> None:
    """Prices in round thousands: a fifth of the sales at one price. Every bin keeps at
    least half the minimum of calibration rows."""
    rng = np.random.default_rng(14)
    y = np.round(rng.normal(12.0, 0.4, 2000), 2)
    y[:400] = 12.0
    edges = price_edges(y)
    counts = np.bincount(np.searchsorted(edges, y, side="right"))
    assert 2 <= len(edges) + 1 <= 10 and counts.min() >= PRICE_BIN_MIN_ROWS // 2


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


def _forced_sales(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """As ``_regressing``, with a fifth of the sales far under the prediction (forced and
    court sales): the cheapest bin's lower quantile reaches far down."""
    rng = np.random.default_rng(seed)
    known = rng.normal(13.0, 0.5, n)
    y = known + rng.normal(0, 0.15, n) - np.abs(rng.normal(0, 0.6, n)) * (rng.random(n) < 0.2)
    return y, y - known


def test_bin_levels_bring_the_hulls_excess_back_to_the_level() -> None:
    """The hull over every bin's piece covers more than each piece: with forced sales far
    under the prediction, at the nominal 80 % per bin it covers fresh sales at about 85 %.
    The per-bin levels tuned on the calibration sales (intervals.hull_levels) bring the whole
    back to 78–82 % with every decile of the actual price still ≥ 75 %."""
    y_cal, z_cal = _forced_sales(4000, seed=21)
    edges = price_edges(y_cal)
    levels = hull_levels(z_cal, y_cal, y_cal - z_cal, np.ones(len(y_cal)), edges, 0.8)
    assert levels.shape == (len(edges) + 1,) and levels.max() <= 0.99 and levels.min() >= 0.5
    y, z = _forced_sales(20000, seed=22)
    pred, s = y - z, np.ones(len(y))
    q_lo, q_hi = conformal_bounds(z_cal, 0.8)

    def cover(bin_q: np.ndarray) -> tuple[float, list[float]]:
        lo, hi = price_bin_hull(pred, s, edges, bin_q, pred + q_lo * s, pred + q_hi * s)
        inside = (y >= lo) & (y <= hi)
        return float(inside.mean()), _deciles(y, inside)

    nominal, _ = cover(bin_quantiles(z_cal, y_cal, edges, 0.8))
    tuned, per_decile = cover(bin_quantiles(z_cal, y_cal, edges, levels))
    assert nominal > 0.83  # the hull's excess at the nominal level
    assert 0.78 <= tuned <= 0.82
    assert min(per_decile) >= 0.75


def test_one_bin_keeps_the_nominal_level() -> None:
    y, z = _regressing(500, seed=23)
    levels = hull_levels(z, y, y - z, np.ones(len(y)), np.empty(0), 0.8)
    assert levels.tolist() == [0.8]


def test_tuned_levels_are_adopted_only_where_they_hold_on_other_sales() -> None:
    """The tuning is checked on calibration sales it did not see (two halves, both ways).
    With forced sales far under the prediction the hull's excess is real: the tuned levels
    bring the held-out half nearer 80 % and are kept, the final tuning asking the whole for
    80 % plus the shortfall the halves showed. Fresh sales are then covered at 78–82 %,
    every decile ≥ 75 %; with plain noise too (little excess: whatever the check decides)."""
    for make, seeds in ((_forced_sales, (31, 33)), (_plain_noise, (34, 35))):
        y, z = make(4000, seeds[0])
        edges = price_edges(y)
        levels, check = checked_hull_levels(z, y, y - z, np.ones(len(y)), edges, 0.8)
        if make is _forced_sales:
            assert check["adopted"] and levels.min() < 0.8
            assert abs(check["tuned_coverage"] - 0.8) < abs(check["nominal_coverage"] - 0.8)
            assert check["asked"] == 0.8 + max(0.0, 0.8 - check["tuned_coverage"])
        y_new, z_new = make(20000, seeds[1])
        pred, pair = y_new - z_new, conformal_bounds(z, 0.8)
        lo, hi = price_bin_hull(
            pred,
            np.ones(len(y_new)),
            edges,
            bin_quantiles(z, y, edges, levels),
            pred + pair[0],
            pred + pair[1],
        )
        inside = (y_new >= lo) & (y_new <= hi)
        assert 0.78 <= inside.mean() <= 0.82 and min(_deciles(y_new, inside)) >= 0.75


def _plain_noise(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(13.0, 0.5, n), rng.normal(0, 0.1, n)
