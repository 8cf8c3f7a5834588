"""Small helpers behind the chapters: traffic shifts, the declared judge, the edge box's price."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.hardware import edge_price_per_1k_tokens, tokens_per_second
from routerlab.outcomes import Outcomes
from routerlab.traffic import mix, shift
from routerlab.verifiers import add_judge, simulated_judge


def _table(n=300):
    cats = np.array(["easy", "hard", "mid"])[np.arange(n) % 3]
    q = pd.DataFrame({"prompt": [f"q{i}" for i in range(n)], "category": cats})
    rng = np.random.default_rng(0)
    qual = rng.integers(0, 2, (n, 2)).astype(float)
    return Outcomes.from_arrays(
        q,
        ["w", "s"],
        quality=qual,
        latency=np.full((n, 2), 0.5),
        tokens_in=np.full((n, 2), 30.0),
        tokens_out=np.full((n, 2), 20.0),
    )


def test_shift_keeps_fractions_without_duplicates():
    o = _table()
    s = shift(o, {"easy": 0.2, "mid": 0.5}, seed=1)
    counts = pd.Series(s.categories).value_counts()
    assert counts["easy"] == 20 and counts["mid"] == 50 and counts["hard"] == 100
    assert s.queries["query_id"].is_unique and s.name.endswith("(shifted)")
    assert mix(s)["hard"] == pytest.approx(100 / 170)
    assert (
        shift(o, {"easy": 0.2}, seed=1).queries["query_id"].tolist()
        != shift(o, {"easy": 0.2}, seed=2).queries["query_id"].tolist()
    )
    with pytest.raises(RouterlabError, match="unknown categories"):
        shift(o, {"legal": 0.5})
    with pytest.raises(RouterlabError, match="fraction"):
        shift(o, {"easy": 1.5})


def test_simulated_judge_agreement_and_column():
    q = np.tile([1.0, 0.0], 2000)
    for agreement in (0.6, 0.9):
        s = simulated_judge(q, agreement, seed=3)
        assert s.min() >= 0 and s.max() <= 1
        assert abs(np.mean((s >= 0.5) == (q >= 0.5)) - agreement) < 0.03
    o = _table()
    j = add_judge(o, "w", simulated_judge(o.quality[:, 0]))
    assert "judge:w" in j.queries and "judge:w" not in o.queries
    assert j.meta["judges"]["judge:w"]["simulated"] is True
    assert "judge:w" in j.subset([0, 1]).queries  # travels with splits
    with pytest.raises(RouterlabError, match=r"\[0, 1\]"):
        add_judge(o, "w", np.full(o.n, 3.0))
    with pytest.raises(RouterlabError):
        simulated_judge(q, 0.3)


def test_edge_price():
    base = edge_price_per_1k_tokens(1000, 2, 50, 0.2, tokens_per_s=100, utilisation=1.0)
    # half the utilisation doubles the price; twice the throughput halves it
    assert edge_price_per_1k_tokens(1000, 2, 50, 0.2, 100, 0.5) == pytest.approx(2 * base)
    assert edge_price_per_1k_tokens(1000, 2, 50, 0.2, 200, 1.0) == pytest.approx(base / 2)
    assert tokens_per_second(_table(), "w") == pytest.approx(100.0)
    with pytest.raises(RouterlabError, match="utilisation"):
        edge_price_per_1k_tokens(1000, 2, 50, 0.2, 100, 1.5)


def test_confidence_as_probability_is_idempotent():
    from routerlab.verifiers import confidence_as_probability, to_probability

    o = _table()
    logp = np.log(np.linspace(0.1, 1.0, o.n))
    o2 = o.with_model("c", o.quality[:, 0], confidence=logp)
    p = confidence_as_probability(o2)
    assert np.allclose(p.confidence[:, 2], np.linspace(0.1, 1.0, o.n))
    assert np.array_equal(
        confidence_as_probability(p).confidence[:, 2], p.confidence[:, 2]
    )  # already probabilities: unchanged
    assert np.isnan(to_probability([np.nan, -1.0])[0])


def test_compound_counts_both_calls_when_escalating():
    from routerlab.compound import compound_result

    o = _table(30)
    o = Outcomes.from_arrays(
        o.queries, ["w", "s"], quality=o.quality, cost=np.tile([0.1, 1.0], (30, 1)),
        latency=np.tile([0.5, 2.0], (30, 1)),
    )  # fmt: skip
    d = np.where(np.arange(30) < 20, "w", "s")
    v = np.where(np.arange(30) < 10, 0.9, 0.1)
    r = compound_result(o, d, v, 0.5, "w", "s")
    assert (r.model[:10] == "w").all() and (r.model[10:] == "s").all()
    assert r.calls.tolist() == [1.0] * 10 + [2.0] * 10 + [1.0] * 10
    assert r.cost[10:20] == pytest.approx(1.1) and r.latency[10:20] == pytest.approx(2.5)
    assert r.quality[10:].tolist() == o.quality[10:, 1].tolist()
    with pytest.raises(RouterlabError, match="decisions must be"):
        compound_result(o, np.full(30, "x"), v, 0.5, "w", "s")
