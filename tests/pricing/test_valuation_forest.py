"""The flat trees (pricing/valuation/forest.py) give scikit-learn's predictions bit for bit:
for many rows (walked in blocks) and for a valuation's row with its perturbed rows (only the
trees whose path tests a changed column walked again), with missing values and categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from pricing.valuation.forest import Forest


@pytest.fixture(scope="module")
def fitted() -> tuple[HistGradientBoostingRegressor, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 3000
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.uniform(0, 10, size=n),
            "c": rng.integers(0, 5, size=n).astype(float),
            "kind": pd.Categorical(rng.choice(list("pqrstuv"), size=n)),
        }
    )
    X.loc[rng.random(n) < 0.1, "b"] = np.nan  # missing values, both ways
    y = X["a"] * 2 + np.sin(X["b"].fillna(3)) + X["kind"].cat.codes * 0.3 + rng.normal(size=n)
    model = HistGradientBoostingRegressor(
        max_iter=120, max_leaf_nodes=15, categorical_features="from_dtype", random_state=0
    ).fit(X, y)
    return model, X


def _encoded(model: HistGradientBoostingRegressor, X: pd.DataFrame) -> np.ndarray:
    """The model's preprocessed columns (categories first, as their codes)."""
    out = model._preprocessor.transform(X)
    return np.ascontiguousarray(out, dtype=np.float64)


def test_many_rows_equal_scikit_learn(fitted) -> None:
    model, X = fitted
    G = _encoded(model, X)
    ours = Forest(model).predict(G)
    assert np.array_equal(ours, model.predict(X))
    assert np.std(ours) > 0.5


def test_a_row_and_its_perturbed_rows_equal_scikit_learn(fitted) -> None:
    model, X = fitted
    forest = Forest(model)
    G = _encoded(model, X)
    rng = np.random.default_rng(3)
    moved = 0
    for r in range(40):
        V = np.repeat(G[r : r + 1], 12, axis=0)
        for i in range(1, 12):
            cols = rng.choice(G.shape[1], size=int(rng.integers(1, 3)), replace=False)
            V[i, cols] = G[rng.integers(len(G)), cols]
        V[1, :] = G[r]  # a perturbation that changes nothing
        V[2, -1] = np.nan  # a value made missing
        V[3, 0] = 99.0  # a category never seen
        ours = forest.predict_variants(V)
        assert np.array_equal(ours, forest.predict(V))
        assert np.array_equal(ours, _scikit_learn(model, V))
        moved += int((ours[1:] != ours[0]).sum())
    assert moved > 100  # the perturbations move the predictions


def _scikit_learn(model: HistGradientBoostingRegressor, G: np.ndarray) -> np.ndarray:
    """scikit-learn's own prediction of preprocessed rows (its _raw_predict after the
    preprocessing: the baseline, then each tree's predictor added in order)."""
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    out = np.full(len(G), float(np.asarray(model._baseline_prediction).ravel()[0]))
    for predictors in model._predictors:
        out += predictors[0].predict(G, known, f_idx_map, 1)
    return out
