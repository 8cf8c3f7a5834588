"""``routerlab demo``: the main job, end to end on the bundled support-desk sample, offline.

A few live calls to the local model through the call cache (again from the cache), the bundled
outcome table, routers cross-fitted and compared with confidence intervals, the cheapest policy that
keeps the quality target and the per-category floors, exported as ``policy.json`` and checked on
held-out queries, and a self-contained ``report.html`` (see :mod:`routerlab.demo`).
"""

from __future__ import annotations

import argparse


def _floors(items: list[str]) -> dict[str, float]:
    from ..errors import RouterlabError

    out = {}
    for item in items:
        cat, sep, val = item.partition("=")
        try:
            if not sep or not cat:
                raise ValueError
            out[cat.strip()] = float(val)
        except ValueError:
            raise RouterlabError(
                f"--floor takes CATEGORY=VALUE (e.g. contract=0.95), got {item!r}"
            ) from None
    return out


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the main job offline: live cached calls, routers compared, policy + report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out", metavar="DIR", default="out", help="folder for report.html and policy.json"
    )
    p.add_argument(
        "--model",
        default="gguf:smollm2-135m",
        help="model for the live calls (default: bundled SmolLM2)",
    )
    p.add_argument("--live", type=int, default=4, metavar="N", help="live calls (0 skips them)")
    p.add_argument("--weak", help="the cheap model column (default: the best local model)")
    p.add_argument("--strong", help="the strong model column (default: the best model)")
    p.add_argument(
        "--target", type=float, default=None, help="quality to keep, relative to the strong model"
    )
    p.add_argument(
        "--floor",
        action="append",
        default=None,
        metavar="CAT=VALUE",
        help="per-category floor relative to the strong model (default contract=0.95; repeatable)",
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--n-boot", type=int, default=1000, dest="n_boot")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import DEFAULT_TARGET, run_demo
    from ..errors import RouterlabError

    if args.live < 0:
        raise RouterlabError(f"--live must be 0 or more, got {args.live}")
    target = DEFAULT_TARGET if args.target is None else args.target
    if not 0 < target <= 1:
        raise RouterlabError(
            f"--target is a share of the strong model's quality in (0, 1], got {target}"
        )
    res = run_demo(
        args.out,
        model=args.model,
        n_live=args.live,
        weak=args.weak,
        strong=args.strong,
        target=target,
        floors=None if args.floor is None else _floors(args.floor),
        folds=args.folds,
        n_boot=args.n_boot,
        seed=args.seed,
        echo=None if args.quiet else print,
    )
    print(res.summary)
    return 0
