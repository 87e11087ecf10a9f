"""Valuation benchmark: per data set and split, RMSLE, median absolute % error, share within
±10% / ±20%, interval coverage, and valuations per second in batch.

    .venv/bin/python bench/valuation/run.py            # everything (several minutes)
    .venv/bin/python bench/valuation/run.py --only king_county

Writes bench/valuation/results.md and results.json. Per data set and platform: every
candidate on the final hold-out (reported only), the one selected on the most recent
training period, the index-adjusted comparables baseline, interval coverage overall and per
price decile, single and batch valuations/s, training CPU seconds and the load average.
``plain_hgb`` in the JSON is the NOTES.md reference (default HistGradientBoosting, raw
columns). Timings depend on the machine; they are reported, never asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from pricing.valuation.engine import metrics  # noqa: E402
from pricing.valuation.intervals import conformal_bounds  # noqa: E402
from pricing.valuation.presets import preset  # noqa: E402
from pricing.valuation.service import value_batch  # noqa: E402
from pricing.valuation.training import (  # noqa: E402
    Split,
    build_artifact,
    canonical_table,
    fit_and_evaluate,
    read_table,
    split_table,
)

RUNS = [
    # (preset, split, split_date, platforms, params per method). The gbm platform's run
    # fits and reports every candidate, the knn (index-adjusted comparables) baseline too.
    ("king_county", "time", "2015-03-01", ["gbm"], {}),
    (
        "ames",
        "time",
        None,
        ["gbm"],
        {
            "gbm": {
                "max_iter": 800,
                "learning_rate": 0.05,
                "max_leaf_nodes": 15,
                "min_samples_leaf": 10,
            }
        },
    ),
    (
        "corolla",
        "random",
        None,
        ["gbm"],
        {
            "gbm": {
                "max_iter": 800,
                "learning_rate": 0.05,
                "max_leaf_nodes": 15,
                "min_samples_leaf": 10,
            }
        },
    ),
    ("demo_cn", "time", None, ["gbm"], {}),
]
BATCH_ROWS = 5000


def baseline(spec: dict[str, Any], split: Split) -> dict[str, Any]:
    """NOTES.md baseline: default HistGradientBoosting on log price, raw numeric + categorical columns."""
    cols = [c for c in split.train.columns if c not in ("price", "sale_date")]

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        X = df[cols].copy()
        for c in cols:
            if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]):
                X[c] = (
                    X[c].astype(str).astype("category")
                    if not pd.api.types.is_bool_dtype(X[c])
                    else X[c].astype(float)
                )
        return X

    Xtr, Xte = frame(split.train), frame(split.test)
    for c in Xtr.columns:
        if isinstance(Xtr[c].dtype, pd.CategoricalDtype):
            cats = Xtr[c].cat.categories
            seen = Xte[c].astype(str)
            Xte[c] = seen.where(seen.isin(cats)).astype(pd.CategoricalDtype(cats))
    with threadpool_limits(limits=1):
        m = HistGradientBoostingRegressor(random_state=0, categorical_features="from_dtype").fit(
            Xtr, np.log(split.train["price"])
        )
        pred = np.exp(m.predict(Xte))
    return metrics(split.test["price"].to_numpy(), pred)


def speed(art: dict[str, Any], test: pd.DataFrame) -> float:
    reps = max(1, BATCH_ROWS // len(test) + 1)
    rows = pd.concat([test] * reps, ignore_index=True).head(BATCH_ROWS)
    value_batch(art, rows.head(50))  # warm-up
    best = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        t0 = time.perf_counter()
        value_batch(art, rows)
        best = min(best, time.perf_counter() - t0)
    return len(rows) / best


def single_speed(art: dict[str, Any], test: pd.DataFrame, n: int = 200) -> float:
    """One row at a time through value_batch (the model part of a single valuation)."""
    rows = [test.iloc[[i % len(test)]] for i in range(n)]
    value_batch(art, rows[0])
    t0 = time.perf_counter()
    for r in rows:
        value_batch(art, r)
    return n / (time.perf_counter() - t0)


CEILING_LEVELS = (0.80, 0.82, 0.85)
CEILING_SHARES = np.round(np.arange(0.05, 0.951, 0.05), 2)


def interval_ceiling(built: Any, target: float = 0.75) -> dict[str, Any]:
    """What any split of the misses could give on the final hold-out (a diagnostic, reported
    only, never used to choose): the selected model's own scale s(x), the quantiles of the
    hold-out's OWN normalised residuals at each level and each share of the misses below,
    and the best worst-decile coverage (by actual price) among those shares. An upper bound
    for the calibrated interval of this point model and scale: if it stays under ``target``
    at 80 %, no choice of quantiles reaches both 78–82 % overall and ``target`` per decile.
    Also the lowest level (80–95 %, step 1 %) at which the bound reaches ``target``."""
    valuer = built.fitted.valuer
    test = built.fitted.split.test
    y = np.log(test["price"].to_numpy())
    pred = valuer.predict_log(test)
    z = (y - pred) / valuer.interval_.scale(valuer, test, pred)
    edges = np.quantile(y, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges[1:-1], y, side="right"), 0, 9)

    def best(level: float) -> dict[str, Any]:
        top: dict[str, Any] = {}
        for share in CEILING_SHARES:
            q_lo, q_hi = conformal_bounds(z, level, float(share) * (1 - level))
            inside = (z >= q_lo) & (z <= q_hi)
            by = [float(inside[decile == d].mean()) for d in range(10)]
            if not top or min(by) > top["min_decile"]:
                top = {
                    "share_below": float(share),
                    "min_decile": min(by),
                    "coverage": float(inside.mean()),
                    "by_decile": by,
                }
        return top

    out: dict[str, Any] = {f"{lv:.2f}": best(lv) for lv in CEILING_LEVELS}
    out["level_for_target"] = next(
        (
            lv
            for lv in np.round(np.arange(0.80, 0.951, 0.01), 2)
            if best(lv)["min_decile"] >= target
        ),
        None,
    )
    out["cheapest_decile_median_residual"] = float(np.median((y - pred)[decile == 0]))
    out["median_residual"] = float(np.median(y - pred))
    return out


CHANCE_LEVELS = np.round(np.arange(0.78, 0.861, 0.01), 2)


def decile_chance(
    y: np.ndarray, target: float = 0.75, overall: tuple[float, float] = (0.78, 0.82)
) -> dict[str, Any]:
    """What the hold-out's size alone allows (no residual is read): an interval that covers
    every decile of the actual price at exactly p, its misses independent, shows binomial
    counts per decile. The chance that all ten reach ``target`` and the whole lies in
    ``overall``, at p = 80 % and at the best p of 78–86 % (simulated, 100,000 draws, seed 0).
    Deciles as in engine.metrics."""
    edges = np.quantile(y, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges[1:-1], y, side="right"), 0, 9)
    sizes = np.bincount(decile, minlength=10)
    rng = np.random.default_rng(0)

    def chance(p: float) -> tuple[float, float]:
        hits = rng.binomial(sizes, p, size=(100_000, 10))
        every = (hits >= np.ceil(target * sizes - 1e-9)).all(axis=1)
        share = hits.sum(axis=1) / sizes.sum()
        both = every & (share >= overall[0]) & (share <= overall[1])
        return float(every.mean()), float(both.mean())

    at = {f"{p:.2f}": chance(float(p)) for p in CHANCE_LEVELS}
    best = max(at, key=lambda k: at[k][1])
    return {
        "decile_sizes": sizes.tolist(),
        "at_80": {"every_decile": at["0.80"][0], "and_overall": at["0.80"][1]},
        "best": {"level": float(best), "every_decile": at[best][0], "and_overall": at[best][1]},
    }


# The pooled evaluation (reported beside the single hold-out): a hold-out of a few hundred
# sales has deciles of 18–71, too few to tell 75 % from 80 % (decile_chance). Every round
# is the whole pipeline (candidates, selection and calibration on its own training rows
# only), and the rounds' hold-outs are pooled:
# - time split: rolling origin, the latest POOLED_SHARE of the sales in POOLED_WINDOWS
#   consecutive windows of time, each valued by a model trained on every earlier sale;
# - random split: K-fold cross-validation, every sale held out once.
POOLED_SHARE = 0.8
POOLED_WINDOWS = 8
POOLED_FOLDS = 5
POOLED_MIN_DECILE = 100  # hold-out deciles smaller than this: the pooled evaluation too


def pooled(name: str, spec: dict[str, Any], how: str, params: dict | None) -> dict[str, Any]:
    df = canonical_table(read_table(spec["path"]), spec)
    rounds: list[dict[str, Any]] = []
    ys, preds, lows, highs = [], [], [], []
    if how == "time":
        df = df.sort_values("sale_date", kind="stable").reset_index(drop=True)
        cuts = df["sale_date"].quantile(
            np.linspace(1 - POOLED_SHARE, 1, POOLED_WINDOWS + 1), interpolation="lower"
        )
        bounds = list(dict.fromkeys(pd.to_datetime(cuts.to_numpy())))
        windows = list(itertools.pairwise(bounds))
        windows[-1] = (windows[-1][0], df["sale_date"].max() + pd.Timedelta(days=1))
        plans: list[tuple[pd.DataFrame, dict[str, Any]]] = [
            (df[df["sale_date"] < end], {"how": "time", "split_date": f"{start:%Y-%m-%d}"})
            for start, end in windows
        ]
    else:
        plans = [(df, {"how": "random", "fold": (k, POOLED_FOLDS)}) for k in range(POOLED_FOLDS)]
    for table, kw in plans:
        fitted = fit_and_evaluate(table, spec, method="gbm", params=params, **kw)
        test = fitted.split.test
        pred = fitted.valuer.predict_log(test)
        assert fitted.valuer.interval_ is not None
        lo, hi = fitted.valuer.interval_.bounds(fitted.valuer, test, pred)
        ys.append(test["price"].to_numpy())
        preds.append(np.exp(pred))
        lows.append(np.exp(lo))
        highs.append(np.exp(hi))
        m = fitted.metrics
        rounds.append(
            {
                "split_note": m["split_note"],
                "n_train": m["n_train"],
                "n_test": m["n"],
                "selected": m["selection"]["chosen"],
                "interval_calibration": m.get("interval_calibration"),
                "median_ape": m["median_ape"],
                "coverage": m["coverage"],
            }
        )
        print(f"  {name} pooled round: {rounds[-1]}", flush=True)
    y = np.concatenate(ys)
    out = metrics(y, np.concatenate(preds), low=np.concatenate(lows), high=np.concatenate(highs))
    out["rounds"] = rounds
    out["kind"] = (
        f"rolling origin, latest {POOLED_SHARE:.0%} in {len(rounds)} windows"
        if how == "time"
        else f"{POOLED_FOLDS}-fold cross-validation"
    )
    out["decile_chance"] = decile_chance(np.log(y))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append")
    ap.add_argument("--pooled-only", action="store_true", help="only the pooled evaluation")
    args = ap.parse_args()
    results = []
    for name, how, split_date, methods, params in RUNS:
        if args.only and name not in args.only:
            continue
        spec = preset(name)
        if args.pooled_only:
            p = pooled(name, spec, how, params.get("gbm"))
            print(
                f"{name} pooled ({p['kind']}, n={p['n']}): MdAPE {p['median_ape']:.2%}, "
                f"±10% {p['within_10']:.1%}, cover {p['coverage']:.1%}, deciles "
                + " ".join(f"{c:.0%}" for c in p["coverage_by_decile"]),
                flush=True,
            )
            continue
        df = canonical_table(read_table(spec["path"]), spec)
        split = split_table(df, how=how, split_date=split_date)
        base = baseline(spec, split)
        print(f"{name} {how}: plain HGB {base}", flush=True)
        for method in methods:
            load = os.getloadavg()
            t0 = time.process_time()
            built = build_artifact(
                spec=spec,
                method=method,
                how=how,
                split_date=split_date,
                params=params.get(method),
                table=read_table(spec["path"]),
                report_candidates=True,
            )
            fit_cpu = time.process_time() - t0
            m = built.artifact["metrics"]
            vps = speed(built.artifact, built.fitted.split.test)
            single = single_speed(built.artifact, built.fitted.split.test)
            row = {
                "dataset": name,
                "currency": spec["currency"],
                "split": how,
                "split_note": m["split_note"],
                "method": method,
                "selected": m["selection"]["chosen"],
                "refused": m["selection"]["refused"],
                "validation": m["selection"]["validation"],
                "holdout_candidates": m["selection"]["holdout"],
                "rmsle": m["rmsle"],
                "median_ape": m["median_ape"],
                "within_10": m["within_10"],
                "within_20": m["within_20"],
                "coverage": m["coverage"],
                "coverage_by_decile": m["coverage_by_decile"],
                "miss_above": m["miss_above"],
                "miss_below": m["miss_below"],
                "interval_median_width": m["interval_median_width"],
                "level": m["level"],
                "drift": m.get("drift"),
                "target": m["selection"].get("target"),
                "per_area": m.get("per_area"),
                "valuations_per_s": vps,
                "single_per_s": single,
                "fit_cpu_seconds": fit_cpu,
                "load_average": load,
                "n_train": m["n_train"],
                "n_test": m["n"],
                "plain_hgb": base,
                "interval_ceiling": interval_ceiling(built),
                "decile_chance": decile_chance(np.log(built.fitted.split.test["price"].to_numpy())),
            }
            if min(row["decile_chance"]["decile_sizes"]) < POOLED_MIN_DECILE:
                row["pooled"] = pooled(name, spec, how, params.get(method))
            results.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.pooled_only:
        return
    out = Path(__file__).parent
    if args.only and (out / "results.json").exists():  # keep the other data sets' rows
        kept = [
            r
            for r in json.loads((out / "results.json").read_text())
            if r["dataset"] not in args.only and "selected" in r
        ]
        results = kept + results
        order = [name for name, *_ in RUNS]
        results.sort(key=lambda r: order.index(r["dataset"]))
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    render(results)


def render(results: list[dict]) -> None:
    """results.md from results.json (accuracy, selection, coverage) and speed.json
    (bench/valuation/speed.py: the compiled path's single and batch valuations)."""
    out = Path(__file__).parent
    speed_path = out / "speed.json"
    speeds = json.loads(speed_path.read_text()) if speed_path.exists() else {}
    lines = [
        "Final hold-out (reported only; the model was chosen on the most recent training period).",
        "Baseline = index-adjusted comparables (knn). Load = 1-minute load average at the start.",
        "single/s and batch/s in this table: run.py's own timing during the accuracy run (one",
        "row / 5,000 rows through value_batch, the compiled path; the accuracy run of 8 Dec",
        "2026 01:40 UTC ran under nice 5 with nothing else running, load 1.0–1.5; its speed",
        "columns are the accuracy run's by-products). The compiled path's speed per model kind",
        "is the second table (speed.py, run separately: see docs/pricing.md).",
        "",
        "| data set | split | platform | selected | MdAPE | ±10% | RMSLE | 80% cover | min decile cover | miss above/below | baseline MdAPE / ±10% | candidates MdAPE (hold-out) | single/s | batch/s | fit CPU s | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cands = r["holdout_candidates"]
        b = cands.get("knn", {"median_ape": r["median_ape"], "within_10": r["within_10"]})
        cand = ", ".join(f"{k} {v['median_ape']:.2%}" for k, v in cands.items())
        sel = r["selected"] + (" (refused: loses to baseline)" if r["refused"] else "")
        lines.append(
            f"| {r['dataset']} ({r['currency']}) | {r['split']} | {r['method']} | {sel} | "
            f"{r['median_ape']:.2%} | {r['within_10']:.1%} | {r['rmsle']:.4f} | {r['coverage']:.1%} | "
            f"{min(r['coverage_by_decile']):.1%} | {r['miss_above']:.1%} / {r['miss_below']:.1%} | "
            f"{b['median_ape']:.2%} / {b['within_10']:.1%} | {cand} | {r['single_per_s']:,.0f} | "
            f"{r['valuations_per_s']:,.0f} | {r['fit_cpu_seconds']:.0f} | {r['load_average'][0]:.1f} |"
        )
    lines += [
        "",
        "80% interval coverage per decile of the actual price (cheapest first):",
        "",
    ]
    for r in results:
        deciles = " ".join(f"{c:.0%}" for c in r["coverage_by_decile"])
        lines.append(f"- {r['dataset']}: {deciles}")
    lines += [
        "",
        "The ceiling of one pair of quantiles for every price (the interval before the bins of",
        "the actual price; interval_ceiling in run.py, a hold-out diagnostic, never used to",
        "choose): with the selected model and its scale s(x), the quantiles of the hold-out's",
        "own residuals, the best worst-decile coverage over the share of misses below (5–95 %);",
        "the cheapest decile's median log residual (the point model regresses to the mean: the",
        "cheapest sales are the ones it valued too high):",
        "",
    ]
    for r in results:
        c = r.get("interval_ceiling")
        if not c:
            continue
        parts = ", ".join(
            f"at {float(lv):.0%}: {c[lv]['min_decile']:.1%} (share below {c[lv]['share_below']:.0%})"
            for lv in ("0.80", "0.82", "0.85")
        )
        need = c["level_for_target"]
        lines.append(
            f"- {r['dataset']}: best worst decile {parts}; ≥ 75 % in every decile from level "
            f"{f'{need:.0%}' if need is not None else '> 95 %'}; cheapest decile median residual "
            f"{c['cheapest_decile_median_residual']:+.1%} (all {c['median_residual']:+.1%})"
        )
    lines += [
        "",
        "What the hold-out's size allows (decile_chance in run.py; reads no residual): an",
        "interval covering every decile of the actual price at exactly p, its misses independent;",
        "the chance that all ten deciles show ≥ 75 % and the whole 78–82 %, simulated:",
        "",
    ]
    for r in results:
        c = r.get("decile_chance")
        if not c:
            continue
        lines.append(
            f"- {r['dataset']}: deciles of {min(c['decile_sizes'])}–{max(c['decile_sizes'])} "
            f"sales; at p = 80 %: every decile {c['at_80']['every_decile']:.0%}, and 78–82 % "
            f"overall {c['at_80']['and_overall']:.0%}; best p {c['best']['level']:.0%}: "
            f"{c['best']['every_decile']:.0%} / {c['best']['and_overall']:.0%}"
        )
    pooled_rows = [r for r in results if r.get("pooled")]
    if pooled_rows:
        lines += [
            "",
            "Pooled evaluation, where the single hold-out's deciles hold fewer than",
            f"{POOLED_MIN_DECILE} sales (pooled() in run.py): every round is the whole pipeline",
            "(candidates, selection, drift and interval from its own training rows only); time",
            f"split: rolling origin, the latest {POOLED_SHARE:.0%} of the sales in "
            f"{POOLED_WINDOWS} windows, each",
            "valued by a model of every earlier sale; random split: 5-fold cross-validation. The",
            "last column: the chance a perfectly calibrated 80 % interval meets both interval",
            "targets on deciles of this size (decile_chance).",
            "",
            "| data set | pooled hold-out | sales | MdAPE | ±10% | 80% cover | min decile | per decile (cheapest first) | selected per round | chance both met at p = 80 % |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in pooled_rows:
            p = r["pooled"]
            chosen = ", ".join(x["selected"] for x in p["rounds"])
            lines.append(
                f"| {r['dataset']} | {p['kind']} | {p['n']:,} | {p['median_ape']:.2%} | "
                f"{p['within_10']:.1%} | {p['coverage']:.1%} | {min(p['coverage_by_decile']):.1%} | "
                + " ".join(f"{c:.0%}" for c in p["coverage_by_decile"])
                + f" | {chosen} | {p['decile_chance']['at_80']['and_overall']:.0%} |"
            )
    lines += [
        "",
        "The model's lag behind the market (training.drift_trend: the log residuals of the",
        "model fitted on the earlier sales, on the most recent training period; the constant",
        "shift (their median) adopted only if the earlier half's median lowered the later",
        "half's MdAPE; the trend (median regression on the months after the data end, flat",
        "beyond the horizon) only if the earlier half's line, extended over the later half,",
        "lowered it below both):",
        "",
    ]
    for r in results:
        d = r.get("drift") or {}
        t = d.get("trend") or {}
        if "later_half_mdape" in d:
            h = d["later_half_mdape"]
            line = (
                f"- {r['dataset']}: median residual {d['median_residual']:+.2%}, constant "
                f"{'adopted' if d['adopted'] else 'not adopted'} (later half MdAPE "
                f"{h['without']:.2%} without, {h['with_earlier_half_shift']:.2%} with)"
            )
            if "later_half_mdape" in t:
                line += (
                    f"; trend {t['slope_per_month']:+.2%}/month from {t['intercept']:+.2%}, "
                    f"horizon {t['horizon_months']:.1f} months, "
                    f"{'adopted' if t['adopted'] else 'not adopted'} (later half "
                    f"{t['later_half_mdape']['with_earlier_half_trend']:.2%} with the earlier "
                    "half's line)"
                )
            elif t:
                line += f"; no trend ({t.get('why', '')})"
            lines.append(line)
        elif d:
            lines.append(f"- {r['dataset']}: not adopted ({d.get('why', '')})")
    if any(r.get("target") for r in results):
        lines += [
            "",
            "The trees' target (validation MdAPE, log price / per area; the lower one kept):",
            "",
        ]
    for r in results:
        for name, t in (r.get("target") or {}).items():
            lines.append(
                f"- {r['dataset']} {name}: {t['price']:.2%} / {t['per_area']:.2%} → "
                f"{'per area' if t['chosen'] else 'log price'}"
            )
    if speeds:
        lines += [
            "",
            "Compiled path (bench/valuation/speed.py): single = one valuation through the service",
            "(`value_with`: price, interval, 6 comparables, the explanation's perturbed rows);",
            "batch = `value_batch` on 10,000 rows. Wall clock per second, and per CPU second /",
            "CPU ms per valuation (the machine was shared: load = 1-minute load average).",
            "Batch per CPU s below its wall figure: more than one core busy (most likely",
            "numpy's BLAS threads in the matrix products; the compiled walks are one thread).",
            *(
                [f"Measured {speeds['_measured']['at']} ({speeds['_measured']['note']})."]
                if "_measured" in speeds
                else []
            ),
            "",
            "| data set | model | single/s (wall) | CPU ms per single | batch/s (wall) | batch per CPU s | load |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, per in speeds.items():
            if name.startswith("_"):
                continue
            for kind, m in per.items():
                if kind == "selected":
                    continue
                mark = " (selected)" if kind == per.get("selected") else ""
                lines.append(
                    f"| {name} | {kind}{mark} | {m['single_per_s']:,.0f} | {m['single_cpu_ms']:.2f} | "
                    f"{m['batch_per_s']:,.0f} | {m['batch_per_cpu_s']:,.0f} | "
                    f"{m['single_load']} / {m['batch_load']} |"
                )
    train_path = out / "train300k.json"
    if train_path.exists():  # bench/valuation/train300k.py
        t = json.loads(train_path.read_text())
        lines += [
            "",
            f"Training on {t['rows']:,} synthetic sales (bench/valuation/train300k.py: the demo_cn",
            "formula, generated at bench time; every candidate fitted and compared, interval,",
            f"final fit, hold-out): {t['cpu_s']} s CPU ({t['wall_s']} s wall), stored model "
            f"{t['model_mb']} MB (joblib, compress=3), selected {t['selected']} (hold-out MdAPE "
            f"{t['median_ape']:.2%}, within ±10% {t['within_10']:.1%}); load {t['load'][0]} → "
            f"{t['load'][1]}.",
        ]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
