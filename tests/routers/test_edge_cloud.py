import math
import warnings

import numpy as np
import pytest

from routerlab.routers import make_router
from routerlab.routers.edge_cloud import erlang_c, mixture_quantiles


def test_pii_never_leaves_the_edge(outcomes):
    r = make_router("edge_cloud", edge="weak", cloud="strong").fit(outcomes)
    pii = outcomes.queries["contains_pii"].to_numpy()
    for t in (0.0, 0.5, None):
        d = r.route(outcomes, threshold=t)
        assert (d[pii] == "weak").all()
    assert (r.route(outcomes, threshold=0.0)[~pii] == "strong").all()
    res = r.simulate(outcomes, threshold=0.0)
    assert (res.model[pii] == "weak").all()


def test_erlang_c_and_queue_quantiles():
    assert erlang_c(0.5, 1.0, 1) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(2.0, 1.0, 2) == 1.0  # unstable
    # M/M/1 with exponential-like service: p50 grows with load
    sq = np.quantile(np.random.default_rng(0).exponential(1.0, 5000), np.linspace(0, 1, 101))
    lo = mixture_quantiles(1.0, sq, sq, 0.1, 1.0, 1)
    hi = mixture_quantiles(1.0, sq, sq, 0.8, 1.0, 1)
    assert hi[0.5] > lo[0.5] and hi[0.95] > hi[0.5]
    # M/M/1 response time is exponential with rate mu - lambda: p50 = ln2 / 0.2
    assert hi[0.5] == pytest.approx(math.log(2) / 0.2, rel=0.1)
    assert math.isinf(mixture_quantiles(1.0, sq, sq, 1.5, 1.0, 1)[0.95])


def test_latency_budget_moves_traffic_to_the_cloud(outcomes):
    free = make_router(
        "edge_cloud", edge="weak", cloud="strong", arrival_rate=0.4, threshold=0.9
    ).fit(outcomes)
    budget = free.latency_report_["p95"] * 0.8
    tight = make_router(
        "edge_cloud",
        edge="weak",
        cloud="strong",
        arrival_rate=0.4,
        threshold=0.9,
        latency_p95_budget=budget,
    ).fit(outcomes)
    assert tight.threshold_ < free.threshold_
    assert tight.latency_report_["p95"] <= budget
    assert tight.latency_report_["edge_share"] < free.latency_report_["edge_share"]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        make_router(
            "edge_cloud", edge="weak", cloud="strong", arrival_rate=50.0, latency_p95_budget=0.01
        ).fit(outcomes)
    assert any("cannot be met" in str(x.message) for x in w)


def test_edge_token_cost(outcomes):
    r = make_router("edge_cloud", edge="weak", cloud="strong", edge_cost_per_1k_tokens=0.002).fit(
        outcomes
    )
    res = r.simulate(outcomes)
    on_edge = res.model == "weak"
    toks = outcomes.tokens_in[:, 0] + outcomes.tokens_out[:, 0]
    np.testing.assert_allclose(res.cost[on_edge], toks[on_edge] / 1000 * 0.002)
    assert (res.latency[on_edge] >= outcomes.latency[on_edge, 0]).all()


def test_edge_cloud_on_support_desk(bundled):
    train, test, strong, weak = bundled
    r = make_router(
        "edge_cloud",
        edge="gemma3-270m",
        cloud=strong,
        edge_cost_per_1k_tokens=0.0001,
        arrival_rate=0.05,
    ).fit(train)
    pii = test.queries["contains_pii"].to_numpy()
    assert pii.any()
    for t in (0.0, None):
        res = r.simulate(test, threshold=t)
        assert (res.model[pii] == "gemma3-270m").all()
    rep = r.latency_report_
    assert 0 < rep["utilisation"] < 1 and rep["p95"] >= rep["p50"] > 0
