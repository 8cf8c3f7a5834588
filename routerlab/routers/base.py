"""The router contract: JSON-safe params, ``fit -> self``, ``score``, ``route``, plain-JSON fitted state.

A router maps queries to scores (binary routers: P(the strong model is needed), shape (n,); multi-model
routers: a predicted utility per model, shape (n, M)) and applies a threshold or an argmax in
:meth:`Router.route`. Everything a router learns lives in attributes ending in ``_`` and is exported by
:meth:`Router.get_state` as plain JSON (lists of floats, ints, strings, dicts), so a policy file can
rebuild it with :func:`routerlab.routers.router_from_dict` and score with numpy alone.

This module imports only numpy at import time: the production runtime reuses ``score``.
"""

from __future__ import annotations

import copy
import inspect
import json
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..errors import NotFittedError, RouterlabError

# --------------------------------------------------------------------------------------------- Queries

#: In-process memo of embeddings, keyed by (encoder, prompt); the disk cache of
#: :mod:`routerlab.embeddings` sits behind it. Cross-fitting embeds the same prompts K times.
_EMB_MEMO: dict[tuple[str, str], np.ndarray] = {}
_EMB_MEMO_MAX = 300_000


def _embed_texts(texts: list[str], encoder: str | None = None) -> np.ndarray:
    """Embeddings for ``texts`` (float32, L2-normalised), memoized in-process then on disk."""
    key_enc = encoder or ""
    missing = [t for t in dict.fromkeys(texts) if (key_enc, t) not in _EMB_MEMO]
    if missing:
        from .. import embeddings as _emb  # heavy (torch) only when needed

        kwargs: dict[str, Any] = {}
        if encoder:
            kwargs["model"] = encoder
        vecs = np.asarray(_emb.embed(missing, progress=len(missing) > 2000, **kwargs))
        if len(_EMB_MEMO) + len(missing) > _EMB_MEMO_MAX:
            _EMB_MEMO.clear()
        for t, v in zip(missing, vecs, strict=True):
            _EMB_MEMO[(key_enc, t)] = v
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([_EMB_MEMO[(key_enc, t)] for t in texts]).astype(np.float32, copy=False)


class Queries:
    """The inputs a router sees: prompts plus optional category, PII flag and precomputed embeddings.

    Parameters
    ----------
    prompts : list of str
    categories : array of str, optional
        ``None`` when unknown (routers then fall back to their global estimate).
    contains_pii : array of bool, optional
    embeddings : array (n, d), optional
        Precomputed embeddings; otherwise computed lazily by :meth:`embeddings_for`.

    Examples
    --------
    >>> q = Queries.from_texts(["hi", "explain GDPR article 17"], categories=["chat", "legal"])
    >>> len(q), q.subset([1]).prompts
    (2, ['explain GDPR article 17'])
    """

    def __init__(
        self,
        prompts: Sequence[str],
        categories: Sequence[str] | np.ndarray | None = None,
        contains_pii: Sequence[bool] | np.ndarray | None = None,
        embeddings: np.ndarray | None = None,
        outcomes: Any = None,
    ):
        self.prompts = [str(p) for p in prompts]
        n = len(self.prompts)
        self.categories = (
            None if categories is None else np.asarray(categories, dtype=object).astype(str)
        )
        self.contains_pii = None if contains_pii is None else np.asarray(contains_pii, dtype=bool)
        self.embeddings = None if embeddings is None else np.asarray(embeddings, dtype=np.float32)
        #: The outcome table these queries came from, when any (oracle, cascade and edge routers read
        #: answers, confidences and latencies from it; learned routers never do).
        self.outcomes = outcomes
        for name, arr in (("categories", self.categories), ("contains_pii", self.contains_pii)):
            if arr is not None and len(arr) != n:
                raise RouterlabError(f"{name} has {len(arr)} entries for {n} prompts")
        if self.embeddings is not None and len(self.embeddings) != n:
            raise RouterlabError(f"embeddings have {len(self.embeddings)} rows for {n} prompts")
        self._emb_cache: dict[str, np.ndarray] = {}

    @classmethod
    def from_outcomes(cls, outcomes) -> Queries:
        q = outcomes.queries
        return cls(
            q["prompt"].tolist(),
            categories=q["category"].to_numpy(),
            contains_pii=q["contains_pii"].to_numpy(dtype=bool),
            outcomes=outcomes,
        )

    @classmethod
    def from_texts(cls, texts, categories=None, contains_pii=None) -> Queries:
        if isinstance(texts, str):
            texts = [texts]
        return cls(list(texts), categories=categories, contains_pii=contains_pii)

    def __len__(self) -> int:
        return len(self.prompts)

    def __repr__(self) -> str:
        return (
            f"Queries(n={len(self)}, categories={'yes' if self.categories is not None else 'no'})"
        )

    def subset(self, idx) -> Queries:
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        out = Queries(
            [self.prompts[i] for i in idx],
            categories=None if self.categories is None else self.categories[idx],
            contains_pii=None if self.contains_pii is None else self.contains_pii[idx],
            embeddings=None if self.embeddings is None else self.embeddings[idx],
            outcomes=None if self.outcomes is None else self.outcomes.subset(idx),
        )
        out._emb_cache = {k: v[idx] for k, v in self._emb_cache.items()}
        return out

    def embeddings_for(self, encoder: str | None = None) -> np.ndarray:
        """(n, d) float32 embeddings, computed once (disk-cached by :mod:`routerlab.embeddings`)."""
        if self.embeddings is not None:
            return self.embeddings
        key = encoder or ""
        if key not in self._emb_cache:
            self._emb_cache[key] = _embed_texts(self.prompts, encoder)
        return self._emb_cache[key]

    def pii(self) -> np.ndarray:
        return np.zeros(len(self), dtype=bool) if self.contains_pii is None else self.contains_pii


_F32 = np.dtype(np.float32)


def one_embedding(prompt: str, embedding, encoder: str | None, dim: int) -> np.ndarray:
    """One query's float32 embedding (computed when not given), checked against the width ``dim``
    the router was fitted on."""
    if embedding is None:
        e = _embed_texts([prompt], encoder)[0]
    elif type(embedding) is np.ndarray and embedding.dtype is _F32 and embedding.ndim == 1:
        e = embedding
    else:
        e = np.asarray(embedding, dtype=np.float32).reshape(-1)
    if e.shape[0] != dim:
        raise RouterlabError(
            f"query embeddings have {e.shape[0]} dimensions, the router was fitted on "
            f"{dim}: use the same encoder"
        )
    return e


def _one_query(prompt, category, contains_pii, embedding) -> Queries:
    """A one-row :class:`Queries` (the generic path of :meth:`Router.score_one`)."""
    return Queries(
        [prompt],
        None if category is None else [category],
        [bool(contains_pii)],
        None if embedding is None else np.asarray(embedding, dtype=np.float32).reshape(1, -1),
    )


def as_queries(x) -> Queries:
    """Accept a :class:`Queries`, an Outcomes table, or a list of prompt strings."""
    if isinstance(x, Queries):
        return x
    if hasattr(x, "queries") and hasattr(x, "quality"):
        return Queries.from_outcomes(x)
    if isinstance(x, str):
        return Queries.from_texts([x])
    if isinstance(x, (list, tuple)) and all(isinstance(t, str) for t in x):
        return Queries.from_texts(list(x))
    raise RouterlabError(
        f"routers take Queries, an Outcomes table or a list of prompts, not {type(x).__name__}"
    )


# --------------------------------------------------------------------------------------------- JSON


def to_json_value(x: Any, where: str = "state") -> Any:
    """Plain-JSON copy of ``x`` (ndarrays become lists); raises on NaN/inf or non-JSON types."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise RouterlabError(
                f"{where} holds NaN or infinity; routers must store finite numbers"
            )
        if x.dtype.kind in "OUS":
            return [to_json_value(v, where) for v in x.tolist()]
        return x.tolist()
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(float(x)):
            raise RouterlabError(
                f"{where} holds NaN or infinity; routers must store finite numbers"
            )
        return float(x)
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, np.str_):
        return str(x)
    if isinstance(x, (list, tuple)):
        return [to_json_value(v, where) for v in x]
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise RouterlabError(f"{where} has a non-string key {k!r}")
            out[k] = to_json_value(v, f"{where}.{k}")
        return out
    raise RouterlabError(f"{where} holds a {type(x).__name__}, which is not plain JSON")


# --------------------------------------------------------------------------------------------- Router


class Router:
    """Base class of every router (scikit-learn spirit, RouteLLM's score/threshold split).

    Subclasses set ``kind``, implement ``_fit(outcomes)`` and ``_score(queries)``, and keep every learned
    value in attributes ending in ``_``. Attributes named in ``_array_state`` are numpy arrays in memory
    and lists in JSON (with the given dtype).

    Parameters
    ----------
    strong, weak : str, optional
        Binary routers: the models to route between. ``None`` = the best model by mean quality (strong)
        and the cheapest other model (weak; the lowest-quality one when costs are unknown).
    seed : int
        Seed for anything random (tie breaking, initialisation, the random router).
    threshold : float
        Binary routers send a query to ``strong`` when its score is >= threshold.
    """

    kind: ClassVar[str] = ""
    #: score() needs query embeddings.
    needs_embeddings: ClassVar[bool] = False
    #: score() returns (n, M) utilities and route() takes the argmax (else (n,) P(strong needed)).
    multi_model: ClassVar[bool] = False
    #: Fitted attributes stored as arrays in memory: name -> numpy dtype.
    _array_state: ClassVar[dict[str, Any]] = {}
    #: Fitted attributes holding a fitted Router (or a list of them), exported as nested to_dict().
    _router_state: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        self.strong = strong
        self.weak = weak
        self.seed = seed
        self.threshold = threshold

    # ----------------------------------------------------------------- params
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    def get_params(self) -> dict:
        """The constructor arguments (JSON-safe copies)."""
        return {
            n: to_json_value(copy.deepcopy(getattr(self, n)), f"param {n}")
            for n in self._param_names()
        }

    def set_params(self, **params) -> Router:
        names = set(self._param_names())
        for k, v in params.items():
            if k not in names:
                raise RouterlabError(
                    f"{self.kind} router has no parameter {k!r}; parameters: {', '.join(sorted(names))}"
                )
            setattr(self, k, v)
        return self

    def clone(self, **params) -> Router:
        """An unfitted copy with the same (or updated) parameters."""
        p = self.get_params()
        p.update(params)
        return type(self)(**p)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # ----------------------------------------------------------------- state
    @property
    def is_fitted(self) -> bool:
        return getattr(self, "models_", None) is not None

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {self.kind or type(self).__name__} router is not fitted yet: call .fit(outcomes) first"
            )

    def _state_names(self) -> list[str]:
        return sorted(k for k in vars(self) if k.endswith("_") and not k.startswith("_"))

    def get_state(self) -> dict:
        """The fitted state as plain JSON (lists of numbers, strings, dicts)."""
        self._check_fitted()
        out = {}
        for k in self._state_names():
            v = getattr(self, k)
            if k in self._router_state:
                v = [r.to_dict() for r in v] if isinstance(v, (list, tuple)) else v.to_dict()
            out[k] = to_json_value(v, f"{self.kind} state {k}")
        return out

    def set_state(self, state: dict) -> Router:
        for k, v in state.items():
            if not k.endswith("_"):
                raise RouterlabError(
                    f"state key {k!r} is not a fitted attribute (names end in '_')"
                )
            dtype = self._array_state.get(k)
            if k in self._router_state and v is not None:
                from . import router_from_dict

                v = [router_from_dict(d) for d in v] if isinstance(v, list) else router_from_dict(v)
            elif dtype is not None and v is not None:
                v = np.asarray(v, dtype=dtype)
            elif k == "models_":
                v = tuple(v)
            setattr(self, k, v)
        self._after_load()
        return self

    def _after_load(self) -> None:
        """Hook: rebuild derived (non-exported) caches after set_state or fit."""

    def to_dict(self) -> dict:
        """``{"kind", "params", "state"}``: everything needed to rebuild the fitted router."""
        d = {"kind": self.kind, "params": self.get_params()}
        if self.is_fitted:
            d["state"] = self.get_state()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Router:
        if not isinstance(d, dict) or "params" not in d:
            raise RouterlabError("a router dict needs 'kind', 'params' and optionally 'state'")
        if d.get("kind", cls.kind) != cls.kind:
            raise RouterlabError(f"router dict is for {d.get('kind')!r}, not {cls.kind!r}")
        r = cls(**d["params"])
        if d.get("state") is not None:
            r.set_state(d["state"])
        return r

    # ----------------------------------------------------------------- fitting
    def _resolve_pair(self, outcomes) -> tuple[str, str]:
        """(weak, strong) for binary routers; clear errors for bad names or a one-model table."""
        models = list(outcomes.models)
        if len(models) < 2:
            raise RouterlabError(
                f"routing needs at least two models; the table has {len(models)} ({', '.join(models)})"
            )
        for m in (self.strong, self.weak):
            if m is not None:
                outcomes.col(m)  # raises naming the models that exist
        if self.strong is not None and self.strong == self.weak:
            raise RouterlabError(
                f"strong and weak are both {self.strong!r}: pick two different models"
            )
        q = np.nan_to_num(outcomes.mean_quality(), nan=-1.0)
        strong = self.strong or (
            models[int(np.argmax(q))]
            if self.weak is None
            else max((m for m in models if m != self.weak), key=lambda m: q[models.index(m)])
        )
        if self.weak is not None:
            return self.weak, strong
        others = [m for m in models if m != strong]
        with np.errstate(all="ignore"):
            c = np.array(
                [
                    np.nanmean(outcomes.cost[:, models.index(m)])
                    if np.isfinite(outcomes.cost[:, models.index(m)]).any()
                    else np.nan
                    for m in others
                ]
            )
        if np.isfinite(c).any():
            weak = others[int(np.nanargmin(c))]
        else:
            weak = others[int(np.argmin([q[models.index(m)] for m in others]))]
        return weak, strong

    def _resolve_models(self, outcomes) -> tuple[str, ...]:
        if self.multi_model:
            if len(outcomes.models) < 2:
                raise RouterlabError(
                    f"routing needs at least two models; the table has {len(outcomes.models)}"
                )
            return tuple(outcomes.models)
        return self._resolve_pair(outcomes)

    def fit(self, outcomes) -> Router:
        """Learn from an outcome table; returns ``self``."""
        if not (hasattr(outcomes, "quality") and hasattr(outcomes, "models")):
            raise RouterlabError(f"fit() takes an Outcomes table, not {type(outcomes).__name__}")
        if outcomes.n == 0:
            raise RouterlabError("cannot fit a router on an empty outcome table")
        models = self._resolve_models(outcomes)
        for k in self._state_names():
            delattr(self, k)
        self.models_ = tuple(models)
        self._fit(outcomes)
        self._after_load()
        return self

    def _fit(self, outcomes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # helpers for subclasses
    def _cols(self, outcomes) -> list[int]:
        return [outcomes.col(m) for m in self.models_]

    def _gap(self, outcomes) -> np.ndarray:
        """q_strong - q_weak per query (binary routers), nan treated as 0 quality."""
        w, s = self._cols(outcomes)
        q = np.nan_to_num(outcomes.quality, nan=0.0)
        return q[:, s] - q[:, w]

    # ----------------------------------------------------------------- scoring and routing
    def score(self, queries) -> np.ndarray:
        """Binary routers: (n,) P(strong needed) in [0, 1]; multi-model routers: (n, M) utilities."""
        self._check_fitted()
        q = as_queries(queries)
        if len(q) == 0:
            return np.zeros((0, len(self.models_)) if self.multi_model else 0)
        s = np.asarray(self._score(q), dtype=float)
        return s

    def _score(self, queries: Queries) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def route(self, queries, threshold: float | None = None) -> np.ndarray:
        """(n,) model names: binary routers compare the score with ``threshold`` (default
        ``self.threshold``); multi-model routers take the model with the highest utility."""
        s = self.score(queries)
        models = np.asarray(self.models_, dtype=object)
        if self.multi_model:
            if s.shape[0] == 0:
                return np.asarray([], dtype=object)
            return models[np.argmax(s, axis=1)]
        t = self.threshold if threshold is None else threshold
        return np.where(s >= t, models[1], models[0]).astype(object)

    # ----------------------------------------------------------------- one query (live traffic)
    def score_one(
        self,
        prompt: str,
        category: str | None = None,
        contains_pii: bool = False,
        embedding: np.ndarray | None = None,
    ):
        """The score of one query: a float (binary routers) or an (M,) array (multi-model).

        Same number as ``score`` on a one-row :class:`Queries`; routers override it with a scalar
        path when that is faster (the production runtime routes one request at a time).
        """
        s = self.score(_one_query(prompt, category, contains_pii, embedding))
        return s[0] if self.multi_model else float(s[0])

    def route_one(
        self,
        prompt: str,
        category: str | None = None,
        contains_pii: bool = False,
        embedding: np.ndarray | None = None,
        threshold: float | None = None,
    ) -> tuple[str, float | None]:
        """(model, score) of one query: the decision ``route`` makes, with the score it compared
        (multi-model routers: the chosen model's utility). Routers that read answers (oracle,
        cascade) cannot decide a bare prompt and say so."""
        s = self.score_one(prompt, category, contains_pii, embedding)
        if self.multi_model:
            j = int(np.argmax(s))
            return self.models_[j], float(s[j])
        t = self.threshold if threshold is None else threshold
        return (self.models_[1] if s >= t else self.models_[0]), s

    def _one_rows(self) -> np.ndarray | None:
        """Rows whose products with the query embedding are all the one-query score reads from
        the embedding, or None (reads none, or not that way). Routers that return rows implement
        ``_score_products(products, prompt, category)``: an ensemble stacks its members' rows
        into one matrix product and hands each member its slice."""
        return None

    def _derived(self, name: str, source: Any, build):
        """A private cache rebuilt when ``source`` (a fitted attribute) is replaced: lookup tables
        for the one-query path, never part of the exported state."""
        cache = self.__dict__.setdefault("_derived_cache", {})
        hit = cache.get(name)
        if hit is None or hit[0] is not source:
            hit = cache[name] = (source, build())
        return hit[1]

    def simulate(self, outcomes, threshold: float | None = None):
        """Route every query of ``outcomes`` and return the evaluation's RoutingResult."""
        from ..evaluate import apply  # evaluation sits above routers; imported lazily

        return apply(outcomes, self.route(outcomes, threshold=threshold))


def check_json_roundtrip(router: Router) -> Router:
    """Serialise through json.dumps/loads and rebuild (what a policy export does)."""
    from . import router_from_dict

    return router_from_dict(json.loads(json.dumps(router.to_dict(), allow_nan=False)))
