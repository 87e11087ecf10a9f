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

from core import clock
from core.audit import audit_record
from core.types import Actor
from pricing.valuation.engine import (
    ENGINE_VERSION,
    METHODS,
    Recipe,
    Valuer,
    conformal_quantile,
    metrics,
    typical_row,
)
from pricing.valuation.errors import ValuationError

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
def read_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise ValuationError("data_missing", f"找不到数据文件：{path}")
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith(".parquet"):
        return pd.read_parquet(path)
    if suffixes.endswith((".csv", ".csv.gz")):
        return pd.read_csv(path)
    raise ValuationError("data_format", "数据文件须为 CSV 或 parquet")


def canonical_table(raw: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """Rename by the mapping, derive ``sale_date`` and check what training needs."""
    mapping: dict[str, str] = spec.get("columns", {})
    missing_src = [src for src in mapping if src not in raw.columns]
    if missing_src:
        raise ValuationError("columns_missing", f"数据缺少列映射中的列：{'、'.join(missing_src)}")
    df = raw.rename(columns=mapping).copy()
    date_from = spec.get("date_from")
    if date_from:
        df["sale_date"] = pd.to_datetime(
            {"year": df[date_from["year"]], "month": df[date_from["month"]], "day": 15}
        )
    if "sale_date" in df.columns:
        df["sale_date"] = pd.to_datetime(df["sale_date"], errors="coerce")
        if df["sale_date"].isna().any():
            raise ValuationError(
                "bad_dates", f"{int(df['sale_date'].isna().sum())} 行成交日期无法识别"
            )
    if "price" not in df.columns:
        raise ValuationError("price_missing", "列映射中须有成交价列（price）")
    price = pd.to_numeric(df["price"], errors="coerce")
    bad = price.isna() | (price <= 0)
    if bad.any():
        raise ValuationError(
            "bad_prices", f"{int(bad.sum())} 行成交价为空、非数字或不大于零，请清理后再训练"
        )
    if (price > MAX_PRICE_UNITS).any():
        raise ValuationError(
            "absurd_prices",
            f"{int((price > MAX_PRICE_UNITS).sum())} 行成交价高得不合理（超过 10^12）",
        )
    df["price"] = price.astype(float)
    recipe = Recipe(**spec["recipe"])
    absent = [c for c in recipe.inputs() if c not in df.columns]
    if absent:
        raise ValuationError("features_missing", f"数据缺少特征列：{'、'.join(absent)}")
    for c in recipe.required():
        if df[c].isna().all():
            raise ValuationError("features_empty", f"特征列 {c} 全部为空")
    if len(df) < MIN_ROWS:
        raise ValuationError("too_few_rows", f"样本过少（{len(df)} 行，至少 {MIN_ROWS} 行）")
    keep = [
        *dict.fromkeys(
            [*recipe.inputs(), "price", *(["sale_date"] if "sale_date" in df.columns else [])]
        )
    ]
    return df[keep].reset_index(drop=True)


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
) -> Split:
    has_dates = "sale_date" in df.columns
    if how == "auto":
        how = "time" if has_dates else "random"
    if how == "time":
        if not has_dates:
            raise ValuationError("no_dates", "数据没有成交日期，不能按时间划分")
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
        n_test = max(1, round(len(df) * test_fraction))
        test, train = df.iloc[order[:n_test]], df.iloc[order[n_test:]]
        n_cal = max(1, int(len(train) * 0.2))
        proper, cal = train.iloc[:-n_cal], train.iloc[-n_cal:]
        why = "数据没有成交日期" if not has_dates else "仅供与已发表结果比较"
        note = f"随机划分（{why}）：{len(train)} 笔训练，{len(test)} 笔检验"
        out = Split("random", note, train, test, proper, cal)
    else:
        raise ValuationError("bad_split", "划分方式只能为 auto、time 或 random")
    if len(out.test) < 5 or len(out.proper) < 20:
        raise ValuationError("too_few_rows", "划分后训练或检验样本过少")
    return out


# ----------------------------------------------------------------------------- fitting
@dataclass
class Fitted:
    valuer: Valuer
    q: float
    level: float
    metrics: dict[str, Any]
    split: Split
    steps: list[str] = field(default_factory=list)


def fit_and_evaluate(
    df: pd.DataFrame,
    spec: dict[str, Any],
    *,
    method: str,
    level: float = 0.8,
    how: str = "auto",
    split_date: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Fitted:
    if method not in METHODS:
        raise ValuationError(
            "unknown_method", f"未知的估价方法：{method}（可选 {', '.join(METHODS)}）"
        )
    if not 0.5 <= level < 1:
        raise ValuationError("bad_level", "预测区间水平须在 0.5 与 1 之间")
    tick = progress or (lambda _msg: None)
    recipe = Recipe(**spec["recipe"])
    split = split_table(
        df,
        how=how,
        split_date=split_date or spec.get("split_date"),
        test_fraction=test_fraction,
        seed=seed,
    )
    tick("划分数据")
    cls = METHODS[method]
    params = {**(spec.get("params") or {}).get(method, {}), **(params or {})}
    cal_model = cls(recipe, params).fit(split.proper, np.log(split.proper["price"].to_numpy()))
    tick("拟合校准模型")
    resid = np.log(split.calibration["price"].to_numpy()) - cal_model.predict_log(split.calibration)
    q = conformal_quantile(resid, level)
    tick("计算共形区间")
    model = cls(recipe, params).fit(split.train, np.log(split.train["price"].to_numpy()))
    tick("拟合最终模型")
    pred = np.exp(model.predict_log(split.test))
    m: dict[str, Any] = metrics(split.test["price"].to_numpy(), pred, q=q)
    m.update(
        {
            "split": split.kind,
            "split_note": split.note,
            "cutoff": split.cutoff,
            "n_train": len(split.train),
            "n_calibration": len(split.calibration),
            "level": level,
            "q_log": q,
        }
    )
    tick("在检验集上评估")
    return Fitted(valuer=model, q=q, level=level, metrics=m, split=split)


def comparable_table(df: pd.DataFrame, recipe: Recipe) -> pd.DataFrame:
    cols = [c for c in recipe.inputs() if c in df.columns] + ["price"]
    if "sale_date" in df.columns:
        cols.append("sale_date")
    return df[cols].reset_index(drop=True)


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
) -> Built:
    """Read, check, split, fit, calibrate and evaluate (no database)."""
    raw = table if table is not None else read_table(spec["path"])
    df = canonical_table(raw, spec)
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
        "typical": typical_row(train_rows, recipe.inputs()),
        "comparables": comparable_table(train_rows, recipe),
        "data_end": (
            f"{train_rows['sale_date'].max():%Y-%m-%d}" if "sale_date" in train_rows.columns else ""
        ),
        "spec": {k: v for k, v in spec.items() if k != "path"},
        "metrics": _json_safe(fitted.metrics),
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
                "force_reason_required", "强制启用较差的模型须说明理由（--reason）"
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
