"""``routerlab eval OUTCOMES --strong A --weak B``: cross-fitted router comparison with CIs.

Every query is scored by a router fitted on the other folds; the table shows APGR with its paired
bootstrap 95% CI, CPT(50/80/95%) and AIQ per router. With ``--json`` the last line is one JSON object:
``{"n", "strong", "weak", "strong_quality", "weak_quality", "routers": {name: {"apgr", "apgr_ci",
"cpt50", "cpt80", "aiq", ...}}, "best", ...}``; ``random`` and ``oracle`` are always included.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from .table_options import add_table_options, load_table


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "eval",
        help="compare routers on an outcome table (K-fold cross-fitting, APGR/CPT/AIQ with CIs)",
        description=(
            "Cross-fit routers on an outcome table (every query scored by a router not trained on "
            "it) and report APGR with a paired bootstrap CI, CPT(50/80/95%%) and AIQ. Works on "
            "RouteLLM CSVs, a folder of them, the generic long format and bundled samples, with "
            "binary or graded quality. With --json the last line is a JSON object."
        ),
    )
    p.add_argument("source", metavar="OUTCOMES", help="a file, a folder, or a bundled sample name")
    p.add_argument("--strong", help="the strong (expensive) model; default: the best by quality")
    p.add_argument("--weak", help="the weak (cheap) model; default: the other model")
    p.add_argument(
        "--routers",
        help="comma-separated router names (default: every registered router that applies)",
    )
    p.add_argument("--folds", type=int, default=5, help="cross-fitting folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed for folds, routers and bootstrap")
    p.add_argument(
        "--n-boot", type=int, default=1000, help="bootstrap resamples for the CIs (default 1000)"
    )
    p.add_argument(
        "--floor",
        type=float,
        help="also report, per router, the smallest strong-call share whose quality reaches "
        "FLOOR x the strong model's quality (e.g. 0.95)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    add_table_options(p)
    p.set_defaults(func=run)
    return p


def _pick_pair(o, strong: str | None, weak: str | None) -> tuple[str, str]:
    import numpy as np

    from ..errors import RouterlabError

    models = list(o.models)
    if len(models) < 2:
        raise RouterlabError(
            f"routing needs at least two models; {o.name} has {len(models)} ({', '.join(models)})"
        )
    for m in (strong, weak):
        if m is not None:
            o.col(m)
    if strong is None or weak is None:
        if len(models) > 2 and (strong is None or weak is None):
            raise RouterlabError(
                f"the table has {len(models)} models: name the pair with --strong and --weak "
                f"(models: {', '.join(models)})"
            )
        q = np.nan_to_num(o.mean_quality(), nan=-1.0)
        if strong is None and weak is None:
            strong = models[int(np.argmax(q))]
        if strong is None:
            strong = next(m for m in models if m != weak)
        if weak is None:
            weak = next(m for m in models if m != strong)
    if strong == weak:
        raise RouterlabError(f"--strong and --weak are both {strong!r}: pick two different models")
    return strong, weak


def _floor_shares(res, floor: float) -> dict[str, float | None]:
    """Per router, the smallest share whose mean quality reaches floor x strong quality."""
    import numpy as np

    from ..errors import RouterlabError

    if not (0 < floor <= 2):
        raise RouterlabError(f"--floor must be a ratio to the strong model's quality, got {floor}")
    target = floor * res.strong_quality
    best = max(float(np.max(c.quality)) for c in res.curves.values())
    if best < target - 1e-12:
        raise RouterlabError(
            f"floor {floor:g} x strong quality = {target:.4f} cannot be met: even the oracle "
            f"reaches at most {best:.4f} ({best / res.strong_quality:.3f} x strong)"
        )
    out = {}
    for name, c in res.curves.items():
        hit = c.quality >= target - 1e-12
        out[name] = float(c.share[int(np.argmax(hit))]) if hit.any() else None
    return out


def _f(x, spec=".3f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def run(args) -> int:
    from ..errors import RouterlabError
    from ..evaluate import evaluate_routers
    from ..evaluate.crossfit import default_routers
    from ..routers import REGISTRY

    if args.folds < 2:
        raise RouterlabError(f"--folds must be at least 2, got {args.folds}")
    if args.n_boot < 1:
        raise RouterlabError(f"--n-boot must be at least 1, got {args.n_boot}")
    if args.floor is not None and not (0 < args.floor <= 2):
        raise RouterlabError(
            f"--floor is a ratio to the strong model's quality (e.g. 0.95), got {args.floor}"
        )
    o = load_table(args, args.source)
    strong, weak = _pick_pair(o, args.strong, args.weak)
    if args.folds > o.n:
        raise RouterlabError(f"{args.folds} folds but only {o.n} queries: use at most {o.n} folds")
    if args.routers:
        names = [r.strip() for r in args.routers.split(",") if r.strip()]
        unknown = [r for r in names if r not in REGISTRY]
        if unknown:
            raise RouterlabError(
                f"unknown router(s) {', '.join(unknown)}; known: {', '.join(sorted(REGISTRY))}"
            )
    else:
        names = default_routers()

    from ..routers import make_router

    routers: dict = {}
    for name in names:
        accepted = set(REGISTRY[name]._param_names())
        params = {"strong": strong, "weak": weak, "seed": args.seed}
        if name == "quality_aware" and args.floor is not None:
            # the floor applies in every category; an unmeetable one is an error, not a warning
            params.update(default_floor=args.floor, strict=True)
        routers[name] = make_router(name, **{k: v for k, v in params.items() if k in accepted})

    if any(getattr(r, "needs_embeddings", False) is True for r in routers.values()):
        from ..embeddings import embed

        print(f"embedding {o.n} prompts (cached on disk)...", file=sys.stderr, flush=True)
        embed(o.prompts, progress=True)

    print(
        f"cross-fitting {len(names)} routers on {o.name} ({o.n} queries, {args.folds} folds)...",
        file=sys.stderr,
        flush=True,
    )
    res = evaluate_routers(
        o,
        strong,
        weak,
        routers=routers,
        folds=args.folds,
        seed=args.seed,
        n_boot=args.n_boot,
        progress=True,
        strict=bool(args.routers),
    )
    floor = _floor_shares(res, args.floor) if args.floor is not None else None

    label = o.label
    print(
        f"{o.name}: {res.n} queries; weak {label(weak)} quality {res.weak_quality:.4f}, "
        f"strong {label(strong)} quality {res.strong_quality:.4f}"
    )
    if o.simulated and set(o.simulated) & {weak, strong}:
        print("note: simulated (scenario) model columns are involved; figures are a scenario")
    head = f"{'router':<14} {'APGR':>6} {'95% CI':>17} {'CPT50':>6} {'CPT80':>6} {'CPT95':>6} {'AIQ':>6}"
    if floor is not None:
        head += f" {'share@' + format(args.floor, 'g'):>10}"
    print(head)
    d = res.to_dict()
    for name, m in d["routers"].items():
        lo, hi = m["apgr_ci"]
        line = (
            f"{name:<14} {_f(m['apgr']):>6} {'[' + _f(lo) + ', ' + _f(hi) + ']':>17} "
            f"{_f(m['cpt50'], '.1%'):>6} {_f(m['cpt80'], '.1%'):>6} {_f(m['cpt95'], '.1%'):>6} "
            f"{_f(m['aiq']):>6}"
        )
        if floor is not None:
            line += f" {_f(floor[name], '.1%'):>10}"
        print(line)
    for name, why in res.skipped.items():
        print(f"skipped {name}: {why}")
    print(f"best: {res.best} (CIs: paired bootstrap, {args.n_boot} resamples, seed {args.seed})")
    if args.json:
        if floor is not None:
            d["floor"] = args.floor
            for name, share in floor.items():
                d["routers"][name]["share_at_floor"] = share
        print(json.dumps(d, allow_nan=False))
    return 0
