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
    compare,
    percentile_ci,
    resample_indices,
)
from .calibration import (
    HeldOutCheck,
    ThresholdChoice,
    brier,
    calibrate,
    calibrate_threshold,
    check_threshold,
    ece,
    reliability,
    strong_needed,
)
from .crossfit import EvalResults, crossfit, evaluate_routers
from .curves import Curve, aiq, apgr, cpt, curve, ndch, pareto_front
from .economics import (
    Overhead,
    RetryEconomics,
    measure_overhead,
    retry_economics,
    retry_table,
    with_overhead,
)
from .result import RoutingResult, apply, apply_threshold, compare_results

__all__ = [
    "HeldOutCheck",
    "Overhead",
    "RetryEconomics",
    "ThresholdChoice",
    "brier",
    "calibrate",
    "calibrate_threshold",
    "check_threshold",
    "compare",
    "ece",
    "measure_overhead",
    "reliability",
    "retry_economics",
    "retry_table",
    "strong_needed",
    "with_overhead",
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
