"""Evaluation engine: curves, APGR/CPT/AIQ, routing results, bootstrap CIs, calibration, economics.

Everything is vectorized (one sort and cumulative sums per router; no Python loop over thresholds or
queries). Imports stay light: pandas is imported only by the functions that return DataFrames.
"""

from __future__ import annotations

from .bootstrap import (
    Bootstrap,
    CurveBootstrap,
    bootstrap,
    bootstrap_curves,
    bootstrap_means,
    bootstrap_quantile,
    percentile_ci,
    resample_indices,
)
from .crossfit import EvalResults, crossfit, evaluate_routers
from .curves import Curve, aiq, apgr, cpt, curve, ndch, pareto_front
from .result import RoutingResult, apply, apply_threshold, compare_results

__all__ = [
    "Bootstrap",
    "Curve",
    "EvalResults",
    "crossfit",
    "evaluate_routers",
    "RoutingResult",
    "apply",
    "apply_threshold",
    "compare_results",
    "CurveBootstrap",
    "aiq",
    "apgr",
    "bootstrap",
    "bootstrap_curves",
    "bootstrap_means",
    "bootstrap_quantile",
    "cpt",
    "curve",
    "ndch",
    "pareto_front",
    "percentile_ci",
    "resample_indices",
]
