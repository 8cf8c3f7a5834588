"""Routers: one module per family, a plain registry dict, and the JSON round trip.

Examples
--------
>>> from routerlab.routers import REGISTRY, make_router
>>> "knn" in REGISTRY and "oracle" in REGISTRY
True
>>> make_router("category", alpha=2.0).get_params()["alpha"]
2.0
"""

from __future__ import annotations

from ..errors import RouterlabError
from .base import NotFittedError, Queries, Router, as_queries
from .cascade import CascadeRouter
from .category import CategoryRouter
from .edge_cloud import EdgeCloudRouter
from .ensemble import EnsembleRouter
from .fixed import FixedRouter
from .knn import KNNRouter
from .logistic import LogisticRouter
from .mf import MFRouter
from .oracle import OracleRouter
from .quality_aware import QualityAwareRouter
from .random import RandomRouter
from .rules import RulesRouter
from .semantic import SemanticRouter
from .utility import UtilityRouter

#: Registry: name -> router class. A new router is one module plus one entry here.
REGISTRY: dict[str, type[Router]] = {
    cls.kind: cls
    for cls in (
        RandomRouter,
        OracleRouter,
        FixedRouter,
        CategoryRouter,
        KNNRouter,
        LogisticRouter,
        MFRouter,
        UtilityRouter,
        RulesRouter,
        SemanticRouter,
        CascadeRouter,
        QualityAwareRouter,
        EdgeCloudRouter,
        EnsembleRouter,
    )
}


def _get(kind: str) -> type[Router]:
    try:
        return REGISTRY[kind]
    except (KeyError, TypeError):
        raise RouterlabError(
            f"unknown router {kind!r}; known routers: {', '.join(sorted(REGISTRY))}"
        ) from None


def make_router(kind: str, **params) -> Router:
    """A new, unfitted router of family ``kind``; unknown parameters are a one-line error."""
    cls = _get(kind)
    names = set(cls._param_names())
    bad = sorted(set(params) - names)
    if bad:
        raise RouterlabError(
            f"{kind} router has no parameter(s) {', '.join(bad)}; parameters: {', '.join(sorted(names))}"
        )
    return cls(**params)


def router_from_dict(d: dict) -> Router:
    """Rebuild a router (fitted when ``d`` has a state) from :meth:`Router.to_dict` output."""
    if not isinstance(d, dict) or "kind" not in d:
        raise RouterlabError("a router dict needs a 'kind' (and 'params', optionally 'state')")
    return _get(d["kind"]).from_dict(d)


__all__ = [
    "REGISTRY",
    "NotFittedError",
    "Queries",
    "Router",
    "as_queries",
    "make_router",
    "router_from_dict",
    *(c.__name__ for c in REGISTRY.values()),
]
