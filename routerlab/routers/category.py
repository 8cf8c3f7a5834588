"""``category``: the per-category prior - how much the strong model gains in each category."""

from __future__ import annotations

import numpy as np

from .base import Queries, Router


def smoothed_means(keys: np.ndarray, values: np.ndarray, alpha: float):
    """Per key: (sum + alpha * global_mean) / (count + alpha) (empirical-Bayes shrinkage).

    Returns (unique_keys, means, counts, global_mean)."""
    keys = np.asarray(keys).astype(str)
    values = np.asarray(values, dtype=float)
    glob = float(values.mean()) if len(values) else 0.0
    uniq, inv = np.unique(keys, return_inverse=True)
    sums = np.bincount(inv, weights=values, minlength=len(uniq))
    counts = np.bincount(inv, minlength=len(uniq)).astype(float)
    means = (sums + alpha * glob) / (counts + alpha)
    return uniq, means, counts, glob


def lookup(
    keys: np.ndarray | None, table_keys: list[str], table_values: np.ndarray, default: float
):
    """Vectorised dictionary lookup with a default for unknown (or missing) keys."""
    if keys is None:
        return None
    keys = np.asarray(keys).astype(str)
    tk = np.asarray(table_keys, dtype=str)
    out = np.full(len(keys), default, dtype=float)
    if len(tk) == 0 or len(keys) == 0:
        return out
    order = np.argsort(tk)
    sk = tk[order]
    pos = np.clip(np.searchsorted(sk, keys), 0, len(sk) - 1)
    hit = sk[pos] == keys
    out[hit] = np.asarray(table_values, dtype=float)[order][pos[hit]]
    return out


def table_get(router, name: str, keys, values: np.ndarray, key, default: float) -> float:
    """One-key :func:`lookup`: ``values[keys.index(key)]`` or ``default``, via a dict the router
    keeps privately (rebuilt when ``values`` is replaced)."""

    def build():
        return dict(zip(map(str, keys), np.asarray(values).tolist(), strict=True))

    table = router._derived(name, values, build)
    return table.get(str(key), default)


def index_get(router, name: str, keys, key) -> int:
    """The position of ``key`` in ``keys`` (-1 when absent), via a dict the router keeps privately
    (rebuilt when ``keys`` is replaced)."""
    table = router._derived(name, keys, lambda: {str(k): i for i, k in enumerate(keys)})
    return table.get(str(key), -1)


class CategoryRouter(Router):
    """Score = (expected quality gain of the strong model in the query's category + 1) / 2.

    The per-category mean gain ``q_strong - q_weak`` is shrunk towards the overall mean with
    ``alpha`` pseudo-queries, so a category seen three times does not swing to 0 or 1. Queries
    without a category (or with one never seen in training) get the overall mean. A score above
    0.5 means the strong model is expected to do better.

    Parameters
    ----------
    alpha : float
        Smoothing strength (pseudo-counts of the global mean).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> qs = pd.DataFrame({"prompt": list("abcd"), "category": ["x", "x", "y", "y"]})
    >>> o = Outcomes.from_arrays(qs, ["w", "s"], quality=np.array([[0, 1], [0, 1], [1, 1], [1, 1]]))
    >>> r = CategoryRouter(alpha=0.0).fit(o)
    >>> r.route(o).tolist()
    ['s', 's', 'w', 'w']
    """

    kind = "category"
    _array_state = {"values_": float}

    def __init__(
        self,
        *,
        alpha: float = 5.0,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed, threshold=threshold)
        self.alpha = alpha

    def _fit(self, outcomes) -> None:
        keys, means, counts, glob = smoothed_means(
            outcomes.categories, self._gap(outcomes), float(self.alpha)
        )
        self.categories_ = [str(k) for k in keys]
        self.values_ = means
        self.counts_ = [int(c) for c in counts]
        self.global_ = glob

    def expected_gain(self, queries) -> np.ndarray:
        """Per query: the smoothed mean quality gain of its category (the global mean if unknown)."""
        self._check_fitted()
        from .base import as_queries

        q = as_queries(queries)
        g = lookup(q.categories, self.categories_, self.values_, self.global_)
        return np.full(len(q), self.global_) if g is None else g

    def _score(self, queries: Queries) -> np.ndarray:
        return np.clip((self.expected_gain(queries) + 1.0) / 2.0, 0.0, 1.0)

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        self._check_fitted()
        g = self.global_
        if category is not None:
            g = table_get(self, "values", self.categories_, self.values_, category, g)
        return min(max((g + 1.0) / 2.0, 0.0), 1.0)
