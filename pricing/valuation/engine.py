"""The valuation engine: feature building, two methods, split-conformal intervals, explanations.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.neighbors import BallTree, NearestNeighbors
from threadpoolctl import threadpool_limits

ENGINE_VERSION = 2
EARTH_KM = 6371.0


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


class FeatureBuilder:
    """Fit on the training rows (encodings, location index, medians); transform any rows."""

    # Set by ``_fit_builder`` before ``fit``; read with getattr, since older pickles lack it.
    _train_level: np.ndarray

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe

    def fit(self, df: pd.DataFrame, y_log: np.ndarray) -> FeatureBuilder:
        r = self.recipe
        self.has_date_ = "sale_date" in df.columns
        dates = _dates(df)
        self.t0_ = dates.min() if dates is not None else None
        self.t_max_ = dates.max() if dates is not None else None
        self.ref_year_ = (
            int(self.t_max_.year) if self.t_max_ is not None else int(pd.Timestamp.now().year)
        )
        # the level the local market trades at: log price per area (or log price)
        level = y_log - (np.log(df[r.area].astype(float).to_numpy()) if r.area else 0.0)
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
            self.log_area_ = np.log(df[r.area].astype(float).to_numpy()) if r.area else None
        else:
            self.tree_ = None
        raw = self._raw(df, loo=True)
        self.medians_ = raw.median(numeric_only=True).to_dict()
        self.columns_ = list(raw.columns)
        return self

    def _te(self, col: str, values: pd.Series, level: np.ndarray | None, loo: bool) -> np.ndarray:
        smooth = 20.0
        table = self.te_[col]
        out = np.empty(len(values))
        for i, v in enumerate(values.astype(str).to_numpy()):
            s, c = table.get(v, (0.0, 0))
            if loo and level is not None and c > 0:
                s, c = s - level[i], c - 1
            out[i] = (s + self.level_prior_ * smooth) / (c + smooth)
        return out

    def _raw(
        self, df: pd.DataFrame, *, loo: bool = False, level: np.ndarray | None = None
    ) -> pd.DataFrame:
        r = self.recipe
        X = pd.DataFrame(index=df.index)
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
            k = self.recipe.knn_location_k
            ok = lat.notna() & lon.notna()
            local = {
                name: np.full(len(df), np.nan)
                for name in (
                    "local_level",
                    "local_level_median",
                    "local_level_wide",
                    "local_dist_km",
                    "local_log_area",
                )
            }
            if ok.any() and self.tree_ is not None:
                q = np.deg2rad(np.column_stack([lat[ok], lon[ok]]))
                wide = min(3 * k, len(self.level_) - 1)
                d, idx = self.tree_.query(q, k=wide + (1 if loo else 0))
                if loo:
                    d, idx = d[:, 1:], idx[:, 1:]
                near = ok.to_numpy()
                local["local_level"][near] = self.level_[idx[:, :k]].mean(axis=1)
                local["local_level_median"][near] = np.median(self.level_[idx[:, :k]], axis=1)
                local["local_level_wide"][near] = self.level_[idx].mean(axis=1)
                local["local_dist_km"][near] = d[:, :k].mean(axis=1) * EARTH_KM
                if self.log_area_ is not None:
                    local["local_log_area"][near] = self.log_area_[idx[:, :k]].mean(axis=1)
            for name, values in local.items():
                if name != "local_log_area" or self.log_area_ is not None:
                    X[name] = values
        train_level = getattr(self, "_train_level", None) if loo else None
        for c in r.target_encode:
            X[c + "_te"] = self._te(c, df[c], train_level, loo)
        for name, factors in r.products.items():
            X[name] = np.prod([X[f].astype(float) for f in factors], axis=0)
        for c in r.categorical:
            X[c] = pd.Categorical(df[c].astype(str), categories=self.categories_[c])
        return X

    def transform(self, df: pd.DataFrame, *, loo: bool = False) -> pd.DataFrame:
        return self._raw(df, loo=loo)[self.columns_]

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


def _fit_builder(recipe: Recipe, df: pd.DataFrame, y_log: np.ndarray) -> FeatureBuilder:
    b = FeatureBuilder(recipe)
    level = y_log - (np.log(df[recipe.area].astype(float).to_numpy()) if recipe.area else 0.0)
    b._train_level = np.asarray(level, dtype=float)
    b.fit(df, y_log)
    return b


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
        self.Zw_ = Z * self.weights_
        self.y_ = np.asarray(y_log, dtype=float)
        self.base_ = Z @ self.beta_  # the hedonic part of each training sale
        self.nn_ = NearestNeighbors(n_neighbors=min(self.k, len(Z))).fit(self.Zw_)
        return self

    def neighbours(
        self, builder: FeatureBuilder, X: pd.DataFrame, k: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Z = (builder.numeric_matrix(X) - self.mean_) / self.scale_
        d, idx = self.nn_.kneighbors(Z * self.weights_, n_neighbors=min(k or self.k, len(self.y_)))
        return Z, d, idx

    def predict_log(self, builder: FeatureBuilder, X: pd.DataFrame) -> np.ndarray:
        Z, d, idx = self.neighbours(builder, X)
        adjusted = self.y_[idx] + (Z @ self.beta_)[:, None] - self.base_[idx]
        w = 1.0 / (d + 1e-3)
        return (adjusted * w).sum(axis=1) / w.sum(axis=1)


class Valuer:
    """One fitted method on one table: ``predict_log`` of canonical rows."""

    method = ""

    def __init__(self, recipe: Recipe, params: dict | None = None) -> None:
        self.recipe = recipe
        self.params = params or {}

    def fit(self, df: pd.DataFrame, y_log: np.ndarray) -> Valuer:
        with threadpool_limits(limits=_threads()):
            self.builder_ = _fit_builder(self.recipe, df, y_log)
            Xtr = self.builder_.transform(df, loo=True)
            self.comparables_ = Comparables(k=int(self.params.get("k", 10))).fit(
                self.builder_, Xtr, y_log
            )
            self._fit_method(Xtr, y_log)
        return self

    def _fit_method(self, Xtr: pd.DataFrame, y_log: np.ndarray) -> None:
        raise NotImplementedError

    def predict_log(self, df: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError


class GBMValuer(Valuer):
    """Gradient boosting on log price; ``blend`` (0–1) mixes in the hedonic ridge model in log space."""

    method = "gbm"
    label = "梯度提升树（对数价格）"

    def _fit_method(self, Xtr: pd.DataFrame, y_log: np.ndarray) -> None:
        self.blend_ = float(self.params.get("blend", 0.0))
        p = {
            "max_iter": 600,
            "learning_rate": 0.06,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 15,
            "l2_regularization": 1.0,
            **{k: v for k, v in self.params.items() if k not in ("k", "blend")},
        }
        self.model_ = HistGradientBoostingRegressor(
            random_state=0, categorical_features="from_dtype", **p
        )
        self.model_.fit(Xtr, y_log)
        if self.blend_:
            self.label = f"梯度提升树与特征价格回归加权（{1 - self.blend_:.0%} / {self.blend_:.0%}，对数价格）"

    def predict_log(self, df: pd.DataFrame) -> np.ndarray:
        X = self.builder_.transform(df)
        with threadpool_limits(limits=_threads()):
            out = self.model_.predict(X)
        if getattr(self, "blend_", 0.0):
            c = self.comparables_
            hedonic = c.ridge_.predict((self.builder_.numeric_matrix(X) - c.mean_) / c.scale_)
            out = (1 - self.blend_) * out + self.blend_ * hedonic
        return out


class KNNValuer(Valuer):
    method = "knn"
    label = "市场比较法（可比成交案例 + 特征调整）"

    def _fit_method(self, Xtr: pd.DataFrame, y_log: np.ndarray) -> None:
        pass

    def predict_log(self, df: pd.DataFrame) -> np.ndarray:
        return self.comparables_.predict_log(self.builder_, self.builder_.transform(df))


METHODS: dict[str, type[Valuer]] = {"gbm": GBMValuer, "knn": KNNValuer}


# ----------------------------------------------------------------------------- intervals and metrics
def conformal_quantile(residuals: np.ndarray, level: float) -> float:
    """Split conformal: the ⌈(n+1)·level⌉-th smallest absolute log residual."""
    r = np.sort(np.abs(np.asarray(residuals, dtype=float)))
    n = len(r)
    if n == 0:
        raise ValueError("no calibration rows")
    rank = min(n, math.ceil((n + 1) * level))
    return float(r[rank - 1])


def metrics(y: np.ndarray, pred: np.ndarray, *, q: float | None = None) -> dict[str, float]:
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    ape = np.abs(pred - y) / y
    out = {
        "rmsle": float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2))),
        "median_ape": float(np.median(ape)),
        "within_10": float(np.mean(ape <= 0.10)),
        "within_20": float(np.mean(ape <= 0.20)),
        "n": len(y),
    }
    if q is not None:
        low, high = pred * math.exp(-q), pred * math.exp(q)
        out["coverage"] = float(np.mean((y >= low) & (y <= high)))
        out["interval_median_width"] = float(np.median((high - low) / pred))
    return out


# ----------------------------------------------------------------------------- explanations
def typical_row(df: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
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
    variants = [row]
    for name in names:
        v = row.copy()
        for col in groups[name]:
            v[col] = typical[col]
        variants.append(v)
    preds = valuer.predict_log(pd.concat(variants, ignore_index=True))
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
