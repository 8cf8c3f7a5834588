"""Paired bootstrap confidence intervals for every metric and for differences between routers.

Pairing: every function here draws its resamples from ``numpy.random.default_rng(seed)`` in the same
way (chunks of an index matrix of shape ``(B, N)``), so the same ``(n, n_boot, seed)`` gives the same
resampled queries to every router and every metric, and a difference between two routers is computed
resample by resample.

The curve metrics (APGR, CPT) of all B resamples are computed at once. With the query order fixed by
the score, a resample is a vector of multiplicities ``w`` over the sorted queries; copies of one query
tie with each other, so with fair tie handling the resampled curve is piecewise linear between the
boundaries of the blocks of equal scores. Per resample ``b`` and block ``j`` (``n_j`` resampled queries,
gain ``g_j = sum w (q_S - q_W)``, cumulative gain ``G_j``) the area under the cumulative gain is
``sum_j n_j (G_j - g_j / 2)`` and ``APGR_b = area / (N * G_last)`` — one gather, one cumulative sum and
one reduction over a ``(B, N)`` matrix, no loop over resamples or thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import RouterlabError
from .curves import _vec, block_starts, check_score, curve, descending_order

#: Elements of an index chunk (queries x resamples): small chunks stay in cache (about 3x faster
#: than one big matrix at N = 14,000); resamples are processed chunk by chunk.
MAX_CHUNK = 250_000

DEFAULT_PS = (0.5, 0.8, 0.95)


def _index_chunks(n: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Chunks (n, b) of resample indices: column ``j`` is one resample (the layout the kernels use)."""
    if n < 1:
        raise RouterlabError("cannot bootstrap an empty table")
    if n_boot < 1:
        raise RouterlabError(f"n_boot must be at least 1, got {n_boot}")
    rng = np.random.default_rng(seed)
    cols = max(1, min(n_boot, MAX_CHUNK // n))
    done = 0
    while done < n_boot:
        b = min(cols, n_boot - done)
        yield rng.integers(0, n, size=(n, b))
        done += b


def resample_indices(n: int, n_boot: int = 1000, seed: int = 0) -> Iterator[np.ndarray]:
    """Yield chunks (b, n) of resample indices, one row per resample.

    The same arguments always give the same resamples, and every bootstrap in this module uses
    them: that is what makes the intervals paired.
    """
    for chunk in _index_chunks(n, n_boot, seed):
        yield chunk.T


def counts_of(idx: np.ndarray, n: int) -> np.ndarray:
    """Multiplicities (n, b) of each query in each resample column of an ``(n, b)`` index chunk."""
    b = idx.shape[1]
    flat = (idx * b + np.arange(b)).ravel()
    return np.bincount(flat, minlength=n * b).reshape(n, b)


def percentile_ci(samples, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap samples (NaN samples ignored; NaN when none is finite)."""
    s = np.asarray(samples, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return (float("nan"), float("nan"))
    a = (1 - level) / 2
    lo, hi = np.quantile(s, [a, 1 - a])
    return (float(lo), float(hi))


@dataclass(frozen=True, eq=False)
class Bootstrap:
    """A point estimate with its bootstrap samples and percentile interval."""

    estimate: float
    samples: np.ndarray
    level: float = 0.95

    @property
    def ci(self) -> tuple[float, float]:
        return percentile_ci(self.samples, self.level)

    def __repr__(self) -> str:
        lo, hi = self.ci
        return f"{self.estimate:.4f} [{lo:.4f}, {hi:.4f}]"


def bootstrap(
    metric_fn: Callable[..., float],
    *arrays,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Bootstrap:
    """Generic paired bootstrap of ``metric_fn(*arrays)`` (rows of every array resampled together).

    This calls ``metric_fn`` once per resample; the curve and mean metrics have vectorized versions
    (:func:`bootstrap_curves`, :func:`bootstrap_means`).

    Examples
    --------
    >>> import numpy as np
    >>> b = bootstrap(np.mean, np.arange(10.0), n_boot=200)
    >>> b.estimate
    4.5
    """
    arrs = [np.asarray(a) for a in arrays]
    if not arrs:
        raise RouterlabError("bootstrap needs at least one array")
    n = len(arrs[0])
    if any(len(a) != n for a in arrs):
        raise RouterlabError("all arrays must have one row per query")
    est = float(metric_fn(*arrs))
    out = []
    for chunk in resample_indices(n, n_boot, seed):
        for idx in chunk:
            out.append(float(metric_fn(*[a[idx] for a in arrs])))
    return Bootstrap(est, np.asarray(out), level)


def bootstrap_means(
    columns: Mapping[str, np.ndarray], n_boot: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """Resampled means (B,) of each column (NaN entries count as missing), all on the same resamples."""
    cols = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    n = len(next(iter(cols.values())))
    out: dict[str, list[np.ndarray]] = {k: [] for k in cols}
    for idx in _index_chunks(n, n_boot, seed):
        w = counts_of(idx, n).astype(float)
        for k, v in cols.items():
            ok = np.isfinite(v)
            num = np.where(ok, v, 0.0) @ w
            den = ok.astype(float) @ w
            with np.errstate(invalid="ignore", divide="ignore"):
                out[k].append(num / den)
    return {k: np.concatenate(v) for k, v in out.items()}


def bootstrap_quantile(values, q: float, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """Resampled ``q``-quantile (B,) of ``values`` (lower quantile of the resampled multiset)."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    ok = np.isfinite(v)
    order = np.argsort(np.where(ok, v, np.inf), kind="stable")
    vs = v[order]
    ok_sorted = ok[order]
    out = []
    for idx in _index_chunks(n, n_boot, seed):
        w = counts_of(idx, n)[order] * ok_sorted[:, None]
        cum = np.cumsum(w, axis=0)
        tot = cum[-1]
        target = np.maximum(np.ceil(q * tot), 1)
        pos = np.argmax(cum >= target, axis=0)
        res = vs[pos]
        res[tot == 0] = np.nan
        out.append(res)
    return np.concatenate(out)


# ---------------------------------------------------------------------- curve metrics


def _curve_chunk(w, starts, gain, ps, n, need_blocks=False):
    """APGR and CPT(p) for a chunk of resamples given multiplicities ``w`` (n, b) in score order.

    Returns the metrics and, when needed, the block counts and cumulative gains (each (J, b)).
    """
    if starts is None and not ps and not need_blocks:
        # Fast path: area = sum_i w_i g_i (n - C_i + w_i / 2), C the inclusive cumulative count
        # (exact in float32), so only one cumulative sum and two matrix-vector products are needed.
        g32 = gain.astype(np.float32)
        gn = (g32 @ w).astype(float)
        c = np.cumsum(w, axis=0, dtype=np.float32)
        c -= 0.5 * w
        c *= w
        area = n * gn - (g32 @ c).astype(float)
        gn[gn == 0] = np.nan
        return {"apgr": area / (n * gn)}, None
    wf = w.astype(float)
    gw = wf * gain[:, None]
    if starts is not None:
        nj = np.add.reduceat(wf, starts, axis=0)
        gj = np.add.reduceat(gw, starts, axis=0)
    else:
        nj, gj = wf, gw
    gc = np.cumsum(gj, axis=0)
    gn = gc[-1].copy()
    bad = gn == 0
    gn[bad] = np.nan
    half = gc - 0.5 * gj
    half *= nj
    area = half.sum(axis=0)
    res = {"apgr": area / (n * gn)}
    if ps:
        nc = np.cumsum(nj, axis=0)
        cols = np.arange(w.shape[1])
        gn0 = np.nan_to_num(gn)
        sign = np.sign(gn0)
        sg = gc * sign  # PGR_j >= p  <=>  sign(gn) gc_j >= sign(gn) p gn
        for p in ps:
            if p <= 1e-9:
                res[_cpt_name(p)] = np.where(bad, np.nan, 0.0)
                continue
            hit = sg >= sign * ((p - 1e-9) * gn0)
            j = np.argmax(hit, axis=0)
            found = hit[j, cols]
            g_prev = np.where(j > 0, gc[j - 1, cols], 0.0)
            n_prev = np.where(j > 0, nc[j - 1, cols], 0.0)
            step = gc[j, cols] - g_prev
            frac = np.divide(p * gn0 - g_prev, step, out=np.zeros(len(cols)), where=step != 0)
            k = np.ceil(n_prev + np.clip(frac, 0, 1) * nj[j, cols] - 1e-7)
            out = k / n
            out[~found | bad] = np.nan
            res[_cpt_name(p)] = out
    return res, (nj, gc)


def _cpt_name(p: float) -> str:
    return f"cpt{round(100 * p):d}"


@dataclass(frozen=True, eq=False)
class CurveBootstrap:
    """Point estimates and paired bootstrap samples of curve metrics for several routers.

    ``estimates[router][metric]`` is a float, ``samples[router][metric]`` a (B,) array, metrics
    ``apgr``, ``cpt50``, ``cpt80``, ``cpt95`` (and ``aiq`` when requested).
    """

    estimates: dict[str, dict[str, float]]
    samples: dict[str, dict[str, np.ndarray]]
    n: int
    n_boot: int
    seed: int
    level: float = 0.95
    metrics: tuple[str, ...] = field(default=())

    def ci(self, router: str, metric: str = "apgr") -> tuple[float, float]:
        return percentile_ci(self.samples[router][metric], self.level)

    def diff(self, a: str, b: str, metric: str = "apgr") -> dict:
        """``a - b`` on the same resamples: estimate, CI, and the share of resamples where it is <= 0."""
        d = self.samples[a][metric] - self.samples[b][metric]
        ok = np.isfinite(d)
        lo, hi = percentile_ci(d, self.level)
        return {
            "estimate": self.estimates[a][metric] - self.estimates[b][metric],
            "ci": [lo, hi],
            "p_not_better": float(np.mean(d[ok] <= 0)) if ok.any() else float("nan"),
        }

    def table(self, baseline: str | None = None):
        """One row per router: each metric with its CI (and the difference to ``baseline``)."""
        import pandas as pd

        rows = {}
        for r in self.estimates:
            row = {}
            for m in self.metrics:
                lo, hi = self.ci(r, m)
                row[m] = self.estimates[r][m]
                row[f"{m}_lo"] = lo
                row[f"{m}_hi"] = hi
            if baseline is not None and r != baseline:
                d = self.diff(r, baseline, "apgr")
                row[f"apgr_vs_{baseline}"] = d["estimate"]
                row[f"apgr_vs_{baseline}_lo"], row[f"apgr_vs_{baseline}_hi"] = d["ci"]
            rows[r] = row
        return pd.DataFrame.from_dict(rows, orient="index")


def bootstrap_curves(
    scores: Mapping[str, np.ndarray],
    q_weak,
    q_strong,
    c_weak=None,
    c_strong=None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    ps=DEFAULT_PS,
    aiq: bool = False,
    level: float = 0.95,
) -> CurveBootstrap:
    """Paired bootstrap of APGR and CPT(p) (and optionally AIQ) for several router scores at once.

    Parameters
    ----------
    scores : dict name -> array (N,)
        One score per query for each router (e.g. out-of-fold scores from :func:`crossfit`).
    q_weak, q_strong, c_weak, c_strong
        As in :func:`routerlab.evaluate.curve`.
    n_boot, seed
        Number of resamples and their seed (the same resamples for every router).
    ps : tuple of float
        CPT levels, as fractions.
    aiq : bool
        Also bootstrap AIQ (one convex hull per resample: slower, about a millisecond per resample
        and router at N = 10,000).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> qs, qw = rng.random(500) < .8, rng.random(500) < .6
    >>> b = bootstrap_curves({"r": rng.random(500), "o": qs * 1. - qw}, qw, qs, n_boot=100)
    >>> b.estimates["o"]["apgr"] > b.estimates["r"]["apgr"]
    True
    """
    if not scores:
        raise RouterlabError("no router scores to bootstrap")
    first = next(iter(scores.values()))
    n = len(np.asarray(first))
    qw = _vec(q_weak, n, "q_weak")
    qs = _vec(q_strong, n, "q_strong")
    gain = qs - qw
    cost_known = c_weak is not None or c_strong is not None
    if cost_known:
        cw = _vec(c_weak, n, "c_weak", default=0.0)
        cs = _vec(c_strong, n, "c_strong", default=0.0)
    else:
        cw, cs = np.zeros(n), np.ones(n)
    ps = tuple(float(p) for p in ps)
    metrics = ("apgr", *(_cpt_name(p) for p in ps), *(("aiq",) if aiq else ()))

    prepared = {}
    estimates: dict[str, dict[str, float]] = {}
    for name, sc in scores.items():
        s = check_score(sc, n)
        order = descending_order(s)
        s_sorted = s[order]
        starts = None
        if n > 1 and np.any(s_sorted[1:] == s_sorted[:-1]):
            starts = block_starts(s_sorted)
        prepared[name] = (order, starts, gain[order], (cs - cw)[order])
        c = curve(s, qw, qs, cw if cost_known else None, cs if cost_known else None)
        est = {"apgr": c.apgr(), **{_cpt_name(p): c.cpt(p) for p in ps}}
        if aiq:
            est["aiq"] = c.aiq()
        estimates[name] = est

    parts: dict[str, dict[str, list[np.ndarray]]] = {
        name: {m: [] for m in metrics} for name in scores
    }
    for idx in _index_chunks(n, n_boot, seed):
        w0 = counts_of(idx, n).astype(np.float32)
        base_q = base_c = None
        if aiq:
            base_q, base_c = qw @ w0.astype(float), cw @ w0.astype(float)
        for name, (order, starts, g_sorted, dc_sorted) in prepared.items():
            w = np.take(w0, order, axis=0)
            res, blocks = _curve_chunk(w, starts, g_sorted, ps, n, need_blocks=aiq)
            for m, v in res.items():
                parts[name][m].append(v)
            if aiq:
                nj, gc = blocks
                dw = w.astype(float) * dc_sorted[:, None]
                dcj = np.add.reduceat(dw, starts, axis=0) if starts is not None else dw
                cc = np.cumsum(dcj, axis=0)
                vals = np.empty(w.shape[1])
                for b in range(w.shape[1]):
                    qual = (base_q[b] + np.concatenate(([0.0], gc[:, b]))) / n
                    cost = (base_c[b] + np.concatenate(([0.0], cc[:, b]))) / n
                    vals[b] = _aiq_endpoints(cost, qual)
                parts[name]["aiq"].append(vals)
    samples = {name: {m: np.concatenate(v) for m, v in ms.items()} for name, ms in parts.items()}
    return CurveBootstrap(estimates, samples, n, n_boot, seed, level, metrics)


def compare(
    scores: Mapping[str, np.ndarray],
    q_weak,
    q_strong,
    c_weak=None,
    c_strong=None,
    *,
    baseline: str | None = "random",
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
):
    """Table of APGR / CPT with paired CIs per router and the APGR difference to ``baseline``.

    A shortcut for ``bootstrap_curves(...).table(baseline)``; ``baseline`` is ignored when absent.
    """
    b = bootstrap_curves(
        scores, q_weak, q_strong, c_weak, c_strong, n_boot=n_boot, seed=seed, level=level
    )
    return b.table(baseline if baseline in scores else None)


def _aiq_endpoints(cost: np.ndarray, quality: np.ndarray) -> float:
    """AIQ of a binary curve over the range between its all-weak and all-strong costs."""
    from .curves import aiq

    lo, hi = sorted((float(cost[0]), float(cost[-1])))
    return aiq(cost, quality, (lo, hi))


__all__ = [
    "Bootstrap",
    "CurveBootstrap",
    "bootstrap",
    "bootstrap_curves",
    "bootstrap_means",
    "bootstrap_quantile",
    "compare",
    "counts_of",
    "percentile_ci",
    "resample_indices",
]
