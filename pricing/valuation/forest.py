"""Gradient-boosted trees as flat arrays, walked in compiled code.

scikit-learn's ``HistGradientBoostingRegressor.predict`` calls one Cython routine per tree
(1,500 trees: 1,500 calls, each starting an OpenMP region); on one row that costs 40–100 ms
on a loaded machine (measured in bench/valuation/speed.py), which is the whole budget of a
single valuation several hundred times over. Here every tree's nodes go into one set of
arrays at load time and one compiled loop walks them all, row by row, adding the leaves in
the trees' order from the model's baseline — the same additions as scikit-learn's, so the
same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


class Forest:
    """The nodes of a fitted HistGradientBoostingRegressor's trees, flat; ``predict`` takes
    rows already in the model's preprocessed column order (categories as their codes)."""

    def __init__(self, model: Any) -> None:
        trees = [predictors[0] for predictors in model._predictors]
        sizes = [len(t.nodes) for t in trees]
        self.roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        nodes = np.concatenate([t.nodes for t in trees])
        offset = np.repeat(self.roots, sizes)
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"].astype(np.float64)
        self.missing_left = nodes["missing_go_to_left"].astype(np.bool_)
        self.left = (nodes["left"].astype(np.int64) + offset).astype(np.int64)
        self.right = (nodes["right"].astype(np.int64) + offset).astype(np.int64)
        self.is_leaf = nodes["is_leaf"].astype(np.bool_)
        self.value = nodes["value"].astype(np.float64)
        self.is_categorical = nodes["is_categorical"].astype(np.bool_)
        self.bitset_idx = nodes["bitset_idx"].astype(np.int64)
        # every tree's left-category bitsets, one table; a node's row shifted by its tree's
        bitsets = [t.raw_left_cat_bitsets for t in trees]
        counts = [len(b) for b in bitsets]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.bitset_idx = self.bitset_idx + np.repeat(starts, sizes)
        self.left_bitsets = (
            np.concatenate(bitsets).astype(np.uint32)
            if sum(counts)
            else np.zeros((1, 8), dtype=np.uint32)
        )
        known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
        self.known_bitsets = (
            known.astype(np.uint32) if len(known) else np.zeros((1, 8), dtype=np.uint32)
        )
        self.f_idx_map = f_idx_map.astype(np.int64)
        self.baseline = float(np.asarray(model._baseline_prediction).ravel()[0])

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty(len(X), dtype=np.float64)
        _walk(
            X,
            self.baseline,
            self.roots,
            self.feature,
            self.threshold,
            self.missing_left,
            self.left,
            self.right,
            self.is_leaf,
            self.value,
            self.is_categorical,
            self.bitset_idx,
            self.left_bitsets,
            self.known_bitsets,
            self.f_idx_map,
            out,
        )
        return out


@njit(cache=True, nogil=True)
def _walk(  # pragma: no cover - compiled
    X: np.ndarray,
    baseline: float,
    roots: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    missing_left: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    is_leaf: np.ndarray,
    value: np.ndarray,
    is_categorical: np.ndarray,
    bitset_idx: np.ndarray,
    left_bitsets: np.ndarray,
    known_bitsets: np.ndarray,
    f_idx_map: np.ndarray,
    out: np.ndarray,
) -> None:
    # scikit-learn's _predict_one_from_raw_data, tree after tree
    for i in range(X.shape[0]):
        acc = 0.0
        acc += baseline
        for t in range(roots.shape[0]):
            node = roots[t]
            while not is_leaf[node]:
                f = feature[node]
                x = X[i, f]
                if np.isnan(x):
                    node = left[node] if missing_left[node] else right[node]
                elif is_categorical[node]:
                    if x < 0:
                        node = left[node] if missing_left[node] else right[node]
                    else:
                        code = np.uint8(x)
                        word = code // 32
                        bit = code % 32
                        if (left_bitsets[bitset_idx[node], word] >> bit) & 1:
                            node = left[node]
                        elif (known_bitsets[f_idx_map[f], word] >> bit) & 1:
                            node = right[node]
                        else:
                            node = left[node] if missing_left[node] else right[node]
                elif x <= threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            acc += value[node]
        out[i] = acc
