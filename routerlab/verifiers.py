"""Verifier scores for cascades that the bundled sample does not record: a declared (simulated) judge.

A cascade's ``judge`` verifier reads an LLM judge's score of each answer from the query column
``judge:<model>`` (see :mod:`routerlab.routers.cascade`). Judging 600 answers with a real LLM takes
minutes, so the chapters use :func:`simulated_judge`: a judge declared to agree with the grader on a
given share of answers (a public rule of thumb: strong LLM judges agree with human labels about 80-85%
of the time, Zheng et al. 2023, "Judging LLM-as-a-judge", arXiv 2306.05685). It is labelled simulated
wherever it appears: the column is named ``judge:<model>`` and the table's ``meta`` records the
declaration. Replace it with real judge scores (e.g. from
:class:`routerlab.workloads.graders.JudgeGrader`) with :func:`add_judge`.

Examples
--------
>>> import numpy as np
>>> s = simulated_judge(np.array([1.0, 0.0] * 500), agreement=0.8, seed=0)
>>> bool(0.75 < np.mean((s >= 0.5) == np.array([1, 0] * 500)) < 0.85)
True
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .errors import RouterlabError


def simulated_judge(quality, agreement: float = 0.85, seed: int = 0) -> np.ndarray:
    """Scores in [0, 1] from a declared judge that agrees with ``quality >= 0.5`` on ``agreement`` of
    the answers (disagreements drawn at random); scores are spread within each side so a threshold
    can be tuned."""
    q = np.nan_to_num(np.asarray(quality, dtype=float), nan=0.0)
    if not 0.5 <= agreement <= 1:
        raise RouterlabError(f"agreement must be between 0.5 and 1, got {agreement}")
    rng = np.random.default_rng(seed)
    good = q >= 0.5
    says_good = np.where(rng.random(len(q)) < agreement, good, ~good)
    spread = rng.beta(4, 2, len(q))  # confident-looking scores on the side the judge picked
    return np.where(says_good, 0.5 + spread / 2, 0.5 - spread / 2)


def add_judge(outcomes, model: str, scores, *, simulated: bool = True, note: str = ""):
    """A copy of ``outcomes`` with the query column ``judge:<model>`` holding judge scores."""
    outcomes.col(model)
    s = np.asarray(scores, dtype=float)
    if s.shape != (outcomes.n,):
        raise RouterlabError(f"{s.shape[0] if s.ndim else 0} judge scores for {outcomes.n} queries")
    if np.isfinite(s).any() and (np.nanmin(s) < 0 or np.nanmax(s) > 1):
        raise RouterlabError("judge scores must lie in [0, 1]: rescale them first")
    col = f"judge:{model}"
    meta = dict(outcomes.meta)
    meta["judges"] = {**meta.get("judges", {}), col: {"simulated": bool(simulated), "note": note}}
    return replace(outcomes, queries=outcomes.queries.assign(**{col: s}), meta=meta)


def to_probability(confidence) -> np.ndarray:
    """Confidence scores as probabilities: a column holding mean token log-probabilities (any value
    below 0, as llama.cpp backends report them) becomes ``exp(logprob)``, the geometric-mean token
    probability; a column already in [0, 1] is returned unchanged.

    >>> to_probability([-0.1, 0.0, np.nan]).round(3).tolist()
    [0.905, 1.0, nan]
    """
    c = np.asarray(confidence, dtype=float)
    if c.ndim == 1:
        return np.exp(c) if (c[np.isfinite(c)] < 0).any() else c.copy()
    return np.column_stack([to_probability(c[:, j]) for j in range(c.shape[1])])


def confidence_as_probability(outcomes):
    """A copy of ``outcomes`` whose ``confidence`` columns are probabilities (see :func:`to_probability`),
    as the cascade's ``confidence`` verifier and the reliability diagram expect."""
    return replace(outcomes, confidence=to_probability(outcomes.confidence))


__all__ = ["add_judge", "confidence_as_probability", "simulated_judge", "to_probability"]
