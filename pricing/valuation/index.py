"""A market price index per region, from the sales themselves (hedonic time effects).

Log price per unit of area (or log price) is regressed on month effects, region effects and
the sale's standardised characteristics (so that a month in which larger or newer flats sold
does not look dearer); each region then gets its own deviation by quarter from the pooled
residuals, shrunk towards the market (few sales: little deviation) and smoothed. The index is
a log level per (region, month), normalised to mean zero over the sales it was fitted on;
``I(r, t₂) − I(r, t₁)`` brings a sale of month t₁ to month t₂. Months after the data end take
the last month's level (the index never extrapolates a trend); a region it never saw takes
the market's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.linalg import lsqr

REGION_SHRINK = 10.0  # a region's quarterly deviation counts fully with many more sales
MARKET_REGION = "*"


def month_number(dates: Any) -> np.ndarray:
    """Months since year 0 (an integer per date)."""
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    return np.asarray(d.year * 12 + d.month - 1, dtype=int)


class PriceIndex:
    def __init__(self, region_col: str | None, controls: list[str] | None = None) -> None:
        self.region_col = region_col
        self.controls = controls or []

    # ------------------------------------------------------------------ fitting
    def fit(self, df: pd.DataFrame, level: np.ndarray) -> PriceIndex:
        level = np.asarray(level, dtype=float)
        months = month_number(df["sale_date"])
        self.m0_ = int(months.min())
        self.m1_ = int(months.max())
        n_months = self.m1_ - self.m0_ + 1
        mi = months - self.m0_
        regions = self._regions(df)
        codes, ri = np.unique(regions, return_inverse=True)
        n = len(df)
        blocks = [
            sparse.csr_matrix((np.ones(n), (np.arange(n), mi)), shape=(n, n_months)),
            sparse.csr_matrix((np.ones(n), (np.arange(n), ri)), shape=(n, len(codes))),
        ]
        if self.controls:
            C = df[self.controls].apply(pd.to_numeric, errors="coerce").astype(float).to_numpy()
            self.c_mean_ = np.nanmean(C, axis=0)
            self.c_scale_ = np.nanstd(C, axis=0)
            self.c_scale_[~(self.c_scale_ > 0)] = 1.0
            Z = np.nan_to_num((C - self.c_mean_) / self.c_scale_)
            blocks.append(sparse.csr_matrix(Z))
        X = sparse.hstack(blocks).tocsr()
        y = level - level.mean()
        coef = lsqr(X, y, damp=0.05, atol=1e-8, btol=1e-8, iter_lim=2000)[0]
        month = coef[:n_months]
        self.control_coef_ = coef[n_months + len(codes) :]
        counts = np.bincount(mi, minlength=n_months).astype(float)
        month = self._fill(month, counts > 0)
        month = _smooth(month, 5, counts)  # a month with few sales (the last, partial) counts less
        resid = y - X @ coef
        # each region's own path, by quarter, shrunk towards the market and smoothed
        quarter = mi // 3
        n_q = int(quarter.max()) + 1
        self.region_dev_: dict[str, np.ndarray] = {}
        for r, code in enumerate(codes):
            inside = ri == r
            s = np.bincount(quarter[inside], weights=resid[inside], minlength=n_q)
            c = np.bincount(quarter[inside], minlength=n_q)
            dev = _smooth(s / (c + REGION_SHRINK), 3, c.astype(float))
            self.region_dev_[str(code)] = dev - np.average(dev, weights=np.maximum(c, 1e-9))
        self.month_ = month
        # normalise: mean zero over the fitted sales
        self.offset_ = 0.0
        self.offset_ = float(np.mean(self.log_level(df)))
        return self

    @staticmethod
    def _fill(values: np.ndarray, seen: np.ndarray) -> np.ndarray:
        if seen.all():
            return values
        x = np.arange(len(values))
        return np.interp(x, x[seen], values[seen])

    def _regions(self, df: pd.DataFrame) -> np.ndarray:
        if self.region_col and self.region_col in df.columns:
            return df[self.region_col].astype(str).to_numpy()
        return np.full(len(df), MARKET_REGION)

    # ------------------------------------------------------------------ reading
    def log_level(self, df: pd.DataFrame, dates: Any = None) -> np.ndarray:
        """The index (log) for each row's region at its sale date (or at ``dates``)."""
        months = month_number(df["sale_date"] if dates is None else dates)
        mi = np.clip(months - self.m0_, 0, self.m1_ - self.m0_)
        out = self.month_[mi].copy()
        regions = self._regions(df)
        q = mi // 3
        for code in np.unique(regions):
            dev = self.region_dev_.get(str(code))
            if dev is not None:
                inside = regions == code
                out[inside] += dev[np.minimum(q[inside], len(dev) - 1)]
        return out - self.offset_

    def quality(self, df: pd.DataFrame) -> np.ndarray:
        """The part of each sale's level its characteristics explain (the controls' hedonic
        term): a level minus it compares places, not houses."""
        coef = getattr(self, "control_coef_", None)
        if not self.controls or coef is None or not len(coef):
            return np.zeros(len(df))
        C = df[self.controls].apply(pd.to_numeric, errors="coerce").astype(float).to_numpy()
        return np.asarray(np.nan_to_num((C - self.c_mean_) / self.c_scale_) @ coef, dtype=float)

    def series(self, region: str | None = None) -> dict[str, Any]:
        """Monthly index (100 = the last month) of the market or a region, for the chart."""
        months = np.arange(self.m0_, self.m1_ + 1)
        mi = months - self.m0_
        values = self.month_[mi].copy()
        if region is not None and region in self.region_dev_:
            dev = self.region_dev_[region]
            values += dev[np.minimum(mi // 3, len(dev) - 1)]
        values = 100.0 * np.exp(values - values[-1])
        return {
            "months": [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months],
            "values": [round(float(v), 2) for v in values],
            "region": region or MARKET_REGION,
        }


def _smooth(values: np.ndarray, width: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Centred moving average, weighted by the number of sales, the window cut at the ends
    (never padded with the end value, which would give a noisy last month double weight)."""
    n = len(values)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float) + 1e-9
    half = width // 2
    out = np.empty(n)
    for i in range(n):
        a, b = max(0, i - half), min(n, i + half + 1)
        out[i] = float(np.average(values[a:b], weights=w[a:b]))
    return out
