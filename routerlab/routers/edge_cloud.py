"""``edge_cloud``: a local (edge) model and a cloud model, with a privacy rule, a latency budget from a
queueing model of the edge box, and the edge's own per-token cost.

- Privacy: queries flagged ``contains_pii`` always stay on the edge model, whatever the score or the
  threshold (the rule is applied in ``route`` and ``simulate``).
- Routing: an inner binary router scores "cloud needed"; other queries go to the cloud when the score
  clears the threshold.
- Latency: the edge box is an M/M/c queue (Erlang C) with ``edge_servers`` parallel slots, arrivals
  ``arrival_rate`` x edge share per second, and the service rate from the mean edge latency of the
  training table. A query's response time on the edge is its (empirical) service time plus the queue
  wait; cloud queries take their empirical latency (no queue). p50 / p95 come from the mixture's exact
  CDF on a fine grid. This approximation treats service times as exponential for the wait only.
- With ``latency_p95_budget`` set, ``fit`` lowers the threshold (sending more non-PII traffic to the
  cloud) as little as needed to meet the budget; ``threshold_`` is the one in use.
- Cost: with ``edge_cost_per_1k_tokens`` the edge's cost is tokens x that price (hardware, power)
  instead of the table's (usually zero) cost.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np

from ..errors import RouterlabError
from .base import Queries, Router, as_queries

_Q = np.linspace(0.0, 1.0, 101)


def erlang_c(lam: float, mu: float, c: int) -> float:
    """Probability that an arrival waits in an M/M/c queue (1.0 when the queue is unstable)."""
    if lam <= 0:
        return 0.0
    a = lam / mu
    rho = a / c
    if rho >= 1:
        return 1.0
    terms = [a**k / math.factorial(k) for k in range(c)]
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(terms) + top)


def mixture_quantiles(edge_share, service_q, cloud_q, lam, mu, c, probs=(0.5, 0.95)):
    """Quantiles of the response time: edge (service + M/M/c wait) with prob ``edge_share``, else cloud."""
    service_q = np.asarray(service_q, dtype=float)
    cloud_q = np.asarray(cloud_q, dtype=float)
    lam_e = lam * edge_share
    if edge_share > 0 and lam_e >= c * mu:
        return {p: math.inf for p in probs}
    pw = erlang_c(lam_e, mu, c) if edge_share > 0 else 0.0
    rate = c * mu - lam_e
    w_hi = (math.log(max(pw, 1e-12) / 1e-6) / rate) if pw > 0 else 0.0
    x_max = max(service_q.max() + max(w_hi, 0.0), cloud_q.max()) * 1.05 + 1e-9
    x = np.linspace(0.0, x_max, 4001)
    d = x[:, None] - service_q[None, :]
    wait_cdf = np.where(d >= 0, 1.0 - pw * np.exp(-rate * np.maximum(d, 0.0)), 0.0)
    cdf = edge_share * wait_cdf.mean(1) + (1 - edge_share) * (cloud_q[None, :] <= x[:, None]).mean(
        1
    )
    out = {}
    for p in probs:
        i = int(np.searchsorted(cdf, p - 1e-12))
        out[p] = float(x[min(i, len(x) - 1)])
    return out


class EdgeCloudRouter(Router):
    """Edge vs cloud: PII stays on the edge; latency budget via an M/M/c edge queue; edge token cost.

    Parameters
    ----------
    edge, cloud : str, optional
        The local and the cloud model (default: cheapest model / best model).
    inner : str
        Registry name of the binary router scoring "cloud needed".
    inner_params : dict, optional
    arrival_rate : float
        Queries per second arriving at the service (all queries).
    edge_servers : int
        Parallel slots on the edge box (c in M/M/c).
    latency_p95_budget : float, optional
        Target p95 response time in seconds; None = no latency constraint.
    edge_cost_per_1k_tokens : float, optional
        $ per 1,000 tokens (in + out) on the edge; None = the table's cost.

    Examples
    --------
    >>> r = EdgeCloudRouter(edge="gemma3-270m", cloud="scenario:frontier", arrival_rate=0.5,
    ...                     latency_p95_budget=8.0)                   # doctest: +SKIP
    >>> r.fit(train).latency_report_                                  # doctest: +SKIP
    """

    kind = "edge_cloud"
    _router_state = ("inner_",)
    _array_state = {"service_q_": float, "cloud_q_": float}

    def __init__(
        self,
        *,
        edge: str | None = None,
        cloud: str | None = None,
        inner: str = "category",
        inner_params: dict | None = None,
        arrival_rate: float = 0.2,
        edge_servers: int = 1,
        latency_p95_budget: float | None = None,
        edge_cost_per_1k_tokens: float | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        super().__init__(strong=cloud, weak=edge, seed=seed, threshold=threshold)
        self.edge = edge
        self.cloud = cloud
        self.inner = inner
        self.inner_params = inner_params
        self.arrival_rate = arrival_rate
        self.edge_servers = edge_servers
        self.latency_p95_budget = latency_p95_budget
        self.edge_cost_per_1k_tokens = edge_cost_per_1k_tokens

    @property
    def needs_embeddings(self) -> bool:  # type: ignore[override]
        from . import REGISTRY

        return bool(getattr(REGISTRY.get(self.inner), "needs_embeddings", False))

    def _resolve_models(self, outcomes):
        self.strong, self.weak = self.cloud, self.edge
        return self._resolve_pair(outcomes)

    def _fit(self, outcomes) -> None:
        from . import make_router

        if float(self.arrival_rate) < 0 or int(self.edge_servers) < 1:
            raise RouterlabError("arrival_rate must be >= 0 and edge_servers >= 1")
        edge, cloud = self.models_
        params = dict(self.inner_params or {})
        params.update(strong=cloud, weak=edge)
        inner = make_router(self.inner, **params)
        if inner.multi_model:
            raise RouterlabError(f"edge_cloud needs a binary inner router, not {self.inner!r}")
        inner.fit(outcomes)
        self.inner_ = inner
        lat_e = outcomes.latency[:, outcomes.col(edge)]
        lat_c = outcomes.latency[:, outcomes.col(cloud)]
        lat_e, lat_c = lat_e[np.isfinite(lat_e)], lat_c[np.isfinite(lat_c)]
        if not len(lat_e) or not len(lat_c):
            raise RouterlabError(
                f"edge_cloud needs latencies of {edge!r} and {cloud!r} in the table (latency_s)"
            )
        self.service_q_ = np.round(np.quantile(lat_e, _Q), 6)
        self.cloud_q_ = np.round(np.quantile(lat_c, _Q), 6)
        self.service_mean_ = float(np.round(lat_e.mean(), 6))
        # threshold under the latency budget
        s = inner.score(outcomes)
        pii = outcomes.queries["contains_pii"].to_numpy(dtype=bool)
        t0 = float(self.threshold)
        thr = t0
        if self.latency_p95_budget is not None:
            budget = float(self.latency_p95_budget)
            cands = np.unique(np.concatenate([[t0], s[~pii][s[~pii] < t0], [-1e-9]]))[::-1]
            best_t, best_p, best_share = t0, math.inf, 1.0
            for t in cands:  # highest threshold first = most edge traffic = cheapest
                share = float(np.mean(pii | (s < t)))
                p95 = self.latency_at(share)["p95"]
                if p95 < best_p:
                    best_t, best_p, best_share = float(t), p95, share
                if p95 <= budget:
                    best_t = float(t)
                    break
            else:
                warnings.warn(
                    f"p95 latency budget {budget:g}s cannot be met: the best is {best_p:.3g}s with "
                    f"{best_share:.0%} of traffic on the edge (PII queries must stay there); "
                    "add edge servers or relax the budget",
                    stacklevel=3,
                )
            thr = best_t
        self.threshold_ = float(thr)
        share = float(np.mean(pii | (s < thr)))
        self.latency_report_ = {
            k: (None if math.isinf(v) else round(v, 6)) if isinstance(v, float) else v
            for k, v in self.latency_at(share).items()
        }

    def latency_at(self, edge_share: float) -> dict:
        """p50 / p95 response time, edge utilisation and mean queue wait at a given edge share."""
        mu = 1.0 / max(self.service_mean_, 1e-9)
        c = int(self.edge_servers)
        lam = float(self.arrival_rate)
        lam_e = lam * edge_share
        util = lam_e / (c * mu)
        q = mixture_quantiles(edge_share, self.service_q_, self.cloud_q_, lam, mu, c)
        wait = (
            math.inf
            if util >= 1
            else (erlang_c(lam_e, mu, c) / (c * mu - lam_e) if lam_e > 0 else 0.0)
        )
        return {
            "edge_share": float(edge_share),
            "utilisation": float(util),
            "mean_wait": float(wait),
            "p50": q[0.5],
            "p95": q[0.95],
        }

    def _score(self, queries: Queries) -> np.ndarray:
        s = self.inner_.score(queries)
        return np.where(queries.pii(), 0.0, s)

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        self._check_fitted()
        if contains_pii:
            return 0.0
        return float(self.inner_.score_one(prompt, category, contains_pii, embedding))

    def route_one(self, prompt, category=None, contains_pii=False, embedding=None, threshold=None):
        s = self.score_one(prompt, category, contains_pii, embedding)
        t = self.threshold_ if threshold is None else threshold
        edge, cloud = self.models_
        return (cloud if s >= t and not contains_pii else edge), s

    def route(self, queries, threshold: float | None = None) -> np.ndarray:
        q = as_queries(queries)
        s = self.score(q)
        t = self.threshold_ if threshold is None else threshold
        edge, cloud = self.models_
        return np.where((s >= t) & ~q.pii(), cloud, edge).astype(object)

    def simulate(self, outcomes, threshold: float | None = None):
        """RoutingResult with the edge's own token cost (when priced) and the mean M/M/c queue wait added
        to edge latencies; PII queries stay on the edge."""
        from ..evaluate import apply

        d = self.route(outcomes, threshold)
        edge = self.models_[0]
        on_edge = d == edge
        je = outcomes.col(edge)
        if self.edge_cost_per_1k_tokens is not None:
            toks = np.nan_to_num(outcomes.tokens_in[:, je]) + np.nan_to_num(
                outcomes.tokens_out[:, je]
            )
            cost = outcomes.cost.copy()
            cost[:, je] = toks / 1000.0 * float(self.edge_cost_per_1k_tokens)
            outcomes = replace(outcomes, cost=cost)
        wait = self.latency_at(float(on_edge.mean()))["mean_wait"]
        extra_lat = np.where(on_edge, wait, 0.0)
        return apply(outcomes, d, extra_latency=extra_lat, name="edge_cloud")
