"""The outcome table: N queries x M models with quality, cost, latency and tokens.

Everything downstream (routers, evaluation, charts, policies) reads only this, so a router
evaluated on the bundled sample runs unchanged on RouteLLM's files or a user's own logs.
Loaders for the public formats live in :mod:`routerlab.loaders`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .errors import RouterlabError

#: Per-query metadata columns every table has (filled with defaults when a source lacks them).
QUERY_COLUMNS = ("query_id", "prompt", "category", "difficulty", "contains_pii", "stakes")
#: The per (query, model) arrays, each of shape (N, M).
ARRAYS = ("quality", "cost", "latency", "tokens_in", "tokens_out", "confidence")


def _fill_queries(queries: pd.DataFrame) -> pd.DataFrame:
    q = queries.reset_index(drop=True).copy()
    if "prompt" not in q:
        raise RouterlabError("queries need a 'prompt' column")
    n = len(q)
    if "query_id" not in q:
        q["query_id"] = [f"q{i:06d}" for i in range(n)]
    q["query_id"] = q["query_id"].astype(str)
    if q["query_id"].duplicated().any():
        dup = q.loc[q["query_id"].duplicated(), "query_id"].iloc[0]
        raise RouterlabError(f"duplicate query_id {dup!r}: give every query a unique id")
    q["prompt"] = q["prompt"].astype(str)
    q["category"] = q["category"].fillna("all").astype(str) if "category" in q else "all"
    q["difficulty"] = q["difficulty"].fillna(0).astype(int) if "difficulty" in q else 0
    if "contains_pii" in q:
        q["contains_pii"] = q["contains_pii"].fillna(False).astype(bool)
    else:
        q["contains_pii"] = False
    q["stakes"] = q["stakes"].fillna(1.0).astype(float) if "stakes" in q else 1.0
    return q


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Queries x models: ``quality[i, j]`` in [0, 1] is how well model ``models[j]`` answered query ``i``.

    Parameters
    ----------
    queries : DataFrame
        One row per query: ``query_id``, ``prompt``, ``category``, ``difficulty``, ``contains_pii``,
        ``stakes`` (missing columns get defaults) plus any other metadata (``reference``, ``grader``...).
    models : list of str
        Model names, one per column of the arrays.
    quality, cost, latency, tokens_in, tokens_out, confidence : array (N, M)
        ``cost`` in US dollars, ``latency`` in seconds; ``nan`` where unknown.
    responses : object array (N, M) or None
        The answer texts when known.
    simulated : tuple of str
        Names of scenario (simulated) model columns; shown as such wherever a user sees them.
    name : str
        Where the table came from.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a", "b"]}), ["weak", "strong"],
    ...                          quality=np.array([[1.0, 1.0], [0.0, 1.0]]))
    >>> o.mean_quality().round(2).tolist()
    [0.5, 1.0]
    """

    queries: pd.DataFrame
    models: tuple[str, ...]
    quality: np.ndarray
    cost: np.ndarray
    latency: np.ndarray
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    confidence: np.ndarray
    responses: np.ndarray | None = None
    simulated: tuple[str, ...] = ()
    name: str = "outcomes"
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        queries: pd.DataFrame,
        models: Sequence[str],
        quality,
        cost=None,
        latency=None,
        tokens_in=None,
        tokens_out=None,
        confidence=None,
        responses=None,
        simulated: Sequence[str] = (),
        name: str = "outcomes",
        meta: dict | None = None,
    ) -> Outcomes:
        q = _fill_queries(pd.DataFrame(queries))
        models = tuple(str(m) for m in models)
        if len(models) < 1:
            raise RouterlabError("an outcome table needs at least one model column")
        if len(set(models)) != len(models):
            raise RouterlabError(f"duplicate model names in {list(models)}")
        shape = (len(q), len(models))

        def arr(x, name):
            if x is None:
                return np.full(shape, np.nan)
            a = np.asarray(x, dtype=float)
            if a.shape != shape:
                raise RouterlabError(
                    f"{name} has shape {a.shape}, expected {shape} (queries x models)"
                )
            return a

        quality = arr(quality, "quality")
        finite = quality[np.isfinite(quality)]
        if finite.size and (finite.min() < 0 or finite.max() > 1):
            raise RouterlabError(
                f"quality must lie in [0, 1] (found {finite.min():g}..{finite.max():g}): "
                "rescale judge scores, e.g. rescale=(1, 10)"
            )
        if responses is not None:
            responses = np.asarray(responses, dtype=object)
            if responses.shape != shape:
                raise RouterlabError(f"responses has shape {responses.shape}, expected {shape}")
        unknown = set(simulated) - set(models)
        if unknown:
            raise RouterlabError(f"simulated names {sorted(unknown)} are not model columns")
        return cls(
            queries=q,
            models=models,
            quality=quality,
            cost=arr(cost, "cost"),
            latency=arr(latency, "latency"),
            tokens_in=arr(tokens_in, "tokens_in"),
            tokens_out=arr(tokens_out, "tokens_out"),
            confidence=arr(confidence, "confidence"),
            responses=responses,
            simulated=tuple(m for m in models if m in set(simulated)),
            name=name,
            meta=dict(meta or {}),
        )

    # ------------------------------------------------------------------ basic access
    @property
    def n(self) -> int:
        return len(self.queries)

    def __len__(self) -> int:
        return self.n

    @property
    def prompts(self) -> list[str]:
        return self.queries["prompt"].tolist()

    @property
    def categories(self) -> np.ndarray:
        return self.queries["category"].to_numpy()

    def col(self, model: str) -> int:
        """Column index of ``model``; a clear error names the models that exist."""
        try:
            return self.models.index(model)
        except ValueError:
            raise RouterlabError(
                f"model {model!r} is not in the table; models: {', '.join(self.models)}"
            ) from None

    def is_simulated(self, model: str) -> bool:
        return model in self.simulated

    def label(self, model: str) -> str:
        """Display name: scenario models carry '(simulated)'."""
        return f"{model} (simulated)" if self.is_simulated(model) else model

    def __repr__(self) -> str:
        sim = f", simulated={list(self.simulated)}" if self.simulated else ""
        return f"Outcomes({self.name!r}, n={self.n}, models={list(self.models)}{sim})"

    # ------------------------------------------------------------------ selection
    def subset(self, index) -> Outcomes:
        """Rows by integer index or boolean mask (a new table; arrays are copied)."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        elif idx.size == 0:
            idx = idx.astype(np.intp)  # an empty list selects no rows (not an IndexError)
        pick = {a: getattr(self, a)[idx] for a in ARRAYS}
        resp = None if self.responses is None else self.responses[idx]
        return replace(
            self, queries=self.queries.iloc[idx].reset_index(drop=True), responses=resp, **pick
        )

    def filter(self, category: str | Sequence[str] | None = None, mask=None) -> Outcomes:
        keep = np.ones(self.n, dtype=bool)
        if category is not None:
            cats = [category] if isinstance(category, str) else list(category)
            missing = set(cats) - set(self.categories)
            if missing:
                raise RouterlabError(
                    f"unknown categories {sorted(missing)}; known: {sorted(set(self.categories))}"
                )
            keep &= np.isin(self.categories, cats)
        if mask is not None:
            keep &= np.asarray(mask, dtype=bool)
        return self.subset(keep)

    def select_models(self, models: Sequence[str]) -> Outcomes:
        if len(set(models)) != len(models):
            raise RouterlabError(f"duplicate model names in {list(models)}")
        cols = [self.col(m) for m in models]
        pick = {a: getattr(self, a)[:, cols] for a in ARRAYS}
        resp = None if self.responses is None else self.responses[:, cols]
        sim = tuple(m for m in models if m in self.simulated)
        return replace(self, models=tuple(models), responses=resp, simulated=sim, **pick)

    def with_model(
        self, name: str, quality, *, simulated: bool = False, responses=None, **arrays
    ) -> Outcomes:
        """A new table with one more model column (e.g. a scenario model)."""
        if name in self.models:
            raise RouterlabError(f"model {name!r} already in the table")
        cols = {}
        for a in ARRAYS:
            v = quality if a == "quality" else arrays.get(a)
            v = np.full(self.n, np.nan) if v is None else np.asarray(v, dtype=float)
            if v.shape != (self.n,):
                raise RouterlabError(f"{a} for {name!r} has shape {v.shape}, expected ({self.n},)")
            cols[a] = np.column_stack([getattr(self, a), v])
        resp = None
        if self.responses is not None or responses is not None:
            old = (
                self.responses
                if self.responses is not None
                else np.full((self.n, len(self.models)), None, dtype=object)
            )
            new = (
                np.full(self.n, None, dtype=object)
                if responses is None
                else np.asarray(responses, dtype=object)
            )
            resp = np.column_stack([old, new])
        sim = self.simulated + ((name,) if simulated else ())
        return Outcomes.from_arrays(
            self.queries,
            self.models + (name,),
            responses=resp,
            simulated=sim,
            name=self.name,
            meta=self.meta,
            **cols,
        )

    # ------------------------------------------------------------------ splits
    def train_test_split(self, test_size: float = 0.3, seed: int = 0, stratify: bool = True):
        """Two tables (train, test); stratified by category by default."""
        if not 0 < test_size < 1:
            raise RouterlabError(f"test_size must be between 0 and 1, got {test_size}")
        rng = np.random.default_rng(seed)
        test = np.zeros(self.n, dtype=bool)
        groups = self.categories if stratify else np.zeros(self.n)
        for g in pd.unique(groups):
            idx = np.flatnonzero(groups == g)
            rng.shuffle(idx)
            test[idx[: int(round(len(idx) * test_size))]] = True
        return self.subset(~test), self.subset(test)

    def kfold(self, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
        """K (train_index, test_index) pairs; every query is in exactly one test fold."""
        if k < 2:
            raise RouterlabError(f"folds must be at least 2, got {k}")
        if k > self.n:
            raise RouterlabError(f"{k} folds but only {self.n} queries: use at most {self.n} folds")
        perm = np.random.default_rng(seed).permutation(self.n)
        folds = np.array_split(perm, k)
        return [
            (np.sort(np.concatenate(folds[:i] + folds[i + 1 :])), np.sort(f))
            for i, f in enumerate(folds)
        ]

    # ------------------------------------------------------------------ summaries
    def mean_quality(self) -> np.ndarray:
        return np.nanmean(self.quality, axis=0)

    def summary(self) -> pd.DataFrame:
        """Per model: mean quality, total cost, mean latency, tokens, and whether it is simulated."""
        with np.errstate(all="ignore"):
            df = pd.DataFrame(
                {
                    "quality": np.nanmean(self.quality, axis=0),
                    "cost_usd": _nansum_or_nan(self.cost),
                    "latency_s": _nanmean_or_nan(self.latency),
                    "tokens_in": _nansum_or_nan(self.tokens_in),
                    "tokens_out": _nansum_or_nan(self.tokens_out),
                    "simulated": [m in self.simulated for m in self.models],
                },
                index=pd.Index(self.models, name="model"),
            )
        return df

    def by_category(self, value: str = "quality") -> pd.DataFrame:
        """Category x model table of mean ``value`` (plus a count column ``n``)."""
        arr = getattr(self, value)
        df = pd.DataFrame(arr, columns=list(self.models))
        df["category"] = self.categories
        out = df.groupby("category").mean()
        out.insert(0, "n", df.groupby("category").size())
        return out

    # ------------------------------------------------------------------ long format and identity
    def to_long(self) -> pd.DataFrame:
        """One row per (query, model): the generic long format that :func:`load_outcomes` reads."""
        n, m = self.quality.shape
        meta = self.queries.loc[np.repeat(np.arange(n), m)].reset_index(drop=True)
        long = meta.assign(
            model=np.tile(self.models, n),
            quality=self.quality.ravel(),
            cost_usd=self.cost.ravel(),
            latency_s=self.latency.ravel(),
            tokens_in=self.tokens_in.ravel(),
            tokens_out=self.tokens_out.ravel(),
            confidence=self.confidence.ravel(),
            simulated=np.tile([x in self.simulated for x in self.models], n),
        )
        if self.responses is not None:
            long["response"] = self.responses.ravel()
        return long

    def fingerprint(self) -> str:
        """A short hash of prompts, models and quality: identifies the table in a policy's provenance."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.queries["query_id"]).encode())
        h.update("\x1f".join(self.prompts).encode())
        h.update("\x1f".join(self.models).encode())
        h.update(np.ascontiguousarray(np.nan_to_num(self.quality, nan=-1.0)).tobytes())
        return h.hexdigest()[:16]

    def fill_costs(self, prices: dict[str, tuple[float, float]]) -> Outcomes:
        """Cost from tokens x price ($ per million input / output tokens) where a source has none."""
        cost = self.cost.copy()
        for j, m in enumerate(self.models):
            if m in prices:
                pin, pout = prices[m]
                est = (self.tokens_in[:, j] * pin + self.tokens_out[:, j] * pout) / 1e6
                hole = ~np.isfinite(cost[:, j])
                cost[hole, j] = est[hole]
        return replace(self, cost=cost)


def _nansum_or_nan(a: np.ndarray) -> np.ndarray:
    s = np.nansum(a, axis=0)
    return np.where(np.isfinite(a).any(axis=0), s, np.nan)


def _nanmean_or_nan(a: np.ndarray) -> np.ndarray:
    ok = np.isfinite(a).any(axis=0)
    out = np.full(a.shape[1], np.nan)
    if ok.any():
        out[ok] = np.nanmean(a[:, ok], axis=0)
    return out
