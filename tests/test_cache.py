"""The diskcache call cache: keys, hits, stats, namespaces, sampling rules, several processes."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import FakeBackend

from routerlab.cache import CallCache, cached_complete, call_key, default_cache
from routerlab.completion import Completion
from routerlab.errors import RouterlabError


def test_hit_returns_the_stored_completion(tmp_cache):
    b = FakeBackend()
    cache = CallCache(namespace="t")
    first = cache.complete(b, "hello", max_tokens=8)
    hit = cache.complete(b, "hello", max_tokens=8)
    assert len(b.calls) == 1
    assert not first.cached and hit.cached
    assert hit.to_dict() | {"cached": False} == first.to_dict()  # latency and cost unchanged
    assert hit == first.as_cached() and isinstance(hit, Completion)
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.text = "changed"
    s = cache.stats()
    assert (s.hits, s.misses) == (1, 1)
    assert s.usd_saved == pytest.approx(first.cost_usd) and s.seconds_saved == pytest.approx(0.25)
    assert s.hit_rate == 0.5 and "1 hits" in str(s)
    assert cache.directory == tmp_cache / "calls"


def test_key_is_canonical_and_complete(tmp_cache):
    b = FakeBackend()
    k = call_key(b, "q", max_tokens=8, temperature=0)
    assert k == call_key(b, "q", temperature=0.0, max_tokens="8")  # order and spelling
    assert k == call_key(b, "q", max_tokens=8, timeout=5)  # timeout does not change answers
    assert k != call_key(b, "q", max_tokens=9)
    assert k != call_key(b, "q ", max_tokens=8)
    assert k != call_key(b, [{"role": "user", "content": "q"}], max_tokens=8)
    assert k != call_key(b, "q", max_tokens=8, system="s")
    assert k != call_key(b, "q", max_tokens=8, logprobs=True)
    assert k != call_key(FakeBackend(ident="v2"), "q", max_tokens=8)  # another model file
    assert len(k) == 64


def test_display_name_follows_the_backend(tmp_cache):
    cache = CallCache()
    cache.complete(FakeBackend("a"), "x")
    assert cache.complete(FakeBackend("a"), "x").model == "a"


def test_sampling_is_cached_only_with_seed_or_sample(tmp_cache):
    b = FakeBackend()
    cache = CallCache()
    cache.complete(b, "s", temperature=0.7)
    cache.complete(b, "s", temperature=0.7)
    assert len(b.calls) == 2 and cache.stats().uncacheable == 2
    assert call_key(b, "s", temperature=0.7) is None
    cache.complete(b, "s", temperature=0.7, seed=1)
    assert cache.complete(b, "s", temperature=0.7, seed=1).cached
    a0 = cache.complete(b, "s", temperature=0.7, sample=0)
    a1 = cache.complete(b, "s", temperature=0.7, sample=1)
    assert not a0.cached and not a1.cached
    assert cache.complete(b, "s", temperature=0.7, sample=1).cached
    assert all("sample" not in params for _, params in b.calls)  # never sent to the model


def test_errors_are_not_cached(tmp_cache):
    b = FakeBackend(fail={"boom": [RouterlabError("nope")]})
    cache = CallCache()
    with pytest.raises(RouterlabError):
        cache.complete(b, "boom")
    assert not cache.complete(b, "boom").cached
    assert len(b.calls) == 2


def test_namespaces_and_clear(tmp_cache):
    b = FakeBackend()
    one, two = CallCache(namespace="one"), CallCache(namespace="two")
    one.complete(b, "x")
    two.complete(b, "x")
    assert len(b.calls) == 2  # separate caches
    one.complete(b, "y")
    assert (one.count(), two.count()) == (2, 1)
    assert one.clear() == 2
    assert (one.count(), two.count()) == (0, 1)
    assert not one.complete(b, "x").cached and two.complete(b, "x").cached
    two.clear(all_namespaces=True)
    assert len(two) == 0
    with pytest.raises(RouterlabError, match="namespace"):
        CallCache(namespace="a:b")


def test_uncacheable_backends_bypass(tmp_cache):
    b = FakeBackend()
    b.cacheable = False
    cache = CallCache()
    cache.complete(b, "x")
    assert not cache.complete(b, "x").cached and len(cache) == 0


def test_values_are_plain_json_values(tmp_cache):
    cache = CallCache()
    b = FakeBackend()
    cache.complete(b, "x", max_tokens=4)
    raw = cache._cache.get(cache.key(b, "x", max_tokens=4))
    assert isinstance(raw, dict) and raw["text"] == "echo:x" and raw["cached"] is False
    assert json.loads(json.dumps(raw)) == raw  # nothing but JSON types
    # entries written as JSON text by the first version still read back
    cache._cache.set("default:legacy", json.dumps(raw))
    assert cache.get("default:legacy") == cache.get(cache.key(b, "x", max_tokens=4))


def test_hit_is_fast(tmp_cache):
    cache = CallCache()
    b = FakeBackend()
    cache.complete(b, "fast")
    start = time.perf_counter()
    for _ in range(200):
        cache.complete(b, "fast")
    assert (time.perf_counter() - start) / 200 < 0.01  # loose: timing targets live in bench/


def test_default_cache_and_helper(tmp_cache, tmp_path):
    b = FakeBackend()
    assert default_cache() is default_cache()
    own = CallCache(tmp_path / "own")
    assert own and len(own) == 0  # an empty cache is truthy: `cache or default` keeps it
    cached_complete(b, "mine", cache=own)
    assert own.count() == 1 and default_cache().count() == 0
    cached_complete(b, "z")
    assert cached_complete(b, "z").cached
    assert default_cache().directory == tmp_cache / "calls"


def test_several_processes_share_one_cache(tmp_cache):
    tests_dir = str(Path(__file__).resolve().parent)
    code = (
        f"import sys; sys.path.insert(0, {tests_dir!r}); from fakes import FakeBackend; "
        "from routerlab.cache import CallCache; c = CallCache(namespace='shared'); "
        "[c.complete(FakeBackend(), f'p{i}') for i in range(int(sys.argv[1]), int(sys.argv[2]))]"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(a), str(a + 20)]) for a in (0, 10, 20)
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    b = FakeBackend()
    cache = CallCache(namespace="shared")
    assert cache.count() == 40
    assert all(cache.complete(b, f"p{i}").cached for i in range(40)) and not b.calls
