"""A small three-tier outcome table (weak, strong, a simulated frontier) and a noisy router score,
shared by the chart and widget tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from routerlab.outcomes import Outcomes


def three_tier_table(n: int, seed: int, *, prompt: str = "question {i}", extras: bool = False):
    """(Outcomes, score). ``extras`` adds PII flags, confidences and answers."""
    rng = np.random.default_rng(seed)
    cats = rng.choice(["billing", "tech", "legal"], n)
    qw = (rng.random(n) < 0.55).astype(float)
    qs = (rng.random(n) < 0.9).astype(float)
    qf = (rng.random(n) < 0.95).astype(float)
    queries = pd.DataFrame(
        {
            "prompt": [prompt.format(i=i) for i in range(n)],
            "category": cats,
            "stakes": np.where(cats == "legal", 3.0, 1.0),
        }
    )
    more = {}
    if extras:
        queries["contains_pii"] = rng.random(n) < 0.2
    latency = np.c_[rng.gamma(2, 0.1, n), rng.gamma(4, 0.3, n), rng.gamma(4, 0.2, n)]
    if extras:
        more["confidence"] = np.c_[rng.random(n), rng.random(n), np.full(n, np.nan)]
        more["responses"] = np.array([[f"w{i}", f"s{i}", f"f{i}"] for i in range(n)], dtype=object)
    o = Outcomes.from_arrays(
        queries,
        ["weak", "strong", "scenario:frontier"],
        quality=np.c_[qw, qs, qf],
        cost=np.c_[np.full(n, 1e-5), np.full(n, 1e-3), np.full(n, 4e-3)],
        latency=latency,
        simulated=["scenario:frontier"],
        **more,
    )
    score = np.clip(0.5 * (qs - qw) + 0.6 * rng.random(n), 0, 1)
    return o, score
