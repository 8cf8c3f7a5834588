"""Recording real outcomes: the committed local recording, a real small recording that resumes,
the OpenAI-compatible path, reading recordings back, and the bundled sample's cloud switch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routerlab.cache import CallCache
from routerlab.cli import main
from routerlab.config import datasets_dir
from routerlab.errors import RouterlabError
from routerlab.models import get_backend
from routerlab.record import LONG_COLUMNS, default_out, read_recording, record
from routerlab.workloads import Workload
from routerlab.workloads.bundled import LOCAL_MODELS, load_support_desk, support_desk_workload

LOCAL = datasets_dir() / "support-desk" / "outcomes-local.jsonl"


@pytest.fixture(scope="module")
def workload() -> Workload:
    return support_desk_workload()


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in LOCAL.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------ the committed recording
def test_committed_recording_covers_every_query_and_local_model(workload, rows):
    pairs = {(r["query_id"], r["model"]) for r in rows}
    assert len(pairs) == len(rows) == len(workload) * len(LOCAL_MODELS)
    assert pairs == {(q, m) for q in workload.ids for m in LOCAL_MODELS}
    assert all(list(r) == list(LONG_COLUMNS) for r in rows)
    assert not [r for r in rows if r["error"]]


def test_committed_recording_is_consistent_with_the_workload(workload, rows):
    for r in rows:
        q = workload[r["query_id"]]
        assert r["prompt"] == q.prompt and r["category"] == q.category
        # the stored quality is exactly what the workload's grader gives the stored response
        assert r["quality"] == q.grade(r["response"]), (r["query_id"], r["model"])
        assert r["tokens_in"] > 0 and r["latency_s"] > 0 and r["cost_usd"] == 0.0
    smol = [r for r in rows if r["model"] == "smollm2-135m"]
    assert all(r["confidence"] is not None and r["confidence"] <= 0 for r in smol)


def test_read_recording_aligns_with_workload(workload):
    o = read_recording(LOCAL, workload)
    assert o.models == LOCAL_MODELS and o.n == len(workload)
    assert o.queries["query_id"].tolist() == workload.ids
    assert np.isfinite(o.quality).all() and (o.quality >= 0).all() and (o.quality <= 1).all()
    assert o.responses is not None and "grader" in o.queries
    assert o.simulated == ()


# ------------------------------------------------------------------ bundled sample
def test_bundled_support_desk_has_local_and_scenario_columns(monkeypatch, tmp_path):
    monkeypatch.setenv("ROUTERLAB_CLOUD_OUTCOMES", str(tmp_path / "none.jsonl"))
    o = load_support_desk()
    assert o.models == (*LOCAL_MODELS, "scenario:frontier", "scenario:efficient")
    assert o.simulated == ("scenario:frontier", "scenario:efficient")
    assert o.meta["cloud"] == "scenario"
    assert load_support_desk(scenario=False).models == LOCAL_MODELS


def test_real_cloud_recording_replaces_scenarios(monkeypatch, tmp_path, rows):
    cloud = tmp_path / "cloud.jsonl"
    with cloud.open("w") as f:
        for r in rows:
            if r["model"] == "smollm2-135m":
                f.write(json.dumps({**r, "model": "frontier", "cost_usd": 1e-4}) + "\n")
    monkeypatch.setenv("ROUTERLAB_CLOUD_OUTCOMES", str(cloud))
    o = load_support_desk()
    assert o.models == (*LOCAL_MODELS, "frontier")
    assert o.simulated == () and o.meta["cloud"] == "recorded"
    np.testing.assert_array_equal(o.quality[:, 2], o.quality[:, 0])
    assert o.cost[:, 2].sum() == pytest.approx(0.06)
    # a file that adds no new model leaves the scenario columns in place
    only_local = tmp_path / "local-again.jsonl"
    only_local.write_text("".join(json.dumps(r) + "\n" for r in rows[:1200]))
    monkeypatch.setenv("ROUTERLAB_CLOUD_OUTCOMES", str(only_local))
    assert load_support_desk().meta["cloud"] == "scenario"


# ------------------------------------------------------------------ a real small recording
@pytest.mark.slow
def test_small_real_recording_resumes_from_cache(tmp_path, tmp_cache, workload):
    small = workload.head(5)
    out = tmp_path / "rec.jsonl"
    cache = CallCache(tmp_cache / "calls")
    o = record(small, ["gguf:smollm2-135m"], out=out, cache=cache, progress=False)
    assert o.models == ("smollm2-135m",) and o.n == 5
    first = cache.stats()
    assert first.misses == 5 and first.hits == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 5
    for line in lines:
        r = json.loads(line)
        assert r["quality"] == small[r["query_id"]].grade(r["response"])
        assert r["tokens_out"] > 0 and r["confidence"] is not None
    # run again: everything comes from the cache, the file is identical apart from nothing
    again = record(small, ["gguf:smollm2-135m"], out=out, cache=cache, progress=False)
    assert cache.stats().hits == 5 and cache.stats().misses == 5
    np.testing.assert_array_equal(again.quality, o.quality)
    assert out.read_text().splitlines() == lines


@pytest.mark.slow
def test_interrupted_recording_only_makes_missing_calls(tmp_path, tmp_cache, workload):
    cache = CallCache(tmp_cache / "calls")
    record(
        workload.head(2),
        ["gguf:smollm2-135m"],
        out=tmp_path / "a.jsonl",
        cache=cache,
        progress=False,
    )
    cache.reset_stats()
    record(
        workload.head(4),
        ["gguf:smollm2-135m"],
        out=tmp_path / "a.jsonl",
        cache=cache,
        progress=False,
    )
    assert (cache.stats().hits, cache.stats().misses) == (2, 2)


@pytest.mark.slow
def test_record_through_an_openai_compatible_server(llama_server, tmp_path, tmp_cache, workload):
    wl = workload.head(3)
    wl_path = wl.save(tmp_path / "three.jsonl")
    cloud = get_backend(llama_server.spec, model="frontier", price="frontier")
    out = default_out(str(wl_path))
    assert out == tmp_path / "three.outcomes.jsonl"
    n0 = llama_server.request_count()
    o = record(str(wl_path), [cloud], progress=False, cache=CallCache(tmp_cache / "c"))
    assert llama_server.request_count() == n0 + 3
    assert o.models == ("frontier",)
    assert (o.cost > 0).all()
    np.testing.assert_allclose(
        o.cost[:, 0], (o.tokens_in[:, 0] * 5 + o.tokens_out[:, 0] * 25) / 1e6
    )
    # rows of other models already in the file are kept
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["model"] for r in rows} == {"frontier"}


@pytest.mark.slow
def test_cli_record_with_limit(tmp_path, tmp_cache, capsys):
    out = tmp_path / "cli.jsonl"
    rc = main(
        [
            "record",
            "support-desk",
            "--models",
            "gguf:smollm2-135m",
            "--out",
            str(out),
            "--limit",
            "2",
            "--no-progress",
            "--json",
        ]
    )
    assert rc == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["n"] == 2 and set(last["models"]) == {"smollm2-135m"}
    assert 0 <= last["models"]["smollm2-135m"]["quality"] <= 1
    assert len(out.read_text().splitlines()) == 2


# ------------------------------------------------------------------ bad input
def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_read_recording_errors(tmp_path, workload):
    wl = workload.head(2)
    a, b = wl.ids
    ok = {"model": "m", "quality": 1.0}
    with pytest.raises(RouterlabError, match="lacks 1 of 2 queries"):
        read_recording(_write(tmp_path / "x.jsonl", [{"query_id": a, **ok}]), wl)
    with pytest.raises(RouterlabError, match="recorded for another workload"):
        read_recording(_write(tmp_path / "y.jsonl", [{"query_id": "zzz", **ok}]), wl)
    with pytest.raises(RouterlabError, match="two rows"):
        read_recording(
            _write(tmp_path / "z.jsonl", [{"query_id": a, **ok}] * 2 + [{"query_id": b, **ok}]), wl
        )
    with pytest.raises(RouterlabError, match="missing column"):
        read_recording(_write(tmp_path / "w.jsonl", [{"query_id": a}]), wl)
    with pytest.raises(RouterlabError, match="not found"):
        read_recording(tmp_path / "nope.jsonl", wl)
    with pytest.raises(RouterlabError, match="no rows for model"):
        read_recording(
            _write(tmp_path / "v.jsonl", [{"query_id": a, **ok}, {"query_id": b, **ok}]),
            wl,
            models=["other"],
        )


def test_cli_errors(capsys, tmp_path):
    assert main(["record", "no-such-workload", "--models", "gguf:smollm2-135m"]) == 2
    assert "no workload file or bundled sample" in capsys.readouterr().err
    assert (
        main(["record", "support-desk", "--models", "nope:x", "--out", str(tmp_path / "o.jsonl")])
        == 2
    )
    assert "unknown model spec" in capsys.readouterr().err
    assert (
        main(["record", "support-desk", "--models", "gguf:smollm2-135m", "--concurrency", "0"]) == 2
    )
