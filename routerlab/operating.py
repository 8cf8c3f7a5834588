"""Choosing an operating point: the cheapest threshold that meets a quality target and category floors.

A binary router's score sends the top share of queries to the strong model. :func:`sweep` lists every
share a threshold can reach (whole blocks of tied scores) with its mean quality, quality relative to the
strong model, cost, and the relative quality of every category. :func:`cheapest_meeting` picks, for one
or several routers, the cheapest point whose average relative quality reaches ``target`` and whose
categories clear their ``floors`` — the rule that catches the hidden regression of chapter 07 (an
average that holds while a small, high-stakes category drops).

Relative quality is quality divided by the strong model's quality on the same queries (per category:
the category's routed mean over the strong model's mean there), as in
:meth:`routerlab.evaluate.RoutingResult.by_category`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from routerlab.outcomes import Outcomes
>>> q = pd.DataFrame({"prompt": list("abcd"), "category": ["x", "x", "y", "y"]})
>>> o = Outcomes.from_arrays(q, ["w", "s"], quality=[[1, 1], [0, 1], [1, 1], [0, 1]],
...                          cost=[[0.0, 1.0]] * 4)
>>> pick = cheapest_meeting(o, {"r": [0.1, 0.9, 0.2, 0.3]}, weak="w", strong="s", target=0.7)
>>> pick.router, pick.share, pick.feasible
('r', 0.25, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import RouterlabError


def _block_ends(s_sorted: np.ndarray) -> np.ndarray:
    """Shares (as counts k) reachable by a threshold on descending sorted scores: 0, ends of tie blocks."""
    n = len(s_sorted)
    ends = np.flatnonzero(s_sorted[1:] != s_sorted[:-1]) + 1
    return np.concatenate(([0], ends, [n])) if n else np.array([0])


def _thresholds(s_sorted: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """A threshold (``score >= t`` goes to strong) that sends exactly the top ``k`` for each k."""
    n = len(s_sorted)
    t = np.empty(len(ks))
    for i, k in enumerate(ks):
        if k <= 0:
            t[i] = float(np.nextafter(s_sorted[0], np.inf)) if n else np.inf
        elif k >= n:
            t[i] = float(s_sorted[-1])
        else:
            t[i] = float((s_sorted[k - 1] + s_sorted[k]) / 2)
    return t


def sweep(outcomes, score, weak: str, strong: str) -> pd.DataFrame:
    """Every operating point a threshold on ``score`` can reach, with per-category relative quality.

    Parameters
    ----------
    outcomes : Outcomes
        The table the scores refer to (held-out or out-of-fold scores give honest numbers).
    score : array (N,)
        Higher = send to ``strong``.
    weak, strong : str
        Model columns.

    Returns
    -------
    DataFrame
        One row per reachable point, ordered by share: ``k`` (queries sent to strong), ``share``,
        ``threshold``, ``quality``, ``relative`` (quality / strong quality), ``cost_per_1k`` ($ per 1,000
        queries; the share when costs are unknown), and ``rel:<category>`` per category.
    """
    s = np.asarray(score, dtype=float)
    n = outcomes.n
    if s.shape != (n,):
        raise RouterlabError(f"{s.shape[0] if s.ndim else 0} scores for {n} queries")
    if not np.isfinite(s).all():
        raise RouterlabError("scores must be finite: the router must score every query")
    iw, is_ = outcomes.col(weak), outcomes.col(strong)
    qw = np.nan_to_num(outcomes.quality[:, iw])
    qs = np.nan_to_num(outcomes.quality[:, is_])
    cw, cs = outcomes.cost[:, iw], outcomes.cost[:, is_]
    known = bool(np.isfinite(cw).all() and np.isfinite(cs).all())
    if not known:
        cw, cs = np.zeros(n), np.ones(n) / 1000.0
    order = np.argsort(-s, kind="stable")
    ks = _block_ends(s[order])
    cum = lambda v: np.concatenate(([0.0], np.cumsum(v[order])))[ks]  # noqa: E731
    quality = (qw.sum() + cum(qs - qw)) / n
    cost = (cw.sum() + cum(cs - cw)) / n
    strong_mean = qs.mean()
    df = pd.DataFrame(
        {
            "k": ks,
            "share": ks / n,
            "threshold": _thresholds(s[order], ks),
            "quality": quality,
            "relative": quality / strong_mean if strong_mean > 0 else np.nan,
            "cost_per_1k": 1000 * cost,
        }
    )
    cats = outcomes.categories
    for c in sorted(set(cats)):
        m = (cats == c).astype(float)
        ref = (qs * m).sum()
        routed = ((qw * m).sum() + cum((qs - qw) * m)) / ref if ref > 0 else np.nan
        df[f"rel:{c}"] = routed
    return df


@dataclass(frozen=True)
class OperatingChoice:
    """The chosen operating point (see :func:`cheapest_meeting`)."""

    router: str
    threshold: float
    share: float
    quality: float
    relative: float
    cost_per_1k: float
    feasible: bool
    target: float
    floors: dict = field(default_factory=dict)
    by_category: dict = field(default_factory=dict)
    candidates: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def message(self) -> str:
        fl = ", ".join(f"{c} >= {v:.0%}" for c, v in self.floors.items()) or "none"
        head = "" if self.feasible else "NO router meets the target; closest: "
        return (
            f"{head}{self.router} at threshold {self.threshold:.4g}: {self.share:.1%} to the strong "
            f"model, quality {self.quality:.3f} ({self.relative:.1%} of strong; target "
            f"{self.target:.0%}, floors {fl}), ${self.cost_per_1k:.4g} per 1k queries"
        )

    def to_dict(self) -> dict:
        return {
            "router": self.router,
            "threshold": float(self.threshold),
            "share": float(self.share),
            "quality": float(self.quality),
            "relative": float(self.relative),
            "cost_per_1k": float(self.cost_per_1k),
            "feasible": bool(self.feasible),
            "target": float(self.target),
            "floors": {k: float(v) for k, v in self.floors.items()},
            "by_category": {k: float(v) for k, v in self.by_category.items()},
        }


def cheapest_meeting(
    outcomes,
    scores: Mapping[str, np.ndarray] | np.ndarray,
    weak: str,
    strong: str,
    *,
    target: float = 0.95,
    floors: Mapping[str, float] | None = None,
    force_weak=None,
) -> OperatingChoice:
    """The cheapest (router, threshold) whose relative quality reaches ``target`` and every floor.

    Parameters
    ----------
    outcomes : Outcomes
    scores : dict name -> array (N,), or one array
        Router scores on ``outcomes`` (out-of-fold scores from :func:`routerlab.evaluate.crossfit`).
    weak, strong : str
    target : float
        Minimum mean quality relative to the strong model (0.95 = keep 95% of its quality).
    floors : dict category -> float, optional
        Minimum relative quality per category (e.g. ``{"contract": 0.95}``).
    force_weak : array (N,) of bool, optional
        Queries a rule keeps on the weak model whatever the score (e.g. PII on the edge).

    Returns
    -------
    OperatingChoice
        ``feasible`` is False when no point meets everything; the point closest to it (highest share
        of the worst shortfall met) is returned so the caller can say what is achievable.
        ``candidates`` holds the best point of each router.
    """
    if not isinstance(scores, Mapping):
        scores = {"router": scores}
    if not scores:
        raise RouterlabError("give at least one router's scores")
    floors = dict(floors or {})
    known = set(outcomes.categories)
    bad = sorted(set(floors) - known)
    if bad:
        raise RouterlabError(f"floors name unknown categories {bad}; known: {sorted(known)}")
    rows = []
    forced = None if force_weak is None else np.asarray(force_weak, dtype=bool)
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        if forced is not None:
            s = np.where(forced, np.min(s) - 1.0, s)  # below every threshold that escalates
        sw = sweep(outcomes, s, weak, strong)
        if forced is not None:  # the rule never escalates forced queries
            sw = sw[sw["k"] <= outcomes.n - int(forced.sum())].reset_index(drop=True)
        short = np.maximum(0.0, target - sw["relative"].to_numpy())
        for c, f in floors.items():
            short = np.maximum(short, f - np.nan_to_num(sw[f"rel:{c}"].to_numpy(), nan=1.0))
        ok = short <= 1e-12
        if ok.any():
            i = int(np.flatnonzero(ok)[np.argmin(sw["cost_per_1k"].to_numpy()[ok])])
        else:
            i = int(np.argmin(short))
        row = sw.iloc[i].to_dict()
        row.update(router=name, feasible=bool(ok.any()), shortfall=float(short[i]))
        rows.append(row)
    cand = pd.DataFrame(rows).set_index("router")
    feas = cand[cand["feasible"]]
    best = (
        feas["cost_per_1k"].idxmin()
        if len(feas)
        else cand.sort_values(["shortfall", "cost_per_1k"]).index[0]
    )
    r = cand.loc[best]
    by_cat = {c[4:]: float(r[c]) for c in cand.columns if c.startswith("rel:")}
    return OperatingChoice(
        router=str(best),
        threshold=float(r["threshold"]),
        share=float(r["share"]),
        quality=float(r["quality"]),
        relative=float(r["relative"]),
        cost_per_1k=float(r["cost_per_1k"]),
        feasible=bool(r["feasible"]),
        target=float(target),
        floors=floors,
        by_category=by_cat,
        candidates=cand.drop(columns=["k"]),
    )


def choices_table(choices: Mapping[str, OperatingChoice]) -> pd.DataFrame:
    """One row per named choice: router, share, relative quality, cost per 1k, feasible, and the
    relative quality of every floored category."""
    rows = {}
    floored = sorted(set().union(*(ch.floors for ch in choices.values())))
    for name, c in choices.items():
        row = {
            "router": c.router,
            "share": c.share,
            "relative": c.relative,
            "cost_per_1k": c.cost_per_1k,
            "feasible": c.feasible,
        }
        for cat in floored:
            row[f"rel:{cat}"] = c.by_category.get(cat, np.nan)
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


__all__ = ["OperatingChoice", "cheapest_meeting", "choices_table", "sweep"]
