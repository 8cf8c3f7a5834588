"""A scripted backend for unit tests of cache and runner logic (real backends are tested too)."""

from __future__ import annotations

import threading
import time
from typing import Any

from routerlab.completion import Completion
from routerlab.models.base import normalize_input, validate_params
from routerlab.models.prices import Price


class FakeBackend:
    """Answers ``echo:<prompt>``; ``fail`` maps a prompt to a list of exceptions raised first."""

    kind = "fake"
    is_chat = True
    cacheable = True

    def __init__(self, model="fake", *, price=None, fail=None, delay=0.0, ident="v1"):
        self.model = model
        self.price = price or Price(1, 2)
        self.fail = {k: list(v) for k, v in (fail or {}).items()}
        self.delay = delay
        self.ident = ident
        self.calls: list[tuple[Any, dict]] = []
        self._lock = threading.Lock()

    def identity(self) -> dict[str, Any]:
        return {"name": self.model, "version": self.ident}

    def complete(self, messages_or_prompt, **params) -> Completion:
        p = validate_params(params)
        inp = normalize_input(messages_or_prompt, p.get("system"))
        with self._lock:
            self.calls.append((inp, dict(params)))
            errors = self.fail.get(inp if isinstance(inp, str) else inp[-1]["content"])
            err = errors.pop(0) if errors else None
        if self.delay:
            time.sleep(self.delay)
        if err is not None:
            raise err
        text = f"echo:{inp if isinstance(inp, str) else inp[-1]['content']}"
        n_in, n_out = 10 + len(str(inp)), min(p["max_tokens"], 3)
        return Completion(text, n_in, n_out, 0.25, self.price.cost(n_in, n_out), self.model, "stop")
