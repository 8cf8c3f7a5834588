"""Real local servers for tests: ``python -m llama_cpp.server`` on 127.0.0.1 at a free port.

:class:`LlamaServer` serves the bundled SmolLM2 GGUF through the OpenAI-compatible API and counts
the requests it received by reading uvicorn's access log (written to a file), so a test can
assert that a cached call made no request. ``stop()`` and ``start()`` simulate an outage; the
port stays the same, so clients keep their base URL.

Usage (see the ``llama_server`` fixture in ``conftest.py``)::

    def test_something(llama_server):
        backend = get_backend(llama_server.spec)        # openai:smollm2-135m@http://127.0.0.1:PORT/v1
        n = llama_server.request_count()
        backend.complete("hi", max_tokens=8)
        assert llama_server.request_count() == n + 1
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smollm2_gguf() -> Path:
    from routerlab.models.gguf import smollm2_path

    return smollm2_path()


class LlamaServer:
    """A ``llama_cpp.server`` subprocess serving one GGUF file on 127.0.0.1.

    Parameters
    ----------
    model_path : path, optional
        Default: the bundled SmolLM2-135M-Instruct GGUF.
    alias : str
        The model name clients use (``model`` in requests).
    port : int, optional
        Default: a free port.
    log_path : path, optional
        Where the server's stdout/stderr (incl. the access log) go; default a temp file.
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        *,
        alias: str = "smollm2-135m",
        port: int | None = None,
        log_path: str | os.PathLike | None = None,
        n_ctx: int = 2048,
        threads: int | None = None,
        extra_args: tuple[str, ...] = (),
    ):
        self.model_path = Path(model_path) if model_path else smollm2_gguf()
        self.alias = alias
        self.port = port or free_port()
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
            os.close(fd)
            log_path = name
        self.log_path = Path(log_path)
        self.n_ctx = n_ctx
        if threads is None:
            from routerlab.models.gguf import default_threads

            threads = default_threads()
        self.threads = threads
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def spec(self) -> str:
        """The routerlab model spec of this server: ``openai:ALIAS@BASE_URL``."""
        return f"openai:{self.alias}@{self.base_url}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 60.0) -> LlamaServer:
        """Start the server (if not running) and wait until it answers ``GET /v1/models``."""
        if self.running:
            return self
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            *self.extra_args,
        ]  # fmt: skip
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama_cpp.server not ready after {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait until the port is closed."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def requests(self, path: str | None = None, method: str = "POST") -> list[tuple[str, str, int]]:
        """Access-log entries ``(method, path, status)`` so far, optionally for one path."""
        if not self.log_path.exists():
            return []
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            m = _ACCESS.search(line)
            if m and m["method"] == method and (path is None or m["path"] == path):
                out.append((m["method"], m["path"], int(m["status"])))
        return out

    def request_count(self, path: str = "/v1/chat/completions") -> int:
        """How many requests to ``path`` the server answered (all runs of this object)."""
        time.sleep(0.05)  # the access line is written as the response starts
        return len(self.requests(path))

    def log_tail(self, n: int = 15) -> str:
        if not self.log_path.exists():
            return ""
        return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
