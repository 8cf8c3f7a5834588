"""Scenario models: labelling, determinism, declared profile shape, costs and bad profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.outcomes import Outcomes
from routerlab.scenario import (
    PROFILES,
    ScenarioProfile,
    add_scenarios,
    get_profile,
    scenario_outcomes,
    simulate,
)
from routerlab.workloads.support_desk import generate


@pytest.fixture(scope="module")
def sd():
    return generate(seed=0)


@pytest.fixture(scope="module")
def table(sd):
    return scenario_outcomes(sd)


def test_columns_are_named_and_labelled_simulated(table):
    assert table.models == ("scenario:frontier", "scenario:efficient")
    assert table.simulated == table.models
    assert table.label("scenario:frontier") == "scenario:frontier (simulated)"
    assert table.summary()["simulated"].all()
    assert table.to_long()["simulated"].all()
    assert "scenario:frontier" in table.meta["scenario"]


def test_add_to_real_table_keeps_real_columns_unlabelled(sd):
    q = sd.to_frame()
    real = Outcomes.from_arrays(q, ["edge"], quality=np.zeros((len(q), 1)))
    both = add_scenarios(real, ["efficient"], seed=1)
    assert both.models == ("edge", "scenario:efficient")
    assert both.simulated == ("scenario:efficient",)
    assert both.label("edge") == "edge"
    assert both.meta["scenario"]["scenario:efficient"]["seed"] == 1


def test_deterministic_and_order_independent(sd):
    q = sd.to_frame()
    a = simulate(q, "efficient", seed=0)
    b = simulate(q, "efficient", seed=0)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    c = simulate(q, "efficient", seed=1)
    assert (a["quality"] != c["quality"]).any()
    perm = np.random.default_rng(0).permutation(len(q))
    shuffled = simulate(q.iloc[perm], "efficient", seed=0)
    np.testing.assert_array_equal(shuffled["quality"], a["quality"][perm])
    np.testing.assert_allclose(shuffled["latency"], a["latency"][perm])


def test_realised_accuracy_matches_declared_profile(table):
    by = table.by_category()
    for j, name in enumerate(("frontier", "efficient")):
        prof = PROFILES[name]
        for cat, row in by.iterrows():
            n = row["n"]
            assert abs(row[table.models[j]] - prof.accuracy_of(cat)) <= 0.5 / n + 1e-9, (name, cat)


def test_profile_shape_routing_matters(table):
    by = table.by_category()
    f, e = by["scenario:frontier"], by["scenario:efficient"]
    # frontier strong everywhere, efficient close on lookups but clearly weaker on contracts/arithmetic
    assert (f >= 0.9).all()
    assert f["lookup"] - e["lookup"] < 0.03
    assert f["contract"] - e["contract"] > 0.1
    assert f["arithmetic"] - e["arithmetic"] > 0.1
    assert round(f["contract"], 2) == 0.94 and round(e["contract"], 2) == 0.79
    mean = table.mean_quality()
    assert 0.93 <= mean[1] / mean[0] <= 0.97  # the efficient model keeps ~95% of the average


def test_correctness_depends_on_difficulty_and_models_agree(table):
    q = table.queries
    eff = table.quality[:, 1]
    easy, hard = eff[q["difficulty"] == 1].mean(), eff[q["difficulty"] == 3].mean()
    assert easy - hard > 0.1
    frontier_fail = table.quality[:, 0] == 0
    # when the frontier model fails, the efficient one mostly fails too
    assert eff[frontier_fail].mean() < 0.5


def test_costs_tokens_and_latency(table, sd):
    t = table
    assert (t.tokens_in[:, 0] == t.tokens_in[:, 1]).all()
    expected_in = np.array([np.ceil(len(p) / 4) + 8 for p in sd.prompts])
    np.testing.assert_array_equal(t.tokens_in[:, 0], expected_in)
    np.testing.assert_allclose(
        t.cost[:, 0], (t.tokens_in[:, 0] * 5 + t.tokens_out[:, 0] * 25) / 1e6
    )
    np.testing.assert_allclose(t.cost[:, 1], (t.tokens_in[:, 1] * 1 + t.tokens_out[:, 1] * 5) / 1e6)
    assert t.cost[:, 0].sum() > 4 * t.cost[:, 1].sum()
    assert (t.latency > 0).all()
    assert np.median(t.latency[:, 0]) > np.median(t.latency[:, 1])
    cat = t.queries["category"].to_numpy()
    assert t.tokens_out[cat == "arithmetic", 0].mean() > t.tokens_out[cat == "lookup", 0].mean()


def test_custom_profile_from_dict_and_unknown_categories():
    q = pd.DataFrame({"prompt": [f"question {i}" for i in range(200)], "category": "mmlu_law"})
    prof = {
        "name": "mini",
        "accuracy": {},
        "default_accuracy": 0.5,
        "input_per_m": 0.1,
        "output_per_m": 0.4,
    }
    o = scenario_outcomes(q, [prof])
    assert o.models == ("scenario:mini",)
    assert o.quality.mean() == pytest.approx(0.5)
    assert get_profile("scenario:frontier") is PROFILES["frontier"]


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ("nope", "unknown scenario"),
        ({"name": "x"}, "needs at least"),
        ({"name": "x", "accuracy": {"a": 1.5}}, "must be in \\[0, 1\\]"),
        ({"name": "x", "accuracy": {}, "colour": 1}, "unknown scenario field"),
        ({"name": "a:b", "accuracy": {}}, "without ':'"),
    ],
)
def test_bad_profiles(bad, match):
    with pytest.raises(RouterlabError, match=match):
        get_profile(bad)


def test_profile_round_trips_json():
    import json

    p = PROFILES["efficient"]
    assert ScenarioProfile.from_dict(json.loads(json.dumps(p.to_dict()))) == p
