"""Chart builders: pure functions that turn evaluation results into ``alt.Chart`` objects.

Every function here takes plain data (an :class:`~routerlab.outcomes.Outcomes`, a
:class:`~routerlab.evaluate.Curve`, or a tidy DataFrame whose columns are listed in its docstring) and
returns an Altair chart. Nothing is displayed, written or configured globally: display the chart as the
last expression of a cell, export it with :func:`routerlab.charts_export.save_chart`, or wrap it in
``alt.JupyterChart`` to drive its parameters from Python (the widgets in :mod:`routerlab.widgets` do).

Scenario (simulated) models are labelled ``"<name> (simulated)"`` in legends and tooltips, and the
chart gets a subtitle saying so.

Conventions
-----------
* Cost is shown in **$ per 1,000 queries** (``cost_per_1k``); when a table has no costs the axis
  counts strong calls per query instead and says so.
* Quality is the mean quality in [0, 1].
* The operating point of a threshold slider is a Vega-Lite parameter named ``"threshold"``
  (:data:`THRESHOLD_PARAM`): ``alt.JupyterChart(chart).params.threshold = 0.3`` moves it without
  recomputing anything in Python.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from routerlab.outcomes import Outcomes
>>> from routerlab import charts
>>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": list("abcd")}), ["weak", "strong"],
...                          quality=np.array([[1, 1], [0, 1], [0, 1], [1, 1.0]]),
...                          cost=np.array([[1e-4, 1e-3]] * 4))
>>> chart = charts.cost_quality(o)
>>> chart.to_dict()["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from .errors import RouterlabError

#: Name of the Vega-Lite parameter that places the operating point on a router's curve.
THRESHOLD_PARAM = "threshold"
#: Subtitle added to any chart that shows a scenario model.
SIMULATED_NOTE = "(simulated) = scenario model, not a real recording"
#: Default chart size (pixels).
WIDTH, HEIGHT = 420, 300
#: Curves with more points than this are thinned for drawing (the operating point stays exact).
MAX_CURVE_POINTS = 1500
_SENTINEL_PAD = 1.0  # threshold drawn for "send nothing to strong" (+inf is not valid JSON)

CostAxis = tuple[str, str]


# ----------------------------------------------------------------------------- data shaping
def model_points(outcomes) -> pd.DataFrame:
    """One row per model of an Outcomes table: where each model sits on the cost–quality plane.

    Returns
    -------
    DataFrame
        Columns ``model``, ``label`` (``"x (simulated)"`` for scenario models), ``quality`` (mean),
        ``cost_per_1k`` ($ per 1,000 queries, NaN when unknown), ``latency_s`` (mean) and
        ``simulated`` (bool).
    """
    with np.errstate(all="ignore"):
        cost = (
            np.nanmean(outcomes.cost, axis=0) * 1000 if np.isfinite(outcomes.cost).any() else None
        )
        lat = np.nanmean(outcomes.latency, axis=0) if np.isfinite(outcomes.latency).any() else None
    m = len(outcomes.models)
    return pd.DataFrame(
        {
            "model": list(outcomes.models),
            "label": [outcomes.label(x) for x in outcomes.models],
            "quality": np.nanmean(outcomes.quality, axis=0),
            "cost_per_1k": cost if cost is not None else np.full(m, np.nan),
            "latency_s": lat if lat is not None else np.full(m, np.nan),
            "simulated": [outcomes.is_simulated(x) for x in outcomes.models],
        }
    )


def curve_frame(
    curve: Any, router: str | None = None, max_points: int = MAX_CURVE_POINTS
) -> pd.DataFrame:
    """A router's curve as a tidy DataFrame for charting.

    Parameters
    ----------
    curve : Curve or DataFrame
        A :class:`routerlab.evaluate.Curve` (``share``, ``quality``, ``cost`` per query,
        ``threshold``, ``cost_known``) or a DataFrame with at least ``share`` and ``quality`` and
        either ``cost_per_1k`` or ``cost`` (mean $ per query).
    router : str, optional
        Name shown in the legend. Default: the frame's own ``router`` column when it has one (a
        frame made by this function can be passed again), else ``"router"``. When given, it
        replaces the values of an existing ``router`` column.
    max_points : int
        Long curves are thinned to about this many evenly spaced points (per router) for
        drawing; both endpoints are kept.

    Returns
    -------
    DataFrame
        Columns ``router``, ``share``, ``quality``, ``cost_per_1k``, ``threshold`` (finite: the
        "nothing to strong" point gets ``max score + 1``), ``pgr`` (when known).
    """
    if isinstance(curve, pd.DataFrame):
        df = curve.copy()
        if "cost_per_1k" not in df:
            df["cost_per_1k"] = df["cost"] * 1000 if "cost" in df else df["share"]
    else:
        cols = {"share": curve.share, "quality": curve.quality}
        known = getattr(curve, "cost_known", True)
        cols["cost_per_1k"] = np.asarray(curve.cost) * 1000 if known else np.asarray(curve.share)
        for extra in ("threshold", "pgr"):
            if getattr(curve, extra, None) is not None:
                cols[extra] = getattr(curve, extra)
        df = pd.DataFrame(cols)
    for need in ("share", "quality"):
        if need not in df:
            raise RouterlabError(f"a curve needs a {need!r} column")
    if "threshold" in df:
        t = df["threshold"].to_numpy(dtype=float)
        finite = t[np.isfinite(t)]
        top = (finite.max() if finite.size else 0.0) + _SENTINEL_PAD
        df["threshold"] = np.where(np.isposinf(t), top, np.where(np.isneginf(t), -top, t))
    if router is not None or "router" not in df:
        df["router"] = "router" if router is None else router
    df = df[["router", *(c for c in df.columns if c != "router")]]
    groups = [g for _, g in df.groupby("router", sort=False)] if len(df) else [df]
    return pd.concat([_thin(g, max_points) for g in groups], ignore_index=True)


def _thin(df: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` evenly spaced rows (first and last always kept)."""
    if len(df) <= max(max_points, 2):
        return df
    keep = np.unique(np.linspace(0, len(df) - 1, max(max_points, 2)).round().astype(int))
    return df.iloc[keep]


def _curves_long(curves, max_points: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    if curves is None:
        return pd.DataFrame(columns=["router", "share", "quality", "cost_per_1k", "threshold"])
    if isinstance(curves, pd.DataFrame):
        return curves if "router" in curves else curve_frame(curves, max_points=max_points)
    if isinstance(curves, Mapping):
        parts = [curve_frame(c, name, max_points) for name, c in curves.items()]
        return pd.concat(parts, ignore_index=True) if parts else _curves_long(None)
    return curve_frame(curves, max_points=max_points)


def _bands_long(bands) -> pd.DataFrame | None:
    if bands is None:
        return None
    if isinstance(bands, Mapping):
        parts = []
        for name, b in bands.items():
            b = pd.DataFrame(b).copy()
            b["router"] = name
            parts.append(b)
        bands = pd.concat(parts, ignore_index=True) if parts else None
    if bands is None or len(bands) == 0:
        return None
    b = pd.DataFrame(bands).copy()
    if "cost_per_1k" not in b:
        if "cost" in b:
            b["cost_per_1k"] = b["cost"] * 1000
        else:
            raise RouterlabError("a CI band needs 'cost_per_1k' (or 'cost') with 'lo' and 'hi'")
    for need in ("lo", "hi", "router"):
        if need not in b:
            raise RouterlabError(f"a CI band needs a {need!r} column")
    return b


def _cost_axis(points: pd.DataFrame, curves: pd.DataFrame, cost_known: bool) -> CostAxis:
    if cost_known:
        return "cost_per_1k", "cost ($ per 1,000 queries)"
    return "cost_per_1k", "strong calls per query (no costs in this table)"


def _subtitle(simulated: bool, extra: str | None = None) -> list[str] | alt.UndefinedType:
    lines = [s for s in (extra, SIMULATED_NOTE if simulated else None) if s]
    return lines if lines else alt.Undefined


def _title(text: str | None, simulated: bool, subtitle: str | None = None):
    sub = _subtitle(simulated, subtitle)
    if text is None and sub is alt.Undefined:
        return alt.Undefined
    return alt.TitleParams(text=text or "", subtitle=sub, anchor="start")


# ----------------------------------------------------------------------------- parameters
def threshold_param(
    value: float = 0.5,
    *,
    slider: bool = False,
    lo: float = 0.0,
    hi: float = 1.0,
    step: float = 0.01,
) -> alt.Parameter:
    """The ``threshold`` Vega-Lite parameter that drives an operating point marker.

    ``slider=True`` binds it to a slider inside the chart itself (useful in static HTML reports, where
    there is no kernel); in a notebook leave it unbound and drive it from an ipywidgets slider through
    ``alt.JupyterChart(...).params`` (see :class:`routerlab.widgets.ThresholdExplorer`).
    """
    bind = (
        alt.binding_range(min=lo, max=hi, step=step, name="threshold ") if slider else alt.Undefined
    )
    return alt.param(name=THRESHOLD_PARAM, value=float(value), bind=bind)


def operating_point_layer(
    curves: pd.DataFrame, router: str, param: alt.Parameter, x: str = "cost_per_1k"
) -> alt.LayerChart:
    """A marker + label at the operating point of ``router`` for the current ``param`` value.

    The point is the one a real deployment would reach: every query with ``score >= threshold`` goes
    to the strong model, so the marker sits at the largest strong-call share whose threshold is still
    ``>= threshold`` (ties all go together). Computed by Vega-Lite in the browser, so moving the
    parameter never re-sends data.
    """
    p = param.name
    base = (
        alt.Chart(curves)
        .transform_filter(alt.datum.router == router)
        .transform_filter(f"datum.threshold >= {p}")
        .transform_joinaggregate(tmin="min(threshold)")
        .transform_filter("datum.threshold == datum.tmin")
        .transform_joinaggregate(smax="max(share)")
        .transform_filter("datum.share == datum.smax")
        .transform_calculate(
            op_label=f"'t=' + format({p}, '.2f') + ' → ' + format(datum.share, '.0%') + "
            "' strong, q=' + format(datum.quality, '.3f')"
        )
    )
    enc = {
        "x": alt.X(f"{x}:Q"),
        "y": alt.Y("quality:Q"),
        "tooltip": [
            alt.Tooltip("router:N"),
            alt.Tooltip("share:Q", format=".1%", title="strong-call share"),
            alt.Tooltip("quality:Q", format=".3f"),
            alt.Tooltip(f"{x}:Q", format=".4f", title="cost"),
        ],
    }
    marker = base.mark_point(shape="diamond", size=220, filled=True, color="black").encode(**enc)
    label = base.mark_text(align="left", dx=10, dy=-10, fontSize=12, fontWeight="bold").encode(
        x=enc["x"], y=enc["y"], text="op_label:N"
    )
    return alt.layer(marker, label)


# ----------------------------------------------------------------------------- the plane
def cost_quality(
    points=None,
    curves=None,
    bands=None,
    *,
    threshold: float | None = None,
    threshold_router: str | None = None,
    slider: bool = False,
    title: str | None = "Cost–quality plane",
    subtitle: str | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    max_curve_points: int = MAX_CURVE_POINTS,
) -> alt.LayerChart:
    """The cost–quality plane: one point per model, one line per router, optional CI bands.

    Parameters
    ----------
    points : Outcomes or DataFrame, optional
        An Outcomes table (one point per model, via :func:`model_points`) or a DataFrame with
        ``label``, ``quality``, ``cost_per_1k`` and optionally ``simulated``.
    curves : Curve, DataFrame or mapping of name -> Curve/DataFrame, optional
        Router curves (see :func:`curve_frame`).
    bands : mapping of name -> DataFrame, or DataFrame with ``router``, optional
        Confidence bands: columns ``cost_per_1k`` (or ``cost`` $ per query), ``lo``, ``hi``.
    threshold : float, optional
        When given, adds the ``threshold`` parameter and an operating point marker on
        ``threshold_router`` (default: the first curve).
    slider : bool
        Bind the threshold parameter to an in-chart slider (for HTML reports without a kernel).
    title, subtitle : str, optional
        A subtitle saying "(simulated) = scenario model" is added when a scenario model is shown.
    max_curve_points : int
        Each curve is thinned to about this many points (see :func:`curve_frame`); lower it when
        many routers are drawn at once (Altair refuses data sets over 5,000 rows).

    Returns
    -------
    alt.LayerChart

    Examples
    --------
    >>> from routerlab.evaluate import curve
    >>> c = curve([0.9, 0.2, 0.5], q_weak=[0, 1, 1], q_strong=[1, 1, 1])
    >>> ch = cost_quality(curves={"demo": c}, threshold=0.5)
    >>> [p["name"] for p in ch.to_dict()["params"]]
    ['threshold']
    """
    pts = None
    if points is not None:
        pts = model_points(points) if hasattr(points, "models") else pd.DataFrame(points).copy()
        if "simulated" not in pts:
            pts["simulated"] = pts["label"].str.contains(r"\(simulated\)")
        if "model" not in pts:
            pts["model"] = pts["label"]
        pts["kind"] = np.where(pts["simulated"], "scenario (simulated)", "recorded")
    cv = _curves_long(curves, max_curve_points)
    bd = _bands_long(bands)
    simulated = bool(pts is not None and pts["simulated"].any())
    cost_known = not (
        (pts is not None and pts["cost_per_1k"].isna().all())
        or any(getattr(c, "cost_known", True) is False for c in _iter_curves(curves))
    )
    if pts is not None and not cost_known:
        pts = pts.assign(cost_per_1k=np.where(pts.index == pts["quality"].idxmax(), 1.0, 0.0))
    x, xtitle = _cost_axis(pts, cv, cost_known)
    xs = alt.X(f"{x}:Q", title=xtitle, scale=alt.Scale(zero=False, nice=True))
    ys = alt.Y("quality:Q", title="mean quality", scale=alt.Scale(zero=False, nice=True))
    layers: list = []
    if bd is not None:
        layers.append(
            alt.Chart(bd)
            .mark_area(opacity=0.18)
            .encode(
                x=xs,
                y=alt.Y("lo:Q", title="mean quality"),
                y2="hi:Q",
                color=alt.Color("router:N", title="router", legend=None),
                tooltip=[
                    alt.Tooltip("router:N"),
                    alt.Tooltip("lo:Q", format=".3f", title="CI low"),
                    alt.Tooltip("hi:Q", format=".3f", title="CI high"),
                ],
            )
        )
    if len(cv):
        layers.append(
            alt.Chart(cv)
            .mark_line(strokeWidth=2)
            .encode(
                x=xs,
                y=ys,
                color=alt.Color("router:N", title="router"),
                order="share:Q",
                tooltip=[
                    alt.Tooltip("router:N"),
                    alt.Tooltip("share:Q", format=".1%", title="strong-call share"),
                    alt.Tooltip("quality:Q", format=".3f"),
                    alt.Tooltip(f"{x}:Q", format=".4f", title="cost"),
                ],
            )
        )
    if pts is not None:
        layers.append(
            alt.Chart(pts)
            .mark_point(size=140, filled=True, color="#333333")
            .encode(
                x=xs,
                y=ys,
                shape=alt.Shape("label:N", title="model"),
                strokeDash=alt.value([1, 0]),
                opacity=alt.Opacity(
                    "kind:N",
                    legend=None,
                    scale=alt.Scale(domain=["recorded", "scenario (simulated)"], range=[1.0, 0.45]),
                ),
                tooltip=[
                    alt.Tooltip("label:N", title="model"),
                    alt.Tooltip("kind:N", title="data"),
                    alt.Tooltip("quality:Q", format=".3f"),
                    alt.Tooltip(f"{x}:Q", format=".4f", title="cost"),
                ],
            )
        )
        # Labels of points near the right edge go to their left, so they stay inside the plot.
        span = pts[x].max() - pts[x].min()
        right = pts[x] >= pts[x].min() + 0.7 * span if span > 0 else pts[x] != pts[x]
        for side, part in (("left", pts[~right]), ("right", pts[right])):
            if len(part):
                layers.append(
                    alt.Chart(part)
                    .mark_text(align=side, dx=8 if side == "left" else -8, dy=10, fontSize=11)
                    .encode(x=xs, y=ys, text="label:N")
                )
    if not layers:
        raise RouterlabError("nothing to draw: pass model points, curves or both")
    param = None
    if threshold is not None:
        if not len(cv):
            raise RouterlabError("an operating point needs a router curve: pass curves=")
        router = threshold_router or str(cv["router"].iloc[0])
        if router not in set(cv["router"]):
            raise RouterlabError(f"no curve named {router!r}; curves: {sorted(set(cv['router']))}")
        param = threshold_param(
            threshold, slider=slider, hi=float(np.nanmax(cv["threshold"])) if slider else 1.0
        )
        layers.append(operating_point_layer(cv, router, param, x=x))
    chart = (
        alt.layer(*layers)
        .properties(width=width, height=height, title=_title(title, simulated, subtitle))
        .resolve_scale(shape="independent")
    )
    if param is not None:
        chart = chart.add_params(param)
    return chart


def _iter_curves(curves):
    if curves is None or isinstance(curves, pd.DataFrame):
        return []
    if isinstance(curves, Mapping):
        return [c for c in curves.values() if not isinstance(c, pd.DataFrame)]
    return [curves]


# ----------------------------------------------------------------------------- per category
def category_bars(
    table: pd.DataFrame,
    *,
    floor: float | Mapping[str, float] | None = None,
    title: str | None = "Quality per category, relative to the strong model",
    width: int = WIDTH,
    height: int | None = None,
) -> alt.LayerChart:
    """Per-category quality of a routing decision relative to the strong model, with floors.

    Parameters
    ----------
    table : DataFrame
        One row per category. Columns ``category`` (or the index), ``quality`` (routed mean quality)
        and ``strong`` (the strong model's mean quality on the same queries) — or directly
        ``relative`` (= quality / strong). Optional: ``n`` (queries), ``stakes`` (weight; categories
        are sorted by it, highest first) and ``escalation_share``.
    floor : float or mapping category -> float, optional
        Minimum acceptable relative quality (e.g. 0.95); bars below it are coloured as violations
        and the floor is drawn as a rule (a tick per category when floors differ).

    Examples
    --------
    >>> t = pd.DataFrame({"category": ["a", "b"], "quality": [0.9, 0.5], "strong": [0.95, 0.8]})
    >>> ch = category_bars(t, floor=0.9)
    >>> sorted(category_bars_frame(t, 0.9)["meets_floor"])
    [False, True]
    """
    df = category_bars_frame(table, floor)
    n_cat = len(df)
    h = height if height is not None else max(60, 26 * n_cat)
    order = df["category"].tolist()
    y = alt.Y("category:N", sort=order, title=None)
    color = alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(
            domain=["meets floor", "below floor", "no floor"],
            range=["#4c78a8", "#e45756", "#9ecae9"],
        ),
    )
    tips = [
        alt.Tooltip("category:N"),
        alt.Tooltip("relative:Q", format=".1%", title="quality vs strong"),
        alt.Tooltip("quality:Q", format=".3f"),
        alt.Tooltip("strong:Q", format=".3f", title="strong model"),
    ]
    for extra, fmt in (
        ("n", "d"),
        ("stakes", ".2f"),
        ("escalation_share", ".0%"),
        ("floor", ".0%"),
    ):
        if extra in df and df[extra].notna().any():
            tips.append(alt.Tooltip(f"{extra}:Q", format=fmt))
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(
                "relative:Q",
                title="quality relative to the strong model",
                scale=alt.Scale(domain=[0, max(1.05, float(df["relative"].max()) + 0.02)]),
            ),
            y=y,
            color=color,
            tooltip=tips,
        )
    )
    text = (
        alt.Chart(df)
        .mark_text(align="left", dx=3, fontSize=11)
        .encode(x="relative:Q", y=y, text=alt.Text("relative:Q", format=".0%"))
    )
    layers = [bars, text]
    if "floor" in df and df["floor"].notna().any():
        layers.append(
            alt.Chart(df.dropna(subset=["floor"]))
            .mark_tick(color="black", thickness=2, size=22)
            .encode(x="floor:Q", y=y, tooltip=[alt.Tooltip("floor:Q", format=".0%")])
        )
    return alt.layer(*layers).properties(width=width, height=h, title=_title(title, False))


def category_bars_frame(table: pd.DataFrame, floor=None) -> pd.DataFrame:
    """The data behind :func:`category_bars` (columns category, quality, strong, relative, floor,
    status, meets_floor, ...), sorted by stakes (highest first) then category."""
    df = pd.DataFrame(table).copy()
    if "category" not in df:
        df = df.reset_index().rename(columns={df.index.name or "index": "category"})
    df["category"] = df["category"].astype(str)
    if "strong" not in df and "ref_quality" in df:
        df["strong"] = df["ref_quality"]
    if "relative" not in df:
        if not {"quality", "strong"} <= set(df.columns):
            raise RouterlabError(
                "category bars need 'quality' and 'strong' columns (or 'relative')"
            )
        with np.errstate(all="ignore"):
            df["relative"] = np.where(df["strong"] > 0, df["quality"] / df["strong"], np.nan)
    for c in ("quality", "strong"):
        if c not in df:
            df[c] = np.nan
    if isinstance(floor, Mapping):
        df["floor"] = df["category"].map({str(k): float(v) for k, v in floor.items()})
    elif floor is not None:
        df["floor"] = float(floor)
    else:
        df["floor"] = np.nan
    has = df["floor"].notna()
    df["meets_floor"] = ~has | (df["relative"] >= df["floor"] - 1e-12)
    df["status"] = np.where(
        ~has, "no floor", np.where(df["meets_floor"], "meets floor", "below floor")
    )
    if "stakes" in df:
        df = df.sort_values(["stakes", "category"], ascending=[False, True])
    else:
        df = df.sort_values("category")
    return df.reset_index(drop=True)


# ----------------------------------------------------------------------------- shares
def model_share(
    decisions: Sequence[str] | Mapping[str, float],
    *,
    models: Sequence[str] | None = None,
    simulated: Sequence[str] = (),
    title: str | None = "Where the queries go",
    width: int = WIDTH,
) -> alt.LayerChart:
    """One stacked bar: the share of queries each model answers (the escalation share at a glance).

    Parameters
    ----------
    decisions : array of model names, or mapping model -> share
        Per-query routing decisions, or the shares directly.
    models : list of str, optional
        Order of the stack (cheapest first reads best); defaults to order of appearance.
    simulated : list of str
        Scenario models, labelled "(simulated)".

    Examples
    --------
    >>> model_share(["w", "w", "s"]).to_dict()["layer"][0]["mark"]["type"]
    'bar'
    """
    df = model_share_frame(decisions, models=models, simulated=simulated)
    sim = bool(df["simulated"].any())
    base = alt.Chart(df).encode(
        x=alt.X(
            "share:Q",
            stack="zero",
            title="share of queries",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        order=alt.Order("order:Q"),
    )
    bar = base.mark_bar(height=28).encode(
        color=alt.Color("label:N", title="model", sort=df["label"].tolist()),
        tooltip=[
            alt.Tooltip("label:N", title="model"),
            alt.Tooltip("share:Q", format=".1%"),
            alt.Tooltip("count:Q", title="queries"),
        ],
    )
    text = (
        base.mark_text(align="center", color="white", fontSize=11)
        .transform_filter("datum.share >= 0.06")
        .encode(x=alt.X("mid:Q"), text=alt.Text("share:Q", format=".0%"))
    )
    return alt.layer(bar, text).properties(width=width, height=40, title=_title(title, sim))


def model_share_frame(decisions, *, models=None, simulated=()) -> pd.DataFrame:
    """The data behind :func:`model_share`: model, label, share, count, order, mid, simulated."""
    if isinstance(decisions, Mapping):
        shares = {str(k): float(v) for k, v in decisions.items()}
        counts = {k: np.nan for k in shares}
    else:
        d = np.asarray(decisions).astype(str)
        if d.size == 0:
            raise RouterlabError("no decisions to chart")
        names, cnt = np.unique(d, return_counts=True)
        counts = dict(zip(names.tolist(), cnt.tolist(), strict=True))
        shares = {k: v / d.size for k, v in counts.items()}
    order = list(models) if models is not None else list(shares)
    order += [m for m in shares if m not in order]
    sim = set(simulated)
    df = pd.DataFrame(
        {
            "model": order,
            "label": [f"{m} (simulated)" if m in sim else m for m in order],
            "share": [shares.get(m, 0.0) for m in order],
            "count": [counts.get(m, 0) for m in order],
            "order": range(len(order)),
            "simulated": [m in sim for m in order],
        }
    )
    df["mid"] = df["share"].cumsum() - df["share"] / 2
    return df


# ----------------------------------------------------------------------------- calibration
def calibration(
    table: pd.DataFrame,
    *,
    current: float | None = None,
    title: str | None = "Intended vs realised strong-call share",
    width: int = 320,
    height: int = 300,
) -> alt.LayerChart:
    """Target share (x) against the share realised on held-out data (y), with CI error bars.

    Parameters
    ----------
    table : DataFrame
        Columns ``target`` and ``realised`` (shares in [0, 1]) and optionally ``lo``/``hi`` (the CI of
        the realised share). Points on the diagonal are well calibrated.
    current : float, optional
        Highlights the row whose ``target`` is closest to it (the widget's slider).

    Examples
    --------
    >>> t = pd.DataFrame({"target": [0.3], "realised": [0.6], "lo": [0.5], "hi": [0.7]})
    >>> len(calibration(t).to_dict()["layer"]) >= 3
    True
    """
    df = pd.DataFrame(table).copy()
    for need in ("target", "realised"):
        if need not in df:
            raise RouterlabError(f"a calibration table needs a {need!r} column")
    df["current"] = False
    if current is not None and len(df):
        df.loc[(df["target"] - current).abs().idxmin(), "current"] = True
    ax = alt.Scale(domain=[0, 1])
    diag = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(
            x=alt.X("x:Q", scale=ax, title="intended share", axis=alt.Axis(format="%")),
            y=alt.Y("x:Q", scale=ax, title="realised share", axis=alt.Axis(format="%")),
        )
    )
    layers = [diag]
    x = alt.X("target:Q", scale=ax, title="intended share")
    if {"lo", "hi"} <= set(df.columns):
        layers.append(
            alt.Chart(df).mark_rule(strokeWidth=2).encode(x=x, y=alt.Y("lo:Q", scale=ax), y2="hi:Q")
        )
    tips = [
        alt.Tooltip("target:Q", format=".1%", title="intended"),
        alt.Tooltip("realised:Q", format=".1%"),
    ]
    if {"lo", "hi"} <= set(df.columns):
        tips += [
            alt.Tooltip("lo:Q", format=".1%", title="CI low"),
            alt.Tooltip("hi:Q", format=".1%", title="CI high"),
        ]
    layers.append(
        alt.Chart(df)
        .mark_point(filled=True)
        .encode(
            x=x,
            y=alt.Y("realised:Q", scale=ax),
            size=alt.condition("datum.current", alt.value(200), alt.value(60)),
            color=alt.condition("datum.current", alt.value("#e45756"), alt.value("#4c78a8")),
            tooltip=tips,
        )
    )
    return alt.layer(*layers).properties(width=width, height=height, title=_title(title, False))


def reliability(
    table: pd.DataFrame,
    *,
    title: str | None = "Reliability diagram",
    width: int = 300,
    height: int = 300,
) -> alt.LayerChart:
    """Predicted probability (x) against observed frequency (y) per bin, sized by count.

    Parameters
    ----------
    table : DataFrame
        One row per bin: ``predicted`` (mean predicted probability), ``observed`` (observed rate),
        optional ``count``. (``prob``/``mean_prob``/``confidence`` and ``frac``/``accuracy``/
        ``outcome_rate`` are accepted as aliases.)

    Examples
    --------
    >>> t = pd.DataFrame({"predicted": [0.2, 0.8], "observed": [0.3, 0.7], "count": [10, 12]})
    >>> reliability(t).to_dict()["layer"][1]["mark"]["type"]
    'line'
    """
    df = pd.DataFrame(table).copy()
    alias = {
        "prob": "predicted",
        "mean_prob": "predicted",
        "confidence": "predicted",
        "mean_pred": "predicted",
        "frac": "observed",
        "accuracy": "observed",
        "outcome_rate": "observed",
        "mean_outcome": "observed",
        "n": "count",
    }
    df = df.rename(columns={k: v for k, v in alias.items() if k in df and v not in df})
    for need in ("predicted", "observed"):
        if need not in df:
            raise RouterlabError(f"a reliability table needs a {need!r} column")
    if "count" not in df:
        df["count"] = 1
    df = df[df["count"] > 0]
    ax = alt.Scale(domain=[0, 1])
    diag = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(
            x=alt.X("x:Q", scale=ax, title="predicted probability"),
            y=alt.Y("x:Q", scale=ax, title="observed frequency"),
        )
    )
    line = (
        alt.Chart(df)
        .mark_line(point=False)
        .encode(x=alt.X("predicted:Q", scale=ax), y=alt.Y("observed:Q", scale=ax))
    )
    dots = (
        alt.Chart(df)
        .mark_circle()
        .encode(
            x=alt.X("predicted:Q", scale=ax),
            y=alt.Y("observed:Q", scale=ax),
            size=alt.Size("count:Q", title="queries"),
            tooltip=[
                alt.Tooltip("predicted:Q", format=".2f"),
                alt.Tooltip("observed:Q", format=".2f"),
                alt.Tooltip("count:Q"),
            ],
        )
    )
    return alt.layer(diag, line, dots).properties(
        width=width, height=height, title=_title(title, False)
    )


# ----------------------------------------------------------------------------- latency
def latency(
    table: pd.DataFrame,
    *,
    budget_s: float | None = None,
    title: str | None = "Latency per query",
    width: int = WIDTH,
    height: int = 200,
    max_rows: int = 5000,
) -> alt.LayerChart:
    """Latency distributions per tier (e.g. edge vs cloud) with p50/p95 ticks and a budget rule.

    Parameters
    ----------
    table : DataFrame
        One row per query: ``latency_s`` and ``tier`` (e.g. ``"edge"``/``"cloud"``; any labels).
        A ``simulated`` bool column (or a tier label containing "(simulated)") adds the subtitle.
    budget_s : float, optional
        A latency budget drawn as a vertical rule.

    Examples
    --------
    >>> t = pd.DataFrame({"latency_s": [0.1, 0.2, 1.5], "tier": ["edge", "edge", "cloud"]})
    >>> sorted(latency_summary(t)["tier"])
    ['cloud', 'edge']
    """
    df = pd.DataFrame(table).copy()
    for need in ("latency_s", "tier"):
        if need not in df:
            raise RouterlabError(f"a latency table needs a {need!r} column")
    df = df[np.isfinite(df["latency_s"].astype(float))]
    sim = (
        bool(df.get("simulated", pd.Series(False, index=df.index)).any())
        or df["tier"].astype(str).str.contains(r"\(simulated\)").any()
    )
    if len(df) > max_rows:
        df = df.sample(max_rows, random_state=0)
    summ = latency_summary(df)
    y = alt.Y("tier:N", title=None)
    x = alt.X("latency_s:Q", title="latency (s)")
    dots = (
        alt.Chart(df)
        .mark_tick(opacity=0.35, thickness=1)
        .encode(x=x, y=y, color=alt.Color("tier:N", legend=None))
    )
    p50 = (
        alt.Chart(summ)
        .mark_tick(color="black", thickness=2, size=26)
        .encode(
            x="p50:Q",
            y=y,
            tooltip=[alt.Tooltip("tier:N"), alt.Tooltip("p50:Q", format=".3f"), alt.Tooltip("n:Q")],
        )
    )
    p95 = (
        alt.Chart(summ)
        .mark_point(shape="triangle-down", color="black", size=90, filled=True)
        .encode(
            x="p95:Q",
            y=y,
            tooltip=[alt.Tooltip("tier:N"), alt.Tooltip("p95:Q", format=".3f", title="p95 (s)")],
        )
    )
    layers = [dots, p50, p95]
    if budget_s is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"budget": [float(budget_s)]}))
            .mark_rule(color="#e45756", strokeDash=[6, 3])
            .encode(x="budget:Q", tooltip=[alt.Tooltip("budget:Q", title="budget (s)")])
        )
    return alt.layer(*layers).properties(
        width=width, height=height, title=_title(title, sim, "tick = median, triangle = p95")
    )


def latency_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per tier: n, p50 and p95 latency (seconds)."""
    df = pd.DataFrame(table)
    g = df.groupby("tier")["latency_s"]
    return pd.DataFrame(
        {"n": g.size(), "p50": g.quantile(0.5), "p95": g.quantile(0.95)}
    ).reset_index()


__all__ = [
    "SIMULATED_NOTE",
    "THRESHOLD_PARAM",
    "calibration",
    "category_bars",
    "category_bars_frame",
    "cost_quality",
    "curve_frame",
    "latency",
    "latency_summary",
    "model_points",
    "model_share",
    "model_share_frame",
    "operating_point_layer",
    "reliability",
    "threshold_param",
]
