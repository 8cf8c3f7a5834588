"""Shared fixtures: a small synthetic outcome table and fast deterministic fake embeddings.

The fake encoder is used only for unit tests of routing logic; every embedding router also has a
test with the real encoder.
"""

from __future__ import annotations

import pytest
from router_data import fake_embed, make_outcomes

from routerlab.outcomes import Outcomes
from routerlab.routers import base


@pytest.fixture
def fake_embeddings(monkeypatch):
    monkeypatch.setattr(base, "_embed_texts", fake_embed)
    return fake_embed


@pytest.fixture
def outcomes() -> Outcomes:
    return make_outcomes()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path / "cache"))
