"""Model specs (strings naming a backend) and the models file that defines aliases.

Spec strings::

    gguf:smollm2-135m                       bundled SmolLM2-135M-Instruct (chat)
    gguf:gemma3-270m                        bundled gemma-3-270m base (completion-only, few-shot)
    gguf:/path/to/model.gguf                any GGUF file
    openai:gpt-4o-mini                      OpenAI (or $OPENAI_BASE_URL), key from $OPENAI_API_KEY
    openai:MODEL@http://127.0.0.1:8080/v1   any OpenAI-compatible server (vLLM, Ollama, llama_cpp.server)
    replay:answers.jsonl#gpt-4o             answers recorded in a JSONL file

A models file (TOML) gives names to specs so notebooks and policies say ``frontier`` or ``edge``
and a team swaps endpoints without touching code. It is ``./routerlab-models.toml`` or the file
named by ``$ROUTERLAB_MODELS``::

    [models.frontier]
    spec = "openai:gpt-4o"
    input_per_m = 5.0          # $ per million input tokens (or: tier = "frontier")
    output_per_m = 25.0
    key_env = "OPENAI_API_KEY" # the NAME of the env var holding the key
    base_url_env = "FRONTIER_BASE_URL"

    [models.edge]
    spec = "gguf:smollm2-135m"
    cost_per_token = 0.0       # hardware cost of a local model, $ per token

Examples
--------
>>> parse_spec("openai:llama@http://127.0.0.1:8080/v1").base_url
'http://127.0.0.1:8080/v1'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import RouterlabError
from .prices import Price, price_from

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

KINDS = ("gguf", "openai", "replay")
MODELS_FILE = "routerlab-models.toml"
SPEC_HELP = (
    "use gguf:smollm2-135m, gguf:gemma3-270m, gguf:/path/model.gguf, openai:MODEL[@URL], "
    "replay:PATH#MODEL or an alias from routerlab-models.toml"
)
#: Fields of one alias table in the models file.
ALIAS_FIELDS = frozenset(
    {
        "spec",
        "tier",
        "input_per_m",
        "output_per_m",
        "cost_per_token",
        "key_env",
        "base_url_env",
        "base_url",
        "template",
        "n_ctx",
        "timeout",
        "description",
    }
)


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: which backend, what it targets, and options from the models file."""

    kind: str
    target: str  # GGUF name or path, remote model name, or replay file path
    base_url: str | None = None
    replay_model: str | None = None
    alias: str | None = None
    price: Price | None = None
    key_env: str | None = None
    base_url_env: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        if self.alias:
            return self.alias
        if self.kind == "replay":
            return self.replay_model or Path(self.target).stem
        if self.kind == "gguf" and ("/" in self.target or self.target.endswith(".gguf")):
            return Path(self.target).stem
        return self.target


def parse_spec(spec: str) -> ModelSpec:
    """Parse a spec string (not an alias). Raises :class:`RouterlabError` naming the valid forms."""
    if not isinstance(spec, str) or not spec.strip():
        raise RouterlabError(f"empty model spec: {SPEC_HELP}")
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS:
        raise RouterlabError(f"unknown model spec {spec!r}: {SPEC_HELP}")
    if not rest:
        raise RouterlabError(f"model spec {spec!r} names no model: {SPEC_HELP}")
    if kind == "gguf":
        return ModelSpec("gguf", rest)
    if kind == "openai":
        model, base_url = rest, None
        for scheme in ("@http://", "@https://"):
            at = rest.rfind(scheme)
            if at >= 0:
                model, base_url = rest[:at], rest[at + 1 :]
                break
        if not model:
            raise RouterlabError(f"model spec {spec!r} names no model: use openai:MODEL@URL")
        return ModelSpec("openai", model, base_url=base_url)
    path, _, model = rest.rpartition("#") if "#" in rest else (rest, "", "")
    return ModelSpec("replay", path, replay_model=model or None)


def models_file_path() -> Path | None:
    """The models file in use: ``$ROUTERLAB_MODELS``, else ``./routerlab-models.toml``, else None."""
    env = os.environ.get("ROUTERLAB_MODELS")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise RouterlabError(
                f"ROUTERLAB_MODELS names {path}, which does not exist: fix the path or unset it"
            )
        return path
    local = Path.cwd() / MODELS_FILE
    return local if local.is_file() else None


def load_models_file(path: str | os.PathLike | None = None) -> dict[str, ModelSpec]:
    """Read the aliases of a models file (default: :func:`models_file_path`); ``{}`` if none.

    Every problem (bad TOML, unknown field, bad spec, bad price) is a one-line
    :class:`RouterlabError` naming the file and the alias.
    """
    file = Path(path).expanduser() if path is not None else models_file_path()
    if file is None:
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RouterlabError(f"models file {file} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RouterlabError(f"models file {file} is not valid TOML: {exc}") from None
    models = data.get("models")
    if not isinstance(models, dict) or set(data) - {"models"}:
        raise RouterlabError(
            f"models file {file} must hold [models.NAME] tables (e.g. [models.edge] spec = ...)"
        )
    out: dict[str, ModelSpec] = {}
    for name, table in models.items():
        where = f"{file} [models.{name}]"
        if not isinstance(table, dict):
            raise RouterlabError(f'{where} must be a table with at least spec = "..."')
        unknown = set(table) - ALIAS_FIELDS
        if unknown:
            raise RouterlabError(
                f"unknown field(s) {', '.join(sorted(unknown))} in {where}: "
                f"use {', '.join(sorted(ALIAS_FIELDS))}"
            )
        if "spec" not in table or not isinstance(table["spec"], str):
            raise RouterlabError(f'{where} needs spec = "gguf:..." or "openai:..."')
        try:
            base = parse_spec(table["spec"])
        except RouterlabError as exc:
            raise RouterlabError(f"{where}: {exc}") from None
        price_fields = {
            k: table[k]
            for k in ("tier", "input_per_m", "output_per_m", "cost_per_token")
            if k in table
        }
        price = price_from(price_fields, where=where) if price_fields else None
        for key in ("key_env", "base_url_env", "base_url", "template"):
            if key in table and not isinstance(table[key], str):
                raise RouterlabError(f"{key} in {where} must be a string")
        options = {k: table[k] for k in ("template", "n_ctx", "timeout") if k in table}
        out[name] = replace(
            base,
            alias=name,
            price=price,
            base_url=table.get("base_url", base.base_url),
            key_env=table.get("key_env"),
            base_url_env=table.get("base_url_env"),
            options=options,
        )
    return out


def resolve(spec_or_alias: str, models: dict[str, ModelSpec] | None = None) -> ModelSpec:
    """An alias from the models file, else a parsed spec string."""
    if not isinstance(spec_or_alias, str):
        raise RouterlabError(f"a model spec must be a string, got {type(spec_or_alias).__name__}")
    name = spec_or_alias.strip()
    kind = name.partition(":")[0]
    if kind in KINDS and ":" in name:
        return parse_spec(name)
    aliases = load_models_file() if models is None else models
    if name in aliases:
        return aliases[name]
    if ":" in name:
        return parse_spec(name)  # raises: unknown kind
    where = models_file_path() if models is None else None
    known = f" (known aliases: {', '.join(sorted(aliases))})" if aliases else ""
    source = f" in {where}" if where else ""
    raise RouterlabError(f"unknown model {name!r}{source}{known}: {SPEC_HELP}")
