"""Curve metrics, Pareto/NDCH/AIQ and routing results against hand-computed small cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.evaluate import (
    aiq,
    apgr,
    apply,
    apply_threshold,
    compare_results,
    cpt,
    curve,
    ndch,
    pareto_front,
)
from routerlab.outcomes import Outcomes


def brute_curve(score, qw, qs):
    """Reference: expected quality over all orders of tied scores, by enumerating block averages."""
    score, qw, qs = map(np.asarray, (score, qw, qs))
    n = len(score)
    vals = sorted(set(score.tolist()), reverse=True)
    acc = []
    for k in range(n + 1):
        left = k
        total = 0.0
        for v in vals:
            block = np.flatnonzero(score == v)
            take = min(left, len(block))
            # expected: a uniformly random `take` of the block go to strong
            total += qw[block].sum() + take / len(block) * (qs[block] - qw[block]).sum()
            left -= take
        acc.append(total / n)
    return np.array(acc)


def test_curve_hand_case_binary():
    # q3 needs strong, q1 is fine on both, q2 only weak gets right (weak sometimes better)
    score = [0.9, 0.2, 0.5]
    qw = [1, 1, 0]
    qs = [1, 0, 1]
    c = curve(score, qw, qs)
    # order: q0 (0.9), q2 (0.5), q1 (0.2); gains 0, +1, -1
    assert c.quality.tolist() == pytest.approx([2 / 3, 2 / 3, 1.0, 2 / 3])
    # mean weak = mean strong = 2/3: PGR undefined
    assert np.isnan(c.pgr).all() and np.isnan(apgr(c))


def test_curve_pgr_apgr_cpt_hand():
    score = [0.9, 0.1, 0.5, 0.3]
    qw = [0, 1, 1, 0]
    qs = [1, 1, 0, 1]
    c = curve(score, qw, qs)
    # sorted: q0 gain +1, q2 gain -1, q3 gain +1, q1 gain 0
    # acc_k: 2/4, 3/4, 2/4, 3/4, 3/4 ; mw = 0.5, ms = 0.75 -> pgr 0, 1, 0, 1, 1
    assert c.quality.tolist() == pytest.approx([0.5, 0.75, 0.5, 0.75, 0.75])
    assert c.pgr.tolist() == pytest.approx([0, 1, 0, 1, 1])
    # trapezoid over x = 0, .25, .5, .75, 1
    assert apgr(c) == pytest.approx(0.25 * (0.5 + 0.5 + 0.5 + 1))
    assert cpt(c, 0.5) == 0.25 and cpt(c, 1.0) == 0.25
    assert c.threshold[0] == np.inf and c.threshold[1] == 0.9
    assert c.cost.tolist() == pytest.approx(c.share.tolist())  # no costs: cost axis = share


def test_oracle_exceeds_one_when_weak_sometimes_wins():
    rng = np.random.default_rng(0)
    n = 500
    qw = (rng.random(n) < 0.6).astype(float)
    qs = (rng.random(n) < 0.75).astype(float)
    oracle = curve(qs - qw, qw, qs)
    assert oracle.apgr() > 1.0
    assert oracle.pgr.max() > 1.0
    rand = curve(rng.random(n), qw, qs)
    assert 0.3 < rand.apgr() < 0.7


@pytest.mark.parametrize("seed", range(5))
def test_ties_average_equals_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = 12
    score = rng.integers(0, 3, n).astype(float)
    qw = rng.random(n).round(2)  # graded quality
    qs = rng.random(n).round(2)
    c = curve(score, qw, qs)
    assert c.quality == pytest.approx(brute_curve(score, qw, qs))


def test_all_tied_scores_give_the_straight_line():
    rng = np.random.default_rng(3)
    qw = (rng.random(50) < 0.5).astype(float)
    qs = np.clip(qw + (rng.random(50) < 0.4), 0, 1)
    c = curve(np.zeros(50), qw, qs)
    assert c.pgr == pytest.approx(np.linspace(0, 1, 51))
    assert apgr(c) == pytest.approx(0.5)


def test_ties_do_not_leak_label_order():
    # Labels sorted so that a stable sort of tied scores would put all gains first.
    qw = np.array([0.0] * 5 + [1.0] * 5)
    qs = np.ones(10)
    c = curve(np.ones(10), qw, qs)
    assert apgr(c) == pytest.approx(0.5)
    cr = curve(np.ones(10), qw, qs, ties="random", seed=1)
    assert cr.quality[-1] == pytest.approx(1.0) and cr.quality[0] == pytest.approx(0.5)


def test_costs_and_aiq():
    score = [0.9, 0.1]
    c = curve(score, [0, 1], [1, 1], c_weak=[1.0, 1.0], c_strong=[10.0, 10.0])
    assert c.cost.tolist() == pytest.approx([1.0, 5.5, 10.0])
    # points (1, .5), (5.5, 1), (10, 1): hull area over [1, 10] / 9
    expected = (0.5 * (0.5 + 1) * 4.5 + 1 * 4.5) / 9
    assert c.aiq() == pytest.approx(expected)


def test_pareto_front_and_ndch():
    costs = [1, 2, 3, 4, 5, 2]
    quals = [0.5, 0.55, 0.9, 0.8, 0.95, 0.4]
    idx = pareto_front(costs, quals)
    assert idx.tolist() == [0, 1, 2, 4]
    hc, hq = ndch(costs, quals)
    # (2, .55) lies below the chord from (1, .5) to (3, .9)
    assert hc.tolist() == [1, 3, 5] and hq.tolist() == [0.5, 0.9, 0.95]


def test_aiq_flat_extension_and_range():
    # one point at cost 1 quality .8, range to 3: flat .8 over [1, 3]
    assert aiq([1.0], [0.8], cost_range=(1.0, 3.0)) == pytest.approx(0.8)
    # below the cheapest point contributes nothing
    assert aiq([2.0], [0.8], cost_range=(1.0, 3.0)) == pytest.approx(0.4)
    # a dominated interior point does not change the hull
    assert aiq([0, 1, 2], [0, 0.1, 1]) == pytest.approx(0.5)


def test_upper_hull_random_points_against_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = np.sort(rng.random(40))
        y = rng.random(40)
        hc, hq = ndch(x, y)
        # every point lies on or below the hull interpolation (extended flat at the right end)
        assert (y <= np.interp(x, hc, hq) + 1e-12)[x >= hc[0]].all()
        # hull is concave and non-decreasing
        slopes = np.diff(hq) / np.diff(hc)
        assert (slopes > 0).all() and (np.diff(slopes) < 1e-12).all()


def test_bad_scores():
    with pytest.raises(RouterlabError, match="NaN"):
        curve([0.1, np.nan], [0, 1], [1, 1])
    with pytest.raises(RouterlabError, match="one number per query"):
        curve(np.zeros((2, 2)), [0, 1], [1, 1])
    with pytest.raises(RouterlabError, match="shape"):
        curve([0.1, 0.2], [0, 1, 1], [1, 1])
    with pytest.raises(RouterlabError, match="ties"):
        curve([0.1, 0.2], [0, 1], [1, 1], ties="first")


# ------------------------------------------------------------------------------------ RoutingResult


@pytest.fixture
def table():
    q = pd.DataFrame(
        {
            "prompt": [f"p{i}" for i in range(10)],
            "category": ["chat"] * 8 + ["contracts"] * 2,
            "stakes": [1.0] * 8 + [10.0] * 2,
        }
    )
    quality = np.array([[1, 1]] * 6 + [[0, 1]] * 2 + [[0, 1]] * 2, dtype=float)
    cost = np.tile([0.001, 0.02], (10, 1))
    latency = np.tile([0.5, 2.0], (10, 1))
    return Outcomes.from_arrays(q, ["small", "big"], quality=quality, cost=cost, latency=latency)


def test_apply_summary(table):
    d = ["small"] * 6 + ["big"] * 2 + ["small"] * 2
    r = apply(table, d, name="r")
    assert r.weak == "small" and r.strong == "big"
    assert r.mean_quality == pytest.approx(0.8)
    assert r.total_cost == pytest.approx(8 * 0.001 + 2 * 0.02)
    assert r.cost_per_1k == pytest.approx(1000 * r.total_cost / 10)
    assert r.escalation_share == pytest.approx(0.2)
    assert r.latency_p50 == 0.5 and r.latency_p95 == 2.0
    # stakes: contracts (weight 10 each) both wrong: (8*... ) -> (6*1 + 2*1 + 0) / (8 + 20)
    assert r.stakes_quality == pytest.approx(8 / 28)
    json.dumps(r.summary())
    # same through column indices
    r2 = apply(table, np.array([0] * 6 + [1] * 2 + [0] * 2))
    assert r2.mean_quality == r.mean_quality


def test_small_high_stakes_category_is_flagged(table):
    d = ["small"] * 6 + ["big"] * 2 + ["small"] * 2
    r = apply(table, d)
    assert r.mean_quality == pytest.approx(0.8)  # the average looks fine
    t = r.by_category()
    assert t.index[0] == "contracts"  # largest stakes-weighted loss first
    assert bool(t.loc["contracts", "below_floor"]) and not bool(t.loc["chat", "below_floor"])
    assert t.loc["contracts", "relative"] == 0.0
    assert t.loc["chat", "escalation_share"] == pytest.approx(0.25)
    assert t.loc["contracts", "stakes_share"] == pytest.approx(20 / 28)
    assert r.flagged() == ["contracts"]
    tc = r.by_category(ci=True, n_boot=300)
    assert (tc["quality_lo"] <= tc["quality"]).all() and (tc["quality"] <= tc["quality_hi"]).all()
    assert tc.loc["contracts", "relative_hi"] == 0.0  # never right in any resample
    assert tc.loc["chat", "escalation_lo"] < 0.25 < tc.loc["chat", "escalation_hi"]


def test_apply_bad_inputs(table):
    with pytest.raises(RouterlabError, match="not in the table"):
        apply(table, ["tiny"] * 10)
    with pytest.raises(RouterlabError, match="decisions for 10"):
        apply(table, ["small"] * 3)
    with pytest.raises(RouterlabError, match="out of range"):
        apply(table, np.full(10, 5))


def test_overhead_and_threshold(table):
    s = np.linspace(0, 1, 10)
    r = apply_threshold(table, s, 0.5, strong="big", weak="small")
    assert r.escalation_share == pytest.approx(0.5)
    r2 = r.with_overhead(decision_s=0.01, decision_usd=0.0001)
    assert r2.cost_per_1k == pytest.approx(r.cost_per_1k + 0.1)
    assert r2.latency_p50 == pytest.approx(r.latency_p50 + 0.01)


def test_result_cis_and_comparison(table):
    small = apply(table, ["small"] * 10, name="small")
    big = apply(table, ["big"] * 10, name="big")
    ci = small.ci(n_boot=300)
    lo, hi = ci["mean_quality"]
    assert lo <= small.mean_quality <= hi
    d = compare_results({"small": small, "big": big}, baseline="small", n_boot=300)
    assert d.loc["big", "d_mean_quality"] == pytest.approx(0.4)
    assert d.loc["big", "d_mean_quality_lo"] > 0  # paired: big is never worse
    assert d.loc["big", "d_escalation_share"] == 1.0
