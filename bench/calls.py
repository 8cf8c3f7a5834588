"""Benchmarks of model calls, each ratio measured side by side in one run.

1. cache hit: ``CallCache.complete`` on a hit vs a raw ``diskcache.Cache.get`` of the same entry
   (target <= 3x). Blocks of both alternate; the ratio is the median of paired blocks.
2. GGUF throughput: generated tokens/s through ``routerlab`` vs raw ``llama_cpp.Llama`` with the
   same settings on the same prompts, calls alternating (target >= 0.95x).
3. remote concurrency: ``run_batch`` against a local ``llama_cpp.server`` with concurrency 4 vs
   sequential, no cache (the speed-up is reported; that server runs one request at a time), and
   against a tiny server that answers in parallel after 0.2 s (like a hosted API).
4. logprobs: the cost of ``logprobs=True`` (confidence) for SmolLM2 and gemma3-270m.

Run: ``.venv/bin/python bench/calls.py`` (about 2 minutes). The last line is a JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # LlamaServer

os.environ.setdefault("ROUTERLAB_CACHE", tempfile.mkdtemp(prefix="routerlab-bench-"))

PROMPTS = [
    "What is the capital of France?",
    "Name three primary colours.",
    "How many legs does a spider have?",
    "Explain what a router does in one sentence.",
    "What is 12 times 12?",
    "Give a synonym for happy.",
]


def bench_cache_hit(blocks: int = 30, per_block: int = 300) -> dict:
    import diskcache

    from routerlab.cache import CallCache
    from routerlab.models import get_backend

    backend = get_backend("gguf:smollm2-135m")
    cache = CallCache(namespace="bench")
    prompt, params = "What is 2+2?", {"max_tokens": 8}
    cache.complete(backend, prompt, **params)  # the one real call
    key = cache.key(backend, prompt, **params)
    raw = diskcache.Cache(str(cache.directory))
    assert raw.get(key) is not None and cache.complete(backend, prompt, **params).cached

    def timed(fn) -> float:
        start = time.perf_counter()
        for _ in range(per_block):
            fn()
        return (time.perf_counter() - start) / per_block

    ratios, hits, raws = [], [], []
    for _ in range(blocks):
        r = timed(lambda: raw.get(key))
        h = timed(lambda: cache.complete(backend, prompt, **params))
        raws.append(r)
        hits.append(h)
        ratios.append(h / r)
    out = {
        "hit_us": statistics.median(hits) * 1e6,
        "raw_get_us": statistics.median(raws) * 1e6,
        "ratio": statistics.median(ratios),
        "target_ratio_max": 3.0,
    }
    print(f"cache hit {out['hit_us']:.1f} us vs raw diskcache get {out['raw_get_us']:.1f} us: "
          f"{out['ratio']:.2f}x (target <= 3x)")  # fmt: skip
    return out


def bench_gguf_throughput(max_tokens: int = 48, rounds: int = 2) -> dict:
    from llama_cpp import Llama

    from routerlab.models import get_backend
    from routerlab.models.gguf import default_threads, smollm2_path

    backend = get_backend("gguf:smollm2-135m")
    threads = default_threads()
    raw = Llama(model_path=str(smollm2_path()), n_ctx=2048, n_threads=threads,
                n_threads_batch=threads, verbose=False)  # fmt: skip
    backend.complete("warm up", max_tokens=4)
    raw.create_chat_completion(messages=[{"role": "user", "content": "warm up"}], max_tokens=4)
    t_ours = t_raw = 0.0
    tok_ours = tok_raw = 0
    for r in range(rounds):
        for i, p in enumerate(PROMPTS):
            order = ("ours", "raw") if (i + r) % 2 == 0 else ("raw", "ours")
            for who in order:
                start = time.perf_counter()
                if who == "ours":
                    c = backend.complete(p, max_tokens=max_tokens)
                    t_ours += time.perf_counter() - start
                    tok_ours += c.tokens_out
                else:
                    out = raw.create_chat_completion(
                        messages=[{"role": "user", "content": p}], max_tokens=max_tokens,
                        temperature=0.0,
                    )  # fmt: skip
                    t_raw += time.perf_counter() - start
                    tok_raw += out["usage"]["completion_tokens"]
    ours, theirs = tok_ours / t_ours, tok_raw / t_raw
    out = {
        "routerlab_tok_s": ours,
        "raw_llama_cpp_tok_s": theirs,
        "ratio": ours / theirs,
        "tokens": tok_ours,
        "target_ratio_min": 0.95,
        "threads": threads,
    }
    print(f"GGUF throughput routerlab {ours:.1f} tok/s vs raw llama-cpp {theirs:.1f} tok/s: "
          f"{out['ratio']:.3f}x (target >= 0.95x)")  # fmt: skip
    return out


def bench_remote_concurrency(n_prompts: int = 12, max_tokens: int = 16) -> dict:
    from servers import LlamaServer

    from routerlab.runner import run_batch

    prompts = [f"{p} (variant {i})" for i, p in enumerate(PROMPTS * 4)][:n_prompts]
    with LlamaServer() as server:
        run_batch([server.spec], ["warm up"], params={"max_tokens": 4}, cache=False, progress=False)
        times = {}
        for conc in (1, 4, 1, 4):  # twice each, alternating
            res = run_batch([server.spec], prompts, params={"max_tokens": max_tokens}, cache=False,
                            concurrency=conc, progress=False)  # fmt: skip
            assert res.ok, res.errors
            times.setdefault(conc, []).append(res.elapsed_s)
    seq, par = min(times[1]), min(times[4])
    out = {"sequential_s": seq, "concurrency4_s": par, "speedup": seq / par, "calls": n_prompts}
    print(f"remote batch of {n_prompts} (llama_cpp.server): sequential {seq:.2f} s, concurrency 4 "
          f"{par:.2f} s: {out['speedup']:.2f}x (that server answers one request at a time)")  # fmt: skip
    out["parallel_server"] = bench_parallel_server(n_prompts)
    return out


def bench_parallel_server(n_prompts: int, delay: float = 0.2) -> dict:
    """The same batch against a server that answers requests in parallel after ``delay`` s
    (like a hosted API: the time is network and queueing, not this machine's CPU)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from routerlab.runner import run_batch

    body = json.dumps({
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
    }).encode()  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    spec = f"openai:m@http://127.0.0.1:{server.server_address[1]}/v1"
    prompts = [f"q{i}" for i in range(n_prompts)]
    times = {}
    try:
        run_batch([spec], ["warm up"], cache=False, progress=False)
        for conc in (1, 4):
            res = run_batch([spec], prompts, cache=False, concurrency=conc, progress=False)
            assert res.ok, res.errors
            times[conc] = res.elapsed_s
    finally:
        server.shutdown()
        server.server_close()
    out = {"sequential_s": times[1], "concurrency4_s": times[4], "speedup": times[1] / times[4],
           "delay_s": delay}  # fmt: skip
    print(f"remote batch of {n_prompts} (parallel server, {delay} s per answer): sequential "
          f"{times[1]:.2f} s, concurrency 4 {times[4]:.2f} s: {out['speedup']:.2f}x")  # fmt: skip
    return out


def bench_logprobs(spec: str, n: int = 6, max_tokens: int = 16) -> dict:
    from routerlab.models import get_backend

    b = get_backend(spec)
    b.complete("warm up", max_tokens=2)
    b.complete("warm up", max_tokens=2, logprobs=True)
    t = {False: 0.0, True: 0.0}
    for i, p in enumerate(PROMPTS[:n]):
        for lp in (False, True) if i % 2 == 0 else (True, False):
            start = time.perf_counter()
            b.complete(p, max_tokens=max_tokens, logprobs=lp)
            t[lp] += time.perf_counter() - start
    out = {"off_s": t[False], "on_s": t[True], "ratio": t[True] / t[False], "calls": n}
    print(f"logprobs {spec}: off {t[False]:.2f} s, on {t[True]:.2f} s for {n} calls: "
          f"{out['ratio']:.2f}x")  # fmt: skip
    return out


def main() -> None:
    results = {
        "cache_hit": bench_cache_hit(),
        "gguf_throughput": bench_gguf_throughput(),
        "remote_concurrency": bench_remote_concurrency(),
        "logprobs_smollm2": bench_logprobs("gguf:smollm2-135m"),
        "logprobs_gemma3": bench_logprobs("gguf:gemma3-270m"),
        "load_avg_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    results["targets_met"] = {
        "cache_hit_le_3x": results["cache_hit"]["ratio"] <= 3.0,
        "gguf_ge_0_95x": results["gguf_throughput"]["ratio"] >= 0.95,
    }
    out = ROOT / "bench" / "results" / "calls.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
