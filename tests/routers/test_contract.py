"""ONE contract test, parametrized over every registered router (scikit-learn's check_estimator idea)."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from router_data import check_one_query_path, make_outcomes

from routerlab.errors import NotFittedError, RouterlabError
from routerlab.routers import REGISTRY, Router, make_router, router_from_dict


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_router_contract(kind, fake_embeddings):
    cls = REGISTRY[kind]
    assert issubclass(cls, Router) and cls.kind == kind
    data = make_outcomes(150, seed=1)
    train, test = data.subset(np.arange(100)), data.subset(np.arange(100, 150))

    # constructor stores params unchanged; get_params mirrors the signature
    r = make_router(kind)
    sig = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    params = r.get_params()
    assert list(params) == sig
    assert json.loads(json.dumps(params)) == params
    assert make_router(kind, **params).get_params() == params
    with pytest.raises(RouterlabError):
        make_router(kind, not_a_param=1)

    # unfitted use is a clear error
    with pytest.raises(NotFittedError):
        r.score(test)
    with pytest.raises(NotFittedError):
        r.route(test)

    # fit returns self; shapes and ranges
    assert r.fit(train) is r
    s = r.score(test)
    m = len(r.models_)
    assert m >= 2 and set(r.models_) <= set(data.models)
    if cls.multi_model:
        assert s.shape == (test.n, m)
    else:
        assert s.shape == (test.n,)
        assert np.all((s >= 0) & (s <= 1))
    assert np.isfinite(s).all()
    d = r.route(test)
    assert d.shape == (test.n,)
    assert set(d.tolist()) <= set(data.models)
    assert r.score(test.subset(np.array([], dtype=int))).shape[0] == 0

    # deterministic under a seed
    r2 = make_router(kind, **params).fit(train)
    np.testing.assert_array_equal(r2.score(test), s)

    # JSON round trip of params + fitted state gives the same decisions
    blob = json.dumps(r.to_dict(), allow_nan=False)
    back = router_from_dict(json.loads(blob))
    assert type(back) is cls and back.get_params() == params
    np.testing.assert_allclose(back.score(test), s, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(back.route(test), d)
    assert json.dumps(back.to_dict(), allow_nan=False) == blob

    # the one-query path (production's live traffic) makes the same decisions with the same scores
    if kind not in ("oracle", "cascade"):  # these read answers from the table: no live path
        check_one_query_path(back, test)

    # refit replaces state; clone is unfitted
    assert not r.clone().is_fitted
    r.fit(test)
    assert r.is_fitted


def test_registry_errors():
    with pytest.raises(RouterlabError, match="known routers"):
        make_router("nope")
    with pytest.raises(RouterlabError):
        router_from_dict({"params": {}})


@pytest.mark.parametrize("kind", sorted(k for k, c in REGISTRY.items() if not c.multi_model))
def test_binary_routers_reject_bad_models(kind, fake_embeddings):
    data = make_outcomes(40)
    name = "strong" if "strong" in REGISTRY[kind]._param_names() else "cloud"
    with pytest.raises(RouterlabError, match="not in the table"):
        make_router(kind, **{name: "gpt-9"}).fit(data)
    with pytest.raises(RouterlabError, match="at least two models"):
        make_router(kind).fit(data.select_models(["weak"]))


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_router_rejects_a_one_model_table(kind, fake_embeddings):
    with pytest.raises(RouterlabError, match="at least two models"):
        make_router(kind).fit(make_outcomes(30).select_models(["strong"]))
