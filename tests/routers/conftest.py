"""Shared fixtures: a small synthetic outcome table and fast deterministic fake embeddings.

The fake encoder is used only for unit tests of routing logic; every embedding router also has a
test with the real encoder.
"""

from __future__ import annotations

import pytest
from router_data import auc, fake_embed, make_outcomes  # noqa: F401

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


@pytest.fixture(scope="session")
def bundled():
    """The bundled support-desk table split 70/30 (stratified): (train, test, strong, weak)."""
    from routerlab.workloads.bundled import load_support_desk

    try:
        o = load_support_desk()
    except Exception as exc:  # the recording is missing in a fresh checkout without the data
        pytest.skip(f"bundled support-desk outcomes unavailable: {exc}")
    train, test = o.train_test_split(0.3, seed=0)
    return train, test, "scenario:frontier", "smollm2-135m"
