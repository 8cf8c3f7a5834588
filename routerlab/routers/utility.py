"""``utility``: N models, pick argmax of predicted quality - lambda x cost.

Predicted quality per model comes from a similarity-weighted k-NN over query embeddings (shrunk to
the model's per-category mean, as in :mod:`routerlab.routers.knn`) or from a ridge regression on
embeddings + category one-hot. Cost is each model's mean cost per query on the training table
divided by that of the dearest model, so ``lam`` reads as "quality points I would give up to avoid
one call of the dearest model" (lam = 0: best predicted quality, whatever the price).
"""

from __future__ import annotations

import numpy as np

from ..errors import RouterlabError
from . import features as F
from .bank import bank_limit, compress, with_counts
from .base import Queries, Router, one_embedding
from .category import index_get, lookup
from .knn import float_bank, neighbour_sums, quantize, top_k_sim
from .mf import relative_costs


class UtilityRouter(Router):
    """argmax over models of predicted quality - ``lam`` x relative cost.

    Parameters
    ----------
    lam : float
        Price of cost in quality points per dearest-model call (0 = quality only).
    predictor : {"knn", "ridge"}
    k, temperature, shrinkage : kNN settings (see :class:`~routerlab.routers.knn.KNNRouter`).
    l2 : float
        Ridge penalty.
    encoder : str, optional
    max_bank : int, optional
        kNN only: compress a larger training table to this many bank centroids (see
        :mod:`~routerlab.routers.bank`). None = every training query.

    Examples
    --------
    >>> r = UtilityRouter(lam=0.2).fit(outcomes)           # doctest: +SKIP
    >>> r.route(outcomes)                                  # doctest: +SKIP
    """

    kind = "utility"
    needs_embeddings = True
    multi_model = True
    _array_state = {
        "bank_": np.int8,
        "bank_quality_": float,
        "count_": float,
        "cat_quality_": float,
        "global_quality_": float,
        "coef_": float,
        "rel_cost_": float,
    }

    def __init__(
        self,
        *,
        lam: float = 0.1,
        predictor: str = "knn",
        k: int = 50,
        temperature: float = 0.1,
        shrinkage: float = 10.0,
        l2: float = 1.0,
        encoder: str | None = None,
        max_bank: int | None = None,
        seed: int = 0,
    ):
        super().__init__(seed=seed)
        self.lam = lam
        self.predictor = predictor
        self.k = k
        self.temperature = temperature
        self.shrinkage = shrinkage
        self.l2 = l2
        self.encoder = encoder
        self.max_bank = max_bank

    def _fit(self, outcomes) -> None:
        if self.predictor not in ("knn", "ridge"):
            raise RouterlabError(f"predictor must be 'knn' or 'ridge', got {self.predictor!r}")
        cols = self._cols(outcomes)
        Q = np.nan_to_num(outcomes.quality[:, cols], nan=0.0)
        E = Queries.from_outcomes(outcomes).embeddings_for(self.encoder)
        cats = sorted(set(outcomes.categories.tolist()))
        self.cat_keys_ = cats
        ci = lookup(outcomes.categories, cats, np.arange(len(cats)), -1).astype(int)
        a = 10.0
        glob = Q.mean(0)
        sums = np.zeros((len(cats), Q.shape[1]))
        np.add.at(sums, ci, Q)
        cnt = np.bincount(ci, minlength=len(cats))[:, None]
        self.cat_quality_ = (sums + a * glob) / (cnt + a)
        self.global_quality_ = glob
        self.rel_cost_ = relative_costs(outcomes, self.models_)
        if self.predictor == "knn":
            bank, bank_q, self.count_ = E, Q, None  # count_ None: every row weighs 1
            limit = bank_limit(self.max_bank)
            if limit is not None and len(E) > limit:
                bank, bank_q, self.count_ = compress(E, Q, limit, int(self.seed))
            self.bank_ = quantize(bank)
            self.bank_quality_ = np.round(bank_q, 6)
        else:
            X = self._design(E, ci)
            self.coef_ = np.stack(
                [F.fit_ridge(X, Q[:, j], l2=float(self.l2)) for j in range(Q.shape[1])]
            )

    def _design(self, E, ci) -> F.Design:
        oh = np.zeros((len(E), len(self.cat_keys_)))
        ok = ci >= 0
        oh[np.flatnonzero(ok), ci[ok]] = 1.0
        return F.Design(np.hstack([np.asarray(E, dtype=float), oh]))

    def predict_quality(self, queries) -> np.ndarray:
        """(n, M) predicted quality per model."""
        from .base import as_queries

        self._check_fitted()
        q = as_queries(queries)
        E = q.embeddings_for(self.encoder)
        if q.categories is not None:
            ci = lookup(q.categories, self.cat_keys_, np.arange(len(self.cat_keys_)), -1).astype(
                int
            )
        else:
            ci = np.full(len(q), -1)
        prior = np.where(
            ci[:, None] >= 0, self.cat_quality_[np.maximum(ci, 0)], self.global_quality_
        )
        if self.predictor == "knn":
            if E.shape[1] != self.bank_.shape[1]:
                raise RouterlabError(
                    "query embeddings do not match the encoder the router was fitted with"
                )
            sims, idx = top_k_sim(E, self.bank_, int(self.k), bank=float_bank(self, "bank_"))
            w = np.exp((sims - sims.max(1, keepdims=True)) / float(self.temperature))
            count = getattr(self, "count_", None)  # policies exported before max_bank have none
            if count is not None:
                w = w * count[idx]
            s = float(self.shrinkage)
            num = np.einsum("nk,nkm->nm", w, self.bank_quality_[idx]) + s * prior
            return num / (w.sum(1, keepdims=True) + s)
        X = self._design(E, ci)
        return np.column_stack([X.dot(c) for c in self.coef_])

    def _score(self, queries: Queries) -> np.ndarray:
        return self.predict_quality(queries) - float(self.lam) * self.rel_cost_

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> np.ndarray:
        """:meth:`predict_quality` minus the cost term for one query."""
        return np.array(self._utilities_one(prompt, category, embedding))

    def route_one(self, prompt, category=None, contains_pii=False, embedding=None, threshold=None):
        u = self._utilities_one(prompt, category, embedding)
        j = 0
        for i in range(1, len(u)):  # the first best, as argmax
            if u[i] > u[j]:
                j = i
        return self.models_[j], u[j]

    def _utilities_one(self, prompt, category, embedding) -> list[float]:
        self._check_fitted()
        ci = -1
        if category is not None:
            ci = index_get(self, "ci", self.cat_keys_, category)
        if ci >= 0:
            prior = self.cat_quality_[ci].tolist()
        else:
            prior = self._derived("glob", self.global_quality_, self.global_quality_.tolist)
        lam = float(self.lam)
        cost = self._derived("cost", self.rel_cost_, self.rel_cost_.tolist)
        if self.predictor == "knn":
            e = one_embedding(prompt, embedding, self.encoder, self.bank_.shape[1])
            # one product gives the weighted sums per model and the sum of weights (last column)
            bq1 = self._derived(
                "bq1",
                self.bank_quality_,
                lambda: with_counts(self.bank_quality_, getattr(self, "count_", None)),
            )
            s = np.dot(float_bank(self, "bank_", float(self.temperature)), e)
            *num, den = neighbour_sums(s, bq1, int(self.k))
            s = float(self.shrinkage)
            return [
                (n + s * p) / (den + s) - lam * c for n, p, c in zip(num, prior, cost, strict=True)
            ]
        d = self.coef_.shape[1] - 1 - len(self.cat_keys_)
        e = one_embedding(prompt, embedding, self.encoder, d).astype(float)
        x = np.zeros(self.coef_.shape[1] - 1)
        x[:d] = e
        if ci >= 0:
            x[d + ci] = 1.0
        pred = (self.coef_[:, 1:] @ x + self.coef_[:, 0]).tolist()
        return [q - lam * c for q, c in zip(pred, cost, strict=True)]
