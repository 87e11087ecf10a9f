"""The comparables search: the nearest training sales of a point, exact, without a pass over
every sale.

The comparables' space (standardised features weighted by the hedonic model's |β|) has
20–200 dimensions but its variance sits in a few directions (the first two principal axes
hold 78–97% of it on the shipped data sets). The index builds a k-d tree on the sales'
coordinates along the leading principal axes: each node's bounding box there gives a lower
bound of the distance of every sale under it (a projection onto orthonormal axes never
lengthens a vector). A query descends nearer child first and skips any node whose bound
exceeds the m-th best squared distance found so far; in a leaf each sale's squared distance
is summed feature by feature, largest variance first, and abandoned once it exceeds that
m-th best.

The result is the m nearest by (squared distance, index) — the same set as a pass over every
sale up to rounding (1e-15 relative); ``nearest`` takes a small margin (m = k + 4) and ranks
the candidates by their exact distances (features in their own order), ties by index.
tests/pricing/test_valuation_neighbours.py holds it to brute force.
"""

from __future__ import annotations

import numpy as np
from numba import njit

LEAF = 24
SORT_QUERIES = 512  # more rows than this are searched in order along the leading axis
BOX_DIMS = 8  # leading principal axes the tree splits on and bounds with


class NeighbourIndex:
    """Sales ``P`` (n × d, float64) in a k-d tree on their leading principal axes."""

    def __init__(self, P: np.ndarray) -> None:
        P = np.ascontiguousarray(P, dtype=np.float64)
        self.P = P
        self.n, d = P.shape
        self.mean = P.mean(axis=0) if self.n else np.zeros(d)
        b = min(BOX_DIMS, d)
        if self.n > 1 and b:
            _u, _s, vt = np.linalg.svd(P - self.mean, full_matrices=False)
            axes = vt[:b].T
            if axes.shape[1] < b:  # fewer sales than axes: the tree uses what there is
                b = axes.shape[1]
        else:
            axes = np.eye(d)[:, :b]
        self.axes = np.ascontiguousarray(axes[:, :b])
        # the bounds are computed on rotated coordinates, the distances on the features: a
        # node is skipped only when its bound exceeds the m-th best by more than rounding
        self.slack = 1e-9 * (float(((P - self.mean) ** 2).sum(axis=1).mean()) if self.n else 0.0)
        B = (P - self.mean) @ self.axes if b else np.zeros((self.n, 0))
        # features by variance, largest first: a far sale's partial sum passes the bound early
        self.dim_order = np.argsort(-P.var(axis=0), kind="stable").astype(np.int64)
        # the tree: nodes split at the median of their widest leading axis
        perm = np.arange(self.n, dtype=np.int64)
        starts, ends, lefts, rights = [0], [self.n], [-1], [-1]
        stack = [0]
        while stack and b:
            node = stack.pop()
            lo, hi = starts[node], ends[node]
            if hi - lo <= LEAF:
                continue
            pts = B[perm[lo:hi]]
            axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
            mid = (hi - lo) // 2
            part = np.argpartition(pts[:, axis], mid)
            perm[lo:hi] = perm[lo:hi][part]
            for a, z in ((lo, lo + mid), (lo + mid, hi)):
                starts.append(a)
                ends.append(z)
                lefts.append(-1)
                rights.append(-1)
                stack.append(len(starts) - 1)
            lefts[node], rights[node] = len(starts) - 2, len(starts) - 1
        self.start = np.array(starts, dtype=np.int64)
        self.end = np.array(ends, dtype=np.int64)
        self.left = np.array(lefts, dtype=np.int64)
        self.right = np.array(rights, dtype=np.int64)
        self.order = perm
        # the sales in tree order, features by variance (the leaf scan's layout)
        self.S = np.ascontiguousarray(P[perm][:, self.dim_order])
        nodes = len(starts)
        Bp = B[perm]
        self.box_lo = np.empty((nodes, b))
        self.box_hi = np.empty((nodes, b))
        for i in range(nodes):
            pts = Bp[starts[i] : ends[i]]
            if len(pts):
                self.box_lo[i], self.box_hi[i] = pts.min(axis=0), pts.max(axis=0)
            else:
                self.box_lo[i], self.box_hi[i] = np.inf, -np.inf

    def candidates(self, Q: np.ndarray, m: int) -> np.ndarray:
        """The indices (into P) of the m nearest sales of each row of Q, nearest first."""
        m = min(m, self.n)
        Q = np.ascontiguousarray(Q, dtype=np.float64)
        out = np.empty((len(Q), m), dtype=np.int64)
        if not m:
            return out
        if len(Q) > SORT_QUERIES and self.axes.shape[1]:
            # many rows: searched in their order along the leading axis (neighbouring rows
            # visit the same leaves: 10–20 % less time measured), answered in theirs
            order = np.argsort((Q - self.mean) @ self.axes[:, 0], kind="stable")
            found = np.empty((len(Q), m), dtype=np.int64)
            self._search(np.ascontiguousarray(Q[order]), m, found)
            out[order] = found
        else:
            self._search(Q, m, out)
        return out

    def _search(self, Q: np.ndarray, m: int, out: np.ndarray) -> None:
        _search(
            self.S, self.order, self.dim_order, self.mean, self.axes,
            self.start, self.end, self.left, self.right, self.box_lo, self.box_hi,
            self.slack, Q, m, out,
        )  # fmt: skip

    def nearest(self, Q: np.ndarray, k: int, margin: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest sales of each row of Q by exact distance (nearest first, ties by
        index): distances and indices."""
        k = min(k, self.n)
        Q = np.ascontiguousarray(Q, dtype=np.float64)
        cand = self.candidates(Q, min(self.n, k + margin))
        out_d = np.empty((len(Q), k))
        out_i = np.empty((len(Q), k), dtype=np.int64)
        if k:
            _exact(self.P, Q, cand, k, out_d, out_i)
        return out_d, out_i


@njit(cache=True, nogil=True)
def _search(  # pragma: no cover - compiled
    S: np.ndarray,
    order: np.ndarray,
    dim_order: np.ndarray,
    mean: np.ndarray,
    axes: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    box_lo: np.ndarray,
    box_hi: np.ndarray,
    slack: float,
    Q: np.ndarray,
    m: int,
    out: np.ndarray,
) -> None:
    d = S.shape[1]
    b = box_lo.shape[1]
    best_d = np.empty(m)
    best_i = np.empty(m, dtype=np.int64)
    stack_node = np.empty(256, dtype=np.int64)
    stack_lb = np.empty(256)
    qs = np.empty(d)
    qb = np.empty(b)
    for qi in range(Q.shape[0]):
        for t in range(d):
            qs[t] = Q[qi, dim_order[t]]
        for a in range(b):
            acc = 0.0
            for t in range(d):
                acc += (Q[qi, t] - mean[t]) * axes[t, a]
            qb[a] = acc
        count = 0
        stack_node[0] = 0
        stack_lb[0] = 0.0
        top = 1
        while top > 0:
            top -= 1
            node = stack_node[top]
            if count == m and stack_lb[top] > best_d[m - 1] + slack:
                continue
            if left[node] < 0:  # a leaf: its sales
                for j in range(start[node], end[node]):
                    limit = best_d[m - 1] if count == m else np.inf
                    s = 0.0
                    for t in range(d):
                        e = S[j, t] - qs[t]
                        s += e * e
                        if s > limit:
                            break
                    if s > limit:
                        continue
                    idx = order[j]
                    if count == m and s == best_d[m - 1] and idx > best_i[m - 1]:
                        continue
                    pos = count if count < m else m - 1
                    while pos > 0 and (
                        best_d[pos - 1] > s or (best_d[pos - 1] == s and best_i[pos - 1] > idx)
                    ):
                        best_d[pos] = best_d[pos - 1]
                        best_i[pos] = best_i[pos - 1]
                        pos -= 1
                    best_d[pos] = s
                    best_i[pos] = idx
                    if count < m:
                        count += 1
                continue
            # children: bounds from their boxes; the nearer one is visited first
            a, c = left[node], right[node]
            la = 0.0
            lc = 0.0
            for t in range(b):
                x = qb[t]
                g = box_lo[a, t] - x
                if g < 0.0:
                    g = x - box_hi[a, t]
                if g > 0.0:
                    la += g * g
                g = box_lo[c, t] - x
                if g < 0.0:
                    g = x - box_hi[c, t]
                if g > 0.0:
                    lc += g * g
            if la <= lc:
                stack_node[top], stack_lb[top] = c, lc
                stack_node[top + 1], stack_lb[top + 1] = a, la
            else:
                stack_node[top], stack_lb[top] = a, la
                stack_node[top + 1], stack_lb[top + 1] = c, lc
            top += 2
        for t in range(m):
            out[qi, t] = best_i[t]


@njit(cache=True, nogil=True)
def _exact(  # pragma: no cover - compiled
    P: np.ndarray,
    Q: np.ndarray,
    cand: np.ndarray,
    k: int,
    out_d: np.ndarray,
    out_i: np.ndarray,
) -> None:
    m = cand.shape[1]
    d = P.shape[1]
    dist = np.empty(m)
    for qi in range(Q.shape[0]):
        for c in range(m):
            s = 0.0
            j = cand[qi, c]
            for t in range(d):
                e = P[j, t] - Q[qi, t]
                s += e * e
            dist[c] = np.sqrt(s)
        # k smallest by (distance, index): selection by repeated minimum (m is small)
        used = np.zeros(m, dtype=np.bool_)
        for r in range(k):
            best = -1
            for c in range(m):
                if used[c]:
                    continue
                if (
                    best < 0
                    or dist[c] < dist[best]
                    or (dist[c] == dist[best] and cand[qi, c] < cand[qi, best])
                ):
                    best = c
            used[best] = True
            out_d[qi, r] = dist[best]
            out_i[qi, r] = cand[qi, best]


VARIANT_CANDIDATES = 512  # a perturbed row with more candidates is searched in the index


def nearest_variants(
    index: NeighbourIndex, Q: np.ndarray, k: int, margin: int = 4, pool: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``index.nearest(Q, k)`` where the rows after the first are a valuation's perturbed rows
    (row 0 with a few features changed).

    Row 0's squared distances are computed once: to every sale (``pool`` None: one pass,
    n × d), or to its ``pool`` nearest from the index. A perturbed row q at distance δ from
    row 0 has its k nearest within D + δ of itself, where D is row 0's k-th nearest distance
    (the k sales nearest row 0 are within D + δ of q), so within D + 2δ of row 0 (triangle
    inequality; the bound widened by a relative 1e-9 against rounding): those sales, usually
    a few dozen, are its candidates. Their squared distances to q are row 0's corrected in
    the features q changes; as in ``index.nearest`` the k + ``margin`` best of them are
    ranked by their exact distances (features in their own order, ties by index). A row
    with more than VARIANT_CANDIDATES candidates, or whose bound reaches past row 0's pool,
    is searched in the index instead. tests/pricing/test_valuation_neighbours.py holds it to
    brute force."""
    k = min(k, index.n)
    Q = np.ascontiguousarray(Q, dtype=np.float64)
    n = len(Q)
    out_d = np.empty((n, k))
    out_i = np.empty((n, k), dtype=np.int64)
    if not n or not k:
        return out_d, out_i
    searched = np.zeros(n, dtype=np.bool_)
    m = min(index.n, k + margin)
    if pool is None or pool >= index.n:
        near0 = np.arange(index.n, dtype=np.int64)
        d0 = _squared(index.P, Q[0])
        whole = True
    else:
        near0 = np.sort(index.candidates(Q[:1], max(pool, m))[0])  # by index: ties
        d0 = _squared(index.P[near0], Q[0])
        whole = False
    _variants(index.P, Q, near0, d0, whole, k, m, VARIANT_CANDIDATES, out_d, out_i, searched)
    if searched.any():
        d, i = index.nearest(Q[searched], k, margin)
        out_d[searched], out_i[searched] = d, i
    return out_d, out_i


@njit(cache=True, nogil=True)
def _variants(  # pragma: no cover - compiled
    P: np.ndarray,
    Q: np.ndarray,
    near0: np.ndarray,
    d0: np.ndarray,
    whole: bool,
    k: int,
    m: int,
    limit: int,
    out_d: np.ndarray,
    out_i: np.ndarray,
    searched: np.ndarray,
) -> None:
    n = near0.shape[0]
    d = P.shape[1]
    kth = np.sqrt(np.partition(d0, k - 1)[k - 1])
    # outside a pool, every sale is at least as far from row 0 as the pool's farthest
    reach = np.inf if whole else np.sqrt(np.max(d0)) * (1.0 - 1e-9)
    cand = np.empty(n, dtype=np.int64)
    changed = np.empty(d, dtype=np.int64)
    best_s = np.empty(m)
    best_j = np.empty((1, m), dtype=np.int64)
    for i in range(Q.shape[0]):
        delta = 0.0
        nc = 0
        for t in range(d):
            e = Q[i, t] - Q[0, t]
            if e != 0.0 or Q[i, t] != Q[0, t]:
                changed[nc] = t
                nc += 1
            delta += e * e
        if i > 0 and nc == 0:  # the row itself (its typical value is its own): row 0's
            if searched[0]:
                searched[i] = True
            else:
                out_d[i] = out_d[0]
                out_i[i] = out_i[0]
            continue
        r = (kth + 2.0 * np.sqrt(delta)) * (1.0 + 1e-9)
        if r >= reach:
            searched[i] = True
            continue
        r2 = r * r + 1e-300
        count = 0
        for j in range(n):
            if d0[j] <= r2:
                cand[count] = j
                count += 1
                if count > limit and i > 0:
                    break
        if i > 0 and count > limit:
            searched[i] = True
            continue
        # the m best candidates by squared distance (row 0's, corrected), ties by index
        got = 0
        for c in range(count):
            j = near0[cand[c]]
            s = d0[cand[c]]
            for u in range(nc):
                t = changed[u]
                a = P[j, t] - Q[i, t]
                b = P[j, t] - Q[0, t]
                s += a * a - b * b
            if got == m and s >= best_s[m - 1]:
                continue
            pos = got if got < m else m - 1
            while pos > 0 and best_s[pos - 1] > s:
                best_s[pos] = best_s[pos - 1]
                best_j[0, pos] = best_j[0, pos - 1]
                pos -= 1
            best_s[pos] = s
            best_j[0, pos] = j
            if got < m:
                got += 1
        _exact(P, Q[i : i + 1], best_j[:, :got], k, out_d[i : i + 1], out_i[i : i + 1])


@njit(cache=True, nogil=True, fastmath=True)
def _squared(P: np.ndarray, q: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Squared distances of every sale to q, summed in any order (vectorised): used only to
    choose candidates, within the callers' relative 1e-9 slack; the ranking recomputes."""
    n, d = P.shape
    out = np.empty(n)
    for j in range(n):
        s = 0.0
        for t in range(d):
            e = P[j, t] - q[t]
            s += e * e
        out[j] = s
    return out


class PlaceIndex:
    """The nearest sales of a place by great-circle distance, as the feature builder's
    haversine BallTree finds them (``tree.query(points, k)``: distances in radians and
    indices, nearest first), from a k-d tree (NeighbourIndex) on the sales' unit vectors: the
    straight-line distance between two points of the sphere grows with their great-circle
    distance, so the nearest by one are the nearest by the other. The candidates (k + 8 by
    straight line) are ranked by their haversine distance, computed as scikit-learn computes
    it. Where that ranking is not clear cut (two sales at one distance, or within a relative
    1e-12, at a place where the ranks matter to the local features: after the 3rd, the
    ``near``-th, the k-th, and the last candidate) the BallTree answers instead, so a tie is
    broken as the reference breaks it."""

    MARGIN = 8

    def __init__(self, tree: object, near: int) -> None:
        self.tree = tree
        coords = np.asarray(tree.data, dtype=np.float64)  # type: ignore[attr-defined]
        self.near = near
        self.coords = np.ascontiguousarray(coords)
        self.index = NeighbourIndex(_unit(coords))

    def query(self, pts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``tree.query(pts, k=k)`` for points (lat, lon) in radians."""
        pts = np.ascontiguousarray(pts, dtype=np.float64)
        m = k + self.MARGIN
        if m > self.index.n or not len(pts):
            return self.tree.query(pts, k=k)  # type: ignore[attr-defined]
        cand = self.index.candidates(_unit(pts), m)
        out_d = np.empty((len(pts), k))
        out_i = np.empty((len(pts), k), dtype=np.int64)
        unclear = np.zeros(len(pts), dtype=np.bool_)
        _haversine_rank(self.coords, pts, cand, k, min(self.near, k), out_d, out_i, unclear)
        if unclear.any():
            d, i = self.tree.query(pts[unclear], k=k)  # type: ignore[attr-defined]
            out_d[unclear], out_i[unclear] = d, i
        return out_d, out_i


def _unit(coords: np.ndarray) -> np.ndarray:
    lat, lon = coords[:, 0], coords[:, 1]
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


@njit(cache=True, nogil=True)
def _haversine_rank(  # pragma: no cover - compiled
    coords: np.ndarray,
    pts: np.ndarray,
    cand: np.ndarray,
    k: int,
    near: int,
    out_d: np.ndarray,
    out_i: np.ndarray,
    unclear: np.ndarray,
) -> None:
    m = cand.shape[1]
    dist = np.empty(m)
    for q in range(pts.shape[0]):
        for c in range(m):
            j = cand[q, c]
            # scikit-learn's HaversineDistance: rdist, then 2·arcsin(√rdist)
            s0 = np.sin(0.5 * (pts[q, 0] - coords[j, 0]))
            s1 = np.sin(0.5 * (pts[q, 1] - coords[j, 1]))
            r = s0 * s0 + np.cos(pts[q, 0]) * np.cos(coords[j, 0]) * s1 * s1
            dist[c] = 2.0 * np.arcsin(np.sqrt(r))
        order = np.argsort(dist, kind="mergesort")
        for r in range(k):
            out_d[q, r] = dist[order[r]]
            out_i[q, r] = cand[q, order[r]]
        for b in (3, near, k, m - 1):
            if 0 < b < m:
                lo = dist[order[b - 1]] if b < m - 1 else dist[order[k - 1]]
                hi = dist[order[b]]
                if not lo < hi * (1.0 - 1e-12):
                    unclear[q] = True
