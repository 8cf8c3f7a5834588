"""Embedding throughput: texts per second cold (empty cache) vs cached, measured side by side.

Texts: ``--n`` MMLU prompts (RouteLLM's files, by path: see ``bench/mmlu_path.py``) when present,
else the bundled support-desk prompts. The cache lives in a fresh temporary folder, so the
user's cache is neither read nor written. The model is loaded before timing (its load time is
reported apart). Last line: a JSON object.

    python bench/embeddings.py [--n 1000] [--source auto|mmlu|support-desk] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mmlu_path import mmlu_dir  # noqa: E402


def texts_for(source: str, n: int) -> tuple[str, list[str]]:
    import numpy as np

    if source in ("auto", "mmlu") and mmlu_dir() is not None:
        from routerlab.loaders import load_outcomes

        prompts = load_outcomes(mmlu_dir()).prompts
        pick = np.random.default_rng(0).choice(
            len(prompts), size=min(n, len(prompts)), replace=False
        )
        return "routellm-mmlu", [prompts[i] for i in sorted(pick)]
    if source == "mmlu":
        raise SystemExit("MMLU files not found: set ROUTERLAB_MMLU_DIR")
    from routerlab.workloads import load_workload

    prompts = load_workload("support-desk").prompts
    return "support-desk", prompts[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--source", default="auto", choices=["auto", "mmlu", "support-desk"])
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument(
        "--compare-raw",
        action="store_true",
        help="also time plain SentenceTransformer.encode on the same texts (cache overhead)",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="routerlab-bench-emb-") as tmp:
        os.environ["ROUTERLAB_CACHE"] = tmp
        from routerlab import embeddings

        source, texts = texts_for(args.source, args.n)
        texts = list(dict.fromkeys(texts))  # unique: every cold text is really encoded
        mean_chars = sum(map(len, texts)) / len(texts)

        t0 = time.perf_counter()
        info = embeddings.encoder_info()
        embeddings._load(embeddings._info(None)["path"])
        load_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        cold = embeddings.embed(texts, batch_size=args.batch_size)
        cold_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        warm = embeddings.embed(texts, batch_size=args.batch_size)
        cached_s = time.perf_counter() - t0
        assert (cold == warm).all(), "cached vectors differ from the computed ones"

        raw_s = None
        if args.compare_raw:
            model = embeddings._load(embeddings._info(None)["path"])
            t0 = time.perf_counter()
            model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True)
            raw_s = time.perf_counter() - t0

    result = {
        "bench": "embeddings",
        "encoder": info["name"],
        "source": source,
        "n": len(texts),
        "mean_chars": round(mean_chars, 1),
        "batch_size": args.batch_size,
        "model_load_s": round(load_s, 2),
        "cold_s": round(cold_s, 2),
        "cached_s": round(cached_s, 3),
        "cold_per_s": round(len(texts) / cold_s, 1),
        "cached_per_s": round(len(texts) / cached_s, 1),
        "speedup": round(cold_s / cached_s, 1),
        "raw_encode_per_s": None if raw_s is None else round(len(texts) / raw_s, 1),
        "cpus": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 1),  # other work on the machine slows "cold"
    }
    print(
        f"{result['n']} {source} prompts (mean {result['mean_chars']:.0f} chars), "
        f"{info['name']}, batch {args.batch_size}: model load {load_s:.1f} s; "
        f"cold {result['cold_per_s']}/s, cached {result['cached_per_s']}/s "
        f"-> {result['speedup']}x"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
