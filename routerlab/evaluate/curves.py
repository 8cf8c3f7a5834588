"""The exact cost-quality curve of a router score, and the metrics read from it.

Binary routing between a weak (cheap) model W and a strong model S on N queries: sort the queries by
the router's score, highest first, send the top ``k`` to S and the rest to W, for every ``k = 0..N``.
That gives N + 1 operating points, computed with one sort and cumulative sums (no loop over
thresholds).

Ties. Queries with equal scores cannot be told apart by the router, so the order inside a tied block
must not leak the labels. With ``ties="average"`` (the default) every point is the *expected* value over
a uniformly random order inside each tied block: the points at block boundaries are exact and inside a
block the curve is the straight line between them (the expectation of sending ``j`` of the block's
``m`` queries to S is ``j / m`` of the block's total gain). With ``ties="random"`` ties are broken by a
seeded random permutation instead.

Metrics (exact definitions in the project's PEERS.md):

* ``PGR_k = (acc_k - mean(q_W)) / (mean(q_S) - mean(q_W))``, the performance gap recovered;
* ``APGR``: trapezoid area under PGR over the strong-call share ``x_k = k / N`` (random ~ 0.5; an
  oracle exceeds 1 when the weak model sometimes wins);
* ``CPT(p)``: the smallest share ``x_k`` with ``PGR_k >= p``;
* ``AIQ`` (RouterBench): area under the non-decreasing convex hull of (cost, quality) points, extended
  flat to the maximum cost, divided by the cost range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RouterlabError

#: Tolerance used when comparing a PGR with a target (cumulative sums are not exact).
_TOL = 1e-9


def _vec(x, n: int, name: str, default: float | None = None) -> np.ndarray:
    if x is None:
        if default is None:
            raise RouterlabError(f"{name} is required")
        return np.full(n, float(default))
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return np.full(n, float(a))
    if a.shape != (n,):
        raise RouterlabError(f"{name} has shape {a.shape}, expected ({n},) like the scores")
    return a


def check_score(score, n: int | None = None) -> np.ndarray:
    """A 1-d float array of finite-or-infinite scores (no NaN); a clear error otherwise."""
    s = np.asarray(score, dtype=float)
    if s.ndim != 1:
        raise RouterlabError(
            f"a binary router score must be one number per query, got shape {s.shape}"
        )
    if n is not None and len(s) != n:
        raise RouterlabError(f"{len(s)} scores for {n} queries")
    if len(s) == 0:
        raise RouterlabError("no queries to evaluate")
    if np.isnan(s).any():
        raise RouterlabError(
            f"{int(np.isnan(s).sum())} scores are NaN: the router must score every query"
        )
    return s


def descending_order(score: np.ndarray, ties: str = "average", seed: int = 0) -> np.ndarray:
    """Indices that sort ``score`` from highest to lowest (``ties="random"``: seeded shuffle of ties)."""
    if ties == "random":
        rng = np.random.default_rng(seed)
        return np.lexsort((rng.random(len(score)), -score))
    if ties != "average":
        raise RouterlabError(f"ties must be 'average' or 'random', got {ties!r}")
    return np.argsort(-score)


def block_starts(sorted_score: np.ndarray) -> np.ndarray:
    """Start index of every block of equal values in a sorted array (always begins with 0)."""
    new = np.flatnonzero(sorted_score[1:] != sorted_score[:-1]) + 1
    return np.concatenate(([0], new))


def _average_ties(cum: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Replace the N+1 cumulative sums inside tied blocks by the straight line between boundaries."""
    n = len(cum) - 1
    k = np.arange(n + 1)
    bound = np.zeros(n + 1, dtype=bool)
    bound[starts] = True
    bound[n] = True
    left = np.maximum.accumulate(np.where(bound, k, 0))
    right = np.minimum.accumulate(np.where(bound, k, n)[::-1])[::-1]
    span = right - left
    frac = np.divide(k - left, span, out=np.zeros(n + 1), where=span > 0)
    return cum[left] + frac * (cum[right] - cum[left])


def _cumulative(values_sorted: np.ndarray, starts: np.ndarray | None) -> np.ndarray:
    cum = np.empty(len(values_sorted) + 1)
    cum[0] = 0.0
    np.cumsum(values_sorted, out=cum[1:])
    if starts is not None:
        cum = _average_ties(cum, starts)
    return cum


@dataclass(frozen=True, eq=False)
class Curve:
    """All N + 1 operating points of a binary router score.

    Attributes
    ----------
    share : array (N+1,)
        Strong-call share ``k / N``.
    quality : array (N+1,)
        Mean quality when the top ``k`` queries go to the strong model.
    cost : array (N+1,)
        Mean cost per query in $ (or, when costs are unknown, strong calls per query = ``share``).
    pgr : array (N+1,)
        Performance gap recovered (NaN everywhere when both models have the same mean quality).
    threshold : array (N+1,)
        Score threshold: ``score >= threshold[k]`` sends the top ``k`` (``+inf`` for ``k = 0``).
        Inside a tied block the point is a random mix of the block and the threshold is the block's score.
    n, weak_quality, strong_quality, cost_known
        Number of queries, the two models' mean quality, and whether ``cost`` is in dollars.
    """

    share: np.ndarray
    quality: np.ndarray
    cost: np.ndarray
    pgr: np.ndarray
    threshold: np.ndarray
    n: int
    weak_quality: float
    strong_quality: float
    cost_known: bool

    def apgr(self) -> float:
        return apgr(self)

    def cpt(self, p: float) -> float:
        return cpt(self, p)

    def aiq(self) -> float:
        """AIQ over the cost range between all-weak and all-strong routing (shared by all routers)."""
        lo, hi = sorted((float(self.cost[0]), float(self.cost[-1])))
        return aiq(self.cost, self.quality, (lo, hi))

    def at_share(self, share: float) -> int:
        """Index ``k`` of the operating point closest to a strong-call share."""
        return int(np.clip(round(float(share) * self.n), 0, self.n))

    def to_frame(self):
        """The points as a DataFrame (columns share, quality, cost, pgr, threshold)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "share": self.share,
                "quality": self.quality,
                "cost": self.cost,
                "pgr": self.pgr,
                "threshold": self.threshold,
            }
        )

    def __repr__(self) -> str:
        return (
            f"Curve(n={self.n}, weak={self.weak_quality:.4f}, strong={self.strong_quality:.4f}, "
            f"apgr={self.apgr():.4f})"
        )


def curve(
    score,
    q_weak,
    q_strong,
    c_weak=None,
    c_strong=None,
    *,
    ties: str = "average",
    seed: int = 0,
) -> Curve:
    """The exact cost-quality curve of ``score`` (all N + 1 points, one sort + cumulative sums).

    Parameters
    ----------
    score : array (N,)
        Higher means "send to the strong model". NaN is an error.
    q_weak, q_strong : array (N,)
        Quality in [0, 1] of each model on each query (binary or graded).
    c_weak, c_strong : array (N,) or float, optional
        Cost in $ of each model on each query. When both are omitted the cost axis counts strong
        calls (weak = 0, strong = 1 per query), so ``cost == share``.
    ties : {"average", "random"}
        How to treat equal scores (see the module docstring).
    seed : int
        Seed for ``ties="random"``.

    Examples
    --------
    >>> c = curve([0.9, 0.1], q_weak=[0, 1], q_strong=[1, 1])
    >>> c.quality.tolist(), c.pgr.tolist()
    ([0.5, 1.0, 1.0], [0.0, 1.0, 1.0])
    """
    s = check_score(score)
    n = len(s)
    qw = _vec(q_weak, n, "q_weak")
    qs = _vec(q_strong, n, "q_strong")
    cost_known = c_weak is not None or c_strong is not None
    order = descending_order(s, ties, seed)
    s_sorted = s[order]
    starts = None
    if ties == "average" and n > 1 and np.any(s_sorted[1:] == s_sorted[:-1]):
        starts = block_starts(s_sorted)
    gain = _cumulative((qs - qw)[order], starts)
    base_w = float(qw.sum())
    mw, ms = base_w / n, float(qs.sum()) / n
    quality = (base_w + gain) / n
    share = np.arange(n + 1) / n
    if cost_known:
        cw = _vec(c_weak, n, "c_weak", default=0.0)
        cs = _vec(c_strong, n, "c_strong", default=0.0)
        cost = (float(cw.sum()) + _cumulative((cs - cw)[order], starts)) / n
    else:
        cost = share
    gap = ms - mw
    if gap != 0:
        pgr = (quality - mw) / gap
    else:
        pgr = np.full(n + 1, np.nan)
    threshold = np.empty(n + 1)
    threshold[0] = np.inf
    threshold[1:] = s_sorted
    return Curve(share, quality, cost, pgr, threshold, n, mw, ms, cost_known)


def apgr(c: Curve) -> float:
    """Average performance gap recovered: trapezoid area under PGR over the share in [0, 1]."""
    p = c.pgr
    return float((p.sum() - 0.5 * (p[0] + p[-1])) / c.n)


def cpt(c: Curve, p: float) -> float:
    """Call-performance threshold: the smallest strong-call share whose PGR reaches ``p``.

    ``p`` is a fraction (0.5 for CPT(50%)). NaN when no point reaches it or PGR is undefined.
    """
    hit = c.pgr >= p - _TOL
    if not hit.any():
        return float("nan")
    return float(c.share[int(np.argmax(hit))])


def pareto_front(costs, qualities) -> np.ndarray:
    """Indices of the non-dominated (cost, quality) points, cheapest first.

    A point is dominated when another costs no more and has at least its quality (one strictly).
    Equal points are kept once.

    Examples
    --------
    >>> pareto_front([1, 2, 3, 2], [0.5, 0.4, 0.9, 0.7]).tolist()
    [0, 3, 2]
    """
    c = np.asarray(costs, dtype=float)
    q = np.asarray(qualities, dtype=float)
    if c.shape != q.shape or c.ndim != 1:
        raise RouterlabError("costs and qualities must be 1-d arrays of the same length")
    ok = np.flatnonzero(np.isfinite(c) & np.isfinite(q))
    if len(ok) == 0:
        return ok
    order = ok[np.lexsort((-q[ok], c[ok]))]
    qo = q[order]
    best_before = np.concatenate(([-np.inf], np.maximum.accumulate(qo)[:-1]))
    return order[qo > best_before]


def upper_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the upper convex hull vertices of points sorted by strictly increasing ``x``.

    Vectorized pruning: every pass removes, all at once, each point that lies on or below the chord
    of its current neighbours (such a point can never be a hull vertex); passes repeat until none is
    removed.
    """
    keep = np.arange(len(x))
    while len(keep) > 2:
        xs, ys = x[keep], y[keep]
        x0, x1, x2 = xs[:-2], xs[1:-1], xs[2:]
        y0, y1, y2 = ys[:-2], ys[1:-1], ys[2:]
        below = (y1 - y0) * (x2 - x0) <= (y2 - y0) * (x1 - x0)
        if not below.any():
            break
        # Removing all of them at once is safe: each is a non-extreme point of the current set,
        # and dropping non-extreme points never changes the hull.
        drop = np.zeros(len(keep), dtype=bool)
        drop[1:-1] = below
        keep = keep[~drop]
    return keep


def ndch(costs, qualities) -> tuple[np.ndarray, np.ndarray]:
    """Non-decreasing convex hull (RouterBench) of (cost, quality) points: its vertices, cheapest first.

    The hull of the Pareto front; beyond its last vertex it stays flat (see :func:`aiq`).
    """
    idx = pareto_front(costs, qualities)
    c = np.asarray(costs, dtype=float)[idx]
    q = np.asarray(qualities, dtype=float)[idx]
    h = upper_hull(c, q)
    return c[h], q[h]


def aiq(costs, qualities, cost_range: tuple[float, float] | None = None) -> float:
    """Average improvement in quality (RouterBench): area under the NDCH over a cost range / its width.

    The hull is extended flat from its last vertex to the top of the range; below the router's
    cheapest point it contributes nothing. ``cost_range`` defaults to the points' own (min, max) cost;
    pass a common range to compare routers.

    Examples
    --------
    >>> round(aiq([0, 1], [0.5, 1.0]), 3)  # a straight line from 0.5 to 1.0
    0.75
    """
    hc, hq = ndch(costs, qualities)
    if len(hc) == 0:
        return float("nan")
    c = np.asarray(costs, dtype=float)
    lo, hi = (np.nanmin(c), np.nanmax(c)) if cost_range is None else map(float, cost_range)
    if hi <= lo:
        return float(hq.max())
    start = max(lo, hc[0])
    if start >= hi:
        return 0.0
    inside = hc[(hc > start) & (hc < hi)]
    xs = np.concatenate(([start], inside, [hi]))
    ys = np.interp(xs, hc, hq)
    return float(np.trapezoid(ys, xs) / (hi - lo))
