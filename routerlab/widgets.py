"""Interactive views for notebooks: ipywidgets + Altair, thin layers over Python state.

Every widget here is an ``ipywidgets.VBox`` that you display as the last expression of a cell. Its
state lives in traitlets on the widget itself, so a test (or your own code) drives it from Python
exactly as a reader does with the mouse::

    w = ThresholdExplorer(outcomes, scores)
    w.threshold = 0.3            # the slider and the chart's operating point follow
    w.escalation_share           # -> the share of queries sent to the strong model

The numbers come from :mod:`routerlab.evaluate`; the pictures from :mod:`routerlab.charts`. Charts are
shown through ``alt.JupyterChart`` so Vega-Lite parameters (the operating point) move in the browser
without re-sending data. Each widget calls :func:`routerlab.charts_export.enable_offline` on creation
(charts render without a CDN; the JavaScript bundle is cached on disk after the first time).

Widgets
-------
ThresholdExplorer     slider <-> operating point on the cost–quality curve, per-category bars, shares
RouterComparison      toggle routers; curves with bootstrap CI bands; APGR / CPT table with CIs
CascadeExplorer       one slider per cascade stage: cost, quality and calls per query
EdgeCloudExplorer     privacy rule, latency budget, edge capacity -> p95 latency, cost, quality
CalibrationExplorer   target strong-call share -> realised share on held-out data, with CI
QueryInspector        pick a query (list or chart) -> its prompt, every model's answer and grade
PolicyExportButton    writes the policy JSON through a function you pass in
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import ipywidgets as W
import numpy as np
import pandas as pd
import traitlets

from . import charts
from . import evaluate as ev
from .charts_export import EMBED_OPTIONS, enable_offline
from .errors import RouterlabError

__all__ = [
    "CalibrationExplorer",
    "CascadeExplorer",
    "EdgeCloudExplorer",
    "PolicyExportButton",
    "QueryInspector",
    "RouterComparison",
    "ThresholdExplorer",
    "curve_band",
    "enable_offline",
]


# ----------------------------------------------------------------------------- helpers
def _jchart(chart) -> alt.JupyterChart:
    enable_offline()
    return alt.JupyterChart(chart, embed_options=dict(EMBED_OPTIONS))


def _pair(outcomes, weak: str | None, strong: str | None) -> tuple[str, str]:
    """(weak, strong): defaults are the cheapest model and the best one by mean quality."""
    q = np.nan_to_num(outcomes.mean_quality(), nan=-1.0)
    if strong is None:
        cand = [m for m in outcomes.models if m != weak]
        strong = max(cand, key=lambda m: q[outcomes.col(m)])
    if weak is None:
        others = [m for m in outcomes.models if m != strong]
        with np.errstate(all="ignore"):
            cost = [np.nanmean(outcomes.cost[:, outcomes.col(m)]) for m in others]
        if np.isfinite(cost).all():
            weak = others[int(np.argmin(cost))]
        else:
            weak = min(others, key=lambda m: q[outcomes.col(m)])
    outcomes.col(weak), outcomes.col(strong)
    if weak == strong:
        raise RouterlabError(f"weak and strong are both {weak!r}: pick two different models")
    return weak, strong


def _cols(outcomes, weak: str, strong: str):
    w, s = outcomes.col(weak), outcomes.col(strong)
    cw, cs = outcomes.cost[:, w], outcomes.cost[:, s]
    known = np.isfinite(cw).all() and np.isfinite(cs).all()
    return (
        outcomes.quality[:, w],
        outcomes.quality[:, s],
        (cw if known else None),
        (cs if known else None),
    )


def _scores(scores, n: int) -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    if s.shape != (n,):
        raise RouterlabError(
            f"scores have shape {s.shape}, expected ({n},): one binary router score per query "
            "(router.score(outcomes) or evaluate.crossfit(...))"
        )
    return s


def _fmt_money(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"${x:,.4g}"


def _ci(lo_hi) -> str:
    lo, hi = lo_hi
    return f"[{lo:.1%}, {hi:.1%}]" if np.isfinite(lo) else ""


def curve_band(
    score,
    q_weak,
    q_strong,
    c_weak=None,
    c_strong=None,
    *,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
    grid: int = 41,
) -> pd.DataFrame:
    """A bootstrap confidence band of a router's curve (quality at each strong-call share).

    Queries are resampled with the paired resamples of :func:`routerlab.evaluate.resample_indices`;
    on each resample the curve is read at ``grid`` evenly spaced shares. The band is drawn at the
    cost of the full-data curve at that share (ties are broken by order here: a band, not a metric).

    Returns
    -------
    DataFrame
        Columns ``share``, ``quality`` (full-data), ``lo``, ``hi``, ``cost`` ($ per query, or the
        share when costs are unknown): pass it to ``charts.cost_quality(bands={name: band})``.
    """
    s = np.asarray(score, dtype=float)
    n = len(s)
    full = ev.curve(s, q_weak, q_strong, c_weak, c_strong)
    qw, qs = np.asarray(q_weak, float), np.asarray(q_strong, float)
    order = np.argsort(-s, kind="stable")
    gain = (qs - qw)[order]
    shares = np.linspace(0, 1, grid)
    rank = _rank(order, n)
    samples = []
    for chunk in ev.resample_indices(n, n_boot, seed):
        for idx in chunk:
            w = np.bincount(rank[idx], minlength=n)
            cw = np.concatenate(([0.0], np.cumsum(w) / n))
            cg = np.concatenate(([0.0], np.cumsum(w * gain) / n))
            base = float(np.sum(w * qw[order]) / n)
            samples.append(base + np.interp(shares, cw, cg))
    arr = np.vstack(samples)
    a = (1 - level) / 2
    lo, hi = np.nanquantile(arr, [a, 1 - a], axis=0)
    k = np.clip(np.round(shares * n).astype(int), 0, n)
    cost = full.cost[k] if full.cost_known else shares
    return pd.DataFrame(
        {"share": shares, "quality": full.quality[k], "lo": lo, "hi": hi, "cost": cost}
    )


def _rank(order: np.ndarray, n: int) -> np.ndarray:
    r = np.empty(n, dtype=np.int64)
    r[order] = np.arange(n)
    return r


# ----------------------------------------------------------------------------- threshold explorer
class ThresholdExplorer(W.VBox):
    """Slider <-> operating point on the cost–quality curve, with per-category bars and shares.

    Parameters
    ----------
    outcomes : Outcomes
        The table the scores refer to (ideally held-out data, or out-of-fold scores).
    scores : array (N,)
        A binary router's score per query (higher = send to the strong model).
    weak, strong : str, optional
        The two models (default: the cheapest model and the best one by mean quality).
    threshold : float
        Initial threshold: ``score >= threshold`` goes to ``strong``.
    floor : float or dict category -> float, optional
        Minimum quality relative to the strong model per category (drawn on the bars).
    name : str
        The router's name in the legend.
    step : float
        Slider step.

    Attributes (traitlets; set ``threshold`` to move everything)
    ----------
    threshold : float
    escalation_share, mean_quality, cost_per_1k : float (read-only)
    below_floor : list of str (read-only)
        Categories whose relative quality is under the floor.
    result : RoutingResult
        The full evaluation at the current threshold.

    Examples
    --------
    >>> w = ThresholdExplorer(outcomes, router.score(outcomes))   # doctest: +SKIP
    >>> w.threshold = 0.7; w.escalation_share                     # doctest: +SKIP
    0.23
    """

    threshold = traitlets.Float(0.5)
    escalation_share = traitlets.Float(read_only=True)
    mean_quality = traitlets.Float(read_only=True)
    cost_per_1k = traitlets.Float(read_only=True)
    below_floor = traitlets.List(read_only=True)

    def __init__(
        self,
        outcomes,
        scores,
        *,
        weak: str | None = None,
        strong: str | None = None,
        threshold: float = 0.5,
        floor: float | Mapping[str, float] | None = 0.95,
        name: str = "router",
        step: float = 0.01,
        show_models: bool = True,
    ):
        self.outcomes = outcomes
        self.scores = _scores(scores, outcomes.n)
        self.weak, self.strong = _pair(outcomes, weak, strong)
        self.floor = floor
        self.name = name
        self.curve = ev.curve(self.scores, *_cols(outcomes, self.weak, self.strong))
        lo = min(0.0, float(np.floor(self.scores.min() / step) * step))
        hi = max(1.0, float(np.ceil(self.scores.max() / step) * step))
        self.slider = W.FloatSlider(
            value=float(threshold),
            min=lo,
            max=hi,
            step=step,
            description="threshold",
            readout_format=".2f",
            continuous_update=False,
            layout=W.Layout(width="440px", min_width="440px"),
        )
        self.readout = W.HTML()
        pts = outcomes if show_models else None
        if show_models:
            pts = outcomes.select_models([self.weak, self.strong])
        plane = charts.cost_quality(
            pts,
            {name: self.curve},
            threshold=float(threshold),
            threshold_router=name,
            subtitle=f"score ≥ threshold → {outcomes.label(self.strong)}, else {outcomes.label(self.weak)}",
        )
        self.chart = _jchart(plane)
        self.bars = _jchart(charts.model_share(["-"]))
        super().__init__([W.HBox([self.slider, self.readout]), self.chart, self.bars])
        traitlets.link((self.slider, "value"), (self, "threshold"))
        traitlets.link((self, "threshold"), (self.chart.params, charts.THRESHOLD_PARAM))
        self.observe(self._update, names="threshold")
        self.threshold = float(threshold)
        self._update()

    @classmethod
    def from_router(cls, router, outcomes, **kw) -> ThresholdExplorer:
        """Score ``outcomes`` with a fitted binary router and explore its threshold."""
        weak, strong = router.models_[:2]
        kw.setdefault("threshold", getattr(router, "threshold", 0.5))
        kw.setdefault("name", getattr(router, "kind", "router"))
        return cls(outcomes, router.score(outcomes), weak=weak, strong=strong, **kw)

    @property
    def decisions(self) -> np.ndarray:
        """Model name per query at the current threshold."""
        return np.where(self.scores >= self.threshold, self.strong, self.weak)

    def _update(self, change=None):
        r = ev.apply(
            self.outcomes, self.decisions, weak=self.weak, strong=self.strong, name=self.name
        )
        self.result = r
        table = r.by_category(stakes=True)
        fl = self.floor
        frame = charts.category_bars_frame(table, fl)
        below = frame.loc[~frame["meets_floor"], "category"].tolist()
        self.set_trait("escalation_share", r.escalation_share)
        self.set_trait("mean_quality", r.mean_quality)
        self.set_trait("cost_per_1k", r.cost_per_1k)
        self.set_trait("below_floor", below)
        sim = " <i>(simulated model involved)</i>" if r.simulated else ""
        warn = (
            f" · <b style='color:#c0392b'>below floor: {html.escape(', '.join(below))}</b>"
            if below
            else ""
        )
        self.readout.value = (
            f"<b>{r.escalation_share:.1%}</b> to {html.escape(self.outcomes.label(self.strong))} · "
            f"quality <b>{r.mean_quality:.3f}</b> · {_fmt_money(r.cost_per_1k)} per 1k{warn}{sim}"
        )
        self.bars.chart = alt.vconcat(
            charts.model_share(
                r.model,
                models=[self.weak, self.strong],
                simulated=self.outcomes.simulated,
                title=f"Where the queries go (threshold {self.threshold:.2f})",
            ),
            charts.category_bars(table, floor=fl),
        ).resolve_scale(color="independent")


# ----------------------------------------------------------------------------- router comparison
_CURVE_POINTS = 200  # operating points drawn per router curve in RouterComparison
_MAX_ROWS = 4500  # all curves together stay under Altair's 5,000-row data limit


class RouterComparison(W.VBox):
    """Toggle routers on and off; their curves with bootstrap CI bands, and APGR / CPT with CIs.

    Parameters
    ----------
    outcomes : Outcomes
        The (held-out) table the scores refer to.
    scores : dict name -> array (N,)
        Binary router scores on ``outcomes`` (out-of-fold scores from ``evaluate.crossfit`` are best).
    weak, strong : str, optional
        The two models (defaults as in :class:`ThresholdExplorer`).
    n_boot : int
        Bootstrap resamples for the bands and the metric CIs (paired across routers).
    selected : list of str, optional
        Routers shown at first (default: all).

    Attributes
    ----------
    selected : list of str (traitlet)
        Routers currently drawn; set it to change the chart.
    table : DataFrame
        APGR and CPT(50/80/95%) per router with CI columns ``*_lo``, ``*_hi``.
    bands : dict name -> DataFrame
        The CI band of each router (see :func:`curve_band`).
    """

    selected = traitlets.List()

    def __init__(
        self,
        outcomes,
        scores: Mapping[str, Any],
        *,
        weak: str | None = None,
        strong: str | None = None,
        n_boot: int = 200,
        seed: int = 0,
        selected: Sequence[str] | None = None,
        bands: bool = True,
    ):
        if not scores:
            raise RouterlabError("RouterComparison needs at least one router's scores")
        self.outcomes = outcomes
        self.weak, self.strong = _pair(outcomes, weak, strong)
        self.scores = {k: _scores(v, outcomes.n) for k, v in scores.items()}
        cols = _cols(outcomes, self.weak, self.strong)
        self.curves = {k: ev.curve(v, *cols) for k, v in self.scores.items()}
        self.bands = (
            {k: curve_band(v, *cols, n_boot=n_boot, seed=seed) for k, v in self.scores.items()}
            if bands
            else {}
        )
        self.bootstrap = ev.bootstrap_curves(self.scores, *cols, n_boot=n_boot, seed=seed)
        self.table = self.bootstrap.table()
        self.toggles = {
            k: W.ToggleButton(value=True, description=k, layout=W.Layout(width="auto"))
            for k in self.scores
        }
        self._syncing = False
        for t in self.toggles.values():
            t.observe(self._from_toggles, names="value")
        self.chart = _jchart(self._chart(list(self.scores)))
        self.summary = W.HTML(self._table_html())
        super().__init__([W.HBox(list(self.toggles.values())), self.chart, self.summary])
        self.observe(self._update, names="selected")
        self.selected = list(selected) if selected is not None else list(self.scores)

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        names = [str(k) for k in proposal["value"]]
        unknown = set(names) - set(self.scores)
        if (
            unknown
        ):  # refused before anything changes: toggles, chart and selected stay as they were
            raise RouterlabError(f"unknown routers {sorted(unknown)}; known: {list(self.scores)}")
        return [k for k in self.scores if k in names]  # one order: the toggles'

    def _from_toggles(self, change=None):
        if not self._syncing:  # a click, not _update setting the buttons
            self.selected = [k for k, t in self.toggles.items() if t.value]

    def _chart(self, names):
        pts = self.outcomes.select_models([self.weak, self.strong])
        # Display only: each curve thinned to <= ~200 evenly spaced operating points (endpoints
        # kept; curves are monotone in share, so the shape holds) keeps the data under Altair's
        # 5,000-row limit with many routers and the browser fast.
        per_curve = max(20, min(_CURVE_POINTS, _MAX_ROWS // max(len(names), 1)))
        return charts.cost_quality(
            pts,
            {k: self.curves[k] for k in names},
            {k: self.bands[k] for k in names if k in self.bands} or None,
            title="Routers compared (bands: 95% bootstrap CI)",
            max_curve_points=per_curve,
        )

    def _update(self, change=None):
        self._syncing = True  # toggling the buttons here must not re-enter and reset `selected`
        try:
            for k, t in self.toggles.items():
                t.value = k in self.selected
        finally:
            self._syncing = False
        self.chart.chart = self._chart(list(self.selected))

    def _table_html(self) -> str:
        t = self.table
        rows = []
        for name, r in t.iterrows():
            cells = [f"<td><b>{html.escape(str(name))}</b></td>"]
            for m in ("apgr", "cpt50", "cpt80"):
                if m in t:
                    cells.append(f"<td>{r[m]:.3f} [{r[m + '_lo']:.3f}, {r[m + '_hi']:.3f}]</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        head = "<tr><th>router</th><th>APGR</th><th>CPT(50%)</th><th>CPT(80%)</th></tr>"
        return f"<table>{head}{''.join(rows)}</table>"


# ----------------------------------------------------------------------------- cascades
def _cascade_result(outcomes, stages, thresholds, confidence):
    """Default cascade simulation: accept stage i's answer when its confidence >= threshold i."""
    n = outcomes.n
    cols = [outcomes.col(m) for m in stages]
    final = np.full(n, len(stages) - 1)
    undecided = np.ones(n, dtype=bool)
    for i, t in enumerate(thresholds):
        ok = undecided & (np.nan_to_num(confidence[:, i], nan=-np.inf) >= t)
        final[ok] = i
        undecided &= ~ok
    tried = np.arange(len(stages))[None, :] <= final[:, None]
    cost = np.where(tried, np.nan_to_num(outcomes.cost[:, cols]), 0.0)
    lat = np.where(tried, np.nan_to_num(outcomes.latency[:, cols]), 0.0)
    rows = np.arange(n)
    dec = np.asarray(stages, dtype=object)[final]
    chosen = np.array(cols)[final]
    extra_cost = cost.sum(1) - np.nan_to_num(outcomes.cost[rows, chosen])
    extra_lat = lat.sum(1) - np.nan_to_num(outcomes.latency[rows, chosen])
    return ev.apply(
        outcomes,
        dec,
        extra_cost=extra_cost,
        extra_latency=extra_lat,
        calls=tried.sum(1),
        weak=stages[0],
        strong=stages[-1],
        name="cascade",
    )


class CascadeExplorer(W.VBox):
    """One slider per cascade stage: accept a stage's answer when its confidence clears the threshold.

    Parameters
    ----------
    outcomes : Outcomes
    stages : list of str
        Models tried in order (cheapest first); the last stage always answers.
    confidence : array (N, len(stages) - 1), optional
        Verifier confidence of each non-final stage's answer (logprob confidence, a judge's score,
        a learned verifier...). Default: ``outcomes.confidence`` of those models.
    thresholds : list of float, optional
        Initial thresholds (default 0.5 each).
    simulate : callable(thresholds) -> RoutingResult, optional
        Use another simulation (e.g. a cascade router's ``simulate``); the default counts the cost and
        latency of every stage tried.

    Attributes
    ----------
    thresholds : list of float (traitlet)
    escalation_share, mean_quality, cost_per_1k, calls_per_query : float (read-only)
    result : RoutingResult
    """

    thresholds = traitlets.List()
    escalation_share = traitlets.Float(read_only=True)
    mean_quality = traitlets.Float(read_only=True)
    cost_per_1k = traitlets.Float(read_only=True)
    calls_per_query = traitlets.Float(read_only=True)

    def __init__(
        self,
        outcomes,
        stages: Sequence[str],
        confidence=None,
        *,
        thresholds: Sequence[float] | None = None,
        simulate: Callable[[list[float]], Any] | None = None,
        step: float = 0.01,
    ):
        if len(stages) < 2:
            raise RouterlabError("a cascade needs at least two stages")
        self.outcomes = outcomes
        self.stages = list(stages)
        k = len(stages) - 1
        if confidence is None:
            confidence = np.column_stack(
                [outcomes.confidence[:, outcomes.col(m)] for m in stages[:-1]]
            )
        self.confidence = np.asarray(confidence, dtype=float).reshape(outcomes.n, k)
        if simulate is None and not np.isfinite(self.confidence).any():
            raise RouterlabError(
                "no confidence for the cascade's stages: pass confidence= (e.g. a verifier's scores)"
            )
        self._simulate = simulate or (
            lambda ts: _cascade_result(outcomes, self.stages, ts, self.confidence)
        )
        init = list(thresholds) if thresholds is not None else [0.5] * k
        self.sliders = [
            W.FloatSlider(
                value=float(t),
                min=0.0,
                max=1.01,
                step=step,
                readout_format=".2f",
                description=f"{s[:14]}",
                continuous_update=False,
            )
            for s, t in zip(self.stages[:-1], init, strict=True)
        ]
        for s in self.sliders:
            s.observe(self._from_sliders, names="value")
        self.readout = W.HTML()
        self.chart = _jchart(charts.model_share(["-"]))
        super().__init__([W.VBox(self.sliders), self.readout, self.chart])
        self.observe(self._update, names="thresholds")
        self.thresholds = [float(t) for t in init]

    @classmethod
    def from_router(cls, router, outcomes, **kw) -> CascadeExplorer:
        """Explore a fitted :class:`~routerlab.routers.cascade.CascadeRouter` on ``outcomes``.

        The sliders start at the router's fitted thresholds; each change simulates a copy of the
        router (``router.simulate``: cost and latency of every stage tried) with the new thresholds.
        The router itself is not modified. A slider at its maximum (1.01) never accepts that stage.
        """
        from .routers import router_from_dict

        copy = router_from_dict(router.to_dict())

        def simulate(ts):
            copy.thresholds_ = np.asarray(ts, dtype=float)
            return copy.simulate(outcomes)

        start = [min(float(t), 1.01) for t in router.thresholds_]
        kw.setdefault("thresholds", start)
        return cls(outcomes, list(router.models_), simulate=simulate, **kw)

    def _from_sliders(self, change=None):
        self.thresholds = [float(s.value) for s in self.sliders]

    def _update(self, change=None):
        ts = [float(t) for t in self.thresholds]
        if len(ts) != len(self.sliders):
            raise RouterlabError(f"{len(ts)} thresholds for {len(self.sliders)} non-final stages")
        for s, t in zip(self.sliders, ts, strict=True):
            s.value = t
        r = self._simulate(ts)
        self.result = r
        self.set_trait("escalation_share", r.escalation_share)
        self.set_trait("mean_quality", r.mean_quality)
        self.set_trait("cost_per_1k", r.cost_per_1k)
        self.set_trait("calls_per_query", float(np.mean(r.calls)))
        self.readout.value = (
            f"quality <b>{r.mean_quality:.3f}</b> · {_fmt_money(r.cost_per_1k)} per 1k (every stage tried) · "
            f"<b>{np.mean(r.calls):.2f}</b> calls per query · {r.escalation_share:.1%} escalated"
            + (" <i>(simulated model involved)</i>" if r.simulated else "")
        )
        self.chart.chart = alt.vconcat(
            charts.model_share(
                r.model,
                models=self.stages,
                simulated=self.outcomes.simulated,
                title="Which stage answers",
            ),
            charts.category_bars(
                r.by_category(), floor=None, title="Quality per category vs the last stage"
            ),
        ).resolve_scale(color="independent")


# ----------------------------------------------------------------------------- edge / cloud
class EdgeCloudExplorer(W.VBox):
    """Edge / cloud split: a privacy rule, a latency budget and the edge's capacity.

    The numbers come from ``simulate(privacy, latency_budget, edge_capacity) -> RoutingResult``
    (e.g. an edge/cloud router's simulation, which models queueing on the edge); the widget shows
    p95 latency, cost, quality and where the queries go.

    Parameters
    ----------
    simulate : callable(privacy: bool, latency_budget: float, edge_capacity: float) -> RoutingResult
    edge : str
        The edge model's name (its share is the "edge share"; the other models count as cloud).
    privacy, latency_budget, edge_capacity : initial values
    budget_range, capacity_range : (min, max)
        Slider ranges (seconds; concurrent requests or queries per second, as ``simulate`` reads it).
    simulated : list of str
        Scenario models, labelled as such.

    Attributes
    ----------
    privacy : bool; latency_budget, edge_capacity : float (traitlets)
    latency_p95, edge_share, mean_quality, cost_per_1k : float (read-only)
    result : RoutingResult
    """

    privacy = traitlets.Bool(True)
    latency_budget = traitlets.Float(2.0)
    edge_capacity = traitlets.Float(4.0)
    latency_p95 = traitlets.Float(read_only=True)
    edge_share = traitlets.Float(read_only=True)
    mean_quality = traitlets.Float(read_only=True)
    cost_per_1k = traitlets.Float(read_only=True)

    def __init__(
        self,
        simulate: Callable[[bool, float, float], Any],
        *,
        edge: str,
        privacy: bool = True,
        latency_budget: float = 2.0,
        edge_capacity: float = 4.0,
        budget_range: tuple[float, float] = (0.1, 10.0),
        capacity_range: tuple[float, float] = (1.0, 32.0),
        simulated: Sequence[str] = (),
    ):
        self._simulate = simulate
        self.edge = edge
        self.simulated = tuple(simulated)
        self.w_privacy = W.Checkbox(value=privacy, description="keep PII on the edge")
        self.w_budget = W.FloatSlider(
            value=latency_budget,
            min=budget_range[0],
            max=budget_range[1],
            step=0.1,
            description="budget (s)",
            continuous_update=False,
        )
        self.w_capacity = W.FloatSlider(
            value=edge_capacity,
            min=capacity_range[0],
            max=capacity_range[1],
            step=1.0,
            description="edge capacity",
            continuous_update=False,
        )
        self.readout = W.HTML()
        self.chart = _jchart(charts.model_share(["-"]))
        super().__init__(
            [W.HBox([self.w_privacy, self.w_budget, self.w_capacity]), self.readout, self.chart]
        )
        traitlets.link((self.w_privacy, "value"), (self, "privacy"))
        traitlets.link((self.w_budget, "value"), (self, "latency_budget"))
        traitlets.link((self.w_capacity, "value"), (self, "edge_capacity"))
        self.observe(self._update, names=["privacy", "latency_budget", "edge_capacity"])
        self._update()

    @classmethod
    def from_router(cls, router, train, test, **kw) -> EdgeCloudExplorer:
        """Explore an :class:`~routerlab.routers.edge_cloud.EdgeCloudRouter` (fitted or not).

        Each change fits a clone on ``train`` with ``latency_p95_budget`` = the budget slider and
        ``edge_servers`` = the capacity slider (parallel slots on the edge box), then simulates
        ``test`` (queueing on the edge included). With the privacy box unticked the clone sees
        copies of both tables whose PII flags are cleared, i.e. no query is forced to the edge.
        """
        import warnings
        from dataclasses import replace

        def no_pii(o):
            return replace(o, queries=o.queries.assign(contains_pii=False))

        def simulate(privacy, budget, capacity):
            tr, te = (train, test) if privacy else (no_pii(train), no_pii(test))
            r = router.clone(latency_p95_budget=budget, edge_servers=max(1, int(round(capacity))))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an unmet budget shows in red in the readout
                return r.fit(tr).simulate(te)

        edge = router.edge or router.clone().fit(train).models_[0]
        kw.setdefault("edge_capacity", float(router.edge_servers))
        kw.setdefault("capacity_range", (1.0, 8.0))
        if router.latency_p95_budget is not None:
            kw.setdefault("latency_budget", float(router.latency_p95_budget))
        kw.setdefault("simulated", tuple(test.simulated))
        return cls(simulate, edge=edge, **kw)

    def _update(self, change=None):
        r = self._simulate(
            bool(self.privacy), float(self.latency_budget), float(self.edge_capacity)
        )
        self.result = r
        edge_share = float(np.mean(np.asarray(r.model) == self.edge))
        self.set_trait("latency_p95", r.latency_p95)
        self.set_trait("edge_share", edge_share)
        self.set_trait("mean_quality", r.mean_quality)
        self.set_trait("cost_per_1k", r.cost_per_1k)
        ok = r.latency_p95 <= self.latency_budget
        self.readout.value = (
            f"p95 latency <b style='color:{'#2e7d32' if ok else '#c0392b'}'>{r.latency_p95:.2f} s</b> "
            f"(budget {self.latency_budget:.1f} s) · edge share <b>{edge_share:.1%}</b> · "
            f"quality {r.mean_quality:.3f} · {_fmt_money(r.cost_per_1k)} per 1k"
            + (" <i>(simulated model involved)</i>" if r.simulated else "")
        )
        tiers = np.where(np.asarray(r.model) == self.edge, "edge", "cloud")
        lat = pd.DataFrame({"latency_s": r.latency, "tier": tiers})
        self.chart.chart = alt.vconcat(
            charts.latency(
                lat, budget_s=self.latency_budget, title="Latency per query (edge vs cloud)"
            ),
            charts.model_share(
                r.model,
                models=[self.edge] + [m for m in r.models if m != self.edge],
                simulated=self.simulated,
            ),
        ).resolve_scale(color="independent")


# ----------------------------------------------------------------------------- calibration
class CalibrationExplorer(W.VBox):
    """Pick a target strong-call share; see the share it really gives on held-out data, with a CI.

    The threshold is the ``1 - target`` quantile of the calibration scores
    (:func:`routerlab.evaluate.calibrate_threshold` when available); the realised share is the share of
    held-out scores at or above it, with a bootstrap CI over held-out queries.

    Parameters
    ----------
    scores_cal : array
        Router scores on the calibration set (where the threshold is chosen).
    scores_test : array
        Router scores on the held-out set (where the share is checked) — e.g. a later week of traffic.
    target : float
        Initial target share.
    targets : sequence of float
        Targets drawn on the chart (the whole calibration curve).

    Attributes
    ----------
    target : float (traitlet)
    threshold, realised_share : float (read-only)
    ci : list [lo, hi] (read-only)
    table : DataFrame (target, threshold, realised, lo, hi) for ``targets``
    """

    target = traitlets.Float(0.3)
    threshold = traitlets.Float(read_only=True)
    realised_share = traitlets.Float(read_only=True)
    ci = traitlets.List(read_only=True)

    def __init__(
        self,
        scores_cal,
        scores_test,
        *,
        target: float = 0.3,
        targets: Sequence[float] = tuple(np.round(np.arange(0.05, 1.0, 0.05), 2)),
        n_boot: int = 500,
        seed: int = 0,
    ):
        self.scores_cal = np.asarray(scores_cal, dtype=float)
        self.scores_test = np.asarray(scores_test, dtype=float)
        self.n_boot, self.seed = n_boot, seed
        self.table = pd.DataFrame([self._row(t) for t in targets])
        self.slider = W.FloatSlider(
            value=target,
            min=0.01,
            max=0.99,
            step=0.01,
            description="target share",
            readout_format=".0%",
            continuous_update=False,
        )
        self.readout = W.HTML()
        self.chart = _jchart(charts.calibration(self.table, current=target))
        super().__init__([W.HBox([self.slider, self.readout]), self.chart])
        traitlets.link((self.slider, "value"), (self, "target"))
        self.observe(self._update, names="target")
        self.target = float(target)
        self._update()

    def _threshold(self, target: float) -> float:
        fn = getattr(ev, "calibrate_threshold", None)
        if fn is not None:
            t = fn(self.scores_cal, target_share=target)
            return float(getattr(t, "threshold", t))
        return float(np.quantile(self.scores_cal, 1 - target, method="higher"))

    def _row(self, target: float) -> dict:
        t = self._threshold(target)
        hit = (self.scores_test >= t).astype(float)
        samples = ev.bootstrap_means({"s": hit}, self.n_boot, self.seed)["s"]
        lo, hi = ev.percentile_ci(samples)
        return {
            "target": float(target),
            "threshold": t,
            "realised": float(hit.mean()),
            "lo": lo,
            "hi": hi,
        }

    def _update(self, change=None):
        row = self._row(float(self.target))
        self.set_trait("threshold", row["threshold"])
        self.set_trait("realised_share", row["realised"])
        self.set_trait("ci", [row["lo"], row["hi"]])
        self.readout.value = (
            f"threshold <b>{row['threshold']:.3f}</b> → realised <b>{row['realised']:.1%}</b> "
            f"{_ci((row['lo'], row['hi']))} on held-out data (intended {row['target']:.0%})"
        )
        tab = pd.concat([self.table, pd.DataFrame([row])], ignore_index=True)
        self.chart.chart = charts.calibration(tab, current=float(self.target))


# ----------------------------------------------------------------------------- query inspector
class QueryInspector(W.VBox):
    """Pick a query — from the list or by clicking the chart — and read every model's answer and grade.

    Parameters
    ----------
    outcomes : Outcomes
    scores : array (N,), optional
        A router's score per query (shown, and used as the chart's x axis).
    decisions : array (N,) of model names, optional
        The router's choice per query (highlighted in the table).
    max_chars : int
        Answers longer than this are cut (the full text stays in ``outcomes.responses``).

    Attributes
    ----------
    index : int (traitlet)
        Row of the selected query; set it to show another query.
    detail : str (read-only)
        The HTML shown for the selected query.
    """

    index = traitlets.Int(0)
    detail = traitlets.Unicode(read_only=True)

    def __init__(self, outcomes, scores=None, decisions=None, *, max_chars: int = 600):
        self.outcomes = outcomes
        self.scores = None if scores is None else _scores(scores, outcomes.n)
        self.decisions = None if decisions is None else np.asarray(decisions).astype(str)
        self.max_chars = max_chars
        q = outcomes.queries
        opts = [
            (f"{r.query_id} · {r.category} · {str(r.prompt)[:60]}", i)
            for i, r in enumerate(q.itertuples(index=False))
        ]
        self.select = W.Select(options=opts, rows=8, layout=W.Layout(width="100%"))
        self.view = W.HTML()
        self.chart = _jchart(self._scatter())
        super().__init__([self.chart, self.select, self.view])
        traitlets.link((self.select, "value"), (self, "index"))
        self.observe(self._update, names="index")
        self.chart.selections.observe(self._from_chart, names="pick")
        self._update()

    def _scatter(self):
        o = self.outcomes
        best = np.nanmax(o.quality, axis=1)
        df = pd.DataFrame(
            {
                "row": np.arange(o.n),
                "query_id": o.queries["query_id"],
                "category": o.categories,
                "score": self.scores if self.scores is not None else np.zeros(o.n),
                "best_quality": best,
                "models_right": np.nansum(o.quality >= 0.5, axis=1),
            }
        )
        pick = alt.selection_point(name="pick", fields=["row"], on="click")
        x = "score:Q" if self.scores is not None else "row:Q"
        return (
            alt.Chart(df)
            .mark_circle(size=50)
            .encode(
                x=alt.X(x, title="router score" if self.scores is not None else "query"),
                y=alt.Y("models_right:Q", title="models with quality ≥ 0.5"),
                yOffset=alt.YOffset("jitter:Q"),
                color=alt.Color("category:N"),
                opacity=alt.condition(pick, alt.value(0.9), alt.value(0.3)),
                tooltip=["query_id:N", "category:N", alt.Tooltip("score:Q", format=".3f")],
            )
            .transform_calculate(jitter="random()*18")
            .add_params(pick)
            .properties(width=420, height=180, title="Click a query")
        )

    @traitlets.validate("index")
    def _check_index(self, proposal):
        i = int(proposal["value"])
        if not 0 <= i < self.outcomes.n:
            raise RouterlabError(f"index {i} is out of range 0..{self.outcomes.n - 1}")
        return i

    def _from_chart(self, change):
        sel = change["new"]
        rows = [v.get("row") for v in (getattr(sel, "value", None) or []) if isinstance(v, dict)]
        if rows and rows[0] is not None:
            self.index = int(rows[0])

    def _update(self, change=None):
        o = self.outcomes
        i = int(self.index)
        if not 0 <= i < o.n:
            raise RouterlabError(f"index {i} is out of range 0..{o.n - 1}")
        if self.select.value != i:
            self.select.value = i
        r = o.queries.iloc[i]
        esc = html.escape
        head = (
            f"<h4>{esc(str(r['query_id']))} · {esc(str(r['category']))}"
            f" · difficulty {int(r['difficulty'])} · stakes {float(r['stakes']):g}"
            f"{' · contains PII' if bool(r['contains_pii']) else ''}</h4>"
            f"<pre style='white-space:pre-wrap'>{esc(str(r['prompt']))}</pre>"
        )
        if "reference" in o.queries.columns and pd.notna(r.get("reference")):
            head += f"<p><b>reference:</b> {esc(str(r['reference']))}</p>"
        if self.scores is not None:
            head += f"<p><b>router score:</b> {self.scores[i]:.3f}</p>"
        rows = []
        for j, m in enumerate(o.models):
            ans = "" if o.responses is None or o.responses[i, j] is None else str(o.responses[i, j])
            if len(ans) > self.max_chars:
                ans = ans[: self.max_chars] + " …"
            chosen = self.decisions is not None and self.decisions[i] == m
            style = " style='background:#fff3cd'" if chosen else ""
            cost = o.cost[i, j]
            lat = o.latency[i, j]
            rows.append(
                f"<tr{style}><td><b>{esc(o.label(m))}</b>{' ← router' if chosen else ''}</td>"
                f"<td>{o.quality[i, j]:.2f}</td>"
                f"<td>{'' if not np.isfinite(cost) else f'${cost:.2g}'}</td>"
                f"<td>{'' if not np.isfinite(lat) else f'{lat:.2f} s'}</td>"
                f"<td><pre style='white-space:pre-wrap;margin:0'>{esc(ans)}</pre></td></tr>"
            )
        table = (
            "<table><tr><th>model</th><th>grade</th><th>cost</th><th>latency</th><th>answer</th></tr>"
            + "".join(rows)
            + "</table>"
        )
        self.set_trait("detail", head + table)
        self.view.value = self.detail


# ----------------------------------------------------------------------------- policy export
class PolicyExportButton(W.VBox):
    """A path box and a button that writes the policy JSON through ``export_fn(path) -> path``.

    Parameters
    ----------
    export_fn : callable(path: str) -> str or Path
        Writes the file (e.g. ``lambda p: routerlab.policy.export(router, outcomes, p)``) and returns
        where it wrote. A RouterlabError is shown in the widget instead of a traceback.
    path : str
        Default file name.

    Attributes
    ----------
    path : str (traitlet); last_path : str | None; status : str (read-only)

    Examples
    --------
    >>> b = PolicyExportButton(lambda p: my_export(p), path="policy.json")   # doctest: +SKIP
    >>> b.export()                                                          # doctest: +SKIP
    'policy.json'
    """

    path = traitlets.Unicode("policy.json")
    status = traitlets.Unicode(read_only=True)

    def __init__(
        self,
        export_fn: Callable[[str], Any],
        *,
        path: str = "policy.json",
        description: str = "Export policy JSON",
    ):
        self.export_fn = export_fn
        self.last_path: str | None = None
        self.text = W.Text(value=path, description="file", layout=W.Layout(width="360px"))
        self.button = W.Button(
            description=description,
            button_style="primary",
            icon="download",
            layout=W.Layout(width="auto"),
        )
        self.message = W.HTML()
        super().__init__([W.HBox([self.text, self.button]), self.message])
        traitlets.link((self.text, "value"), (self, "path"))
        self.button.on_click(lambda _b: self.export())
        self.path = path

    def export(self) -> str | None:
        """Write the file now (what a click does); returns the path written, or None on error."""
        try:
            out = self.export_fn(self.path)
        except RouterlabError as e:
            self.set_trait("status", f"error: {e}")
            self.message.value = f"<span style='color:#c0392b'>error: {html.escape(str(e))}</span>"
            return None
        self.last_path = str(out if out is not None else self.path)
        self.set_trait("status", f"wrote {self.last_path}")
        self.message.value = f"wrote <code>{html.escape(self.last_path)}</code>"
        return self.last_path
