"""Export a fitted router as a policy document (a plain dict; :func:`routerlab.policy.save` writes it).

The expected operating point (escalation share, quality, cost per 1,000 requests, per-category
quality) is measured on a calibration table with paired bootstrap confidence intervals, so that
production can later compare what it sees with what was promised (``routerlab policy eval``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import RouterlabError
from .runtime import DEFAULT_PII_PATTERNS, Policy
from .schema import SCHEMA_VERSION, validate

#: GGUF models the kit bundles (an outcome column of that name maps to ``gguf:<name>``).
BUNDLED_GGUF = ("smollm2-135m", "gemma3-270m")


def _price_dict(price) -> dict:
    if price is None:
        return {"input_per_m": 0.0, "output_per_m": 0.0, "tier": None}
    return {
        "input_per_m": float(price.input_per_m),
        "output_per_m": float(price.output_per_m),
        "tier": price.tier,
    }


def _price_of(value, column: str) -> dict:
    from ..models.prices import price_from

    if isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if v is not None}
    return _price_dict(price_from(value, where=f"models[{column!r}].price"))


def _scenario_price(column: str):
    from ..models.prices import TIERS

    for tier in ("frontier", "efficient"):
        if tier in column.lower():
            return TIERS[tier]
    return None


def model_entry(column: str, spec: Any = None) -> dict:
    """The policy entry for outcome column ``column`` given a spec string, alias, dict or None.

    - ``None``: a bundled GGUF name maps to ``gguf:<name>`` (edge tier); a ``scenario:`` column
      becomes ``backend: none`` (simulated; map it to a real endpoint before serving); a spec
      string or models-file alias of the same name is resolved.
    - a spec string (``openai:MODEL@URL``) or an alias of the models file.
    - a dict of policy-model fields (``id``, ``backend``, ``model``, ``base_url``, ``base_url_env``,
      ``key_env``, ``price``, ``tier``); it may also hold ``spec`` to start from.
    """
    from ..models.specs import ModelSpec, resolve

    overrides: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        overrides = dict(spec)
        spec = overrides.pop("spec", None)
        if spec is None and "backend" in overrides:
            entry = {
                "id": column,
                "model": column,
                "base_url": None,
                "base_url_env": None,
                "key_env": None,
                "price": _price_dict(None),
                "tier": "edge" if overrides["backend"] == "gguf" else "cloud",
            }
            entry.update(overrides)
            entry["price"] = _price_of(entry["price"], column)
            return _finish(entry, column)
    ms: ModelSpec | None = None
    if spec is None:
        if column.startswith("scenario:"):
            entry = {
                "id": column,
                "backend": "none",
                "model": column,
                "price": _price_dict(_scenario_price(column)),
                "tier": "cloud",
                "simulated": True,
            }
            entry.update(overrides)
            return _finish(entry, column)
        if column in BUNDLED_GGUF:
            ms = resolve(f"gguf:{column}")
        else:
            try:
                ms = resolve(column)
            except RouterlabError:
                entry = {
                    "id": column,
                    "backend": "none",
                    "model": column,
                    "price": _price_dict(None),
                    "tier": "cloud",
                }
                entry.update(overrides)
                return _finish(entry, column)
    elif isinstance(spec, str):
        ms = resolve(spec)
    elif isinstance(spec, ModelSpec):
        ms = spec
    else:
        raise RouterlabError(
            f"model for column {column!r} must be a spec string, an alias or a dict, "
            f"not {type(spec).__name__}"
        )
    assert ms is not None
    if ms.kind == "gguf":
        from ..models.prices import TIERS

        price = ms.price or TIERS["local"]
        entry = {"backend": "gguf", "model": ms.target, "tier": "edge"}
    elif ms.kind == "openai":
        from ..models.openai_compat import is_local_url
        from ..models.prices import TIERS

        local = bool(ms.base_url) and is_local_url(ms.base_url)
        price = ms.price or (TIERS["local"] if local else TIERS["frontier"])
        key_env = ms.key_env or (None if local else "OPENAI_API_KEY")
        base_url_env = ms.base_url_env or (None if ms.base_url else "OPENAI_BASE_URL")
        entry = {
            "backend": "openai",
            "model": ms.target,
            "base_url": ms.base_url,
            "base_url_env": base_url_env,
            "key_env": key_env,
            "tier": "edge" if local else "cloud",
        }
    else:
        from ..models.prices import TIERS

        price = ms.price or TIERS["local"]
        target = ms.target + (f"#{ms.replay_model}" if ms.replay_model else "")
        entry = {"backend": "replay", "model": target, "tier": "edge"}
    entry["id"] = ms.alias or (column if spec is None else ms.display_name)
    entry["price"] = _price_dict(price)
    if "price" in overrides:
        overrides["price"] = _price_of(overrides["price"], column)
    entry.update(overrides)
    return _finish(entry, column)


def _finish(entry: dict, column: str) -> dict:
    order = (
        "id", "column", "backend", "model", "base_url", "base_url_env", "key_env", "price", "tier",
        "simulated",
    )  # fmt: skip
    if entry.get("id", column) != column:
        entry["column"] = column
    else:
        entry.pop("column", None)
    entry.setdefault("base_url", None)
    entry.setdefault("base_url_env", None)
    entry.setdefault("key_env", None)
    return {k: entry[k] for k in order if k in entry} | {
        k: v for k, v in entry.items() if k not in order
    }


def _rules(rules, models: list[dict]) -> list[dict]:
    if rules is None:
        return []
    if isinstance(rules, (str, Mapping)):
        rules = [rules]
    out = []
    edge = [m["id"] for m in models if m.get("tier") == "edge"]
    for r in rules:
        rule = {"type": r} if isinstance(r, str) else dict(r)
        if rule.get("type") != "pii":
            raise RouterlabError(f"unknown rule {rule.get('type')!r}: the known rule is 'pii'")
        if "allow" not in rule:
            if not edge:
                raise RouterlabError(
                    "the PII rule keeps PII on edge models, but no model is on the edge tier: "
                    "give one tier='edge' or the rule an allow=[...] list"
                )
            rule["allow"] = edge
        rule.setdefault("detect", "flag_or_regex")
        rule.setdefault("patterns", dict(DEFAULT_PII_PATTERNS))
        out.append(rule)
    return out


def _estimate(value: float, ci) -> dict:
    def clean(x):
        return None if x is None or not np.isfinite(x) else float(x)

    return {"value": clean(value), "ci": [clean(ci[0]), clean(ci[1])]}


def operating_point(
    policy: Policy,
    outcomes,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    queries=None,
    threshold: float | None = None,
) -> dict:
    """The policy's operating point on an outcome table: escalation share, quality, cost per 1,000
    requests, per-category quality, each with a paired bootstrap CI (the ``expected`` block).

    Queries are routed with their recorded PII flags. ``queries`` may pass prebuilt
    :class:`~routerlab.routers.Queries` (e.g. with embeddings) for the same rows.
    """
    from ..evaluate import apply
    from ..evaluate.bootstrap import bootstrap_means, percentile_ci
    from ..routers.base import Queries, Router

    if queries is None:
        queries = Queries.from_outcomes(outcomes)
    # a table may name models by their outcome column (as fitted) or by their policy id (as served)
    have = set(outcomes.models)
    cols_by_id = {}
    for mid in policy.models:
        col = policy.column_of(mid)
        cols_by_id[mid] = col if col in have else (mid if mid in have else col)
    batch = policy.route_batch(queries, threshold=threshold)
    columns = np.array([cols_by_id[m] for m in batch.models], dtype=object)
    absent = sorted(set(columns) - have)
    if absent:
        raise RouterlabError(
            f"the policy routes queries to {', '.join(absent)}, which the outcome table lacks "
            f"(it has {', '.join(outcomes.models)}); name the columns by model id or by the "
            "columns the router was fitted on"
        )
    router = policy.router
    weak = cols_by_id[policy.model_id(router.models_[0])] if policy.is_binary else None
    custom_sim = type(router).simulate is not Router.simulate
    same_names = all(cols_by_id[m] == policy.column_of(m) for m in policy.models)
    if custom_sim and same_names and not batch.rule_applied.any() and threshold is None:
        result = router.simulate(outcomes)
    else:
        result = apply(outcomes, columns, weak=weak)
    escalated = (result.model != result.weak).astype(float)
    cols = {"quality": result.quality, "cost_per_1k": 1000 * result.cost, "escalation": escalated}
    samples = bootstrap_means(cols, n_boot, seed)

    def est(name, arr):
        with np.errstate(all="ignore"):
            v = float(np.nanmean(arr)) if np.isfinite(arr).any() else float("nan")
        return _estimate(v, percentile_ci(samples[name], level))

    by_cat: dict[str, dict] = {}
    cats = np.asarray(result.categories).astype(str)
    for c in sorted(set(cats)):
        idx = np.flatnonzero(cats == c)
        sub = bootstrap_means({"q": result.quality[idx], "e": escalated[idx]}, n_boot, seed)
        with np.errstate(all="ignore"):
            qv = float(np.nanmean(result.quality[idx]))
        by_cat[c] = {
            "n": int(len(idx)),
            "quality": _estimate(qv, percentile_ci(sub["q"], level)),
            "escalation_share": _estimate(
                float(escalated[idx].mean()), percentile_ci(sub["e"], level)
            ),
        }
    shares = {}
    for mid in policy.models:
        share = float(np.mean(batch.models == mid)) if len(batch) else 0.0
        if share > 0:
            shares[mid] = share
    used = set(result.model.tolist())
    return {
        "n": int(outcomes.n),
        "confidence": float(level),
        "n_boot": int(n_boot),
        "source": f"{outcomes.name} ({outcomes.fingerprint()})",
        "cheapest": next((m for m, c in cols_by_id.items() if c == result.weak), result.weak),
        "escalation_share": est("escalation", escalated),
        "quality": est("quality", result.quality),
        "cost_per_1k": est("cost_per_1k", 1000 * result.cost),
        "model_share": shares,
        "by_category": by_cat,
        "simulated_models": sorted(used & set(outcomes.simulated)),
    }


def drift_alarms(expected: dict, realised: dict, strict: bool = False) -> list[str]:
    """Metrics (``escalation_share``, ``quality``) whose realised value left the exported interval.

    Default: alarm when the realised value is outside the expected interval AND the expected value is
    outside the realised interval (the shift exceeds both samples' noise). ``strict``: the first alone.
    """
    alarms = []
    for m in ("escalation_share", "quality"):
        e, r = expected.get(m) or {}, realised.get(m) or {}
        v, (lo, hi) = r.get("value"), e.get("ci", [None, None])
        if v is None or lo is None or hi is None:
            continue
        outside = v < lo or v > hi
        if outside and not strict:
            ev, (rlo, rhi) = e.get("value"), r.get("ci", [None, None])
            if ev is not None and rlo is not None and rhi is not None:
                outside = ev < rlo or ev > rhi
        if outside:
            alarms.append(m)
    return alarms


def export_policy(
    router,
    outcomes,
    models: Mapping[str, Any] | None = None,
    rules: Sequence[str | Mapping] | str | None = None,
    fallback: str | None = None,
    calibration=None,
    *,
    threshold: float | None = None,
    name: str | None = None,
    description: str | None = None,
    encoder: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    calibration_queries=None,
) -> dict:
    """A policy document for a fitted router.

    Parameters
    ----------
    router : Router
        A fitted router.
    outcomes : Outcomes
        The table the router was fitted on (its fingerprint goes into the provenance).
    models : dict, optional
        Outcome column -> production model: a spec string (``openai:gpt-4o-mini``), an alias of the
        models file (``frontier``), or a dict of fields (``backend``, ``model``, ``base_url`` or
        ``base_url_env``, ``key_env``, ``price``, ``tier``, ``id``). Unmapped columns: bundled GGUF
        names become ``gguf:`` models; ``scenario:`` columns become ``backend: none`` (simulated).
    rules : list, optional
        ``["pii"]`` keeps queries with PII on the edge-tier models (or ``{"type": "pii", "allow": [...]}``).
    fallback : str, optional
        Model id to use when the chosen backend fails; default the first edge model, else the cheapest.
    calibration : Outcomes, optional
        Held-out table for the expected operating point (default ``outcomes`` itself, which is
        in-sample and optimistic; the provenance says so).
    threshold : float, optional
        The threshold to ship (binary routers); default the router's own.
    encoder : str, optional
        The embedding model of an embedding router (default the bundled all-MiniLM-L6-v2).

    Examples
    --------
    >>> doc = export_policy(router, train, models={"smollm2-135m": "edge"}, rules=["pii"],
    ...                     calibration=test)                            # doctest: +SKIP
    """
    from .. import __version__

    if hasattr(router, "_check_fitted"):
        router._check_fitted()
    rd = router.to_dict()
    if "state" not in rd:
        raise RouterlabError("the router is not fitted: call .fit(outcomes) before exporting")
    models = dict(models or {})
    unknown = sorted(set(models) - set(router.models_))
    if unknown:
        raise RouterlabError(
            f"models names column(s) {', '.join(unknown)} the router does not route to; "
            f"it routes to {', '.join(router.models_)}"
        )
    entries = [model_entry(c, models.get(c)) for c in router.models_]
    sim = set(getattr(outcomes, "simulated", ()))
    for e in entries:
        if e.get("column", e["id"]) in sim:
            e["simulated"] = True
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        raise RouterlabError(f"two columns map to the same model id: {ids}")
    rule_list = _rules(rules, entries)
    if fallback is None:
        edge = [e["id"] for e in entries if e.get("tier") == "edge"]
        by_price = sorted(
            entries, key=lambda e: e["price"]["input_per_m"] + e["price"]["output_per_m"]
        )
        fallback = edge[0] if edge else by_price[0]["id"]
    elif fallback not in ids:
        col_map = {e.get("column", e["id"]): e["id"] for e in entries}
        if fallback in col_map:
            fallback = col_map[fallback]
        else:
            raise RouterlabError(
                f"fallback {fallback!r} is not one of the models: {', '.join(ids)}"
            )
    enc = None
    if getattr(router, "needs_embeddings", False):
        from ..embeddings import encoder_info

        info = encoder_info(encoder)
        enc = {
            "name": info["name"],
            "weights_sha256": info["sha256"],
            "dim": info.get("dim"),
            "normalize": True,
        }
    thr = threshold
    if thr is None and not getattr(router, "multi_model", False):
        # a threshold fitted by the router itself (e.g. under a latency budget) wins over the param
        thr = getattr(router, "threshold_", None)
        if thr is None:
            thr = getattr(router, "threshold", None)
    params = rd["params"]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "format": "routerlab.policy",
        "name": name or f"{router.kind}-{outcomes.name}",
        "models": entries,
        "router": {
            "kind": rd["kind"],
            "models": list(router.models_),
            "threshold": None if thr is None else float(thr),
            "multi_model": bool(getattr(router, "multi_model", False)),
            "needs_embeddings": bool(getattr(router, "needs_embeddings", False)),
            "encoder": enc,
            "params": params,
            "state": rd["state"],
        },
        "rules": rule_list,
        "fallback": fallback,
        "expected": {  # placeholder, filled below once the policy can route
            "n": 0,
            "escalation_share": {"value": None, "ci": [None, None]},
            "quality": {"value": None, "ci": [None, None]},
            "cost_per_1k": {"value": None, "ci": [None, None]},
        },
        "provenance": {
            "routerlab_version": __version__,
            "outcomes_fingerprint": outcomes.fingerprint(),
            "outcomes_name": str(outcomes.name),
            "n": int(outcomes.n),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        },
    }
    if description:
        doc["description"] = description
    validate(doc, "exported policy")
    policy = Policy(doc, where="exported policy")
    cal = calibration if calibration is not None else outcomes
    doc["expected"] = operating_point(
        policy, cal, n_boot=n_boot, seed=seed, level=level, queries=calibration_queries
    )
    prov = doc["provenance"]
    if calibration is not None:
        prov["calibration_fingerprint"] = calibration.fingerprint()
        prov["calibration_name"] = str(calibration.name)
        prov["calibration_n"] = int(calibration.n)
    else:
        prov["note"] = (
            "expected operating point measured on the training table itself (in-sample, optimistic): "
            "pass calibration= a held-out table"
        )
    if doc["expected"]["simulated_models"]:
        note = "expected figures involve simulated (scenario) models: " + ", ".join(
            doc["expected"]["simulated_models"]
        )
        prov["note"] = f"{prov['note']}; {note}" if "note" in prov else note
    return validate(doc, "exported policy")
