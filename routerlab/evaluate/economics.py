"""Retry economics and router overhead: the true cost of a routing decision.

Retries. A user who gets a bad answer may ask again. With ``quality`` read as the probability that an
answer is good, a query first answered by model A is retried with probability
``p_retry x (1 - q_A)``; the retry goes to the same model or to another (e.g. the strong one), and may
itself be retried, up to ``max_retries`` times. Per query, with ``a_1 = 1`` and
``a_{j+1} = a_j x p_retry x (1 - q_j)``: expected calls ``sum a_j``, expected cost ``sum a_j c_j`` and
final quality ``sum a_j q_j`` (the chance that some attempt was good). With 0/1 quality a retry to the
same model fails again (deterministic answers), so a router that sends hard queries to a weak model
pays for them twice.

Overhead. :func:`measure_overhead` times the router's own decision per query (with and without the
query embedding) and :func:`with_overhead` adds it to every query's latency and cost.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import RouterlabError
from .result import RoutingResult, _default_strong


@dataclass(frozen=True)
class RetryEconomics:
    """Effective volume, cost and quality once retries are counted (per original request)."""

    name: str
    p_retry: float
    retry_to: str
    max_retries: int
    requests: int
    calls_per_request: float
    first_quality: float
    final_quality: float
    first_cost_per_1k: float
    cost_per_1k: float
    retry_share: float

    @property
    def volume_factor(self) -> float:
        """Model calls per original request (1.0 = no retries)."""
        return self.calls_per_request

    @property
    def extra_cost_share(self) -> float:
        """Share of the effective cost that retries add."""
        if not self.cost_per_1k:
            return 0.0
        return 1.0 - self.first_cost_per_1k / self.cost_per_1k

    def to_dict(self) -> dict:
        d = asdict(self)
        d["volume_factor"] = self.volume_factor
        d["extra_cost_share"] = self.extra_cost_share
        return d


def _retry_target(result: RoutingResult, retry_to: str) -> tuple[np.ndarray, np.ndarray]:
    o = result.outcomes
    rows = np.arange(result.n)
    if retry_to == "same":
        cols = result.column
    else:
        if o is None:
            raise RouterlabError("this result has no outcome table to read the retry model from")
        name = (result.strong or _default_strong(o)) if retry_to == "strong" else retry_to
        cols = np.full(result.n, o.col(name))
    if o is None:
        return result.quality, result.cost
    return o.quality[rows, cols], o.cost[rows, cols]


def retry_economics(
    result: RoutingResult,
    p_retry: float,
    retry_to: str = "same",
    max_retries: int = 1,
) -> RetryEconomics:
    """Effective calls, cost and quality of ``result`` when users retry after bad answers.

    Parameters
    ----------
    result : RoutingResult
        From :func:`apply` (first answers).
    p_retry : float
        Probability that a user retries after a bad answer (0..1).
    retry_to : "same", "strong" or a model name
        Where a retry goes: the model that answered, the strong (reference) model, or a named one.
    max_retries : int
        Retries per request at most.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> from routerlab.evaluate import apply
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a", "b"]}), ["w", "s"],
    ...     quality=[[1, 1], [0, 1]], cost=[[1.0, 10.0], [1.0, 10.0]])
    >>> e = retry_economics(apply(o, ["w", "w"]), p_retry=0.5, retry_to="strong")
    >>> e.calls_per_request, e.final_quality, e.cost_per_1k
    (1.25, 0.75, 3500.0)
    """
    if not 0 <= p_retry <= 1:
        raise RouterlabError(f"p_retry must be between 0 and 1, got {p_retry}")
    if max_retries < 0:
        raise RouterlabError(f"max_retries must be 0 or more, got {max_retries}")
    q1 = np.nan_to_num(result.quality, nan=0.0)
    c1 = np.nan_to_num(result.cost, nan=0.0)
    q2, c2 = _retry_target(result, retry_to)
    q2 = np.nan_to_num(q2, nan=0.0)
    c2 = np.nan_to_num(c2, nan=0.0)
    calls = np.ones(result.n)
    cost = c1.copy()
    good = q1.copy()
    reach = p_retry * (1.0 - q1)  # probability of reaching the next attempt
    retried = reach.copy()
    for _ in range(max_retries):
        calls += reach
        cost += reach * c2
        good += reach * q2
        reach = reach * p_retry * (1.0 - q2)
    if max_retries == 0:
        retried = np.zeros(result.n)
    return RetryEconomics(
        name=result.name,
        p_retry=float(p_retry),
        retry_to=retry_to,
        max_retries=int(max_retries),
        requests=result.n,
        calls_per_request=float(calls.mean()),
        first_quality=float(q1.mean()),
        final_quality=float(good.mean()),
        first_cost_per_1k=float(1000 * c1.mean()),
        cost_per_1k=float(1000 * cost.mean()),
        retry_share=float(retried.mean()),
    )


def retry_table(
    results: dict[str, RoutingResult], p_retry: float, retry_to: str = "same", max_retries: int = 1
):
    """One row per result: cost and quality before and after retries (sorted by effective cost)."""
    import pandas as pd

    rows = {
        k: retry_economics(r, p_retry, retry_to, max_retries).to_dict() for k, r in results.items()
    }
    df = pd.DataFrame.from_dict(rows, orient="index")
    cols = [
        "first_cost_per_1k",
        "cost_per_1k",
        "extra_cost_share",
        "calls_per_request",
        "first_quality",
        "final_quality",
        "retry_share",
    ]
    return df[cols].sort_values("cost_per_1k")


# ------------------------------------------------------------------ overhead


@dataclass(frozen=True)
class Overhead:
    """Measured per-decision overhead of a router (seconds and dollars per query)."""

    router: str
    n_timed: int
    decision_s: float
    decision_s_p95: float
    embed_s: float
    total_s: float
    total_s_p95: float
    decision_usd: float

    def to_dict(self) -> dict:
        return asdict(self)


def measure_overhead(
    router,
    queries,
    n: int = 100,
    *,
    include_embedding: bool = True,
    usd_per_decision: float = 0.0,
    embed_usd_per_mtok: float = 0.0,
    seed: int = 0,
) -> Overhead:
    """Time ``router.route()`` one query at a time, as in production.

    ``decision_s`` is the median time of route() with the embedding already computed;
    ``embed_s`` the median time to embed one query from scratch (the disk cache bypassed) when the
    router needs embeddings; ``total_s`` their per-query sum (median and p95). ``decision_usd`` is
    ``usd_per_decision`` plus the embedding's price (``embed_usd_per_mtok`` per million tokens,
    about 4 characters per token).
    """
    from ..routers import as_queries

    router._check_fitted()
    q = as_queries(queries)
    if len(q) == 0:
        raise RouterlabError("no queries to time")
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(q), size=min(n, len(q)), replace=False))
    sample = q.subset(pick)
    needs = bool(getattr(router, "needs_embeddings", False))
    enc = getattr(router, "encoder", None)
    embed_t = np.zeros(len(pick))
    if needs:
        sample.embeddings_for(enc)  # warm: fills the in-memory embeddings for the decision timing
        if include_embedding:
            from ..embeddings import embed

            kw = {"model": enc} if enc else {}
            embed([sample.prompts[0]], cache=False, **kw)  # load the encoder once
            for i, text in enumerate(sample.prompts):
                t0 = time.perf_counter()
                embed([text], cache=False, **kw)
                embed_t[i] = time.perf_counter() - t0
    router.route(sample.subset([0]))  # warm up
    dec_t = np.empty(len(pick))
    for i in range(len(pick)):
        one = sample.subset([i])
        t0 = time.perf_counter()
        router.route(one)
        dec_t[i] = time.perf_counter() - t0
    total = dec_t + embed_t
    tokens = np.array([len(t) / 4 for t in sample.prompts]) if needs else np.zeros(len(pick))
    usd = float(usd_per_decision + embed_usd_per_mtok * tokens.mean() / 1e6)
    return Overhead(
        router=getattr(router, "kind", type(router).__name__),
        n_timed=len(pick),
        decision_s=float(np.median(dec_t)),
        decision_s_p95=float(np.quantile(dec_t, 0.95)),
        embed_s=float(np.median(embed_t)),
        total_s=float(np.median(total)),
        total_s_p95=float(np.quantile(total, 0.95)),
        decision_usd=usd,
    )


def with_overhead(
    result: RoutingResult, decision_s: float | Overhead = 0.0, decision_usd: float = 0.0
) -> RoutingResult:
    """``result`` with the router's per-query latency and cost added (from numbers or an Overhead)."""
    if isinstance(decision_s, Overhead):
        decision_usd = decision_s.decision_usd
        decision_s = decision_s.total_s
    return result.with_overhead(decision_s=decision_s, decision_usd=decision_usd)
