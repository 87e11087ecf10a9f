"""Prediction intervals: locally weighted split conformal on the log scale, Mondrian by the
actual price (docs/pricing.md, "Interval").

``LocalInterval`` gives each property a scale ``s(x)`` (a ridge model of the log absolute
residual) and takes the normalised residuals' quantiles per bin of the actual price; the
interval shown is the hull of the bins' pieces (``price_bin_hull``), each bin at a level
tuned so the hull covers it at the level asked (``hull_levels``, adopted only where it holds
on held-out calibration sales: ``checked_hull_levels``). Used by the reference path
(``LocalInterval.bounds``) and the compiled one (``fast.Compiled.bounds``) alike. Moved out
of engine.py, which re-exports every name (models stored before keep loading).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV

if TYPE_CHECKING:
    from pricing.valuation.engine import Valuer


class LocalInterval:
    """Locally weighted split conformal on the log scale, Mondrian by the actual price.

    A ridge model of the log absolute residual gives each property its own scale ``s(x)``
    (fitted on the earlier half of the calibration period); the later half (the most recent
    sales) gives the quantiles of the normalised signed residuals ``z = r/s``. With enough
    rows (PRICE_BIN_MIN_ROWS per bin) those quantiles are taken per bin of the actual price
    (label-conditional conformal, Vovk's Mondrian taxonomy on the label): ``[q_lo_k, q_hi_k]``
    of the sales that sold in bin k. A price y in bin k is inside the set when
    ``q_lo_k ≤ (y − ŷ)/s(x) ≤ q_hi_k``; the interval is the hull of that set over the bins
    (``price_bin_hull``), so each bin of the actual price is covered at the level, not only
    the whole: a point model regresses to the mean (the cheapest sales are the ones it valued
    too high), which one pair of quantiles for all cannot follow. Fewer rows: one pair."""

    scale_model_: RidgeCV | None

    def fit(
        self, valuer: Valuer, df: pd.DataFrame, y_log: np.ndarray, level: float
    ) -> LocalInterval:
        """Calibrate on the most recent period: ``valuer`` fitted on the earlier sales, ``df``
        the later ones in time order (the scale from their earlier half, the quantiles from
        the later half)."""
        return self.fit_parts([(valuer, df, np.asarray(y_log, dtype=float))], level, cross=False)

    def fit_parts(
        self,
        parts: list[tuple[Valuer, pd.DataFrame, np.ndarray]],
        level: float,
        *,
        cross: bool = True,
    ) -> LocalInterval:
        """Calibrate on the residuals of one or more (valuer, rows, log prices) parts.

        ``cross``: the parts are out of fold (each valuer fitted without its rows: training's
        cross-fitted calibration for small tables, ``cross_fit_parts``). All their residuals
        are used: the scale model is fitted on one half and gives the other half's
        normalised residuals, and the other way round (a two-fold swap), so every row gives
        a quantile. Without ``cross``: one part in time order, as ``fit``."""
        self.level = level
        for stale in ("cols_", "p_mean_", "p_sd_", "edges_", "bin_q_", "alpha_lo_", "bin_levels_"):
            self.__dict__.pop(stale, None)
        preds = [v.predict_log(d) for v, d, _y in parts]
        y = np.concatenate([np.asarray(yy, dtype=float) for _v, _d, yy in parts])
        pred = np.concatenate(preds)
        r = y - pred
        self.cols_ = parts[0][0].builder_.numeric_columns()
        M = np.vstack([self._matrix(v, d) for (v, d, _y) in parts])
        self.f_mean_ = np.nan_to_num(np.nanmean(M, axis=0))
        sd = np.nan_to_num(np.nanstd(M, axis=0))
        self.f_sd_ = np.where(sd > 0, sd, 1.0)
        self.p_mean_ = float(np.mean(pred))
        self.p_sd_ = float(np.std(pred)) or 1.0
        F = self._standardised(M, pred)
        n = len(y)
        if n < 60:  # too few rows to model the scale: a constant one
            self.scale_model_ = None
            rows, s = np.arange(n), np.ones(n)
        elif cross:
            order = np.random.default_rng(0).permutation(n)
            a, b = np.sort(order[: n // 2]), np.sort(order[n // 2 :])
            rows, s = np.arange(n), np.empty(n)
            for fit_rows, apply_rows in ((a, b), (b, a)):
                self._fit_scale(F[fit_rows], r[fit_rows])
                s[apply_rows] = self._scale_of(F[apply_rows])
            self._fit_scale(F, r)  # the scale applied from now on: from every row
        else:
            h = n // 2
            self._fit_scale(F[:h], r[:h])
            rows = np.arange(h, n)
            s = self._scale_of(F[h:])
        z, y_z = r[rows] / s, y[rows]
        self.q_lo_, self.q_hi_ = conformal_bounds(z, level)
        self.edges_ = price_edges(y_z)
        self.bin_levels_, self.bin_levels_check_ = checked_hull_levels(
            z, y_z, pred[rows], s, self.edges_, level
        )
        self.bin_q_ = bin_quantiles(z, y_z, self.edges_, self.bin_levels_)
        return self

    def _fit_scale(self, F: np.ndarray, r: np.ndarray) -> None:
        """A ridge model of the log absolute residual; its fitted scales' 2–98 % range
        bounds the scale it gives later."""
        self.scale_model_ = RidgeCV(alphas=np.logspace(-1, 4, 12)).fit(F, np.log(np.abs(r) + 1e-3))
        s_fit = self._scale_raw(F)
        self.s_lo_, self.s_hi_ = float(np.quantile(s_fit, 0.02)), float(np.quantile(s_fit, 0.98))

    def _scale_of(self, F: np.ndarray) -> np.ndarray:
        return np.clip(self._scale_raw(F), self.s_lo_, self.s_hi_)

    def _matrix(self, valuer: Valuer, df: pd.DataFrame) -> np.ndarray:
        """The numeric features by name (``cols_``; NaN where this valuer's builder lacks one)."""
        X = valuer.builder_.transform(df)
        return np.column_stack(
            [
                X[c].astype(float).to_numpy() if c in X.columns else np.full(len(X), np.nan)
                for c in self.cols_
            ]
        )

    def _standardised(self, M: np.ndarray, pred: np.ndarray) -> np.ndarray:
        M = np.where(np.isnan(M), self.f_mean_, M)
        return np.column_stack([(M - self.f_mean_) / self.f_sd_, pred, *self._ends(pred)])

    def _features(self, valuer: Valuer, df: pd.DataFrame, pred: np.ndarray) -> np.ndarray:
        """Standardised numeric features by name (the interval is fitted with the model of
        the earlier sales and applied with the final one, whose columns may differ)."""
        return self._standardised(self._matrix(valuer, df), pred)

    def _ends(self, pred: np.ndarray) -> list[np.ndarray]:
        """How far out in the price range the prediction lies (squared, standardised): errors
        are larger at both ends (cheap sales below the prediction, dear ones above it), which
        a term linear in the prediction cannot widen for at once. Absent in older models."""
        if not hasattr(self, "p_mean_"):
            return []
        return [((pred - self.p_mean_) / self.p_sd_) ** 2]

    def _scale_raw(self, F: np.ndarray) -> np.ndarray:
        assert self.scale_model_ is not None
        return np.asarray(np.exp(self.scale_model_.predict(F)), dtype=float)

    def scale(self, valuer: Valuer, df: pd.DataFrame, pred: np.ndarray) -> np.ndarray:
        if getattr(self, "scale_model_", None) is None:
            return np.ones(len(df))
        s = self._scale_raw(self._features(valuer, df, pred))
        return np.clip(s, self.s_lo_, self.s_hi_)

    def bounds(
        self, valuer: Valuer, df: pd.DataFrame, pred: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log lower and upper bounds for rows whose log prediction is ``pred``."""
        return self.combine(pred, self.scale(valuer, df, pred))

    def combine(self, pred: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bounds from the log predictions and their scales (also fast.Compiled's)."""
        lo, hi = pred + self.q_lo_ * s, pred + self.q_hi_ * s
        edges = getattr(self, "edges_", None)  # absent in models stored before the bins
        if edges is None or not len(edges):
            return lo, hi
        return price_bin_hull(pred, s, edges, self.bin_q_, lo, hi)


def conformal_bounds(
    z: np.ndarray, level: float, alpha_lo: float | None = None
) -> tuple[float, float]:
    """Finite-sample split-conformal lower and upper quantiles of signed scores; the miss
    share ``1 − level`` split ``alpha_lo`` below and the rest above (default: half each)."""
    z = np.sort(np.asarray(z, dtype=float))
    n = len(z)
    if n == 0:
        raise ValueError("no calibration rows")
    a_lo = (1 - level) / 2 if alpha_lo is None else alpha_lo
    a_hi = (1 - level) - a_lo
    lo = max(1, math.floor((n + 1) * a_lo))
    hi = min(n, math.ceil((n + 1) * (1 - a_hi)))
    return float(z[lo - 1]), float(z[hi - 1])


PRICE_BIN_MIN_ROWS = 100  # calibration rows per bin: ≥ 10 in each tail at 80 %
PRICE_BINS_MAX = 10  # the deciles of the actual price the coverage is reported by


def price_edges(
    y_log: np.ndarray, min_rows: int = PRICE_BIN_MIN_ROWS, most: int = PRICE_BINS_MAX
) -> np.ndarray:
    """Inner edges of equal-count bins of the log price (at most ``most`` bins, each of at
    least ``min_rows`` calibration sales); empty (one bin) with fewer than 2·min_rows.
    Ties (prices in round thousands) can leave a bin short: its edge is dropped."""
    y = np.sort(np.asarray(y_log, dtype=float))
    n_bins = min(most, len(y) // min_rows)
    if n_bins < 2:
        return np.empty(0)
    edges = np.unique(np.quantile(y, np.linspace(0, 1, n_bins + 1)[1:-1], method="lower"))
    while len(edges):
        counts = np.bincount(np.searchsorted(edges, y, side="right"), minlength=len(edges) + 1)
        short = int(np.argmin(counts))
        if counts[short] >= min_rows // 2:
            break
        edges = np.delete(edges, min(short, len(edges) - 1))
    return np.asarray(edges, dtype=float)


def bin_quantiles(
    z: np.ndarray, y_log: np.ndarray, edges: np.ndarray, level: float | np.ndarray
) -> np.ndarray:
    """Per bin of the actual log price (``edges``: inner edges), the split-conformal lower
    and upper quantiles of the normalised residuals ``z`` of the sales in it, at ``level``
    (one for all, or one per bin): shape (bins, 2); (0, 2) without edges."""
    if not len(edges):
        return np.empty((0, 2))
    z = np.asarray(z, dtype=float)
    b = np.searchsorted(edges, np.asarray(y_log, dtype=float), side="right")
    levels = np.broadcast_to(np.asarray(level, dtype=float), (len(edges) + 1,))
    return np.array([conformal_bounds(z[b == k], float(levels[k])) for k in range(len(edges) + 1)])


HULL_ROUNDS = 40
HULL_FLOOR = 0.02  # a bin's own coverage may sit this far under the level (the hull's excess
# elsewhere, the cheapest sales above all, keeps the whole at the level)


def hull_levels(
    z: np.ndarray,
    y_log: np.ndarray,
    pred: np.ndarray,
    s: np.ndarray,
    edges: np.ndarray,
    level: float,
    overall: float | None = None,
) -> np.ndarray:
    """Per bin of the actual price, the level of its own quantiles such that the interval
    actually shown (the hull over every bin's piece, ``price_bin_hull``) covers the
    calibration sales of each bin at a common target, the lowest target in
    [level − HULL_FLOOR, level + HULL_FLOOR] at which the whole is still covered at
    ``overall`` (default: the level; checked_hull_levels asks a little more, by the
    tuning's measured optimism).

    The hull adds to each bin's piece what lies between the pieces, so at the nominal
    level it covers more than asked (King County 84 % for 80 %); the cheapest sales above
    all, whose bin's piece reaches far down. Each bin's level moves by damped steps
    toward its target (a fixed number of rounds; the round closest to the targets kept)."""
    nb = len(edges) + 1
    if nb == 1:
        return np.full(1, level)
    y = np.asarray(y_log, dtype=float)
    b = np.searchsorted(edges, y, side="right")
    sizes = np.bincount(b, minlength=nb)
    q_lo, q_hi = conformal_bounds(z, level)

    def coverage(lv: np.ndarray) -> np.ndarray:
        bin_q = bin_quantiles(z, y, edges, lv)
        lo, hi = price_bin_hull(pred, s, edges, bin_q, pred + q_lo * s, pred + q_hi * s)
        inside = (y >= lo) & (y <= hi)
        return np.bincount(b, weights=inside, minlength=nb) / np.maximum(sizes, 1)

    def toward(target: float) -> tuple[np.ndarray, np.ndarray]:
        lv = np.full(nb, float(level))
        best, best_cov, best_score = lv, coverage(lv), np.inf
        for _ in range(HULL_ROUNDS):
            cov = coverage(lv)
            score = (
                10 * np.square(np.maximum(target - cov, 0)).sum()
                + np.square(np.maximum(cov - target, 0)).sum()
            )
            if score < best_score:
                best, best_cov, best_score = lv.copy(), cov, score
            lv = np.clip(lv - 0.5 * (cov - target), 0.5, 0.99)
        return best, best_cov

    whole = level if overall is None else overall
    chosen = toward(level + HULL_FLOOR)[0]
    for target in np.arange(level + HULL_FLOOR - 0.0025, level - HULL_FLOOR - 1e-9, -0.0025):
        lv, cov = toward(float(target))
        if float(cov @ sizes) / sizes.sum() < whole:
            break
        chosen = lv
    return chosen


def hull_coverage(
    z: np.ndarray,
    y_log: np.ndarray,
    pred: np.ndarray,
    s: np.ndarray,
    edges: np.ndarray,
    bin_q: np.ndarray,
    pair: tuple[float, float],
) -> tuple[float, float]:
    """The hull's coverage of these sales: overall and in its worst bin of the actual price."""
    y = np.asarray(y_log, dtype=float)
    lo, hi = price_bin_hull(pred, s, edges, bin_q, pred + pair[0] * s, pred + pair[1] * s)
    inside = (y >= lo) & (y <= hi)
    b = np.searchsorted(edges, y, side="right")
    per_bin = [float(inside[b == k].mean()) for k in range(len(edges) + 1) if (b == k).any()]
    return float(inside.mean()), min(per_bin)


def checked_hull_levels(
    z: np.ndarray,
    y_log: np.ndarray,
    pred: np.ndarray,
    s: np.ndarray,
    edges: np.ndarray,
    level: float,
) -> tuple[np.ndarray, dict[str, Any]]:
    """``hull_levels``, adopted only if it holds on calibration sales it was not tuned on:
    the sales in two random halves, the levels tuned (and the quantiles taken) on one half
    and the hull measured on the other, both ways. Adopted when, on average, the whole
    lands nearer the level than with every bin at the nominal level (where the hull's
    excess is small, tuning only fits the noise of a few hundred sales: every bin keeps
    the nominal level). The halves also measure the tuning's optimism (tuned on the sales
    it is measured on, the hull looks better than it is on others): the final tuning, on
    every sale, asks the whole for the level plus that shortfall. The worst bin is
    reported, not judged: on half the sales it is too noisy to judge by."""
    nominal = np.full(len(edges) + 1, float(level))
    if not len(edges):
        return nominal, {"adopted": False, "why": "one bin"}
    z, y = np.asarray(z, dtype=float), np.asarray(y_log, dtype=float)
    order = np.random.default_rng(0).permutation(len(z))
    halves = (np.sort(order[: len(z) // 2]), np.sort(order[len(z) // 2 :]))
    tuned_cov, tuned_min, nominal_cov = [], [], []
    for fit, check in (halves, halves[::-1]):
        pair = conformal_bounds(z[fit], level)
        lv = hull_levels(z[fit], y[fit], pred[fit], s[fit], edges, level)
        args = (z[check], y[check], pred[check], s[check], edges)
        cov, worst = hull_coverage(*args, bin_quantiles(z[fit], y[fit], edges, lv), pair)
        tuned_cov.append(cov)
        tuned_min.append(worst)
        nominal_cov.append(
            hull_coverage(*args, bin_quantiles(z[fit], y[fit], edges, level), pair)[0]
        )
    result: dict[str, Any] = {
        "tuned_coverage": float(np.mean(tuned_cov)),
        "tuned_worst_bin": float(np.mean(tuned_min)),
        "nominal_coverage": float(np.mean(nominal_cov)),
    }
    adopted = abs(result["tuned_coverage"] - level) < abs(result["nominal_coverage"] - level)
    result["adopted"] = adopted
    if not adopted:
        return nominal, result
    # tuned and measured on the same sales the hull looks better than on others: ask the
    # whole for the level plus the shortfall the halves showed
    result["asked"] = level + max(0.0, level - result["tuned_coverage"])
    return hull_levels(z, y, pred, s, edges, level, overall=result["asked"]), result


def price_bin_hull(
    pred: np.ndarray,
    s: np.ndarray,
    edges: np.ndarray,
    bin_q: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The hull of the label-conditional set: the prices y of bin k (between its edges)
    with ``bin_q[k, 0] ≤ (y − pred)/s ≤ bin_q[k, 1]``, over every bin, and the point value
    itself (an interval shown with a price holds it). ``lo``/``hi``: the single-quantile
    bounds, used where no bin's piece is left (the set is empty)."""
    pred = np.asarray(pred, dtype=float)
    s = np.asarray(s, dtype=float)
    below = np.concatenate([[-np.inf], edges])
    above = np.concatenate([edges, [np.inf]])
    L = np.maximum(below[None, :], pred[:, None] + bin_q[None, :, 0] * s[:, None])
    H = np.minimum(above[None, :], pred[:, None] + bin_q[None, :, 1] * s[:, None])
    ok = L <= H
    some = ok.any(axis=1)
    low = np.where(some, np.where(ok, L, np.inf).min(axis=1), lo)
    high = np.where(some, np.where(ok, H, -np.inf).max(axis=1), hi)
    return np.minimum(low, pred), np.maximum(high, pred)


def conformal_quantile(residuals: np.ndarray, level: float) -> float:
    """Split conformal: the ⌈(n+1)·level⌉-th smallest absolute log residual."""
    r = np.sort(np.abs(np.asarray(residuals, dtype=float)))
    n = len(r)
    if n == 0:
        raise ValueError("no calibration rows")
    rank = min(n, math.ceil((n + 1) * level))
    return float(r[rank - 1])
