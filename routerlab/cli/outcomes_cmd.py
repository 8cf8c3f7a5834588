"""``routerlab outcomes PATH_OR_NAME``: what an outcome table holds, per model and category."""

from __future__ import annotations

import argparse
import json
import math

from .table_options import add_table_options, load_table


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "outcomes",
        help="summarise an outcome table (file, folder or bundled sample)",
        description=(
            "Load an outcome table and print its size, categories, and per model the mean "
            "quality, total cost and mean latency. With --json the last line is a JSON object."
        ),
    )
    p.add_argument("source", metavar="PATH_OR_NAME", help="a file, a folder, or a bundled name")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    add_table_options(p)
    p.set_defaults(func=run)
    return p


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def summarize(o) -> dict:
    """The JSON summary: ``{"n", "models": {name: {quality, cost_usd, latency_s}}, "categories"}``."""
    s = o.summary()
    models = {
        m: {
            "quality": _num(s.loc[m, "quality"]),
            "cost_usd": _num(s.loc[m, "cost_usd"]),
            "latency_s": _num(s.loc[m, "latency_s"]),
        }
        for m in o.models
    }
    cats = o.queries["category"].value_counts(sort=False)
    categories = {str(k): int(v) for k, v in sorted(cats.items())}
    return {"n": int(o.n), "models": models, "categories": categories}


def _fmt(x, spec: str, dash: str = "-") -> str:
    return dash if x is None else format(x, spec)


def run(args) -> int:
    o = load_table(args, args.source)
    info = summarize(o)
    excluded = o.meta.get("excluded")
    extra = f" ({excluded} excluded)" if excluded else ""
    print(
        f"{o.name}: {info['n']} queries{extra}, {len(o.models)} models, "
        f"{len(info['categories'])} categories"
    )
    cats = sorted(info["categories"].items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{k} {v}" for k, v in cats[:12])
    more = f", ... {len(cats) - 12} more" if len(cats) > 12 else ""
    print(f"categories: {shown}{more}")
    labels = {m: o.label(m) for m in o.models}
    width = max(len("model"), *(len(v) for v in labels.values()))
    print(f"{'model':<{width}}  {'quality':>8}  {'cost_usd':>12}  {'latency_s':>9}")
    for m, row in info["models"].items():
        print(
            f"{labels[m]:<{width}}  {_fmt(row['quality'], '8.3f'):>8}  "
            f"{_fmt(row['cost_usd'], '12.4f'):>12}  {_fmt(row['latency_s'], '9.3f'):>9}"
        )
    if o.simulated:
        print("(simulated) = scenario model generated from a declared profile, not a recording")
    if args.json:
        print(json.dumps(info, sort_keys=False))
    return 0
