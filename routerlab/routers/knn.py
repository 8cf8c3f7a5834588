"""``knn``: the strong model's quality gain on a query's nearest training neighbours (embeddings).

Improvements over the plain k-nearest-neighbour vote (RouterBench's KNN router):

- neighbours are weighted by similarity, ``w = exp((cos - cos_nearest) / temperature)`` (the nearest
  has weight 1), so close neighbours count more and far ones hardly at all;
- the weighted mean gain is shrunk towards a prior with ``shrinkage`` pseudo-neighbours (each worth the nearest one): the query's
  category mean when the category is known (smoothed), else the overall mean. A query with no close
  neighbour therefore falls back to its category's prior instead of a noisy vote.

The training embeddings are stored quantised to int8 (scale 127; embeddings are unit vectors), which
keeps the exported state about 4x smaller than floats and exactly reproducible through JSON. With
``max_bank`` a large training table is compressed to that many k-means centroids (:mod:`.bank`),
each weighted by the number of training queries it stands for: decision time and policy size then
stop growing with the table.
"""

from __future__ import annotations

import numpy as np

from ..errors import RouterlabError
from .bank import bank_limit, compress, with_counts
from .base import Queries, Router, one_embedding
from .category import lookup, smoothed_means, table_get

_CHUNK = 2048


def quantize(e: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(e, dtype=float) * 127.0), -127, 127).astype(np.int8)


def dequantize(bank_q: np.ndarray) -> np.ndarray:
    """float32 copy of an int8 bank (scale 127)."""
    return bank_q.astype(np.float32) / 127.0


def float_bank(router, name: str, temperature: float | None = None) -> np.ndarray:
    """``dequantize(getattr(router, name))`` (divided by ``temperature`` when given: the one-query
    path's similarities then come out ready for the softmax weights), computed once per fitted or
    loaded bank and kept in a private attribute (not part of the exported state)."""
    bank_q = getattr(router, name)
    cache = router.__dict__.setdefault("_float_banks", {})
    key = name if temperature is None else (name, temperature)
    hit = cache.get(key)
    if hit is None or hit[0] is not bank_q:
        bank = dequantize(bank_q)
        if temperature is not None:
            bank = (bank / np.float32(temperature)).astype(np.float32)
        hit = cache[key] = (bank_q, bank)
    return hit[1]


def top_k_sim(query: np.ndarray, bank_q: np.ndarray, k: int, bank: np.ndarray | None = None):
    """(similarities, indices) of the k most similar rows of ``bank_q`` (int8, scale 127) per query.

    ``bank``: ``dequantize(bank_q)`` when the caller keeps it (saves a conversion per call)."""
    if bank is None:
        bank = dequantize(bank_q)
    k = min(k, len(bank))
    sims = np.empty((len(query), k), dtype=float)
    idx = np.empty((len(query), k), dtype=np.int64)
    for a in range(0, len(query), _CHUNK):
        s = query[a : a + _CHUNK].astype(np.float32) @ bank.T
        m = s.shape[1]
        part = (
            s.argpartition(_kth(m, k), axis=1)[:, m - k :]
            if k < m
            else np.tile(np.arange(m), (len(s), 1))
        )
        ps = np.take_along_axis(s, part, axis=1)
        sims[a : a + _CHUNK] = ps
        idx[a : a + _CHUNK] = part
    return sims, idx


def _kth(m: int, k: int):
    """argpartition's kth for the top k of m: the k-th largest and the largest fall in place (the
    largest then ends the selection, and selecting both is faster than the k-th alone)."""
    return (m - k, m - 1) if k > 1 else m - 1


def neighbour_sums(s: np.ndarray, table: np.ndarray, k: int):
    """One query's similarity-weighted sums over its k nearest bank rows: ``w @ table[top k]`` as
    a list, with ``w = exp((cos - cos_nearest) / temperature)`` (the weights of :func:`top_k_sim`
    and the batch formula, in as few numpy calls as one query allows).

    ``s``: the query's similarities divided by the temperature, float32 (the product with
    ``float_bank(router, name, temperature)``); the weights are float32 too (relative error about
    1e-7 against the batch's float64)."""
    m = len(s)
    if k < m:
        part = s.argpartition(_kth(m, k))[m - k :]
        x = s.take(part)
        x -= x[-1]  # the largest, placed last by _kth
        table = table.take(part, axis=0)
    else:
        x = s - s.max()
    np.exp(x, out=x)
    return np.dot(x, table).tolist()


class KNNRouter(Router):
    """Similarity-weighted k-NN estimate of the strong model's gain, shrunk towards the category prior.

    Parameters
    ----------
    k : int
        Neighbours per query.
    temperature : float
        Similarity weighting ``exp((cos - cos_nearest) / temperature)``; large = plain average.
    shrinkage : float
        Pseudo-neighbours of the prior (category mean if known, else global); 0 = none.
    category_alpha : float
        Smoothing of the per-category prior itself.
    encoder : str, optional
        Sentence encoder folder (None = the bundled all-MiniLM-L6-v2).
    max_bank : int, optional
        Keep at most this many bank rows: a larger training table is compressed to ``max_bank``
        centroids (each weighted by its member count). None = every training query.

    Examples
    --------
    >>> r = KNNRouter(k=20).fit(train)            # doctest: +SKIP
    >>> r.score(test)                             # doctest: +SKIP
    """

    kind = "knn"
    needs_embeddings = True
    _array_state = {"bank_": np.int8, "gain_": float, "count_": float, "cat_values_": float}

    def __init__(
        self,
        *,
        k: int = 50,
        temperature: float = 0.1,
        shrinkage: float = 10.0,
        category_alpha: float = 10.0,
        encoder: str | None = None,
        max_bank: int | None = None,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed, threshold=threshold)
        self.k = k
        self.temperature = temperature
        self.shrinkage = shrinkage
        self.category_alpha = category_alpha
        self.encoder = encoder
        self.max_bank = max_bank

    def _fit(self, outcomes) -> None:
        if int(self.k) < 1:
            raise RouterlabError(f"k must be at least 1, got {self.k}")
        if float(self.temperature) <= 0:
            raise RouterlabError(f"temperature must be positive, got {self.temperature}")
        q = Queries.from_outcomes(outcomes)
        gain = self._gap(outcomes)
        e, bank_gain = q.embeddings_for(self.encoder), gain
        self.count_ = None  # every training query is a bank row of weight 1
        limit = bank_limit(self.max_bank)
        if limit is not None and len(e) > limit:
            e, bank_gain, self.count_ = compress(e, gain, limit, int(self.seed))
        self.bank_ = quantize(e)
        self.gain_ = np.round(bank_gain, 6)
        keys, means, _, glob = smoothed_means(outcomes.categories, gain, float(self.category_alpha))
        self.cat_keys_ = [str(x) for x in keys]
        self.cat_values_ = means
        self.global_ = glob

    def predict_gain(self, queries) -> np.ndarray:
        """Expected q_strong - q_weak per query."""
        from .base import as_queries

        self._check_fitted()
        q = as_queries(queries)
        e = q.embeddings_for(self.encoder)
        if e.shape[1] != self.bank_.shape[1]:
            raise RouterlabError(
                f"query embeddings have {e.shape[1]} dimensions, the router was fitted on "
                f"{self.bank_.shape[1]}: use the same encoder"
            )
        sims, idx = top_k_sim(e, self.bank_, int(self.k), bank=float_bank(self, "bank_"))
        w = np.exp((sims - sims.max(1, keepdims=True)) / float(self.temperature))
        count = getattr(self, "count_", None)  # policies exported before max_bank have none
        if count is not None:
            w = w * count[idx]
        prior = lookup(q.categories, self.cat_keys_, self.cat_values_, self.global_)
        if prior is None:
            prior = np.full(len(q), self.global_)
        a = float(self.shrinkage)
        return ((w * self.gain_[idx]).sum(1) + a * prior) / (w.sum(1) + a)

    def _score(self, queries: Queries) -> np.ndarray:
        return np.clip((self.predict_gain(queries) + 1.0) / 2.0, 0.0, 1.0)

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        """:meth:`predict_gain` and the score for one query, without batch bookkeeping."""
        self._check_fitted()
        e = one_embedding(prompt, embedding, self.encoder, self.bank_.shape[1])
        return self._score_products(np.dot(self._one_rows(), e), prompt, category)

    def _one_rows(self) -> np.ndarray:
        """The bank as float32 divided by the temperature: its product with the query embedding
        is all :meth:`_score_products` needs (an ensemble stacks it with other members' rows)."""
        return float_bank(self, "bank_", float(self.temperature))

    def _score_products(self, s, prompt, category=None) -> float:
        prior = self.global_
        if category is not None:
            prior = table_get(self, "cat", self.cat_keys_, self.cat_values_, category, prior)
        # one product gives both sums: w . (count * gain) and w . count
        g1 = self._derived(
            "gain1", self.gain_, lambda: with_counts(self.gain_, getattr(self, "count_", None))
        )
        num, den = neighbour_sums(s, g1, int(self.k))
        a = float(self.shrinkage)
        gain = (num + a * prior) / (den + a)
        return min(max((gain + 1.0) / 2.0, 0.0), 1.0)
