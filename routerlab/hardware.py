"""What an edge box costs per token: hardware amortised over its life plus power, at a utilisation.

Local models cost nothing per call in the outcome table, but the box they run on does. The price per
1,000 tokens is ``(hardware per second + power per second) / (tokens per second x utilisation) x 1000``:
a box that idles half the time pays for its idle half through the tokens it does produce.

Examples
--------
>>> round(edge_price_per_1k_tokens(hardware_usd=1200, years=3, watts=60, usd_per_kwh=0.2,
...                                tokens_per_s=100, utilisation=0.5), 6)
0.00032
"""

from __future__ import annotations

import numpy as np

from .errors import RouterlabError

SECONDS_PER_YEAR = 365.25 * 24 * 3600


def edge_price_per_1k_tokens(
    hardware_usd: float,
    years: float,
    watts: float,
    usd_per_kwh: float,
    tokens_per_s: float,
    utilisation: float = 0.5,
) -> float:
    """$ per 1,000 tokens (input + output) processed on an edge box."""
    for name, v in (("years", years), ("tokens_per_s", tokens_per_s), ("utilisation", utilisation)):
        if not v > 0:
            raise RouterlabError(f"{name} must be > 0, got {v}")
    if utilisation > 1:
        raise RouterlabError(f"utilisation is a share of the time in (0, 1], got {utilisation}")
    if hardware_usd < 0 or watts < 0 or usd_per_kwh < 0:
        raise RouterlabError("hardware_usd, watts and usd_per_kwh must be >= 0")
    per_s = hardware_usd / (years * SECONDS_PER_YEAR) + watts / 1000 * usd_per_kwh / 3600
    return float(per_s / (tokens_per_s * utilisation) * 1000)


def tokens_per_second(outcomes, model: str) -> float:
    """Tokens (input + output) a model processed per second of measured latency, from a table."""
    j = outcomes.col(model)
    toks = np.nansum(outcomes.tokens_in[:, j]) + np.nansum(outcomes.tokens_out[:, j])
    secs = np.nansum(outcomes.latency[:, j])
    if not secs > 0:
        raise RouterlabError(f"no latencies recorded for {model!r}")
    return float(toks / secs)


__all__ = ["edge_price_per_1k_tokens", "tokens_per_second"]
