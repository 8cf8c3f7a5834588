"""Threshold calibration on your own data, its held-out check, and probability calibration.

The "we meant 30% and got 60%" check: a threshold picked on a calibration split to hit a target
escalation share (or a cost budget) is applied to held-out queries, and the realised share, quality and
cost are reported with bootstrap CIs next to the target.

For probability scores (P(strong model needed)): reliability-diagram data, ECE and Brier score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import RouterlabError
from .bootstrap import bootstrap_means, percentile_ci
from .curves import _vec, check_score


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold chosen on a calibration split (route to strong when ``score >= threshold``)."""

    threshold: float
    target_share: float | None
    budget: float | None
    cal_share: float
    cal_cost: float | None
    n_cal: int

    def to_dict(self) -> dict:
        return asdict(self)


def _boundaries(s_sorted: np.ndarray) -> np.ndarray:
    """Shares reachable with a threshold (a threshold can only take whole blocks of equal scores)."""
    n = len(s_sorted)
    new = np.flatnonzero(s_sorted[1:] != s_sorted[:-1]) + 1
    return np.concatenate(([0], new, [n]))


def _threshold_at(s_sorted: np.ndarray, k: int) -> float:
    """A threshold that sends exactly the top ``k`` (a block boundary) to the strong model."""
    n = len(s_sorted)
    if k <= 0:
        return float(np.nextafter(s_sorted[0], np.inf))
    if k >= n:
        return float(s_sorted[-1])
    return float((s_sorted[k - 1] + s_sorted[k]) / 2)


def calibrate_threshold(
    scores_cal,
    target_share: float | None = None,
    budget: float | None = None,
    *,
    c_weak=None,
    c_strong=None,
) -> ThresholdChoice:
    """Pick the threshold that hits a target escalation share or a cost budget on calibration data.

    Parameters
    ----------
    scores_cal : array (N,)
        Router scores on the calibration queries (ideally out-of-fold, see :func:`crossfit`).
    target_share : float, optional
        Wanted share of queries sent to the strong model (0..1); the reachable share closest to it is
        used (ties in scores make some shares unreachable).
    budget : float, optional
        Mean cost per query in $: the largest strong share whose mean cost stays within it.
        Needs ``c_weak`` and ``c_strong``.
    c_weak, c_strong : array (N,) or float
        Per-query costs on the calibration queries.

    Examples
    --------
    >>> t = calibrate_threshold([0.1, 0.4, 0.35, 0.9], target_share=0.5)
    >>> t.threshold, t.cal_share
    (0.375, 0.5)
    """
    s = check_score(scores_cal)
    n = len(s)
    if (target_share is None) == (budget is None):
        raise RouterlabError("give exactly one of target_share or budget")
    s_sorted = np.sort(s)[::-1]
    bounds = _boundaries(s_sorted)
    cal_cost = None
    if target_share is not None:
        if not 0 <= target_share <= 1:
            raise RouterlabError(f"target_share must be between 0 and 1, got {target_share}")
        k = int(bounds[np.argmin(np.abs(bounds / n - target_share))])
        if c_weak is not None or c_strong is not None:
            cw = _vec(c_weak, n, "c_weak", 0.0)
            cs = _vec(c_strong, n, "c_strong", 0.0)
            order = np.argsort(-s, kind="stable")
            cal_cost = float((cw.sum() + (cs - cw)[order][:k].sum()) / n)
    else:
        if c_weak is None or c_strong is None:
            raise RouterlabError("a cost budget needs c_weak and c_strong (costs per query)")
        cw = _vec(c_weak, n, "c_weak")
        cs = _vec(c_strong, n, "c_strong")
        order = np.argsort(-s, kind="stable")
        cum = np.concatenate(([0.0], np.cumsum((cs - cw)[order])))
        mean_cost = (cw.sum() + cum[bounds]) / n
        ok = mean_cost <= budget + 1e-15
        if not ok.any():
            raise RouterlabError(
                f"budget ${budget:.6g} per query cannot be met: even all-weak routing costs "
                f"${mean_cost.min():.6g} per query"
            )
        j = int(np.flatnonzero(ok)[-1])
        k = int(bounds[j])
        cal_cost = float(mean_cost[j])
    return ThresholdChoice(
        threshold=_threshold_at(s_sorted, k),
        target_share=None if target_share is None else float(target_share),
        budget=None if budget is None else float(budget),
        cal_share=k / n,
        cal_cost=cal_cost,
        n_cal=n,
    )


@dataclass(frozen=True)
class HeldOutCheck:
    """What a calibrated threshold does on held-out queries, with bootstrap CIs."""

    threshold: float
    target_share: float | None
    cal_share: float
    share: float
    share_ci: tuple[float, float]
    quality: float
    quality_ci: tuple[float, float]
    cost: float | None
    cost_ci: tuple[float, float] | None
    budget: float | None
    n: int
    level: float

    @property
    def target_in_ci(self) -> bool:
        """Whether the target share (or the calibration share) lies inside the held-out CI."""
        t = self.target_share if self.target_share is not None else self.cal_share
        return self.share_ci[0] <= t <= self.share_ci[1]

    @property
    def message(self) -> str:
        t = self.target_share if self.target_share is not None else self.cal_share
        lo, hi = self.share_ci
        msg = (
            f"meant {t:.1%} to the strong model, got {self.share:.1%} "
            f"[{lo:.1%}, {hi:.1%}] on {self.n:,} held-out queries; quality {self.quality:.4f} "
            f"[{self.quality_ci[0]:.4f}, {self.quality_ci[1]:.4f}]"
        )
        if self.cost is not None:
            msg += f"; cost ${1000 * self.cost:.4g} per 1k requests"
            if self.budget is not None:
                msg += f" (budget ${1000 * self.budget:.4g})"
        if not self.target_in_ci:
            msg += " -- the target is outside the CI: recalibrate on data like your traffic"
        return msg

    def to_dict(self) -> dict:
        d = asdict(self)
        d["share_ci"] = list(self.share_ci)
        d["quality_ci"] = list(self.quality_ci)
        d["cost_ci"] = None if self.cost_ci is None else list(self.cost_ci)
        d["target_in_ci"] = self.target_in_ci
        return d


def check_threshold(
    choice: ThresholdChoice | float,
    scores_test,
    q_weak,
    q_strong,
    c_weak=None,
    c_strong=None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> HeldOutCheck:
    """Apply a threshold to held-out scores: realised strong share, quality and cost with CIs."""
    s = check_score(scores_test)
    n = len(s)
    t = choice.threshold if isinstance(choice, ThresholdChoice) else float(choice)
    strong = s >= t
    qw = _vec(q_weak, n, "q_weak")
    qs = _vec(q_strong, n, "q_strong")
    cols = {"share": strong.astype(float), "quality": np.where(strong, qs, qw)}
    has_cost = c_weak is not None or c_strong is not None
    if has_cost:
        cw = _vec(c_weak, n, "c_weak", 0.0)
        cs = _vec(c_strong, n, "c_strong", 0.0)
        cols["cost"] = np.where(strong, cs, cw)
    samp = bootstrap_means(cols, n_boot, seed)
    est = {k: float(np.nanmean(v)) for k, v in cols.items()}
    ci = {k: percentile_ci(v, level) for k, v in samp.items()}
    if isinstance(choice, ThresholdChoice):
        target, cal_share, budget = choice.target_share, choice.cal_share, choice.budget
    else:
        target, cal_share, budget = None, float("nan"), None
    return HeldOutCheck(
        threshold=t,
        target_share=target,
        cal_share=cal_share,
        share=est["share"],
        share_ci=ci["share"],
        quality=est["quality"],
        quality_ci=ci["quality"],
        cost=est.get("cost"),
        cost_ci=ci.get("cost"),
        budget=budget,
        n=n,
        level=level,
    )


def calibrate(
    scores,
    outcomes,
    strong: str,
    weak: str,
    *,
    target_share: float | None = None,
    budget: float | None = None,
    cal_size: float = 0.5,
    seed: int = 0,
    n_boot: int = 1000,
) -> tuple[ThresholdChoice, HeldOutCheck]:
    """Split ``outcomes`` into calibration / held-out halves, calibrate, and check on held-out.

    ``scores`` are one per query of ``outcomes`` (e.g. out-of-fold scores from :func:`crossfit`).

    Examples
    --------
    >>> # choice, check = calibrate(scores, outcomes, "gpt-4", "mixtral", target_share=0.3)
    >>> # print(check.message)
    """
    s = check_score(scores, outcomes.n)
    if not 0 < cal_size < 1:
        raise RouterlabError(f"cal_size must be between 0 and 1, got {cal_size}")
    iw, is_ = outcomes.col(weak), outcomes.col(strong)
    perm = np.random.default_rng(seed).permutation(outcomes.n)
    m = int(round(cal_size * outcomes.n))
    if m < 1 or m >= outcomes.n:
        raise RouterlabError(f"{outcomes.n} queries are too few to split for calibration")
    cal, test = perm[:m], perm[m:]
    cost = outcomes.cost
    has_cost = np.isfinite(cost[:, [iw, is_]]).all()
    cw = cost[:, iw] if has_cost else None
    cs = cost[:, is_] if has_cost else None
    pick = lambda a, idx: None if a is None else a[idx]  # noqa: E731
    choice = calibrate_threshold(
        s[cal], target_share, budget, c_weak=pick(cw, cal), c_strong=pick(cs, cal)
    )
    check = check_threshold(
        choice,
        s[test],
        outcomes.quality[test, iw],
        outcomes.quality[test, is_],
        pick(cw, test),
        pick(cs, test),
        n_boot=n_boot,
        seed=seed,
    )
    return choice, check


# ------------------------------------------------------------------ probability calibration


def strong_needed(q_weak, q_strong, margin: float = 0.0) -> np.ndarray:
    """1.0 where the strong model beats the weak one by more than ``margin``, else 0.0."""
    return (np.asarray(q_strong, dtype=float) - np.asarray(q_weak, dtype=float) > margin).astype(
        float
    )


def _bins(prob: np.ndarray, bins: int, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    if bins < 1:
        raise RouterlabError(f"bins must be at least 1, got {bins}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    elif strategy == "quantile":
        edges = np.unique(np.quantile(prob, np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = min(edges[0], 0.0), max(edges[-1], 1.0)
    else:
        raise RouterlabError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    idx = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, len(edges) - 2)
    return edges, idx


def _check_prob(prob, outcome):
    p = np.asarray(prob, dtype=float)
    y = np.asarray(outcome, dtype=float)
    if p.shape != y.shape or p.ndim != 1:
        raise RouterlabError("prob and outcome must be 1-d arrays of the same length")
    if len(p) == 0:
        raise RouterlabError("no predictions to assess")
    if not np.isfinite(p).all() or p.min() < 0 or p.max() > 1:
        raise RouterlabError("probabilities must be finite numbers in [0, 1]")
    return p, y


def reliability(prob, outcome, bins: int = 10, strategy: str = "uniform"):
    """Reliability-diagram data: per bin the mean predicted probability and the observed rate.

    Columns ``lo``, ``hi``, ``n``, ``mean_prob``, ``observed``, ``gap`` (observed - mean_prob).
    Empty bins are left out. ``outcome`` may be graded (a fraction in [0, 1]).
    """
    import pandas as pd

    p, y = _check_prob(prob, outcome)
    edges, idx = _bins(p, bins, strategy)
    nb = len(edges) - 1
    cnt = np.bincount(idx, minlength=nb)
    sp = np.bincount(idx, weights=p, minlength=nb)
    sy = np.bincount(idx, weights=y, minlength=nb)
    keep = cnt > 0
    with np.errstate(all="ignore"):
        df = pd.DataFrame(
            {
                "lo": edges[:-1],
                "hi": edges[1:],
                "n": cnt,
                "mean_prob": sp / cnt,
                "observed": sy / cnt,
            }
        )[keep]
    df["gap"] = df["observed"] - df["mean_prob"]
    return df.reset_index(drop=True)


def ece(prob, outcome, bins: int = 10, strategy: str = "uniform") -> float:
    """Expected calibration error: sum over bins of (bin share) x |observed - mean predicted|."""
    p, y = _check_prob(prob, outcome)
    edges, idx = _bins(p, bins, strategy)
    nb = len(edges) - 1
    sp = np.bincount(idx, weights=p, minlength=nb)
    sy = np.bincount(idx, weights=y, minlength=nb)
    return float(np.abs(sy - sp).sum() / len(p))


def brier(prob, outcome) -> float:
    """Brier score: mean squared difference between probability and outcome (lower is better)."""
    p, y = _check_prob(prob, outcome)
    return float(np.mean((p - y) ** 2))
