"""Gradient-boosted trees as flat arrays, walked in compiled code.

scikit-learn's ``HistGradientBoostingRegressor.predict`` calls one Cython routine per tree
(1,500 trees: 1,500 calls, each starting an OpenMP region); on one row that costs 40–100 ms
on a loaded machine (measured in bench/valuation/speed.py), which is the whole budget of a
single valuation several hundred times over. Here every tree's nodes go into one set of
arrays at load time and one compiled loop walks them all, adding the leaves in the trees'
order from the model's baseline — the same additions as scikit-learn's, so the same numbers
(bit for bit).

Layout: each tree's nodes are renumbered depth first (a node's left child is the next node),
and a node is 24 bytes in three arrays (threshold or leaf value; feature, right child and
flags; the categorical bitset's row): a walk reads one cache line per node instead of nine
arrays. ``predict`` walks blocks of rows tree after tree (a tree's nodes stay in the cache
while the block's rows pass it); each row still adds its leaves tree after tree, so the
order of the additions is unchanged.

``predict_variants`` serves a valuation: a row (row 0) and its explanation's perturbed rows,
each equal to row 0 except in a few columns. A tree whose path for row 0 tests none of the
columns a perturbed row changes ends in the same leaf for that row (each split reads one
column), so only the trees whose row-0 path tests a changed column are walked again; the
row's sum is then added up tree after tree as for any row, with row 0's leaves elsewhere:
the same additions in the same order, so the same numbers as walking every tree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

# rows walked together through every tree (batch): one tree's nodes stay in the cache while
# the block's rows pass; measured on 10,000 rows (king_county, 1,500 trees) 30 µs a row in
# blocks of 128, 24 in blocks of 4,096, 20 in one block
BLOCK = 16_384

MISSING_LEFT = 1
CATEGORICAL = 2


class Forest:
    """The nodes of a fitted HistGradientBoostingRegressor's trees, flat; ``predict`` takes
    rows already in the model's preprocessed column order (categories as their codes)."""

    def __init__(self, model: Any) -> None:
        trees = [predictors[0] for predictors in model._predictors]
        # every tree's left-category bitsets, one table; a node's row shifted by its tree's
        bitsets = [t.raw_left_cat_bitsets for t in trees]
        counts = [len(b) for b in bitsets]
        bitset_starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.left_bitsets = (
            np.ascontiguousarray(np.concatenate(bitsets).astype(np.uint32))
            if sum(counts)
            else np.zeros((1, 8), dtype=np.uint32)
        )
        thr: list[np.ndarray] = []
        info: list[np.ndarray] = []  # feature (-1: a leaf), right child, flags, bitset row
        roots = []
        total = 0
        for t, tree in enumerate(trees):
            n = tree.nodes
            order = _depth_first(n["left"], n["right"], n["is_leaf"])
            new = np.empty(len(n), dtype=np.int64)
            new[order] = np.arange(len(n)) + total
            nodes = n[order]
            leaf = nodes["is_leaf"].astype(bool)
            a = np.empty((len(n), 4), dtype=np.int32)
            a[:, 0] = np.where(leaf, -1, nodes["feature_idx"].astype(np.int64))
            a[:, 1] = np.where(leaf, -1, new[np.where(leaf, 0, nodes["right"])])
            a[:, 2] = np.where(nodes["missing_go_to_left"].astype(bool), MISSING_LEFT, 0) | (
                np.where(nodes["is_categorical"].astype(bool), CATEGORICAL, 0)
            )
            a[:, 3] = nodes["bitset_idx"].astype(np.int64) + bitset_starts[t]
            # a left child is the next node (depth first): checked, not assumed
            inner = ~leaf
            if inner.any() and not np.array_equal(
                new[nodes["left"][inner]], np.arange(len(n))[inner] + total + 1
            ):
                raise ValueError("tree nodes not in depth-first order")
            thr.append(np.where(leaf, nodes["value"], nodes["num_threshold"]).astype(np.float64))
            info.append(a)
            roots.append(total)
            total += len(n)
        self.roots = np.array(roots, dtype=np.int64)
        self.threshold = np.ascontiguousarray(np.concatenate(thr))
        self.info = np.ascontiguousarray(np.concatenate(info))
        known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
        self.known_bitsets = (
            np.ascontiguousarray(known.astype(np.uint32))
            if len(known)
            else np.zeros((1, 8), dtype=np.uint32)
        )
        self.f_idx_map = f_idx_map.astype(np.int64)
        self.baseline = float(np.asarray(model._baseline_prediction).ravel()[0])
        self.n_features = int(model.n_features_in_)
        self.depth = int(_max_depth(self.roots, self.info)) + 1

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty(len(X), dtype=np.float64)
        _walk_blocks(
            X, self.baseline, self.roots, self.threshold, self.info, self.left_bitsets,
            self.known_bitsets, self.f_idx_map, BLOCK, out,
        )  # fmt: skip
        return out

    def predict_variants(self, X: np.ndarray) -> np.ndarray:
        """``predict(X)`` where the rows after the first differ from it in a few columns."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty(len(X), dtype=np.float64)
        if len(X):
            _walk_variants(
                X, self.baseline, self.roots, self.threshold, self.info, self.left_bitsets,
                self.known_bitsets, self.f_idx_map, self.n_features, self.depth, out,
            )  # fmt: skip
        return out


def _depth_first(left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray) -> np.ndarray:
    """The tree's node numbers in depth-first order (node, its left subtree, its right)."""
    order: list[int] = []
    stack = [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if not is_leaf[node]:
            stack.append(int(right[node]))
            stack.append(int(left[node]))
    return np.array(order, dtype=np.int64)


@njit(cache=True, nogil=True)
def _max_depth(roots: np.ndarray, info: np.ndarray) -> int:  # pragma: no cover - compiled
    deepest = 0
    stack = np.empty(4096, dtype=np.int64)
    depth = np.empty(4096, dtype=np.int64)
    for t in range(roots.shape[0]):
        stack[0] = roots[t]
        depth[0] = 0
        top = 1
        while top > 0:
            top -= 1
            node = stack[top]
            dd = depth[top]
            if dd > deepest:
                deepest = dd
            if info[node, 0] >= 0:
                stack[top] = node + 1
                depth[top] = dd + 1
                stack[top + 1] = info[node, 1]
                depth[top + 1] = dd + 1
                top += 2
    return deepest


@njit(cache=True, nogil=True, inline="always")
def _leaf(  # pragma: no cover - compiled
    X: np.ndarray,
    i: int,
    node: int,
    threshold: np.ndarray,
    info: np.ndarray,
    left_bitsets: np.ndarray,
    known_bitsets: np.ndarray,
    f_idx_map: np.ndarray,
) -> int:
    # scikit-learn's _predict_one_from_raw_data, one tree. The split step is written out
    # here and again in _walk_variants on purpose: one inlined @njit helper for both made
    # the batch walk 6x slower (King County gbm 33,400 -> 5,800 rows/s, speed.py, load 1).
    while True:
        f = info[node, 0]
        if f < 0:
            return node
        x = X[i, f]
        flags = info[node, 2]
        if np.isnan(x):
            node = node + 1 if flags & MISSING_LEFT else info[node, 1]
        elif flags & CATEGORICAL:
            if x < 0:
                node = node + 1 if flags & MISSING_LEFT else info[node, 1]
            else:
                code = np.uint8(x)
                word = code // 32
                bit = code % 32
                if (left_bitsets[info[node, 3], word] >> bit) & 1:
                    node = node + 1
                elif (known_bitsets[f_idx_map[f], word] >> bit) & 1:
                    node = info[node, 1]
                else:
                    node = node + 1 if flags & MISSING_LEFT else info[node, 1]
        elif x <= threshold[node]:
            node = node + 1
        else:
            node = info[node, 1]


@njit(cache=True, nogil=True)
def _walk_blocks(  # pragma: no cover - compiled
    X: np.ndarray,
    baseline: float,
    roots: np.ndarray,
    threshold: np.ndarray,
    info: np.ndarray,
    left_bitsets: np.ndarray,
    known_bitsets: np.ndarray,
    f_idx_map: np.ndarray,
    block: int,
    out: np.ndarray,
) -> None:
    n = X.shape[0]
    for i in range(n):
        out[i] = baseline
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        for t in range(roots.shape[0]):
            root = roots[t]
            for i in range(lo, hi):
                leaf = _leaf(X, i, root, threshold, info, left_bitsets, known_bitsets, f_idx_map)
                out[i] += threshold[leaf]


@njit(cache=True, nogil=True)
def _walk_variants(  # pragma: no cover - compiled
    X: np.ndarray,
    baseline: float,
    roots: np.ndarray,
    threshold: np.ndarray,
    info: np.ndarray,
    left_bitsets: np.ndarray,
    known_bitsets: np.ndarray,
    f_idx_map: np.ndarray,
    n_features: int,
    depth: int,
    out: np.ndarray,
) -> None:
    n_trees = roots.shape[0]
    n, d = X.shape
    # row 0: every tree, its leaf's value, the running sum, and per column the trees whose
    # path tests it
    base_val = np.empty(n_trees)
    running = np.empty(n_trees + 1)  # running[t]: the sum before tree t
    uses_count = np.zeros(n_features, dtype=np.int64)
    last_tree = np.full(n_features, -1, dtype=np.int64)
    path_f = np.empty(n_trees * depth, dtype=np.int64)
    path_start = np.empty(n_trees + 1, dtype=np.int64)
    k = 0
    acc = baseline
    for t in range(n_trees):
        path_start[t] = k
        node = roots[t]
        while True:
            f = info[node, 0]
            if f < 0:
                break
            if last_tree[f] != t:
                last_tree[f] = t
                path_f[k] = f
                k += 1
                uses_count[f] += 1
            x = X[0, f]
            flags = info[node, 2]
            if np.isnan(x):
                node = node + 1 if flags & MISSING_LEFT else info[node, 1]
            elif flags & CATEGORICAL:
                if x < 0:
                    node = node + 1 if flags & MISSING_LEFT else info[node, 1]
                else:
                    code = np.uint8(x)
                    word = code // 32
                    bit = code % 32
                    if (left_bitsets[info[node, 3], word] >> bit) & 1:
                        node = node + 1
                    elif (known_bitsets[f_idx_map[f], word] >> bit) & 1:
                        node = info[node, 1]
                    else:
                        node = node + 1 if flags & MISSING_LEFT else info[node, 1]
            elif x <= threshold[node]:
                node = node + 1
            else:
                node = info[node, 1]
        running[t] = acc
        base_val[t] = threshold[node]
        acc += base_val[t]
    path_start[n_trees] = k
    running[n_trees] = acc
    out[0] = acc
    starts = np.zeros(n_features + 1, dtype=np.int64)
    for f in range(n_features):
        starts[f + 1] = starts[f] + uses_count[f]
    fill = starts[:-1].copy()
    trees_of = np.empty(starts[n_features], dtype=np.int64)
    for t in range(n_trees):
        for p in range(path_start[t], path_start[t + 1]):
            f = path_f[p]
            trees_of[fill[f]] = t
            fill[f] += 1
    # the other rows: the trees whose row-0 path tests a column the row changes are walked
    # again; the sum is row 0's running sum up to the first such tree, then tree after tree
    stamp = np.full(n_trees, -1, dtype=np.int64)
    val = np.empty(n_trees)
    for i in range(1, n):
        first = n_trees
        for f in range(d):
            a = X[i, f]
            b = X[0, f]
            if a == b or (np.isnan(a) and np.isnan(b)):
                continue
            for j in range(starts[f], starts[f + 1]):
                t = trees_of[j]
                if stamp[t] != i:
                    stamp[t] = i
                    leaf = _leaf(
                        X, i, roots[t], threshold, info, left_bitsets, known_bitsets, f_idx_map
                    )
                    val[t] = threshold[leaf]
                    if t < first:
                        first = t
        total = running[first]
        for t in range(first, n_trees):
            total += val[t] if stamp[t] == i else base_val[t]
        out[i] = total
