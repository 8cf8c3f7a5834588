"""Write a policy in the formats production routers already read.

- :func:`semantic_router_config`: a semantic-router 1.x router file (``router_type: indexed``,
  an encoder block, routes with utterances; each route's ``metadata.model`` names the policy model
  it stands for). ``semantic_router.config.load_router(path)`` reads it.
- :func:`litellm_config`: ``model_list`` + ``router_settings`` for LiteLLM (``litellm.Router(**cfg)``
  or the proxy's config file), keys as ``os.environ/NAME`` references, never values; a ``router``
  entry points at ``routerlab serve`` so LiteLLM can put the policy in front of the same models.
- :func:`routellm_alias`: RouteLLM's ``router-<name>-<threshold>`` model name for binary routers
  (``routerlab serve`` accepts it and routes with that threshold).

All writers return plain dicts; :func:`write` saves one as JSON (YAML readers accept JSON too).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RouterlabError
from .runtime import Policy

#: The sentence-transformers name of the bundled encoder (semantic-router's LocalEncoder loads it).
HUB_MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def _policy(p) -> Policy:
    if isinstance(p, Policy):
        return p
    if isinstance(p, Mapping):
        return Policy(dict(p))
    from . import load

    return load(p)


def routellm_alias(policy, threshold: float | None = None) -> str | None:
    """``router-<kind>-<threshold>`` (e.g. ``router-knn-0.42``) for a binary policy, else None."""
    p = _policy(policy)
    if not p.is_binary:
        return None
    t = p.threshold if threshold is None else threshold
    return None if t is None else f"router-{p.kind}-{float(t):g}"


def parse_routellm_alias(name: str) -> tuple[str, float] | None:
    """``"router-knn-0.42"`` -> ``("knn", 0.42)``; None when ``name`` is not such an alias."""
    m = re.fullmatch(r"router-(.+)-([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)", name)
    return (m.group(1), float(m.group(2))) if m else None


# --------------------------------------------------------------------------------------------- semantic-router
def _routes_from_state(p: Policy) -> list[dict] | None:
    """Routes of a router that keeps example utterances (the ``semantic`` family): its route names,
    utterances, fitted similarity thresholds and target models."""
    st = p.doc["router"]["state"]
    need = ("route_names_", "utterances_", "utt_route_", "thresholds_", "route_models_")
    if not all(k in st for k in need):
        return None
    default = st.get("default_")
    out = []
    for r, name in enumerate(st["route_names_"]):
        utt = [u for u, o in zip(st["utterances_"], st["utt_route_"], strict=True) if o == r]
        out.append(
            {
                "name": name,
                "utterances": utt,
                "threshold": float(st["thresholds_"][r]),
                "model": st["route_models_"][r],
                "default_model": None if default is None else p.model_id(default),
            }
        )
    return out


def _routes_from_outcomes(p: Policy, outcomes, per_route: int) -> list[dict]:
    """One route per category: its first prompts as utterances, the model the policy sends most of
    that category to as the target (for routers that need the category, which a semantic router
    then infers from the text)."""
    from ..routers.base import Queries

    q = Queries.from_outcomes(outcomes)
    batch = p.route_batch(q, contains_pii=np.zeros(outcomes.n, dtype=bool))
    cats = np.asarray(outcomes.categories).astype(str)
    prompts = outcomes.prompts
    routes = []
    for c in sorted(set(cats)):
        idx = np.flatnonzero(cats == c)
        ids, counts = np.unique(batch.models[idx], return_counts=True)
        routes.append(
            {
                "name": c,
                "utterances": [prompts[i] for i in idx[:per_route]],
                "threshold": None,
                "model": str(ids[int(np.argmax(counts))]),
            }
        )
    return routes


def semantic_router_config(
    policy,
    *,
    routes: Sequence[Mapping[str, Any]] | None = None,
    outcomes=None,
    encoder: Mapping[str, Any] | None = None,
    per_route: int = 16,
    top_k: int = 5,
    aggregation: str | None = None,
) -> dict:
    """A semantic-router 1.x router file (as a dict) for a policy.

    Routes come from ``routes`` (``[{"name", "utterances", "model", "threshold"}]``), else from the
    router's own example utterances (the ``semantic`` family: same utterances, thresholds and
    best-match rule, so semantic-router with the same encoder picks the same route), else one route
    per category of ``outcomes``. Each route carries ``metadata.model`` (the policy model id the
    route stands for) and ``metadata.default_model`` (where traffic that matches no route goes); a
    route's threshold becomes its ``confidence_threshold``.

    ``encoder`` defaults to ``{"type": "local", "name": "sentence-transformers/all-MiniLM-L6-v2"}``
    (sentence-transformers; pass a local folder as ``name`` for offline use).
    """
    p = _policy(policy)
    from_state = routes is None and _routes_from_state(p) is not None
    found = [dict(r) for r in routes] if routes is not None else _routes_from_state(p)
    if aggregation is None:
        # routerlab's semantic router takes each route's best-matching utterance: "max" does the same
        aggregation = "max" if from_state else "mean"
    if found is None:
        if outcomes is None:
            raise RouterlabError(
                f"a {p.kind} router keeps no example utterances: give an outcome table "
                "(outcomes= or --outcomes) for one route per category, or routes=[...]"
            )
        found = _routes_from_outcomes(p, outcomes, per_route)
    out_routes = []
    for i, r in enumerate(found):
        if not r.get("name") or not r.get("utterances"):
            raise RouterlabError(f"routes[{i}] needs a name and at least one utterance")
        model = r.get("model")
        if model is not None and model not in p.models:
            model = p._col_to_id.get(model, model)
        if model is not None and model not in p.models:
            raise RouterlabError(f"routes[{i}] targets {model!r}, which is not a policy model")
        thr = r.get("threshold")
        out_routes.append(
            {
                "name": str(r["name"]),
                "utterances": [str(u) for u in r["utterances"]],
                "description": r.get("description"),
                "confidence_threshold": None if thr is None else float(thr),
                "metadata": {
                    "model": model,
                    "default_model": r.get("default_model", p.fallback),
                    "routerlab_policy": p.name,
                },
            }
        )
    enc = dict(encoder) if encoder else {"type": "local", "name": HUB_MINILM}
    return {
        "router_type": "indexed",
        "encoder": {"type": enc["type"], "name": enc.get("name")},
        "top_k": int(top_k),
        "aggregation": aggregation,
        "index": {"type": "local"},
        "confidence_threshold": None,
        "routes": out_routes,
    }


# --------------------------------------------------------------------------------------------- LiteLLM
def _env_ref(name: str) -> str:
    return f"os.environ/{name}"


def _safe_env(model_id: str, suffix: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", model_id.upper()) + suffix


def litellm_config(
    policy,
    *,
    router_url_env: str = "ROUTERLAB_URL",
    routing_strategy: str = "simple-shuffle",
    include_router: bool = True,
) -> dict:
    """``{"model_list": [...], "router_settings": {...}}`` for the policy's models.

    - OpenAI-compatible models keep their model name (``openai/<model>``), base URL (or an
      ``os.environ/<NAME>`` reference to its env var) and key reference (``os.environ/<key_env>``);
    - GGUF models must be served by an OpenAI-compatible server (``python -m llama_cpp.server``):
      their ``api_base`` is ``os.environ/<ID>_BASE_URL``;
    - scenario models (``backend: none``) are left out;
    - ``router`` (and the RouteLLM alias) point at ``routerlab serve`` (``os.environ/ROUTERLAB_URL``),
      so LiteLLM can send traffic through the policy, with the policy's fallback as LiteLLM fallback.
    """
    p = _policy(policy)
    model_list = []
    for m in p.doc["models"]:
        if m["backend"] in ("none", "replay"):
            continue
        params: dict[str, Any] = {
            "model": f"openai/{m['model'] if m['backend'] == 'openai' else m['id']}"
        }
        if m["backend"] == "openai":
            if m.get("base_url"):
                params["api_base"] = m["base_url"]
            elif m.get("base_url_env"):
                params["api_base"] = _env_ref(m["base_url_env"])
        else:
            params["api_base"] = _env_ref(_safe_env(m["id"], "_BASE_URL"))
        # a local server ignores the key, but the OpenAI client wants one: a placeholder, not a secret
        params["api_key"] = _env_ref(m["key_env"]) if m.get("key_env") else "sk-no-key-required"
        params["input_cost_per_token"] = m["price"]["input_per_m"] / 1e6
        params["output_cost_per_token"] = m["price"]["output_per_m"] / 1e6
        model_list.append(
            {
                "model_name": m["id"],
                "litellm_params": params,
                "model_info": {
                    "id": f"routerlab-{m['id']}",
                    "routerlab_tier": m.get("tier", "cloud"),
                },
            }
        )
    if not model_list:
        raise RouterlabError(
            "no servable model in the policy (all are scenario models): map them first"
        )
    names = [m["model_name"] for m in model_list]
    settings: dict[str, Any] = {"routing_strategy": routing_strategy, "num_retries": 0}
    if include_router:
        alias = routellm_alias(p)
        for name in ["router", *([alias] if alias else [])]:
            model_list.append(
                {
                    "model_name": name,
                    "litellm_params": {
                        "model": f"openai/{name}",
                        "api_base": _env_ref(router_url_env),
                        "api_key": "sk-no-key-required",
                    },
                    "model_info": {"id": f"routerlab-{name}", "routerlab_policy": p.name},
                }
            )
        if p.fallback in names:
            settings["fallbacks"] = [{"router": [p.fallback]}]
    return {"model_list": model_list, "router_settings": settings}


def write(config: dict, path: str | os.PathLike) -> Path:
    """Save an interop config as JSON (YAML 1.2 readers, such as LiteLLM's proxy, read JSON too)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
