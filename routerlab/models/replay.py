"""Replay: answers served from a recorded responses file (workshops without a network).

The file is JSON Lines, one answer per line::

    {"model": "gpt-4o", "prompt": "What is 2+2?", "text": "4", "tokens_in": 12, "tokens_out": 1,
     "latency_s": 0.41, "cost_usd": 8.5e-05, "finish_reason": "stop", "confidence": -0.02}

``messages`` (a list of ``{role, content}``) may replace ``prompt``; a prompt string and a single
user message with the same text are the same question. ``response`` is accepted for ``text``.
Missing ``cost_usd`` is computed from the tokens and the backend's price. :func:`replay_row`
builds a row from a :class:`~routerlab.completion.Completion`.

Spec: ``replay:PATH#MODEL`` (``#MODEL`` may be left out when the file holds one model).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..completion import Completion
from ..errors import BackendError, RouterlabError
from .base import Prompt, as_messages, normalize_input, validate_params
from .gguf import file_sha256
from .prices import Price

_FILES: dict[tuple[str, int, int], dict[str, dict[str, dict[str, Any]]]] = {}


def _input_key(inp: str | list[dict[str, str]]) -> str:
    return json.dumps(as_messages(inp), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def replay_row(prompt: Prompt, completion: Completion, **extra: Any) -> dict[str, Any]:
    """One JSONL row recording ``completion`` as the answer to ``prompt``."""
    inp = normalize_input(prompt)
    row: dict[str, Any] = {"model": completion.model}
    row["prompt" if isinstance(inp, str) else "messages"] = inp
    row.update({k: v for k, v in completion.to_dict().items() if k not in ("model", "cached")})
    row.update(extra)
    return row


def _load(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _FILES:
        return _FILES[key]
    by_model: dict[str, dict[str, dict[str, Any]]] = {}
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if "messages" in row:
                    inp = normalize_input(row["messages"])
                else:
                    inp = normalize_input(row["prompt"])
                text = row["text"] if "text" in row else row["response"]
                model = str(row["model"])
            except (json.JSONDecodeError, KeyError, TypeError, RouterlabError) as exc:
                raise RouterlabError(
                    f"{path} line {lineno} is not a replay row (needs model, prompt or messages, "
                    f"text): {type(exc).__name__} {exc}"
                ) from None
            row = dict(row, text=text)
            by_model.setdefault(model, {})[_input_key(inp)] = row
    _FILES[key] = by_model
    return by_model


class ReplayBackend:
    """Answers recorded in a JSONL file; a prompt that was not recorded is a clear error."""

    kind = "replay"
    is_chat = True
    cacheable = False  # already a recording: the call cache would only duplicate it

    def __init__(
        self,
        path: str,
        model_name: str | None = None,
        *,
        price: Price | None = None,
        display_name: str | None = None,
    ):
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise RouterlabError(f"replay file not found: {self.path}")
        data = _load(self.path)
        if not data:
            raise RouterlabError(f"replay file {self.path} holds no answers")
        if model_name is None:
            if len(data) != 1:
                raise RouterlabError(
                    f"replay file {self.path} holds several models ({', '.join(sorted(data))}): "
                    "name one with replay:PATH#MODEL"
                )
            model_name = next(iter(data))
        elif model_name not in data:
            raise RouterlabError(
                f"model {model_name!r} is not in replay file {self.path} "
                f"(it has: {', '.join(sorted(data))})"
            )
        self.model_name = model_name
        self.model = display_name or model_name
        self.price = price or Price(tier="replay")

    def identity(self) -> dict[str, Any]:
        return {"replay_sha256": file_sha256(self.path), "model": self.model_name}

    def __repr__(self) -> str:
        return f"ReplayBackend({str(self.path)!r}, {self.model_name!r})"

    def complete(self, messages_or_prompt: Prompt, **params: Any) -> Completion:
        p = validate_params(params)
        inp = normalize_input(messages_or_prompt, p.get("system"))
        row = _load(self.path)[self.model_name].get(_input_key(inp))
        if row is None:
            preview = inp if isinstance(inp, str) else inp[-1]["content"]
            preview = " ".join(preview.split())[:60]
            raise BackendError(
                f"no recorded answer from {self.model_name} for {preview!r} in {self.path}: "
                "record it first or use a live model"
            )
        tokens_in = int(row.get("tokens_in", 0) or 0)
        tokens_out = int(row.get("tokens_out", 0) or 0)
        cost = row.get("cost_usd")
        return Completion(
            text=str(row["text"]),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_s=float(row.get("latency_s", 0.0) or 0.0),
            cost_usd=float(cost) if cost is not None else self.price.cost(tokens_in, tokens_out),
            model=self.model,
            finish_reason=row.get("finish_reason"),
            confidence=row.get("confidence"),
        )
