"""The comparables search (neighbours.py) against brute force: the same k nearest sales,
nearest first, ties by index, on spaces shaped like the comparables' (a few dominant axes,
many weak ones, repeated sales at one point)."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.valuation import neighbours
from pricing.valuation.neighbours import NeighbourIndex


def _brute(P: np.ndarray, Q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    d = np.sqrt(((P[None, :, :] - Q[:, None, :]) ** 2).sum(axis=-1))
    idx = np.array([np.lexsort((np.arange(len(P)), row))[:k] for row in d])
    return np.take_along_axis(d, idx, axis=1), idx


@pytest.mark.parametrize(("n", "d", "k"), [(3000, 28, 10), (500, 120, 10), (7, 5, 10), (60, 3, 6)])
def test_nearest_equals_brute_force(n: int, d: int, k: int) -> None:
    rng = np.random.default_rng(n + d)
    scale = np.exp(-np.arange(d) / 3.0)  # variance in a few directions, like the |β|-weighted space
    P = rng.normal(size=(n, d)) * scale @ np.linalg.qr(rng.normal(size=(d, d)))[0]
    P[n // 2 : n // 2 + min(n // 3, 40)] = P[n // 2]  # many sales at one point (ties)
    Q = np.vstack([rng.normal(size=(50, d)) * scale, P[:5], P[n // 2 : n // 2 + 1]])
    dist, idx = NeighbourIndex(P).nearest(Q, k)
    bd, bi = _brute(P, Q, min(k, n))
    assert (idx == bi).all()
    np.testing.assert_allclose(dist, bd, rtol=1e-12, atol=1e-12)


def test_one_sale_and_more_neighbours_than_sales() -> None:
    P = np.array([[1.0, 2.0]])
    dist, idx = NeighbourIndex(P).nearest(np.array([[0.0, 0.0], [1.0, 2.0]]), 6)
    assert idx.tolist() == [[0], [0]]
    np.testing.assert_allclose(dist[:, 0], [np.sqrt(5.0), 0.0])


@pytest.mark.parametrize(("n", "d", "k"), [(3000, 28, 10), (500, 120, 10), (7, 5, 10), (60, 3, 6)])
@pytest.mark.parametrize("limit", [512, 3])
def test_a_valuations_perturbed_rows_find_the_brute_force_neighbours(
    n: int, d: int, k: int, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nearest_variants (row 0 and rows differing from it in a few features, some of them far
    away: with a small candidate limit those are searched in the index) = brute force."""
    monkeypatch.setattr(neighbours, "VARIANT_CANDIDATES", limit)
    rng = np.random.default_rng(n * d + limit)
    scale = np.exp(-np.arange(d) / 3.0)
    P = rng.normal(size=(n, d)) * scale @ np.linalg.qr(rng.normal(size=(d, d)))[0]
    P[n // 2 : n // 2 + min(n // 3, 40)] = P[n // 2]  # many sales at one point (ties)
    for q0 in (rng.normal(size=d) * scale, P[n // 2].copy(), P[1].copy()):
        Q = np.repeat(q0[None, :], 40, axis=0)
        for i in range(1, 40):
            cols = rng.choice(d, size=int(rng.integers(1, 4)), replace=False)
            step = rng.normal(size=len(cols)) * (0.01 if i % 3 else 3.0)
            Q[i, cols] += step * scale[cols]
        Q[5] = q0  # a perturbation that changes nothing
        Q[6] = P[n // 2]  # one onto a repeated sale
        dist, idx = neighbours.nearest_variants(NeighbourIndex(P), Q, k)
        bd, bi = _brute(P, Q, min(k, n))
        assert (idx == bi).all()
        np.testing.assert_allclose(dist, bd, rtol=1e-12, atol=1e-12)
