"""``quality_aware``: per-category quality floors at minimum total cost, solved exactly per category.

A floor is a fraction of the strong (frontier) model's mean quality in that category, e.g.
``{"contracts": 0.95}``: routed quality in contracts must be at least 95% of what always calling the
strong model would give. For each category the training queries are sorted by an inner router's score
("strong needed"); every operating point "the top k go to the strong model" (cut only between distinct
scores) is enumerated with cumulative sums of quality and cost, and the cheapest point that meets the
floor is kept as that category's threshold. That is the exact optimum among threshold policies on the
inner score.

When a floor cannot be met (even the best point falls short, e.g. the floor is above 100% and the
weak model never beats the strong one), ``strict=True`` raises a :class:`RouterlabError` naming the
achievable fraction; otherwise a warning is issued and the best achievable point is used
(``infeasible_`` lists them). Categories without a floor use ``default_floor`` (None = the inner
router's own threshold).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import RouterlabError
from .base import Queries, Router, as_queries
from .category import lookup, table_get

_ALL_WEAK = 2.0  # inner scores lie in [0, 1]


def cheapest_meeting_floor(score, q_weak, q_strong, c_weak, c_strong, floor: float):
    """Exact min-cost threshold on ``score`` meeting ``mean quality >= floor * mean(q_strong)``.

    Returns (threshold, achieved_fraction, feasible, best_fraction): queries with
    ``score >= threshold`` go to the strong model."""
    n = len(score)
    order = np.argsort(-score, kind="stable")
    s = score[order]
    dq = np.concatenate([[0.0], np.cumsum(q_strong[order] - q_weak[order])])
    dc = np.concatenate([[0.0], np.cumsum(c_strong[order] - c_weak[order])])
    cut_ok = np.concatenate([[True], np.append(s[1:] != s[:-1], True)])  # k = 0..n at block ends
    quality = (q_weak.sum() + dq) / n
    cost = c_weak.sum() + dc
    ref = q_strong.mean()
    frac = np.where(cut_ok, quality / ref if ref > 0 else np.inf, -np.inf)
    best = float(frac.max())
    feasible = frac >= floor - 1e-12
    if feasible.any():
        cand = np.flatnonzero(feasible)
        k = int(cand[np.lexsort((cand, cost[cand]))[0]])  # min cost, then fewest strong calls
        ok = True
    else:
        k = int(np.argmax(frac))
        ok = False
    thr = _ALL_WEAK if k == 0 else float(s[k - 1])
    if k == n:
        thr = min(thr, float(s[-1]))
    return thr, float(frac[k]), ok, best


class QualityAwareRouter(Router):
    """Per-category thresholds on an inner score meeting quality floors at minimum cost.

    Parameters
    ----------
    floors : dict, optional
        Category -> floor as a fraction of the strong model's quality in that category.
    default_floor : float, optional
        Floor for other categories (None = the inner router's threshold there).
    inner : str
        Registry name of the router that supplies the "strong needed" score.
    inner_params : dict, optional
        Its parameters.
    strict : bool
        Raise (instead of warn) when a floor cannot be met on the training table.

    Examples
    --------
    >>> r = QualityAwareRouter(floors={"contracts": 0.95}, inner="knn").fit(train)   # doctest: +SKIP
    >>> r.report_                                                                    # doctest: +SKIP
    """

    kind = "quality_aware"
    _router_state = ("inner_",)
    _array_state = {"cat_thresholds_": float}

    def __init__(
        self,
        *,
        floors: dict | None = None,
        default_floor: float | None = None,
        inner: str = "knn",
        inner_params: dict | None = None,
        strict: bool = False,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed, threshold=threshold)
        self.floors = floors
        self.default_floor = default_floor
        self.inner = inner
        self.inner_params = inner_params
        self.strict = strict

    @property
    def needs_embeddings(self) -> bool:  # type: ignore[override]
        from . import REGISTRY

        return bool(getattr(REGISTRY.get(self.inner), "needs_embeddings", False))

    def _fit(self, outcomes) -> None:
        from . import make_router

        floors = dict(self.floors or {})
        for c, f in floors.items():
            if not isinstance(f, (int, float)) or f < 0:
                raise RouterlabError(
                    f"floor for {c!r} must be a fraction >= 0 (e.g. 0.95), got {f!r}"
                )
        weak, strong = self.models_
        params = dict(self.inner_params or {})
        params.update(strong=strong, weak=weak)
        inner = make_router(self.inner, **params)
        if inner.multi_model:
            raise RouterlabError(f"quality_aware needs a binary inner router, not {self.inner!r}")
        inner.fit(outcomes)
        score = inner.score(outcomes)
        cats = outcomes.categories
        unknown = sorted(set(floors) - set(cats.tolist()))
        if unknown:
            raise RouterlabError(
                f"floors for unknown categories {unknown}; categories: {', '.join(sorted(set(cats.tolist())))}"
            )
        jw, js = outcomes.col(weak), outcomes.col(strong)
        qual = np.nan_to_num(outcomes.quality, nan=0.0)
        cost = np.nan_to_num(outcomes.cost, nan=0.0)
        keys, thrs, report, infeasible = [], [], {}, {}
        for c in sorted(set(cats.tolist())):
            floor = floors.get(c, self.default_floor)
            if floor is None:
                continue
            m = cats == c
            thr, got, ok, best = cheapest_meeting_floor(
                score[m], qual[m, jw], qual[m, js], cost[m, jw], cost[m, js], float(floor)
            )
            if not ok:
                msg = (
                    f"quality floor {floor:.0%} in category {c!r} cannot be met on the training data: "
                    f"at most {best:.1%} of {strong}'s quality is achievable"
                )
                if self.strict:
                    raise RouterlabError(msg + " (lower the floor or set strict=False)")
                warnings.warn(msg + "; using the best achievable point", stacklevel=3)
                infeasible[c] = round(best, 6)
            keys.append(c)
            thrs.append(thr)
            share = float((score[m] >= thr).mean())
            report[c] = {
                "floor": float(floor),
                "achieved": round(got, 6),
                "strong_share": round(share, 6),
                "n": int(m.sum()),
            }
        self.inner_ = inner
        self.cat_keys_ = keys
        self.cat_thresholds_ = np.asarray(thrs, dtype=float)
        self.report_ = report
        self.infeasible_ = infeasible

    def _score(self, queries: Queries) -> np.ndarray:
        """The inner score rescaled piecewise-linearly so that the category threshold maps to 0.5."""
        q = as_queries(queries)
        # route() and score() both score the same Queries: keep the last inner score
        memo = self.__dict__.get("_inner_memo")
        if memo is not None and memo[0] is q and memo[1] is self.inner_:
            s = memo[2]
        else:
            s = self.inner_.score(q)
            self._inner_memo = (q, self.inner_, s)
        t = lookup(q.categories, self.cat_keys_, self.cat_thresholds_, np.nan)
        if t is None:
            t = np.full(len(q), np.nan)
        base = float(self.threshold)
        t = np.where(np.isnan(t), base, t)
        lo = np.where(t > 0, 0.5 * s / np.where(t > 0, t, 1.0), 0.5)
        hi = np.where(t < 1, 0.5 + 0.5 * (s - t) / np.where(t < 1, 1.0 - t, 1.0), 1.0)
        return np.clip(np.where(s >= t, np.maximum(hi, 0.5), np.minimum(lo, 0.5 - 1e-9)), 0.0, 1.0)

    def route(self, queries, threshold: float | None = None) -> np.ndarray:
        """Per-category thresholds are built into the score: the cut is at 0.5 unless overridden."""
        return super().route(queries, 0.5 if threshold is None else threshold)

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        """:meth:`_score` for one query, in scalar arithmetic (the same operations)."""
        self._check_fitted()
        s = float(self.inner_.score_one(prompt, category, contains_pii, embedding))
        t = math.nan
        if category is not None:
            t = table_get(self, "thr", self.cat_keys_, self.cat_thresholds_, category, t)
        if math.isnan(t):
            t = float(self.threshold)
        if s >= t:
            v = max(0.5 + 0.5 * (s - t) / (1.0 - t) if t < 1 else 1.0, 0.5)
        else:
            v = min(0.5 * s / t if t > 0 else 0.5, 0.5 - 1e-9)
        return min(max(v, 0.0), 1.0)

    def route_one(self, prompt, category=None, contains_pii=False, embedding=None, threshold=None):
        return super().route_one(
            prompt, category, contains_pii, embedding, 0.5 if threshold is None else threshold
        )
