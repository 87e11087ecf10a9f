"""Training time on 300,000 sales: the default (gbm platform) model on a synthetic market.

No shipped data set has 300k rows, so this generates one with the demo table's formula
(data/make_demo_nanchang_flats.py, fixed seed; synthetic, never committed: written to
var/bench/) and trains the demo_cn preset on it exactly as ``valuation_train`` would
(cleaning, rolling time split, every candidate fitted and compared, interval, final fit).

    nice .venv/bin/python bench/valuation/train300k.py            # 300,000 rows
    nice .venv/bin/python bench/valuation/train300k.py --rows 100000

Reports CPU seconds (all threads of the process) and wall seconds per phase, the stored
model's size (joblib, as training.py saves it) and the load average; writes train300k.json.
Never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import joblib  # noqa: E402
from make_demo_nanchang_flats import generate  # noqa: E402

from pricing.valuation.presets import preset  # noqa: E402
from pricing.valuation.training import build_artifact, read_table  # noqa: E402

CACHE = ROOT / "var" / "bench"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split(" ")[:3])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"demo_cn_{args.rows}.csv"
    if not path.exists():
        generate(n=args.rows, seed=20261207).to_csv(path, index=False)
    spec = preset("demo_cn")
    table = read_table(path)
    phases: list[tuple[str, float, float]] = []
    t0, c0 = time.perf_counter(), time.process_time()

    def tick(msg: str) -> None:
        phases.append((msg, time.process_time() - c0, time.perf_counter() - t0))
        print(f"  {msg}: CPU {phases[-1][1]:.1f} s, wall {phases[-1][2]:.1f} s", flush=True)

    load_before = loadavg()
    built = build_artifact(spec=spec, method="gbm", table=table, progress=tick)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    load_after = loadavg()
    art = built.artifact
    out = CACHE / f"demo_cn_{args.rows}.joblib"
    joblib.dump(art, out, compress=3)  # as training.py stores a model
    size_mb = out.stat().st_size / 1e6
    m = art["metrics"]
    result = {
        "rows": built.rows,
        "selected": art["selected"],
        "cpu_s": round(cpu, 1),
        "wall_s": round(wall, 1),
        "phases": [(p, round(c, 1), round(w, 1)) for p, c, w in phases],
        "model_mb": round(size_mb, 1),
        "median_ape": m.get("median_ape"),
        "within_10": m.get("within_10"),
        "load": [load_before, load_after],
    }
    print(json.dumps(result, indent=1, ensure_ascii=False))
    (Path(__file__).parent / "train300k.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
