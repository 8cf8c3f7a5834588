"""Widgets driven from Python, without a browser: state in, numbers and charts out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import traitlets
from tables import three_tier_table

from routerlab import charts, evaluate
from routerlab import widgets as RW
from routerlab.errors import RouterlabError
from routerlab.outcomes import Outcomes


@pytest.fixture(scope="module")
def table():
    return three_tier_table(160, seed=7, prompt="question {i} <b>", extras=True)


def test_threshold_explorer_follows_threshold(table):
    o, score = table
    w = RW.ThresholdExplorer(o, score, weak="weak", strong="strong", threshold=0.5, floor=0.95)
    for t in (0.5, 0.2, 0.8):
        w.threshold = t
        assert w.slider.value == t
        assert w.chart.params.threshold == t  # the chart's operating point parameter
        assert w.escalation_share == pytest.approx(np.mean(score >= t))
        direct = evaluate.apply(
            o, np.where(score >= t, "strong", "weak"), weak="weak", strong="strong"
        )
        assert w.mean_quality == pytest.approx(direct.mean_quality)
        assert w.cost_per_1k == pytest.approx(direct.cost_per_1k)
        assert f"{np.mean(score >= t):.1%}" in w.readout.value
    # Moving the slider (what the reader does) moves the state.
    w.slider.value = 0.35
    assert w.threshold == 0.35 and w.escalation_share == pytest.approx(np.mean(score >= 0.35))
    with pytest.raises(traitlets.TraitError):
        w.escalation_share = 0.1  # read-only


def test_threshold_explorer_floor_and_bars(table):
    o, score = table
    w = RW.ThresholdExplorer(o, score, weak="weak", strong="strong", floor={"legal": 0.99})
    w.threshold = (
        1.01  # nothing escalated: the weak model's legal quality is far below the strong one
    )
    assert w.escalation_share == 0
    assert w.below_floor == ["legal"]
    assert "below floor" in w.readout.value
    spec = json.dumps(w.bars.chart.to_dict())
    assert "threshold 1.01" in spec and "legal" in spec
    w.threshold = 0.0  # everything to strong: relative quality 1
    assert w.escalation_share == 1 and w.below_floor == []


def test_threshold_explorer_chart_labels_and_errors(table):
    o, score = table
    w = RW.ThresholdExplorer(o, score)  # defaults: cheapest and best model
    assert (w.weak, w.strong) == ("weak", "scenario:frontier")
    assert charts.SIMULATED_NOTE in json.dumps(w.chart.spec)
    with pytest.raises(RouterlabError, match="one binary router score per query"):
        RW.ThresholdExplorer(o, score[:-1])
    with pytest.raises(RouterlabError, match="not in the table"):
        RW.ThresholdExplorer(o, score, strong="nope")


def test_router_comparison_toggles_and_cis(table):
    o, score = table
    rnd = np.random.default_rng(0).random(o.n)
    w = RW.RouterComparison(
        o, {"good": score, "random": rnd}, weak="weak", strong="strong", n_boot=100
    )
    assert list(w.table.index) == ["good", "random"]
    assert (
        w.table.loc["good", "apgr_lo"]
        <= w.table.loc["good", "apgr"]
        <= w.table.loc["good", "apgr_hi"]
    )
    assert w.table.loc["good", "apgr"] > w.table.loc["random", "apgr"]
    band = w.bands["good"]
    assert (band["lo"] <= band["hi"] + 1e-12).all()
    w.selected = ["random"]
    assert [t.value for t in w.toggles.values()] == [False, True]
    spec = json.dumps(w.chart.spec)
    assert '"random"' in spec and '"good"' not in spec
    w.toggles["good"].value = True  # a click on the toggle
    assert w.selected == ["good", "random"]
    with pytest.raises(RouterlabError, match="unknown routers"):
        w.selected = ["nope"]


def _chart_routers(w) -> set:
    """Routers drawn in a RouterComparison's chart (curve and band rows carry ``router``)."""
    return {r["router"] for d in w.chart.spec["datasets"].values() for r in d if "router" in r}


def test_router_comparison_selected_and_toggles_stay_consistent(table):
    o, score = table
    rng = np.random.default_rng(1)
    scores = {"a": score, "b": rng.random(o.n), "c": rng.random(o.n)}
    w = RW.RouterComparison(o, scores, weak="weak", strong="strong", n_boot=20, bands=False)
    toggled = lambda: [k for k, t in w.toggles.items() if t.value]  # noqa: E731
    for sel in (["a"], ["c", "b"], [], ["b"], ["a", "b", "c"], ["c"]):
        w.selected = sel
        assert w.selected == sorted(sel)  # the toggles' order
        assert toggled() == w.selected
        assert _chart_routers(w) == set(sel)
    w.toggles["a"].value = True  # clicks
    assert w.selected == ["a", "c"] and _chart_routers(w) == {"a", "c"}
    w.toggles["c"].value = False
    assert w.selected == ["a"] == toggled() and _chart_routers(w) == {"a"}
    with pytest.raises(RouterlabError, match="unknown routers"):
        w.selected = ["b", "nope"]
    assert w.selected == ["a"] == toggled() and _chart_routers(w) == {"a"}  # refused whole


def test_router_comparison_many_routers_long_curves():
    """Nine routers x 600 queries: 5,400 curve points, over Altair's 5,000-row limit if not thinned."""
    rng = np.random.default_rng(3)
    n = 600
    queries = pd.DataFrame({"prompt": [f"q{i}" for i in range(n)], "category": ["x"] * n})
    o = Outcomes.from_arrays(
        queries,
        ["weak", "strong"],
        quality=np.c_[rng.random(n) < 0.5, rng.random(n) < 0.9].astype(float),
        cost=np.c_[np.full(n, 1e-5), np.full(n, 1e-3)],
    )
    scores = {f"r{i}": rng.random(n) for i in range(9)}
    w = RW.RouterComparison(o, scores, n_boot=10)
    spec = w.chart.chart.to_dict()  # raises MaxRowsError when the data is too long
    curves = [
        pd.DataFrame(d)
        for d in spec["datasets"].values()
        if d and {"router", "threshold"} <= d[0].keys()
    ]
    assert len(curves) == 1
    per = curves[0].groupby("router")
    assert set(per.groups) == set(scores)
    assert per.size().max() <= 202 and per.size().min() >= 100  # thinned, not gutted
    assert (per["share"].min() == 0).all() and (per["share"].max() == 1).all()  # endpoints kept
    for k in scores:  # the thinned points lie on the full curve
        c = w.curves[k]
        drawn = curves[0][curves[0]["router"] == k]
        assert np.interp(drawn["share"], c.share, c.quality) == pytest.approx(drawn["quality"])
    w.selected = ["r0"]
    assert _chart_routers(w) == {"r0"}


def test_curve_band_covers_the_curve(table):
    o, score = table
    b = RW.curve_band(score, o.quality[:, 0], o.quality[:, 1], n_boot=200)
    assert b["share"].iloc[0] == 0 and b["share"].iloc[-1] == 1
    inside = (b["lo"] - 0.02 <= b["quality"]) & (b["quality"] <= b["hi"] + 0.02)
    assert inside.mean() > 0.9
    assert (b["hi"] - b["lo"]).max() > 0  # a real interval


def test_cascade_explorer_counts_every_stage(table):
    o, _ = table
    w = RW.CascadeExplorer(o, ["weak", "strong"], thresholds=[0.0])
    assert w.calls_per_query == 1 and w.escalation_share == 0  # weak always accepted
    w.thresholds = [1.01]  # never accepted: both stages run for every query
    assert w.calls_per_query == 2 and w.escalation_share == 1
    assert w.cost_per_1k == pytest.approx(1000 * (1e-5 + 1e-3))
    w.sliders[0].value = 0.5
    conf = o.confidence[:, 0]
    assert w.thresholds == [0.5]
    assert w.escalation_share == pytest.approx(np.mean(conf < 0.5))
    with pytest.raises(RouterlabError, match="confidence"):
        RW.CascadeExplorer(o, ["scenario:frontier", "strong"])


def test_edge_cloud_explorer_drives_simulation(table):
    o, _ = table
    calls = []

    def simulate(privacy, budget, capacity):
        calls.append((privacy, budget, capacity))
        pii = o.queries["contains_pii"].to_numpy()
        edge = (pii & privacy) | (o.latency[:, 1] > budget)
        return evaluate.apply(o, np.where(edge, "weak", "strong"), weak="weak", strong="strong")

    w = RW.EdgeCloudExplorer(simulate, edge="weak", privacy=True, latency_budget=2.0)
    pii = o.queries["contains_pii"].to_numpy()
    assert w.edge_share == pytest.approx(np.mean(pii | (o.latency[:, 1] > 2.0)))
    w.privacy = False
    assert calls[-1][0] is False and w.w_privacy.value is False
    assert w.edge_share == pytest.approx(np.mean(o.latency[:, 1] > 2.0))
    w.w_budget.value = 0.5
    assert w.latency_budget == 0.5 and w.latency_p95 == pytest.approx(w.result.latency_p95)
    assert "budget 0.5 s" in w.readout.value


def test_calibration_explorer_realised_share(table):
    _, score = table
    rng = np.random.default_rng(3)
    cal, test = score, np.clip(score + 0.3 * rng.random(len(score)), 0, 1)  # drifted traffic
    w = RW.CalibrationExplorer(cal, test, target=0.3, n_boot=200)
    assert np.mean(cal >= w.threshold) == pytest.approx(0.3, abs=0.02)
    assert w.realised_share == pytest.approx(np.mean(test >= w.threshold))
    assert w.realised_share > 0.4  # drift: more traffic escalated than intended
    lo, hi = w.ci
    assert lo <= w.realised_share <= hi
    w.target = 0.6
    assert np.mean(cal >= w.threshold) == pytest.approx(0.6, abs=0.02)
    assert len(w.table) > 5 and {"target", "realised", "lo", "hi"} <= set(w.table.columns)


def test_query_inspector_shows_answers_and_escapes(table):
    o, score = table
    dec = np.where(score >= 0.5, "strong", "weak")
    w = RW.QueryInspector(o, score, dec)
    w.index = 3
    d = w.detail
    assert "question 3 &lt;b&gt;" in d  # prompt escaped
    assert "w3" in d and "s3" in d and "f3" in d  # every model's answer
    assert "scenario:frontier (simulated)" in d
    assert f"{score[3]:.3f}" in d and "← router" in d
    w.select.value = 5
    assert w.index == 5 and "question 5" in w.detail
    with pytest.raises(RouterlabError, match="out of range"):
        w.index = o.n + 1


def test_policy_export_button(tmp_path):
    written = []

    def export(path):
        if path.endswith(".txt"):
            raise RouterlabError("a policy file ends in .json")
        (tmp_path / path).write_text("{}")
        written.append(path)
        return tmp_path / path

    b = RW.PolicyExportButton(export, path="p.json")
    b.button.click()
    assert written == ["p.json"] and b.last_path == str(tmp_path / "p.json")
    assert b.status.startswith("wrote")
    b.text.value = "p.txt"
    assert b.export() is None
    assert b.status == "error: a policy file ends in .json" and "error" in b.message.value


def test_cascade_explorer_from_router_matches_router(table):
    from routerlab.routers import make_router

    o, _ = table
    router = make_router("cascade", models=["weak", "strong"], verifier="confidence").fit(o)
    w = RW.CascadeExplorer.from_router(router, o)
    direct = router.simulate(o)
    assert w.thresholds == [min(float(router.thresholds_[0]), 1.01)]
    assert w.cost_per_1k == pytest.approx(direct.cost_per_1k)
    assert w.mean_quality == pytest.approx(direct.mean_quality)
    w.thresholds = [0.0]  # accept every first answer
    assert w.calls_per_query == 1 and w.escalation_share == 0
    assert list(router.thresholds_) != [0.0]  # the router itself is untouched


def test_edge_cloud_explorer_from_router(table):
    from routerlab.routers import make_router

    o, _ = table
    train, test = o.train_test_split(0.5, seed=0)
    router = make_router("edge_cloud", edge="weak", cloud="strong", arrival_rate=0.5)
    w = RW.EdgeCloudExplorer.from_router(router, train, test, latency_budget=5.0)
    pii = test.queries["contains_pii"].to_numpy()
    on_edge = np.asarray(w.result.model) == "weak"
    assert on_edge[pii].all()  # privacy rule: PII stays on the edge
    share_private = w.edge_share
    w.privacy = False
    assert w.edge_share <= share_private
    assert not (np.asarray(w.result.model)[pii] == "weak").all() or w.edge_share == 1
    w.edge_capacity = 4
    assert w.latency_p95 == pytest.approx(w.result.latency_p95)


def test_query_inspector_follows_a_click_on_the_chart(table):
    from altair.utils.selection import PointSelection

    o, score = table
    w = RW.QueryInspector(o, score)
    # What the browser sends when a point is clicked (the chart's "pick" selection).
    w.chart.selections._set_value("pick", PointSelection(name="pick", value=[{"row": 7}], store=[]))
    assert w.index == 7 and "question 7 " in w.detail and w.select.value == 7
