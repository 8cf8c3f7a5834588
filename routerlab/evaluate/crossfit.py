"""K-fold cross-fitting and the one-call comparison of routers on an outcome table.

Cross-fitting: the table is split into K folds; for each fold a fresh copy of the router is fitted on
the other K - 1 folds and scores only the held-out fold, so every query gets an out-of-fold score from
a router that never saw it. The curves and bootstrap CIs are then computed on those scores.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import RouterlabError
from .bootstrap import CurveBootstrap, bootstrap_curves
from .curves import Curve, curve

#: Routers that are reference points rather than candidates for "best".
BASELINES = ("random", "oracle", "fixed")


def _as_router(router, **params):
    from ..routers import Router, make_router

    if isinstance(router, str):
        return make_router(router, **params)
    if isinstance(router, type) and issubclass(router, Router):
        return router(**params)
    if isinstance(router, Router):
        return router.clone(**params) if params else router.clone()
    raise RouterlabError(f"expected a router, a router class or a registry name, got {router!r}")


def _for_pair(w, strong: str, weak: str, seed: int):
    """A router for the (weak, strong) pair: names get the pair and the seed, instances the pair
    (each only where the router takes that parameter)."""
    from ..routers import REGISTRY, Router

    if isinstance(w, Router):
        names = set(type(w)._param_names())
        return w.clone(**{k: v for k, v in (("strong", strong), ("weak", weak)) if k in names})
    cls = w if isinstance(w, type) else REGISTRY.get(w) if isinstance(w, str) else None
    if cls is None:
        return _as_router(w)  # raises the one-line error for an unknown name
    names = set(cls._param_names())
    params = {"strong": strong, "weak": weak, "seed": seed}
    return _as_router(w, **{k: v for k, v in params.items() if k in names})


def folds_for(outcomes, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K (train, test) index pairs with clear errors for too few queries or folds."""
    if outcomes.n < 2:
        raise RouterlabError(f"cross-fitting needs at least 2 queries, the table has {outcomes.n}")
    return outcomes.kfold(k, seed)


def crossfit(router, outcomes, k: int = 5, seed: int = 0, *, progress: bool = False) -> np.ndarray:
    """Out-of-fold scores: every query scored by a copy of ``router`` fitted without it.

    Parameters
    ----------
    router : Router, Router class, or registry name
        Cloned (unfitted, same parameters) for each fold; the instance passed in is not modified.
    outcomes : Outcomes
    k : int
        Number of folds (2 <= k <= number of queries).
    seed : int
        Seed of the fold assignment.
    progress : bool
        Print one line per fold to stderr.

    Returns
    -------
    array (N,) for binary routers, (N, M) for multi-model routers.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": [f"q{i}" for i in range(20)]}), ["w", "s"],
    ...                          quality=np.tile([0.0, 1.0], (20, 1)))
    >>> crossfit("random", o, k=4).shape
    (20,)
    """
    from ..routers import Queries

    template = _as_router(router)
    folds = folds_for(outcomes, k, seed)
    queries = Queries.from_outcomes(outcomes)
    out = None
    for i, (train, test) in enumerate(folds):
        if progress:
            print(f"  {template.kind}: fold {i + 1}/{len(folds)}", file=sys.stderr, flush=True)
        r = template.clone().fit(outcomes.subset(train))
        s = np.asarray(r.score(queries.subset(test)), dtype=float)
        if out is None:
            out = np.full((outcomes.n, *s.shape[1:]), np.nan)
        if s.shape[0] != len(test):
            raise RouterlabError(
                f"{template.kind} router returned {s.shape[0]} scores for {len(test)} queries"
            )
        out[test] = s
    return out


def binary_score(scores: np.ndarray, models: tuple[str, ...], weak: str, strong: str) -> np.ndarray:
    """A one-column score "send to strong" from a router's output (utilities become strong - weak)."""
    s = np.asarray(scores, dtype=float)
    if s.ndim == 1:
        return s
    if s.ndim == 2 and s.shape[1] == len(models):
        return s[:, models.index(strong)] - s[:, models.index(weak)]
    raise RouterlabError(f"cannot read a strong-vs-weak score from output of shape {s.shape}")


def default_routers() -> list[str]:
    """Every registered router except ``fixed`` (a constant, not a score), random and oracle first."""
    from ..routers import REGISTRY

    names = [n for n in REGISTRY if n != "fixed"]
    return [n for n in ("random", "oracle") if n in names] + [
        n for n in names if n not in ("random", "oracle")
    ]


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


@dataclass(frozen=True, eq=False)
class EvalResults:
    """Cross-fitted comparison of routers: curves, metrics with paired CIs, a table and a JSON dict.

    AIQ is computed on the cost axis in dollars when the table has costs for both models, else on
    the strong-call share (``aiq_cost_axis`` in :meth:`to_dict`).
    """

    n: int
    strong: str
    weak: str
    strong_quality: float
    weak_quality: float
    scores: dict[str, np.ndarray]
    curves: dict[str, Curve]
    boot: CurveBootstrap
    cost_known: bool
    folds: int
    seed: int
    simulated: tuple[str, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)
    name: str = "outcomes"
    outcomes: object = field(default=None, repr=False)
    #: wall-clock seconds each router's cross-fitting took (fits and scoring of all folds)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def routers(self) -> list[str]:
        return list(self.scores)

    @property
    def best(self) -> str:
        """The candidate (not random/oracle/fixed) with the highest APGR; ``random`` if none."""
        cands = [r for r in self.scores if r not in BASELINES]
        cands = [r for r in cands if math.isfinite(self.curves[r].apgr())]
        if not cands:
            return "random" if "random" in self.scores else self.routers[0]
        return max(cands, key=lambda r: self.curves[r].apgr())

    def metrics(self, router: str) -> dict:
        c = self.curves[router]
        b = self.boot
        out = {
            "apgr": c.apgr(),
            "apgr_ci": list(b.ci(router, "apgr")),
            "cpt50": c.cpt(0.5),
            "cpt80": c.cpt(0.8),
            "cpt95": c.cpt(0.95),
            "cpt50_ci": list(b.ci(router, "cpt50")),
            "cpt80_ci": list(b.ci(router, "cpt80")),
            "aiq": c.aiq(),
        }
        if "random" in self.scores and router != "random":
            out["apgr_vs_random_ci"] = b.diff(router, "random", "apgr")["ci"]
        return out

    def result_at(self, router: str, share: float):
        """The :class:`RoutingResult` of ``router`` sending the top ``share`` of queries to strong.

        Use it for the per-category view (``.by_category()``) at an operating point, e.g. CPT(80%).
        Ties in scores are broken by a seeded random order.
        """
        from .curves import descending_order
        from .result import apply

        if router not in self.scores:
            raise RouterlabError(f"unknown router {router!r}; evaluated: {', '.join(self.scores)}")
        if not 0 <= share <= 1:
            raise RouterlabError(f"share must be between 0 and 1, got {share}")
        k = int(round(share * self.n))
        order = descending_order(self.scores[router], ties="random", seed=self.seed)
        to_strong = np.zeros(self.n, dtype=bool)
        to_strong[order[:k]] = True
        names = np.where(to_strong, self.strong, self.weak)
        return apply(self.outcomes, names, weak=self.weak, strong=self.strong, name=router)

    @property
    def table(self):
        """One row per router: APGR with CI, CPT(50/80/95%), AIQ, difference to random."""
        import pandas as pd

        rows = {}
        for r in self.scores:
            m = self.metrics(r)
            rows[r] = {
                "apgr": m["apgr"],
                "apgr_lo": m["apgr_ci"][0],
                "apgr_hi": m["apgr_ci"][1],
                "cpt50": m["cpt50"],
                "cpt80": m["cpt80"],
                "cpt95": m["cpt95"],
                "aiq": m["aiq"],
                "vs_random_lo": m.get("apgr_vs_random_ci", [np.nan, np.nan])[0],
                "vs_random_hi": m.get("apgr_vs_random_ci", [np.nan, np.nan])[1],
            }
        df = pd.DataFrame.from_dict(rows, orient="index")
        df.index.name = "router"
        return df

    def to_dict(self) -> dict:
        """JSON-able summary (NaN becomes null)."""
        d = {
            "n": self.n,
            "strong": self.strong,
            "weak": self.weak,
            "strong_quality": self.strong_quality,
            "weak_quality": self.weak_quality,
            "routers": {r: self.metrics(r) for r in self.scores},
            "best": self.best,
            "folds": self.folds,
            "seed": self.seed,
            "n_boot": self.boot.n_boot,
            "level": self.boot.level,
            "aiq_cost_axis": "usd" if self.cost_known else "strong_share",
            "table": self.name,
            "simulated": list(self.simulated),
            "skipped": dict(self.skipped),
        }
        return _jsonable(d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def __repr__(self) -> str:
        return (
            f"EvalResults(n={self.n}, strong={self.strong!r}, weak={self.weak!r}, "
            f"routers={self.routers}, best={self.best!r})"
        )


def evaluate_routers(
    outcomes,
    strong: str,
    weak: str,
    routers=None,
    folds: int = 5,
    seed: int = 0,
    n_boot: int = 1000,
    *,
    level: float = 0.95,
    progress: bool = False,
    strict: bool | None = None,
) -> EvalResults:
    """Cross-fit every router, then compute curves, APGR/CPT/AIQ and paired bootstrap CIs.

    Parameters
    ----------
    outcomes : Outcomes
    strong, weak : str
        The two models to route between (must be columns of the table).
    routers : list of names or Router objects, or dict label -> name/Router, optional
        Default: every registered router that can be fitted on this table. ``random`` and ``oracle``
        are always added.
    folds, seed : int
        Cross-fitting folds and seed (the seed also fixes the bootstrap resamples).
    n_boot : int
        Bootstrap resamples (the same resamples for every router).
    strict : bool, optional
        Raise when a router cannot be fitted on this table (default: only for routers you named).
    """

    if len(outcomes.models) < 2:
        raise RouterlabError(
            f"routing needs at least two models; the table has {len(outcomes.models)} "
            f"({', '.join(outcomes.models)})"
        )
    outcomes.col(strong)
    outcomes.col(weak)
    if strong == weak:
        raise RouterlabError(f"--strong and --weak are both {strong!r}: pick two different models")
    folds_for(outcomes, folds, seed)  # validate before any work
    pair = outcomes.select_models([weak, strong])
    qw = pair.quality[:, 0]
    qs = pair.quality[:, 1]
    if not (np.isfinite(qw).all() and np.isfinite(qs).all()):
        raise RouterlabError(
            f"quality is missing for some queries of {weak!r} or {strong!r}: "
            "drop those rows or fill them before evaluating"
        )
    named = routers is not None
    strict = named if strict is None else strict
    if isinstance(routers, dict):
        wanted = list(routers.items())
    else:
        items = list(routers) if named else default_routers()
        wanted = [
            (w if isinstance(w, str) else getattr(w, "kind", type(w).__name__), w) for w in items
        ]
    for base in ("oracle", "random"):
        if not any(lab == base or getattr(w, "kind", w) == base for lab, w in wanted):
            wanted.insert(0, (base, base))

    scores: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for label, w in wanted:
        if label in scores:
            label = f"{label}_{len(scores)}"
        t0 = time.perf_counter()
        try:
            proto = _for_pair(w, strong, weak, seed)
            raw = crossfit(proto, pair, folds, seed, progress=progress)
            s = binary_score(raw, pair.models, weak, strong)
            if not np.isfinite(s).all():
                raise RouterlabError(f"{label} left some queries unscored")
            scores[label] = s
            seconds[label] = time.perf_counter() - t0
        except Exception as exc:  # a router that cannot run on this table is reported, not fatal
            if strict or label in ("random", "oracle"):
                raise
            why = str(exc) if isinstance(exc, RouterlabError) else f"{type(exc).__name__}: {exc}"
            skipped[label] = " ".join(why.split())
            if progress:
                print(f"  skipped {label}: {exc}", file=sys.stderr, flush=True)

    cost_known = np.isfinite(pair.cost).all()
    cw, cs = (pair.cost[:, 0], pair.cost[:, 1]) if cost_known else (None, None)
    curves = {k: curve(s, qw, qs, cw, cs) for k, s in scores.items()}
    boot = bootstrap_curves(scores, qw, qs, cw, cs, n_boot=n_boot, seed=seed, level=level)
    return EvalResults(
        n=outcomes.n,
        strong=strong,
        weak=weak,
        strong_quality=float(qs.mean()),
        weak_quality=float(qw.mean()),
        scores=scores,
        curves=curves,
        boot=boot,
        cost_known=bool(cost_known),
        folds=folds,
        seed=seed,
        simulated=tuple(m for m in (weak, strong) if m in outcomes.simulated),
        skipped=skipped,
        name=outcomes.name,
        outcomes=pair,
        seconds=seconds,
    )
