"""Run models over prompts: progress bar, concurrency, retries, per-item errors and resume.

:func:`run_batch` calls every model on every prompt through the call cache. Each finished call is
written to the cache at once, so after Ctrl-C, a crash or a server going down, running the same
batch again completes only what is missing. Errors are recorded per item (the ``error`` column),
never raised; timeouts, HTTP 429 and 5xx are retried with exponential backoff first.

How the calls are executed is pluggable: anything with ``run(fn, tasks)`` yielding
``(task, result)`` pairs as they finish (:class:`ExecutionStrategy`). :class:`ThreadPoolStrategy`
is the default; a distributed engine (e.g. Ray) can plug in later without changing callers.
Local GGUF calls are serialized inside llama-cpp anyway; remote calls overlap.

Examples
--------
>>> res = run_batch(["gguf:smollm2-135m"], ["What is 2+2?", "Name a colour."],
...                 params={"max_tokens": 8})                           # doctest: +SKIP
>>> res.df[["model", "item", "text", "cached", "error"]]               # doctest: +SKIP
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from .cache import CacheStats, CallCache, default_cache
from .completion import Completion
from .errors import RouterlabError
from .models import Backend, get_backend, validate_params
from .models.base import Prompt, TransientBackendError

T = TypeVar("T")
R = TypeVar("R")

COLUMNS = (
    "model",
    "item",
    "query_id",
    "text",
    "tokens_in",
    "tokens_out",
    "latency_s",
    "cost_usd",
    "cached",
    "confidence",
    "finish_reason",
    "error",
)


# ---------------------------------------------------------------------------- strategies
class ExecutionStrategy(Protocol):
    """How calls are executed: ``run(fn, tasks)`` yields ``(task, fn(task))`` as each finishes.

    ``fn`` never raises (the runner records errors itself). On ``KeyboardInterrupt`` a strategy
    should stop starting new tasks, call ``fn.cancel()`` if it exists (running calls then make
    no further retries) and let the running calls finish (they write the cache).
    """

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[T, R]]: ...


class SequentialStrategy:
    """One call after the other in the calling thread."""

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[T, R]]:
        for task in tasks:
            yield task, fn(task)


@dataclass
class ThreadPoolStrategy:
    """Up to ``max_workers`` calls at once in threads (for remote backends)."""

    max_workers: int = 4

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[T, R]]:
        if self.max_workers <= 1:
            yield from SequentialStrategy().run(fn, tasks)
            return
        pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="routerlab")
        try:
            pending = {pool.submit(fn, t): t for t in tasks}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield pending.pop(fut), fut.result()
        except BaseException:  # Ctrl-C or the consumer stopped: no new attempts
            cancel = getattr(fn, "cancel", None)
            if cancel is not None:
                cancel()
            raise
        finally:
            # On Ctrl-C: drop queued calls, let running ones finish and reach the cache.
            pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------------- result
@dataclass
class BatchResult:
    """The answers of a batch: ``df`` has one row per (model, item) with the columns
    ``model, item, query_id, text, tokens_in, tokens_out, latency_s, cost_usd, cached,
    confidence, finish_reason, error`` (``error`` is missing, ``pd.isna``, when the call
    succeeded; ``text`` is missing when it failed)."""

    df: pd.DataFrame
    models: list[str]
    query_ids: list[str]
    stats: CacheStats = field(default_factory=CacheStats)
    elapsed_s: float = 0.0

    @property
    def errors(self) -> pd.DataFrame:
        """The rows that failed."""
        return self.df[self.df["error"].notna()]

    @property
    def n_errors(self) -> int:
        return int(self.df["error"].notna().sum())

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    def matrix(self, column: str) -> np.ndarray:
        """An (items x models) array of one column (e.g. ``cost_usd``), in model order."""
        wide = self.df.pivot(index="item", columns="model", values=column)
        wide = wide.reindex(index=range(len(self.query_ids)), columns=self.models)
        return wide.to_numpy()

    def summary(self) -> pd.DataFrame:
        """Per model: calls, errors, cached, tokens, cost and mean latency."""
        g = self.df.groupby("model", sort=False)
        return pd.DataFrame(
            {
                "calls": g.size(),
                "errors": g["error"].apply(lambda s: int(s.notna().sum())),
                "cached": g["cached"].sum().astype(int),
                "tokens_in": g["tokens_in"].sum(),
                "tokens_out": g["tokens_out"].sum(),
                "cost_usd": g["cost_usd"].sum(),
                "mean_latency_s": g["latency_s"].mean(),
            }
        ).reindex(self.models)

    def __repr__(self) -> str:
        return (
            f"BatchResult({len(self.models)} models x {len(self.query_ids)} items, "
            f"{self.n_errors} errors, {int(self.df['cached'].sum())} cached, "
            f"{self.elapsed_s:.1f} s)"
        )


# --------------------------------------------------------------------------------- runner
def _prompts_and_ids(prompts: Any, ids: Sequence[Any] | None) -> tuple[list[Prompt], list[str]]:
    if isinstance(prompts, pd.DataFrame):
        col = "messages" if "messages" in prompts and "prompt" not in prompts else "prompt"
        if col not in prompts:
            raise RouterlabError("a prompts table needs a 'prompt' (or 'messages') column")
        items = list(prompts[col])
        if ids is None and "query_id" in prompts:
            ids = list(prompts["query_id"])
    elif isinstance(prompts, pd.Series):
        items = list(prompts)
        if ids is None:
            ids = list(prompts.index)
    elif isinstance(prompts, str):
        items = [prompts]
    elif isinstance(prompts, Iterable):
        items = list(prompts)
    else:
        raise RouterlabError("prompts must be a list of strings/messages or a table with 'prompt'")
    if ids is None:
        ids = [f"q{i:06d}" for i in range(len(items))]
    ids = [str(i) for i in ids]
    if len(ids) != len(items):
        raise RouterlabError(f"got {len(ids)} ids for {len(items)} prompts")
    if len(set(ids)) != len(ids):
        raise RouterlabError("item ids must be unique")
    return items, ids


def _backends(models: Any) -> list[Backend]:
    if isinstance(models, (str, Backend)) and not isinstance(models, Mapping):
        models = [models]
    if isinstance(models, Mapping):
        backends = [
            get_backend(spec, model=label) if isinstance(spec, str) else spec
            for label, spec in models.items()
        ]
    else:
        backends = [get_backend(m) for m in models]
    if not backends:
        raise RouterlabError("no models given")
    names = [b.model for b in backends]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RouterlabError(f"two models are named {sorted(dup)[0]!r}: give them distinct aliases")
    return backends


def run_batch(
    models: Any,
    prompts: Any,
    *,
    params: Mapping[str, Any] | None = None,
    cache: CallCache | bool | None = None,
    namespace: str = "default",
    ids: Sequence[Any] | None = None,
    concurrency: int = 4,
    retries: int = 3,
    backoff: float = 0.5,
    max_backoff: float = 8.0,
    strategy: ExecutionStrategy | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> BatchResult:
    """Call every model on every prompt; return a :class:`BatchResult`.

    Parameters
    ----------
    models : spec, backend, list of them, or dict label -> spec
    prompts : list of prompt strings or message lists, or a DataFrame with ``prompt``
        (and optionally ``query_id``) columns
    params : dict
        Generation parameters for every call (``max_tokens``, ``temperature``, ``seed`` ...).
    cache : CallCache, True/None (the default cache for ``namespace``) or False (no cache)
    concurrency : int
        Calls in flight at once when some model is remote (local GGUF models run one at a time).
    retries, backoff, max_backoff : retry policy for timeouts, 429 and 5xx: wait
        ``backoff * 2**attempt`` seconds (capped, with jitter) between attempts.
    strategy : ExecutionStrategy, optional
        Replaces the default :class:`ThreadPoolStrategy`.
    progress : bool
        Show a tqdm progress bar (notebook or terminal).
    """
    params = dict(params or {})
    validate_params(params)  # fail fast on bad params, before any call
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise RouterlabError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    if not isinstance(retries, int) or retries < 0:
        raise RouterlabError(f"retries must be a whole number >= 0, got {retries!r}")
    items, qids = _prompts_and_ids(prompts, ids)
    backends = _backends(models)
    if cache is None or cache is True:
        cache = default_cache(namespace)
    elif cache is False:
        cache = None
    before = cache.stats() if cache is not None else CacheStats()
    if strategy is None:
        remote = any(b.kind == "openai" for b in backends)
        strategy = ThreadPoolStrategy(concurrency if remote else 1)
    stop = threading.Event()

    def call(task: tuple[int, int]) -> Completion | str:
        m, i = task
        backend = backends[m]
        for attempt in range(retries + 1):
            if stop.is_set():
                return "interrupted before the call"
            try:
                if cache is not None:
                    return cache.complete(backend, items[i], **params)
                return backend.complete(items[i], **params)
            except TransientBackendError as exc:
                if attempt == retries:
                    return f"{exc} (after {retries + 1} attempts)" if retries else str(exc)
                delay = min(max_backoff, backoff * 2**attempt) * (0.5 + random.random() / 2)
                stop.wait(delay)
            except RouterlabError as exc:
                return str(exc)
            except Exception as exc:  # noqa: BLE001 - recorded per item, the batch goes on
                return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return "not attempted"

    call.cancel = stop.set  # type: ignore[attr-defined]
    tasks = [(m, i) for m in range(len(backends)) for i in range(len(items))]
    results: dict[tuple[int, int], Completion | str] = {}
    start = time.perf_counter()
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc=desc or "calls", disable=not progress, unit="call")
    n_err = n_cached = 0
    try:
        for task, res in strategy.run(call, tasks):
            results[task] = res
            if isinstance(res, str):
                n_err += 1
            elif res.cached:
                n_cached += 1
            bar.update(1)
            bar.set_postfix(cached=n_cached, errors=n_err, refresh=False)
    except KeyboardInterrupt:
        stop.set()
        raise
    finally:
        bar.close()
    elapsed = time.perf_counter() - start

    rows = []
    for m, b in enumerate(backends):
        for i, qid in enumerate(qids):
            res = results.get((m, i), "not run")
            row: dict[str, Any] = {"model": b.model, "item": i, "query_id": qid}
            if isinstance(res, Completion):
                d = res.to_dict()
                d.pop("model")
                row.update(d, error=None)
            else:
                row.update(
                    text=None,
                    tokens_in=0,
                    tokens_out=0,
                    latency_s=np.nan,
                    cost_usd=0.0,
                    cached=False,
                    confidence=None,
                    finish_reason=None,
                    error=res,
                )
            rows.append(row)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["confidence"] = pd.to_numeric(df["confidence"], errors="coerce").astype(float)
    df["cached"] = df["cached"].astype(bool)
    stats = CacheStats()
    if cache is not None:
        after = cache.stats()
        stats = replace(
            after,
            hits=after.hits - before.hits,
            misses=after.misses - before.misses,
            uncacheable=after.uncacheable - before.uncacheable,
            usd_saved=after.usd_saved - before.usd_saved,
            seconds_saved=after.seconds_saved - before.seconds_saved,
        )
    return BatchResult(df, [b.model for b in backends], qids, stats, elapsed)
