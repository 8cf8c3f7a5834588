"""`routerlab serve`: the openai client against it, forwarding to real llama_cpp.server processes.

Two servers: ``edge`` (a second llama_cpp.server started here) and ``cloud`` (the session
``llama_server`` fixture). With the PII rule on, a PII request never reaches the cloud server:
its access log is counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from servers import LlamaServer, free_port

from routerlab import policy
from routerlab.policy.serve import PolicyServer
from routerlab.routers import make_router

pytestmark = pytest.mark.slow
openai = pytest.importorskip("openai")


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory):
    server = LlamaServer(
        alias="edge-smollm2", log_path=tmp_path_factory.mktemp("edge") / "edge.log"
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def policy_file(split, edge_server, llama_server, tmp_path_factory):
    train, test = split
    router = make_router("random", threshold=0.5).fit(train)
    weak, strong = router.models_
    models = {
        weak: {"id": "edge", "backend": "openai", "model": edge_server.alias,
               "base_url": edge_server.base_url, "tier": "edge", "price": "local"},
        strong: {"id": "cloud", "backend": "openai", "model": llama_server.alias,
                 "base_url": llama_server.base_url, "tier": "cloud", "price": "frontier"},
    }  # fmt: skip
    doc = policy.export_policy(
        router, train, models=models, rules=["pii"], calibration=test, n_boot=100
    )
    return policy.save(doc, tmp_path_factory.mktemp("serve") / "policy.json")


@pytest.fixture(scope="module")
def served(policy_file, tmp_path_factory):
    log = tmp_path_factory.mktemp("serve-log") / "decisions.jsonl"
    srv = PolicyServer(policy.load(policy_file), port=0, log_path=log)
    srv.start()
    client = openai.OpenAI(base_url=srv.url, api_key="unused", max_retries=0, timeout=60)
    yield srv, client, log
    srv.stop()


def _ask(client, text, model="router", **kw):
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}], max_tokens=4, **kw
    )
    return raw.headers, raw.parse()


def test_router_requests_are_forwarded_with_the_decision(served, llama_server, edge_server):
    srv, client, log = served
    p = srv.policy
    texts = ["What is 2 + 2?", "Summarise the renewal clause.", "Translate 'hello' to French.",
             "List three colours.", "What is the capital of Peru?", "Sort 3, 1, 2."]  # fmt: skip
    want = [p.route(t) for t in texts]
    assert {d.model for d in want} == {"edge", "cloud"}, "pick texts that reach both tiers"
    n_edge, n_cloud = edge_server.request_count(), llama_server.request_count()
    for t, d in zip(texts, want, strict=True):
        headers, resp = _ask(client, t)
        assert headers["x-routerlab-model"] == d.model == resp.model
        assert float(headers["x-routerlab-score"]) == pytest.approx(d.score, rel=1e-5)
        assert headers["x-routerlab-reason"] == d.reason
        assert resp.choices[0].message.content is not None
        assert resp.usage.prompt_tokens > 0
    assert edge_server.request_count() - n_edge == sum(d.model == "edge" for d in want)
    assert llama_server.request_count() - n_cloud == sum(d.model == "cloud" for d in want)
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    recent = [r for r in lines if r.get("status") == 200][-len(texts) :]
    assert [r["model"] for r in recent] == [d.model for d in want]
    for r in recent:
        assert {
            "time",
            "model",
            "score",
            "reason",
            "latency_s",
            "tokens_in",
            "tokens_out",
            "cost_usd",
        } <= set(r)
        assert "prompt" not in r  # prompts are logged only with --log-prompts


def test_pii_never_reaches_the_cloud(served, llama_server, edge_server):
    srv, client, _ = served
    pii = ["My email is ana.ruiz@example.com, what is 2 + 2?",
           "Call me on +1-555-0142 about the renewal clause.",
           "Account AC-123456: which plan am I on?"]  # fmt: skip
    n_cloud, n_edge = llama_server.request_count(), edge_server.request_count()
    for t in pii:
        for model in ("router", "cloud", srv.alias, "router-random-0"):  # even when asked by name
            headers, resp = _ask(client, t, model=model)
            assert headers["x-routerlab-model"] == "edge" == resp.model
    assert llama_server.request_count() == n_cloud
    assert edge_server.request_count() == n_edge + 4 * len(pii)
    n_edge = edge_server.request_count()
    # a client can flag PII, but cannot switch detection off
    raw = client.chat.completions.with_raw_response.create(
        model="router-random-0", messages=[{"role": "user", "content": "What is 2 + 2?"}],
        max_tokens=4, extra_headers={"x-routerlab-pii": "true"},
    )  # fmt: skip
    assert raw.headers["x-routerlab-model"] == "edge"
    raw = client.chat.completions.with_raw_response.create(
        model="router-random-0", messages=[{"role": "user", "content": pii[0]}],
        max_tokens=4, extra_headers={"x-routerlab-pii": "false"},
    )  # fmt: skip
    assert raw.headers["x-routerlab-model"] == "edge"
    assert llama_server.request_count() == n_cloud
    # the counter works: a non-PII request sent to the cloud by threshold 0 arrives there
    headers, _ = _ask(client, "What is 2 + 2?", model="router-random-0")
    assert headers["x-routerlab-model"] == "cloud"
    assert llama_server.request_count() == n_cloud + 1


def test_bad_requests_get_4xx_json_and_serving_continues(served):
    srv, client, _ = served

    def post(body: bytes, path="/v1/chat/completions"):
        req = urllib.request.Request(f"http://127.0.0.1:{srv.port}{path}", data=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    for body, status in [
        (b"{not json", 400),
        (b"[]", 400),
        (json.dumps({"model": "router"}).encode(), 400),
        (
            json.dumps(
                {"model": "router", "messages": [{"role": "robot", "content": "x"}]}
            ).encode(),
            400,
        ),
        (
            json.dumps({"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}).encode(),
            404,
        ),
        (
            json.dumps(
                {
                    "model": "router",
                    "messages": [{"role": "user", "content": "x"}],
                    "temperature": 7,
                }
            ).encode(),
            400,
        ),  # fmt: skip
    ]:
        code, err = post(body)
        assert code == status and set(err["error"]) >= {"message", "type"}, (body, code, err)
    code, err = post(b"{}", path="/v1/nowhere")
    assert code == 404 and "error" in err
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    # still serving
    headers, resp = _ask(client, "What is 2 + 2?")
    assert resp.choices[0].message.content is not None
    assert {m.id for m in client.models.list().data} >= {"router", "edge", "cloud", srv.alias}
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.port}/health", timeout=10) as r:
        assert json.loads(r.read())["status"] == "ok"


def test_streaming_client(served):
    _, client, _ = served
    stream = client.chat.completions.create(
        model="router", messages=[{"role": "user", "content": "Say hi"}], max_tokens=4, stream=True
    )
    chunks = list(stream)
    assert chunks and chunks[-1].choices[0].finish_reason is not None


def test_cli_serve_subprocess_with_prompt_log(policy_file, tmp_path):
    port = free_port()
    log = tmp_path / "d.jsonl"
    cmd = [sys.executable, "-m", "routerlab", "serve", str(policy_file), "--port", str(port),
           "--log", str(log), "--log-prompts"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.2)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)
        _ask(client, "What is 2 + 2?")
        rec = json.loads(log.read_text().splitlines()[-1])
        assert rec["prompt"] == "What is 2 + 2?" and rec["status"] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_serve_refuses_missing_env_and_unbacked_models(split, tmp_path, monkeypatch):
    from routerlab.cli import main

    train, test = split
    router = make_router("random").fit(train)
    doc = policy.export_policy(router, train, n_boot=20)  # scenario columns: no backend
    path = policy.save(doc, tmp_path / "p.json")
    assert main(["serve", str(path), "--port", "0"]) == 2
    weak, strong = router.models_
    doc = policy.export_policy(
        router, train, n_boot=20,
        models={strong: {"backend": "openai", "model": "m", "base_url_env": "RL_TEST_URL_UNSET",
                         "key_env": "RL_TEST_KEY_UNSET"}},
    )  # fmt: skip
    monkeypatch.delenv("RL_TEST_URL_UNSET", raising=False)
    path = policy.save(doc, tmp_path / "p2.json")
    assert main(["serve", str(path), "--port", "0"]) == 2


@pytest.mark.parametrize("verifier", ["confidence", "learned"])
def test_cascade_runs_live_and_counts_every_stage(split, edge_server, llama_server, verifier):
    """Each edge answer is scored live: by its token confidence, or by the learned verifier on
    the (prompt, answer) embeddings."""
    train, _ = split
    models = {
        "smollm2-135m": {"id": "edge", "backend": "openai", "model": edge_server.alias,
                         "base_url": edge_server.base_url, "tier": "edge", "price": "local"},
        "scenario:frontier": {"id": "cloud", "backend": "openai", "model": llama_server.alias,
                              "base_url": llama_server.base_url, "tier": "cloud", "price": "frontier"},
    }  # fmt: skip
    # verifier scores are in [0, 1]: threshold 0 accepts the edge answer, 1.01 always escalates
    for thr, stages in [(0.0, ["edge"]), (1.01, ["edge", "cloud"])]:
        router = make_router(
            "cascade", models=["smollm2-135m", "scenario:frontier"], verifier=verifier,
            thresholds=[thr],
        ).fit(train)  # fmt: skip
        p = policy.Policy(policy.export_policy(router, train, models=models, n_boot=20))
        assert p.route("What is 2 + 2?").model == "edge"
        with PolicyServer(p, port=0) as srv:
            client = openai.OpenAI(base_url=srv.url, api_key="x", max_retries=0, timeout=60)
            n_edge, n_cloud = edge_server.request_count(), llama_server.request_count()
            headers, resp = _ask(client, "What is 2 + 2?")
            assert headers["x-routerlab-model"] == stages[-1] == resp.model
            assert " -> ".join(stages) in headers["x-routerlab-reason"]
            if len(stages) == 1:
                assert f"({verifier} " in headers["x-routerlab-reason"]
            assert edge_server.request_count() == n_edge + 1
            assert llama_server.request_count() == n_cloud + (len(stages) - 1)


def test_judge_verifier_cascade_is_refused_by_serve(split):
    from dataclasses import replace

    from routerlab.policy.schema import PolicyError

    train, _ = split
    o = replace(train, queries=train.queries.assign(**{"judge:smollm2-135m": 0.5}))
    router = make_router(
        "cascade", models=["smollm2-135m", "scenario:frontier"], verifier="judge"
    ).fit(o)
    p = policy.Policy(policy.export_policy(router, o, n_boot=20))
    with pytest.raises(PolicyError, match="this cascade uses 'judge'"):
        PolicyServer(p, port=0)


def test_backend_down_falls_back_and_keeps_serving(split, edge_server, tmp_path):
    train, _ = split
    router = make_router("random", threshold=0.0).fit(train)  # everything to the strong model
    weak, strong = router.models_
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    models = {
        weak: {"id": "edge", "backend": "openai", "model": edge_server.alias,
               "base_url": edge_server.base_url, "tier": "edge", "price": "local"},
        strong: {"id": "cloud", "backend": "openai", "model": "m", "base_url": dead, "tier": "cloud"},
    }  # fmt: skip
    doc = policy.export_policy(router, train, models=models, fallback="edge", n_boot=20)
    log = tmp_path / "d.jsonl"
    with PolicyServer(policy.Policy(doc), port=0, log_path=log) as srv:
        client = openai.OpenAI(base_url=srv.url, api_key="x", max_retries=0, timeout=60)
        for _ in range(2):
            headers, resp = _ask(client, "What is 2 + 2?")
            assert headers["x-routerlab-model"] == "edge" == resp.model
            assert "fallback to edge" in headers["x-routerlab-reason"]
        rec = json.loads(log.read_text().splitlines()[-1])
        assert rec["model"] == "edge" and "cloud" in rec["fallback_error"]
        # asking for the dead model by name: the fallback answers too
        headers, _ = _ask(client, "Hi", model="cloud")
        assert headers["x-routerlab-model"] == "edge"
