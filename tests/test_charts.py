"""Chart builders: specs contain what they should; export to PNG/SVG/HTML works offline."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tables import three_tier_table

from routerlab import charts
from routerlab.charts_export import charts_page, enable_offline, save_chart
from routerlab.errors import RouterlabError
from routerlab.evaluate import curve


@pytest.fixture
def table():
    return three_tier_table(120, seed=1)


def _spec_text(chart) -> str:
    return json.dumps(chart.to_dict())


def test_model_points_label_simulated(table):
    o, _ = table
    pts = charts.model_points(o)
    assert (
        pts.set_index("model").loc["scenario:frontier", "label"] == "scenario:frontier (simulated)"
    )
    assert pts["simulated"].tolist() == [False, False, True]
    assert np.allclose(pts["cost_per_1k"], [0.01, 1.0, 4.0])


def test_cost_quality_marks_simulated_and_has_threshold_param(table):
    o, score = table
    c = curve(score, o.quality[:, 0], o.quality[:, 1], o.cost[:, 0], o.cost[:, 1])
    ch = charts.cost_quality(o, {"knn": c}, threshold=0.4)
    spec = ch.to_dict()
    text = json.dumps(spec)
    assert "scenario:frontier (simulated)" in text
    assert charts.SIMULATED_NOTE in text  # the subtitle
    assert [p["name"] for p in spec["params"]] == [charts.THRESHOLD_PARAM]
    assert spec["params"][0]["value"] == 0.4
    # The operating point is computed from the parameter in the browser.
    assert "datum.threshold >= threshold" in text


def test_no_subtitle_without_scenario_models(table):
    o, _ = table
    ch = charts.cost_quality(o.select_models(["weak", "strong"]))
    assert charts.SIMULATED_NOTE not in _spec_text(ch)


def test_curve_frame_replaces_inf_threshold_and_thins(table):
    o, score = table
    c = curve(score, o.quality[:, 0], o.quality[:, 1])
    df = charts.curve_frame(c, "r")
    assert np.isfinite(df["threshold"]).all()
    assert df["threshold"].iloc[0] > score.max()  # "nothing to strong" stays above every score
    small = charts.curve_frame(c, "r", max_points=10)
    assert len(small) <= 10 and small["share"].iloc[-1] == 1.0


def test_operating_point_matches_routing_rule(table):
    """The Vega-Lite filters pick the point a real deployment reaches: score >= t goes strong."""
    o, score = table
    c = curve(score, o.quality[:, 0], o.quality[:, 1])
    df = charts.curve_frame(c, "r", max_points=10_000)
    for t in (0.0, 0.25, 0.5, 0.77, 1.5):
        cand = df[df["threshold"] >= t]
        cand = cand[cand["threshold"] == cand["threshold"].min()]
        share = cand["share"].max()
        assert share == pytest.approx(np.mean(score >= t))


def test_operating_point_needs_a_curve(table):
    o, _ = table
    with pytest.raises(RouterlabError, match="curve"):
        charts.cost_quality(o, threshold=0.5)
    with pytest.raises(RouterlabError, match="no curve named"):
        charts.cost_quality(
            o,
            {"a": pd.DataFrame({"share": [0, 1], "quality": [0.5, 0.9], "cost": [0, 1]})},
            threshold=0.5,
            threshold_router="b",
        )


def test_bands_drawn(table):
    o, score = table
    c = curve(score, o.quality[:, 0], o.quality[:, 1], o.cost[:, 0], o.cost[:, 1])
    band = pd.DataFrame({"cost": c.cost, "lo": c.quality - 0.02, "hi": c.quality + 0.02})
    spec = charts.cost_quality(o, {"knn": c}, {"knn": band}).to_dict()
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in spec["layer"]
    ]
    assert "area" in marks
    with pytest.raises(RouterlabError, match="lo"):
        charts.cost_quality(o, {"knn": c}, {"knn": band.drop(columns="lo")})


def test_category_bars_floor_and_order():
    t = pd.DataFrame(
        {
            "category": ["billing", "legal", "tech"],
            "quality": [0.85, 0.70, 0.90],
            "ref_quality": [0.90, 0.92, 0.91],
            "stakes": [1.0, 3.0, 1.0],
        }
    )
    frame = charts.category_bars_frame(t, {"legal": 0.95, "billing": 0.9})
    assert frame["category"].tolist()[0] == "legal"  # highest stakes first
    status = dict(zip(frame["category"], frame["status"], strict=True))
    assert status == {"legal": "below floor", "billing": "meets floor", "tech": "no floor"}
    spec = charts.category_bars(t, floor=0.95).to_dict()
    assert "tick" in _spec_text_from(spec)


def _spec_text_from(spec) -> str:
    return json.dumps(spec)


def test_category_bars_need_columns():
    with pytest.raises(RouterlabError, match="quality"):
        charts.category_bars(pd.DataFrame({"category": ["a"], "x": [1]}))


def test_model_share_counts_and_labels():
    df = charts.model_share_frame(["w", "w", "s", "w"], models=["w", "s"], simulated=["s"])
    assert df["share"].tolist() == [0.75, 0.25]
    assert df["label"].tolist() == ["w", "s (simulated)"]
    assert charts.SIMULATED_NOTE in _spec_text(charts.model_share(["w", "s"], simulated=["s"]))


def test_calibration_and_reliability_specs():
    cal = pd.DataFrame(
        {"target": [0.1, 0.3], "realised": [0.12, 0.6], "lo": [0.08, 0.5], "hi": [0.15, 0.7]}
    )
    spec = _spec_text(charts.calibration(cal, current=0.3))
    assert "realised" in spec and "rule" in spec
    rel = pd.DataFrame({"mean_prob": [0.2, 0.8], "frac": [0.25, 0.7], "n": [5, 9]})
    assert "observed" in _spec_text(charts.reliability(rel))
    with pytest.raises(RouterlabError):
        charts.calibration(pd.DataFrame({"target": [0.1]}))


def test_latency_summary_and_budget():
    t = pd.DataFrame(
        {"latency_s": [0.1, 0.2, 0.3, 2.0, 3.0], "tier": ["edge"] * 3 + ["cloud (simulated)"] * 2}
    )
    s = charts.latency_summary(t).set_index("tier")
    assert s.loc["edge", "p50"] == pytest.approx(0.2)
    text = _spec_text(charts.latency(t, budget_s=1.0))
    assert '"budget": 1.0' in text and charts.SIMULATED_NOTE in text


@pytest.mark.slow
def test_save_chart_png_svg_html_offline(table, tmp_path):
    o, score = table
    c = curve(score, o.quality[:, 0], o.quality[:, 1], o.cost[:, 0], o.cost[:, 1])
    ch = charts.cost_quality(o, {"knn": c}, threshold=0.5)
    png = save_chart(ch, tmp_path / "plane.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_chart(ch, tmp_path / "plane.svg").read_text()
    assert svg.lstrip().startswith("<svg") and "(simulated)" in svg
    html = save_chart(ch, tmp_path / "plane.html").read_text()
    assert "vegaEmbed" in html and "cdn.jsdelivr" not in html  # JavaScript inlined
    with pytest.raises(RouterlabError, match=r"\.png"):
        save_chart(ch, tmp_path / "plane.gif")


def test_charts_page_embeds_several_charts_once():
    a = charts.model_share(["a", "b"])
    page = charts_page(["<h1>Report</h1>", a, a], title="t <x>")
    assert page.count("vegaEmbed('#rl-chart-") == 2
    assert "<title>t &lt;x&gt;</title>" in page
    assert page.count("<script") == 2  # one bundle, one set of embeds


def test_enable_offline_caches_the_bundle(tmp_path, monkeypatch):
    import altair as alt

    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", False)
    monkeypatch.setattr(alt.JupyterChart, "_esm", alt.JupyterChart._esm)
    enable_offline()
    cached = list((tmp_path / "altair").glob("jupyterchart-*.js"))
    assert len(cached) == 1 and cached[0].stat().st_size > 100_000
    assert alt.JupyterChart._is_offline and alt.renderers.active == "jupyter"
    # A second kernel reads the file instead of rebuilding the bundle.
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", False)
    monkeypatch.setattr(alt.JupyterChart, "_esm", "not offline")
    enable_offline()
    assert alt.JupyterChart._esm == cached[0].read_text()
    alt.renderers.enable("default")


def test_curve_frame_accepts_its_own_output(table):
    """A frame that already has a ``router`` column keeps it (once), or takes the given name."""
    o, score = table
    c = curve(score, o.quality[:, 0], o.quality[:, 1])
    first = charts.curve_frame(c, "r")
    again = charts.curve_frame(first)
    assert list(again.columns).count("router") == 1 and set(again["router"]) == {"r"}
    pd.testing.assert_frame_equal(again, first)
    renamed = charts.curve_frame(first, "knn", max_points=7)
    assert set(renamed["router"]) == {"knn"} and len(renamed) <= 7
    assert renamed["share"].iloc[0] == first["share"].iloc[0]
    assert renamed["share"].iloc[-1] == first["share"].iloc[-1]  # both ends kept
    # A long frame of two routers is thinned per router, each keeping its endpoints.
    two = pd.concat([first, first.assign(router="s")], ignore_index=True)
    thin = charts.curve_frame(two, max_points=5)
    assert thin.groupby("router", sort=False).size().to_dict() == {"r": 5, "s": 5}
    assert (thin.groupby("router")["share"].max() == 1.0).all()
    # ... and it draws: a mapping of such frames goes straight into cost_quality.
    ch = charts.cost_quality(curves={"r": first, "s": first.assign(router="s")})
    routers = {row.get("router") for d in ch.to_dict()["datasets"].values() for row in d}
    assert {"r", "s"} <= routers
