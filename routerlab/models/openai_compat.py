"""OpenAI-compatible chat models through the official ``openai`` client.

Works with OpenAI and with any server speaking its API: vLLM, Ollama, ``llama_cpp.server``, LM Studio.

- model name and base URL from the spec ``openai:MODEL`` or ``openai:MODEL@URL``; without a URL,
  the env var named by ``base_url_env`` (default ``OPENAI_BASE_URL``), else OpenAI's own URL;
- the API key is read from the env var whose *name* is ``key_env`` (default ``OPENAI_API_KEY``).
  It is required for remote hosts. A server on this machine (localhost, 127.0.0.1, ::1) gets a
  dummy key when the variable is unset, since local servers usually ignore it. The key is never
  part of :meth:`identity`, cache keys, logs or errors;
- ``logprobs=True`` asks the server for token log-probabilities and sets ``confidence`` to their mean;
- errors become one-line :class:`BackendError` (``TransientBackendError`` for timeouts, 429 and
  5xx, which the batch runner retries). The client itself does not retry (``max_retries=0``).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import Any
from urllib.parse import urlparse

from ..completion import Completion
from ..errors import BackendError, RouterlabError
from .base import (
    Prompt,
    TransientBackendError,
    as_messages,
    mean_or_none,
    normalize_input,
    validate_params,
)
from .prices import TIERS, Price

OPENAI_URL = "https://api.openai.com/v1"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
DUMMY_KEY = "sk-no-key-required"


_CLIENTS: dict[tuple[str, str, float], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _shared_client(base_url: str, api_key: str, timeout: float):
    """One ``openai.OpenAI`` client (and its connection pool) per URL, key and timeout."""
    key = (base_url, hashlib.sha256(api_key.encode()).hexdigest(), timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            try:
                import openai
            except ImportError:
                raise RouterlabError(
                    "the openai package is not installed: pip install openai"
                ) from None
            client = openai.OpenAI(
                api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
            )
            _CLIENTS[key] = client
        return client


def chat_request(model_name: str, messages_or_prompt: Prompt, p: dict[str, Any]) -> dict[str, Any]:
    """The ``/chat/completions`` body for validated params ``p`` (the backend and ``serve``'s
    forwarder send the same request)."""
    body: dict[str, Any] = {
        "model": model_name,
        "messages": as_messages(normalize_input(messages_or_prompt, p.get("system"))),
        "max_tokens": p["max_tokens"],
        "temperature": p["temperature"],
    }
    for name in ("top_p", "seed", "stop"):
        if name in p:
            body[name] = p[name]
    if p.get("logprobs"):
        body["logprobs"] = True
        body["top_logprobs"] = 1  # llama_cpp.server returns logprobs only with top_logprobs
    return body


def is_local_url(url: str) -> bool:
    """True for a server on this machine (loopback), which may run without an API key."""
    host = (urlparse(url).hostname or "").lower()
    return host in LOCAL_HOSTS or host.startswith("127.")


class OpenAICompatBackend:
    """A chat model behind an OpenAI-compatible HTTP API.

    Parameters
    ----------
    model_name : str
        The model name the server knows (``gpt-4o-mini``, ``llama3.2`` ...).
    base_url : str, optional
        e.g. ``http://127.0.0.1:8080/v1``; default from ``$<base_url_env>`` or OpenAI.
    key_env, base_url_env : str
        *Names* of the env vars holding the key and the base URL.
    price : Price, optional
        Default: the ``local`` tier ($0) for a server on this machine, else the ``frontier`` tier
        (an upper estimate: set real prices in the models file).
    display_name : str, optional
        The name shown in results (an alias); default ``model_name``.
    timeout : float
        Seconds per request (default 60).

    Examples
    --------
    >>> b = OpenAICompatBackend("smollm2", base_url="http://127.0.0.1:8080/v1")  # doctest: +SKIP
    >>> b.complete("Say hi", max_tokens=8).text                                # doctest: +SKIP
    """

    kind = "openai"
    is_chat = True
    cacheable = True

    def __init__(
        self,
        model_name: str,
        *,
        base_url: str | None = None,
        key_env: str | None = None,
        base_url_env: str | None = None,
        price: Price | None = None,
        display_name: str | None = None,
        timeout: float = 60.0,
        api_key: str | None = None,
    ):
        self.model_name = model_name
        self.key_env = key_env or "OPENAI_API_KEY"
        self.base_url_env = base_url_env or "OPENAI_BASE_URL"
        url = base_url or os.environ.get(self.base_url_env) or OPENAI_URL
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise RouterlabError(f"base URL {url!r} must look like http://HOST:PORT/v1")
        self.base_url = url.rstrip("/")
        self.model = display_name or model_name
        self.price = price or (TIERS["local"] if is_local_url(self.base_url) else TIERS["frontier"])
        self.timeout = float(timeout)
        key = api_key or os.environ.get(self.key_env)
        if not key:
            if not is_local_url(self.base_url):
                raise BackendError(
                    f"no API key for {self.model} at {self.base_url}: set the environment variable "
                    f"{self.key_env} (or name another one with key_env in routerlab-models.toml)"
                )
            key = DUMMY_KEY
        self._api_key = key  # kept private: never in identity(), repr() or errors
        self._client = None

    def identity(self) -> dict[str, Any]:
        return {"model": self.model_name, "base_url": self.base_url}

    def __repr__(self) -> str:
        return f"OpenAICompatBackend({self.model_name!r}, base_url={self.base_url!r})"

    def _get_client(self):
        if self._client is None:
            self._client = _shared_client(self.base_url, self._api_key, self.timeout)
        return self._client

    def complete(self, messages_or_prompt: Prompt, **params: Any) -> Completion:
        p = validate_params(params)
        kw = chat_request(self.model_name, messages_or_prompt, p)
        if "timeout" in p:
            kw["timeout"] = p["timeout"]
        client = self._get_client()
        start = time.perf_counter()
        try:
            resp = client.chat.completions.create(**kw)
        except Exception as exc:  # mapped to one-line errors below
            raise self._map_error(exc, p.get("timeout", self.timeout)) from None
        latency = time.perf_counter() - start
        if not resp.choices:
            raise TransientBackendError(f"{self.base_url} returned no answer for {self.model_name}")
        choice = resp.choices[0]
        usage = resp.usage
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        confidence = None
        lp = getattr(choice, "logprobs", None)
        if lp is not None and getattr(lp, "content", None):
            confidence = mean_or_none([t.logprob for t in lp.content])
        return Completion(
            text=choice.message.content or "",
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_s=latency,
            cost_usd=self.price.cost(tokens_in, tokens_out),
            model=self.model,
            finish_reason=choice.finish_reason,
            confidence=confidence,
        )

    def _map_error(self, exc: Exception, timeout: float) -> BackendError:
        import openai

        where = f"{self.base_url}"
        if isinstance(exc, openai.APITimeoutError):
            return TransientBackendError(f"timed out after {timeout:g} s calling {where}")
        if isinstance(exc, openai.APIConnectionError):
            return TransientBackendError(f"cannot reach {where}: is the server running?")
        if isinstance(exc, openai.APIStatusError):
            code = exc.status_code
            detail = _short(exc)
            if code == 401:
                return BackendError(
                    f"{where} rejected the API key (401): check the environment variable {self.key_env}"
                )
            if code == 403:
                return BackendError(f"{where} refused access to {self.model_name} (403): {detail}")
            if code == 404:
                return BackendError(
                    f"model {self.model_name!r} not found at {where} (404): check the model name"
                )
            if code == 429:
                return TransientBackendError(f"{where} is rate limiting (429): {detail}")
            if code >= 500:
                return TransientBackendError(f"{where} failed with HTTP {code}: {detail}")
            return BackendError(f"{where} refused the request (HTTP {code}): {detail}")
        return BackendError(f"call to {where} failed: {type(exc).__name__}: {_short(exc)}")


def _short(exc: Exception, limit: int = 200) -> str:
    msg = getattr(exc, "message", None) or str(exc)
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            msg = inner["message"]
        elif isinstance(body.get("detail"), str):
            msg = body["detail"]
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= limit else msg[: limit - 3] + "..."
