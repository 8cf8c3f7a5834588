"""Retry economics by hand; router overhead measured and added."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.evaluate import apply, measure_overhead, retry_economics, retry_table, with_overhead
from routerlab.outcomes import Outcomes
from routerlab.routers import make_router


@pytest.fixture
def table():
    # q0: both right; q1: only strong right; q2: both wrong (graded .5 for weak on q3)
    q = pd.DataFrame({"prompt": ["a", "b", "c", "d"]})
    quality = [[1, 1], [0, 1], [0, 0], [0.5, 1]]
    cost = [[1.0, 10.0]] * 4
    latency = [[0.5, 2.0]] * 4
    return Outcomes.from_arrays(q, ["w", "s"], quality=quality, cost=cost, latency=latency)


def test_retry_to_same_model_hand_case(table):
    r = apply(table, ["w"] * 4)
    e = retry_economics(r, p_retry=0.5, retry_to="same", max_retries=1)
    # reach per query: 0, .5, .5, .25 -> calls 1 + mean = 1.3125
    assert e.calls_per_request == pytest.approx(1 + (0 + 0.5 + 0.5 + 0.25) / 4)
    # final quality: q1 + reach*q2 = 1, 0, 0, .5 + .25*.5
    assert e.final_quality == pytest.approx((1 + 0 + 0 + 0.625) / 4)
    assert e.cost_per_1k == pytest.approx(1000 * (1 + 1.5 + 1.5 + 1.25) / 4)
    assert e.first_cost_per_1k == pytest.approx(1000.0)
    assert e.retry_share == pytest.approx(1.25 / 4)


def test_retry_to_strong_and_repeated_retries(table):
    r = apply(table, ["w"] * 4)
    e = retry_economics(r, p_retry=1.0, retry_to="strong", max_retries=3)
    # q1: retry to strong succeeds; q2: strong fails too -> 3 retries; q3: one retry (p=.5)
    calls = [1, 2, 4, 1.5]
    cost = [1, 11, 31, 6]
    assert e.calls_per_request == pytest.approx(np.mean(calls))
    assert e.cost_per_1k == pytest.approx(1000 * np.mean(cost))
    assert e.final_quality == pytest.approx(np.mean([1, 1, 0, 1]))
    assert e.extra_cost_share == pytest.approx(1 - 1000 / e.cost_per_1k)


def test_cheaper_router_with_retries_shows_true_cost(table):
    cheap = apply(table, ["w", "w", "w", "w"], name="cheap")
    smart = apply(table, ["w", "s", "w", "s"], name="smart")
    assert cheap.cost_per_1k < smart.cost_per_1k
    t = retry_table({"cheap": cheap, "smart": smart}, p_retry=1.0, retry_to="strong", max_retries=1)
    assert t.loc["cheap", "cost_per_1k"] > cheap.cost_per_1k
    assert t.loc["smart", "final_quality"] >= t.loc["cheap", "final_quality"] - 1e-12
    assert list(t.columns)[:2] == ["first_cost_per_1k", "cost_per_1k"]


def test_retry_bad_inputs(table):
    r = apply(table, ["w"] * 4)
    with pytest.raises(RouterlabError, match="p_retry"):
        retry_economics(r, p_retry=1.5)
    with pytest.raises(RouterlabError, match="not in the table"):
        retry_economics(r, p_retry=0.5, retry_to="gpt-9")


def test_measure_overhead_and_add(table):
    router = make_router("category").fit(table)
    ov = measure_overhead(router, table, n=4, usd_per_decision=1e-5)
    assert ov.n_timed == 4 and ov.decision_s > 0 and ov.embed_s == 0.0
    assert ov.total_s == pytest.approx(ov.decision_s)
    r = apply(table, router.route(table))
    r2 = with_overhead(r, ov)
    assert r2.cost_per_1k == pytest.approx(r.cost_per_1k + 1000 * 1e-5)
    assert r2.latency_p50 == pytest.approx(r.latency_p50 + ov.total_s)


@pytest.mark.slow
def test_measure_overhead_with_real_embeddings(tmp_path, monkeypatch):
    """knn needs the query embedding: its per-query cost is timed with the real encoder."""
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path))
    rng = np.random.default_rng(0)
    n = 40
    q = pd.DataFrame(
        {
            "prompt": [
                f"question number {i} about {w}"
                for i, w in enumerate(rng.choice(["tax law", "cooking", "algebra"], n))
            ]
        }
    )
    quality = np.c_[rng.random(n) < 0.5, np.ones(n)].astype(float)
    o = Outcomes.from_arrays(q, ["w", "s"], quality=quality, cost=np.tile([1e-4, 1e-3], (n, 1)))
    router = make_router("knn", k=5).fit(o)
    ov = measure_overhead(router, o, n=8, embed_usd_per_mtok=0.02)
    assert ov.n_timed == 8 and ov.embed_s > 0 and ov.decision_s > 0
    assert ov.total_s >= ov.decision_s and ov.decision_usd > 0
    plain = measure_overhead(router, o, n=8, include_embedding=False)
    assert plain.embed_s == 0.0
