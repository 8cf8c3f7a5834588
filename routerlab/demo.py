"""The main job, end to end on the bundled support-desk sample: what ``routerlab demo`` runs.

1. **Live calls**: a few support-desk queries to the local model (SmolLM2 by default) through the call
   cache and the batch runner, prompted exactly as the bundled recording was, graded by each query's
   grader; then the same batch again, served from the cache.
2. **The outcome table**: the bundled recording of the local models plus the cloud tier (scenario
   models, labelled simulated, unless a real cloud recording exists).
3. **Routers compared**: every registered router that applies, 5-fold cross-fitted on a training
   split (70%), with paired bootstrap CIs of APGR / CPT.
4. **A policy chosen**: the cheapest (router, threshold) keeping ``target`` of the strong model's
   quality with per-category floors (contracts at 95% by default), with the PII rule applied
   (queries with personal data stay on the weak model — the edge, or a tier you host yourself).
5. **Exported and checked**: the router refitted on the training split, exported as ``policy.json``
   with its expected operating point measured on the held-out 30% (bootstrap CIs), loaded back and
   used to route a few requests.
6. **A report**: ``report.html``, self-contained (charts inlined), readable in any browser.

Examples
--------
>>> res = run_demo("out")                      # doctest: +SKIP
>>> print(res.summary)                         # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import RouterlabError

#: The default per-category floors: contracts are high stakes.
DEFAULT_FLOORS = {"contract": 0.95}
#: The default quality to keep, relative to the strong model.
DEFAULT_TARGET = 0.95
#: The routers the demo compares (fast to cross-fit; ``random`` and ``oracle`` are always added).
DEMO_ROUTERS = ("category", "knn", "logistic", "semantic", "ensemble")
#: Requests routed by the exported policy at the end of the demo (one carries an e-mail address).
EXAMPLE_REQUESTS = (
    "Reformat the date 2024-03-07 as DD/MM/YYYY.",
    "Under clause 7.2 of the supplier agreement, may the customer terminate early without a fee "
    "if the service level is missed twice in a quarter? Answer yes or no.",
    "Update the delivery address for jane.doe@example.com to 4 Elm Street.",
)


@dataclass
class DemoResult:
    """Everything the demo computed (the CLI prints :attr:`summary`)."""

    out: Path
    report_path: Path
    policy_path: Path
    live: pd.DataFrame
    live_passes: list[dict]
    outcomes: Any
    weak: str
    strong: str
    evaluation: Any
    choice: Any
    held_out: Any
    policy_doc: dict
    decisions: list[dict]
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return summary_text(self)


# ----------------------------------------------------------------------------------- live calls
#: Categories the live calls draw from first (the everyday ones a small local model can answer).
LIVE_ORDER = ("lookup", "reformat", "extract", "classify", "arithmetic", "contract", "code")


def pick_live_queries(workload, n: int = 4) -> list:
    """The shortest query of each of the first ``n`` categories (:data:`LIVE_ORDER` first, then the
    rest alphabetically): quick, varied live calls."""
    by_cat: dict[str, Any] = {}
    for q in workload:
        best = by_cat.get(q.category)
        if best is None or len(q.prompt) < len(best.prompt):
            by_cat[q.category] = q
    order = [c for c in LIVE_ORDER if c in by_cat] + sorted(set(by_cat) - set(LIVE_ORDER))
    return [by_cat[c] for c in order[: max(0, n)]]


def live_calls(model: str, queries: list, *, cache=None, passes: int = 2):
    """Call ``model`` on ``queries`` (as the bundled recording did) ``passes`` times through the cache.

    Returns ``(table, passes)``: one row per query (answer, grade, latency, cached on the first pass)
    and per pass its calls, cache hits and wall time.
    """
    from .cache import CallCache
    from .models import get_backend
    from .record import MAX_TOKENS_CHAT, MAX_TOKENS_COMPLETION, SYSTEM_PROMPT
    from .runner import run_batch
    from .verifiers import to_probability

    backend = get_backend(model)
    cache = cache or CallCache(namespace="demo")
    chat = bool(getattr(backend, "is_chat", True))
    params: dict[str, Any] = {
        "max_tokens": MAX_TOKENS_CHAT if chat else MAX_TOKENS_COMPLETION,
        "temperature": 0.0,
    }
    if chat and backend.kind == "gguf":
        params["logprobs"] = True
    inputs = [q.chat(SYSTEM_PROMPT) if chat else q.prompt for q in queries]
    ids = [q.query_id for q in queries]
    info, first = [], None
    for i in range(passes):
        res = run_batch(
            [backend], inputs, ids=ids, params=params, cache=cache, progress=False, concurrency=1
        )
        if res.n_errors:
            raise RouterlabError(f"live call to {model} failed: {res.errors['error'].iloc[0]}")
        df = res.df.sort_values("item").reset_index(drop=True)
        info.append(
            {
                "pass": i + 1,
                "calls": len(df),
                "cached": int(df["cached"].sum()),
                "seconds": float(res.elapsed_s),
            }
        )
        first = df if first is None else first
    table = pd.DataFrame(
        {
            "query_id": ids,
            "category": [q.category for q in queries],
            "prompt": [q.prompt for q in queries],
            "answer": first["text"].astype(str).tolist(),
            "grade": [float(q.grade(t)) for q, t in zip(queries, first["text"], strict=True)],
            "latency_s": first["latency_s"].astype(float).tolist(),
            "tokens_out": first["tokens_out"].tolist(),
            "confidence": to_probability(first["confidence"].astype(float)).tolist(),
            "cached": first["cached"].astype(bool).tolist(),
        }
    )
    return table, info


# ----------------------------------------------------------------------------------- the pair
def default_pair(outcomes) -> tuple[str, str]:
    """(weak, strong): the best model by mean quality is strong; weak is the cheapest other model
    keeping at least half its quality (a tier worth routing to), else the best other model.

    On the bundled sample that is ``scenario:efficient`` -> ``scenario:frontier``: the local models
    answer too few support-desk questions to be worth routing to (they play the edge in chapter 06).
    """
    q = np.nan_to_num(outcomes.mean_quality(), nan=0.0)
    strong = outcomes.models[int(np.argmax(q))]
    others = [m for m in outcomes.models if m != strong]
    with np.errstate(all="ignore"):
        cost = {m: float(np.nanmean(outcomes.cost[:, outcomes.col(m)])) for m in others}
    good = [m for m in others if q[outcomes.col(m)] >= 0.5 * q.max()]
    if good:
        weak = min(good, key=lambda m: (np.nan_to_num(cost[m], nan=np.inf), -q[outcomes.col(m)]))
    else:
        weak = max(others, key=lambda m: q[outcomes.col(m)])
    return weak, strong


# ----------------------------------------------------------------------------------- the job
def run_demo(
    out: str | os.PathLike = "out",
    *,
    model: str = "gguf:smollm2-135m",
    n_live: int = 4,
    outcomes=None,
    weak: str | None = None,
    strong: str | None = None,
    target: float = DEFAULT_TARGET,
    floors: Mapping[str, float] | None = None,
    folds: int = 5,
    n_boot: int = 1000,
    seed: int = 0,
    test_size: float = 0.3,
    routers=DEMO_ROUTERS,
    echo: Callable[[str], Any] | None = print,
) -> DemoResult:
    """Run the demo and write ``report.html`` and ``policy.json`` into ``out``.

    Parameters
    ----------
    out : folder
    model : str
        The local model for the live calls (``n_live=0`` skips them).
    outcomes : Outcomes, optional
        Default: the bundled support-desk table.
    weak, strong : str, optional
        The routing pair (default :func:`default_pair`: the best edge model and the best model).
    target, floors
        The policy's requirements (see :func:`routerlab.operating.cheapest_meeting`).
    routers : list of registry names
        The candidates (default :data:`DEMO_ROUTERS`).
    """
    from . import policy as pol
    from .evaluate import evaluate_routers
    from .operating import cheapest_meeting
    from .routers import make_router
    from .workloads.bundled import load_support_desk, support_desk_workload

    say = echo or (lambda _s: None)
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    floors = dict(DEFAULT_FLOORS if floors is None else floors)

    t0 = time.perf_counter()
    if n_live > 0:
        queries = pick_live_queries(support_desk_workload(), n_live)
        say(f"[1/5] live calls: {len(queries)} support-desk queries to {model} (twice)")
        live, passes = live_calls(model, queries)
    else:
        live, passes = pd.DataFrame(), []
    timings["live"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    outcomes = load_support_desk() if outcomes is None else outcomes
    dw, ds = default_pair(outcomes)
    weak, strong = weak or dw, strong or ds
    pair = outcomes.select_models([weak, strong])
    train, test = pair.train_test_split(test_size=test_size, seed=seed)
    say(
        f"[2/5] outcome table: {outcomes.n} queries x {len(outcomes.models)} models; routing "
        f"{outcomes.label(weak)} -> {outcomes.label(strong)}"
    )
    say(f"[3/5] routers: {folds}-fold cross-fitting on {train.n} training queries")
    ev = evaluate_routers(
        train,
        strong=strong,
        weak=weak,
        routers=list(routers),
        folds=folds,
        seed=seed,
        n_boot=n_boot,
        strict=False,
    )
    timings["evaluate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    candidates = {k: s for k, s in ev.scores.items() if k != "oracle"}
    pii = train.queries["contains_pii"].to_numpy(dtype=bool)
    choice = cheapest_meeting(
        ev.outcomes, candidates, weak, strong, target=target, floors=floors, force_weak=pii
    )
    say(f"[4/5] policy: {choice.message}")
    router = make_router(choice.router, weak=weak, strong=strong, seed=seed).fit(train)
    doc = pol.export_policy(
        router,
        train,
        rules=[{"type": "pii", "allow": [weak]}],
        calibration=test,
        threshold=choice.threshold,
        name="support-desk-demo",
        description=(
            f"cheapest router keeping {target:.0%} of {strong}'s quality with floors "
            + ", ".join(f"{c} >= {v:.0%}" for c, v in floors.items())
        ),
        n_boot=n_boot,
        seed=seed,
    )
    policy_path = pol.save(doc, out / "policy.json")
    loaded = pol.load(policy_path)
    decisions = [loaded.route(p).to_dict() | {"prompt": p} for p in EXAMPLE_REQUESTS]
    held_out = loaded.expected
    timings["policy"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("[5/5] report: charts and tables")
    res = DemoResult(
        out=out,
        report_path=out / "report.html",
        policy_path=policy_path,
        live=live,
        live_passes=passes,
        outcomes=outcomes,
        weak=weak,
        strong=strong,
        evaluation=ev,
        choice=choice,
        held_out=held_out,
        policy_doc=doc,
        decisions=decisions,
    )
    from .report import write_report

    write_report(build_report(res, test=test), res.report_path)
    timings["report"] = time.perf_counter() - t0
    res.timings = timings
    res.seconds = time.perf_counter() - t_all
    return res


# ----------------------------------------------------------------------------------- text + report
def _pct(est: Mapping) -> str:
    v, (lo, hi) = est.get("value"), est.get("ci", [None, None])
    if v is None:
        return "n/a"
    ci = f" [{lo:.1%}, {hi:.1%}]" if lo is not None and hi is not None else ""
    return f"{v:.1%}{ci}"


def _num(est: Mapping, money: bool = False) -> str:
    v, (lo, hi) = est.get("value"), est.get("ci", [None, None])
    if v is None:
        return "n/a"
    f = (lambda x: f"${x:.4g}") if money else (lambda x: f"{x:.3f}")
    ci = f" [{f(lo)}, {f(hi)}]" if lo is not None and hi is not None else ""
    return f"{f(v)}{ci}"


def summary_text(res: DemoResult) -> str:
    """The short summary the CLI prints."""
    o, ev, ch, exp = res.outcomes, res.evaluation, res.choice, res.held_out
    lines = []
    if res.live_passes:
        p1, p2 = res.live_passes[0], res.live_passes[-1]
        lines.append(
            f"live calls: {p1['calls']} to the local model, {p1['cached']} from the cache "
            f"({p1['seconds']:.1f} s); again: {p2['cached']}/{p2['calls']} cached "
            f"({p2['seconds']:.2f} s); mean grade {res.live['grade'].mean():.2f}"
        )
    sim = [m for m in o.models if m in o.simulated]
    lines.append(
        f"outcomes: {o.n} queries x {len(o.models)} models"
        + (f" ({', '.join(sim)} simulated)" if sim else "")
    )
    t = ev.table
    best = ev.best
    lo, hi = t.loc[best, "apgr_lo"], t.loc[best, "apgr_hi"]
    lines.append(
        f"routers ({ev.folds}-fold cross-fitted, n={ev.n}): best APGR {best} {t.loc[best, 'apgr']:.3f} "
        f"[{lo:.3f}, {hi:.3f}] vs random {t.loc['random', 'apgr']:.3f}"
    )
    lines.append(f"policy: {ch.message}")
    lines.append(
        f"held-out ({exp['n']} queries): escalation {_pct(exp['escalation_share'])}, quality "
        f"{_num(exp['quality'])}, cost/1k {_num(exp['cost_per_1k'], True)}"
    )
    cats = exp.get("by_category", {})
    for c in ch.floors:
        if c in cats:
            lines.append(f"  {c}: quality {_num(cats[c]['quality'])} on held-out")
    lines.append(f"wrote {res.policy_path} and {res.report_path} ({res.seconds:.1f} s)")
    return "\n".join(lines)


def build_report(res: DemoResult, test=None):
    """The demo's :class:`~routerlab.report.Report` (pure: no I/O beyond the chart JavaScript)."""
    from . import charts
    from .report import Report

    o, ev, ch, exp = res.outcomes, res.evaluation, res.choice, res.held_out
    pair = ev.outcomes
    sim = bool(set(o.simulated))
    rep = Report(
        "routerlab demo — support desk",
        f"{o.n} queries, {len(o.models)} models; routing {o.label(res.weak)} → "
        f"{o.label(res.strong)}",
        simulated=sim,
    )
    rep.heading("1 · Cached local calls")
    if len(res.live):
        p1, p2 = res.live_passes[0], res.live_passes[-1]
        rep.text(
            f"{p1['calls']} support-desk queries to the local model, prompted as in the bundled "
            f"recording and graded by each query's grader. First pass: {p1['cached']} of "
            f"{p1['calls']} from the cache in {p1['seconds']:.2f} s; second pass: {p2['cached']} "
            f"of {p2['calls']} from the cache in {p2['seconds']:.2f} s."
        )
        live = res.live.copy()
        live["prompt"] = live["prompt"].str.slice(0, 90)
        live["answer"] = live["answer"].str.slice(0, 90)
        rep.table(live.set_index("query_id"), digits=2)
    else:
        rep.text("Live calls skipped.")
    rep.heading("2 · The outcome table")
    summ = o.summary()
    summ.index = [o.label(m) for m in summ.index]
    summ.index.name = "model"
    summ["cost_per_1k"] = 1000 * summ["cost_usd"] / o.n
    rep.table(summ[["quality", "cost_per_1k", "latency_s", "simulated"]], digits=4)
    rep.chart(charts.cost_quality(o, title="The models on the cost–quality plane"))
    rep.heading("3 · Routers compared")
    rep.text(
        f"Every router scored each of the {ev.n} training queries without having seen it "
        f"({ev.folds}-fold cross-fitting); 95% paired bootstrap intervals over "
        f"{ev.boot.n_boot} resamples. APGR: the share of the quality gap recovered, averaged over "
        "strong-call shares (random ≈ 0.5). CPT(p): the strong-call share needed to recover p of it."
    )
    if ev.skipped:
        rep.text("Skipped: " + "; ".join(f"{k} ({v})" for k, v in ev.skipped.items()))
    rep.table(ev.table[["apgr", "apgr_lo", "apgr_hi", "cpt50", "cpt80", "aiq"]])
    curves = {
        k: charts.curve_frame(c, k, max_points=300).drop(columns="router")
        for k, c in ev.curves.items()
    }
    rep.chart(charts.cost_quality(pair, curves, title="Cross-fitted router curves"))
    rep.heading("4 · The chosen policy")
    rep.text(
        f"Requirement: keep {ch.target:.0%} of {o.label(res.strong)}'s quality on average, with "
        + ", ".join(f"{c} at {v:.0%}" for c, v in ch.floors.items())
        + f"; queries with personal data stay on {o.label(res.weak)} (PII rule). "
        + ch.message
    )
    cand = ch.candidates[["share", "quality", "relative", "cost_per_1k", "feasible"]]
    rep.table(cand.sort_values("cost_per_1k"), caption="best point of each router (training)")
    if test is not None:
        result = policy_result(res.policy_doc, test, res.weak, res.strong)
        rep.chart(
            charts.category_bars(
                result.by_category(),
                floor=ch.floors or None,
                title="Held-out quality per category, relative to the strong model",
            )
        )
        rep.chart(
            charts.model_share(
                [o.label(m) for m in result.model],
                models=[o.label(res.weak), o.label(res.strong)],
                simulated=[o.label(m) for m in o.simulated],
                title="Where the held-out queries go",
            )
        )
    rep.heading("5 · Held-out check (the policy's expected operating point)")
    rows = {
        "escalation share": _pct(exp["escalation_share"]),
        "quality": _num(exp["quality"]),
        "cost per 1k requests": _num(exp["cost_per_1k"], True),
        "queries": exp["n"],
    }
    rep.kv(rows)
    cats = exp.get("by_category", {})
    if cats:
        df = pd.DataFrame(
            {
                c: {
                    "n": v["n"],
                    "quality": v["quality"]["value"],
                    "quality_lo": v["quality"]["ci"][0],
                    "quality_hi": v["quality"]["ci"][1],
                    "escalation": v["escalation_share"]["value"],
                }
                for c, v in cats.items()
            }
        ).T
        df["n"] = df["n"].astype(int)
        df.index.name = "category"
        rep.table(df, caption="per category, held-out, 95% bootstrap CI")
    rep.heading("6 · policy.json")
    rep.text(
        f"Written to `{res.policy_path.name}`. Check it with `routerlab policy check "
        f'{res.policy_path.name}`, route with `routerlab route {res.policy_path.name} "..."`, '
        f"and watch for drift with `routerlab policy eval {res.policy_path.name} OUTCOMES`."
    )
    dec = pd.DataFrame(res.decisions).set_index("prompt")[["model", "reason"]]
    rep.table(dec, caption="the exported policy, loaded back, routing three requests")
    return rep


def policy_result(doc: dict, outcomes, weak: str, strong: str):
    """The :class:`~routerlab.evaluate.RoutingResult` of a policy document on an outcome table
    (rules applied, as production would)."""
    from .evaluate import apply
    from .policy import Policy
    from .routers import Queries

    p = Policy(doc)
    batch = p.route_batch(Queries.from_outcomes(outcomes))
    cols = np.array([p.column_of(m) for m in batch.models], dtype=object)
    return apply(outcomes, cols, weak=weak, strong=strong, name=p.kind)


__all__ = [
    "DEFAULT_FLOORS",
    "DemoResult",
    "build_report",
    "policy_result",
    "run_demo",
    "summary_text",
]
