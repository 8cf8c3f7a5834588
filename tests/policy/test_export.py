"""Export -> save -> load round trip for every registered router, fitted on the bundled sample."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routerlab import policy
from routerlab.errors import RouterlabError
from routerlab.routers import REGISTRY, Queries, make_router


@pytest.fixture(scope="module")
def queries(sample):
    return Queries.from_outcomes(sample)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_round_trip_every_router(kind, sample, split, queries, tmp_path):
    train, test = split
    router = make_router(kind).fit(train)
    doc = policy.export_policy(router, train, calibration=test, rules=["pii"], n_boot=200)
    path = policy.save(doc, tmp_path / "policy.json")
    raw = json.loads(path.read_text())
    # the fitted state survives JSON exactly
    assert raw["router"]["state"] == json.loads(json.dumps(router.to_dict()["state"]))
    assert raw["router"]["params"] == router.get_params()
    loaded = policy.load(path)
    assert type(loaded.router) is type(router)

    # identical decisions on every sample query (same inputs: prompts, categories, PII flags,
    # embeddings); the policy's PII rule then keeps flagged queries on the allowed models
    want = router.route(queries)
    got = loaded.route_batch(queries)
    np.testing.assert_array_equal(got.columns, want)
    allow = raw["rules"][0]["allow"]
    pii = sample.queries["contains_pii"].to_numpy(dtype=bool)
    ids = np.array([loaded.model_id(c) for c in want], dtype=object)
    ids[pii & ~np.isin(ids, allow)] = allow[0]
    np.testing.assert_array_equal(got.models, ids)
    if not REGISTRY[kind].multi_model:
        np.testing.assert_array_equal(got.scores, router.score(queries))

    # one request at a time gives the same decisions (live traffic path)
    if kind != "oracle":  # the oracle reads answers' quality: it cannot route live requests
        emb = queries.embeddings_for() if loaded.needs_embeddings else None
        cats = sample.categories
        for i in range(sample.n):  # every query
            d = loaded.route(
                sample.prompts[i],
                contains_pii=bool(pii[i]),
                category=cats[i],
                embedding=None if emb is None else emb[i],
            )
            if loaded.is_cascade:  # live traffic starts at the first stage; serve escalates
                assert "cascade" in d.reason
            else:
                assert d.model == ids[i], (i, d)

    # the PII rule: flagged queries never leave the edge
    flagged = loaded.route_batch(queries, contains_pii=np.ones(sample.n, dtype=bool))
    assert set(flagged.models.tolist()) <= set(raw["rules"][0]["allow"])


@pytest.mark.parametrize(
    "kind",
    sorted(k for k, c in REGISTRY.items() if not c.multi_model and k not in ("oracle", "cascade")),
)
def test_live_route_uses_the_exported_threshold(kind, sample, split, queries):
    """A policy exported at its own operating point (not the router's default threshold) routes
    live requests at that point, as its batch path and the router at that threshold do."""
    train, _ = split
    router = make_router(kind).fit(train)
    # a cut through the middle of the scores, so that about half the decisions depend on it
    thr = round(float(np.median(router.score(queries))), 6)
    doc = policy.export_policy(router, train, rules=[], threshold=thr, n_boot=20)
    p = policy.Policy(doc)
    assert p.threshold == thr
    want = np.array([p.model_id(c) for c in router.route(queries, threshold=thr)], dtype=object)
    np.testing.assert_array_equal(p.route_batch(queries).models, want)
    emb = queries.embeddings_for() if p.needs_embeddings else None
    pii = sample.queries["contains_pii"].to_numpy(dtype=bool)
    for i in range(sample.n):
        d = p.route(
            sample.prompts[i],
            contains_pii=bool(pii[i]),
            category=sample.categories[i],
            embedding=None if emb is None else emb[i],
        )
        assert d.model == want[i], (i, d)


def test_expected_operating_point_matches_evaluation(split):
    from routerlab.evaluate import apply

    train, test = split
    router = make_router("category").fit(train)
    doc = policy.export_policy(router, train, calibration=test, n_boot=300)
    exp = doc["expected"]
    res = apply(test, router.route(test), weak=router.models_[0])
    assert exp["n"] == test.n
    assert exp["quality"]["value"] == pytest.approx(res.mean_quality)
    assert exp["escalation_share"]["value"] == pytest.approx(res.escalation_share)
    assert exp["cost_per_1k"]["value"] == pytest.approx(res.cost_per_1k)
    for k in ("quality", "escalation_share", "cost_per_1k"):
        lo, hi = exp[k]["ci"]
        assert lo <= exp[k]["value"] <= hi
    assert exp["quality"]["ci"][0] < exp["quality"]["ci"][1]
    cats = set(test.categories)
    assert set(exp["by_category"]) == cats
    assert sum(c["n"] for c in exp["by_category"].values()) == test.n
    prov = doc["provenance"]
    assert prov["outcomes_fingerprint"] == train.fingerprint()
    assert prov["calibration_fingerprint"] == test.fingerprint()
    assert prov["n"] == train.n and prov["created"]
    # scenario columns are labelled as simulated
    sim = [m["id"] for m in doc["models"] if m.get("simulated")]
    assert sim == [m for m in router.models_ if m in train.simulated]


def test_models_mapping_names_env_vars_never_secrets(split, monkeypatch, tmp_path):
    monkeypatch.setenv("FRONTIER_KEY", "sk-very-secret-123")
    train, test = split
    router = make_router("category").fit(train)
    strong = router.models_[1]
    doc = policy.export_policy(
        router,
        train,
        models={
            strong: {
                "id": "frontier",
                "backend": "openai",
                "model": "gpt-big",
                "base_url_env": "FRONTIER_URL",
                "key_env": "FRONTIER_KEY",
                "price": "frontier",
            }
        },
        fallback="frontier",
        n_boot=50,
    )
    text = policy.dumps(doc)
    assert "sk-very-secret" not in text
    m = {x["id"]: x for x in doc["models"]}["frontier"]
    assert m["column"] == strong and m["key_env"] == "FRONTIER_KEY"
    assert m["price"]["input_per_m"] == 5.0 and m["price"]["output_per_m"] == 25.0
    assert doc["fallback"] == "frontier"
    p = policy.Policy(doc)
    assert "frontier" in {p.model_id(c) for c in router.route(test)}
    with pytest.raises(RouterlabError, match="FRONTIER_URL"):
        p.check_env()


def test_export_refuses_unfitted_and_unknown_columns(split):
    train, _ = split
    with pytest.raises(RouterlabError, match="not fitted"):
        policy.export_policy(make_router("category"), train)
    r = make_router("category").fit(train)
    with pytest.raises(RouterlabError, match="does not route to"):
        policy.export_policy(r, train, models={"nope": "gguf:smollm2-135m"})
