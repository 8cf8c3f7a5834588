"""``logistic``: P(strong model needed) from query features (Hybrid-LLM-style quality-gap labels).

Features (any subset, param ``features``): ``"embedding"`` (the cached offline sentence encoder),
``"words"`` / ``"chars"`` (hashed TF-IDF of word 1-2-grams / character 3-5-grams, numpy only),
``"category"`` (one-hot of the query's category when known), ``"length"`` (log prompt length).
The label of a training query is ``q_strong - q_weak > tolerance`` (Hybrid LLM, Ding et al. ICLR 2024:
a tolerance t > 0 only escalates when the strong model is clearly better). With
``objective="gain"`` a second model learns ``q_strong - q_weak < -tolerance`` and the score is
``(P(strong better) - P(weak better) + 1) / 2``, which ranks by expected quality gain.

The fit is an L2-regularised logistic regression solved by a small numpy L-BFGS; scoring is a dot
product, so the fitted state (weights, idf per hash bucket, category list) is plain JSON.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import RouterlabError
from . import features as F
from .base import Queries, Router, one_embedding
from .category import lookup

FEATURES = ("embedding", "words", "chars", "category", "length")
_ALIASES = {"tfidf": ("words", "chars")}
_WORD_NGRAMS = 2
_CHAR_NGRAMS = (3, 4, 5)


def expand_features(features) -> tuple[str, ...]:
    if isinstance(features, str):
        features = [features]
    out: list[str] = []
    for f in features:
        for g in _ALIASES.get(f, (f,)):
            if g not in FEATURES:
                raise RouterlabError(
                    f"unknown feature {f!r}; use any of {', '.join(FEATURES + tuple(_ALIASES))}"
                )
            if g not in out:
                out.append(g)
    if not out:
        raise RouterlabError("give at least one feature, e.g. features=['embedding', 'category']")
    return tuple(out)


class OneQueryWeights(NamedTuple):
    """K weight vectors ([intercept, dense..., sparse...], the layout of :meth:`FeatureMixin._design`)
    split by feature block for the one-query path; ``None`` = block not used."""

    intercept: list[float]
    #: category -> intercept + the category's one-hot weight, per vector
    category: dict[str, list[float]] | None
    embedding: np.ndarray | None  # (d, K)
    length: list[float] | None
    words: bool
    chars: bool
    tfidf: np.ndarray | None  # F.tfidf_table(idf, *sparse blocks)


class FeatureMixin:
    """Builds the design matrix for a router from its params and fitted state.

    Params used: ``features``, ``n_buckets``, ``encoder``. State written at fit: ``idf_`` (per hash
    bucket, when words/chars are used), ``feat_categories_``, ``len_mu_``, ``len_sd_``.
    """

    def _feature_list(self) -> tuple[str, ...]:
        return expand_features(self.features)

    def _uses_embeddings(self) -> bool:
        return "embedding" in self._feature_list()

    def _sparse_counts(self, queries: Queries) -> F.Sparse | None:
        feats = self._feature_list()
        words, chars = "words" in feats, "chars" in feats
        if not (words or chars):
            return None
        nb = int(self.n_buckets)
        return F.hashed_ngrams(
            queries.prompts,
            n_buckets=nb,
            word_ngrams=_WORD_NGRAMS if words else 0,
            char_ngrams=_CHAR_NGRAMS if chars else (),
        )

    def _fit_features(self, queries: Queries) -> F.Design:
        feats = self._feature_list()
        if "category" in feats:
            cats = queries.categories if queries.categories is not None else np.array([], dtype=str)
            self.feat_categories_ = sorted(set(cats.tolist()))
        if "length" in feats:
            ll = np.log1p([len(p) for p in queries.prompts])
            self.len_mu_ = float(ll.mean())
            self.len_sd_ = float(ll.std() or 1.0)
        counts = self._sparse_counts(queries)
        if counts is not None:
            # rounded so that the in-memory state equals its JSON export exactly (and stays small)
            self.idf_ = np.round(F.fit_idf(counts), 4)
        return self._design(queries, counts)

    def _design(self, queries: Queries, counts: F.Sparse | None = None) -> F.Design:
        feats = self._feature_list()
        n = len(queries)
        blocks = []
        if "embedding" in feats:
            e = queries.embeddings_for(self.encoder).astype(float)
            dim = getattr(self, "emb_dim_", None)
            if dim is not None and e.shape[1] != dim:
                raise RouterlabError(
                    f"query embeddings have {e.shape[1]} dimensions but the router was fitted on {dim}: "
                    "use the same encoder"
                )
            self.emb_dim_ = int(e.shape[1])
            blocks.append(e)
        if "category" in feats:
            cats = self.feat_categories_
            oh = np.zeros((n, len(cats)))
            if queries.categories is not None and cats:
                idx = lookup(queries.categories, cats, np.arange(len(cats)), -1).astype(int)
                ok = idx >= 0
                oh[np.flatnonzero(ok), idx[ok]] = 1.0
            blocks.append(oh)
        if "length" in feats:
            ll = np.log1p([len(p) for p in queries.prompts])
            blocks.append(((ll - self.len_mu_) / self.len_sd_)[:, None])
        dense = np.hstack(blocks) if blocks else np.zeros((n, 0))
        sparse = None
        if "words" in feats or "chars" in feats:
            if counts is None:
                counts = self._sparse_counts(queries)
            sparse = F.tfidf(counts, np.asarray(self.idf_, dtype=float))
        return F.Design(dense, sparse)

    def _one_query_weights(self, names: tuple[str, ...]) -> OneQueryWeights:
        """The fitted vectors ``names`` split by block, built once per fit (not exported)."""

        def build() -> OneQueryWeights:
            feats = self._feature_list()
            w = np.column_stack([np.asarray(getattr(self, n), dtype=float) for n in names])
            i, emb, cats, length = 1, None, None, None
            if "embedding" in feats:
                emb, i = np.ascontiguousarray(w[i : i + self.emb_dim_]), i + self.emb_dim_
            if "category" in feats:
                n = len(self.feat_categories_)
                with_cat = (w[0] + w[i : i + n]).tolist()
                cats = dict(zip(self.feat_categories_, with_cat, strict=True))
                i += n
            if "length" in feats:
                length, i = w[i].tolist(), i + 1
            words, chars = "words" in feats, "chars" in feats
            table = F.tfidf_table(self.idf_, *w[i:].T) if words or chars else None
            return OneQueryWeights(w[0].tolist(), cats, emb, length, words, chars, table)

        return self._derived(" ".join(names), getattr(self, names[0]), build)

    def _dots_one(self, names, prompt, category, embedding, products=None) -> list[float]:
        """``X.dot(w)`` of one query for each fitted vector named in ``names``, where X is the
        one-row :meth:`_design` (the same features, without building the matrix). ``products``:
        the embedding block's part when the caller has it already (an ensemble's shared product)."""
        w = self._one_query_weights(names)
        z = w.intercept
        if w.category is not None and category is not None:
            z = w.category.get(str(category), z)
        if w.embedding is not None:
            if products is None:
                e = one_embedding(prompt, embedding, self.encoder, self.emb_dim_)
                # float32 e times float64 weights: numpy casts e first, as the batch's astype(float)
                products = np.dot(e, w.embedding)
            z = [a + b for a, b in zip(z, products.tolist(), strict=True)]
        if w.length is not None:
            ll = (math.log1p(len(prompt)) - self.len_mu_) / self.len_sd_
            z = [a + ll * b for a, b in zip(z, w.length, strict=True)]
        if w.tfidf is not None:
            nb = int(self.n_buckets)
            buckets = F.word_buckets_one(prompt, nb, _WORD_NGRAMS) if w.words else []
            if w.chars:
                chars = F.char_buckets_one(prompt, nb, _CHAR_NGRAMS)
                buckets = np.concatenate([np.array(buckets, dtype=np.int64), chars])
            z = [a + b for a, b in zip(z, F.tfidf_dots_one(buckets, w.tfidf), strict=True)]
        return z


class LogisticRouter(FeatureMixin, Router):
    """P(strong model needed) by L2-regularised logistic regression on query features.

    Parameters
    ----------
    features : list of str
        Any of ``embedding``, ``words``, ``chars``, ``category``, ``length`` (``tfidf`` = words + chars).
    tolerance : float
        Hybrid-LLM quality-gap tolerance t: a training query is labelled "strong needed" when
        ``q_strong - q_weak > t``.
    objective : {"win", "gain"}
        ``win`` scores P(gap > t); ``gain`` scores (P(gap > t) - P(gap < -t) + 1) / 2.
    l2 : float
        Inverse regularisation strength (like scikit-learn's 1 / C).
    n_buckets : int
        Hash buckets for the word/char TF-IDF features.
    encoder : str, optional
        Sentence encoder folder (None = the bundled all-MiniLM-L6-v2).

    Examples
    --------
    >>> r = LogisticRouter(features=["words", "category"], tolerance=0.0)  # doctest: +SKIP
    >>> r.fit(outcomes).route(outcomes, threshold=0.3)                     # doctest: +SKIP
    """

    kind = "logistic"
    _array_state = {"coef_": float, "coef_loss_": float, "idf_": float}

    def __init__(
        self,
        *,
        features: list[str] | tuple[str, ...] = ("embedding", "category", "length"),
        tolerance: float = 0.0,
        objective: str = "win",
        l2: float = 1.0,
        n_buckets: int = 2**15,
        encoder: str | None = None,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed, threshold=threshold)
        self.features = features
        self.tolerance = tolerance
        self.objective = objective
        self.l2 = l2
        self.n_buckets = n_buckets
        self.encoder = encoder

    @property
    def needs_embeddings(self) -> bool:  # type: ignore[override]
        return self._uses_embeddings()

    def _fit(self, outcomes) -> None:
        if self.objective not in ("win", "gain"):
            raise RouterlabError(f"objective must be 'win' or 'gain', got {self.objective!r}")
        gap = self._gap(outcomes)
        X = self._fit_features(Queries.from_outcomes(outcomes))
        t = float(self.tolerance)
        self.coef_ = F.fit_logistic(X, (gap > t).astype(float), l2=float(self.l2))
        if self.objective == "gain":
            self.coef_loss_ = F.fit_logistic(X, (gap < -t).astype(float), l2=float(self.l2))

    def _score(self, queries: Queries) -> np.ndarray:
        X = self._design(queries)
        p = F.sigmoid(X.dot(self.coef_))
        if self.objective == "gain":
            p = (p - F.sigmoid(X.dot(self.coef_loss_)) + 1.0) / 2.0
        return p

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        """:meth:`score` of one query, with floats and lists instead of a design matrix."""
        self._check_fitted()
        return self._score_z(self._dots_one(self._one_names(), prompt, category, embedding))

    def _one_names(self) -> tuple[str, ...]:
        return ("coef_", "coef_loss_") if self.objective == "gain" else ("coef_",)

    def _score_z(self, z: list[float]) -> float:
        if self.objective == "gain":
            return (F.sigmoid_one(z[0]) - F.sigmoid_one(z[1]) + 1.0) / 2.0
        return F.sigmoid_one(z[0])

    def _one_rows(self) -> np.ndarray | None:
        """The embedding weights, one row per fitted vector (None without the embedding feature)."""
        self._check_fitted()
        w = self._one_query_weights(self._one_names()).embedding
        return None if w is None else w.T

    def _score_products(self, d, prompt, category=None) -> float:
        return self._score_z(self._dots_one(self._one_names(), prompt, category, None, d))
