"""The compiled valuation path: a fitted artifact turned, once per process, into plain arrays.

``FeatureBuilder.transform`` → ``Valuer.predict_log`` → ``LocalInterval.bounds`` →
``Comparables.neighbours`` → ``feature_effects`` is the reference (pandas, one DataFrame per
step); a single valuation through it takes ~150 ms. ``Compiled`` computes the same numbers
from column arrays: the encodings and the index as dicts and arrays, the features of the row
and of its explanation's perturbed rows in one matrix, one compiled walk of the trees
(forest.py: a perturbed row re-walks only the trees its change can move), the comparables'
index queried on the prepared vectors (neighbours.py: the perturbed rows from row 0's
distances) and their records read from arrays. tests/pricing/test_valuation_fast.py holds it
to the reference (1e-9 relative) on rows of every shipped preset; docs/pricing.md "Speed".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pricing.valuation.engine import (
    LOCAL_COLUMNS,
    TE_SMOOTH,
    BlendValuer,
    GBMValuer,
    HedonicValuer,
    KNNValuer,
    drift_at,
    local_stats,
)
from pricing.valuation.forest import Forest
from pricing.valuation.index import MARKET_REGION
from pricing.valuation.neighbours import PlaceIndex, nearest_variants

Columns = dict[str, np.ndarray]  # canonical input column → values (one per row)

DAY_NS = 86_400 * 10**9
VARIANT_SEARCH_DIMS = 64
VARIANT_POOL = 64
_UNSET = object()


def _month(days: np.ndarray) -> np.ndarray:
    """Months since year 0 of datetime64 values (index.month_number without pandas)."""
    m = days.astype("datetime64[M]").astype(np.int64)
    return np.asarray(m + 1970 * 12, dtype=np.int64)


def _num(values: np.ndarray) -> np.ndarray:
    """pd.to_numeric(errors="coerce").astype(float) of an object or numeric column."""
    if values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    if values.dtype.kind in "iub":
        return values.astype(np.float64)
    out = np.empty(len(values), dtype=np.float64)
    prev: Any = _UNSET
    x = np.nan
    for i, v in enumerate(values):
        if v is not prev:  # a valuation's perturbed rows repeat the row's own values
            prev = v
            try:
                x = np.nan if v is None else float(v)
            except (TypeError, ValueError):
                x = np.nan
        out[i] = x
    return out


def _num1(v: Any) -> float:
    try:
        return np.nan if v is None else float(v)
    except (TypeError, ValueError):
        return np.nan


def _text1(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v if isinstance(v, str) else str(v)


class VariantColumns(dict[str, np.ndarray]):
    """A valuation's rows as columns: row 0 and its explanation's perturbed rows, which hold
    the very same object as row 0 except at ``changed[name]`` (positions). A function of one
    value is then computed once for row 0 and once per changed position (``_apply``)."""

    changed: dict[str, np.ndarray]


_NONE = np.empty(0, dtype=np.int64)


def _apply(cols: Columns, name: str, fn: Any, dtype: Any) -> np.ndarray:
    """``[fn(v) for v in cols[name]]`` as an array; on VariantColumns without the per-row loop
    (every unchanged position holds row 0's object, so its result is row 0's)."""
    vals = cols[name]
    changed = getattr(cols, "changed", None)
    if changed is None:
        return _loop(vals, fn, dtype)
    out = np.empty(len(vals), dtype=dtype)
    if len(vals):
        first = fn(vals[0])
        if dtype is object:
            out[:] = [first]
        else:
            out[:] = first
        for i in changed.get(name, _NONE):
            out[i] = fn(vals[i])
    return out


def _loop(vals: np.ndarray, fn: Any, dtype: Any) -> np.ndarray:
    out = np.empty(len(vals), dtype=dtype)
    prev: Any = _UNSET
    x: Any = None
    for i, v in enumerate(vals):
        if v is not prev:  # runs of one value: a batch's repeated categories
            prev = v
            x = fn(v)
        out[i] = x
    return out


def _text(values: np.ndarray) -> np.ndarray:
    """``astype(str)`` keeping missing values missing (None)."""
    out = np.empty(len(values), dtype=object)
    prev: Any = _UNSET
    t: str | None = None
    for i, v in enumerate(values):
        if v is not prev:
            prev = v
            if v is None or (isinstance(v, float) and math.isnan(v)):
                t = None
            else:
                t = v if isinstance(v, str) else str(v)
        out[i] = t
    return out


class Compiled:
    """One artifact's valuer as arrays; ``predict_log`` of many rows, ``explain`` of one."""

    def __init__(self, art: dict[str, Any]) -> None:
        valuer = art["valuer"]
        self.valuer = valuer
        self.recipe = r = art["recipe"]
        b = self.builder = valuer.builder_
        self.kind = (
            "blend"
            if isinstance(valuer, BlendValuer)
            else "gbm"
            if isinstance(valuer, GBMValuer)
            else "knn"
            if isinstance(valuer, KNNValuer)
            else "ridge"
            if isinstance(valuer, HedonicValuer)
            else ""
        )
        if not self.kind:
            raise TypeError(f"no compiled path for {type(valuer).__name__}")
        self.numeric_inputs = (
            set(r.numeric)
            | set(r.log_numeric)
            | {r.area, r.lat, r.lon, r.year_built, r.year_renovated}
            | {p for parts in r.sums.values() for p in parts}
            | {c for weights in r.weighted_sums.values() for c in weights}
        ) - {None}
        self.columns = list(b.columns_)
        self.categorical = [c for c in r.categorical if c in self.columns]
        self.numeric_cols = b.numeric_columns()
        # the time index and the price index
        self.t0_ns = None if b.t0_ is None else np.datetime64(b.t0_, "ns").astype(np.int64)
        self.span = None if b.t0_ is None else float((b.t_max_ - b.t0_).days)
        self.t_end = None if b.t_max_ is None else np.datetime64(b.t_max_, "D")
        idx = getattr(b, "index_", None)
        self.index = idx
        # target encodings: key → encoded value
        self.te = {
            col: {k: (s + b.level_prior_ * TE_SMOOTH) / (c + TE_SMOOTH) for k, (s, c) in t.items()}
            for col, t in b.te_.items()
        }
        self.te_prior = (0.0 + b.level_prior_ * TE_SMOOTH) / (0 + TE_SMOOTH)
        self.known = {c: set(b.categories_[c]) for c in self.categorical}
        # hedonic and comparables
        comps = valuer.comparables_
        self.comps = comps
        self.medians = np.array(
            [b.medians_.get(c, np.nan) for c in self.numeric_cols], dtype=np.float64
        )
        self.dummies = [
            (c, k) for c in r.categorical for k in getattr(b, "dummies_", {}).get(c, [])
        ]
        # per categorical column: a value → its dummy's position (after the numeric columns)
        self.dummy_places: dict[str, dict[Any, int]] = {}
        for j, (c, k) in enumerate(self.dummies):
            self.dummy_places.setdefault(c, {}).setdefault(k, j)
        if sum(len(v) for v in self.dummy_places.values()) != len(self.dummies):
            self.dummy_places = {}
        self.fill = np.where(np.isnan(self.medians), 0.0, self.medians)
        # the comparables' space: an exact index on its principal axes (neighbours.py; a
        # ball tree in 20–200 dimensions visits most of its nodes, a brute-force pass costs
        # O(sales) per row)
        self.P = np.ascontiguousarray(comps.Zw_, dtype=np.float64)
        self.search = comps.search_index()
        # a valuation's perturbed rows searched from row 0's distances (nearest_variants):
        # to every sale where the space is wide (the index prunes little there: ames, 202
        # features), else to row 0's VARIANT_POOL nearest from the index (king_county, 33)
        self.variant_pool = None if self.P.shape[1] > VARIANT_SEARCH_DIMS else VARIANT_POOL
        self.n_train = len(comps.y_)
        # gradient boosting: columns in the preprocessed order, categories as codes
        self._places: dict[tuple[float, float], np.ndarray] = {}  # _local, per place
        # the builder's BallTree's query, answered from a k-d tree (neighbours.PlaceIndex)
        self.places = (
            None
            if getattr(b, "tree_", None) is None
            else PlaceIndex(b.tree_, near=r.knn_location_k)
        )
        self.forest: Forest | None = None
        self.blend = 0.0
        if self.kind in ("gbm", "blend"):
            model = valuer.model_
            pre = model._preprocessor
            names = list(model.feature_names_in_)
            if names != self.columns:
                raise ValueError("the model's columns differ from the builder's")
            if pre is None:
                self.gbm_order = list(range(len(names)))
                self.gbm_codes: dict[int, dict[str, float]] = {}
            else:
                cat = np.asarray(model.is_categorical_, dtype=bool)
                cat_idx = [i for i in range(len(names)) if cat[i]]
                self.gbm_order = cat_idx + [i for i in range(len(names)) if not cat[i]]
                enc = pre.named_transformers_["encoder"]
                self.gbm_codes = {
                    i: {str(v): float(j) for j, v in enumerate(cats)}
                    for i, cats in zip(cat_idx, enc.categories_, strict=True)
                }
            self.forest = Forest(model)
            self.blend = float(getattr(valuer, "blend_", 0.0))
        # the blend's weights of trees, hedonic and comparables (a third each before them)
        weights = getattr(valuer, "weights", None)
        self.blend_weights = (
            np.asarray(weights(), dtype=float) if callable(weights) else np.full(3, 1 / 3)
        )
        # the model's lag (training.drift_trend): shift + slope · months after the data end
        self.shift = float(getattr(valuer, "shift_", 0.0))
        self.slope = float(getattr(valuer, "slope_", 0.0))  # absent in older models: flat
        self.horizon = float(getattr(valuer, "horizon_", 0.0))
        self.per_area = bool(getattr(valuer, "per_area_", False))
        self._variant_plan(art)
        # the interval's scale model, by name onto this builder's columns
        self.interval = getattr(valuer, "interval_", None)
        if self.interval is not None and getattr(self.interval, "scale_model_", None) is not None:
            iv = self.interval
            self.iv_cols = [self.columns.index(c) if c in self.columns else -1 for c in iv.cols_]

    # ------------------------------------------------------------------ a valuation's rows
    def _variant_plan(self, art: dict[str, Any]) -> None:
        """What ``variant_columns`` fills per valuation, fixed per model: the explanation's
        groups and their typical values, and per input column the rows (1…) that replace
        the row's value with a typical one."""
        r = self.recipe
        groups: dict[str, list[str]] = art.get("groups") or {}
        typical: dict[str, Any] = art.get("typical") or {}
        self.effect_names = list(groups)
        self.effect_groups = groups
        self.inputs = r.inputs()
        self.n_variants = 1 + len(groups)
        # columns read only as numbers (a column also read as text keeps its objects)
        text = set(r.categorical) | set(r.target_encode) | set(r.ordinal_maps)
        if self.index is not None and self.index.region_col:
            text.add(self.index.region_col)
        self.plain_numeric = [c for c in self.inputs if c in self.numeric_inputs and c not in text]
        self.text_inputs = [c for c in self.inputs if c not in set(self.plain_numeric)]
        rows: dict[str, list[int]] = {}
        values: dict[str, list[Any]] = {}
        for i, name in enumerate(self.effect_names, start=1):
            for col in groups[name]:
                if col in self.inputs:
                    v = typical[col]
                    rows.setdefault(col, []).append(i)
                    values.setdefault(col, []).append(None if v is None or _nan(v) else v)
        self.variant_changed = {k: np.array(v, dtype=np.int64) for k, v in rows.items()}
        num_at = {c: j for j, c in enumerate(self.plain_numeric)}
        text_at = {c: j for j, c in enumerate(self.text_inputs)}
        self._num_cells = (
            np.array([num_at[c] for c in rows if c in num_at for _ in rows[c]], dtype=np.int64),
            np.array([i for c in rows if c in num_at for i in rows[c]], dtype=np.int64),
            np.array([_num1(v) for c in rows if c in num_at for v in values[c]], dtype=float),
        )
        text_values = [v for c in rows if c in text_at for v in values[c]]
        self._text_cells = (
            np.array([text_at[c] for c in rows if c in text_at for _ in rows[c]], dtype=np.int64),
            np.array([i for c in rows if c in text_at for i in rows[c]], dtype=np.int64),
            _objects(text_values),
        )

    def variant_columns(self, row: dict[str, Any]) -> VariantColumns:
        """The row, then one row per group of the explanation (the row with that group's
        inputs set to their typical values), one array per input column: the columns read
        only as numbers as floats (``_num1`` of each value, as ``features`` would compute
        them), the others as objects (missing: None); ``changed`` holds, per column, the
        rows that replace the row's value."""
        n = self.n_variants
        N = np.empty((len(self.plain_numeric), n))
        N[:] = np.array([_num1(row.get(c)) for c in self.plain_numeric])[:, None]
        at, i, v = self._num_cells
        N[at, i] = v
        T = np.empty((len(self.text_inputs), n), dtype=object)
        T[:] = _objects([_missing_none(row.get(c)) for c in self.text_inputs])[:, None]
        at, i, v = self._text_cells
        T[at, i] = v
        out = VariantColumns(zip(self.plain_numeric, N, strict=True))
        out.update(zip(self.text_inputs, T, strict=True))
        out.changed = self.variant_changed
        return out

    # ------------------------------------------------------------------ features
    def features(self, cols: Columns, dates: np.ndarray | None) -> dict[str, np.ndarray]:
        """FeatureBuilder._raw for valuation rows: numeric features as float arrays,
        categorical ones as object arrays of text (None = missing)."""
        r, b = self.recipe, self.builder
        nums = {
            c: _num(cols[c]) if cols[c].dtype.kind in "fiub" else _apply(cols, c, _num1, float)
            for c in self.numeric_inputs
            if c in cols
        }
        X: dict[str, np.ndarray] = {}
        for c in r.numeric:
            X[c] = nums[c]
        for c in r.log_numeric:
            X["log_" + c] = np.log1p(np.maximum(nums[c], 0.0))
        if r.area:
            X["log_area"] = np.log(nums[r.area])
        for c, mapping in r.ordinal_maps.items():

            def ordinal(v: Any, mapping: dict[str, float] = mapping) -> float:
                m = mapping.get(v) if v is not None and not _nan(v) else None
                return 0.0 if m is None or _nan(m) else float(m)

            X[c + "_n"] = _apply(cols, c, ordinal, float)
        for name, parts in r.sums.items():
            acc: Any = 0
            for p in parts:
                acc = acc + _zero_nan(nums[p])
            X[name] = np.asarray(acc, dtype=float)
            X["log_" + name] = np.log1p(np.maximum(X[name], 0.0))
        for name, weights in r.weighted_sums.items():
            acc = 0
            for c, w in weights.items():
                acc = acc + w * _zero_nan(nums[c])
            X[name] = np.asarray(acc, dtype=float)
        if r.year_built:
            if dates is not None:
                year: Any = dates.astype("datetime64[Y]").astype(np.int64) + 1970
            else:
                year = b.ref_year_
            X["age"] = year - nums[r.year_built]
            if r.year_renovated:
                ren = _zero_nan(nums[r.year_renovated])
                X["since_renovation"] = np.where(ren > 0, year - ren, X["age"])
        if dates is not None and self.t0_ns is not None:
            ns = dates.astype("datetime64[ns]").astype(np.int64)
            days = np.floor_divide(ns - self.t0_ns, DAY_NS).astype(float)
            assert self.span is not None
            X["t_days"] = np.minimum(np.maximum(days, 0.0), self.span)
        if r.lat and r.lon:
            lat, lon = nums[r.lat], nums[r.lon]
            X["lat"], X["lon"] = lat, lon
            for a in (15, 30, 45, 60):
                rad = math.radians(a)
                X[f"rot{a}"] = lat * math.cos(rad) + lon * math.sin(rad)
            X.update(self._local(lat, lon))
        for c in r.target_encode:

            def encoded(v: Any, table: dict[str, float] = self.te[c]) -> float:
                t = _text1(v)
                return table.get(t, self.te_prior) if t is not None else self.te_prior

            X[c + "_te"] = _apply(cols, c, encoded, float)
        for name, factors in r.products.items():
            X[name] = np.prod([X[f].astype(float) for f in factors], axis=0)
        for c in r.categorical:

            def category(v: Any, known: set[str] = self.known[c]) -> str | None:
                t = _text1(v)
                return t if t in known else None

            X[c] = _apply(cols, c, category, object)
        changed = getattr(cols, "changed", None)
        if changed is not None:  # the categorical columns change where their inputs do
            out = VariantColumns(X)
            out.changed = changed
            return out
        return X

    def _local(self, lat: np.ndarray, lon: np.ndarray) -> dict[str, np.ndarray]:
        b = self.builder
        n = len(lat)
        local = {name: np.full(n, np.nan) for name in LOCAL_COLUMNS}
        if b.log_area_ is None:
            del local["local_log_area"]
        ok = ~(np.isnan(lat) | np.isnan(lon))
        if not ok.any() or b.tree_ is None:
            return local
        pts = np.column_stack([lat[ok], lon[ok]])
        names = list(local)
        if len(pts) <= 256:  # a valuation's perturbed rows share one or two places
            seen: dict[tuple[float, float], int] = {}
            inverse = np.array([seen.setdefault((a, b_), len(seen)) for a, b_ in pts.tolist()])
            # per place, kept per process (the typical row's place recurs in every
            # valuation): a place's values do not depend on the other rows
            found = {key: self._places.get(key) for key in seen}
            todo = [key for key, v in found.items() if v is None]
            if todo:
                fresh = self._place_values(np.array(todo, dtype=np.float64), names)
                if len(self._places) > 4096:
                    self._places.clear()
                for key, v in zip(todo, fresh, strict=True):
                    found[key] = self._places[key] = v
            V = np.array([found[key] for key in seen])[inverse.ravel()]
        else:
            V = self._place_values(pts, names)
        for j, name in enumerate(names):
            local[name][ok] = V[:, j]
        return local

    def _place_values(self, pts: np.ndarray, names: list[str]) -> np.ndarray:
        """The local columns (``names``, in order) of places (lat, lon): one row each."""
        b = self.builder
        k = self.recipe.knn_location_k
        wide = min(3 * k, len(b.level_))
        near = min(k, wide)
        assert self.places is not None
        d, idx = self.places.query(np.deg2rad(pts), wide)
        lv = b.level_[idx]
        adj = getattr(b, "adj_", None)
        out = local_stats(lv, d, near, adj[idx] if adj is not None else None)
        if b.log_area_ is not None:
            out["local_log_area"] = b.log_area_[idx[:, :near]].mean(axis=1)
        missing = np.full(len(pts), np.nan)
        return np.column_stack([out.get(name, missing) for name in names])

    def numeric_matrix(self, X: dict[str, np.ndarray], rows: int | None = None) -> np.ndarray:
        """The numeric features, then the dummies (FeatureBuilder.numeric_matrix); only the
        first ``rows`` rows if given."""
        n = len(X[self.columns[0]]) if rows is None else rows
        p = len(self.numeric_cols)
        M = np.empty((n, p + len(self.dummies)))
        for j, c in enumerate(self.numeric_cols):
            M[:, j] = X[c][:n]
        num = M[:, :p]
        missing = np.isnan(num)
        if missing.any():  # fillna(medians) then fillna(0.0)
            np.copyto(num, np.broadcast_to(self.fill, num.shape), where=missing)
        if not self.dummies:
            return M
        D = M[:, p:]
        if not self.dummy_places:  # a value with two dummies: one comparison per dummy
            for j, (c, k) in enumerate(self.dummies):
                D[:, j] = X[c][:n] == k
            return M
        D[:] = 0.0
        changed = getattr(X, "changed", None)
        for c, place in self.dummy_places.items():
            vals = X[c]
            if changed is None:  # (X[c] == k) per dummy: its column by the value
                pos = _loop(vals[:n], lambda v, place=place: place.get(v, -1), np.int64)
                at = pos >= 0
                D[np.flatnonzero(at), pos[at]] = 1.0
                continue
            j0 = place.get(vals[0], -1)  # row 0's value, then the rows that change it
            if j0 >= 0:
                D[:, j0] = 1.0
            for i in changed.get(c, _NONE):
                if i < n:
                    j = place.get(vals[i], -1)
                    if j != j0:
                        if j0 >= 0:
                            D[i, j0] = 0.0
                        if j >= 0:
                            D[i, j] = 1.0
        return M

    def gbm_matrix(self, X: dict[str, np.ndarray]) -> np.ndarray:
        n = len(X[self.columns[0]])
        out = np.empty((n, len(self.gbm_order)), dtype=np.float64)
        for j, i in enumerate(self.gbm_order):
            name = self.columns[i]
            codes = self.gbm_codes.get(i)
            if codes is None:
                out[:, j] = X[name]
            else:
                table: dict[str, float] = codes

                def code(v: Any, codes: dict[str, float] = table) -> float:
                    return codes.get(v, np.nan) if v is not None else np.nan

                out[:, j] = _apply(X, name, code, float)
        return out

    def to_end(self, cols: Columns, dates: np.ndarray | None) -> np.ndarray:
        idx = self.index
        n = len(dates) if dates is not None else len(next(iter(cols.values())))
        if idx is None or dates is None:
            return np.zeros(n)
        region_col = idx.region_col
        if region_col and region_col in cols:

            def region(v: Any) -> str:
                return str(v) if v is not None and not _nan(v) else "nan"

            regions = _apply(cols, region_col, region, object)
        else:
            regions = np.full(n, MARKET_REGION, dtype=object)
        devs = [(regions == code, idx.region_dev_.get(code)) for code in set(regions.tolist())]

        def level(months: np.ndarray) -> np.ndarray:
            mi = np.minimum(np.maximum(months - idx.m0_, 0), idx.m1_ - idx.m0_)
            out = idx.month_[mi].copy()
            q = mi // 3
            for rows, dev in devs:
                if dev is not None:
                    out[rows] += dev[np.minimum(q[rows], len(dev) - 1)]
            return np.asarray(out - idx.offset_, dtype=float)

        end = np.full(n, self.t_end)
        return level(_month(end)) - level(_month(dates.astype("datetime64[D]")))

    # ------------------------------------------------------------------ predicting
    def _knn(
        self, M: np.ndarray, variants: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = self.comps
        Z = (M - c.mean_) / c.scale_
        if variants:  # a valuation's row and its perturbed rows
            d, idx = nearest_variants(self.search, Z * c.weights_, c.k, pool=self.variant_pool)
        else:
            d, idx = self.nearest(Z * c.weights_, c.k)
        return Z, d, idx

    def nearest(self, Q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest training sales (Euclidean, nearest first, ties by index) of each row
        of Q (neighbours.py: candidates from the index, ranked by their exact distances).
        A valuation's perturbed rows often equal the row itself in this space (the typical
        value is the row's own): equal rows are searched once."""
        uniq, inverse = _unique_rows(Q)
        d, idx = self.search.nearest(uniq, k)
        if inverse is None:
            return d, idx
        return d[inverse], idx[inverse]

    def drift(self, at: np.ndarray | None, n: int) -> np.ndarray | float:
        """The lag added to each of n rows' log price (Valuer.drift_log): measured to the
        dates ``at`` (one per row, or one for all); the constant shift without a trend or
        without dates."""
        if not self.slope or at is None or self.t_end is None:
            return self.shift
        days = np.broadcast_to(np.asarray(at, dtype="datetime64[D]"), (n,))
        return drift_at(self.shift, self.slope, self.horizon, days, self.t_end)

    def predict_log_features(
        self, X: dict[str, np.ndarray], to_end: np.ndarray, at: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log prices at the valuation date, and the numeric matrix (for the comparables; in a
        valuation with boosting alone, row 0's only). ``at``: the dates the lag is measured
        to (the rows' sale dates)."""
        out, M, _near = self._predict(X, to_end, at)
        return out, M

    def predict_valuation(
        self, X: dict[str, np.ndarray], to_end: np.ndarray, k: int, at: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A valuation's rows (VariantColumns): log prices, the numeric matrix, and row 0's k
        comparables (distances, indices). Where the model found row 0's nearest sales itself
        (knn, blend) and k is no more than its own k, they are the first k of those: both
        are the exact k nearest by (distance, index), so the same sales. ``at``: the
        valuation's own date (the lag's; the features' date stops at the data end)."""
        out, M, near = self._predict(X, to_end, at)
        if near is not None and k <= near[1].shape[0]:
            return out, M, near[0][None, :k], near[1][None, :k]
        d, idx = self.neighbours(M[:1], k)
        return out, M, d, idx

    def _predict(
        self, X: dict[str, np.ndarray], to_end: np.ndarray, at: Any = None
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        c = self.comps
        near = None
        variants = isinstance(X, VariantColumns)
        # boosting alone reads the numeric matrix only for row 0's comparables
        only_first = variants and self.kind == "gbm" and not self.blend
        M = self.numeric_matrix(X, 1 if only_first else None)
        if self.kind in ("gbm", "blend"):
            assert self.forest is not None
            G = self.gbm_matrix(X)
            # a valuation (its row and the perturbed rows) or a batch
            gbm = self.forest.predict_variants(G) if variants else self.forest.predict(G)
            if self.per_area:  # the trees learnt the log price per area
                gbm = gbm + X["log_area"]
        if self.kind == "gbm":
            out = gbm
            if self.blend:
                hedonic = _linear(c.ridge_, (M - c.mean_) / c.scale_)
                out = (1 - self.blend) * out + self.blend * hedonic
        elif self.kind == "ridge":
            out = _linear(c.ridge_, (M - c.mean_) / c.scale_)
        else:
            Z, d, idx = self._knn(M, variants)
            near = (d[0], idx[0]) if len(d) else None
            adjusted = c.y_[idx] + (Z @ c.beta_)[:, None] - c.base_[idx]
            w = 1.0 / (d + 1e-3)
            knn = (adjusted * w).sum(axis=1) / w.sum(axis=1)
            if self.kind == "knn":
                out = knn
            else:
                hedonic = _linear(c.ridge_, Z)
                w = self.blend_weights
                out = w[0] * gbm + w[1] * hedonic + w[2] * knn
        drift = self.drift(at, len(to_end))
        return np.asarray(out - to_end + drift, dtype=float), M, near

    def bounds(self, X: dict[str, np.ndarray], pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log bounds of the first ``len(pred)`` rows of X."""
        iv = self.interval
        assert iv is not None
        if getattr(iv, "scale_model_", None) is None:
            s = np.ones(len(pred))
        else:
            n = len(pred)
            M = np.empty((n, len(self.iv_cols)))
            for col, j in enumerate(self.iv_cols):
                M[:, col] = X[self.columns[j]][:n] if j >= 0 else np.nan
            M = np.where(np.isnan(M), iv.f_mean_, M)
            F = np.column_stack([(M - iv.f_mean_) / iv.f_sd_, pred, *iv._ends(pred)])
            s = np.minimum(np.maximum(np.exp(_linear(iv.scale_model_, F)), iv.s_lo_), iv.s_hi_)
        return iv.combine(pred, s)

    def predict(self, cols: Columns, dates: np.ndarray | None) -> np.ndarray:
        X = self.features(cols, dates)
        return self.predict_log_features(X, self.to_end(cols, dates), dates)[0]

    def neighbours(self, M: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        c = self.comps
        Z = (M - c.mean_) / c.scale_
        return self.nearest(Z * c.weights_, k)


def _linear(model: Any, X: np.ndarray) -> np.ndarray:
    """A fitted linear model's predict without its input checks (X is float64 already)."""
    return np.asarray(X @ model.coef_ + model.intercept_, dtype=float)


def _unique_rows(A: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A valuation's rows without repeats (each row's result depends on that row alone, so
    computing it once per distinct row changes nothing) and the map back; batches (more than
    512 rows) are left as they are."""
    if len(A) > 512 or len(A) < 3:
        return A, None
    A = np.ascontiguousarray(A, dtype=np.float64)
    # bitwise equal rows (NaN, a missing value, equals itself here)
    _u, first, inverse = np.unique(A.view(np.int64), axis=0, return_index=True, return_inverse=True)
    if len(first) == len(A):
        return A, None
    return np.ascontiguousarray(A[first]), inverse.reshape(-1)


def _zero_nan(x: np.ndarray) -> np.ndarray:
    """np.nan_to_num(x, nan=0.0) without its wrapper's cost when x holds no infinity."""
    if np.isinf(x).any():
        return np.asarray(np.nan_to_num(x, nan=0.0))
    return np.where(np.isnan(x), 0.0, x)


def _nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _missing_none(v: Any) -> Any:
    return None if v is None or _nan(v) else v


def _objects(values: list[Any]) -> np.ndarray:
    """An object array of the values as they are (np.array would turn a list of tuples, or
    of numbers, into something else)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def columns_of_rows(rows: list[dict[str, Any]], names: list[str]) -> Columns:
    """Rows (dicts) → one object array per column (missing: None)."""
    out: Columns = {}
    for name in names:
        arr = np.empty(len(rows), dtype=object)
        for i, row in enumerate(rows):
            v = row.get(name)
            arr[i] = None if v is None or _nan(v) else v
        out[name] = arr
    return out
