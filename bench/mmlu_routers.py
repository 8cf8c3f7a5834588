"""Quality benchmark of the routers on RouteLLM's MMLU outcomes (GPT-4 vs Mixtral, 14,042 questions).

Every applicable router is cross-fitted with 5 folds (seed 0: every question is scored by a router that
never saw it), then APGR with a 95% paired-bootstrap CI, CPT(50%) and CPT(80%) are computed with
:mod:`routerlab.evaluate` (the same code as ``routerlab eval``; each router's cross-fitting is timed). Target (issue 4): the best learned router APGR >= 0.70 with
its CI above random's. For scale: TF-IDF logistic regression ~0.67, published RouteLLM routers ~0.60.

The data are used by path and never committed: ``$ROUTERLAB_MMLU_DIR`` or ``../shared/data/routellm-mmlu``
relative to the repository. ``--table support-desk`` runs the same routers on the bundled sample
(a check that the routers generalise beyond MMLU).

Usage::

    python bench/mmlu_routers.py                    # all routers, table + last-line JSON
    python bench/mmlu_routers.py --routers knn,logistic_tfidf --folds 5 --seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STRONG = "gpt-4-1106-preview"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"


def mmlu_path() -> Path:
    p = Path(os.environ.get("ROUTERLAB_MMLU_DIR", "../shared/data/routellm-mmlu"))
    return p if p.is_absolute() else (REPO / p).resolve()


def candidate_routers() -> dict:
    """label -> unfitted router. Defaults except where a label says otherwise; nothing tuned on MMLU
    alone (the same settings are used on the support-desk sample)."""
    from routerlab.routers import make_router

    return {
        "category": make_router("category"),
        "knn": make_router("knn"),
        "knn_bank1000": make_router("knn", max_bank=1000),  # the bank compressed (policy speed)
        "logistic": make_router("logistic"),  # embedding + category + length
        "logistic_tfidf": make_router("logistic", features=["words", "category"], objective="gain"),
        "mf": make_router("mf"),
        "utility": make_router("utility", lam=0.0),
        "semantic": make_router("semantic"),
        "rules": make_router("rules"),
        "ensemble": make_router("ensemble"),
        # need answer confidences / latencies: reported as skipped on MMLU
        "cascade": make_router("cascade"),
        "edge_cloud": make_router("edge_cloud"),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", default="mmlu", help="mmlu (default) or support-desk")
    ap.add_argument("--routers", default=None, help="comma-separated labels (default: all)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--strong", default=None, help="strong model (default: GPT-4 / the best model)")
    ap.add_argument(
        "--weak", default=None, help="weak model (default: Mixtral / the cheapest other)"
    )
    args = ap.parse_args(argv)

    from routerlab.embeddings import encoder_info

    if args.table == "mmlu":
        from routerlab.loaders import load_outcomes

        path = mmlu_path()
        if not path.is_dir():
            print(
                f"error: MMLU folder not found at {path}: set ROUTERLAB_MMLU_DIR", file=sys.stderr
            )
            return 2
        outcomes = load_outcomes(path)
        strong, weak = STRONG, WEAK
    else:
        from routerlab.workloads.bundled import load_support_desk

        outcomes = load_support_desk()
        q = outcomes.mean_quality()
        order = sorted(range(len(q)), key=lambda j: q[j])
        strong = outcomes.models[order[-1]]
        weak = min(
            (m for m in outcomes.models if m != strong),
            key=lambda m: (
                float(outcomes.cost[:, outcomes.col(m)].mean())
                if (outcomes.cost[:, outcomes.col(m)] == outcomes.cost[:, outcomes.col(m)]).all()
                else q[outcomes.col(m)]
            ),
        )

    strong, weak = args.strong or strong, args.weak or weak
    outcomes.col(strong), outcomes.col(weak)
    routers = candidate_routers()
    if args.routers:
        wanted = [r.strip() for r in args.routers.split(",") if r.strip()]
        unknown = sorted(set(wanted) - set(routers) - {"random", "oracle"})
        if unknown:
            print(
                f"error: unknown router labels {unknown}; known: {sorted(routers)}", file=sys.stderr
            )
            return 2
        routers = {k: v for k, v in routers.items() if k in wanted}

    t0 = time.perf_counter()
    # warm the embedding memo once (the disk cache serves repeats); counted separately
    from routerlab.routers import Queries

    if any(getattr(r, "needs_embeddings", False) for r in routers.values()):
        Queries.from_outcomes(outcomes).embeddings_for()
    t_embed = time.perf_counter() - t0

    from routerlab.evaluate import evaluate_routers
    from routerlab.routers import make_router

    res = evaluate_routers(
        outcomes,
        strong,
        weak,
        routers={"random": make_router("random", seed=args.seed), "oracle": "oracle", **routers},
        folds=args.folds,
        seed=args.seed,
        n_boot=args.n_boot,
        strict=False,
    )
    times = res.seconds
    for label, sec in times.items():
        print(f"  {label}: cross-fitted in {sec:.1f}s", file=sys.stderr, flush=True)
    d = res.to_dict()

    print(
        f"\n{outcomes.name}: n={res.n}, strong={strong} ({res.strong_quality:.3f}), "
        f"weak={weak} ({res.weak_quality:.3f}); {args.folds}-fold cross-fitting, seed {args.seed}, "
        f"{args.n_boot} paired bootstrap resamples; encoder {encoder_info()['name']}"
    )
    print(f"{'router':<16}{'APGR':>7}  {'95% CI':<17}{'CPT50':>7}{'CPT80':>7}{'fit+score s':>13}")
    for label, m in d["routers"].items():
        lo, hi = m["apgr_ci"]
        t = times.get(label)
        print(
            f"{label:<16}{m['apgr']:>7.3f}  [{lo:.3f}, {hi:.3f}]  {m['cpt50']:>7.3f}{m['cpt80']:>7.3f}"
            f"{'' if t is None else f'{t:>13.1f}'}"
        )
    for label, why in d.get("skipped", {}).items():
        print(f"{label:<16}skipped: {why}")
    best = d["best"]
    rnd = d["routers"]["random"]
    bm = d["routers"][best]
    above = bm["apgr_ci"][0] > rnd["apgr_ci"][1]
    print(
        f"best learned router: {best} APGR {bm['apgr']:.3f} [{bm['apgr_ci'][0]:.3f}, {bm['apgr_ci'][1]:.3f}]"
        f" vs random {rnd['apgr']:.3f} [{rnd['apgr_ci'][0]:.3f}, {rnd['apgr_ci'][1]:.3f}]"
    )
    summary = {
        "table": outcomes.name,
        "n": res.n,
        "strong": strong,
        "weak": weak,
        "folds": args.folds,
        "seed": args.seed,
        "routers": {
            k: {
                "apgr": v["apgr"],
                "apgr_ci": v["apgr_ci"],
                "cpt50": v["cpt50"],
                "cpt80": v["cpt80"],
                "seconds": round(times.get(k, 0.0), 1),
            }
            for k, v in d["routers"].items()
        },
        "skipped": d.get("skipped", {}),
        "best": best,
        "best_apgr": bm["apgr"],
        "best_ci_above_random": bool(above),
        "target_met": bool(bm["apgr"] >= 0.70 and above),
        "embed_seconds": round(t_embed, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
