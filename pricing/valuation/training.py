"""Train, evaluate, store and activate a valuation model (``manage.py valuation_train``).

The hold-out is time-ordered wherever the data has sale dates (train on earlier sales, test
on later ones) and random only where it has none; the result says which. The interval is
split-conformal: residuals of a model fitted on the earlier part of the training rows,
measured on the latest part, give the quantile; the stored model is then fitted on all
training rows, and its coverage is measured on the hold-out it never saw.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import clock
from core.audit import audit_record
from core.types import Actor
from pricing.valuation.engine import (
    BASELINE,
    CANDIDATES,
    COMPARABLES_MAX,
    ENGINE_VERSION,
    METHODS,
    BlendValuer,
    GBMValuer,
    Recipe,
    Valuer,
    metrics,
    months_after,
    select_candidate,
    shared_transforms,
    time_folds,
    typical_row,
)
from pricing.valuation.errors import ValuationError
from pricing.valuation.intervals import PRICE_BIN_MIN_ROWS, LocalInterval, conformal_quantile

MIN_ROWS = 50
MAX_PRICE_UNITS = 1e12  # above this a "price" is a data error whatever the currency
STREAM = "system:pricing-models"


def library_versions() -> dict[str, str]:
    import numpy
    import pandas
    import sklearn

    return {
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "joblib": joblib.__version__,
        "engine": str(ENGINE_VERSION),
    }


def model_dir() -> Path:
    from django.conf import settings

    path = Path(settings.GAVEL_MODEL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------- loading a table
ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then GBK / GB18030
# Plausible price per unit of area, by (currency, area unit): outside it, the declared unit is
# wrong (a price in 10,000 yuan, or a price per m² mapped onto ``price``).
PRICE_PER_AREA = {
    ("CNY", "m2"): (300.0, 500_000.0),
    ("USD", "sqft"): (10.0, 5_000.0),
    ("USD", "m2"): (100.0, 50_000.0),
    ("EUR", "m2"): (100.0, 50_000.0),
}
MAX_DROPPED_SHARE = 0.5  # more junk than this: the file is wrong, not a few rows
DEFAULT_YEARS_BACK = 15  # sales older than this before the latest one are dropped by default


def read_table(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """Read CSV (UTF-8 or GBK/GB18030, detected; or the mapping's ``encoding``) or parquet."""
    path = Path(path)
    if not path.exists():
        raise ValuationError("data_missing", _("找不到数据文件：%(path)s") % {"path": path})
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith(".parquet"):
        return pd.read_parquet(path)
    if not suffixes.endswith((".csv", ".csv.gz")):
        raise ValuationError("data_format", _("数据文件须为 CSV 或 parquet"))
    tried = (encoding,) if encoding else ENCODINGS
    for enc in tried:
        try:
            df = pd.read_csv(path, encoding=enc, dtype_backend="numpy_nullable")
        except (UnicodeDecodeError, LookupError):
            continue
        df.attrs["encoding"] = enc
        return df
    raise ValuationError(
        "data_encoding",
        _("数据文件的编码无法识别（已尝试 %(tried)s）；请另存为 UTF-8，或在列映射中写明 encoding")
        % {"tried": "、".join(tried)},
    )


@dataclass
class Cleaning:
    """What cleaning dropped and why: shown after training and stored with the model."""

    rows_in: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    encoding: str = ""

    def drop(self, reason: str, mask: pd.Series) -> None:
        n = int(mask.sum())
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + n
            self.examples[reason] = [int(i) + 2 for i in mask[mask].index[:5]]  # file line numbers

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
            "examples": {k: list(v) for k, v in self.examples.items()},
            "notes": list(self.notes),
            "encoding": self.encoding,
        }

    def text(self) -> str:
        if not self.dropped:
            return str(_("清洗：%(n)s 行全部保留") % {"n": self.rows_in})
        parts = "；".join(
            str(
                _("%(reason)s %(n)s 行（如第 %(lines)s 行）")
                % {
                    "reason": _(DROP_REASONS[k]) if k in DROP_REASONS else k,
                    "n": n,
                    "lines": "、".join(map(str, self.examples[k])),
                }
            )
            for k, n in self.dropped.items()
        )
        return str(
            _("清洗：%(kept)s / %(n)s 行保留，剔除 %(parts)s")
            % {"kept": self.rows_kept, "n": self.rows_in, "parts": parts}
        )


DROP_REASONS = {
    "price_not_numeric": gettext_noop("成交价为空或非数字（如 #NAME?）"),
    "price_under_one_unit": gettext_noop("成交价不足一个计价单位"),
    "price_absurd": gettext_noop("成交价高得不合理（超过 10^12）"),
    "date_unreadable": gettext_noop("成交日期无法识别"),
    "date_out_of_range": gettext_noop("成交日期超出范围"),
    "feature_not_numeric": gettext_noop("数值特征非数字（如 #NAME?）"),
    "area_not_positive": gettext_noop("面积不大于零"),
}


def _check_mapping(raw: pd.DataFrame, spec: dict[str, Any]) -> dict[str, str]:
    mapping: dict[str, str] = spec.get("columns", {})
    if not isinstance(mapping, dict):
        raise ValuationError("mapping_invalid", _("列映射中的 columns 须为“源列: 标准列”的对象"))
    missing_src = [src for src in mapping if src not in raw.columns]
    if missing_src:
        raise ValuationError(
            "columns_missing",
            _("数据缺少列映射中的列：%(cols)s") % {"cols": "、".join(map(str, missing_src))},
        )
    targets: dict[str, list[str]] = {}
    for src, dst in mapping.items():
        targets.setdefault(dst, []).append(src)
    twice = {dst: srcs for dst, srcs in targets.items() if len(srcs) > 1}
    if twice:
        dst, srcs = next(iter(twice.items()))
        raise ValuationError(
            "mapping_collision",
            _("列映射把 %(srcs)s 都映射为 %(dst)s：每个标准列只能来自一列")
            % {"srcs": "、".join(srcs), "dst": dst},
        )
    kept = [c for c in raw.columns if c not in mapping]
    clash = [dst for dst in targets if dst in kept]
    if clash:
        dst = clash[0]
        raise ValuationError(
            "mapping_collision",
            _(
                "列映射把 %(src)s 映射为 %(dst)s，但数据中已有名为 %(dst)s 的列：请把原有的 "
                "%(dst)s 列也写进映射（映射为其他名称），以免两列同名、训练用错列"
            )
            % {"src": targets[dst][0], "dst": dst},
        )
    return mapping


def clean_table(raw: pd.DataFrame, spec: dict[str, Any]) -> tuple[pd.DataFrame, Cleaning]:
    """Rename by the mapping, derive ``sale_date``, convert the price unit, drop junk rows
    (with the reason, counted), check units and what training needs."""
    report = Cleaning(rows_in=len(raw), encoding=str(raw.attrs.get("encoding", "")))
    mapping = _check_mapping(raw, spec)
    df = raw.rename(columns=mapping).copy()
    df.index = pd.RangeIndex(len(df))
    if "price" not in df.columns:
        raise ValuationError("price_missing", _("列映射中须有成交价列（price）"))
    recipe = Recipe(**spec["recipe"])
    date_from = spec.get("date_from")
    if date_from:
        df["sale_date"] = pd.to_datetime(
            {
                "year": pd.to_numeric(df[date_from["year"]], errors="coerce"),
                "month": pd.to_numeric(df[date_from["month"]], errors="coerce"),
                "day": 15,
            },
            errors="coerce",
        )
    keep = pd.Series(True, index=df.index)
    price = pd.to_numeric(df["price"].astype("object"), errors="coerce").astype(float)
    report.drop("price_not_numeric", price.isna())
    keep &= price.notna()
    # price_unit: currency units per unit of the price column (10000 for 万元)
    try:
        unit = float(spec.get("price_unit", 1))
    except (TypeError, ValueError):
        unit = 0.0
    if not unit > 0:
        raise ValuationError("price_unit_invalid", _("列映射中的 price_unit 须为正数"))
    under = keep & (price < 1)
    report.drop("price_under_one_unit", under)
    keep &= ~under
    price = price * unit
    absurd = keep & (price > MAX_PRICE_UNITS)
    report.drop("price_absurd", absurd)
    keep &= ~absurd
    if "sale_date" in df.columns:
        dates = pd.to_datetime(df["sale_date"].astype("object"), errors="coerce")
        unread = keep & dates.isna()
        report.drop("date_unreadable", unread)
        keep &= ~unread
        rng = spec.get("dates") or {}
        latest = min(dates[keep].max(), pd.Timestamp(clock.now().date()))
        lo = (
            pd.Timestamp(rng["min"])
            if rng.get("min")
            else latest - pd.DateOffset(years=DEFAULT_YEARS_BACK)
        )
        hi = pd.Timestamp(rng["max"]) if rng.get("max") else pd.Timestamp(clock.now().date())
        out = keep & ((dates < lo) | (dates > hi))
        report.drop("date_out_of_range", out)
        keep &= ~out
        report.notes.append(f"{lo:%Y-%m-%d} – {hi:%Y-%m-%d}")
        df["sale_date"] = dates
    numeric = [
        c
        for c in [
            *recipe.numeric,
            *recipe.log_numeric,
            recipe.area,
            recipe.lat,
            recipe.lon,
            recipe.year_built,
            recipe.year_renovated,
        ]
        if c and c in df.columns
    ]
    for c in dict.fromkeys(numeric):
        col = df[c].astype("object")
        values = pd.to_numeric(col, errors="coerce").astype(float)
        text = col.notna() & values.isna()  # something was there, and it is not a number
        if c in recipe.required():
            report.drop("feature_not_numeric", keep & text)
            keep &= ~text
        df[c] = values
    if recipe.area and recipe.area in df.columns:
        bad_area = keep & ~(df[recipe.area] > 0)
        report.drop("area_not_positive", bad_area)
        keep &= ~bad_area
    df["price"] = price
    absent = [c for c in recipe.inputs() if c not in df.columns]
    if absent:
        raise ValuationError(
            "features_missing", _("数据缺少特征列：%(cols)s") % {"cols": "、".join(absent)}
        )
    n_dropped = int((~keep).sum())
    if len(df) and n_dropped > MAX_DROPPED_SHARE * len(df):
        raise ValuationError(
            "too_many_dropped",
            _("清洗将剔除 %(n)s / %(total)s 行，超过一半：请检查列映射与数据。%(report)s")
            % {"n": n_dropped, "total": len(df), "report": report.text()},
        )
    df = df[keep].reset_index(drop=True)
    report.rows_kept = len(df)
    for c in recipe.required():
        if df[c].isna().all():
            raise ValuationError("features_empty", _("特征列 %(col)s 全部为空") % {"col": c})
    if len(df) < MIN_ROWS:
        raise ValuationError(
            "too_few_rows",
            _("样本过少（%(n)s 行，至少 %(min)s 行）") % {"n": len(df), "min": MIN_ROWS},
        )
    _check_units(df, spec, recipe)
    cols = [
        *dict.fromkeys(
            [*recipe.inputs(), "price", *(["sale_date"] if "sale_date" in df.columns else [])]
        )
    ]
    return df[cols].reset_index(drop=True), report


def _check_units(df: pd.DataFrame, spec: dict[str, Any], recipe: Recipe) -> None:
    """The declared currency and units must give plausible prices per unit of area."""
    if not recipe.area:
        return
    key = (str(spec.get("currency", "")), str(spec.get("area_unit", "")))
    bounds = spec.get("price_per_area_range") or PRICE_PER_AREA.get(key)
    if not bounds:
        return
    lo, hi = float(bounds[0]), float(bounds[1])
    median = float((df["price"] / df[recipe.area]).median())
    if not lo <= median <= hi:
        raise ValuationError(
            "price_unit_suspect",
            _(
                "按声明的单位，单位面积成交价中位数为 %(median)s %(currency)s/%(area)s，"
                "不在合理范围 %(lo)s–%(hi)s 之内：价格是否以万元计（写 price_unit: 10000）、"
                "或映射成了单价？请核对列映射中的 price、price_unit、currency 与 area_unit"
            )
            % {
                "median": f"{median:,.2f}",
                "currency": key[0],
                "area": key[1],
                "lo": f"{lo:,.0f}",
                "hi": f"{hi:,.0f}",
            },
        )


def canonical_table(raw: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """``clean_table`` without its report."""
    return clean_table(raw, spec)[0]


def fingerprint(df: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update("|".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- splitting
@dataclass
class Split:
    kind: str  # time | random
    note: str
    train: pd.DataFrame
    test: pd.DataFrame
    proper: pd.DataFrame
    calibration: pd.DataFrame
    cutoff: str = ""


def split_table(
    df: pd.DataFrame,
    *,
    how: str = "auto",
    split_date: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    fold: tuple[int, int] | None = None,
) -> Split:
    """Train and hold-out. ``fold`` = (k, K), random splits only: the hold-out is the k-th
    of K equal folds of the seeded permutation (a cross-validation's k-th round; the bench's
    pooled evaluation of a table without dates)."""
    has_dates = "sale_date" in df.columns
    if how == "auto":
        how = "time" if has_dates else "random"
    if how == "time":
        if not has_dates:
            raise ValuationError("no_dates", _("数据没有成交日期，不能按时间划分"))
        df = df.sort_values("sale_date", kind="stable").reset_index(drop=True)
        cutoff = (
            pd.Timestamp(split_date) if split_date else df["sale_date"].quantile(1 - test_fraction)
        )
        train, test = df[df["sale_date"] < cutoff], df[df["sale_date"] >= cutoff]
        n_cal = max(1, int(len(train) * 0.2))
        proper, cal = train.iloc[:-n_cal], train.iloc[-n_cal:]
        note = f"按时间划分：{cutoff:%Y-%m-%d} 之前的成交用于训练，之后的 {len(test)} 笔用于检验"
        out = Split("time", note, train, test, proper, cal, cutoff=f"{cutoff:%Y-%m-%d}")
    elif how == "random":
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(df))
        if fold is not None:
            k, n_folds = fold
            at = (np.arange(len(df)) * n_folds) // len(df) == k  # positions in the permutation
            order = np.concatenate([order[at], order[~at]])
            n_test = int(at.sum())
        else:
            n_test = max(1, round(len(df) * test_fraction))
        test, train = df.iloc[order[:n_test]], df.iloc[order[n_test:]]
        n_cal = max(1, int(len(train) * 0.2))
        proper, cal = train.iloc[:-n_cal], train.iloc[-n_cal:]
        why = "数据没有成交日期" if not has_dates else "仅供与已发表结果比较"
        note = f"随机划分（{why}）：{len(train)} 笔训练，{len(test)} 笔检验"
        out = Split("random", note, train, test, proper, cal)
    else:
        raise ValuationError("bad_split", _("划分方式只能为 auto、time 或 random"))
    if len(out.test) < 5 or len(out.proper) < 20:
        raise ValuationError("too_few_rows", _("划分后训练或检验样本过少"))
    return out


# ----------------------------------------------------------------------------- fitting
def drift_shift(resid: np.ndarray) -> tuple[float, dict[str, Any]]:
    """The model's lag behind the market, from its log residuals on the most recent period
    (a model fitted on the earlier sales; rows in time order). Prices keep moving after the
    data end, and a model trained up to it values the next months too low in a rising market
    (King County: +2.6 % median residual in the validation period). The shift is the median
    residual; it is adopted only if it held inside that period: the median of the earlier
    half, added to the predictions of the later half, lowers their median absolute
    percentage error. Never measured on the final hold-out."""
    r = np.asarray(resid, dtype=float)
    h = len(r) // 2
    if h < 20:
        return 0.0, {"shift": 0.0, "adopted": False, "why": "too few validation rows"}
    early = float(np.median(r[:h]))
    late = r[h:]
    before = float(np.median(np.abs(np.exp(-late) - 1)))
    after = float(np.median(np.abs(np.exp(early - late) - 1)))
    adopted = after < before
    shift = float(np.median(r)) if adopted else 0.0
    return shift, {
        "shift": shift,
        "adopted": adopted,
        "median_residual": float(np.median(r)),
        "later_half_mdape": {"without": before, "with_earlier_half_shift": after},
    }


def median_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The least-absolute-deviations line ``y ≈ a + b·x`` (median regression): for a slope b
    the best intercept is the median of ``y − b·x``, and the total absolute deviation is
    convex in b, so a golden-section search finds it (deterministic, O(n) per step)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) == 0:
        return 0.0, 0.0
    if float(np.ptp(x)) < 1e-9:  # one point in time: no slope to measure
        return float(np.median(y)), 0.0

    def loss(b: float) -> float:
        e = y - b * x
        return float(np.abs(e - np.median(e)).sum())

    lo, hi = -TREND_SLOPE_MAX, TREND_SLOPE_MAX
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = loss(c), loss(d)
    for _step in range(64):
        if fc <= fd:
            hi, d, fd = d, c, fc
            c = hi - g * (hi - lo)
            fc = loss(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + g * (hi - lo)
            fd = loss(d)
    b = (lo + hi) / 2.0
    return float(np.median(y - b * x)), float(b)


TREND_SLOPE_MAX = 0.5  # log price per month searched (±65 % a month: far beyond any market)
TREND_MIN_MONTHS = 1.0  # a validation period shorter than this after the data end shows no trend


def _mdape_of(resid: np.ndarray) -> float:
    """MdAPE of predictions whose log residuals (actual − predicted) are ``resid``."""
    return float(np.median(np.abs(np.exp(-np.asarray(resid, dtype=float)) - 1)))


def drift_trend(
    resid: np.ndarray, months: np.ndarray | None
) -> tuple[float, float, float, dict[str, Any]]:
    """The model's lag as a trend: ``intercept + slope · m``, m the months since the data end
    of the model fitted on the earlier sales (``months``, one per validation row, rows in
    time order), extrapolated no further than ``horizon`` (the validation period's length
    after that data end; flat beyond). Returns (shift, slope, horizon, what was measured).

    The lag grows with the time since the data end (King County, the median residual by
    month of the validation period: +0.9 %, +1.7 %, +3.9 %), which one constant shift
    cannot follow. The trend is a
    median regression of the residuals on the months; it is adopted only if it held inside
    the period: the line of the earlier half, extended over the later half (up to the same
    horizon), lowers the later half's MdAPE below both no shift and the earlier half's
    constant shift (``drift_shift``). Otherwise the constant shift as ``drift_shift`` decides
    (slope 0). Never measured on the final hold-out."""
    shift, info = drift_shift(resid)
    info = {**info, "kind": "constant" if info.get("adopted") else "none"}
    info.update({"slope_per_month": 0.0, "horizon_months": 0.0})
    r = np.asarray(resid, dtype=float)
    h = len(r) // 2
    if months is None or h < 20:
        info["trend"] = {"adopted": False, "why": "no dates" if months is None else "too few rows"}
        return shift, 0.0, 0.0, info
    m = np.asarray(months, dtype=float)
    horizon = float(max(m.max(), 0.0))
    if horizon < TREND_MIN_MONTHS:
        info["trend"] = {"adopted": False, "why": "validation period too short"}
        return shift, 0.0, 0.0, info
    a_early, b_early = median_line(m[:h], r[:h])
    late, m_late = r[h:], np.clip(m[h:], 0.0, horizon)
    without = _mdape_of(late)
    constant = _mdape_of(late - float(np.median(r[:h])))
    with_trend = _mdape_of(late - (a_early + b_early * m_late))
    adopted = with_trend < min(without, constant)
    a, b = median_line(np.clip(m, 0.0, horizon), r)
    info["trend"] = {
        "adopted": adopted,
        "intercept": a,
        "slope_per_month": b,
        "horizon_months": horizon,
        "earlier_half": {"intercept": a_early, "slope_per_month": b_early},
        "later_half_mdape": {
            "without": without,
            "with_earlier_half_shift": constant,
            "with_earlier_half_trend": with_trend,
        },
    }
    if not adopted:
        return shift, 0.0, 0.0, info
    info.update({"kind": "trend", "shift": a, "slope_per_month": b, "horizon_months": horizon})
    return a, b, horizon, info


def set_drift(valuer: Valuer, drift: tuple[float, float, float, dict[str, Any]]) -> None:
    """Give a valuer the lag measured for it (drift_trend)."""
    valuer.shift_, valuer.slope_, valuer.horizon_ = drift[0], drift[1], drift[2]


PER_AREA_MAX_ROWS = 50_000  # earlier training rows up to which the trees' target is chosen
# (one more boosting fit; on larger tables the trees keep learning the price, so training on
# 300,000 rows costs what it did)


BLEND_STEP = 0.05  # the weights' grid on the simplex (231 triples)
BLEND_MAX_ROWS = 20_000  # validation rows the weights are chosen on (evenly spaced beyond)


def blend_weights(
    parts: np.ndarray, y_log: np.ndarray, step: float = BLEND_STEP
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The blend's weights of its parts (rows of ``parts``: the trees', the hedonic model's
    and the comparables' log values of the validation sales, in time order), on a grid of
    the simplex: the triple with the lowest median absolute percentage error on the whole
    period. Returns it, the period's predictions each half of the period valued with the
    weights chosen on the other half (what selection compares, so the blend is not judged
    on the sales its weights were fitted to), and a record of the three choices."""
    k = round(1 / step)
    grid = np.array(
        [(i / k, j / k, (k - i - j) / k) for i in range(k + 1) for j in range(k + 1 - i)]
    )
    y = np.asarray(y_log, dtype=float)
    n = len(y)

    def best(rows: np.ndarray) -> np.ndarray:
        if len(rows) > BLEND_MAX_ROWS:
            rows = rows[np.linspace(0, len(rows) - 1, BLEND_MAX_ROWS).astype(int)]
        ape = np.abs(np.expm1(grid @ parts[:, rows] - y[rows]))
        return np.asarray(grid[int(np.argmin(np.median(ape, axis=1)))], dtype=float)

    thirds = np.full(len(parts), 1 / len(parts))
    h = n // 2
    if h < 20:  # too few sales to choose on: a third each
        return thirds, thirds @ parts, {"weights": thirds.tolist(), "chosen_on": "none"}
    first, second = np.arange(h), np.arange(h, n)
    w_first, w_second = best(first), best(second)
    honest = np.empty(n)
    honest[second] = w_first @ parts[:, second]
    honest[first] = w_second @ parts[:, first]
    w = best(np.arange(n))
    return (
        w,
        honest,
        {
            "weights": w.tolist(),
            "earlier_half": w_first.tolist(),
            "later_half": w_second.tolist(),
            "parts": ["gbm", "ridge", "knn"],
        },
    )


def _like(pool: list[Valuer], per_area: bool) -> Valuer | None:
    """The fitted valuer to share features, comparables and trees with: one boosting on the
    same target if any, else any boosting, else the first."""
    gbms = [v for v in pool if isinstance(v, GBMValuer)]
    same = [v for v in gbms if getattr(v, "per_area_", False) == per_area]
    return (same or gbms or pool or [None])[0]


# Below this many rows in the latest period's later half (too few for two bins of the
# actual price of PRICE_BIN_MIN_ROWS each: one pair of quantiles for every price), the
# interval is calibrated on cross-fitted residuals instead (cross_fit_parts).
CROSS_FIT_BELOW = 2 * PRICE_BIN_MIN_ROWS
CROSS_FIT_FOLDS = 10


def cross_fit_parts(
    cls: type[Valuer],
    recipe: Recipe,
    params: dict[str, Any],
    train: pd.DataFrame,
    drift: tuple[float, float, float, dict[str, Any]] | None = None,
) -> list[tuple[Valuer, pd.DataFrame, np.ndarray]]:
    """Out-of-sample residuals for the interval where the latest period is too short: the
    training rows in CROSS_FIT_FOLDS folds, each valued by the method fitted without it.

    - Dated rows: folds are consecutive blocks of time, and each fold of the later half is
      valued by the method fitted on the folds before it only (rolling origin, as a model
      in use values sales after its data end: with the lag and the extrapolation in time
      that a backward fold would not show). Half the training rows give a residual.
    - Undated rows (sales exchangeable): every fold valued by the method fitted on the
      other folds (cross-conformal, CV+ style); every row gives a residual.
    The fold models carry the final model's lag behind the market (``drift``: shift, and
    slope after each fold model's own data end; drift_trend), so the residuals are
    measured from where the final model's values land."""
    parts = []
    folds = time_folds(train, CROSS_FIT_FOLDS)
    dated = "sale_date" in train.columns
    n_folds = int(folds.max()) + 1
    for f in range(n_folds):
        if dated and f < n_folds // 2:
            continue
        rest = train[folds < f] if dated else train[folds != f]
        rows = train[folds == f]
        if rest.empty or rows.empty:
            continue
        v = cls(recipe, params).fit(rest, np.log(rest["price"].to_numpy()))
        if drift is not None:
            set_drift(v, drift)
        v.forget_training_rows()
        parts.append((v, rows, np.log(rows["price"].to_numpy())))
    return parts


@dataclass
class Fitted:
    valuer: Valuer
    q: float
    level: float
    metrics: dict[str, Any]
    split: Split
    steps: list[str] = field(default_factory=list)


def fit_and_evaluate(df: pd.DataFrame, spec: dict[str, Any], **kwargs: Any) -> Fitted:
    """Split, fit every candidate, select, calibrate and evaluate; each frame's features are
    computed once per model across the candidates (engine.shared_transforms)."""
    with shared_transforms():
        return _fit_and_evaluate(df, spec, **kwargs)


def _fit_and_evaluate(
    df: pd.DataFrame,
    spec: dict[str, Any],
    *,
    method: str,
    level: float = 0.8,
    how: str = "auto",
    split_date: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    fold: tuple[int, int] | None = None,
    params: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    report_candidates: bool = False,
) -> Fitted:
    if method not in METHODS:
        raise ValuationError(
            "unknown_method",
            _("未知的估价方法：%(method)s（可选 %(methods)s）")
            % {"method": method, "methods": ", ".join(METHODS)},
        )
    if not 0.5 <= level < 1:
        raise ValuationError("bad_level", _("预测区间水平须在 0.5 与 1 之间"))
    tick = progress or (lambda _msg: None)
    recipe = Recipe(**spec["recipe"])
    split = split_table(
        df,
        how=how,
        split_date=split_date or spec.get("split_date"),
        test_fraction=test_fraction,
        seed=seed,
        fold=fold,
    )
    tick("划分数据")
    params = {**(spec.get("params") or {}).get(method, {}), **(params or {})}
    y_proper = np.log(split.proper["price"].to_numpy())
    y_cal = np.log(split.calibration["price"].to_numpy())
    # Selection on a rolling time split: candidates fitted on the earlier training sales,
    # compared on the most recent ones (the calibration period); the final hold-out is only
    # reported. The model in use never loses there to the index-adjusted comparables.
    names = list(dict.fromkeys([BASELINE, *CANDIDATES.get(method, [method])]))
    cand_params = {name: (params if name in (method, "blend") else {}) for name in names}
    fitted_on_proper: dict[str, Valuer] = {}
    validation: dict[str, dict[str, Any]] = {}
    shifts: dict[str, tuple[float, float, float, dict[str, Any]]] = {}
    pool: list[Valuer] = []  # every valuer fitted on split.proper (to share what is the same)
    y_cal_price = split.calibration["price"].to_numpy()
    months = None
    # The trees' target, price or price per area (单价), chosen per candidate on the
    # validation period where the extra boosting fit is cheap (see PER_AREA_MAX_ROWS).
    choose_area = (
        bool(recipe.area)
        and recipe.area not in recipe.optional
        and "per_area" not in params
        and len(split.proper) <= PER_AREA_MAX_ROWS
    )
    targets: dict[str, dict[str, Any]] = {}
    blend: dict[str, Any] = {}
    for name in names:
        p = cand_params[name]
        # what is the same across candidates (features, comparables, trees) is fitted once
        v = METHODS[name](recipe, p).fit(split.proper, y_proper, like=_like(pool, False))
        pool.append(v)
        pred_cal = v.predict_log(split.calibration)
        if months is None and split.kind == "time":
            end = np.datetime64(v.builder_.t_max_, "D")
            months = months_after(split.calibration["sale_date"].to_numpy(), end)
        if choose_area and isinstance(v, GBMValuer):
            w = METHODS[name](recipe, {**p, "per_area": True})
            w.fit(split.proper, y_proper, like=_like(pool, True))
            pool.append(w)
            pred_w = w.predict_log(split.calibration)
            by_price = metrics(y_cal_price, np.exp(pred_cal))["median_ape"]
            by_area = metrics(y_cal_price, np.exp(pred_w))["median_ape"]
            per_area = by_area < by_price
            targets[name] = {"price": by_price, "per_area": by_area, "chosen": per_area}
            if per_area:
                v, pred_cal, cand_params[name] = w, pred_w, {**p, "per_area": True}
        if isinstance(v, BlendValuer):
            # the parts' weights, chosen on the validation period; the blend's validation
            # figures from each half valued with the weights chosen on the other half
            parts = v.components_log(split.calibration) - v.builder_.to_end(split.calibration)
            weights, pred_cal, blend = blend_weights(parts, y_cal)
            cand_params[name] = v.params = {**cand_params[name], "weights": weights.tolist()}
        fitted_on_proper[name] = v
        validation[name] = metrics(y_cal_price, np.exp(pred_cal))
        shifts[name] = drift_trend(y_cal - pred_cal, months)
        tick(f"验证 {name}")
    chosen, why = select_candidate(
        {k: v["median_ape"] for k, v in validation.items()}, baseline=BASELINE
    )
    refused = chosen is None
    if chosen is None:  # every candidate loses to the baseline: fit the best, never use it
        others = [k for k in validation if k != BASELINE] or [BASELINE]
        chosen = min(others, key=lambda k: validation[k]["median_ape"])
    cal_model = fitted_on_proper[chosen]
    drift = shifts[chosen][3]
    set_drift(cal_model, shifts[chosen])  # the interval is calibrated around the shifted prediction
    if len(split.calibration) // 2 < CROSS_FIT_BELOW:
        # the latest period's later half is too short for two bins of the actual price
        parts = cross_fit_parts(
            METHODS[chosen], recipe, cand_params[chosen], split.train, shifts[chosen]
        )
        interval = LocalInterval().fit_parts(parts, level)
        calibration = "cross-fitted"
    else:
        interval = LocalInterval().fit(cal_model, split.calibration, y_cal, level)
        calibration = "latest period"
    resid = y_cal - cal_model.predict_log(split.calibration)
    q = conformal_quantile(resid, level)
    tick("计算共形区间")
    cls = METHODS[chosen]
    model = cls(recipe, cand_params[chosen]).fit(
        split.train, np.log(split.train["price"].to_numpy())
    )
    model.forget_training_rows()
    model.interval_ = interval
    set_drift(model, shifts[chosen])
    tick("拟合最终模型")
    pred_log = model.predict_log(split.test)
    lo, hi = interval.bounds(model, split.test, pred_log)
    m: dict[str, Any] = metrics(
        split.test["price"].to_numpy(), np.exp(pred_log), low=np.exp(lo), high=np.exp(hi)
    )
    holdout: dict[str, Any] = {chosen: {k: m[k] for k in ("median_ape", "within_10", "rmsle")}}
    if report_candidates:  # the bench: every candidate on the final hold-out, reported only
        for name in names:
            if name == chosen:
                continue
            other = METHODS[name](recipe, cand_params[name]).fit(
                split.train, np.log(split.train["price"].to_numpy())
            )
            set_drift(other, shifts[name])  # each candidate with its own measured lag
            om = metrics(split.test["price"].to_numpy(), np.exp(other.predict_log(split.test)))
            holdout[name] = {k: om[k] for k in ("median_ape", "within_10", "rmsle")}
    m.update(
        {
            "split": split.kind,
            "split_note": split.note,
            "cutoff": split.cutoff,
            "n_train": len(split.train),
            "n_calibration": len(split.calibration),
            "level": level,
            "q_log": q,
            "interval": "locally weighted split conformal, Mondrian by the actual price",
            "interval_calibration": calibration,
            "drift": drift,
            "per_area": bool(getattr(model, "per_area_", False)),
            "selection": {
                "baseline": BASELINE,
                "chosen": chosen,
                "refused": refused,
                "why": why,
                "target": targets,
                "blend_weights": blend,
                "validation": {
                    k: {kk: v[kk] for kk in ("median_ape", "within_10", "rmsle", "n")}
                    for k, v in validation.items()
                },
                "validation_period": (
                    f"{split.calibration['sale_date'].min():%Y-%m-%d} – "
                    f"{split.calibration['sale_date'].max():%Y-%m-%d}"
                    if "sale_date" in split.calibration.columns
                    else "random"
                ),
                "holdout": holdout,
            },
        }
    )
    tick("在检验集上评估")
    return Fitted(valuer=model, q=q, level=level, metrics=m, split=split)


def comparable_table(df: pd.DataFrame, recipe: Recipe) -> pd.DataFrame:
    """The comparable sales' records: the rows of engine.Comparables' pool (the most recent
    COMPARABLES_MAX training sales)."""
    cols = [c for c in recipe.inputs() if c in df.columns] + ["price"]
    if "sale_date" in df.columns:
        cols.append("sale_date")
    return df[cols].iloc[-COMPARABLES_MAX:].reset_index(drop=True)


# ----------------------------------------------------------------------------- storing
@dataclass
class TrainResult:
    model: Any  # ValuationModel
    activated: bool
    message: str
    compared_with: dict[str, Any] | None = None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _active_score_on(active: Any, fitted: Fitted, currency: str) -> tuple[float | None, str]:
    """The active model's median error on the new hold-out if it can read it; else its own record."""
    from pricing.valuation.service import load_artifact

    try:
        art = load_artifact(active)
    except ValuationError:
        return active.metrics.get("median_ape"), "现用模型无法加载，按其记录的指标比较"
    needed = art["recipe"].required()
    test = fitted.split.test
    if art["spec"].get("currency") == currency and all(c in test.columns for c in needed):
        pred = np.exp(art["valuer"].predict_log(test))
        return float(np.median(np.abs(pred - test["price"]) / test["price"])), "在同一检验集上比较"
    return active.metrics.get("median_ape"), "数据不同，按各自检验集的指标比较"


@dataclass
class Built:
    artifact: dict[str, Any]
    fitted: Fitted
    rows: int
    fingerprint: str


def build_artifact(
    *,
    spec: dict[str, Any],
    method: str,
    level: float = 0.8,
    sample: int | None = None,
    how: str = "auto",
    split_date: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    params: dict | None = None,
    progress: Callable[[str], None] | None = None,
    table: pd.DataFrame | None = None,
    report_candidates: bool = False,
) -> Built:
    """Read, check, split, fit, calibrate and evaluate (no database)."""
    raw = table if table is not None else read_table(spec["path"], spec.get("encoding"))
    df, cleaning = clean_table(raw, spec)
    if sample and sample < len(df):
        df = df.sample(n=sample, random_state=seed).reset_index(drop=True)
        if "sale_date" in df.columns:
            df = df.sort_values("sale_date", kind="stable").reset_index(drop=True)
    (progress or (lambda _m: None))("读取并校验数据")
    fitted = fit_and_evaluate(
        df,
        spec,
        method=method,
        level=level,
        how=how,
        split_date=split_date,
        test_fraction=test_fraction,
        seed=seed,
        params=params,
        progress=progress,
        report_candidates=report_candidates,
    )
    recipe = Recipe(**spec["recipe"])
    groups: dict[str, list[str]] = {}
    for c in recipe.inputs():
        if c in (recipe.lat, recipe.lon):
            groups.setdefault("location", []).append(c)
        else:
            groups[c] = [c]
    train_rows = fitted.split.train
    artifact = {
        "engine_version": ENGINE_VERSION,
        "library_versions": library_versions(),
        "valuer": fitted.valuer,
        "q": fitted.q,
        "level": level,
        "recipe": recipe,
        "groups": groups,
        "method": method,
        "selected": fitted.metrics["selection"]["chosen"],
        "typical": typical_row(
            train_rows,
            recipe.inputs(),
            {*recipe.categorical, *recipe.target_encode, *recipe.ordinal_maps},
        ),
        "comparables": comparable_table(train_rows, recipe),
        "data_end": (
            f"{train_rows['sale_date'].max():%Y-%m-%d}" if "sale_date" in train_rows.columns else ""
        ),
        "spec": {k: v for k, v in spec.items() if k != "path"},
        "metrics": _json_safe({**fitted.metrics, "cleaning": cleaning.as_dict()}),
        "cleaning": cleaning,
        "rows": len(df),
    }
    return Built(artifact=artifact, fitted=fitted, rows=len(df), fingerprint=fingerprint(df))


def register_artifact(
    *,
    path: Path,
    artifact: dict[str, Any],
    fingerprint_: str,
    actor: Actor = None,
    version: int | None = None,
) -> Any:
    """Record a saved artifact file as a (not yet active) ValuationModel."""
    from pricing.models import ValuationModel

    spec = artifact["spec"]
    recipe = artifact["recipe"]
    m = artifact["metrics"]
    record = ValuationModel.objects.create(
        asset_class=spec["asset_class"],
        method=artifact["method"],
        version=version or 1,
        file=str(path),
        file_sha256=_sha256(path),
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
        dataset=spec["dataset"],
        dataset_note=spec.get("note", ""),
        data_fingerprint=fingerprint_,
        rows=artifact["rows"],
        currency=spec["currency"],
        area_unit=spec.get("area_unit", ""),
        region=spec.get("region", ""),
        split=m["split"],
        split_note=m["split_note"],
        features=recipe.required(),
        metrics=m,
        library_versions=artifact["library_versions"],
        interval_level=artifact["level"],
    )
    audit_record(
        stream=STREAM,
        action="model.trained",
        actor=actor,
        subject=f"valuation-model:{record.pk}",
        after={
            "asset_class": record.asset_class,
            "method": record.method,
            "version": record.version,
            "dataset": record.dataset,
            "fingerprint": fingerprint_,
            "metrics": m,
        },
        rules=[],
    )
    return record


def train_model(
    *,
    spec: dict[str, Any],
    method: str,
    level: float = 0.8,
    sample: int | None = None,
    how: str = "auto",
    split_date: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    params: dict | None = None,
    activate: bool = True,
    force: bool = False,
    reason: str = "",
    actor: Actor = None,
    progress: Callable[[str], None] | None = None,
    table: pd.DataFrame | None = None,
) -> TrainResult:
    """Build, evaluate and store one model; activate it unless it is worse than the active one."""
    from pricing.models import ValuationModel

    built = build_artifact(
        spec=spec,
        method=method,
        level=level,
        sample=sample,
        how=how,
        split_date=split_date,
        test_fraction=test_fraction,
        seed=seed,
        params=params,
        progress=progress,
        table=table,
    )
    asset_class = spec["asset_class"]
    with transaction.atomic():
        last = (
            ValuationModel.objects.select_for_update()
            .filter(asset_class=asset_class, method=method)
            .order_by("-version")
            .first()
        )
        version = (last.version + 1) if last else 1
        path = model_dir() / f"{asset_class}-{method}-v{version}-{built.fingerprint[:10]}.joblib"
        joblib.dump(built.artifact, path, compress=3)
        (progress or (lambda _m: None))("保存模型")
        record = register_artifact(
            path=path,
            artifact=built.artifact,
            fingerprint_=built.fingerprint,
            actor=actor,
            version=version,
        )
        if not activate:
            return TrainResult(record, False, "已保存，未启用（--no-activate）")
        sel = built.fitted.metrics["selection"]
        if sel["refused"] and not force:
            base = sel["validation"][sel["baseline"]]["median_ape"]
            best = sel["validation"][sel["chosen"]]["median_ape"]
            audit_record(
                stream=STREAM,
                action="model.activation_refused",
                actor=actor,
                subject=f"valuation-model:{record.pk}",
                after={"selection": sel},
                rules=["PRC-09"],
            )
            return TrainResult(
                record,
                False,
                str(
                    _(
                        "所有候选模型在最近一期验证中都劣于基准（指数调整的市场比较法，中位误差 "
                        "%(base)s；最好的候选 %(best)s），未启用"
                    )
                    % {"base": f"{base:.2%}", "best": f"{best:.2%}"}
                ),
                sel,
            )
        return _activate(
            record,
            fitted=built.fitted,
            currency=spec["currency"],
            force=force,
            reason=reason,
            actor=actor,
        )


def _json_safe(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            out[k] = None
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def _activate(
    record: Any,
    *,
    fitted: Fitted | None,
    currency: str = "",
    force: bool,
    reason: str,
    actor: Actor,
) -> TrainResult:
    from pricing.models import ValuationModel

    active = (
        ValuationModel.objects.select_for_update()
        .filter(asset_class=record.asset_class, method=record.method, is_active=True)
        .first()
    )
    compared = None
    if active is not None and active.pk != record.pk:
        if fitted is not None:
            active_score, how = _active_score_on(active, fitted, currency or record.currency)
        else:
            active_score, how = active.metrics.get("median_ape"), "按记录的指标比较"
        new_score = record.metrics.get("median_ape")
        compared = {
            "active": active.pk,
            "active_median_ape": active_score,
            "new_median_ape": new_score,
            "how": how,
        }
        worse = (
            active_score is not None and new_score is not None and new_score > active_score + 1e-12
        )
        if worse and not force:
            audit_record(
                stream=STREAM,
                action="model.activation_refused",
                actor=actor,
                subject=f"valuation-model:{record.pk}",
                after=compared,
                rules=[],
            )
            return TrainResult(
                record,
                False,
                f"新模型中位误差 {new_score:.2%} 劣于现用模型 v{active.version} 的 {active_score:.2%}"
                f"（{how}），未启用；如确需启用请加 --force 并说明理由",
                compared,
            )
        if worse and not reason.strip():
            raise ValuationError(
                "force_reason_required", _("强制启用较差的模型须说明理由（--reason）")
            )
        active.is_active = False
        active.save(update_fields=["is_active"])
    record.is_active = True
    record.activated_at = clock.now()
    record.activation_note = reason
    record.save(update_fields=["is_active", "activated_at", "activation_note"])
    audit_record(
        stream=STREAM,
        action="model.activated",
        actor=actor,
        subject=f"valuation-model:{record.pk}",
        before={"active": active.pk if active else None},
        after=compared,
        reason=reason,
        rules=[],
    )
    from pricing.valuation.service import clear_cache

    transaction.on_commit(clear_cache)
    return TrainResult(record, True, f"已启用 {record}", compared)


@transaction.atomic
def model_activate(
    *, model: Any, force: bool = False, reason: str = "", actor: Actor = None
) -> TrainResult:
    """Activate a stored model (refused if worse than the active one, unless forced with a reason)."""
    from pricing.models import ValuationModel

    record = ValuationModel.objects.select_for_update().get(pk=model.pk)
    return _activate(record, fitted=None, force=force, reason=reason, actor=actor)
