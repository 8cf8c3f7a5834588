"""Choosing the cheapest operating point under a target and per-category floors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.evaluate import apply_threshold
from routerlab.operating import cheapest_meeting, sweep
from routerlab.outcomes import Outcomes


def _table(n=200, seed=0):
    rng = np.random.default_rng(seed)
    cats = np.where(np.arange(n) < n // 5, "contract", "lookup")
    qs = (rng.random(n) < 0.95).astype(float)
    qw = np.where(cats == "contract", rng.random(n) < 0.6, rng.random(n) < 0.93).astype(float)
    cost = np.column_stack([np.full(n, 1e-4), np.full(n, 1e-3)])
    q = pd.DataFrame({"prompt": [f"q{i}" for i in range(n)], "category": cats})
    return Outcomes.from_arrays(q, ["w", "s"], quality=np.column_stack([qw, qs]), cost=cost)


def test_sweep_matches_apply_at_every_point():
    o = _table()
    s = np.random.default_rng(1).random(o.n).round(2)  # ties: only whole blocks are reachable
    sw = sweep(o, s, "w", "s")
    assert sw["k"].iloc[0] == 0 and sw["k"].iloc[-1] == o.n
    assert len(sw) == len(np.unique(s)) + 1
    for _, row in sw.sample(10, random_state=0).iterrows():
        r = apply_threshold(o, s, row["threshold"], strong="s", weak="w")
        assert r.escalation_share == pytest.approx(row["share"])
        assert r.mean_quality == pytest.approx(row["quality"])
        assert r.cost_per_1k == pytest.approx(row["cost_per_1k"])
        cat = r.by_category().loc["contract"]
        assert cat["relative"] == pytest.approx(row["rel:contract"])


def test_floor_changes_the_choice_and_is_met():
    o = _table()
    rng = np.random.default_rng(2)
    blind = rng.random(o.n)  # knows nothing about categories
    aware = (o.categories == "contract") + 0.01 * rng.random(o.n)
    scores = {"blind": blind, "aware": aware}
    plain = cheapest_meeting(o, scores, "w", "s", target=0.9)
    floored = cheapest_meeting(o, scores, "w", "s", target=0.9, floors={"contract": 0.97})
    assert plain.feasible and floored.feasible
    assert floored.by_category["contract"] >= 0.97
    assert floored.cost_per_1k >= plain.cost_per_1k
    assert floored.router == "aware"
    # the chosen threshold reproduces the promised point
    r = apply_threshold(o, scores[floored.router], floored.threshold, strong="s", weak="w")
    assert r.mean_quality == pytest.approx(floored.quality)
    assert set(floored.candidates.index) == {"blind", "aware"}


def test_infeasible_says_so_and_force_weak_is_respected():
    o = _table()
    s = np.random.default_rng(3).random(o.n)
    ch = cheapest_meeting(o, s, "w", "s", target=1.5)
    assert not ch.feasible and "NO router" in ch.message
    forced = o.categories == "contract"
    ch = cheapest_meeting(o, {"r": s}, "w", "s", target=0.0, floors=None, force_weak=forced)
    r = apply_threshold(o, np.where(forced, -1.0, s), ch.threshold, strong="s", weak="w")
    assert r.by_category().loc["contract", "escalation_share"] == 0.0
    with pytest.raises(RouterlabError, match="unknown categories"):
        cheapest_meeting(o, s, "w", "s", floors={"legal": 0.9})
    with pytest.raises(RouterlabError, match="scores for"):
        sweep(o, s[:-1], "w", "s")
