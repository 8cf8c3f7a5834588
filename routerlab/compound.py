"""A compound system: a classifier routes, a generator answers, a verifier checks.

Queries the classifier (any binary router) sends to the cloud go there directly. Queries it keeps on
the edge are answered by the edge model; a verifier scores that answer (logprob confidence, a judge, a
learned verifier) and answers scoring below ``threshold`` are escalated to the cloud, paying for both
calls. :func:`compound_result` evaluates that on an outcome table, as a
:class:`~routerlab.evaluate.RoutingResult` (cost and latency include every call made).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from routerlab.outcomes import Outcomes
>>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": list("abc")}), ["edge", "cloud"],
...     quality=[[1, 1], [0, 1], [0, 1]], cost=[[0, 1.0]] * 3, latency=[[1.0, 2.0]] * 3)
>>> r = compound_result(o, ["edge", "edge", "cloud"], [0.9, 0.2, 0.1], 0.5, "edge", "cloud")
>>> r.model.tolist(), r.calls.tolist(), r.cost.tolist(), r.latency.tolist()
(['edge', 'cloud', 'cloud'], [1.0, 2.0, 1.0], [0.0, 1.0, 1.0], [1.0, 3.0, 2.0])
"""

from __future__ import annotations

import numpy as np

from .errors import RouterlabError


def compound_result(
    outcomes, decisions, verifier_scores, threshold: float, edge: str, cloud: str, name="compound"
):
    """Route with ``decisions``; escalate edge answers whose verifier score is below ``threshold``.

    Parameters
    ----------
    outcomes : Outcomes
        Must hold ``edge`` and ``cloud``.
    decisions : array (N,) of model names
        The classifier's choice per query (``edge`` or ``cloud``).
    verifier_scores : array (N,)
        Score of the edge answer (nan = unknown, escalated).
    threshold : float
        Accept the edge answer when its score is >= threshold.
    """
    from .evaluate import apply

    d = np.asarray(decisions).astype(str)
    bad = set(np.unique(d)) - {edge, cloud}
    if bad:
        raise RouterlabError(f"decisions must be {edge!r} or {cloud!r}, got {sorted(bad)}")
    v = np.nan_to_num(np.asarray(verifier_scores, dtype=float), nan=-np.inf)
    if v.shape != (outcomes.n,):
        raise RouterlabError(
            f"{v.shape[0] if v.ndim else 0} verifier scores for {outcomes.n} queries"
        )
    je = outcomes.col(edge)
    outcomes.col(cloud)
    on_edge = d == edge
    accepted = on_edge & (v >= float(threshold))
    escalated = on_edge & ~accepted
    final = np.where(accepted, edge, cloud)
    extra_cost = np.where(escalated, np.nan_to_num(outcomes.cost[:, je]), 0.0)
    extra_lat = np.where(escalated, np.nan_to_num(outcomes.latency[:, je]), 0.0)
    return apply(
        outcomes,
        final,
        extra_cost=extra_cost,
        extra_latency=extra_lat,
        calls=1.0 + escalated,
        weak=edge,
        strong=cloud,
        name=name,
    )


__all__ = ["compound_result"]
