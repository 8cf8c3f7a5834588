"""Fixtures for policy tests: the bundled support-desk sample, split into train and calibration."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from routerlab.config import datasets_dir
from routerlab.outcomes import Outcomes


def _sample() -> Outcomes:
    """The bundled support-desk outcome table (recorded local models + scenario cloud columns).

    While the recording is not in the checkout, a table over the bundled workload with seeded
    quality stands in (same prompts, categories and PII flags: what routing depends on).
    """
    try:
        from routerlab.workloads.bundled import load_support_desk

        return load_support_desk()
    except (ImportError, Exception) as exc:  # noqa: BLE001 - recording not available yet
        reason = str(exc)
    rows = [json.loads(x) for x in (datasets_dir() / "support-desk" / "workload.jsonl").open()]
    q = pd.DataFrame(rows)[
        ["query_id", "prompt", "category", "difficulty", "contains_pii", "stakes"]
    ]
    rng = np.random.default_rng(0)
    n = len(q)
    hard = q["difficulty"].to_numpy() >= 2
    p = np.column_stack(
        [np.where(hard, 0.2, 0.6), np.where(hard, 0.5, 0.8), np.where(hard, 0.85, 0.95)]
    )
    quality = (rng.random((n, 3)) < p).astype(float)
    tokens_in = rng.integers(30, 300, (n, 1)).astype(float) * np.ones((1, 3))
    tokens_out = rng.integers(5, 80, (n, 3)).astype(float)
    price_in, price_out = np.array([0.0, 1.0, 5.0]), np.array([0.0, 5.0, 25.0])
    cost = (tokens_in * price_in + tokens_out * price_out) / 1e6
    # a logprob-style confidence for the local model (cascades read it), informative of quality
    confidence = np.full((n, 3), np.nan)
    confidence[:, 0] = np.log(np.clip(0.35 + 0.4 * quality[:, 0] + rng.normal(0, 0.15, n), 0.01, 1))
    return Outcomes.from_arrays(
        q,
        ["smollm2-135m", "scenario:efficient", "scenario:frontier"],
        quality=quality,
        cost=cost,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        confidence=confidence,
        latency=np.column_stack(
            [rng.gamma(4, 0.05, n), rng.gamma(4, 0.3, n), rng.gamma(4, 0.5, n)]
        ),
        simulated=["scenario:efficient", "scenario:frontier"],
        name="support-desk",
        meta={"stand_in": reason},
    )


@pytest.fixture(scope="session")
def sample() -> Outcomes:
    return _sample()


@pytest.fixture(scope="session")
def split(sample):
    return sample.train_test_split(0.3, seed=0)
