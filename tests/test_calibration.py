"""Threshold calibration (target share, budget) and its held-out check; reliability, ECE, Brier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.evaluate import (
    brier,
    calibrate,
    calibrate_threshold,
    check_threshold,
    ece,
    reliability,
    strong_needed,
)
from routerlab.outcomes import Outcomes


def test_target_share_hand_case():
    t = calibrate_threshold([0.1, 0.4, 0.35, 0.9], target_share=0.5)
    assert t.threshold == pytest.approx(0.375) and t.cal_share == 0.5
    assert calibrate_threshold([0.1, 0.4], target_share=0.0).cal_share == 0.0
    all_in = calibrate_threshold([0.1, 0.4], target_share=1.0)
    assert all_in.cal_share == 1.0 and (np.array([0.1, 0.4]) >= all_in.threshold).all()


def test_ties_make_some_shares_unreachable():
    # three tied scores: reachable shares are 0, 0.75 (tied block) and 1
    t = calibrate_threshold([0.5, 0.5, 0.5, 0.1], target_share=0.5)
    assert t.cal_share in (0.0, 0.75)
    assert t.cal_share == 0.75  # closest reachable share


def test_budget_picks_the_largest_affordable_share():
    s = np.array([0.9, 0.8, 0.7, 0.6])
    # weak costs 1, strong 5 per query; budget 3 per query -> at most 2 strong (mean (2*5+2*1)/4 = 3)
    t = calibrate_threshold(s, budget=3.0, c_weak=1.0, c_strong=5.0)
    assert t.cal_share == 0.5 and t.cal_cost == pytest.approx(3.0)
    with pytest.raises(RouterlabError, match="cannot be met"):
        calibrate_threshold(s, budget=0.5, c_weak=1.0, c_strong=5.0)
    with pytest.raises(RouterlabError, match="exactly one"):
        calibrate_threshold(s)
    with pytest.raises(RouterlabError, match="needs c_weak"):
        calibrate_threshold(s, budget=1.0)


def test_held_out_share_near_target_and_drift_is_flagged():
    rng = np.random.default_rng(0)
    n = 4000
    scores = rng.random(n)
    qw = (rng.random(n) < 1 - scores).astype(float)
    qs = np.ones(n)
    choice = calibrate_threshold(scores[:2000], target_share=0.3)
    check = check_threshold(choice, scores[2000:], qw[2000:], qs[2000:], n_boot=300)
    assert abs(check.share - 0.3) < 0.04
    assert check.share_ci[0] <= check.share <= check.share_ci[1]
    assert check.target_in_ci
    # live traffic scores higher: "we meant 30% and got 60%"
    drifted = np.clip(scores[2000:] + 0.3, 0, 1)
    bad = check_threshold(choice, drifted, qw[2000:], qs[2000:], n_boot=300)
    assert bad.share > 0.55 and not bad.target_in_ci
    assert "outside the CI" in bad.message and "meant 30.0%" in bad.message


def test_calibrate_on_outcomes_split():
    rng = np.random.default_rng(1)
    n = 1000
    diff = rng.random(n)
    o = Outcomes.from_arrays(
        pd.DataFrame({"prompt": [f"q{i}" for i in range(n)]}),
        ["w", "s"],
        quality=np.c_[(rng.random(n) > diff), np.ones(n)].astype(float),
        cost=np.tile([0.001, 0.01], (n, 1)),
    )
    choice, check = calibrate(diff, o, "s", "w", target_share=0.4, n_boot=200)
    assert choice.n_cal == 500 and check.n == 500
    assert abs(check.share - 0.4) < 0.07
    assert check.cost == pytest.approx(0.001 + 0.009 * check.share)
    choice, check = calibrate(diff, o, "s", "w", budget=0.005, n_boot=200)
    assert choice.cal_cost <= 0.005
    assert check.to_dict()["budget"] == 0.005


def test_reliability_ece_brier_hand():
    p = np.array([0.1, 0.1, 0.9, 0.9])
    y = np.array([0.0, 1.0, 1.0, 1.0])
    r = reliability(p, y, bins=2)
    assert r["n"].tolist() == [2, 2]
    assert r["observed"].tolist() == [0.5, 1.0]
    assert r["mean_prob"].tolist() == pytest.approx([0.1, 0.9])
    # ECE = 0.5 * |0.5 - 0.1| + 0.5 * |1 - 0.9| = 0.25
    assert ece(p, y, bins=2) == pytest.approx(0.25)
    assert brier(p, y) == pytest.approx((0.01 + 0.81 + 0.01 + 0.01) / 4)
    assert strong_needed([1, 0, 0.5], [1, 1, 0.7], margin=0.1).tolist() == [0, 1, 1]


def test_calibrated_probabilities_have_small_ece():
    rng = np.random.default_rng(2)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(float)
    assert ece(p, y) < 0.02
    assert ece(p, y, strategy="quantile") < 0.02
    assert ece(np.clip(p + 0.2, 0, 1), y) > 0.1  # overconfident scores are caught


def test_bad_probabilities():
    with pytest.raises(RouterlabError, match="\\[0, 1\\]"):
        brier([1.5], [1])
    with pytest.raises(RouterlabError, match="same length"):
        ece([0.5, 0.5], [1])
