"""The compiled valuation path (pricing/valuation/fast.py, forest.py) gives the reference
path's numbers: every shipped preset, every kind of model, the batch and single valuations
(price, interval, comparables, explanation) to 1e-9 relative. Speed is measured in
bench/valuation/speed.py, never asserted here."""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pricing.valuation.engine import METHODS, GBMValuer
from pricing.valuation.intervals import bin_quantiles, price_edges
from pricing.valuation.presets import preset
from pricing.valuation.service import (
    value_batch,
    value_batch_frame,
    value_with,
    value_with_frame,
)
from pricing.valuation.training import build_artifact

PRESETS = ["king_county", "ames", "corolla", "demo_cn"]
KINDS = ["gbm", "ridge", "blend", "knn"]
# the lag as a trend (training.drift_trend): intercept, slope per month, horizon in months
TREND = {"shift_": 0.01, "slope_": 0.015, "horizon_": 3.0}
PARAMS = {"max_iter": 40, "learning_rate": 0.15}
AT = dt.datetime(2031, 6, 1, tzinfo=dt.UTC)


class Record:
    """The few fields of a ValuationModel a valuation reads (no database needed)."""

    pk = 1
    version = 1
    dataset = "test"
    dataset_note = ""
    currency = "X"
    area_unit = ""
    region = ""
    split = "time"
    split_note = ""
    metrics: dict[str, Any] = {}
    asset_class = "residential"
    method = "gbm"
    created_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def artifacts() -> dict[str, tuple[dict[str, Any], pd.DataFrame]]:
    """Per preset and kind of model: an artifact (small models on a sample) and its hold-out."""
    out: dict[str, tuple[dict[str, Any], pd.DataFrame]] = {}
    for name in PRESETS:
        built = build_artifact(spec=preset(name), method="gbm", sample=700, params=PARAMS)
        art = built.artifact
        split = built.fitted.split
        interval = art["valuer"].interval_
        for kind in KINDS:
            valuer = art["valuer"]
            if valuer.method != kind:
                valuer = METHODS[kind](art["recipe"], PARAMS if kind in ("gbm", "blend") else {})
                valuer.fit(split.train, np.log(split.train["price"].to_numpy()))
                valuer.interval_ = interval
            out[f"{name}-{kind}"] = ({**art, "valuer": valuer}, split.test)
            if kind in ("gbm", "blend") and art["recipe"].area:  # trees on price per area
                # (the blend with weights of its own, as training chooses them)
                weights = {"weights": [0.6, 0.1, 0.3]} if kind == "blend" else {}
                area = METHODS[kind](art["recipe"], {**PARAMS, "per_area": True, **weights})
                area.fit(split.train, np.log(split.train["price"].to_numpy()))
                area.interval_ = interval
                assert isinstance(area, GBMValuer) and area.per_area_
                out[f"{name}-{kind}-area"] = ({**art, "valuer": area}, split.test)
    return out


def _close(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        if math.isnan(a):
            assert math.isnan(b), path
        else:
            assert b == pytest.approx(a, rel=1e-9, abs=1e-9), path
    else:
        assert a == b, path


def _rows(test: pd.DataFrame, inputs: list[str]) -> list[dict[str, Any]]:
    """Hold-out rows as a caller would send them: plain values, missing ones left out."""
    out = []
    for rec in test[inputs].to_dict("records"):
        row = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                continue
            row[k] = v.item() if isinstance(v, np.generic) else v
        out.append(row)
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", PRESETS)
def test_batch_valuations_equal_the_reference(artifacts, name, kind) -> None:
    art, test = artifacts[f"{name}-{kind}"]
    fast = value_batch(art, test)
    ref = value_batch_frame(art, test)
    assert len(test) >= 100
    for f, r in zip(fast, ref, strict=True):
        np.testing.assert_allclose(f, r, rtol=1e-9)
    # the numbers are the model's, not a constant: they vary across the hold-out
    assert np.std(np.log(fast[0])) > 0.05


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", PRESETS)
def test_single_valuations_equal_the_reference(artifacts, name, kind) -> None:
    art, test = artifacts[f"{name}-{kind}"]
    rows = _rows(test.head(40), art["recipe"].inputs())
    for features in rows:
        fast = value_with(art, Record, features, at=AT)
        ref = value_with_frame(art, Record, features, at=AT)
        _close(ref.__dict__, fast.__dict__)
    # explanations move the price: some feature effect is not zero
    assert any(e["effect_pct"] for e in fast.explanation)


def test_unseen_and_missing_values_take_the_same_path(artifacts) -> None:
    """A category never seen, a code written as a number, a missing optional input."""
    art, test = artifacts["ames-gbm"]
    features = _rows(test.head(1), art["recipe"].inputs())[0]
    features["Neighborhood"] = "Atlantis"
    features["MS Zoning"] = 99
    features.pop("Lot Frontage", None)
    fast = value_with(art, Record, features, at=AT)
    ref = value_with_frame(art, Record, features, at=AT)
    _close(ref.__dict__, fast.__dict__)
    assert fast.warnings


@pytest.mark.parametrize("key", ["king_county-gbm", "demo_cn-ridge"])
def test_the_interval_per_price_bin_takes_the_same_path(artifacts, key) -> None:
    """The interval's quantiles per bin of the actual price (intervals.price_bin_hull): the
    samples here are too small for the bins training would choose, so they are set from
    the hold-out (a test of the path, not of coverage)."""
    art, test = artifacts[key]
    valuer = copy.copy(art["valuer"])
    iv = copy.copy(valuer.interval_)
    y = np.log(test["price"].to_numpy())
    pred = valuer.predict_log(test)
    z = (y - pred) / iv.scale(valuer, test, pred)
    iv.edges_ = price_edges(y, min_rows=20, most=5)
    iv.bin_q_ = bin_quantiles(z, y, iv.edges_, 0.8)
    valuer.interval_ = iv
    binned = {k: v for k, v in art.items() if not k.startswith("_")} | {"valuer": valuer}
    assert len(iv.edges_) == 4
    fast = value_batch(binned, test)
    ref = value_batch_frame(binned, test)
    for f, r in zip(fast, ref, strict=True):
        np.testing.assert_allclose(f, r, rtol=1e-9)
    plain = value_batch_frame(art, test)
    assert not np.allclose(ref[1], plain[1])  # the bins moved the bounds
    for features in _rows(test.head(10), art["recipe"].inputs()):
        _close(
            value_with_frame(binned, Record, features, at=AT).__dict__,
            value_with(binned, Record, features, at=AT).__dict__,
        )


AREA_KEYS = [f"{n}-{k}-area" for n in ("king_county", "ames", "demo_cn") for k in ("gbm", "blend")]


@pytest.mark.parametrize("key", [*AREA_KEYS, "king_county-knn", "demo_cn-ridge", "corolla-gbm"])
def test_the_per_area_target_and_the_trend_take_the_same_path(artifacts, key) -> None:
    """Trees on the price per area, and the lag as a trend after the data end: batch (each
    row's lag from its own sale date) and single valuations (from the valuation date, the
    features' date clamped to the data end) equal the reference."""
    art, test = artifacts[key]
    valuer = copy.copy(art["valuer"])
    for name, value in TREND.items():
        setattr(valuer, name, value)
    trended = {k: v for k, v in art.items() if not k.startswith("_")} | {"valuer": valuer}
    fast = value_batch(trended, test)
    ref = value_batch_frame(trended, test)
    for f, r in zip(fast, ref, strict=True):
        np.testing.assert_allclose(f, r, rtol=1e-9)
    if art["data_end"]:  # the hold-out's sales after the data end carry the trend
        flat = value_batch_frame(art, test)[0]
        assert not np.allclose(np.log(fast[0] / flat), TREND["shift_"] - art["valuer"].shift_)
    end = dt.datetime.fromisoformat(art["data_end"]) if art["data_end"] else AT
    for features in _rows(test.head(8), art["recipe"].inputs()):
        for at in (end.replace(tzinfo=dt.UTC) + dt.timedelta(days=45), AT):
            fast1 = value_with(trended, Record, features, at=at)
            _close(value_with_frame(trended, Record, features, at=at).__dict__, fast1.__dict__)
