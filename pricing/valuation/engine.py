"""The valuation engine: feature building, the methods, explanations (the intervals: intervals.py).

Two methods that differ in kind, so the mean of two platforms means something:

- ``gbm``: gradient boosting (HistGradientBoostingRegressor) on log price, with engineered
  features (log areas, age, rotated coordinates, target-encoded districts, the local price
  level of the nearest past sales, a time index).
- ``knn``: comparable sales (市场比较法). A ridge hedonic model on standardised features
  gives each feature its adjustment; the subject's price is the distance-weighted mean of
  its k most comparable sales, each adjusted for its differences from the subject
  (``log p_i + β·(x_subject − x_i)``); "most comparable" = least total adjustment.

Both give a point price, a split-conformal interval on the log scale (calibrated on data the
model did not see) and an explanation: the most comparable sales and the features that moved
the price (each replaced by its typical value, the price change measured).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.neighbors import BallTree
from threadpoolctl import threadpool_limits

from pricing.valuation.index import PriceIndex
from pricing.valuation.intervals import LocalInterval  # stored models name it here
from pricing.valuation.neighbours import NeighbourIndex

ENGINE_VERSION = 3
EARTH_KM = 6371.0


# Within ``shared_transforms()``: one builder's transform (and index shift) of one frame is
# computed once. Training compares every candidate on the same calibration frame, which
# nothing changes meanwhile; the memo holds the frames, so an id is never reused inside it.
_MEMO: ContextVar[dict[tuple[str, int, int], tuple[Any, Any, Any]] | None] = ContextVar(
    "valuation_transform_memo", default=None
)


@contextmanager
def shared_transforms() -> Iterator[None]:
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _memo(kind: str, owner: Any, df: pd.DataFrame, compute: Any) -> Any:
    memo = _MEMO.get()
    if memo is None:
        return compute()
    key = (kind, id(owner), id(df))
    hit = memo.get(key)
    if hit is not None and hit[0] is owner and hit[1] is df:
        return hit[2]
    value = compute()
    memo[key] = (owner, df, value)
    return value


def _threads() -> int:
    """OpenMP threads for fitting and predicting. Default 1: on a shared, loaded machine the
    OpenMP pool oversubscribes the cores and gradient boosting runs 20× slower (measured)."""
    from django.conf import settings

    return max(1, int(settings.GAVEL_VALUATION_THREADS))


@dataclass
class Recipe:
    """How a table's canonical columns become features (see presets.py)."""

    numeric: list[str] = field(default_factory=list)
    log_numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    target_encode: list[str] = field(default_factory=list)
    area: str | None = None
    lat: str | None = None
    lon: str | None = None
    year_built: str | None = None
    year_renovated: str | None = None
    ordinal_maps: dict[str, dict[str, float]] = field(default_factory=dict)
    sums: dict[str, list[str]] = field(default_factory=dict)
    weighted_sums: dict[str, dict[str, float]] = field(default_factory=dict)
    products: dict[str, list[str]] = field(default_factory=dict)
    optional: list[str] = field(default_factory=list)
    knn_location_k: int = 10
    index_region: str | None = None  # the price index's region column (default: see below)

    def region(self) -> str | None:
        """The column the price index is computed by: ``index_region``, else the first
        target-encoded column, else the first categorical one, else one index for all."""
        if self.index_region:
            return self.index_region
        if self.target_encode:
            return self.target_encode[0]
        return self.categorical[0] if self.categorical else None

    def inputs(self) -> list[str]:
        cols = [
            *self.numeric,
            *self.log_numeric,
            *self.categorical,
            *self.target_encode,
            *self.ordinal_maps.keys(),
        ]
        for parts in self.sums.values():
            cols.extend(parts)
        for weights in self.weighted_sums.values():
            cols.extend(weights)
        for c in (self.area, self.lat, self.lon, self.year_built, self.year_renovated):
            if c:
                cols.append(c)
        return list(dict.fromkeys(cols))

    def required(self) -> list[str]:
        return [c for c in self.inputs() if c not in self.optional]


def _dates(df: pd.DataFrame) -> pd.Series | None:
    if "sale_date" not in df.columns:
        return None
    return pd.to_datetime(df["sale_date"])


N_FOLDS = 5  # out-of-fold target encodings: folds are contiguous blocks of time when dated
PAST_BLOCKS = 20  # the local price level of a training sale: sales in earlier blocks of time
TE_SMOOTH = 20.0
LOCAL_COLUMNS = (
    "local_level",
    "local_level_median",
    "local_level_wide",
    "local_dist_km",
    "local_level_3",
    "local_level_idw",
    "local_level_sd",
    "local_adj",
    "local_adj_idw",
    "local_log_area",
)
IDW_KM = 0.05  # inverse-distance weights 1/(d + 50 m): sales at one address do not dominate


def local_stats(
    lv: np.ndarray, d: np.ndarray, near: int, adj: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The local level features from the levels ``lv`` and distances ``d`` (radians) of each
    row's nearest sales, nearest first (``near`` of them in the narrow circle, all in the wide
    one): their mean, median, wide mean, mean distance, the mean of the three nearest, the
    inverse-distance-weighted mean and the spread (the dispersion of the neighbourhood's
    prices: where it is wide a price is less predictable); with ``adj`` (the same sales'
    levels less what their characteristics explain, PriceIndex.quality) the mean and the
    inverse-distance-weighted mean of those: the price of the place, not of its houses."""
    w = 1.0 / (d * EARTH_KM + IDW_KM)
    extra = {}
    if adj is not None:
        extra = {
            "local_adj": adj[:, :near].mean(axis=1),
            "local_adj_idw": (adj * w).sum(axis=1) / w.sum(axis=1),
        }
    return {
        "local_level": lv[:, :near].mean(axis=1),
        "local_level_median": np.median(lv[:, :near], axis=1),
        "local_level_wide": lv.mean(axis=1),
        "local_dist_km": d[:, :near].mean(axis=1) * EARTH_KM,
        "local_level_3": lv[:, : min(3, near)].mean(axis=1),
        "local_level_idw": (lv * w).sum(axis=1) / w.sum(axis=1),
        "local_level_sd": lv[:, :near].std(axis=1),
        **extra,
    }


def time_blocks(df: pd.DataFrame, n_blocks: int = PAST_BLOCKS) -> np.ndarray | None:
    """A block of time per dated row (block b holds the sales of [start_b, start_b+1)), or None."""
    dates = _dates(df)
    if dates is None or len(df) == 0:
        return None
    d = dates.to_numpy().astype("datetime64[D]").astype("int64")  # days
    bounds = np.unique(np.quantile(d, np.linspace(0, 1, n_blocks + 1), method="lower"))
    if len(bounds) < 2:
        return np.zeros(len(df), dtype=int)
    return np.clip(np.searchsorted(bounds[1:-1], d, side="right"), 0, len(bounds) - 2)


def time_folds(df: pd.DataFrame, k: int = N_FOLDS, seed: int = 0) -> np.ndarray:
    """A fold number per row: groups of consecutive time blocks where dated, random otherwise."""
    n = len(df)
    blocks = time_blocks(df)
    if blocks is not None:
        nb = int(blocks.max()) + 1
        return np.asarray((blocks * min(k, nb)) // nb, dtype=int)
    k = max(2, min(k, n))
    folds = np.empty(n, dtype=int)
    folds[np.random.default_rng(seed).permutation(n)] = (np.arange(n) * k) // n
    return folds


class FeatureBuilder:
    """Fit on the training rows (encodings, location index, medians); transform any rows.

    No training row's feature is a function of its own price (PRC-09: a platform's value must
    hold on sales it never saw). ``fit_transform`` gives the training rows' features:
    - target encodings out of fold (K folds that are contiguous blocks of time, or random
      folds for undated data): a row's encoding and its prior come only from other folds;
    - the local price level from strictly earlier sales (blocks of time before the row's own
      block, so never the row itself nor a later sale); undated data: out of fold.
    ``transform`` (valuation, hold-out) uses every training sale.
    """

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe

    # ------------------------------------------------------------------ fitting
    def _level(self, df: pd.DataFrame, y_log: np.ndarray) -> np.ndarray:
        """The level a sale trades at: log price per area (or log price)."""
        r = self.recipe
        area = np.log(df[r.area].astype(float).to_numpy()) if r.area else 0.0
        return np.asarray(y_log - area, dtype=float)

    def fit(self, df: pd.DataFrame, y_log: np.ndarray) -> FeatureBuilder:
        self.fit_transform(df, y_log)
        return self

    def fit_transform(self, df: pd.DataFrame, y_log: np.ndarray) -> pd.DataFrame:
        """Fit on the training rows and return their (leak-free) features."""
        r = self.recipe
        self.has_date_ = "sale_date" in df.columns
        dates = _dates(df)
        self.t0_ = dates.min() if dates is not None else None
        self.t_max_ = dates.max() if dates is not None else None
        self.ref_year_ = (
            int(self.t_max_.year) if self.t_max_ is not None else int(pd.Timestamp.now().year)
        )
        raw_level = self._level(df, y_log)
        self.index_: PriceIndex | None = None
        if dates is not None:
            self.index_ = self._fit_index(df, raw_level)
            level = raw_level - self.index_.log_level(df)  # at the index's mean level
        else:
            level = raw_level
        self.level_prior_ = float(np.mean(level))
        self.te_: dict[str, dict[Any, tuple[float, int]]] = {}
        for col in r.target_encode:
            g = (
                pd.DataFrame({"k": df[col].astype(str).to_numpy(), "v": level})
                .groupby("k")["v"]
                .agg(["sum", "count"])
            )
            self.te_[col] = {
                k: (float(s), int(c)) for k, s, c in zip(g.index, g["sum"], g["count"], strict=True)
            }
        self.categories_ = {
            c: sorted(df[c].astype(str).dropna().unique().tolist()) for c in r.categorical
        }
        # categories frequent enough to get their own dummy in the hedonic (ridge) model
        self.dummies_ = {
            c: [k for k, n in df[c].astype(str).value_counts().items() if n >= 10]
            for c in r.categorical
        }
        if r.lat and r.lon:
            coords = np.deg2rad(df[[r.lat, r.lon]].astype(float).to_numpy())
            self.tree_ = BallTree(coords, metric="haversine")
            self.level_ = np.asarray(level, dtype=float)
            self.adj_ = self.level_ - self.index_.quality(df) if self.index_ is not None else None
            self.log_area_ = np.log(df[r.area].astype(float).to_numpy()) if r.area else None
        else:
            self.tree_ = None
        oof = self._out_of_fold(df, raw_level)
        raw = self._raw(df, oof=oof)
        self.medians_ = raw.median(numeric_only=True).to_dict()
        # a feature no training row has (e.g. no earlier sales at all) cannot be learnt
        self.columns_ = [c for c in raw.columns if not raw[c].isna().all()]
        return raw[self.columns_]

    def _fit_index(self, df: pd.DataFrame, raw_level: np.ndarray) -> PriceIndex:
        r = self.recipe
        controls = [
            c
            for c in [*r.numeric, r.year_built, r.area]
            if c and c in df.columns and pd.api.types.is_numeric_dtype(df[c])
        ]
        return PriceIndex(r.region(), controls).fit(df, raw_level)

    def _out_of_fold(self, df: pd.DataFrame, raw_level: np.ndarray) -> dict[str, np.ndarray]:
        """Training rows' encodings and local levels, none from the row's own price: for the
        rows of fold f, other rows' levels are deflated by a price index fitted without fold
        f, and the encodings use only other folds."""
        r = self.recipe
        out: dict[str, np.ndarray] = {}
        folds = time_folds(df)
        levels: dict[int, np.ndarray] = {}  # fold → every row's level, index without that fold
        adjusted: dict[int, np.ndarray] = {}  # the same less the characteristics' term
        for f in np.unique(folds):
            rest = folds != f
            if self.index_ is not None and rest.any():
                idx = self._fit_index(df[rest], raw_level[rest])
                levels[int(f)] = raw_level - idx.log_level(df)
                adjusted[int(f)] = levels[int(f)] - idx.quality(df)
            else:
                levels[int(f)] = raw_level
        for col in r.target_encode:
            keys = df[col].astype(str).to_numpy()
            enc = np.empty(len(df))
            for f in np.unique(folds):
                inside = folds == f
                rest = ~inside
                level = levels[int(f)]
                prior = float(level[rest].mean()) if rest.any() else self.level_prior_
                g = pd.DataFrame({"k": keys[rest], "v": level[rest]}).groupby("k")["v"]
                s, c = g.sum(), g.count()
                ks = pd.Index(keys[inside])
                s_i = s.reindex(ks).fillna(0.0).to_numpy()
                c_i = c.reindex(ks).fillna(0).to_numpy()
                enc[inside] = (s_i + prior * TE_SMOOTH) / (c_i + TE_SMOOTH)
            out[col + "_te"] = enc
        if r.lat and r.lon:
            out.update(self._past_local(df, levels, folds, adjusted))
        return out

    def _past_local(
        self,
        df: pd.DataFrame,
        levels: dict[int, np.ndarray],
        folds: np.ndarray,
        adjusted: dict[int, np.ndarray],
    ) -> dict[str, np.ndarray]:
        """Each training row's local level from strictly earlier sales (undated: other folds)."""
        r = self.recipe
        assert r.lat and r.lon
        n = len(df)
        lat = pd.to_numeric(df[r.lat], errors="coerce").astype(float).to_numpy()
        lon = pd.to_numeric(df[r.lon], errors="coerce").astype(float).to_numpy()
        ok = np.isfinite(lat) & np.isfinite(lon)
        log_area = self.log_area_
        cols = {name: np.full(n, np.nan) for name in LOCAL_COLUMNS}
        blocks = time_blocks(df)
        # (rows to value, rows they may use, the fold whose levels they read)
        groups: list[tuple[np.ndarray, np.ndarray, int]] = []
        if blocks is not None:
            for b in np.unique(blocks):
                rows = blocks == b
                f = int(folds[rows][0])  # a block lies inside one fold
                groups.append((rows, blocks < b, f))  # strictly earlier sales only
        else:
            for f in np.unique(folds):
                groups.append((folds == f, folds != f, int(f)))
        k = self.recipe.knn_location_k
        for rows, pool, f in groups:
            level = levels[f]
            rows = rows & ok
            pool = pool & ok
            m = int(pool.sum())
            if not rows.any() or m == 0:
                continue
            tree = BallTree(np.deg2rad(np.column_stack([lat[pool], lon[pool]])), metric="haversine")
            wide = min(3 * k, m)
            dist, idx = tree.query(np.deg2rad(np.column_stack([lat[rows], lon[rows]])), k=wide)
            pool_level = level[pool][idx]
            near = min(k, wide)
            adj = adjusted[f][pool][idx] if f in adjusted else None
            for name, values in local_stats(pool_level, dist, near, adj).items():
                cols[name][rows] = values
            if log_area is not None:
                cols["local_log_area"][rows] = log_area[pool][idx[:, :near]].mean(axis=1)
        if log_area is None:
            del cols["local_log_area"]
        return cols

    def to_end(self, df: pd.DataFrame) -> np.ndarray:
        """Log change of each row's regional index from its sale date to the data end: adds
        to a sale's log price to bring it to the data end (zero without dates)."""
        return np.asarray(_memo("to_end", self, df, lambda: self._to_end(df)))

    def _to_end(self, df: pd.DataFrame) -> np.ndarray:
        if getattr(self, "index_", None) is None or "sale_date" not in df.columns:
            return np.zeros(len(df))
        assert self.index_ is not None
        end = np.full(len(df), np.datetime64(self.t_max_, "D"))
        return self.index_.log_level(df, end) - self.index_.log_level(df)

    # ------------------------------------------------------------------ transforming
    def _te(self, col: str, values: pd.Series) -> np.ndarray:
        table = self.te_[col]
        out = np.empty(len(values))
        for i, v in enumerate(values.astype(str).to_numpy()):
            s, c = table.get(v, (0.0, 0))
            out[i] = (s + self.level_prior_ * TE_SMOOTH) / (c + TE_SMOOTH)
        return out

    def _local(self, lat: pd.Series, lon: pd.Series) -> dict[str, np.ndarray]:
        """The local level of the k nearest training sales (valuation and hold-out rows)."""
        n = len(lat)
        local = {name: np.full(n, np.nan) for name in LOCAL_COLUMNS}
        k = self.recipe.knn_location_k
        ok = (lat.notna() & lon.notna()).to_numpy()
        if ok.any() and self.tree_ is not None:
            q = np.deg2rad(np.column_stack([lat[ok], lon[ok]]))
            wide = min(3 * k, len(self.level_))
            near = min(k, wide)
            d, idx = self.tree_.query(q, k=wide)
            adj = getattr(self, "adj_", None)
            adj_nn = adj[idx] if adj is not None else None
            for name, values in local_stats(self.level_[idx], d, near, adj_nn).items():
                local[name][ok] = values
            if self.log_area_ is not None:
                local["local_log_area"][ok] = self.log_area_[idx[:, :near]].mean(axis=1)
        if self.log_area_ is None:
            del local["local_log_area"]
        return local

    def _raw(self, df: pd.DataFrame, *, oof: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        r = self.recipe
        X: dict[str, Any] = {}  # one DataFrame at the end, not a column insert per feature
        dates = _dates(df)
        for c in r.numeric:
            X[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        for c in r.log_numeric:
            X["log_" + c] = np.log1p(
                pd.to_numeric(df[c], errors="coerce").astype(float).clip(lower=0)
            )
        if r.area:
            X["log_area"] = np.log(pd.to_numeric(df[r.area], errors="coerce").astype(float))
        for c, mapping in r.ordinal_maps.items():
            X[c + "_n"] = df[c].map(mapping).astype(float).fillna(0.0)
        for name, parts in r.sums.items():
            X[name] = sum(
                pd.to_numeric(df[p], errors="coerce").fillna(0).astype(float) for p in parts
            )
            X["log_" + name] = np.log1p(X[name].clip(lower=0))
        for name, weights in r.weighted_sums.items():
            X[name] = sum(
                w * pd.to_numeric(df[c], errors="coerce").fillna(0).astype(float)
                for c, w in weights.items()
            )
        if r.year_built:
            year = dates.dt.year.to_numpy() if dates is not None else self.ref_year_
            X["age"] = year - pd.to_numeric(df[r.year_built], errors="coerce").astype(float)
            if r.year_renovated:
                ren = pd.to_numeric(df[r.year_renovated], errors="coerce").fillna(0).astype(float)
                X["since_renovation"] = np.where(ren > 0, year - ren, X["age"])
        if dates is not None and self.t0_ is not None:
            # A model knows no prices after its data ends: clamp the time index to its range.
            span = float((self.t_max_ - self.t0_).days)
            X["t_days"] = (dates - self.t0_).dt.days.astype(float).clip(lower=0.0, upper=span)
        if r.lat and r.lon:
            lat = pd.to_numeric(df[r.lat], errors="coerce").astype(float)
            lon = pd.to_numeric(df[r.lon], errors="coerce").astype(float)
            X["lat"], X["lon"] = lat, lon
            for a in (15, 30, 45, 60):
                rad = math.radians(a)
                X[f"rot{a}"] = lat * math.cos(rad) + lon * math.sin(rad)
            local = (
                {name: oof[name] for name in LOCAL_COLUMNS if name in oof}
                if oof is not None
                else self._local(lat, lon)
            )
            for name, values in local.items():
                X[name] = values
        for c in r.target_encode:
            X[c + "_te"] = oof[c + "_te"] if oof is not None else self._te(c, df[c])
        for name, factors in r.products.items():
            X[name] = np.prod([X[f].astype(float) for f in factors], axis=0)
        for c in r.categorical:
            X[c] = pd.Categorical(df[c].astype(str), categories=self.categories_[c])
        return pd.DataFrame(X, index=df.index)

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        out: pd.DataFrame = _memo("transform", self, df, lambda: self._raw(df)[self.columns_])
        return out

    def numeric_matrix(self, X: pd.DataFrame) -> np.ndarray:
        """Numeric features (NaN → training medians) and one-hot frequent categories, for the
        hedonic model and the comparable-sales distance."""
        cols = [c for c in self.columns_ if c not in self.recipe.categorical]
        M = X[cols].astype(float).fillna(pd.Series(self.medians_)).fillna(0.0).to_numpy()
        dummies = [
            (X[c].astype(str).to_numpy() == k).astype(float)
            for c in self.recipe.categorical
            for k in getattr(self, "dummies_", {}).get(c, [])
        ]
        return np.column_stack([M, *dummies]) if dummies else M

    def numeric_columns(self) -> list[str]:
        return [c for c in self.columns_ if c not in self.recipe.categorical]


COMPARABLES_MAX = 50_000  # the stored model stays small (docs/pricing.md "Speed")


class Comparables:
    """Comparable sales with hedonic adjustments (the ``knn`` method, and explanations for both)."""

    def __init__(self, k: int = 10) -> None:
        self.k = k

    def fit(self, builder: FeatureBuilder, Xtr: pd.DataFrame, y_log: np.ndarray) -> Comparables:
        M = builder.numeric_matrix(Xtr)
        self.mean_ = M.mean(axis=0)
        self.scale_ = M.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        Z = (M - self.mean_) / self.scale_
        self.ridge_ = RidgeCV(alphas=np.logspace(-2, 3, 20)).fit(Z, y_log)
        self.beta_ = self.ridge_.coef_
        self.weights_ = np.abs(self.beta_)
        # the pool of comparables: the most recent COMPARABLES_MAX sales (training tables are
        # in date order); the hedonic model above learns from all of them
        keep = slice(max(0, len(Z) - COMPARABLES_MAX), None)
        self.Zw_ = (Z * self.weights_)[keep]
        self.y_ = np.asarray(y_log, dtype=float)[keep]
        self.base_ = (Z @ self.beta_)[keep]  # the hedonic part of each comparable sale
        return self

    def search_index(self) -> NeighbourIndex:
        """The exact nearest-sales index (neighbours.py), built once per process; not stored
        with the model (it is rebuilt from ``Zw_`` in well under a second)."""
        index = self.__dict__.get("index_")
        if index is None:
            index = self.__dict__["index_"] = NeighbourIndex(self.Zw_)
        return index

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("index_", "nn_")}

    def neighbours(
        self, builder: FeatureBuilder, X: pd.DataFrame, k: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The k nearest training sales (nearest first, ties by index) and their distances."""
        Z = (builder.numeric_matrix(X) - self.mean_) / self.scale_
        d, idx = self.search_index().nearest(Z * self.weights_, min(k or self.k, len(self.y_)))
        return Z, d, idx

    def predict_log(self, builder: FeatureBuilder, X: pd.DataFrame) -> np.ndarray:
        Z, d, idx = self.neighbours(builder, X)
        adjusted = self.y_[idx] + (Z @ self.beta_)[:, None] - self.base_[idx]
        w = 1.0 / (d + 1e-3)
        return (adjusted * w).sum(axis=1) / w.sum(axis=1)


DAYS_PER_MONTH = 365.25 / 12


def months_after(days: np.ndarray, end: Any) -> np.ndarray:
    """Months (of 365.25/12 days) from ``end`` (a date) to each date; negative before."""
    d = np.asarray(days, dtype="datetime64[D]") - np.asarray(end, dtype="datetime64[D]")
    return np.asarray(d.astype(np.int64) / DAYS_PER_MONTH, dtype=float)


def drift_at(shift: float, slope: float, horizon: float, days: np.ndarray, end: Any) -> np.ndarray:
    """The lag at each date: ``shift + slope · clip(months after end, 0, horizon)``
    (the reference path's and fast.Compiled's)."""
    m = np.minimum(np.maximum(months_after(days, end), 0.0), horizon)
    return np.asarray(shift + slope * m, dtype=float)


class Valuer:
    """One fitted method on one table: ``predict_log`` of canonical rows."""

    method = ""
    interval_: LocalInterval | None = None  # set by training (the stored interval)
    builder_: FeatureBuilder
    comparables_: Comparables
    # The model's lag behind the market, in log price, added to every prediction: the median
    # residual on the most recent period of a model fitted without it (set by training,
    # see training.drift_shift; zero where that period did not show the lag).
    shift_: float = 0.0
    # ... and how it grows after the data end (training.drift_trend): ``slope_`` log price
    # per month since the data end, up to ``horizon_`` months (flat beyond). Zero in models
    # stored before the trend, and wherever the validation period did not show it.
    slope_: float = 0.0
    horizon_: float = 0.0

    def __init__(self, recipe: Recipe, params: dict | None = None) -> None:
        self.recipe = recipe
        self.params = params or {}

    def fit(self, df: pd.DataFrame, y_log: np.ndarray, like: Valuer | None = None) -> Valuer:
        """Fit on ``df``. ``like``: a valuer already fitted on these very rows (training fits
        every candidate on one table): its feature builder and comparables, and its boosted
        trees when the settings match, are shared instead of refitted — every fit is
        deterministic, so the result is the same, in a fraction of the time."""
        with threadpool_limits(limits=_threads()):
            fitted = getattr(like, "_fitted_on", None)
            if (
                like is not None
                and fitted is not None
                and fitted[0] == (id(df), len(df))
                and like.recipe == self.recipe
                and int(like.params.get("k", 10)) == int(self.params.get("k", 10))
            ):
                self.builder_, self.comparables_ = like.builder_, like.comparables_
                Xtr, y_end = fitted[1], fitted[2]
            else:
                like = None
                self.builder_ = FeatureBuilder(self.recipe)
                Xtr = self.builder_.fit_transform(df, y_log)
                # every training sale brought to the data end by its region's price index
                y_end = np.asarray(y_log, dtype=float) + self.builder_.to_end(df)
                self.comparables_ = Comparables(k=int(self.params.get("k", 10))).fit(
                    self.builder_, Xtr, y_end
                )
            self._fitted_on = ((id(df), len(df)), Xtr, y_end)
            self._fit_method(Xtr, y_end, like)
        return self

    def forget_training_rows(self) -> None:
        """Drop what ``fit`` kept for sharing (the training rows' features)."""
        self.__dict__.pop("_fitted_on", None)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_fitted_on"}

    def _fit_method(self, Xtr: pd.DataFrame, y_log: np.ndarray, like: Valuer | None = None) -> None:
        raise NotImplementedError

    def predict_log(self, df: pd.DataFrame, at: Any = None) -> np.ndarray:
        """Log prices of the rows at their ``sale_date``; ``at`` (dates, one per row, or
        one for all): the dates the lag is measured to, when they differ from the features'
        (the service clamps the features' date to the data end, not the lag's)."""
        raise NotImplementedError

    def drift_log(self, df: pd.DataFrame, at: Any = None) -> np.ndarray | float:
        """The lag added to each row's log price: ``shift_ + slope_ · m``, m the months
        from the data end to the row's date (``at``, else its sale date), between 0 and
        ``horizon_``. Just ``shift_`` without a trend or without dates."""
        slope = float(getattr(self, "slope_", 0.0))
        t_end = getattr(self.builder_, "t_max_", None)
        if not slope or t_end is None:
            return self.shift_
        if at is None:
            if "sale_date" not in df.columns:
                return self.shift_
            at = pd.to_datetime(df["sale_date"]).to_numpy()
        days = np.broadcast_to(np.asarray(at, dtype="datetime64[D]"), (len(df),))
        return drift_at(self.shift_, slope, self.horizon_, days, np.datetime64(t_end, "D"))


class GBMValuer(Valuer):
    """Gradient boosting on log price; ``blend`` (0–1) mixes in the hedonic ridge model in log space."""

    method = "gbm"
    label = "梯度提升树（对数价格）"

    model_: HistGradientBoostingRegressor

    # params that are not the boosting's own
    OWN_PARAMS = ("k", "blend", "per_area", "weights")

    def _boosting_params(self) -> dict[str, Any]:
        return {
            "max_iter": 600,
            "learning_rate": 0.06,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 15,
            "l2_regularization": 1.0,
            **{k: v for k, v in self.params.items() if k not in self.OWN_PARAMS},
        }

    def _per_area(self) -> bool:
        """Whether the trees learn the log price per unit of area (单价; param ``per_area``,
        default off; training chooses it on the validation period): only where the recipe
        has an area every row must give."""
        r = self.recipe
        return (
            bool(self.params.get("per_area", False)) and bool(r.area) and r.area not in r.optional
        )

    def _fit_method(self, Xtr: pd.DataFrame, y_log: np.ndarray, like: Valuer | None = None) -> None:
        self.blend_ = float(self.params.get("blend", 0.0))
        self.per_area_ = self._per_area()
        p = self._boosting_params()
        if (
            isinstance(like, GBMValuer)
            and like._boosting_params() == p
            and getattr(like, "per_area_", False) == self.per_area_
        ):
            self.model_ = like.model_  # the same trees (same rows, settings and seed)
        else:
            self.model_ = HistGradientBoostingRegressor(
                random_state=0, categorical_features="from_dtype", **p
            )
            target = y_log - self._log_area(Xtr) if self.per_area_ else y_log
            self.model_.fit(Xtr, target)
        if self.blend_:
            self.label = f"梯度提升树与特征价格回归加权（{1 - self.blend_:.0%} / {self.blend_:.0%}，对数价格）"

    @staticmethod
    def _log_area(X: pd.DataFrame) -> np.ndarray:
        return np.asarray(X["log_area"], dtype=float)

    def boosted_log(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' log price at the data end (per area: plus the log area)."""
        with threadpool_limits(limits=_threads()):
            out = np.asarray(self.model_.predict(X), dtype=float)
        if getattr(self, "per_area_", False):  # absent in models stored before it: off
            out = out + self._log_area(X)
        return out

    def predict_log(self, df: pd.DataFrame, at: Any = None) -> np.ndarray:
        X = self.builder_.transform(df)
        out = self.boosted_log(X)
        if getattr(self, "blend_", 0.0):
            c = self.comparables_
            hedonic = c.ridge_.predict((self.builder_.numeric_matrix(X) - c.mean_) / c.scale_)
            out = (1 - self.blend_) * out + self.blend_ * hedonic
        return np.asarray(out - self.builder_.to_end(df) + self.drift_log(df, at), dtype=float)


class KNNValuer(Valuer):
    method = "knn"
    label = "市场比较法（可比成交案例 + 特征调整）"

    def _fit_method(self, Xtr: pd.DataFrame, y_log: np.ndarray, like: Valuer | None = None) -> None:
        pass

    def predict_log(self, df: pd.DataFrame, at: Any = None) -> np.ndarray:
        out = self.comparables_.predict_log(self.builder_, self.builder_.transform(df))
        return np.asarray(out - self.builder_.to_end(df) + self.drift_log(df, at), dtype=float)


class HedonicValuer(Valuer):
    """A regularised linear hedonic model (ridge on the standardised features, log price)."""

    method = "ridge"
    label = "特征价格回归（岭回归，对数价格）"

    def _fit_method(self, Xtr: pd.DataFrame, y_log: np.ndarray, like: Valuer | None = None) -> None:
        pass

    def predict_log(self, df: pd.DataFrame, at: Any = None) -> np.ndarray:
        c = self.comparables_
        X = self.builder_.transform(df)
        out = c.ridge_.predict((self.builder_.numeric_matrix(X) - c.mean_) / c.scale_)
        return np.asarray(out - self.builder_.to_end(df) + self.drift_log(df, at), dtype=float)


class BlendValuer(GBMValuer):
    """A weighted mean, in log price, of gradient boosting, the hedonic model and the
    comparables. The weights (param ``weights``, summing to 1) are chosen by training on
    the validation period (training.blend_weights); a third each by default and in models
    stored before the weights."""

    method = "blend"
    label = "梯度提升树、市场比较法与特征价格回归的加权平均（对数价格）"

    def weights(self) -> np.ndarray:
        w = self.params.get("weights") or (1 / 3, 1 / 3, 1 / 3)
        return np.asarray(w, dtype=float)

    def components_log(self, df: pd.DataFrame) -> np.ndarray:
        """The three parts' log prices at the data end, shape (3, rows): trees, hedonic,
        comparables (kept for the frame while training: the weights are chosen on them)."""
        return np.asarray(_memo("components", self, df, lambda: self._components(df)))

    def _components(self, df: pd.DataFrame) -> np.ndarray:
        b, c = self.builder_, self.comparables_
        X = b.transform(df)
        gbm = self.boosted_log(X)
        hedonic = c.ridge_.predict((b.numeric_matrix(X) - c.mean_) / c.scale_)
        knn = c.predict_log(b, X)
        return np.vstack([gbm, hedonic, knn])

    def predict_log(self, df: pd.DataFrame, at: Any = None) -> np.ndarray:
        mean = self.weights() @ self.components_log(df)
        b = self.builder_
        return np.asarray(mean - b.to_end(df) + self.drift_log(df, at), dtype=float)


METHODS: dict[str, type[Valuer]] = {
    "gbm": GBMValuer,
    "knn": KNNValuer,
    "ridge": HedonicValuer,
    "blend": BlendValuer,
}
BASELINE = "knn"  # the index-adjusted comparables: no model in use may do worse (PRC-09)
# What each built-in platform chooses among (the knn platform is the baseline itself).
CANDIDATES: dict[str, list[str]] = {"gbm": ["gbm", "ridge", "blend"], "knn": ["knn"]}


def select_candidate(
    scores: dict[str, float], baseline: str = BASELINE
) -> tuple[str | None, dict[str, str]]:
    """The candidate with the lowest validation median error among those no worse than the
    baseline; None when every one loses to it. Returns (chosen, why per candidate)."""
    base = scores[baseline]
    why: dict[str, str] = {}
    eligible = {}
    for name, score in scores.items():
        if name == baseline:
            continue
        if score > base:
            why[name] = "劣于基准（指数调整的市场比较法）"
        else:
            eligible[name] = score
            why[name] = "不劣于基准"
    if baseline in scores and list(scores) == [baseline]:
        return baseline, {baseline: "基准本身"}
    if not eligible:
        return None, why
    chosen = min(eligible, key=lambda k: eligible[k])
    why[chosen] = "验证期中位误差最低，且不劣于基准"
    return chosen, why


def metrics(
    y: np.ndarray,
    pred: np.ndarray,
    *,
    q: float | None = None,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> dict[str, Any]:
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    ape = np.abs(pred - y) / y
    out: dict[str, Any] = {
        "rmsle": float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2))),
        "median_ape": float(np.median(ape)),
        "within_10": float(np.mean(ape <= 0.10)),
        "within_20": float(np.mean(ape <= 0.20)),
        "n": len(y),
    }
    if q is not None and low is None:
        low, high = pred * math.exp(-q), pred * math.exp(q)
    if low is not None and high is not None:
        inside = (y >= low) & (y <= high)
        out["coverage"] = float(np.mean(inside))
        out["miss_above"] = float(np.mean(y > high))
        out["miss_below"] = float(np.mean(y < low))
        out["interval_median_width"] = float(np.median((high - low) / pred))
        # per decile of the actual price: an interval must hold for cheap and dear alike
        edges = np.quantile(y, np.linspace(0, 1, 11))
        decile = np.clip(np.searchsorted(edges[1:-1], y, side="right"), 0, 9)
        out["coverage_by_decile"] = [
            float(np.mean(inside[decile == d])) if (decile == d).any() else float("nan")
            for d in range(10)
        ]
    return out


# ----------------------------------------------------------------------------- explanations
def typical_row(
    df: pd.DataFrame, columns: list[str], codes: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """The median of each numeric input, the most frequent value of the others and of
    ``codes`` (categories written as numbers, e.g. a region code: their median is no code)."""
    out: dict[str, Any] = {}
    for c in columns:
        s = df[c]
        if (
            c not in codes
            and pd.api.types.is_numeric_dtype(s)
            and not pd.api.types.is_bool_dtype(s)
        ):
            out[c] = float(s.median())
        else:
            mode = s.astype(str).mode()
            out[c] = mode.iloc[0] if len(mode) else ""
    return out


def feature_effects(
    valuer: Valuer, row: pd.DataFrame, typical: dict[str, Any], groups: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Each input (or group, e.g. location = lat+lon) set to its typical value: how much the price moves."""
    names = list(groups)
    base = row.iloc[0].to_dict()
    variants = [base]
    for name in names:
        variants.append({**base, **{col: typical[col] for col in groups[name]}})
    # object columns: a row's 360104 and a typical "360111" stay what they are (a numeric
    # column would turn the code into 360104.0, a category never seen)
    preds = valuer.predict_log(pd.DataFrame(variants, dtype=object))
    base = preds[0]
    out: list[dict[str, Any]] = []
    for name, p in zip(names, preds[1:], strict=True):
        effect = math.exp(base - p) - 1.0  # the subject's value vs a typical one
        out.append(
            {
                "feature": name,
                "effect_pct": round(effect * 100, 1),
                "value": _plain(row.iloc[0][groups[name][0]]) if len(groups[name]) == 1 else None,
                "typical": _plain(typical[groups[name][0]]) if len(groups[name]) == 1 else None,
            }
        )
    out.sort(key=lambda e: -abs(e["effect_pct"]))
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return v
