"""The batch runner: per-item errors, retries, concurrency, resume after Ctrl-C or an outage."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from fakes import FakeBackend

from routerlab.cache import CallCache
from routerlab.errors import RouterlabError
from routerlab.models import TransientBackendError
from routerlab.runner import COLUMNS, SequentialStrategy, ThreadPoolStrategy, run_batch


@pytest.fixture
def ctrl_c():
    """Python's own Ctrl-C handler, as in a terminal. A process started in the background by a
    non-interactive shell inherits SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


def test_models_by_prompts_table(tmp_cache):
    a, b = FakeBackend("a"), FakeBackend("b")
    res = run_batch([a, b], ["x", "y", "z"], params={"max_tokens": 2}, progress=False)
    assert list(res.df.columns) == list(COLUMNS)
    assert len(res.df) == 6 and res.ok and res.models == ["a", "b"]
    assert res.df.loc[(res.df.model == "b") & (res.df.item == 2), "text"].item() == "echo:z"
    assert res.matrix("tokens_out").shape == (3, 2) and (res.matrix("tokens_out") == 2).all()
    assert res.stats.misses == 6
    again = run_batch([a, b], ["x", "y", "z"], params={"max_tokens": 2}, progress=False)
    assert again.df["cached"].all() and len(a.calls) == 3 and again.stats.hits == 6
    assert again.stats.usd_saved == pytest.approx(res.df["cost_usd"].sum())
    summary = again.summary()
    assert summary.loc["a", "cached"] == 3 and summary.loc["b", "errors"] == 0


def test_prompts_from_a_dataframe_and_labels(tmp_cache):
    df = pd.DataFrame({"query_id": ["q1", "q2"], "prompt": ["one", "two"]})
    res = run_batch({"left": FakeBackend("l")}, df, progress=False, cache=False)
    assert res.query_ids == ["q1", "q2"] and list(res.df["query_id"]) == ["q1", "q2"]
    with pytest.raises(RouterlabError, match="unique"):
        run_batch([FakeBackend()], ["a", "b"], ids=["x", "x"], progress=False)
    with pytest.raises(RouterlabError, match="distinct"):
        run_batch([FakeBackend("a"), FakeBackend("a")], ["q"], progress=False)
    with pytest.raises(RouterlabError, match="max_tokens"):
        run_batch([FakeBackend()], ["q"], params={"max_tokens": -1}, progress=False)
    with pytest.raises(RouterlabError, match="unknown model"):
        run_batch(["nonsense-model"], ["q"], progress=False)


def test_errors_are_recorded_per_item_and_transient_ones_retried(tmp_cache):
    b = FakeBackend(
        fail={
            "flaky": [TransientBackendError("HTTP 503"), TransientBackendError("HTTP 503")],
            "down": [TransientBackendError("cannot reach x")] * 5,
            "bad": [RouterlabError("model refused")] * 5,
            "bug": [ValueError("weird\nthing")],
        }
    )
    res = run_batch([b], ["ok", "flaky", "down", "bad", "bug"], retries=2, backoff=0.001,
                    progress=False)  # fmt: skip
    err = dict(zip(res.df["text"].fillna(res.df["query_id"]), res.df["error"], strict=True))
    assert pd.isna(err["echo:ok"]) and pd.isna(err["echo:flaky"])  # retried twice, then fine
    assert err["q000002"] == "cannot reach x (after 3 attempts)"
    assert err["q000003"] == "model refused"  # not retried
    assert err["q000004"] == "ValueError: weird thing"  # one line
    calls = [c[0] for c in b.calls]
    assert calls.count("flaky") == 3 and calls.count("down") == 3 and calls.count("bad") == 1
    assert res.n_errors == 3 and not res.ok and len(res.errors) == 3
    assert np.isnan(res.df.loc[2, "latency_s"]) and res.df.loc[2, "cost_usd"] == 0


def test_concurrency_and_pluggable_strategy(tmp_cache):
    in_flight, peak, lock = [0], [0], threading.Lock()

    class Tracking(FakeBackend):
        kind = "openai"  # remote: the runner overlaps calls

        def complete(self, prompt, **params):
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            try:
                time.sleep(0.05)
                return super().complete(prompt, **params)
            finally:
                with lock:
                    in_flight[0] -= 1

    prompts = [f"p{i}" for i in range(12)]
    res = run_batch([Tracking()], prompts, concurrency=4, progress=False, cache=False)
    assert res.ok and peak[0] == 4

    class Reversed:
        used = False

        def run(self, fn, tasks):
            Reversed.used = True
            yield from SequentialStrategy().run(fn, list(reversed(tasks)))

    res2 = run_batch([FakeBackend()], prompts, strategy=Reversed(), progress=False, cache=False)
    assert Reversed.used and list(res2.df["text"]) == [f"echo:{p}" for p in prompts]


def test_ctrl_c_keeps_finished_calls_and_rerun_completes_the_rest(tmp_cache, ctrl_c):
    done = [0]

    class Interrupting(FakeBackend):
        kind = "openai"

        def complete(self, prompt, **params):
            out = super().complete(prompt, **params)
            done[0] += 1
            if done[0] == 5:
                os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered to the main thread
            return out

    b = Interrupting(delay=0.05)
    prompts = [f"p{i}" for i in range(20)]
    cache = CallCache(namespace="resume")
    with pytest.raises(KeyboardInterrupt):
        run_batch([b], prompts, cache=cache, concurrency=2, progress=False)
    first_calls = len(b.calls)
    assert 5 <= first_calls < 20 and cache.count() == first_calls  # every finished call stored
    res = run_batch([b], prompts, cache=cache, concurrency=2, progress=False)
    assert res.ok and int(res.df["cached"].sum()) == first_calls
    assert len(b.calls) == 20  # nothing was asked twice


def test_thread_pool_strategy_cancels_queued_work_on_interrupt():
    started = []

    def fn(t):
        started.append(t)
        time.sleep(0.05)
        return t

    gen = ThreadPoolStrategy(2).run(fn, list(range(50)))
    next(gen)
    gen.close()  # what a KeyboardInterrupt in the consumer does
    assert len(started) < 10


@pytest.mark.slow
def test_real_local_models_batch(tmp_cache):
    prompts = ["What is the capital of Spain?", [{"role": "user", "content": "Say hi."}]]
    res = run_batch(["gguf:smollm2-135m", "gguf:gemma3-270m"], prompts,
                    params={"max_tokens": 8}, progress=False)  # fmt: skip
    df = res.df.set_index(["model", "item"])
    assert df.loc[("smollm2-135m", 0), "text"] and df.loc[("smollm2-135m", 1), "text"]
    assert pd.isna(df.loc[("gemma3-270m", 0), "error"])
    assert "completion-only" in df.loc[("gemma3-270m", 1), "error"]  # recorded, not raised
    again = run_batch(["gguf:smollm2-135m", "gguf:gemma3-270m"], prompts,
                      params={"max_tokens": 8}, progress=False)  # fmt: skip
    assert again.df["cached"].sum() == 3 and again.n_errors == 1


@pytest.mark.slow
def test_concurrent_batch_against_the_server(llama_server, tmp_cache):
    prompts = [f"Name a fruit that starts with {c}." for c in "ABCDEF"]
    n = llama_server.request_count()
    res = run_batch([llama_server.spec], prompts, params={"max_tokens": 8}, concurrency=4,
                    progress=False)  # fmt: skip
    assert res.ok and res.df["text"].str.len().gt(0).all()
    assert llama_server.request_count() == n + 6


@pytest.mark.slow
def test_server_stopped_mid_batch_then_resumed(llama_server, tmp_cache):
    prompts = [f"Give one word about the number {i}." for i in range(6)]

    class StopServerAfterThree:
        def run(self, fn, tasks):
            for k, pair in enumerate(SequentialStrategy().run(fn, tasks)):
                yield pair
                if k == 2:
                    llama_server.stop()

    try:
        first = run_batch([llama_server.spec], prompts, params={"max_tokens": 8}, retries=1,
                          backoff=0.01, strategy=StopServerAfterThree(), progress=False)  # fmt: skip
        ok = first.df["error"].isna()
        assert list(ok) == [True] * 3 + [False] * 3
        assert first.df.loc[~ok, "error"].str.contains("is the server running").all()
    finally:
        llama_server.start()
    n = llama_server.request_count()
    second = run_batch([llama_server.spec], prompts, params={"max_tokens": 8}, concurrency=4,
                       progress=False)  # fmt: skip
    assert second.ok
    assert list(second.df["cached"]) == [True] * 3 + [False] * 3
    assert llama_server.request_count() == n + 3  # finished items made no new request
    assert list(second.df["text"][:3]) == list(first.df["text"][:3])  # nothing lost


def test_ctrl_c_stops_pending_retries(tmp_cache, ctrl_c):
    class Flaky(FakeBackend):
        kind = "openai"

        def complete(self, prompt, **params):
            if prompt == "trigger":
                time.sleep(0.2)  # the other call is then waiting to retry
                os.kill(os.getpid(), signal.SIGINT)
                return super().complete(prompt, **params)
            self.attempts += 1
            raise TransientBackendError("HTTP 503")

    b = Flaky()
    b.attempts = 0
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_batch([b], ["down", "trigger"], concurrency=2, retries=5, backoff=10,
                  max_backoff=10, progress=False)  # fmt: skip
    assert time.perf_counter() - start < 5  # did not sit out a 10 s backoff
    assert b.attempts == 1  # no retry after Ctrl-C
