"""Valuing one asset with the active model: point price, conformal interval, explanation.

Loading refuses a model whose file changed, or that was fitted with other library versions
(a pickled pipeline may silently misbehave under another scikit-learn): the message says to
retrain with ``manage.py valuation_train``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import clock
from pricing.valuation.engine import ENGINE_VERSION
from pricing.valuation.errors import ValuationError

LABELS = {
    "area_m2": gettext_noop("建筑面积（㎡）"),
    "area": gettext_noop("面积"),
    "rooms": gettext_noop("房间数"),
    "floor": gettext_noop("所在楼层"),
    "total_floors": gettext_noop("总楼层"),
    "year_built": gettext_noop("建成年份"),
    "division_code": gettext_noop("行政区划"),
    "location": gettext_noop("位置"),
    "lat": gettext_noop("纬度"),
    "lon": gettext_noop("经度"),
    "bedrooms": gettext_noop("卧室数"),
    "bathrooms": gettext_noop("卫生间数"),
    "floors": gettext_noop("楼层数"),
    "waterfront": gettext_noop("临水"),
    "view": gettext_noop("景观评级"),
    "condition": gettext_noop("房屋状况"),
    "grade": gettext_noop("建筑等级"),
    "zipcode": gettext_noop("邮编区"),
    "yr_built": gettext_noop("建成年份"),
    "yr_renovated": gettext_noop("翻新年份"),
    "sqft_lot": gettext_noop("土地面积"),
    "sqft_above": gettext_noop("地上面积"),
    "sqft_basement": gettext_noop("地下室面积"),
    "sqft_living15": gettext_noop("邻近住宅面积"),
    "sqft_lot15": gettext_noop("邻近土地面积"),
    "Neighborhood": gettext_noop("社区"),
    "Overall Qual": gettext_noop("整体质量"),
    "Year Built": gettext_noop("建成年份"),
    "mileage_km": gettext_noop("行驶里程"),
    "year": gettext_noop("出厂年份"),
    "HP": gettext_noop("功率"),
    "Fuel_Type": gettext_noop("燃料"),
    "Age_08_04": gettext_noop("车龄（月）"),
}
EFFECTS_SHOWN = 6  # a valuation's explanation: its largest feature effects
ASSET_CLASSES = {"residential", "commercial", "land", "vehicle", "equity", "movable"}

_cache: dict[tuple[int, str], dict[str, Any]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def label(name: str) -> str:
    return LABELS.get(name, name)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_artifact(record: Any) -> dict[str, Any]:
    """The fitted artifact of a ValuationModel row, checked (file digest, library versions)."""
    from pricing.valuation.training import library_versions

    key = (record.pk, record.file_sha256)
    with _lock:
        if key in _cache:
            return _cache[key]
    path = Path(record.file)
    retrain = f"请重新训练：manage.py valuation_train --asset-class {record.asset_class} --method {record.method}"
    if not path.exists():
        raise ValuationError(
            "model_file_missing",
            _("模型文件不存在（%(name)s），%(retrain)s") % {"name": path.name, "retrain": retrain},
        )
    if _file_sha256(path) != record.file_sha256:
        raise ValuationError(
            "model_file_changed",
            _("模型文件与登记的摘要不符，拒绝加载；%(retrain)s") % {"retrain": retrain},
        )
    here = library_versions()
    stored = record.library_versions or {}
    for lib in ("scikit-learn", "engine"):
        if stored.get(lib) != here[lib]:
            raise ValuationError(
                "model_version_mismatch",
                _("模型以 %(lib)s %(trained)s 训练，当前为 %(here)s，拒绝加载；%(retrain)s")
                % {"lib": lib, "trained": stored.get(lib), "here": here[lib], "retrain": retrain},
            )
    for lib in ("numpy", "pandas"):
        if str(stored.get(lib, "")).split(".")[:1] != here[lib].split(".")[:1]:
            raise ValuationError(
                "model_version_mismatch",
                _("模型以 %(lib)s %(trained)s 训练，当前为 %(here)s，拒绝加载；%(retrain)s")
                % {"lib": lib, "trained": stored.get(lib), "here": here[lib], "retrain": retrain},
            )
    try:
        art = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign file
        raise ValuationError(
            "model_load_failed",
            _("模型文件无法读取（%(name)s），%(retrain)s")
            % {"name": exc.__class__.__name__, "retrain": retrain},
        ) from exc
    if (
        not isinstance(art, dict)
        or art.get("engine_version") != ENGINE_VERSION
        or "valuer" not in art
    ):
        raise ValuationError(
            "model_load_failed", _("模型文件格式不符，%(retrain)s") % {"retrain": retrain}
        )
    with _lock:
        _cache[key] = art
    return art


def active_model(asset_class: str, method: str) -> Any:
    from pricing.models import ValuationModel

    if asset_class not in ASSET_CLASSES:
        raise ValuationError(
            "unknown_asset_kind",
            _("未知的财产类型：%(asset_class)s") % {"asset_class": asset_class},
        )
    record = ValuationModel.objects.filter(
        asset_class=asset_class, method=method, is_active=True
    ).first()
    if record is None:
        raise ValuationError(
            "no_model",
            _("没有启用的%(asset_class)s类估价模型（方法 %(method)s），内置平台无法对该类财产询价")
            % {"asset_class": asset_class, "method": method},
        )
    return record


@dataclass(frozen=True)
class Valuation:
    price: float
    low: float
    high: float
    level: float
    currency: str
    method: str
    method_text: str
    features_used: dict[str, Any]
    comparables: list[dict[str, Any]]
    explanation: list[dict[str, Any]]
    model_info: dict[str, Any]
    warnings: tuple[str, ...] = ()


def _checked_row(art: dict[str, Any], features: dict[str, Any]) -> dict[str, Any]:
    """The model's inputs from a features dict, checked (numbers where numbers are needed);
    a missing optional value is NaN."""
    recipe = art["recipe"]
    plan = art.get("_row_plan")
    if plan is None:  # the recipe's lists, once per loaded model
        plan = art["_row_plan"] = (
            recipe.required(),
            recipe.inputs(),
            set(recipe.numeric)
            | set(recipe.log_numeric)
            | {recipe.area, recipe.lat, recipe.lon, recipe.year_built, recipe.year_renovated},
        )
    required, inputs, numeric = plan
    missing = [c for c in required if features.get(c) in (None, "")]
    if missing:
        spec = art["spec"]
        raise ValuationError(
            "missing_features",
            _("缺少估价所需特征：%(items)s（模型训练数据：%(spec)s）")
            % {"items": _("、").join(_(label(c)) for c in missing), "spec": spec["dataset"]},
        )
    row: dict[str, Any] = {}
    for name in inputs:
        v = features.get(name)
        if name in numeric and v is not None and v != "":
            try:
                v = float(v)
            except (TypeError, ValueError) as exc:
                raise ValuationError(
                    "bad_feature", _("特征“%(label)s”须为数字") % {"label": _(label(name))}
                ) from exc
            if not math.isfinite(v):
                raise ValuationError(
                    "bad_feature", _("特征“%(label)s”须为有限数字") % {"label": _(label(name))}
                )
            if name == recipe.area and v <= 0:
                raise ValuationError(
                    "bad_feature", _("特征“%(label)s”须大于零") % {"label": _(label(name))}
                )
        row[name] = np.nan if v in (None, "") else v
    return row


def _valuation_date(art: dict[str, Any], at: dt.datetime | None) -> dt.date | None:
    """The date the model's features are taken at: the valuation's, but never after the
    model's data end (a model knows no prices after it). None for a model without sale
    dates. The lag after the data end is added from the valuation's own date (_drift_date)."""
    if not art.get("data_end"):
        return None
    end = dt.date.fromisoformat(str(art["data_end"])[:10])
    return min((at or clock.now()).date(), end)


def _drift_date(art: dict[str, Any], at: dt.datetime | None) -> np.datetime64 | None:
    """The valuation's own date (not clamped): the model's lag behind the market grows with
    the months since its data end (training.drift_trend; capped at its horizon there)."""
    if not art.get("data_end"):
        return None
    return np.datetime64((at or clock.now()).date(), "D")


def _input_row(
    art: dict[str, Any], features: dict[str, Any], at: dt.datetime | None
) -> pd.DataFrame:
    """The reference path's one-row frame."""
    df = pd.DataFrame([_checked_row(art, features)])
    when = _valuation_date(art, at)
    if when is not None:
        df["sale_date"] = pd.Timestamp(when)
    return df


def compiled(art: dict[str, Any]) -> Any:
    """The artifact's compiled valuer (fast.py), built once and kept with the loaded artifact."""
    from pricing.valuation.fast import Compiled

    c = art.get("_compiled")
    if c is None:
        with _lock:
            c = art.get("_compiled")
            if c is None:
                c = Compiled(art)
                art["_compiled"] = c
                art["_comparable_columns"] = _comparable_columns(art)
    return c


def _comparable_columns(art: dict[str, Any]) -> dict[str, Any]:
    """The comparable sales' table as arrays (one record is read per comparable shown)."""
    table = art["comparables"]
    recipe = art["recipe"]
    out: dict[str, Any] = {
        "price": table["price"].astype(float).to_numpy(),
        "fields": {c: table[c].to_numpy(dtype=object) for c in recipe.inputs()[:12]},
        "records": {},  # index → the sale's fields as a comparable shows them (_valuation)
    }
    if "sale_date" in table.columns:
        out["sale_date"] = np.datetime_as_string(
            pd.to_datetime(table["sale_date"]).to_numpy().astype("datetime64[D]")
        )
    if recipe.area:
        out["area"] = table[recipe.area].astype(float).to_numpy()
    return out


def _plain_field(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def value_asset(
    *,
    asset_class: str,
    method: str,
    features: dict[str, Any],
    at: dt.datetime | None = None,
    n_comparables: int = 6,
) -> Valuation:
    """Value one asset with the active model of its class and method."""
    record = active_model(asset_class, method)
    art = load_artifact(record)
    return value_with(art, record, features, at=at, n_comparables=n_comparables)


def unseen_categories(art: dict[str, Any], features: dict[str, Any]) -> list[str]:
    """Warnings for category values the model never saw in training (valued as the average)."""
    seen: dict[str, Any] | None = art.get("_seen_values")
    if seen is None:  # once per loaded model
        builder = art["valuer"].builder_
        recipe = art["recipe"]
        seen = {c: builder.te_.get(c, {}) for c in recipe.target_encode}
        seen.update({c: set(builder.categories_.get(c, [])) for c in recipe.categorical})
        art["_seen_values"] = seen
    out: list[str] = []
    for col, known in seen.items():
        v = features.get(col)
        if v in (None, "") or str(v) in known:
            continue
        out.append(
            str(
                _(
                    "“%(label)s”的取值 %(value)s 在训练数据中从未出现，模型按整体平均水平估价，"
                    "结果可能偏离：请核对该取值，或以含该取值的成交重新训练"
                )
                % {"label": label(col), "value": v}
            )
        )
    return out


def value_with(
    art: dict[str, Any],
    record: Any,
    features: dict[str, Any],
    *,
    at: dt.datetime | None = None,
    n_comparables: int = 6,
) -> Valuation:
    """One valuation through the compiled path (fast.py): the row and its explanation's
    perturbed rows in one feature matrix and one model call; no DataFrame."""
    c = compiled(art)
    row = _checked_row(art, features)
    when = _valuation_date(art, at)
    groups: dict[str, list[str]] = c.effect_groups
    typical = art["typical"]
    names = c.effect_names
    cols = c.variant_columns(row)
    dates = None if when is None else np.full(c.n_variants, np.datetime64(when, "D"))
    X = c.features(cols, dates)
    to_end = c.to_end(cols, dates)
    preds, _M, dist, idx = c.predict_valuation(X, to_end, n_comparables, _drift_date(art, at))
    log_p = float(preds[0])
    low_high = c.bounds(X, preds[:1]) if c.interval is not None else None  # row 0's
    effects = _effects(names, groups, row, typical, preds)
    return _valuation(
        art,
        record,
        row=row,
        when=when,
        log_p=log_p,
        low_high=(float(low_high[0][0]), float(low_high[1][0])) if low_high else None,
        dist=dist[0],
        idx=idx[0],
        y=c.comps.y_,
        shift=float(-to_end[0]),
        effects=effects,
        features=features,
    )


def _effects(
    names: list[str],
    groups: dict[str, list[str]],
    row: dict[str, Any],
    typical: dict[str, Any],
    preds: np.ndarray,
    shown: int = EFFECTS_SHOWN,
) -> list[dict[str, Any]]:
    """engine.feature_effects from the perturbed rows' predictions: the first ``shown`` of
    its list (the largest effects first; equal ones in the groups' order, as its stable
    sort leaves them)."""
    from pricing.valuation.engine import _plain

    base = float(preds[0])
    exp = math.exp
    pct = [round((exp(base - p) - 1.0) * 100, 1) for p in preds[1:].tolist()]
    order = sorted(range(len(pct)), key=lambda j: -abs(pct[j]))[:shown]
    out: list[dict[str, Any]] = []
    for j in order:
        name = names[j]
        one = len(groups[name]) == 1
        out.append(
            {
                "feature": name,
                "effect_pct": pct[j],
                "value": _plain(row[groups[name][0]]) if one else None,
                "typical": _plain(typical[groups[name][0]]) if one else None,
            }
        )
    return out


def value_with_frame(
    art: dict[str, Any],
    record: Any,
    features: dict[str, Any],
    *,
    at: dt.datetime | None = None,
    n_comparables: int = 6,
) -> Valuation:
    """The reference path (pandas, one DataFrame per step): what the compiled path must
    reproduce (tests/pricing/test_valuation_fast.py)."""
    from pricing.valuation.engine import feature_effects

    df = _input_row(art, features, at)
    valuer = art["valuer"]
    log_p = float(valuer.predict_log(df, at=_drift_date(art, at))[0])
    interval = getattr(valuer, "interval_", None)
    low_high = None
    if interval is not None:  # width by property (locally weighted conformal)
        lo, hi = interval.bounds(valuer, df, np.array([log_p]))
        low_high = (float(lo[0]), float(hi[0]))
    builder, comps = valuer.builder_, valuer.comparables_
    _, dist, idx = comps.neighbours(builder, builder.transform(df), k=n_comparables)
    effects = feature_effects(valuer, df, art["typical"], art["groups"])
    when = _valuation_date(art, at)
    return _valuation(
        art,
        record,
        row=_checked_row(art, features),
        when=when,
        log_p=log_p,
        low_high=low_high,
        dist=dist[0],
        idx=idx[0],
        y=comps.y_,
        shift=float(-builder.to_end(df)[0]),
        effects=effects,
        features=features,
    )


def _valuation(
    art: dict[str, Any],
    record: Any,
    *,
    row: dict[str, Any],
    when: dt.date | None,
    log_p: float,
    low_high: tuple[float, float] | None,
    dist: np.ndarray,
    idx: np.ndarray,
    y: np.ndarray,
    shift: float,
    effects: list[dict[str, Any]],
    features: dict[str, Any],
) -> Valuation:
    valuer = art["valuer"]
    recipe = art["recipe"]
    q = float(art["q"])
    price = math.exp(log_p)
    low, high = price * math.exp(-q), price * math.exp(q)
    if low_high is not None:
        low, high = math.exp(low_high[0]), math.exp(low_high[1])
    compiled(art)
    table = art["_comparable_columns"]
    records: dict[int, dict[str, Any]] = table["records"]
    comparables = []
    for d, i in zip(dist.tolist(), idx.tolist(), strict=True):
        record_i = records.get(i)
        if record_i is None:  # the sale's own fields, read once per process
            record_i = {}
            if "sale_date" in table:
                record_i["sale_date"] = str(table["sale_date"][i])
            for c, values in table["fields"].items():
                record_i[c] = _plain_field(values[i])
            if "area" in table:
                record_i["area"] = float(table["area"][i])
            if len(records) > 100_000:
                records.clear()
            records[i] = record_i
        comparables.append(
            {
                "price": round(float(table["price"][i]), 2),
                "distance": round(d, 3),
                # the sale's price brought to the valuation date by its region's price index
                "price_at_valuation_date": round(math.exp(float(y[i]) + shift), 2),
                **record_i,
            }
        )
    warnings = unseen_categories(art, features)
    effects = effects[:EFFECTS_SHOWN]
    for e in effects:
        e["label"] = label(e["feature"])
    spec = art["spec"]
    used = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    if when is not None:
        used["sale_date"] = when.isoformat()
    level = float(art["level"])
    return Valuation(
        price=round(price, 2),
        low=round(low, 2),
        high=round(high, 2),
        level=level,
        currency=record.currency,
        method=record.method,
        method_text=f"{valuer.label}（模型 v{record.version}）",
        features_used=used,
        comparables=comparables,
        explanation=effects,
        model_info={
            "model_id": record.pk,
            "version": record.version,
            "dataset": record.dataset,
            "dataset_note": record.dataset_note,
            "currency": record.currency,
            "area_unit": record.area_unit,
            "region": record.region,
            "split": record.split,
            "split_note": record.split_note,
            "metrics": record.metrics,
            "data_end": art.get("data_end", ""),
            "asset_class": record.asset_class,
            "interval": f"{round(level * 100)}% 共形预测区间（检验集覆盖率 "
            f"{record.metrics.get('coverage', float('nan')):.0%}）",
            "area_col": recipe.area or "",
            "trained_at": record.created_at.isoformat(),
            "preset": spec.get("preset", ""),
            "warnings": warnings,
        },
        warnings=tuple(warnings),
    )


def frame_columns(art: dict[str, Any], df: pd.DataFrame) -> tuple[dict[str, np.ndarray], Any]:
    """A frame's model inputs as arrays (numbers as floats, other values as objects with
    None for missing) and its sale dates (or None)."""
    c = compiled(art)
    cols: dict[str, np.ndarray] = {}
    for name in art["recipe"].inputs():
        s = df[name]
        if name in c.numeric_inputs:
            cols[name] = pd.to_numeric(s, errors="coerce").astype(float).to_numpy()
        else:
            cols[name] = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
    dates = pd.to_datetime(df["sale_date"]).to_numpy() if "sale_date" in df.columns else None
    return cols, dates


def value_batch(art: dict[str, Any], df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point prices and intervals for many rows at once (compiled path)."""
    c = compiled(art)
    cols, dates = frame_columns(art, df)
    X = c.features(cols, dates)
    pred_log, _M = c.predict_log_features(X, c.to_end(cols, dates), dates)
    pred = np.exp(pred_log)
    if c.interval is not None:
        lo, hi = c.bounds(X, pred_log)
        return pred, np.exp(lo), np.exp(hi)
    q = float(art["q"])
    return pred, pred * math.exp(-q), pred * math.exp(q)


def value_batch_frame(
    art: dict[str, Any], df: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference batch path (pandas)."""
    valuer = art["valuer"]
    pred_log = valuer.predict_log(df)
    pred = np.exp(pred_log)
    interval = getattr(valuer, "interval_", None)
    if interval is not None:
        lo, hi = interval.bounds(valuer, df, pred_log)
        return pred, np.exp(lo), np.exp(hi)
    q = float(art["q"])
    return pred, pred * math.exp(-q), pred * math.exp(q)


def model_notes(metrics: dict[str, Any]) -> list[str]:
    """What training adopted on the validation period, as the models page states it: the
    model's lag behind the market after its data end (training.drift_trend: a trend, a
    constant shift or none) and the trees' target (price, or price per unit of area)."""
    notes: list[str] = []
    drift = metrics.get("drift") or {}
    kind = drift.get("kind") or ("constant" if drift.get("adopted") else "none")
    if kind == "trend":
        notes.append(
            str(
                _(
                    "市场滞后调整：模型按截至数据末日的价格学习，估价日在其后时，按验证期测得的"
                    "趋势上调：每月 %(slope)s，最多 %(months)s 个月（此后不再外推），另加 "
                    "%(intercept)s"
                )
                % {
                    "slope": f"{float(drift['slope_per_month']):+.2%}",
                    "months": f"{float(drift['horizon_months']):.1f}",
                    "intercept": f"{float(drift['shift']):+.2%}",
                }
            )
        )
    elif kind == "constant" and drift.get("shift"):
        notes.append(
            str(
                _(
                    "市场滞后调整：按验证期测得的模型滞后，估价统一调整 %(shift)s（验证期未显示逐月趋势）"
                )
                % {"shift": f"{float(drift['shift']):+.2%}"}
            )
        )
    elif drift:
        notes.append(str(_("市场滞后调整：未采用（在验证期内无助于降低误差）")))
    if metrics.get("per_area"):
        notes.append(
            str(_("梯度提升树以单位面积价格（单价）为学习目标，估价时乘回面积；由验证期比较选定"))
        )
    return notes


INDEX_REGIONS = 6  # regions drawn beside the market: the three that rose most, the three least


def index_chart(record: Any) -> dict[str, Any] | None:
    """The price index a model brings its sales to the valuation date with, for the models
    page's chart: the market's monthly index (100 = the data's last month) and the regions
    that moved most. None for a model without dates or whose file cannot be loaded. Fitted
    from the model's own sales: it moves when the model is retrained with newer sales."""
    try:
        art = load_artifact(record)
    except ValuationError:
        return None
    idx = getattr(art["valuer"].builder_, "index_", None)
    if idx is None:
        return None
    market = idx.series()
    moves = {code: float(dev[-1] - dev[0]) for code, dev in idx.region_dev_.items() if len(dev) > 1}
    ranked = sorted(moves, key=lambda c: moves[c])
    picked = list(
        dict.fromkeys(ranked[-(INDEX_REGIONS // 2) :][::-1] + ranked[: INDEX_REGIONS // 2])
    )
    region_label = str(_(label(idx.region_col))) if idx.region_col else ""

    def region_name(code: str) -> str:
        """A district by its name (GB/T 2260) where the column holds division codes."""
        if idx.region_col == "division_code":
            from core import regions

            name = regions.full_name(str(code))
            if name:
                return name
        return f"{region_label} {code}".strip()

    title = " · ".join(t for t in (record.dataset, region_label) if t)
    return {
        "title": title,
        "months": market["months"],
        "series": [
            {"name": str(_("全市场")), "values": market["values"]},
            *({"name": region_name(code), "values": idx.series(code)["values"]} for code in picked),
        ],
        "data_end": art.get("data_end", ""),
    }
