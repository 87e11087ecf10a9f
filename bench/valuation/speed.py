"""Valuation speed: single valuations through the service (value_with: price, interval,
comparables, explanation) and batch valuations, for every kind of model, per data set.

    nice .venv/bin/python bench/valuation/speed.py                 # every data set
    nice .venv/bin/python bench/valuation/speed.py --only ames

Models are fitted as in run.py (the fitted ones are kept in var/bench/ and reused) and the
compiled path is built once before timing (as the service does per process). Reports wall
clock per second and CPU time per valuation (the box is shared: ``/proc/loadavg`` is printed
with each figure) and writes bench/valuation/speed.json. Never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import joblib  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pricing.valuation.engine import METHODS  # noqa: E402
from pricing.valuation.presets import preset  # noqa: E402
from pricing.valuation.service import compiled, value_batch, value_with  # noqa: E402
from pricing.valuation.training import build_artifact, read_table  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from run import RUNS, render  # noqa: E402

KINDS = ["gbm", "ridge", "blend", "knn"]
SINGLE = 300
BATCH_ROWS = 10_000
CACHE = ROOT / "var" / "bench"


class Record:
    pk = 0
    version = 0
    dataset = "bench"
    dataset_note = ""
    currency = ""
    area_unit = ""
    region = ""
    split = ""
    split_note = ""
    metrics: dict = {}
    asset_class = "residential"
    method = "gbm"
    created_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0]


def artifacts(name: str, how: str, split_date: str | None, params: dict) -> dict:
    """The data set's fitted models, one per kind (the selected one as trained)."""
    path = CACHE / f"{name}.joblib"
    if path.exists():
        return joblib.load(path)
    spec = preset(name)
    built = build_artifact(
        spec=spec,
        method="gbm",
        how=how,
        split_date=split_date,
        params=params.get("gbm"),
        table=read_table(spec["path"]),
    )
    art = built.artifact
    split = built.fitted.split
    out = {"test": split.test, "selected": art["selected"], "arts": {}}
    y = np.log(split.train["price"].to_numpy())
    for kind in KINDS:
        valuer = art["valuer"]
        if valuer.method != kind:
            p = {**(spec.get("params") or {}).get("gbm", {}), **(params.get("gbm") or {})}
            valuer = METHODS[kind](art["recipe"], p if kind in ("gbm", "blend") else {})
            valuer.fit(split.train, y)
            valuer.interval_ = art["valuer"].interval_
        out["arts"][kind] = {**art, "valuer": valuer}
    CACHE.mkdir(parents=True, exist_ok=True)
    joblib.dump(out, path)
    return out


def rows_of(test: pd.DataFrame, inputs: list[str]) -> list[dict]:
    out = []
    for rec in test[inputs].to_dict("records"):
        out.append(
            {
                k: (v.item() if isinstance(v, np.generic) else v)
                for k, v in rec.items()
                if not (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)))
            }
        )
    return out


def measure(art: dict, test: pd.DataFrame) -> dict:
    compiled(art)  # once per process, as the service's artifact cache does
    rows = rows_of(test, art["recipe"].inputs())
    for f in rows[:5]:  # warm-up (the compiled tree walk is cached on disk after its first run)
        value_with(art, Record, f)
    load_single = loadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(SINGLE):
        value_with(art, Record, rows[i % len(rows)])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    reps = BATCH_ROWS // len(test) + 1
    batch = pd.concat([test] * reps, ignore_index=True).head(BATCH_ROWS)
    value_batch(art, batch.head(100))
    load_batch = loadavg()
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(3):  # best of three: the machine is shared
        t1, c1 = time.perf_counter(), time.process_time()
        value_batch(art, batch)
        best_wall = min(best_wall, time.perf_counter() - t1)
        best_cpu = min(best_cpu, time.process_time() - c1)
    return {
        "single_per_s": SINGLE / wall,
        "single_cpu_ms": 1000 * cpu / SINGLE,
        "single_load": load_single,
        "batch_per_s": len(batch) / best_wall,
        "batch_per_cpu_s": len(batch) / best_cpu,
        "batch_load": load_batch,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append")
    ap.add_argument("--note", default="", help="how it was run, written with the figures")
    args = ap.parse_args()
    out_path = Path(__file__).parent / "speed.json"
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    start = dt.datetime.now(dt.UTC)
    results["_measured"] = {
        "at": start.strftime("%d %b %Y %H:%M UTC"),
        "note": f"load {loadavg()} at the start" + (f"; {args.note}" if args.note else ""),
    }
    for name, how, split_date, _methods, params in RUNS:
        if args.only and name not in args.only:
            continue
        fitted = artifacts(name, how, split_date, params)
        results[name] = {"selected": fitted["selected"]}
        for kind, art in fitted["arts"].items():
            m = measure(art, fitted["test"])
            results[name][kind] = m
            print(
                f"{name:12s} {kind:6s} single {m['single_per_s']:7.0f}/s "
                f"({m['single_cpu_ms']:.2f} ms CPU, load {m['single_load']})  "
                f"batch {m['batch_per_s']:9.0f}/s ({m['batch_per_cpu_s']:.0f}/CPU s, "
                f"load {m['batch_load']})",
                flush=True,
            )
        out_path.write_text(json.dumps(results, indent=1))
    results_json = Path(__file__).parent / "results.json"
    if results_json.exists():
        render(json.loads(results_json.read_text()))


if __name__ == "__main__":
    main()
