"""Shared pytest fixtures.

- ``tmp_cache``: points ``ROUTERLAB_CACHE`` at a fresh temp folder for one test and returns it.
- ``llama_server``: one real ``python -m llama_cpp.server`` (bundled SmolLM2 GGUF, 127.0.0.1, a
  free port) for the whole session; see :class:`tests.servers.LlamaServer` (``spec``,
  ``base_url``, ``request_count()``, ``stop()``/``start()``). Session-scoped: a test that stops
  it must start it again (``try/finally``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `from servers import LlamaServer`

from servers import LlamaServer  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    """Keep every test away from ~/.cache: a session-wide temporary ROUTERLAB_CACHE."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ROUTERLAB_CACHE", str(tmp_path_factory.mktemp("routerlab-cache")))
    yield
    mp.undo()


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty ROUTERLAB_CACHE for one test."""
    path = tmp_path / "cache"
    path.mkdir()
    monkeypatch.setenv("ROUTERLAB_CACHE", str(path))
    return path


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> LlamaServer:
    """A running llama_cpp.server for the session (bundled SmolLM2, 127.0.0.1, free port)."""
    server = LlamaServer(log_path=tmp_path_factory.mktemp("llama-server") / "server.log")
    server.start()
    yield server
    server.stop()
