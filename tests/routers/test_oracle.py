import numpy as np
import pytest

from routerlab.errors import RouterlabError
from routerlab.routers import REGISTRY, Queries, make_router


def _quality(o, r, decisions):
    cols = np.array([o.col(m) for m in decisions])
    return o.quality[np.arange(o.n), cols].mean()


def test_oracle_beats_every_binary_router_at_equal_or_lower_strong_share(outcomes, fake_embeddings):
    train, test = outcomes.subset(np.arange(100)), outcomes.subset(np.arange(100, 150))
    oracle = make_router("oracle").fit(train)
    d_or = oracle.route(test)
    q_or = _quality(test, oracle, d_or)
    w, s = oracle.models_
    # no assignment between weak and strong is better than the oracle's
    best = np.maximum(test.quality[:, test.col(w)], test.quality[:, test.col(s)]).mean()
    assert q_or == pytest.approx(best)
    for kind, cls in REGISTRY.items():
        if cls.multi_model or kind == "oracle":
            continue
        r = make_router(kind).fit(train)
        d = r.route(test)
        if set(d) <= {w, s}:
            assert q_or >= _quality(test, r, d) - 1e-12, kind
    # ties go to the cheaper model
    gap = test.quality[:, test.col(s)] - test.quality[:, test.col(w)]
    assert (d_or[gap == 0] == w).all() and (d_or[gap > 0] == s).all()


def test_oracle_needs_outcomes(outcomes):
    r = make_router("oracle").fit(outcomes)
    with pytest.raises(RouterlabError, match="Outcomes"):
        r.score(Queries.from_texts(["hello"]))


def test_oracle_on_support_desk(bundled, fake_embeddings):
    train, test, strong, weak = bundled
    o = make_router("oracle", strong=strong, weak=weak).fit(train)
    best = np.maximum(test.quality[:, test.col(weak)], test.quality[:, test.col(strong)]).mean()
    assert _quality(test, o, o.route(test)) == pytest.approx(best)
    for kind in ("random", "category", "knn", "logistic"):
        r = make_router(kind, strong=strong, weak=weak).fit(train)
        assert _quality(test, o, o.route(test)) >= _quality(test, r, r.route(test)) - 1e-12
