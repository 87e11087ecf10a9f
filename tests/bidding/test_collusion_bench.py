"""The collusion simulator's targets hold with the default thresholds (issue 19, AUC-43)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SIMULATOR = Path(__file__).resolve().parents[2] / "bench" / "collusion" / "simulate.py"


def _figures(seed: int) -> list[float]:
    spec = importlib.util.spec_from_file_location("collusion_simulate", SIMULATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.run(seed, 2000, 200)
    return [float(line.split("**")[1].rstrip("%")) for line in text.splitlines() if "**" in line]


@pytest.mark.parametrize("seed", [19, 2])
def test_rings_and_shills_are_found_and_honest_auctions_rarely_flagged_auc43(seed):
    rings, shills, precision, honest_pct = _figures(seed)
    assert rings >= 0.9 and shills >= 0.9
    assert precision >= 0.8
    assert honest_pct <= 2.0
