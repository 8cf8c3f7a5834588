"""``ensemble``: stacking of binary routers by a small model on their out-of-fold scores.

Each member (by default similarity-weighted kNN on embeddings, a logistic regression on the
embedding, category and length, and the per-category prior) is cross-fitted *inside* the training
table (``inner_folds`` folds), so the stacker learns how much to trust each member from scores on
queries the member did not see. The stacker is an L2-regularised logistic regression on the
members' logits (``objective="win"``, P(q_strong - q_weak > tolerance)) or a ridge regression of the
quality gain (``objective="gain"``, score = (predicted gain + 1) / 2). The members are then refitted
on the whole training table. Members erring in different places (local neighbours vs a global
linear read of the embedding vs the subject prior) is what makes the blend better than any one.

Why the knn member keeps 128 centroids (``max_bank=128``, see :mod:`.bank`): a live decision then
costs the same whatever the size of the training table, and the bank (197 kB as float32) stays in a
core's L2 cache. On RouteLLM's MMLU outcomes (5-fold cross-fit, seed 0) the ensemble's APGR is
0.702 [0.682, 0.723] with it and 0.705 [0.684, 0.726] with every training question as a neighbour
(9,829 rows: a full-bank knn alone takes about 0.43 ms per decision there, the default ensemble
about 40 µs); on the support-desk sample 0.550 vs 0.552.

Why no word TF-IDF member by default: on RouteLLM's MMLU outcomes (5-fold cross-fit, seed 0, with
a full-bank knn member) a word TF-IDF logistic in place of the embedding logistic moved APGR from 0.705 to 0.712, inside either
one's 95% interval, and on the support-desk sample from 0.552 to 0.553; it costs 40-60 µs more per
live decision (hashing and counting the prompt's n-grams in Python), which takes a policy past the
50 µs decision budget. Put :data:`WORDS_MEMBER` in ``members`` when those points matter more than
the time.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import RouterlabError
from . import features as F
from .base import Queries, Router, one_embedding

DEFAULT_MEMBERS = (
    {"kind": "knn", "params": {"max_bank": 128}},  # a bank of 128 centroids (module docstring)
    {"kind": "logistic", "params": {"objective": "gain"}},  # embedding + category + length
    {"kind": "category"},
)
#: the word TF-IDF member the module docstring weighs against the default's embedding logistic
WORDS_MEMBER = {
    "kind": "logistic",
    "params": {"features": ["words", "category"], "objective": "gain"},
}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


class EnsembleRouter(Router):
    """Stacked binary routers (out-of-fold stacking).

    Parameters
    ----------
    members : list of dict, optional
        ``[{"kind": "knn", "params": {...}}, ...]``: binary routers from the registry.
    inner_folds : int
        Folds used inside the training table to get out-of-fold member scores.
    objective : {"gain", "win"}
    tolerance : float
        Quality-gap tolerance of the ``win`` label.
    l2 : float
        Regularisation of the stacker.

    Examples
    --------
    >>> r = EnsembleRouter(members=[{"kind": "knn"}, {"kind": "category"}]).fit(train)   # doctest: +SKIP
    """

    kind = "ensemble"
    needs_embeddings = True
    _array_state = {"stack_coef_": float}
    _router_state = ("members_",)

    def __init__(
        self,
        *,
        members: list[dict] | None = None,
        inner_folds: int = 3,
        objective: str = "gain",
        tolerance: float = 0.0,
        l2: float = 1.0,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed, threshold=threshold)
        self.members = members
        self.inner_folds = inner_folds
        self.objective = objective
        self.tolerance = tolerance
        self.l2 = l2

    def _member_specs(self) -> list[dict]:
        from . import REGISTRY

        specs = [dict(m) for m in (self.members if self.members is not None else DEFAULT_MEMBERS)]
        if not specs:
            raise RouterlabError("an ensemble needs at least one member router")
        for m in specs:
            if not isinstance(m, dict) or m.get("kind") not in REGISTRY:
                raise RouterlabError(
                    f"ensemble member {m!r} must be {{'kind': <router name>, 'params': {{...}}}}; "
                    f"known routers: {', '.join(sorted(REGISTRY))}"
                )
            if m["kind"] in ("ensemble", "oracle") or REGISTRY[m["kind"]].multi_model:
                raise RouterlabError(
                    f"{m['kind']!r} cannot be an ensemble member (binary, deployable routers only)"
                )
        return specs

    def _make(self, spec):
        from . import make_router

        weak, strong = self.models_
        p = dict(spec.get("params") or {})
        p.update(strong=strong, weak=weak, seed=int(self.seed))
        return make_router(spec["kind"], **p)

    def _fit(self, outcomes) -> None:
        if self.objective not in ("gain", "win"):
            raise RouterlabError(f"objective must be 'gain' or 'win', got {self.objective!r}")
        specs = self._member_specs()
        k = int(self.inner_folds)
        if k < 2:
            raise RouterlabError(f"inner_folds must be at least 2, got {k}")
        k = min(k, outcomes.n)
        oof = np.zeros((outcomes.n, len(specs)))
        if outcomes.n >= 2 * k:
            folds = outcomes.kfold(k, int(self.seed) + 1)
        else:  # tiny tables: in-sample scores
            folds = [(np.arange(outcomes.n), np.arange(outcomes.n))]
        q = Queries.from_outcomes(outcomes)
        for tr, te in folds:
            sub = outcomes.subset(tr)
            for j, spec in enumerate(specs):
                oof[te, j] = self._make(spec).fit(sub).score(q.subset(te))
        gap = self._gap(outcomes)
        X = F.Design(_logit(oof))
        if self.objective == "win":
            self.stack_coef_ = F.fit_logistic(
                X, (gap > float(self.tolerance)).astype(float), l2=float(self.l2)
            )
        else:
            self.stack_coef_ = F.fit_ridge(X, gap, l2=float(self.l2))
        self.members_ = [self._make(spec).fit(outcomes) for spec in specs]

    def member_scores(self, queries) -> np.ndarray:
        """(n, K) scores of the members."""
        from .base import as_queries

        self._check_fitted()
        q = as_queries(queries)
        return np.column_stack([m.score(q) for m in self.members_])

    def _score(self, queries: Queries) -> np.ndarray:
        z = F.Design(_logit(self.member_scores(queries))).dot(self.stack_coef_)
        if self.objective == "win":
            return F.sigmoid(z)
        return np.clip((z + 1.0) / 2.0, 0.0, 1.0)

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        """The members' one-query scores, then the stacker, with plain floats. Members that read
        the embedding only through products with it (knn, the embedding logistic) share one
        float32 matrix product."""
        self._check_fitted()
        rows, plan, key = self._one_plan()
        d = None if rows is None else np.dot(rows, one_embedding(prompt, embedding, *key))
        w0, *w = self._derived("stack", self.stack_coef_, self.stack_coef_.tolist)
        z = 0.0
        for (m, part), c in zip(plan, w, strict=True):
            if part is None:
                p = m.score_one(prompt, category, contains_pii, embedding)
            else:
                p = m._score_products(d[part], prompt, category)
            p = min(max(p, 1e-4), 1 - 1e-4)
            z += c * math.log(p / (1 - p))
        z += w0
        if self.objective == "win":
            return F.sigmoid_one(z)
        return min(max((z + 1.0) / 2.0, 0.0), 1.0)

    def _one_plan(self):
        """(stacked float32 rows or None, [(member, its slice of the product or None)], (encoder,
        width)): built once per fit. Only members of one encoder share the product."""

        def build():
            rows, plan, key, n = [], [], None, 0
            for m in self.members_:
                r = m._one_rows()
                k = None if r is None else (getattr(m, "encoder", None), r.shape[1])
                if k is not None and (key is None or k == key):
                    key = k
                    plan.append((m, slice(n, n + len(r))))
                    rows.append(r)
                    n += len(r)
                else:
                    plan.append((m, None))
            stacked = np.vstack(rows).astype(np.float32) if rows else None
            return stacked, plan, key

        return self._derived("plan", self.members_, build)
