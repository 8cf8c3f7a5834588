"""Paired bootstrap: the vectorized kernels agree with a slow reference; CIs cover the truth."""

from __future__ import annotations

import numpy as np
import pytest

from routerlab.errors import RouterlabError
from routerlab.evaluate import (
    bootstrap,
    bootstrap_curves,
    bootstrap_means,
    bootstrap_quantile,
    compare,
    curve,
    resample_indices,
)


def slow_reference(score, qw, qs, cw, cs, n_boot, seed):
    rows = []
    for idx in np.concatenate(list(resample_indices(len(score), n_boot, seed))):
        c = curve(score[idx], qw[idx], qs[idx], cw[idx], cs[idx])
        rows.append([c.apgr(), c.cpt(0.5), c.cpt(0.8), c.cpt(0.95), c.aiq()])
    return np.array(rows)


@pytest.mark.parametrize(
    "n, ties, graded",
    [(30, False, False), (30, True, True), (120, True, False), (200, False, True)],
)
def test_vectorized_bootstrap_matches_slow_reference(n, ties, graded):
    rng = np.random.default_rng(n)
    score = rng.integers(0, 4, n).astype(float) if ties else rng.random(n)
    if graded:
        qw = rng.random(n)
        qs = np.clip(qw + rng.normal(0.2, 0.3, n), 0, 1)
    else:
        qw = (rng.random(n) < 0.6).astype(float)
        qs = (rng.random(n) < 0.75).astype(float)
    cw, cs = rng.random(n) * 0.1, rng.random(n)
    ref = slow_reference(score, qw, qs, cw, cs, 60, 7)
    full = bootstrap_curves({"a": score}, qw, qs, cw, cs, n_boot=60, seed=7, aiq=True)
    fast = bootstrap_curves({"a": score}, qw, qs, n_boot=60, seed=7, ps=())
    s = full.samples["a"]
    np.testing.assert_allclose(s["apgr"], ref[:, 0], atol=1e-9)
    np.testing.assert_allclose(fast.samples["a"]["apgr"], ref[:, 0], atol=1e-6)
    for j, m in [(1, "cpt50"), (2, "cpt80"), (3, "cpt95")]:
        np.testing.assert_array_equal(np.isnan(s[m]), np.isnan(ref[:, j]))
        np.testing.assert_allclose(s[m], ref[:, j], atol=1e-12)
    np.testing.assert_allclose(s["aiq"], ref[:, 4], atol=1e-9)
    # point estimates are the plain curve's
    c = curve(score, qw, qs, cw, cs)
    assert full.estimates["a"]["apgr"] == pytest.approx(c.apgr())
    assert full.estimates["a"]["aiq"] == pytest.approx(c.aiq())


def test_pairing_same_resamples_for_every_router():
    rng = np.random.default_rng(0)
    n = 300
    qw = (rng.random(n) < 0.6).astype(float)
    qs = (rng.random(n) < 0.8).astype(float)
    s1 = rng.random(n)
    both = bootstrap_curves({"a": s1, "b": s1 + 0.0}, qw, qs, n_boot=100, seed=3)
    alone = bootstrap_curves({"a": s1}, qw, qs, n_boot=100, seed=3)
    np.testing.assert_array_equal(both.samples["a"]["apgr"], alone.samples["a"]["apgr"])
    d = both.diff("a", "b")
    assert d["estimate"] == 0 and d["ci"] == [0.0, 0.0]
    # a genuinely better router: the paired difference CI excludes zero
    oracle = bootstrap_curves({"r": s1, "o": qs - qw}, qw, qs, n_boot=200, seed=1)
    assert oracle.diff("o", "r")["ci"][0] > 0
    t = oracle.table(baseline="r")
    assert {"apgr", "apgr_lo", "apgr_hi", "cpt80", "apgr_vs_r"} <= set(t.columns)
    t2 = compare({"r": s1, "o": qs - qw}, qw, qs, baseline="r", n_boot=200, seed=1)
    assert t2.loc["o", "apgr_vs_r_lo"] == t.loc["o", "apgr_vs_r_lo"]


def test_means_and_quantile_match_reference():
    rng = np.random.default_rng(2)
    v = rng.random(50)
    v[3] = np.nan
    idxs = np.concatenate(list(resample_indices(50, 40, 5)))
    m = bootstrap_means({"v": v}, n_boot=40, seed=5)["v"]
    np.testing.assert_allclose(m, [np.nanmean(v[i]) for i in idxs])
    q = bootstrap_quantile(v, 0.9, n_boot=40, seed=5)
    ref = [np.quantile(v[i][np.isfinite(v[i])], 0.9, method="inverted_cdf") for i in idxs]
    np.testing.assert_allclose(q, ref)
    b = bootstrap(np.nanmean, v, n_boot=40, seed=5)
    np.testing.assert_allclose(b.samples, m)


def test_bad_bootstrap_inputs():
    with pytest.raises(RouterlabError):
        bootstrap_curves({}, [0], [1])
    with pytest.raises(RouterlabError, match="n_boot"):
        bootstrap_means({"a": np.ones(3)}, n_boot=0)


def _simulate(rng, n):
    """Queries with a latent difficulty; the router sees a noisy version of it."""
    d = rng.random(n)
    qw = (rng.random(n) < 0.9 - 0.6 * d).astype(float)
    qs = (rng.random(n) < 0.95 - 0.3 * d).astype(float)
    score = d + rng.normal(0, 0.3, n)
    return score, qw, qs


@pytest.mark.slow
def test_ci_coverage_near_nominal():
    rng = np.random.default_rng(12345)
    truth = curve(*_simulate(rng, 2_000_000))
    true_apgr, true_cpt = truth.apgr(), truth.cpt(0.5)
    hits_apgr = hits_cpt = 0
    sims = 200
    for i in range(sims):
        score, qw, qs = _simulate(rng, 600)
        b = bootstrap_curves({"r": score}, qw, qs, n_boot=400, seed=i, ps=(0.5,))
        lo, hi = b.ci("r", "apgr")
        hits_apgr += lo <= true_apgr <= hi
        lo, hi = b.ci("r", "cpt50")
        hits_cpt += lo <= true_cpt <= hi
    assert 0.88 <= hits_apgr / sims <= 0.99, hits_apgr / sims
    assert 0.85 <= hits_cpt / sims <= 0.995, hits_cpt / sims
