"""``routerlab serve``: an OpenAI-compatible endpoint that routes each request by a policy.

Endpoints: ``POST /v1/chat/completions`` (``model: "router"`` routes by the policy; a RouteLLM-style
alias ``router-<kind>-<threshold>`` routes with that threshold; a policy model id bypasses the
router), ``GET /v1/models``, ``GET /health``. The decision goes in the response headers
(``x-routerlab-model``, ``x-routerlab-score``, ``x-routerlab-reason``) and in a JSONL decision log
(time, model, score, reason, latency, tokens, cost; the prompt only with ``log_prompts=True``).
Rules hold for every request: with the PII rule on, a request with PII never reaches a model
outside the rule's ``allow`` list, even when a client asks for that model by name. A cascade policy
runs live: each stage's answer is kept when its verifier (the answer's token confidence, or the
learned verifier on the prompt and answer embeddings) clears the stage's threshold.

Built on the standard library's ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive), so the routing hop
adds about a millisecond. Backends come from :mod:`routerlab.models` (no call cache: production
traffic is answered live).

Examples
--------
>>> srv = PolicyServer(load("policy.json"), port=8000)     # doctest: +SKIP
>>> srv.start()          # a background thread; srv.url is http://127.0.0.1:8000/v1
>>> srv.stop()
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from ..errors import BackendError, RouterlabError
from .interop import parse_routellm_alias, routellm_alias
from .runtime import Decision, Policy, text_of
from .schema import PolicyError

#: OpenAI request fields forwarded to the backend (others are accepted and ignored).
_FORWARD = ("temperature", "top_p", "seed", "stop")
_MAX_BODY = 16 * 2**20


class RequestError(Exception):
    """A bad request: HTTP status + OpenAI-style error body."""

    def __init__(
        self, status: int, message: str, type_: str = "invalid_request_error", code=None, param=None
    ):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = (
            status,
            message,
            type_,
            code,
            param,
        )

    def body(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def backend_for(model: dict, environ: Mapping[str, str] | None = None, forward: bool = False):
    """A :mod:`routerlab.models` backend for one policy model entry (reads env vars by name).

    ``forward=True`` wraps an OpenAI-compatible backend in :class:`HTTPForwarder` (serving path).
    """
    from ..models import get_backend
    from ..models.prices import Price

    env = os.environ if environ is None else environ
    kind = model["backend"]
    price = Price(
        model["price"]["input_per_m"], model["price"]["output_per_m"], model["price"].get("tier")
    )
    if kind == "none":
        raise PolicyError(
            f"model {model['id']!r} has no backend (a scenario model): map it to a real endpoint "
            "in the policy (models[].backend/model/base_url) before serving"
        )
    if kind == "gguf":
        return get_backend(f"gguf:{model['model']}", price=price, model=model["id"])
    if kind == "replay":
        return get_backend(f"replay:{model['model']}", price=price, model=model["id"])
    url = model.get("base_url") or (
        env.get(model["base_url_env"]) if model.get("base_url_env") else None
    )
    spec = f"openai:{model['model']}@{url}" if url else f"openai:{model['model']}"
    opts: dict[str, Any] = {"price": price, "model": model["id"]}
    if model.get("key_env"):
        opts["key_env"] = model["key_env"]
    if model.get("base_url_env"):
        opts["base_url_env"] = model["base_url_env"]
    backend = get_backend(spec, **opts)  # resolves URL and key exactly as notebooks do
    return HTTPForwarder(backend) if forward else backend


class HTTPForwarder:
    """The serving path to an OpenAI-compatible endpoint: the same model, URL, key and price as the
    :mod:`routerlab.models` backend it wraps, sent over keep-alive ``http.client`` connections (one
    per server thread) without the openai SDK's per-call work. Same ``complete`` contract."""

    kind = "openai"
    is_chat = True
    cacheable = False

    def __init__(self, backend):
        from urllib.parse import urlsplit

        self.inner = backend
        self.model = backend.model
        self.price = backend.price
        self.timeout = float(backend.timeout)
        u = urlsplit(backend.base_url)
        self._https = u.scheme == "https"
        self._host = u.hostname or "127.0.0.1"
        self._port = u.port or (443 if self._https else 80)
        self._path = (u.path.rstrip("/") or "") + "/chat/completions"
        self._headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {backend._api_key}",  # never logged or returned
        }
        self._local = threading.local()

    def identity(self) -> dict:
        return self.inner.identity()

    def _conn(self, fresh: bool = False):
        import http.client

        c = getattr(self._local, "conn", None)
        if c is None or fresh:
            if c is not None:
                c.close()
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            c = self._local.conn = cls(self._host, self._port, timeout=self.timeout)
        return c

    def _post(self, payload: bytes, timeout: float | None):
        import http.client

        for attempt in (0, 1):  # a kept-alive connection the server closed: reconnect once
            conn = self._conn(fresh=attempt == 1)
            if timeout is not None:
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
            try:
                conn.request("POST", self._path, body=payload, headers=self._headers)
                r = conn.getresponse()
                return r.status, r.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if attempt:
                    raise
            except (http.client.HTTPException, OSError):
                self._conn(fresh=True)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def complete(self, messages, **params) -> Any:
        from ..completion import Completion
        from ..models.base import TransientBackendError, validate_params
        from ..models.openai_compat import chat_request

        p = validate_params(params)
        body = chat_request(self.inner.model_name, messages, p)
        where = self.inner.base_url
        start = time.perf_counter()
        try:
            status, raw = self._post(json.dumps(body).encode(), p.get("timeout"))
        except TimeoutError:
            raise TransientBackendError(f"{self.model} at {where} timed out") from None
        except OSError as exc:
            raise TransientBackendError(
                f"cannot reach {self.model} at {where} ({type(exc).__name__})"
            ) from None
        except Exception as exc:  # noqa: BLE001 - http.client protocol errors
            raise TransientBackendError(f"{self.model} at {where}: {type(exc).__name__}") from None
        latency = time.perf_counter() - start
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if status >= 400:
            msg = ""
            if isinstance(data, dict) and isinstance(data.get("error"), dict):
                msg = str(data["error"].get("message", ""))
            msg = msg or raw[:200].decode("utf-8", "replace")
            cls = TransientBackendError if status == 429 or status >= 500 else BackendError
            raise cls(f"{self.model} at {where} answered HTTP {status}: {msg}")
        try:
            choice = data["choices"][0]
        except (KeyError, IndexError, TypeError):
            raise TransientBackendError(f"{self.model} at {where} returned no answer") from None
        usage = data.get("usage") or {}
        tin, tout = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        conf = None
        lp = choice.get("logprobs")
        content = lp.get("content") if isinstance(lp, dict) else None
        if content:
            vals = [
                t["logprob"]
                for t in content
                if isinstance(t, dict) and t.get("logprob") is not None
            ]
            conf = float(sum(vals) / len(vals)) if vals else None
        return Completion(
            text=(choice.get("message") or {}).get("content") or "",
            tokens_in=tin,
            tokens_out=tout,
            latency_s=latency,
            cost_usd=self.price.cost(tin, tout),
            model=self.model,
            finish_reason=choice.get("finish_reason"),
            confidence=conf,
        )


class PolicyServer:
    """Serve a policy over HTTP; ``start()`` in a thread or ``serve_forever()`` in the foreground.

    Parameters
    ----------
    policy : Policy
    host, port : str, int
        ``port=0`` picks a free port (see ``.port`` after construction).
    log_path : path, optional
        JSONL decision log (appended; one line per request).
    log_prompts : bool
        Also log the routed text (off by default: prompts may hold personal data).
    backends : dict, optional
        Model id -> backend, to override what the policy names (tests, custom transports).
    timeout : float
        Seconds per backend call.
    """

    def __init__(
        self,
        policy: Policy,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        log_path: str | os.PathLike | None = None,
        log_prompts: bool = False,
        backends: Mapping[str, Any] | None = None,
        timeout: float = 120.0,
    ):
        verifier = getattr(policy.router, "verifier", None)
        if policy.is_cascade and verifier not in ("confidence", "learned"):
            raise PolicyError(
                f"{policy.where}: serve runs cascades with the confidence verifier (the backend's "
                f"logprobs) or the learned one (answer embeddings); this cascade uses {verifier!r}"
            )
        self.policy = policy
        self._verifier = verifier
        self._id_to_col = {
            policy._col_to_id[c]: c for c in getattr(policy.router, "models_", None) or ()
        }
        self.log_prompts = log_prompts
        self.timeout = float(timeout)
        self._backends: dict[str, Any] = dict(backends or {})
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._log = open(log_path, "a", encoding="utf-8", buffering=1) if log_path else None  # noqa: SIM115
        self.alias = routellm_alias(policy)
        handler = type("Handler", (_Handler,), {"app": self})
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise RouterlabError(
                f"cannot listen on {host}:{port} ({exc.strerror}): pick another --port"
            ) from None
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # ------------------------------------------------------------------ lifecycle
    def check_backends(self) -> None:
        """Build every model's backend now, so a bad entry fails at start-up, not on a request."""
        for mid in self.policy.models:
            self.backend(mid)

    def warm_up(self) -> None:
        """Route one request (loads the encoder of embedding routers before traffic arrives)."""
        self.policy.route("warm-up", contains_pii=False)

    def start(self) -> PolicyServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="routerlab-serve", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._serving = True
        try:
            self.httpd.serve_forever()
        finally:
            self._serving = False

    def stop(self) -> None:
        if self._serving:
            self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> PolicyServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ pieces
    def backend(self, model_id: str):
        with self._lock:
            b = self._backends.get(model_id)
            if b is None:
                b = self._backends[model_id] = backend_for(
                    self.policy.models[model_id], forward=True
                )
            return b

    def models_list(self) -> dict:
        ids = ["router", *([self.alias] if self.alias else []), *self.policy.models]
        now = int(time.time())
        return {
            "object": "list",
            "data": [
                {"id": i, "object": "model", "created": now, "owned_by": "routerlab"} for i in ids
            ],
        }

    def health(self) -> dict:
        return {
            "status": "ok",
            "policy": self.policy.name,
            "router": self.policy.kind,
            "models": list(self.policy.models),
            "rules": [r["type"] for r in self.policy.doc["rules"]],
        }

    def write_log(self, record: dict) -> None:
        if self._log is None:
            return
        line = json.dumps(record, ensure_ascii=False)
        with self._log_lock:
            if self._log is not None:
                self._log.write(line + "\n")

    # ------------------------------------------------------------------ the request
    def decide(self, requested: str, messages: list, pii_header: str | None) -> Decision:
        p = self.policy
        # a client may flag PII (x-routerlab-pii: true) but never switch detection off
        flag = True if pii_header and pii_header.strip().lower() in ("1", "true", "yes") else None
        if requested == "router":
            return p.route(messages, contains_pii=flag)
        alias = parse_routellm_alias(requested)
        if alias is not None and alias[0] == p.kind and p.is_binary:
            return p.route(messages, contains_pii=flag, threshold=alias[1])
        if requested not in p.models:
            raise RequestError(
                404,
                f"model {requested!r} is not served: use 'router'"
                f"{', ' + self.alias if self.alias else ''} or one of {', '.join(p.models)}",
                code="model_not_found",
                param="model",
            )
        # a named model bypasses the router, never the rules
        if p.pii_rule is not None:
            _, all_text = text_of(messages)
            pii = flag if flag is not None else (p.detector.detect(all_text) is not None)
            if pii and requested not in p.pii_rule["allow"]:
                to = p.pii_rule["allow"][0]
                return Decision(
                    to, None, f"PII: rule keeps it on {to} instead of requested {requested}", True
                )
            return Decision(requested, None, "requested by the client", bool(pii))
        return Decision(requested, None, "requested by the client", False)

    def complete(self, body: dict, headers) -> tuple[dict, Decision, dict]:
        t0 = time.perf_counter()
        if not isinstance(body, dict):
            raise RequestError(400, "the request body must be a JSON object")
        requested = body.get("model", "router")
        if not isinstance(requested, str) or not requested:
            raise RequestError(
                400, "'model' must be a string: 'router' or a model id", param="model"
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise RequestError(
                400, "'messages' must be a non-empty list of {role, content}", param="messages"
            )
        clean = []
        for i, m in enumerate(messages):
            if (
                not isinstance(m, dict)
                or "content" not in m
                or m.get("role") not in ("system", "user", "assistant")
            ):
                raise RequestError(
                    400, f"messages[{i}] must be an object with role system/user/assistant and content",
                    param=f"messages[{i}]",
                )  # fmt: skip
            content = m["content"]
            if isinstance(content, list):
                content = "\n".join(
                    str(part.get("text", ""))
                    for part in content
                    if isinstance(part, dict) and part.get("type") == "text"
                )
            if not isinstance(content, str):
                raise RequestError(
                    400, f"messages[{i}].content must be a string", param=f"messages[{i}].content"
                )
            clean.append({"role": m["role"], "content": content})
        n = body.get("n", 1)
        if n not in (1, None):
            raise RequestError(400, "only n=1 is supported", param="n")
        params: dict[str, Any] = {k: body[k] for k in _FORWARD if body.get(k) is not None}
        mt = body.get("max_completion_tokens", body.get("max_tokens"))
        if mt is not None:
            params["max_tokens"] = mt
        params["timeout"] = self.timeout
        try:
            from ..models import validate_params

            params = validate_params(params)
        except RouterlabError as exc:
            raise RequestError(400, str(exc)) from None
        try:
            decision = self.decide(requested, clean, headers.get("x-routerlab-pii"))
        except RouterlabError as exc:
            raise RequestError(400, str(exc)) from None
        t_route = time.perf_counter() - t0
        info = {"requested": requested, "route_s": t_route}
        if self.policy.is_cascade and requested == "router":
            completion, decision = self._cascade(decision, clean, params, info)
        else:
            completion, decision = self._call(decision, clean, params, info)
        info["backend_s"] = completion.latency_s
        info["completion"] = completion
        response = {
            "id": f"chatcmpl-rl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": decision.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion.text},
                    "finish_reason": completion.finish_reason or "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": completion.tokens_in,
                "completion_tokens": completion.tokens_out,
                "total_tokens": completion.tokens_in + completion.tokens_out,
            },
            "routerlab": {
                "model": decision.model,
                "score": decision.score,
                "reason": decision.reason,
            },
        }
        return response, decision, info

    def _call(self, decision: Decision, messages, params, info) -> tuple[Any, Decision]:
        """Call the decided model; on a backend error, the policy's fallback (rules permitting)."""
        try:
            return self.backend(decision.model).complete(messages, **params), decision
        except (BackendError, PolicyError) as exc:
            fb = self.policy.fallback
            rule = self.policy.pii_rule
            allowed = not (decision.pii and rule) or fb in rule["allow"]
            if fb == decision.model or not allowed:
                raise RequestError(
                    502, f"backend {decision.model} failed: {exc}", "api_error", "backend_error"
                ) from None
            info["error"] = f"{decision.model}: {exc}"
            decision = Decision(
                fb,
                decision.score,
                f"{decision.reason}; fallback to {fb} after an error",
                decision.pii,
            )
            try:
                return self.backend(fb).complete(messages, **params), decision
            except (BackendError, PolicyError) as exc2:
                raise RequestError(
                    502, f"backend {fb} (fallback) failed: {exc2}", "api_error", "backend_error"
                ) from None

    def _verify(self, model_id: str, messages, completion) -> float:
        """A stage answer's verifier score in [0, 1], as the cascade was fitted: the confidence
        verifier maps the answer's mean token logprob with the router's own ``confidence_score``
        (exp(mean logprob)); the learned one scores the (prompt, answer) embeddings."""
        router = self.policy.router
        if self._verifier == "learned":
            prompt = text_of(messages)[0]
            return router.verifier_score_one(self._id_to_col[model_id], prompt, completion.text)
        conf = completion.confidence
        hook = getattr(router, "confidence_score", None)  # the router's own map
        if callable(hook):
            return float(np.asarray(hook(np.array([np.nan if conf is None else conf])))[0])
        return 0.0 if conf is None or not math.isfinite(conf) else min(max(conf, 0.0), 1.0)

    def _cascade(self, decision: Decision, messages, params, info) -> tuple[Any, Decision]:
        """Run the cascade live: accept a stage's answer when its verifier score clears the stage's
        threshold, else escalate. Tokens and cost of every stage tried are added up."""
        from dataclasses import replace as _replace

        stages = self.policy.cascade_stages(decision.pii)
        tried, spent_in, spent_out, cost, latency = [], 0, 0, 0.0, 0.0
        completion, score = None, None
        for mid, thr in stages:
            last = thr is None
            p = dict(params, logprobs=True) if not last else params
            try:
                completion = self.backend(mid).complete(messages, **p)
            except (BackendError, PolicyError) as exc:
                if last:
                    raise RequestError(
                        502, f"backend {mid} failed: {exc}", "api_error", "backend_error"
                    ) from None
                tried.append(f"{mid} (error)")
                info.setdefault("error", f"{mid}: {exc}")
                continue
            tried.append(mid)
            spent_in += completion.tokens_in
            spent_out += completion.tokens_out
            cost += completion.cost_usd
            latency += completion.latency_s
            if last:
                score = None
                break
            score = self._verify(mid, messages, completion)
            if score >= thr:
                break
        assert completion is not None
        info["stages"] = tried
        reason = f"cascade: {' -> '.join(tried)}"
        if score is not None:
            reason += f" ({self._verifier} {score:.3f} accepted)"
        total = _replace(
            completion, tokens_in=spent_in, tokens_out=spent_out, cost_usd=cost, latency_s=latency
        )
        return total, Decision(mid, score, reason, decision.pii)


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")


class _Handler(BaseHTTPRequestHandler):
    app: PolicyServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "routerlab"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the decision log replaces it
        pass

    def _send(self, status: int, body: dict, extra: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        head = [f"{self.protocol_version} {status} {self.responses.get(status, ('',))[0]}"]
        head += [
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            "Server: routerlab",
        ]
        for k, v in (extra or {}).items():
            head.append(f"{k}: {_ascii(str(v))}")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)

    def _sse(self, response: dict, extra: Mapping[str, str]) -> None:
        """Streaming clients get the whole answer as one chunk, then a final chunk and [DONE]."""
        base = {k: response[k] for k in ("id", "created", "model")} | {
            "object": "chat.completion.chunk"
        }
        choice = response["choices"][0]
        chunks = [
            base | {"choices": [{"index": 0, "delta": {"role": "assistant", "content": choice["message"]["content"]}, "finish_reason": None}]},
            base | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]},
        ]  # fmt: skip
        data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        raw = data.encode()
        head = [
            f"{self.protocol_version} 200 OK",
            "Content-Type: text/event-stream",
            f"Content-Length: {len(raw)}",
        ]
        head += [f"{k}: {_ascii(str(v))}" for k, v in extra.items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + raw)

    def _error(self, err: RequestError) -> None:
        self._send(err.status, err.body())

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/health", "/v1/health"):
            self._send(200, self.app.health())
        elif path in ("/v1/models", "/models"):
            self._send(200, self.app.models_list())
        else:
            self._error(
                RequestError(
                    404,
                    f"no route GET {path}: use /v1/chat/completions, /v1/models or /health",
                    code="not_found",
                )
            )

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0].rstrip("/")
        t0 = time.perf_counter()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > _MAX_BODY:
            self.close_connection = True
            self._error(
                RequestError(
                    413 if length > 0 else 411,
                    "a JSON body with a valid Content-Length is required",
                )
            )
            return
        raw = self.rfile.read(length) if length else b""
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._error(
                RequestError(
                    404, f"no route POST {path}: use /v1/chat/completions", code="not_found"
                )
            )
            return
        record: dict[str, Any] = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "path": path}
        try:
            try:
                body = json.loads(raw or b"null")
            except (ValueError, UnicodeDecodeError) as exc:
                raise RequestError(400, f"the request body is not valid JSON ({exc})") from None
            response, d, info = self.app.complete(body, self.headers)
        except RequestError as err:
            record.update(status=err.status, error=err.message, latency_s=time.perf_counter() - t0)
            self.app.write_log(record)
            self._error(err)
            return
        except Exception as exc:  # noqa: BLE001 - keep serving; report in OpenAI shape
            err = RequestError(500, f"internal error: {type(exc).__name__}: {exc}", "api_error")
            record.update(status=500, error=err.message, latency_s=time.perf_counter() - t0)
            self.app.write_log(record)
            self._error(err)
            return
        c = info["completion"]
        headers = {
            "x-routerlab-model": d.model,
            "x-routerlab-score": "" if d.score is None else f"{d.score:.6g}",
            "x-routerlab-reason": d.reason,
        }
        record.update(
            status=200,
            requested=info["requested"],
            model=d.model,
            score=d.score,
            reason=d.reason,
            pii=d.pii,
            latency_s=round(time.perf_counter() - t0, 6),
            route_s=round(info["route_s"], 6),
            backend_s=round(info["backend_s"], 6),
            tokens_in=c.tokens_in,
            tokens_out=c.tokens_out,
            cost_usd=c.cost_usd,
        )
        if "error" in info:
            record["fallback_error"] = info["error"]
        if "stages" in info:
            record["stages"] = info["stages"]
        if self.app.log_prompts:
            record["prompt"] = text_of(body["messages"])[0] if isinstance(body, dict) else None
        self.app.write_log(record)  # before the answer: a client that reads the log sees it
        if body.get("stream"):
            self._sse(response, headers)
        else:
            self._send(200, response, headers)
