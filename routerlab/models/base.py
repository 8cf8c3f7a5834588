"""The Backend protocol and what every backend shares: input and parameter checks.

A backend turns a prompt (a string) or chat messages plus generation parameters into a
:class:`~routerlab.completion.Completion`. It has one method, ``complete``, and a few attributes
the cache and the runner read:

- ``kind``: ``"gguf"``, ``"openai"`` or ``"replay"``;
- ``model``: the display name (an alias such as ``edge``, or the model name);
- ``is_chat``: whether it accepts chat messages (completion-only models take a prompt string);
- ``identity()``: a JSON-safe dict naming *what answers* (GGUF file hash, or model name + base
  URL). It keys the call cache, so it never contains a secret;
- ``price``: a :class:`~routerlab.models.prices.Price`;
- ``cacheable`` (optional, default True): whether answers go through the call cache (replay
  answers do not).

Parameters accepted by every backend (anything else is a one-line error):

==============  ===========================================================================
``max_tokens``  int > 0 (default 256)
``temperature`` float in [0, 2] (default 0: greedy, deterministic, cacheable)
``top_p``       float in (0, 1]
``seed``        int (makes sampling with temperature > 0 cacheable)
``stop``        str or list of str
``logprobs``    bool: compute ``confidence`` (mean token log-probability)
``system``      str: a system message put before the messages
``sample``      int >= 0: index of a repeated sample (cache key only; never sent)
``timeout``     seconds for remote calls (not part of the cache key)
==============  ===========================================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from ..completion import Completion
from ..errors import BackendError, RouterlabError
from .prices import Price

#: Default generation parameters (applied before a call and before hashing a cache key).
DEFAULTS: dict[str, Any] = {"max_tokens": 256, "temperature": 0.0}

#: Parameters that do not change the answer, so they stay out of the cache key.
NOT_IN_KEY = frozenset({"timeout"})

KNOWN_PARAMS = frozenset(
    {
        "max_tokens",
        "temperature",
        "top_p",
        "seed",
        "stop",
        "logprobs",
        "system",
        "sample",
        "timeout",
    }
)

Messages = list[dict[str, str]]
Prompt = str | Sequence[Mapping[str, Any]]


class TransientBackendError(BackendError):
    """A call failed for a reason that may pass (timeout, HTTP 429, 5xx, server restarting).

    The batch runner retries these with exponential backoff; other errors are recorded at once.
    """


@runtime_checkable
class Backend(Protocol):
    """Anything that answers prompts: ``complete(messages_or_prompt, **params) -> Completion``."""

    kind: str
    model: str
    is_chat: bool
    price: Price

    def complete(self, messages_or_prompt: Prompt, **params: Any) -> Completion: ...

    def identity(self) -> dict[str, Any]: ...


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise RouterlabError(f"{name} must be a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise RouterlabError(f"{name} must be a number, got {value!r}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RouterlabError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise RouterlabError(f"{name} must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise RouterlabError(f"{name} must be a whole number, got {value!r}")
    return value


def validate_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Check generation parameters, fill in defaults and return a normalised copy.

    ``None`` values are dropped (as if not given). Raises :class:`RouterlabError` with one line.

    >>> validate_params({"max_tokens": "8"})
    {'max_tokens': 8, 'temperature': 0.0}
    """
    unknown = set(params) - KNOWN_PARAMS
    if unknown:
        raise RouterlabError(
            f"unknown parameter(s) {', '.join(sorted(unknown))}: use {', '.join(sorted(KNOWN_PARAMS))}"
        )
    out: dict[str, Any] = dict(DEFAULTS)
    for name, value in params.items():
        if value is None:
            continue
        if name == "max_tokens":
            value = _integer(name, value)
            if value <= 0:
                raise RouterlabError(f"max_tokens must be > 0, got {value}")
        elif name == "temperature":
            value = _number(name, value)
            if not 0 <= value <= 2:
                raise RouterlabError(f"temperature must be between 0 and 2, got {value:g}")
        elif name == "top_p":
            value = _number(name, value)
            if not 0 < value <= 1:
                raise RouterlabError(f"top_p must be in (0, 1], got {value:g}")
        elif name in ("seed", "sample"):
            value = _integer(name, value)
            if name == "sample" and value < 0:
                raise RouterlabError(f"sample must be >= 0, got {value}")
        elif name == "stop":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
                raise RouterlabError(f"stop must be a string or a list of strings, got {value!r}")
            value = list(value)
            if not value:
                continue
        elif name == "logprobs":
            if not isinstance(value, bool):
                raise RouterlabError(f"logprobs must be true or false, got {value!r}")
            if not value:
                continue
        elif name == "system":
            if not isinstance(value, str):
                raise RouterlabError(f"system must be a string, got {type(value).__name__}")
        elif name == "timeout":
            value = _number(name, value)
            if value <= 0:
                raise RouterlabError(f"timeout must be > 0 seconds, got {value:g}")
        out[name] = value
    return out


def normalize_input(messages_or_prompt: Prompt, system: str | None = None) -> str | Messages:
    """Return the prompt string unchanged or the messages as a list of plain ``{role, content}``.

    A ``system`` text becomes a first system message (a prompt string then becomes a user message).
    """
    if isinstance(messages_or_prompt, str):
        if system is None:
            return messages_or_prompt
        messages_or_prompt = [{"role": "user", "content": messages_or_prompt}]
    if isinstance(messages_or_prompt, Mapping) or not isinstance(messages_or_prompt, Sequence):
        raise RouterlabError(
            "a prompt must be a string or a list of {'role': ..., 'content': ...} messages, "
            f"got {type(messages_or_prompt).__name__}"
        )
    messages: Messages = []
    for m in messages_or_prompt:
        if not isinstance(m, Mapping) or "role" not in m or "content" not in m:
            raise RouterlabError("each message must be a dict with 'role' and 'content'")
        role, content = m["role"], m["content"]
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            raise RouterlabError(
                f"message role must be system/user/assistant and content a string, got role {role!r}"
            )
        messages.append({"role": role, "content": content})
    if not messages:
        raise RouterlabError("no messages given: pass a prompt string or at least one message")
    if system is not None:
        messages = [{"role": "system", "content": system}, *messages]
    return messages


def as_messages(inp: str | Messages) -> Messages:
    """A prompt string as one user message; messages unchanged."""
    return [{"role": "user", "content": inp}] if isinstance(inp, str) else inp


def mean_or_none(values: Sequence[float | None]) -> float | None:
    """Mean of the finite values as a Python float, or ``None`` when there are none."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return float(sum(vals) / len(vals)) if vals else None
