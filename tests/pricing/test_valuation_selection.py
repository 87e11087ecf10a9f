"""Honest selection and intervals: candidates compared on the most recent period, never one
that loses to the index-adjusted comparables (PRC-09); intervals whose width depends on the
property, covering every price decile."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from pricing.valuation import engine, training
from pricing.valuation.engine import select_candidate
from pricing.valuation.training import build_artifact, train_model
from tests.pricing.synthetic_market import SPEC, market

SMALL = {"max_iter": 80, "learning_rate": 0.1}


def test_selection_refuses_a_candidate_worse_than_the_baseline() -> None:
    """PRC-09: one value each side of the baseline's median error."""
    chosen, why = select_candidate({"knn": 0.080, "gbm": 0.0801, "ridge": 0.090})
    assert chosen is None and "劣于基准" in why["gbm"]
    chosen, _ = select_candidate({"knn": 0.080, "gbm": 0.0799, "ridge": 0.090})
    assert chosen == "gbm"
    chosen, _ = select_candidate({"knn": 0.080, "gbm": 0.079, "ridge": 0.070, "blend": 0.075})
    assert chosen == "ridge"


def test_selection_is_made_on_the_most_recent_training_period_not_the_hold_out() -> None:
    built = build_artifact(spec={**SPEC}, method="gbm", params=SMALL, table=market(2500, seed=21))
    sel = built.artifact["metrics"]["selection"]
    split = built.fitted.split
    assert set(sel["validation"]) == {"knn", "gbm", "ridge", "blend"}
    assert sel["validation"]["knn"]["n"] == len(split.calibration)
    assert split.calibration["sale_date"].max() < split.test["sale_date"].min()
    assert split.calibration["sale_date"].min() >= split.proper["sale_date"].max()
    best = sel["validation"][sel["chosen"]]["median_ape"]
    # in use only if no worse than the baseline on that period (else stored, refused)
    assert sel["refused"] == (best > sel["validation"]["knn"]["median_ape"])
    assert built.artifact["selected"] == sel["chosen"]


def test_a_model_losing_to_the_baseline_is_stored_but_not_activated(
    db: None, settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PRC-09: a two-step gradient boosting loses to the comparables: never put in use."""
    settings.GAVEL_MODEL_DIR = str(tmp_path / "models")
    monkeypatch.setitem(engine.CANDIDATES, "gbm", ["gbm"])
    result = train_model(
        spec={**SPEC},
        method="gbm",
        params={"max_iter": 2, "learning_rate": 0.01},
        table=market(1500, seed=22),
    )
    assert not result.activated and "劣于基准" in result.message
    assert result.model.metrics["selection"]["refused"] is True


def test_intervals_cover_every_price_decile_on_heteroscedastic_data() -> None:
    """Noise ten times larger for the largest flats: one multiplicative width for all
    under-covers the dearest deciles; the locally weighted interval, its quantiles per bin
    of the actual price, covers each decile of the hold-out at ≥ 75 %."""
    df = market(6000, seed=23, hetero=True, trend=False)  # no drift after the data end
    built = build_artifact(spec={**SPEC}, method="gbm", params=SMALL, table=df)
    m = built.artifact["metrics"]
    assert 0.77 <= m["coverage"] <= 0.85
    assert min(m["coverage_by_decile"]) >= 0.75
    valuer = built.artifact["valuer"]
    assert len(valuer.interval_.edges_) >= 2  # 480 most recent calibration sales: 4 bins
    assert len(m["coverage_by_decile"]) == 10 and m["miss_above"] + m["miss_below"] > 0
    # the fixed width (the old interval) on the same hold-out misses the dear end more
    test = built.fitted.split.test
    pred = np.exp(built.artifact["valuer"].predict_log(test))
    q = built.artifact["q"]
    y = test["price"].to_numpy()
    dear = y >= np.quantile(y, 0.9)
    fixed = (y >= pred * np.exp(-q)) & (y <= pred * np.exp(q))
    assert fixed[dear].mean() < m["coverage_by_decile"][9]
    # and the widths differ by property
    lo, hi = valuer.interval_.bounds(valuer, test, np.log(pred))
    width = hi - lo
    assert np.quantile(width, 0.9) > 2 * np.quantile(width, 0.1)
    # one pair of quantiles for every price (the interval before the bins) leaves a decile
    # under 75 % on the same hold-out
    one = copy.copy(valuer.interval_)
    one.edges_ = np.empty(0)
    lo1, hi1 = one.bounds(valuer, test, np.log(pred))
    inside = (np.log(y) >= lo1) & (np.log(y) <= hi1)
    edges = np.quantile(y, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges[1:-1], y, side="right"), 0, 9)
    assert min(float(inside[decile == d].mean()) for d in range(10)) < 0.75


def test_a_small_table_calibrates_its_interval_on_cross_fitted_residuals() -> None:
    """Too few recent sales for two bins of the actual price (the latest period's later half
    under CROSS_FIT_BELOW: 160 of 2,000): the residuals come from folds, each valued by the
    method fitted without it, never on its own row."""
    built = build_artifact(spec={**SPEC}, method="gbm", params=SMALL, table=market(2000, seed=24))
    assert built.artifact["metrics"]["interval_calibration"] == "cross-fitted"
    interval = built.artifact["valuer"].interval_
    assert len(interval.edges_) >= 2 and interval.bin_q_.shape == (len(interval.edges_) + 1, 2)
    train = built.fitted.split.train
    recipe = built.artifact["recipe"]
    # dated: the later half of the folds, each valued by a model of the earlier sales only
    parts = training.cross_fit_parts(
        engine.KNNValuer, recipe, {}, train, drift=(0.01, 0.0, 0.0, {})
    )
    assert len(parts) == training.CROSS_FIT_FOLDS // 2
    assert len(train) * 0.4 <= sum(len(rows) for _v, rows, _y in parts) <= len(train) * 0.6
    for valuer, rows, _y in parts:
        before = train[train["sale_date"] < rows["sale_date"].min()]
        assert len(valuer.comparables_.y_) == len(before)  # fitted on earlier sales only
        assert valuer.shift_ == 0.01
    # undated: every fold, each valued by a model of the other folds
    undated = train.drop(columns=["sale_date"]).reset_index(drop=True)
    parts = training.cross_fit_parts(engine.KNNValuer, recipe, {}, undated)
    seen = np.concatenate([rows.index.to_numpy() for _v, rows, _y in parts])
    assert sorted(seen.tolist()) == list(range(len(undated)))
    for valuer, rows, _y in parts:
        assert len(valuer.comparables_.y_) == len(undated) - len(rows)  # fitted without them


def test_a_larger_table_calibrates_on_the_latest_period() -> None:
    """240 sales in the latest period's later half: two bins, the most recent sales."""
    built = build_artifact(spec={**SPEC}, method="gbm", params=SMALL, table=market(3000, seed=24))
    assert built.artifact["metrics"]["interval_calibration"] == "latest period"


def test_folds_of_a_random_split_hold_every_sale_out_once() -> None:
    """The bench's pooled evaluation of a table without dates: K rounds, each sale in the
    hold-out of exactly one."""
    df = market(500, seed=25).drop(columns=["sale_date"])
    held = [training.split_table(df, how="random", fold=(k, 5)).test.index for k in range(5)]
    assert sorted(np.concatenate(held).tolist()) == list(range(len(df)))
    assert all(95 <= len(h) <= 105 for h in held)
    first = training.split_table(df, how="random", fold=(0, 5))
    assert not set(first.train.index) & set(first.test.index)


def test_the_blend_weights_are_chosen_on_the_validation_period_and_judged_out_of_half() -> None:
    """Sales that follow the trees in the earlier half of the period and the comparables in
    the later half: the weights chosen on each half differ, and the blend's validation
    values of each half come from the weights of the other half (never from weights fitted
    to the same sales). The weights in use: the best triple on the whole period."""
    rng = np.random.default_rng(41)
    n = 2000
    y = rng.normal(13.0, 0.4, n)
    trees = y + rng.normal(0, 0.05, n)
    hedonic = y + rng.normal(0, 0.3, n)
    comparables = y + rng.normal(0, 0.3, n)
    trees[n // 2 :] = y[n // 2 :] + rng.normal(0, 0.3, n // 2)
    comparables[n // 2 :] = y[n // 2 :] + rng.normal(0, 0.05, n // 2)
    parts = np.vstack([trees, hedonic, comparables])
    weights, honest, record = training.blend_weights(parts, y)
    assert record["earlier_half"][0] >= 0.8 and record["later_half"][2] >= 0.8
    np.testing.assert_allclose(
        honest[: n // 2], np.asarray(record["later_half"]) @ parts[:, : n // 2]
    )
    np.testing.assert_allclose(
        honest[n // 2 :], np.asarray(record["earlier_half"]) @ parts[:, n // 2 :]
    )
    assert weights.sum() == pytest.approx(1.0) and weights.min() >= 0
    assert record["weights"] == weights.tolist()
    # too few sales to choose on: a third each
    w, _pred, rec = training.blend_weights(parts[:, :30], y[:30])
    assert w.tolist() == pytest.approx([1 / 3] * 3) and rec["chosen_on"] == "none"


def test_training_stores_the_blend_weights_with_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The blend the only candidate: the stored model values with the weights chosen on the
    validation period, and the selection record says which."""
    monkeypatch.setitem(engine.CANDIDATES, "gbm", ["blend"])
    built = build_artifact(spec={**SPEC}, method="gbm", params=SMALL, table=market(2500, seed=42))
    sel = built.artifact["metrics"]["selection"]
    weights = sel["blend_weights"]["weights"]
    assert sel["chosen"] == "blend" and len(weights) == 3 and sum(weights) == pytest.approx(1.0)
    valuer = built.artifact["valuer"]
    assert isinstance(valuer, engine.BlendValuer) and valuer.weights().tolist() == weights
