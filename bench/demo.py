"""Wall time of ``routerlab demo`` as a user runs it: first run (cold cache) and a warm re-run.

Both runs are subprocesses sharing one fresh cache folder (``$ROUTERLAB_CACHE`` if set, else a
temporary one): the first pays for the live calls, the query embeddings and the Vega bundle; the
second is the "warm" figure the 2-minute budget applies to. The ratio warm / budget is printed side by
side with the cold time.

Run: ``.venv/bin/python bench/demo.py``. The last line is a JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

BUDGET_S = 120.0


def run_once(out: str, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "routerlab", "demo", "--out", out, "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"demo failed ({p.returncode}): {p.stderr.strip().splitlines()[-1:]}")
    return dt, p.stdout


def main() -> None:
    env = dict(os.environ)
    env.setdefault("ROUTERLAB_CACHE", tempfile.mkdtemp(prefix="routerlab-bench-demo-"))
    out = tempfile.mkdtemp(prefix="routerlab-demo-out-")
    cold, _ = run_once(out, env)
    warm, summary = run_once(out, env)
    print(summary.rstrip())
    print(f"cold {cold:.1f} s, warm {warm:.1f} s (budget {BUDGET_S:.0f} s)")
    print(
        json.dumps(
            {
                "cold_s": round(cold, 2),
                "warm_s": round(warm, 2),
                "budget_s": BUDGET_S,
                "warm_over_budget": round(warm / BUDGET_S, 3),
                "ok": warm <= BUDGET_S,
            }
        )
    )


if __name__ == "__main__":
    main()
