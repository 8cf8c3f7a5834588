"""The one-query path (``score_one`` / ``route_one``) under non-default settings.

The contract test checks every router with its defaults; here the branches defaults never reach:
other predictors, rule conditions, k larger than the bank, floors, PII on the edge.
"""

from __future__ import annotations

import numpy as np
import pytest
from router_data import check_one_query_path, make_outcomes

from routerlab.routers import make_router

RULES = [
    {"if": {"pii": True}, "model": "weak"},
    {"if": {"keywords": ["contracts", "item 7"]}, "model": "strong"},
    {"if": {"regex": r"number \d*5\b", "category": ["chat", "billing"]}, "model": "mid"},
    {"if": {"max_chars": 45, "category": "chat"}, "model": "strong"},
    {"if": {"min_chars": 60}, "model": "mid"},
]

CASES = [
    ("knn", {"k": 1}),
    ("knn", {"k": 1000, "shrinkage": 0.0}),
    ("category", {"alpha": 0.0}),
    ("utility", {"predictor": "ridge", "lam": 0.3}),
    ("utility", {"predictor": "knn", "lam": 0.0, "k": 5}),
    ("mf", {"use_category": False, "cost_weight": 0.3}),
    ("rules", {"rules": RULES, "default": "strong"}),
    ("semantic", {"tolerance": 0.2}),
    ("quality_aware", {"floors": {"contracts": 0.97}, "default_floor": 0.9}),
    ("quality_aware", {"floors": {"chat": 0.5}, "inner": "category"}),
    ("edge_cloud", {"inner": "knn"}),
    ("random", {"seed": 7}),
    ("fixed", {"model": "weak"}),
]


@pytest.mark.parametrize(
    ("kind", "params"), CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)]
)
def test_one_query_path_matches_the_batch(kind, params, fake_embeddings):
    data = make_outcomes(150, seed=3)
    train, test = data.subset(np.arange(100)), data.subset(np.arange(100, 150))
    r = make_router(kind, **params).fit(train)
    check_one_query_path(r, test)


def test_one_query_path_checks_the_embedding_width(outcomes, fake_embeddings):
    from routerlab.errors import RouterlabError

    r = make_router("knn").fit(outcomes)
    with pytest.raises(RouterlabError, match="dimensions"):
        r.score_one("hello", embedding=np.ones(3, dtype=np.float32))


def test_unfitted_one_query_path_is_a_clear_error():
    from routerlab.errors import NotFittedError

    for kind in ("knn", "category", "rules", "fixed", "mf"):
        with pytest.raises(NotFittedError):
            make_router(kind).route_one("hello")


def test_routers_that_read_answers_refuse_a_bare_prompt(outcomes):
    from routerlab.errors import RouterlabError

    for kind in ("oracle", "cascade"):
        with pytest.raises(RouterlabError, match="answers"):
            make_router(kind).fit(outcomes).route_one("hello")
