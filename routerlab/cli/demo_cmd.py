"""``routerlab demo``: exercise the kit end to end, offline, in seconds.

For now: a few questions to the bundled SmolLM2 model through the batch runner and the call
cache, twice (the second pass is served from the cache), then the cache statistics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEMO_PROMPTS = (
    "What is the capital of France?",
    "How many days are in a week?",
    "Name a primary colour.",
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run the offline demo", description=__doc__)
    p.add_argument("--out", metavar="DIR", default="out", help="folder for the demo's outputs")
    p.add_argument(
        "--model", default="gguf:smollm2-135m", help="model spec (default: bundled SmolLM2)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cache import CallCache
    from ..runner import run_batch

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = CallCache(namespace="demo")
    for attempt in ("first pass", "second pass (from the cache)"):
        res = run_batch(
            [args.model], list(DEMO_PROMPTS), params={"max_tokens": 24}, cache=cache, progress=False
        )
        print(f"{attempt}: {res}")
    for _, row in res.df.iterrows():
        print(f"  {DEMO_PROMPTS[row['item']]!r} -> {row['text']!r}")
    print(f"cache: {cache.stats()} ({cache.directory})")
    path = out / "demo_calls.csv"
    res.df.to_csv(path, index=False)
    print(f"wrote {path}")
    return 0
