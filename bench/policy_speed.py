"""Speed of the production runtime and of ``routerlab serve``, measured side by side in one run.

1. decision time excluding the embedding: ``Policy.route(prompt, embedding=e)`` per request (median
   over the prompts, then over 5 rounds that take every router in turn; microseconds) for every router that routes live prompts, with the PII regex on (no caller flag)
   and with the caller's flag; target <= 50 us for every router type at its default settings (two
   non-default settings are priced alongside: word TF-IDF logistic, and the ensemble with it);
2. that decision time as a share of embedding the same prompt live (one prompt per call, no
   cache: what a request costs an embedding router); target <= 5%;
3. serve overhead: the openai client -> ``routerlab serve`` -> ``llama_cpp.server`` vs the openai
   client -> the same ``llama_cpp.server`` directly, calls alternating, same prompt, one generated
   token; the median paired difference (target <= 5 ms).

4. policies fitted on RouteLLM's MMLU outcomes: knn with the whole training table as its bank vs
   ``max_bank=1000`` centroids, and the default ensemble (decision time, policy size).

Run: ``.venv/bin/python bench/policy_speed.py [--quick] [--no-mmlu]`` (2-3 minutes; embedding the
MMLU questions takes a few more unless ``$ROUTERLAB_CACHE`` already holds them). Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # LlamaServer
sys.path.insert(0, str(ROOT / "tests" / "policy"))  # the sample (or its stand-in)

os.environ.setdefault("ROUTERLAB_CACHE", tempfile.mkdtemp(prefix="routerlab-bench-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _median_us(fn, items, reps: int = 3) -> float:
    ts = []
    for _ in range(reps):
        for it in items:
            t0 = time.perf_counter()
            fn(it)
            ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e6


def bench_decisions(n: int, n_rounds: int = 5) -> dict:
    from conftest import _sample

    from routerlab import policy
    from routerlab.embeddings import embed
    from routerlab.routers import REGISTRY, Queries, make_router

    sample = _sample()
    train, test = sample.train_test_split(0.3, seed=0)
    idx = np.arange(min(n, test.n))
    prompts = [test.prompts[i] for i in idx]
    q = Queries.from_outcomes(test)
    emb = None
    out: dict = {"n_prompts": len(prompts), "routers": {}}

    # live embedding: one prompt per call, no cache (what a request to an embedding router costs)
    embed(prompts[:3], cache=False)  # load the encoder
    import torch

    threads = torch.get_num_threads()
    sub = prompts[:30]
    out["embed_us_default_threads"] = _median_us(lambda t: embed([t], cache=False), sub, reps=1)
    torch.set_num_threads(
        1
    )  # on a busy machine torch's thread pool spins; one thread can be faster
    out["embed_us_one_thread"] = _median_us(lambda t: embed([t], cache=False), sub, reps=1)
    torch.set_num_threads(threads)
    # the share is taken against the faster of the two (the stricter comparison)
    out["embed_us"] = min(out["embed_us_default_threads"], out["embed_us_one_thread"])

    from routerlab.routers.ensemble import DEFAULT_MEMBERS, WORDS_MEMBER

    configs = {
        kind: (kind, {}) for kind in sorted(REGISTRY) if kind != "oracle"
    }  # oracle reads answers
    # non-default settings worth knowing the price of: word TF-IDF features (the best logistic on
    # MMLU) and an ensemble that includes them
    configs["logistic (words)"] = ("logistic", dict(WORDS_MEMBER["params"]))
    configs["ensemble (+ words member)"] = (
        "ensemble",
        {"members": [*DEFAULT_MEMBERS, WORDS_MEMBER]},
    )
    timed = {}
    for label, (kind, params) in configs.items():
        try:
            router = make_router(kind, **params).fit(train)
            doc = policy.export_policy(router, train, rules=["pii"], n_boot=10)
        except Exception as exc:  # noqa: BLE001 - a router that cannot fit here is reported
            out["routers"][label] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
            continue
        p = policy.Policy(doc)
        if p.is_cascade:
            continue  # decides after seeing answers (serve runs it live)
        needs = bool(getattr(router, "needs_embeddings", False))
        if needs and emb is None:
            emb = q.embeddings_for()[idx]
        e = emb if needs else None

        def route_regex(i, p=p, e=e):
            return p.route(prompts[i], embedding=None if e is None else e[i])

        def route_flag(i, p=p, e=e):
            return p.route(prompts[i], contains_pii=False, embedding=None if e is None else e[i])

        meta = {"default_params": not params, "needs_embeddings": needs}
        timed[label] = (route_regex, route_flag, meta | {"multi_model": REGISTRY[kind].multi_model})
    # rounds: every router once per round (each the median over the prompts), so all routers see
    # the same machine state; a router's figure is the median of its rounds
    items = list(range(len(prompts)))
    rounds: dict = {label: ([], []) for label in timed}
    for _ in range(n_rounds):
        for label, (route_regex, route_flag, _meta) in timed.items():
            for i in items[:5]:
                route_regex(i)  # warm caches
            rounds[label][0].append(_median_us(route_regex, items, reps=1))
            rounds[label][1].append(_median_us(route_flag, items, reps=1))
    for label, (_r, _f, meta) in timed.items():
        regex, flag = rounds[label]
        r_regex = statistics.median(regex)
        out["routers"][label] = {
            **meta,
            "decision_us": round(r_regex, 2),
            "decision_us_with_caller_pii_flag": round(statistics.median(flag), 2),
            "decision_us_rounds": [round(x, 1) for x in regex],
            "share_of_embedding": round(r_regex / out["embed_us"], 5),
        }
    # the targets are read on every router type at its default settings
    ok = [v for v in out["routers"].values() if "decision_us" in v and v["default_params"]]
    out["max_decision_us"] = max(v["decision_us"] for v in ok)
    out["median_decision_us"] = statistics.median(v["decision_us"] for v in ok)
    emb_routers = [v for v in ok if v["needs_embeddings"]]
    out["max_share_of_embedding"] = max(
        (v["share_of_embedding"] for v in emb_routers), default=None
    )
    return out


def machine_reference() -> dict:
    """How fast this machine is right now, for reading the decision times: one small numpy call
    (the unit every router's tail is made of) and the 421 x 384 float32 matrix-vector product (the
    floor of a kNN decision on the sample's bank). On the 2-core VM these vary by up to 1.6x over an
    hour, and the decision times move with them."""
    rng = np.random.default_rng(0)
    small = rng.standard_normal(50)
    bank = rng.standard_normal((421, 384)).astype(np.float32)
    qs = list(rng.standard_normal((60, 384)).astype(np.float32))
    return {
        "numpy_call_us": round(_median_us(lambda i: np.exp(small), range(200), reps=5), 2),
        "matvec_421x384_us": round(_median_us(lambda e: np.dot(bank, e), qs, reps=10), 2),
    }


def bench_knn_bank_sizes(sizes=(421, 1_000, 2_000, 14_042), n: int = 60) -> dict:
    """knn's decision grows with its training bank (one similarity per training query): the
    one-query score time at several bank sizes. SIMULATED banks (random unit vectors, random gains)
    stand in for larger training tables; 14,042 is the size of the RouteLLM MMLU table."""
    from routerlab.routers.knn import KNNRouter, quantize

    rng = np.random.default_rng(0)
    queries = rng.normal(size=(n, 384)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    out = {}
    for size in sizes:
        bank = rng.normal(size=(size, 384))
        bank /= np.linalg.norm(bank, axis=1, keepdims=True)
        r = KNNRouter().set_state(
            {
                "models_": ["weak", "strong"],
                "bank_": quantize(bank).tolist(),
                "gain_": np.round(rng.choice([-1.0, 0.0, 1.0], size), 6).tolist(),
                "cat_keys_": [],
                "cat_values_": [],
                "global_": 0.1,
            }
        )
        items = list(range(n))
        r.score_one("x", embedding=queries[0])
        out[size] = {
            "score_us": round(
                _median_us(lambda i, r=r: r.score_one("x", embedding=queries[i]), items), 2
            ),
            "state_mb": round(len(json.dumps(r.get_state())) / 1e6, 2),
        }
    return out


def bench_mmlu_bank(max_bank: int = 1000, n: int = 120) -> dict | None:
    """Policies fitted on RouteLLM's MMLU outcomes (70% of 14,042 questions, real embeddings): knn
    with the whole training table as its bank vs ``max_bank`` centroids, and the default ensemble
    (its knn member keeps 128 centroids). Decision time (PII regexes on), policy file size and fit
    time; their APGR is in bench/mmlu_routers.py. None when the MMLU files are not at
    ``$ROUTERLAB_MMLU_DIR`` / ../shared/data/routellm-mmlu."""
    sys.path.insert(0, str(ROOT / "bench"))
    from mmlu_routers import STRONG, WEAK, mmlu_path

    from routerlab import policy
    from routerlab.loaders import load_outcomes
    from routerlab.routers import Queries, make_router

    path = mmlu_path()
    if not path.is_dir():
        return None
    table = load_outcomes(path)
    train, test = table.train_test_split(0.3, seed=0)
    emb = Queries.from_outcomes(test).embeddings_for()[:n]
    prompts = test.prompts[:n]
    out = {"train_rows": train.n}
    with tempfile.TemporaryDirectory() as d:
        configs = (
            ("knn full", "knn", {}),
            (f"knn max_bank={max_bank}", "knn", {"max_bank": max_bank}),
            ("ensemble (default)", "ensemble", {}),
        )
        for label, kind, params in configs:
            t0 = time.perf_counter()
            router = make_router(kind, strong=STRONG, weak=WEAK, **params).fit(train)
            fit_s = time.perf_counter() - t0
            file = policy.save(
                policy.export_policy(
                    router, train, rules=[{"type": "pii", "allow": [WEAK]}], n_boot=10
                ),
                Path(d) / "p.json",
            )
            p = policy.load(file)
            p.route(prompts[0], embedding=emb[0])
            bank = router.bank_ if kind == "knn" else router.members_[0].bank_
            out[label] = {
                "bank_rows": len(bank),
                "decision_us": round(
                    _median_us(lambda i, p=p: p.route(prompts[i], embedding=emb[i]), range(n)), 1
                ),
                "policy_mb": round(file.stat().st_size / 1e6, 2),
                "fit_s": round(fit_s, 1),
            }
    return out


def _wait_ready(proc, url: str, timeout: float = 120.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"routerlab serve exited: {proc.stderr.read().decode()[-500:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("routerlab serve did not start")


def bench_serve(pairs: int) -> dict:
    import openai
    from conftest import _sample
    from servers import LlamaServer, free_port

    from routerlab import policy
    from routerlab.routers import make_router

    sample = _sample()
    train, _ = sample.train_test_split(0.3, seed=0)
    log = Path(tempfile.mkdtemp(prefix="routerlab-bench-serve-"))
    res: dict = {}
    with LlamaServer(log_path=log / "llama.log") as llama:
        router = make_router("category").fit(train)
        target = {"backend": "openai", "model": llama.alias, "base_url": llama.base_url}
        models = {
            c: dict(target, id=f"m{j}", tier="edge" if j == 0 else "cloud")
            for j, c in enumerate(router.models_)
        }
        doc = policy.export_policy(router, train, models=models, rules=["pii"], n_boot=10)
        pfile = policy.save(doc, log / "policy.json")
        port = free_port()
        # the CLI in its own process, as in production (no GIL shared with the benchmark client)
        cmd = [sys.executable, "-m", "routerlab", "serve", str(pfile), "--port", str(port),
               "--log", str(log / "decisions.jsonl")]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            _wait_ready(proc, f"http://127.0.0.1:{port}/health")
            direct = openai.OpenAI(base_url=llama.base_url, api_key="x", max_retries=0)
            via = openai.OpenAI(base_url=url, api_key="x", max_retries=0)
            msgs = [{"role": "user", "content": "Reply with one word: hello"}]

            def call(client, model):
                t0 = time.perf_counter()
                client.chat.completions.create(
                    model=model, messages=msgs, max_tokens=1, temperature=0
                )
                return time.perf_counter() - t0

            for _ in range(5):  # warm both paths (connections, prompt cache)
                call(direct, llama.alias)
                call(via, "router")
            d, v = [], []
            for i in range(pairs):
                if i % 2:
                    d.append(call(direct, llama.alias))
                    v.append(call(via, "router"))
                else:
                    v.append(call(via, "router"))
                    d.append(call(direct, llama.alias))
            diffs = [b - a for a, b in zip(d, v, strict=True)]
            routes = [
                json.loads(x)["route_s"] for x in (log / "decisions.jsonl").read_text().splitlines()
            ]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    res["direct_ms"] = round(statistics.median(d) * 1e3, 3)
    res["via_serve_ms"] = round(statistics.median(v) * 1e3, 3)
    res["overhead_ms"] = round(statistics.median(diffs) * 1e3, 3)
    res["overhead_median_of_medians_ms"] = round(
        (statistics.median(v) - statistics.median(d)) * 1e3, 3
    )
    res["route_in_serve_us"] = round(statistics.median(routes) * 1e6, 1)
    res["pairs"] = pairs
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer prompts and pairs, no MMLU")
    ap.add_argument(
        "--no-mmlu",
        action="store_true",
        help="skip the policies on MMLU (it embeds 14,042 questions unless cached)",
    )
    args = ap.parse_args()
    n, pairs = (40, 20) if args.quick else (120, 60)
    ref = machine_reference()
    dec = bench_decisions(n)
    ref_after = machine_reference()
    print(
        f"machine state (before / after): one small numpy call {ref['numpy_call_us']:.2f} / "
        f"{ref_after['numpy_call_us']:.2f} us, 421x384 float32 matvec "
        f"{ref['matvec_421x384_us']:.1f} / {ref_after['matvec_421x384_us']:.1f} us"
    )
    print(f"live embedding of one prompt: {dec['embed_us'] / 1e3:.2f} ms (median)")
    print(f"{'router':<26} {'decision us':>12} {'w/ caller flag':>15} {'share of embed':>15}")
    for kind, r in dec["routers"].items():
        if "error" in r:
            print(f"{kind:<26} skipped: {r['error']}")
            continue
        share = f"{r['share_of_embedding']:.2%}" if r["needs_embeddings"] else "-"
        print(
            f"{kind:<26} {r['decision_us']:>12.1f} {r['decision_us_with_caller_pii_flag']:>15.1f} {share:>15}"
        )
    print(
        f"default settings: median over routers {dec['median_decision_us']:.1f} us, "
        f"max {dec['max_decision_us']:.1f} us (target 50)"
    )
    sizes = bench_knn_bank_sizes()
    print(
        "knn score by training-bank size (SIMULATED banks): "
        + ", ".join(
            f"{k:,} rows {v['score_us']:.0f} us ({v['state_mb']:.2f} MB)" for k, v in sizes.items()
        )
    )
    mmlu = None if args.quick or args.no_mmlu else bench_mmlu_bank()
    if mmlu:
        print(
            f"policies on MMLU ({mmlu['train_rows']:,} training questions): "
            + "; ".join(
                f"{k}: {v['bank_rows']:,} rows, {v['decision_us']:.0f} us per decision, "
                f"{v['policy_mb']:.1f} MB, fit {v['fit_s']:.1f} s"
                for k, v in mmlu.items()
                if k != "train_rows"
            )
        )
    srv = bench_serve(pairs)
    print(
        f"serve: direct {srv['direct_ms']:.2f} ms, via routerlab serve {srv['via_serve_ms']:.2f} ms, "
        f"overhead {srv['overhead_ms']:.2f} ms (median of {srv['pairs']} paired calls)"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    summary = {
        "decision_us_median_over_routers": round(dec["median_decision_us"], 2),
        "decision_us_max_over_routers": round(dec["max_decision_us"], 2),
        "target_decision_us": 50,
        "embed_us": round(dec["embed_us"], 1),
        "embed_us_default_threads": round(dec["embed_us_default_threads"], 1),
        "embed_us_one_thread": round(dec["embed_us_one_thread"], 1),
        "decision_share_of_embedding_max": dec["max_share_of_embedding"],
        "target_share": 0.05,
        "serve_overhead_ms": srv["overhead_ms"],
        "target_serve_overhead_ms": 5,
        "serve": srv,
        "knn_score_us_by_bank_rows_simulated": sizes,
        "policies_mmlu": mmlu,
        "routers": dec["routers"],
        "load_avg_1min": load,
        "machine_reference_before": ref,
        "machine_reference_after": ref_after,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
