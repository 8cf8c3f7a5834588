"""``routerlab record WORKLOAD --models SPEC[,SPEC]``: run, grade and save real outcomes (resumable)."""

from __future__ import annotations

import argparse
import json
import math


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "record",
        help="run a workload through models (cached), grade the answers, save the outcomes",
        description=(
            "Send every query of a workload (a file or a bundled name such as support-desk) to each "
            "model through the call cache, grade every answer and write the long-format outcomes "
            "(JSONL). Interrupted runs resume from the cache. Without --out, a bundled workload "
            "writes the cloud recording that the bundled sample then uses instead of its "
            "simulated scenario columns."
        ),
    )
    p.add_argument("workload", metavar="WORKLOAD_OR_NAME", help="a workload file or a bundled name")
    p.add_argument(
        "--models",
        required=True,
        metavar="SPEC[,SPEC]",
        help="model specs or aliases, e.g. gguf:smollm2-135m,gguf:gemma3-270m or frontier",
    )
    p.add_argument(
        "--out", metavar="PATH", help="the JSONL file to write (rows of other models are kept)"
    )
    p.add_argument("--concurrency", type=int, default=4, help="calls in flight for remote models")
    p.add_argument("--max-tokens", type=int, help="default 48 for chat, 32 for completion models")
    p.add_argument("--limit", type=int, help="record only the first N queries (a quick trial)")
    p.add_argument("--namespace", default="default", help="call-cache namespace (default: default)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.set_defaults(func=run)
    return p


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else round(x, 6)


def run(args: argparse.Namespace) -> int:
    from ..errors import RouterlabError
    from ..record import default_out, record

    if args.concurrency < 1:
        raise RouterlabError(f"--concurrency must be >= 1, got {args.concurrency}")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise RouterlabError(f"--max-tokens must be >= 1, got {args.max_tokens}")
    out = args.out or str(default_out(args.workload))
    o = record(
        args.workload,
        args.models,
        out=out,
        max_tokens=args.max_tokens,
        concurrency=args.concurrency,
        namespace=args.namespace,
        limit=args.limit,
        progress=not args.no_progress,
    )
    errors = dict.fromkeys(o.models, 0)
    with open(out, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("model") in errors and r.get("error"):
                errors[r["model"]] += 1
    s = o.summary()
    by = o.by_category()
    print(f"recorded {o.n} queries x {len(o.models)} models -> {out}")
    print(by.round(3).to_string())
    for m in o.models:
        msg = f"{m}: mean quality {s.loc[m, 'quality']:.3f}, cost ${s.loc[m, 'cost_usd']:.4f}, "
        msg += f"mean latency {s.loc[m, 'latency_s']:.2f} s"
        if errors[m]:
            msg += f", {errors[m]} failed calls (run the same command again to retry them)"
        print(msg)
    if args.json:
        summary = {
            "out": out,
            "n": int(o.n),
            "models": {
                m: {
                    "quality": _num(s.loc[m, "quality"]),
                    "cost_usd": _num(s.loc[m, "cost_usd"]),
                    "latency_s": _num(s.loc[m, "latency_s"]),
                    "errors": errors[m],
                }
                for m in o.models
            },
        }
        print(json.dumps(summary))
    return 0
