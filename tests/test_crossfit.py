"""Cross-fitting never scores a query with a router trained on it; evaluate_routers end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.evaluate import crossfit, evaluate_routers
from routerlab.outcomes import Outcomes
from routerlab.routers.base import Router

FIT_LOG: list[set[str]] = []
SCORE_LOG: list[tuple[int, set[str]]] = []


class RecorderRouter(Router):
    """Records the query ids it was fitted on and the ids it scores (test-only)."""

    kind = "recorder"

    def _fit(self, outcomes) -> None:
        self.n_fit_ = int(outcomes.n)
        FIT_LOG.append(set(outcomes.queries["query_id"]))
        self.fit_id_ = len(FIT_LOG) - 1

    def _score(self, queries):
        ids = set(queries.outcomes.queries["query_id"])
        SCORE_LOG.append((self.fit_id_, ids))
        return np.linspace(0, 1, len(queries))


def make_table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    diff = rng.random(n)
    q = pd.DataFrame(
        {
            "prompt": [f"question {i} " + ("hard " * int(4 * d)) for i, d in enumerate(diff)],
            "category": np.where(diff > 0.5, "hard", "easy"),
        }
    )
    qw = (rng.random(n) > diff).astype(float)
    qs = (rng.random(n) > diff / 3).astype(float)
    cost = np.tile([0.001, 0.01], (n, 1))
    return Outcomes.from_arrays(q, ["weak", "strong"], quality=np.c_[qw, qs], cost=cost)


def test_crossfit_never_scores_a_query_with_a_router_trained_on_it():
    FIT_LOG.clear()
    SCORE_LOG.clear()
    o = make_table(53)
    s = crossfit(RecorderRouter(), o, k=5, seed=1)
    assert s.shape == (53,) and np.isfinite(s).all()
    assert len(FIT_LOG) == 5 and len(SCORE_LOG) == 5
    scored = set()
    for fit_id, ids in SCORE_LOG:
        assert not (ids & FIT_LOG[fit_id])  # disjoint: never scored by a router trained on it
        scored |= ids
    assert scored == set(o.queries["query_id"])  # every query scored exactly once overall
    assert sum(len(ids) for _, ids in SCORE_LOG) == 53


def test_crossfit_bad_folds():
    o = make_table(10)
    with pytest.raises(RouterlabError, match="at most 10 folds"):
        crossfit("random", o, k=11)
    with pytest.raises(RouterlabError, match="at least 2"):
        crossfit("random", o, k=1)


def test_evaluate_routers_results_and_json():
    o = make_table(200)
    res = evaluate_routers(o, "strong", "weak", routers=["category"], folds=4, seed=0, n_boot=200)
    assert set(res.routers) == {"random", "oracle", "category"}
    assert set(res.seconds) == set(res.routers) and all(t >= 0 for t in res.seconds.values())
    d = json.loads(res.to_json())
    assert d["n"] == 200 and d["strong"] == "strong" and d["weak"] == "weak"
    assert d["strong_quality"] == pytest.approx(o.quality[:, 1].mean())
    for name in ("random", "oracle", "category"):
        r = d["routers"][name]
        assert set(r) >= {"apgr", "apgr_ci", "cpt50", "cpt80", "aiq"}
        lo, hi = r["apgr_ci"]
        assert lo <= r["apgr"] <= hi
    assert d["routers"]["oracle"]["apgr"] > d["routers"]["category"]["apgr"] > 0.5
    assert d["best"] == "category"
    t = res.table
    assert list(t.index) == res.routers and "apgr_lo" in t
    at = res.result_at("category", 0.3)
    assert at.escalation_share == pytest.approx(0.3)
    k = int(0.3 * 200)
    assert at.mean_quality == pytest.approx(res.curves["category"].quality[k], abs=0.02)
    assert set(at.by_category().index) == {"easy", "hard"}


def test_evaluate_routers_bad_inputs():
    o = make_table(20)
    with pytest.raises(RouterlabError, match="not in the table"):
        evaluate_routers(o, "gpt-9", "weak")
    with pytest.raises(RouterlabError, match="two different"):
        evaluate_routers(o, "weak", "weak")
    with pytest.raises(RouterlabError, match="folds"):
        evaluate_routers(o, "strong", "weak", folds=50)
    one = o.select_models(["weak"])
    with pytest.raises(RouterlabError, match="at least two models"):
        evaluate_routers(one, "weak", "weak")
    with pytest.raises(RouterlabError, match="unknown router"):
        evaluate_routers(o, "strong", "weak", routers=["nope"], n_boot=10)


class NeedsConfidenceRouter(Router):
    """Test-only: a router that needs a column the table lacks."""

    kind = "needs_confidence"

    def _fit(self, outcomes) -> None:
        if not np.isfinite(outcomes.confidence).any():
            raise RouterlabError("needs_confidence router needs a confidence column")

    def _score(self, queries):
        return np.zeros(len(queries))


def test_default_routers_skip_what_does_not_apply(monkeypatch, tmp_path):
    from routerlab import routers

    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path))
    small = {k: routers.REGISTRY[k] for k in ("random", "oracle", "fixed", "category")}
    small["needs_confidence"] = NeedsConfidenceRouter
    monkeypatch.setattr(routers, "REGISTRY", small)
    o = make_table(60)
    res = evaluate_routers(o, "strong", "weak", folds=3, n_boot=50)
    assert "needs_confidence" in res.skipped and "confidence" in res.skipped["needs_confidence"]
    assert "needs_confidence" not in res.routers and {"random", "oracle"} <= set(res.routers)
    assert "fixed" not in res.routers  # a constant is not a score
    with pytest.raises(RouterlabError, match="confidence"):
        evaluate_routers(o, "strong", "weak", routers=["needs_confidence"], folds=3, n_boot=50)


def test_evaluate_routers_dict_labels_and_missing_quality():
    o = make_table(80)
    res = evaluate_routers(o, "strong", "weak", routers={"cat_a1": "category"}, folds=3, n_boot=50)
    assert res.routers[-1] == "cat_a1" and {"random", "oracle"} <= set(res.routers)
    q = o.quality.copy()
    q[3, 1] = np.nan
    holes = Outcomes.from_arrays(o.queries, o.models, quality=q)
    with pytest.raises(RouterlabError, match="quality is missing"):
        evaluate_routers(holes, "strong", "weak", folds=3, n_boot=50)
