"""Speed of the evaluation engine, measured side by side in one run.

1. The full exact curve + APGR + CPT(50/80/95%) for N random scores, against one ``np.argsort`` of the
   same array (target: at most 3x).
2. A 1,000-resample paired bootstrap of APGR for two routers at N = 14,000 (target: under 2 s).

Usage: ``python bench/sweep.py --n 1000000 --json``; the last line is a JSON object with
``ratio_to_argsort`` and ``bootstrap_seconds`` (medians over ``--repeats``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from routerlab.evaluate import bootstrap_curves, curve


def _time(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn()`` over ``repeats`` runs."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="queries for the curve sweep")
    p.add_argument("--boot-n", type=int, default=14_000, help="queries for the bootstrap")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--repeats", type=int, default=7, help="repeats (median)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the JSON object as the last line")
    args = p.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    n = args.n
    score = rng.random(n)
    q_weak = (rng.random(n) < 0.68).astype(float)
    q_strong = (rng.random(n) < 0.81).astype(float)

    def sweep():
        c = curve(score, q_weak, q_strong)
        return c.apgr(), c.cpt(0.5), c.cpt(0.8), c.cpt(0.95)

    sweep()  # warm up
    # interleave the two so that machine load hits both alike
    argsort_w, argsort_c, sweep_w, sweep_c = [], [], [], []
    for _ in range(args.repeats):
        w, c = _time(lambda: np.argsort(score), 1)
        argsort_w.append(w)
        argsort_c.append(c)
        w, c = _time(sweep, 1)
        sweep_w.append(w)
        sweep_c.append(c)
    a_w, s_w = statistics.median(argsort_w), statistics.median(sweep_w)
    a_c, s_c = statistics.median(argsort_c), statistics.median(sweep_c)

    m = args.boot_n
    qw = (rng.random(m) < 0.68).astype(float)
    qs = (rng.random(m) < 0.81).astype(float)
    scores = {"router": rng.random(m), "other": (qs - qw) + rng.normal(0, 1, m)}

    def boot(ps=()):
        b = bootstrap_curves(scores, qw, qs, n_boot=args.n_boot, seed=args.seed, ps=ps)
        return b.diff("other", "router")

    boot()
    b_w, b_c = _time(boot, max(3, args.repeats // 2))
    bc_w, bc_c = _time(lambda: boot((0.5, 0.8, 0.95)), 3)

    out = {
        "n": n,
        "argsort_seconds": a_w,
        "sweep_seconds": s_w,
        "ratio_to_argsort": s_w / a_w,
        "ratio_to_argsort_cpu": s_c / a_c,
        "target_ratio": 3.0,
        "bootstrap_n": m,
        "bootstrap_resamples": args.n_boot,
        "bootstrap_routers": len(scores),
        "bootstrap_seconds": b_w,
        "bootstrap_cpu_seconds": b_c,
        "bootstrap_with_cpt_seconds": bc_w,
        "target_bootstrap_seconds": 2.0,
        "repeats": args.repeats,
    }
    print(
        f"curve+APGR+CPT, N={n:,}: {s_w * 1e3:.1f} ms vs argsort {a_w * 1e3:.1f} ms "
        f"-> {out['ratio_to_argsort']:.2f}x (target <= 3x; CPU-time ratio {out['ratio_to_argsort_cpu']:.2f}x)"
    )
    print(
        f"paired bootstrap of APGR, {len(scores)} routers, N={m:,}, {args.n_boot} resamples: "
        f"{b_w:.2f} s (CPU {b_c:.2f} s; target < 2 s); with CPT(50/80/95%) too: {bc_w:.2f} s"
    )
    if args.json:
        print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
