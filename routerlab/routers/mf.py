"""``mf``: matrix factorisation over queries x models (any number of models).

Each query's embedding ``e`` is projected to a small latent space ``z = P e``; each model has a latent
vector ``v_m`` and a bias ``b_m`` (plus an optional per-category bias); the predicted quality of model
``m`` on the query is ``sigmoid(b_m + b_{m,category} + z . v_m)``. Trained by full-batch Adam on the
cross-entropy against the observed quality (binary or graded) with L2 weight decay, in numpy.

This is RouteLLM's ``mf`` idea (Ong et al. 2024) learned from an outcome table rather than from
preference battles, and it generalises to N models: ``score`` returns one predicted utility per model
(predicted quality minus ``cost_weight`` x the model's mean cost relative to the dearest model).
"""

from __future__ import annotations

import numpy as np

from ..errors import RouterlabError
from .base import Queries, Router, one_embedding
from .category import index_get, lookup
from .features import sigmoid


def relative_costs(outcomes, models) -> np.ndarray:
    """Mean cost per model divided by the largest (0 where costs are unknown)."""
    cols = [outcomes.col(m) for m in models]
    c = outcomes.cost[:, cols]
    with np.errstate(all="ignore"):
        mean = np.array(
            [np.nanmean(c[:, j]) if np.isfinite(c[:, j]).any() else 0.0 for j in range(len(cols))]
        )
    mean = np.nan_to_num(mean, nan=0.0)
    top = mean.max()
    return mean / top if top > 0 else np.zeros(len(cols))


class MFRouter(Router):
    """Predicted quality per model from a query-embedding x model-vector factorisation.

    Parameters
    ----------
    dim : int
        Latent dimension.
    l2 : float
        Weight decay.
    epochs : int
        Full-batch Adam steps.
    lr : float
        Adam learning rate.
    use_category : bool
        Learn a (model, category) bias when categories are known.
    cost_weight : float
        Utility = predicted quality - cost_weight x relative mean cost.
    encoder : str, optional

    Examples
    --------
    >>> r = MFRouter(dim=16).fit(outcomes)        # doctest: +SKIP
    >>> r.score(outcomes).shape                   # doctest: +SKIP
    (600, 4)
    """

    kind = "mf"
    needs_embeddings = True
    multi_model = True
    _array_state = {
        "proj_": float,
        "model_vecs_": float,
        "bias_": float,
        "cat_bias_": float,
        "rel_cost_": float,
    }

    def __init__(
        self,
        *,
        dim: int = 16,
        l2: float = 1e-4,
        epochs: int = 300,
        lr: float = 0.02,
        use_category: bool = True,
        cost_weight: float = 0.0,
        encoder: str | None = None,
        seed: int = 0,
    ):
        super().__init__(seed=seed)
        self.dim = dim
        self.l2 = l2
        self.epochs = epochs
        self.lr = lr
        self.use_category = use_category
        self.cost_weight = cost_weight
        self.encoder = encoder

    def _fit(self, outcomes) -> None:
        if int(self.dim) < 1 or int(self.epochs) < 1:
            raise RouterlabError("mf needs dim >= 1 and epochs >= 1")
        cols = self._cols(outcomes)
        Q = outcomes.quality[:, cols]
        mask = np.isfinite(Q)
        Y = np.nan_to_num(Q, nan=0.0)
        E = Queries.from_outcomes(outcomes).embeddings_for(self.encoder).astype(float)
        n, d = E.shape
        m = len(cols)
        rng = np.random.default_rng(int(self.seed))
        cats = sorted(set(outcomes.categories.tolist())) if self.use_category else []
        cidx = (
            lookup(outcomes.categories, cats, np.arange(len(cats)), -1).astype(int)
            if cats
            else None
        )
        params = {
            "P": rng.normal(0, 1.0 / np.sqrt(d), (int(self.dim), d)),
            "V": rng.normal(0, 0.1, (m, int(self.dim))),
            "b": np.log(np.clip(Y.mean(0), 1e-3, 1 - 1e-3) / np.clip(1 - Y.mean(0), 1e-3, 1)),
            "C": np.zeros((max(len(cats), 1), m)),
        }
        adam = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
        lr, l2, cnt = float(self.lr), float(self.l2), max(mask.sum(), 1)
        for t in range(1, int(self.epochs) + 1):
            Z = E @ params["P"].T  # (n, dim)
            logit = Z @ params["V"].T + params["b"]
            if cidx is not None:
                logit = logit + np.where(cidx[:, None] >= 0, params["C"][np.maximum(cidx, 0)], 0.0)
            R = (sigmoid(logit) - Y) * mask / cnt  # d loss / d logit
            grads = {
                "V": R.T @ Z + l2 * params["V"],
                "P": (R @ params["V"]).T @ E + l2 * params["P"],
                "b": R.sum(0),
                "C": np.zeros_like(params["C"]),
            }
            if cidx is not None:
                ok = cidx >= 0
                np.add.at(grads["C"], cidx[ok], R[ok])
                grads["C"] += l2 * params["C"]
            for k, g in grads.items():
                m1, m2 = adam[k]
                m1 *= 0.9
                m1 += 0.1 * g
                m2 *= 0.999
                m2 += 0.001 * g * g
                params[k] -= lr * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
        self.proj_ = params["P"]
        self.model_vecs_ = params["V"]
        self.bias_ = params["b"]
        self.cat_keys_ = cats
        self.cat_bias_ = params["C"]
        self.rel_cost_ = relative_costs(outcomes, self.models_)

    def predict_quality(self, queries) -> np.ndarray:
        """(n, M) predicted quality of each model."""
        from .base import as_queries

        self._check_fitted()
        q = as_queries(queries)
        E = q.embeddings_for(self.encoder).astype(float)
        if E.shape[1] != self.proj_.shape[1]:
            raise RouterlabError(
                f"query embeddings have {E.shape[1]} dimensions, the router was fitted on "
                f"{self.proj_.shape[1]}: use the same encoder"
            )
        logit = (E @ self.proj_.T) @ self.model_vecs_.T + self.bias_
        if self.cat_keys_ and q.categories is not None:
            ci = lookup(q.categories, self.cat_keys_, np.arange(len(self.cat_keys_)), -1).astype(
                int
            )
            logit = logit + np.where(ci[:, None] >= 0, self.cat_bias_[np.maximum(ci, 0)], 0.0)
        return sigmoid(logit)

    def _score(self, queries: Queries) -> np.ndarray:
        return self.predict_quality(queries) - float(self.cost_weight) * self.rel_cost_

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> np.ndarray:
        """:meth:`predict_quality` minus the cost term for one query."""
        self._check_fitted()
        e = one_embedding(prompt, embedding, self.encoder, self.proj_.shape[1]).astype(float)
        logit = self.model_vecs_ @ (self.proj_ @ e) + self.bias_
        if self.cat_keys_ and category is not None:
            ci = index_get(self, "ci", self.cat_keys_, category)
            if ci >= 0:
                logit = logit + self.cat_bias_[ci]
        return sigmoid(logit) - float(self.cost_weight) * self.rel_cost_
