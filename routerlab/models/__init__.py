"""Model backends behind one protocol: a prompt or messages + params -> :class:`Completion`.

>>> from routerlab.models import get_backend                          # doctest: +SKIP
>>> edge = get_backend("gguf:smollm2-135m")                          # doctest: +SKIP
>>> edge.complete("What is the capital of France?", max_tokens=8)    # doctest: +SKIP

Specs and the models file are described in :mod:`routerlab.models.specs`; prices in
:mod:`routerlab.models.prices`.
"""

from __future__ import annotations

from typing import Any

from ..errors import RouterlabError
from .base import Backend, TransientBackendError, normalize_input, validate_params
from .prices import TIERS, Price, price_from
from .specs import ModelSpec, load_models_file, parse_spec, resolve

__all__ = [
    "Backend",
    "ModelSpec",
    "Price",
    "TIERS",
    "TransientBackendError",
    "get_backend",
    "load_models_file",
    "normalize_input",
    "parse_spec",
    "validate_params",
]

_OVERRIDES = {
    "gguf": {"price", "model", "template", "chat", "n_ctx", "n_threads", "cost_per_token"},
    "openai": {"price", "model", "key_env", "base_url_env", "base_url", "timeout", "api_key"},
    "replay": {"price", "model"},
}


def get_backend(spec_or_alias: str | Backend | ModelSpec, **overrides: Any) -> Backend:
    """The backend for a spec string, an alias of the models file, or a parsed spec.

    ``overrides`` replace settings of the spec or alias: ``price`` (a Price, a tier name or
    ``(input_per_m, output_per_m)``), ``model`` (display name), and per kind: GGUF ``template``,
    ``chat``, ``n_ctx``, ``n_threads``, ``cost_per_token``; OpenAI ``key_env``, ``base_url_env``,
    ``base_url``, ``timeout``, ``api_key``. A backend object is returned unchanged.

    Raises
    ------
    RouterlabError
        Unknown spec or alias, a missing file, no API key for a remote model, a bad override.
    """
    if not isinstance(spec_or_alias, (str, ModelSpec)):
        if isinstance(spec_or_alias, Backend):
            if overrides:
                raise RouterlabError("overrides apply to spec strings, not to backend objects")
            return spec_or_alias
        raise RouterlabError(
            f"a model must be a spec string or a backend, got {type(spec_or_alias).__name__}"
        )
    spec = spec_or_alias if isinstance(spec_or_alias, ModelSpec) else resolve(spec_or_alias)
    unknown = set(overrides) - _OVERRIDES[spec.kind]
    if unknown:
        raise RouterlabError(
            f"unknown option(s) {', '.join(sorted(unknown))} for a {spec.kind} model: "
            f"use {', '.join(sorted(_OVERRIDES[spec.kind]))}"
        )
    opts = {**spec.options, **overrides}
    price = spec.price
    if "cost_per_token" in opts:
        price = price_from({"cost_per_token": opts.pop("cost_per_token")})
    if "price" in opts:
        price = price_from(opts.pop("price"))
    name = opts.pop("model", None) or spec.display_name
    if spec.kind == "gguf":
        from .gguf import GGUFBackend

        return GGUFBackend(
            spec.target,
            model=name,
            price=price,
            template=opts.get("template"),
            chat=opts.get("chat"),
            n_ctx=int(opts.get("n_ctx", 2048)),
            n_threads=opts.get("n_threads"),
        )
    if spec.kind == "openai":
        from .openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(
            spec.target,
            base_url=opts.get("base_url", spec.base_url),
            key_env=opts.get("key_env", spec.key_env),
            base_url_env=opts.get("base_url_env", spec.base_url_env),
            price=price,
            display_name=name,
            timeout=float(opts.get("timeout", 60.0)),
            api_key=opts.get("api_key"),
        )
    from .replay import ReplayBackend

    return ReplayBackend(spec.target, spec.replay_model, price=price, display_name=name)
