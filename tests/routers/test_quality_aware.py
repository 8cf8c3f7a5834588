import warnings

import numpy as np
import pytest

from routerlab.errors import RouterlabError
from routerlab.routers import make_router
from routerlab.routers.quality_aware import cheapest_meeting_floor


def _by_cat(o, d):
    cols = np.array([o.col(m) for m in d])
    q = o.quality[np.arange(o.n), cols]
    out = {}
    for c in set(o.categories):
        m = o.categories == c
        out[c] = (
            q[m].mean() / o.quality[m, o.col("strong")].mean(),
            o.cost[m][np.arange(m.sum()), cols[m]].sum(),
        )
    return out


def test_floors_are_met_on_training_data_at_lower_cost(outcomes, fake_embeddings):
    floors = {"contracts": 0.95, "billing": 0.9, "chat": 0.8}
    r = make_router("quality_aware", floors=floors, inner="knn").fit(outcomes)
    d = r.route(outcomes)
    got = _by_cat(outcomes, d)
    for c, f in floors.items():
        assert got[c][0] >= f - 1e-9, (c, got[c])
        assert r.report_[c]["achieved"] >= f - 1e-9
    allstrong = outcomes.cost[:, outcomes.col("strong")].sum()
    assert sum(v[1] for v in got.values()) < allstrong
    # a tighter floor never costs less
    tight = make_router("quality_aware", floors={**floors, "chat": 0.99}, inner="knn").fit(outcomes)
    assert _by_cat(outcomes, tight.route(outcomes))["chat"][1] >= got["chat"][1] - 1e-15


def test_exact_solver_is_min_cost_among_all_cuts():
    rng = np.random.default_rng(3)
    n = 40
    score = rng.integers(0, 8, n) / 8.0  # many ties
    qw, qs = (rng.random(n) < 0.5).astype(float), (rng.random(n) < 0.9).astype(float)
    cw, cs = np.full(n, 1.0), rng.uniform(5, 10, n)
    thr, frac, ok, best = cheapest_meeting_floor(score, qw, qs, cw, cs, 0.9)
    assert ok
    brute = []
    for t in np.unique(np.concatenate([score, [2.0]])):
        m = score >= t
        f = np.where(m, qs, qw).mean() / qs.mean()
        if f >= 0.9:
            brute.append(np.where(m, cs, cw).sum())
    m = score >= thr
    assert np.where(m, qs, qw).mean() / qs.mean() >= 0.9
    assert np.where(m, cs, cw).sum() == pytest.approx(min(brute))


def test_unmeetable_floor_says_what_is_achievable(outcomes, fake_embeddings):
    with pytest.raises(RouterlabError, match=r"at most \d+\.\d% .*achievable"):
        make_router("quality_aware", floors={"contracts": 1.5}, strict=True).fit(outcomes)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = make_router("quality_aware", floors={"contracts": 1.5}).fit(outcomes)
    assert any("cannot be met" in str(x.message) for x in w)
    assert "contracts" in r.infeasible_ and r.infeasible_["contracts"] < 1.5
    with pytest.raises(RouterlabError, match="unknown categories"):
        make_router("quality_aware", floors={"nope": 0.9}).fit(outcomes)


def test_quality_aware_on_support_desk(bundled):
    train, test, strong, weak = bundled
    weak = "scenario:efficient"  # both tiers priced, so the floor has a real cost trade-off
    r = make_router(
        "quality_aware",
        floors={"contract": 0.95, "code": 0.95},
        default_floor=0.9,
        inner="category",
        strong=strong,
        weak=weak,
    ).fit(train)
    d = r.route(train)
    q = train.quality[np.arange(train.n), [train.col(m) for m in d]]
    for c in set(train.categories):
        m = train.categories == c
        floor = 0.95 if c in ("contract", "code") else 0.9
        if c in r.infeasible_:
            continue
        assert q[m].mean() >= floor * train.quality[m, train.col(strong)].mean() - 1e-9, c
