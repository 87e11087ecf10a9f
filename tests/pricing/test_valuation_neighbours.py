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
    Q = np.vstack([Q, rng.normal(size=(600, d)) * scale])  # a batch: searched in order
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
@pytest.mark.parametrize(("limit", "pool"), [(512, None), (3, None), (512, 16), (512, 64)])
def test_a_valuations_perturbed_rows_find_the_brute_force_neighbours(
    n: int, d: int, k: int, limit: int, pool: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nearest_variants (row 0 and rows differing from it in a few features, some of them far
    away: with a small candidate limit, or past row 0's pool, those are searched in the
    index) = brute force."""
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
        dist, idx = neighbours.nearest_variants(NeighbourIndex(P), Q, k, pool=pool)
        bd, bi = _brute(P, Q, min(k, n))
        assert (idx == bi).all()
        np.testing.assert_allclose(dist, bd, rtol=1e-12, atol=1e-12)


def test_places_find_the_balltrees_nearest_sales() -> None:
    """PlaceIndex answers the feature builder's haversine BallTree query: the same sales among
    the 3 nearest, the ``near`` nearest and all k (ties, many sales at one address, broken as
    the BallTree breaks them), the same distances."""
    from sklearn.neighbors import BallTree

    rng = np.random.default_rng(5)
    sales = np.column_stack([47.5 + rng.normal(0, 0.1, 4000), -122.2 + rng.normal(0, 0.1, 4000)])
    sales[100:160] = sales[100]  # one address sold many times
    sales[200:204] = sales[200]
    sales = np.round(sales, 4)
    grid = np.stack(np.meshgrid(np.arange(20), np.arange(20)), -1).reshape(-1, 2) * 0.001
    sales[1000:1400] = np.array([47.6, -122.3]) + grid  # a street grid: many sales at one distance
    tree = BallTree(np.deg2rad(sales), metric="haversine")
    places = np.vstack(
        [
            sales[[100, 200, 5, 6]],
            np.array([47.5, -122.2]) + rng.normal(0, 0.12, (300, 2)),
            np.round(sales[300:600] + 0.00005, 4),
            sales[1000:1400:7] + np.array([0.0005, 0.0]),
        ]
    )
    pts = np.deg2rad(places)
    ours_d, ours_i = neighbours.PlaceIndex(tree, near=10).query(pts, 30)
    ref_d, ref_i = tree.query(pts, k=30)
    np.testing.assert_allclose(ours_d, ref_d, rtol=1e-12, atol=1e-15)
    for a, b in zip(ours_i, ref_i, strict=True):
        for cut in (3, 10, 30):
            assert set(a[:cut]) == set(b[:cut])
    # ties where the ranks matter were there (the BallTree answered those places)
    assert ((ref_d[:, 2] == ref_d[:, 3]) | (ref_d[:, 9] == ref_d[:, 10])).sum() > 5
