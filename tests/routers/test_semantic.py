import json

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.outcomes import Outcomes
from routerlab.routers import Queries, make_router


def test_auto_routes_per_category_with_fitted_thresholds(outcomes, fake_embeddings):
    r = make_router("semantic", max_utterances=10).fit(outcomes)
    assert sorted(r.route_names_) == sorted(set(outcomes.categories))
    assert len(r.utterances_) == 10 * len(r.route_names_)
    # the fitted cut is at least as good as "always match" and "never match" on training data
    gap = outcomes.quality[:, 2] - outcomes.quality[:, 0]
    prefer = np.where(gap > 0, "strong", "weak")
    agree = (r.route(outcomes) == prefer).mean()
    best, _ = r._best_route(Queries.from_outcomes(outcomes))
    always = np.asarray(r.route_models_, dtype=object)[best]
    assert agree >= (always == prefer).mean() - 1e-12
    assert agree >= (prefer == r.default_).mean() - 1e-12


def test_semantic_router_export_layout(outcomes, fake_embeddings):
    routes = [
        {
            "name": "legal",
            "model": "strong",
            "utterances": ["contracts hard question", "contracts clause"],
        },
        {"name": "smalltalk", "model": "weak", "utterances": ["chat easy question"]},
    ]
    r = make_router("semantic", routes=routes).fit(outcomes)
    cfg = r.to_semantic_router()
    json.dumps(cfg)
    assert [x["name"] for x in cfg["routes"]] == ["legal", "smalltalk"]
    assert cfg["routes"][0]["utterances"] == routes[0]["utterances"]
    assert all(-1 <= x["score_threshold"] <= 1 for x in cfg["routes"])
    assert cfg["routes"][0]["metadata"]["model"] == "strong"


def test_bad_routes(outcomes, fake_embeddings):
    with pytest.raises(RouterlabError, match="utterances"):
        make_router("semantic", routes=[{"name": "x", "model": "weak"}]).fit(outcomes)
    with pytest.raises(RouterlabError, match="not in the table"):
        make_router("semantic", routes=[{"name": "x", "model": "gpt-9", "utterances": ["a"]}]).fit(
            outcomes
        )


@pytest.mark.slow
def test_semantic_with_the_real_encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path))
    prompts = [
        "review the indemnity clause of this contract",
        "is this non-compete enforceable",
        "what's the weather like",
        "tell me a joke",
    ] * 3
    quality = np.array([[0, 1], [0, 1], [1, 1], [1, 1]] * 3, dtype=float)
    o = Outcomes.from_arrays(
        pd.DataFrame(
            {
                "prompt": prompts,
                "category": ["legal", "legal", "chat", "chat"] * 3,
                "query_id": [f"q{i}" for i in range(12)],
            }
        ),
        ["small", "big"],
        quality=quality,
    )
    routes = [
        {
            "name": "legal",
            "model": "strong",
            "utterances": ["contract law question", "legal clause review"],
        }
    ]
    r = make_router("semantic", routes=routes).fit(o)
    d = r.route(
        Queries.from_texts(["check the liability clause of my contract", "tell me a funny joke"])
    )
    assert d.tolist() == ["big", "small"]


@pytest.mark.slow
def test_semantic_on_support_desk(bundled):
    train, test, strong, weak = bundled
    r = make_router("semantic", strong=strong, weak=weak, default="weak").fit(train)
    assert set(r.route_names_) == set(train.categories)
    gap = train.quality[:, train.col(strong)] - train.quality[:, train.col(weak)]
    prefer = np.where(gap > 0, strong, weak)
    agree = (r.route(train) == prefer).mean()
    assert agree >= max((prefer == strong).mean(), (prefer == weak).mean()) - 1e-12
    assert set(r.route(test)) <= {strong, weak}
