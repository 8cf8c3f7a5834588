"""What a routing decision vector costs and keeps: overall, per category (with stakes), with CIs.

A decision vector ``d[N]`` (the model that answers each query) turns an outcome table into per-query
quality, cost and latency by array indexing (:func:`apply`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import RouterlabError

#: Default floor for the per-category check: quality relative to the reference (strong) model.
DEFAULT_FLOOR = 0.95


def _default_weak(outcomes) -> str:
    """The cheapest model (mean cost) when costs are known, else the one with the lowest mean quality."""
    with np.errstate(all="ignore"):
        cost = np.nanmean(np.where(np.isfinite(outcomes.cost), outcomes.cost, np.nan), axis=0)
    if np.isfinite(cost).all():
        return outcomes.models[int(np.argmin(cost))]
    return outcomes.models[int(np.nanargmin(outcomes.mean_quality()))]


def _default_strong(outcomes) -> str:
    return outcomes.models[int(np.nanargmax(outcomes.mean_quality()))]


def decisions_to_columns(outcomes, decisions) -> np.ndarray:
    """Column indices (N,) from model names or integer columns; a clear error for unknown names."""
    d = np.asarray(decisions)
    if d.shape != (outcomes.n,):
        raise RouterlabError(f"{d.shape[0] if d.ndim else 0} decisions for {outcomes.n} queries")
    if d.dtype.kind in "iu":
        if d.size and (d.min() < 0 or d.max() >= len(outcomes.models)):
            raise RouterlabError(
                f"decision column out of range 0..{len(outcomes.models) - 1}: use model names or valid columns"
            )
        return d.astype(np.int64)
    names = d.astype(str)
    uniq, inv = np.unique(names, return_inverse=True)
    cols = np.array([outcomes.col(m) for m in uniq], dtype=np.int64)
    return cols[inv]


@dataclass(frozen=True, eq=False)
class RoutingResult:
    """Per-query outcome of a routing decision and its summaries.

    Attributes
    ----------
    model : array (N,) of str
        The model that answered each query.
    quality, cost, latency : array (N,)
        Per query (cost in $ including any router overhead; NaN where unknown).
    calls : array (N,)
        Model calls per query (1 for plain routing; more for cascades or retries).
    weak, strong : str
        The cheap model (escalation = anything else) and the reference model for relative quality.
    name : str
        Label (e.g. the router's name).
    simulated : bool
        True when any model involved is a scenario (simulated) column.
    """

    model: np.ndarray
    column: np.ndarray
    quality: np.ndarray
    cost: np.ndarray
    latency: np.ndarray
    calls: np.ndarray
    categories: np.ndarray
    stakes: np.ndarray
    ref_quality: np.ndarray
    models: tuple[str, ...]
    weak: str
    strong: str
    name: str = "router"
    simulated: bool = False
    outcomes: object = field(default=None, repr=False)

    # ------------------------------------------------------------------ summaries
    @property
    def n(self) -> int:
        return len(self.quality)

    @property
    def mean_quality(self) -> float:
        return float(np.nanmean(self.quality))

    @property
    def stakes_quality(self) -> float:
        """Stakes-weighted mean quality (a query with stakes 5 counts five times)."""
        ok = np.isfinite(self.quality)
        return float(np.sum(self.stakes[ok] * self.quality[ok]) / np.sum(self.stakes[ok]))

    @property
    def total_cost(self) -> float:
        ok = np.isfinite(self.cost)
        return float(self.cost[ok].sum()) if ok.any() else float("nan")

    @property
    def cost_per_1k(self) -> float:
        """Dollars per 1,000 requests."""
        ok = np.isfinite(self.cost)
        return float(1000 * self.cost[ok].mean()) if ok.any() else float("nan")

    @property
    def escalation_share(self) -> float:
        """Share of queries not answered by the weak (cheap) model."""
        return float(np.mean(self.model != self.weak))

    def _latency_q(self, q: float) -> float:
        ok = np.isfinite(self.latency)
        return (
            float(np.quantile(self.latency[ok], q, method="inverted_cdf"))
            if ok.any()
            else float("nan")
        )

    @property
    def latency_p50(self) -> float:
        return self._latency_q(0.5)

    @property
    def latency_p95(self) -> float:
        return self._latency_q(0.95)

    def shares(self) -> dict[str, float]:
        """Share of queries per model."""
        return {m: float(np.mean(self.model == m)) for m in self.models}

    def summary(self) -> dict:
        """Headline figures as a JSON-able dict."""
        return {
            "name": self.name,
            "n": self.n,
            "mean_quality": self.mean_quality,
            "stakes_quality": self.stakes_quality,
            "total_cost": self.total_cost,
            "cost_per_1k": self.cost_per_1k,
            "escalation_share": self.escalation_share,
            "latency_p50": self.latency_p50,
            "latency_p95": self.latency_p95,
            "calls_per_query": float(np.mean(self.calls)),
            "shares": self.shares(),
            "weak": self.weak,
            "strong": self.strong,
            "simulated": self.simulated,
        }

    def __repr__(self) -> str:
        sim = " (simulated)" if self.simulated else ""
        return (
            f"RoutingResult({self.name!r}{sim}: n={self.n}, quality={self.mean_quality:.4f}, "
            f"cost/1k=${self.cost_per_1k:.4g}, escalation={self.escalation_share:.1%})"
        )

    def to_frame(self):
        """One row per query."""
        import pandas as pd

        return pd.DataFrame(
            {
                "model": self.model,
                "quality": self.quality,
                "cost": self.cost,
                "latency": self.latency,
                "calls": self.calls,
                "category": self.categories,
                "stakes": self.stakes,
            }
        )

    # ------------------------------------------------------------------ per category
    def by_category(
        self,
        stakes: bool = True,
        floor: float = DEFAULT_FLOOR,
        *,
        ci: bool = False,
        n_boot: int = 1000,
        seed: int = 0,
        level: float = 0.95,
    ):
        """Per category: quality, reference quality, their ratio, cost, escalation share, stakes.

        Columns: ``n``, ``stakes`` (mean stakes weight), ``stakes_share`` (share of all stakes), ``quality``,
        ``ref_quality`` (the strong model on the same queries), ``relative`` (quality / ref_quality),
        ``cost_per_1k``, ``escalation_share``, ``weighted_loss`` (stakes_share x (ref_quality - quality):
        the category's contribution to the stakes-weighted quality loss) and ``below_floor``
        (``relative < floor``). With ``stakes=True`` rows are ordered by ``weighted_loss`` (largest
        first), so a drop in a small, high-stakes category is at the top even when the average looks fine.
        With ``ci=True`` paired bootstrap intervals are added (``quality_lo``/``_hi``,
        ``relative_lo``/``_hi``, ``escalation_lo``/``_hi``): a small category gets a wide interval.
        """
        import pandas as pd

        df = pd.DataFrame(
            {
                "category": self.categories,
                "stakes": self.stakes,
                "quality": self.quality,
                "ref_quality": self.ref_quality,
                "cost": self.cost,
                "escalated": (self.model != self.weak).astype(float),
            }
        )
        g = df.groupby("category", sort=True)
        out = pd.DataFrame(
            {
                "n": g.size(),
                "stakes": g["stakes"].mean(),
                "stakes_share": g["stakes"].sum() / df["stakes"].sum(),
                "quality": g["quality"].mean(),
                "ref_quality": g["ref_quality"].mean(),
                "cost_per_1k": 1000 * g["cost"].mean(),
                "escalation_share": g["escalated"].mean(),
            }
        )
        with np.errstate(all="ignore"):
            out["relative"] = out["quality"] / out["ref_quality"]
        out["weighted_loss"] = out["stakes_share"] * (out["ref_quality"] - out["quality"])
        out["below_floor"] = out["relative"] < floor
        if ci:
            for k, v in _category_cis(self, out.index, n_boot, seed, level).items():
                out[k] = v
        if stakes:
            out = out.sort_values("weighted_loss", ascending=False, kind="stable")
        return out

    def flagged(self, floor: float = DEFAULT_FLOOR) -> list[str]:
        """Categories whose quality relative to the strong model is below ``floor``."""
        t = self.by_category(floor=floor)
        return t.index[t["below_floor"]].tolist()

    # ------------------------------------------------------------------ uncertainty
    def ci(self, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
        """Paired bootstrap CIs of mean quality, stakes quality, cost per 1k, escalation, latency p95.

        The same ``(n_boot, seed)`` resamples the same queries for every result on the same table, so
        CIs of differences can be taken from :func:`compare_results`.
        """
        s = _samples(self, n_boot, seed)
        from .bootstrap import percentile_ci

        return {k: list(percentile_ci(v, level)) for k, v in s.items()}

    # ------------------------------------------------------------------ adjustments
    def with_overhead(self, decision_s: float = 0.0, decision_usd: float = 0.0) -> RoutingResult:
        """The same decisions with the router's own latency and cost added to every query."""
        return replace(
            self,
            cost=self.cost + float(decision_usd),
            latency=self.latency + float(decision_s),
            name=self.name,
        )


def _category_cis(r: RoutingResult, cats, n_boot: int, seed: int, level: float) -> dict:
    """Per-category bootstrap CIs of quality, quality relative to the reference, escalation share."""
    from .bootstrap import _index_chunks, counts_of

    onehot = (r.categories[:, None] == np.asarray(cats, dtype=object)[None, :]).astype(float)
    q = np.nan_to_num(r.quality)
    ref = np.nan_to_num(r.ref_quality)
    esc = (r.model != r.weak).astype(float)
    mats = {
        "n": onehot,
        "q": onehot * q[:, None],
        "ref": onehot * ref[:, None],
        "e": onehot * esc[:, None],
    }
    parts: dict[str, list[np.ndarray]] = {"quality": [], "relative": [], "escalation": []}
    with np.errstate(all="ignore"):
        for idx in _index_chunks(r.n, n_boot, seed):
            w = counts_of(idx, r.n).astype(float)
            s = {k: m.T @ w for k, m in mats.items()}  # (C, b)
            parts["quality"].append(s["q"] / s["n"])
            parts["relative"].append(s["q"] / s["ref"])
            parts["escalation"].append(s["e"] / s["n"])
    a = (1 - level) / 2
    out = {}
    for k, v in parts.items():
        arr = np.concatenate(v, axis=1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: a CI of NaN
            lo, hi = np.nanquantile(np.where(np.isfinite(arr), arr, np.nan), [a, 1 - a], axis=1)
        out[f"{k}_lo"], out[f"{k}_hi"] = lo, hi
    return out


def _samples(r: RoutingResult, n_boot: int, seed: int) -> dict[str, np.ndarray]:
    from .bootstrap import bootstrap_means, bootstrap_quantile

    cols = {
        "mean_quality": r.quality,
        "cost_per_1k": 1000 * r.cost,
        "escalation_share": (r.model != r.weak).astype(float),
        "_sq": r.stakes * r.quality,
        "_s": np.where(np.isfinite(r.quality), r.stakes, np.nan),
    }
    m = bootstrap_means(cols, n_boot, seed)
    with np.errstate(all="ignore"):
        m["stakes_quality"] = m.pop("_sq") / m.pop("_s")
    m["latency_p95"] = bootstrap_quantile(r.latency, 0.95, n_boot, seed)
    return m


def compare_results(
    results: dict[str, RoutingResult],
    baseline: str,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
):
    """Differences (result - baseline) of the headline metrics with paired bootstrap CIs.

    Every result must come from the same table (same queries in the same order).
    """
    import pandas as pd

    from .bootstrap import percentile_ci

    if baseline not in results:
        raise RouterlabError(f"baseline {baseline!r} is not among {sorted(results)}")
    n = results[baseline].n
    if any(r.n != n for r in results.values()):
        raise RouterlabError("all results must cover the same queries")
    samp = {k: _samples(r, n_boot, seed) for k, r in results.items()}
    rows = {}
    for k, r in results.items():
        if k == baseline:
            continue
        row = {}
        b = results[baseline]
        est = {
            "mean_quality": r.mean_quality - b.mean_quality,
            "stakes_quality": r.stakes_quality - b.stakes_quality,
            "cost_per_1k": r.cost_per_1k - b.cost_per_1k,
            "escalation_share": r.escalation_share - b.escalation_share,
            "latency_p95": r.latency_p95 - b.latency_p95,
        }
        for m, e in est.items():
            lo, hi = percentile_ci(samp[k][m] - samp[baseline][m], level)
            row[f"d_{m}"], row[f"d_{m}_lo"], row[f"d_{m}_hi"] = e, lo, hi
        rows[k] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def apply(
    outcomes,
    decisions,
    extra_cost=None,
    extra_latency=None,
    *,
    calls=None,
    weak: str | None = None,
    strong: str | None = None,
    name: str = "router",
) -> RoutingResult:
    """Turn a decision vector into a :class:`RoutingResult` by array indexing.

    Parameters
    ----------
    outcomes : Outcomes
        The table the decisions refer to.
    decisions : array (N,)
        Model names or column indices.
    extra_cost, extra_latency : array (N,) or float, optional
        Added per query (e.g. earlier cascade stages, the router's embedding and decision time).
    calls : array (N,), optional
        Model calls per query (default 1).
    weak, strong : str, optional
        The cheap model (default: cheapest by mean cost, else lowest mean quality) and the reference
        model for relative quality (default: highest mean quality).
    name : str
        A label for tables and charts.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a", "b"]}), ["w", "s"],
    ...     quality=[[1, 1], [0, 1]], cost=[[0.001, 0.01], [0.001, 0.01]])
    >>> r = apply(o, ["w", "s"])
    >>> r.mean_quality, round(r.cost_per_1k, 2), r.escalation_share
    (1.0, 5.5, 0.5)
    """
    if len(outcomes.models) < 1:
        raise RouterlabError("the outcome table has no models")
    cols = decisions_to_columns(outcomes, decisions)
    rows = np.arange(outcomes.n)
    weak = weak or _default_weak(outcomes)
    strong = strong or _default_strong(outcomes)
    outcomes.col(weak)
    ref = outcomes.quality[:, outcomes.col(strong)]

    def add(base, extra):
        if extra is None:
            return base
        return base + np.broadcast_to(np.asarray(extra, dtype=float), base.shape)

    model = np.asarray(outcomes.models, dtype=object)[cols].astype(str)
    used = {outcomes.models[c] for c in np.unique(cols)}
    return RoutingResult(
        model=model,
        column=cols,
        quality=outcomes.quality[rows, cols],
        cost=add(outcomes.cost[rows, cols], extra_cost),
        latency=add(outcomes.latency[rows, cols], extra_latency),
        calls=np.ones(outcomes.n) if calls is None else np.asarray(calls, dtype=float),
        categories=outcomes.categories,
        stakes=outcomes.queries["stakes"].to_numpy(dtype=float),
        ref_quality=ref,
        models=outcomes.models,
        weak=weak,
        strong=strong,
        name=name,
        simulated=bool(used & set(outcomes.simulated)),
        outcomes=outcomes,
    )


def apply_threshold(
    outcomes, score, threshold: float, strong: str, weak: str, **kw
) -> RoutingResult:
    """Binary routing: ``score >= threshold`` goes to ``strong``, the rest to ``weak``."""
    s = np.asarray(score, dtype=float)
    names = np.where(s >= threshold, strong, weak)
    return apply(outcomes, names, weak=weak, strong=strong, **kw)
