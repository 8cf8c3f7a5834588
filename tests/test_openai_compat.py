"""The OpenAI-compatible backend against a real ``python -m llama_cpp.server`` on 127.0.0.1.

Error mapping for HTTP statuses the llama.cpp server never sends (401, 404, 429, 500) is tested
against a tiny real HTTP server in a thread.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from servers import free_port

from routerlab.cache import CallCache
from routerlab.errors import BackendError, RouterlabError
from routerlab.models import TransientBackendError, get_backend
from routerlab.models.openai_compat import DUMMY_KEY

pytestmark = pytest.mark.slow
SECRET = "sk-test-ROUTERLAB-SECRET-123"


def test_real_call_through_the_openai_client(llama_server):
    b = get_backend(llama_server.spec)
    assert b.kind == "openai" and b.is_chat and b.model == "smollm2-135m"
    assert b.price.tier == "local"  # a server on this machine costs $0 unless priced
    n = llama_server.request_count()
    c = b.complete("What is the capital of France?", max_tokens=8)
    assert llama_server.request_count() == n + 1
    assert c.text and 0 < c.tokens_out <= 8 and c.tokens_in > 5 and c.latency_s > 0
    assert c.finish_reason in ("stop", "length") and c.confidence is None
    priced = get_backend(llama_server.spec, price="frontier")
    p = priced.complete("What is the capital of France?", max_tokens=8)
    assert p.cost_usd == pytest.approx((p.tokens_in * 5 + p.tokens_out * 25) / 1e6)


def test_logprobs_give_a_confidence(llama_server):
    c = get_backend(llama_server.spec).complete("Say yes.", max_tokens=6, logprobs=True)
    assert isinstance(c.confidence, float) and c.confidence <= 0
    json.dumps(c.to_dict())  # JSON-safe (no numpy floats)


def test_cached_second_call_makes_no_request(llama_server, tmp_cache):
    b = get_backend(llama_server.spec)
    cache = CallCache(namespace="openai")
    first = cache.complete(b, "Name a planet.", max_tokens=8)
    n = llama_server.request_count()
    second = cache.complete(b, "Name a planet.", max_tokens=8)
    assert llama_server.request_count() == n
    assert second.cached and second.text == first.text and second.latency_s == first.latency_s
    # changing a parameter is another call
    cache.complete(b, "Name a planet.", max_tokens=9)
    assert llama_server.request_count() == n + 1


def test_api_key_never_reaches_the_cache(llama_server, tmp_cache, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_TEST_KEY", SECRET)
    b = get_backend(llama_server.spec, key_env="ROUTERLAB_TEST_KEY")
    assert b._api_key == SECRET  # it is used for the requests...
    cache = CallCache(namespace="secret")
    cache.complete(b, "Say hello.", max_tokens=4)
    cache.complete(b, "Say hello.", max_tokens=4, logprobs=True)
    cache.close()
    files = [p for p in tmp_cache.rglob("*") if p.is_file()]
    assert files
    needle = SECRET.encode()
    for p in files:  # ...but is in no byte of the cache folder
        data = p.read_bytes()
        assert needle not in data and SECRET[-10:].encode() not in data, p
    assert SECRET not in repr(b) + json.dumps(b.identity())


def test_unreachable_server_is_a_one_line_error():
    port = free_port()
    b = get_backend(f"openai:m@http://127.0.0.1:{port}/v1")
    with pytest.raises(
        TransientBackendError,
        match=rf"cannot reach http://127.0.0.1:{port}/v1: is the server running\?",
    ) as err:
        b.complete("hi", max_tokens=2)
    assert "\n" not in str(err.value)


def test_api_key_rules(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    # hosted OpenAI (the default URL) needs a key
    with pytest.raises(BackendError, match="no API key.*OPENAI_API_KEY"):
        get_backend("openai:gpt-4o-mini")
    # a remote host too
    with pytest.raises(BackendError, match="no API key"):
        get_backend("openai:m@https://llm.example.com/v1")
    # a server on this machine gets a dummy key
    assert get_backend("openai:m@http://localhost:8080/v1")._api_key == DUMMY_KEY
    # OPENAI_BASE_URL is respected; the key from OPENAI_API_KEY
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1234/v1")
    assert get_backend("openai:m").base_url == "http://127.0.0.1:1234/v1"
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert get_backend("openai:gpt-4o-mini@https://api.openai.com/v1")._api_key == SECRET
    with pytest.raises(RouterlabError, match="base URL"):
        get_backend("openai:m", base_url="ftp://x")


# ------------------------------------------------------------------- HTTP errors (tiny server)
class _Handler(BaseHTTPRequestHandler):
    status = 500
    calls = 0

    def do_POST(self):  # noqa: N802 - http.server API
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"error": {"message": f"status {self.status} from test", "type": "x"}})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def status_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "kind", "match"),
    [
        (
            401,
            BackendError,
            r"rejected the API key \(401\): check the environment variable OPENAI_API_KEY",
        ),
        (404, BackendError, r"model 'm' not found at .* \(404\)"),
        (400, BackendError, r"refused the request \(HTTP 400\): status 400 from test"),
        (429, TransientBackendError, r"rate limiting \(429\)"),
        (503, TransientBackendError, r"failed with HTTP 503"),
    ],
)
def test_http_errors_are_mapped(status_server, monkeypatch, status, kind, match):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    _Handler.status = status
    url = f"http://127.0.0.1:{status_server.server_address[1]}/v1"
    b = get_backend(f"openai:m@{url}")
    with pytest.raises(kind, match=match) as err:
        b.complete("hi", max_tokens=2)
    assert "\n" not in str(err.value) and SECRET not in str(err.value)
    assert (type(err.value) is TransientBackendError) == (kind is TransientBackendError)


def test_timeout_is_transient(monkeypatch):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)  # accepts connections but never answers
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        b = get_backend(f"openai:m@{url}", timeout=0.5)
        with pytest.raises(TransientBackendError, match="timed out after 0.5 s"):
            b.complete("hi", max_tokens=2)
    finally:
        sock.close()
