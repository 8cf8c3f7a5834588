"""routerlab: build, compare and tune LLM model routers on real workloads; export the policy as JSON.

Imports are lazy so that the production runtime (:mod:`routerlab.policy`) needs only numpy.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "Completion": "routerlab.completion",
    "Outcomes": "routerlab.outcomes",
    "RouterlabError": "routerlab.errors",
    "get_backend": "routerlab.models",
    "CallCache": "routerlab.cache",
    "run_batch": "routerlab.runner",
    "load_outcomes": "routerlab.loaders",
    "embed": "routerlab.embeddings",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'routerlab' has no attribute {name!r}")
