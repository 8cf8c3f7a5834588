"""The call cache: every model call stored on disk (diskcache), so nothing is paid for twice.

The key is the sha256 of canonical JSON (sorted keys, no spaces) of the backend kind, the model
identity (GGUF file hash, or model name + base URL), the generation parameters (defaults filled
in) and the prompt or messages. API keys are never part of it. Values are the completions as
dicts of plain JSON values (str, int, float, bool, None; diskcache pickles them, which reads
about twice as fast as JSON text). A hit returns the stored :class:`~routerlab.completion.Completion` with
``cached=True``; its ``latency_s`` and ``cost_usd`` stay those of the real call, so stats can say
how many dollars and seconds the cache saved.

Calls with ``temperature > 0`` are cached only when they carry an explicit ``seed`` or a
``sample`` index (otherwise two calls should differ). Several processes may share one cache
directory; namespaces (one per experiment) can be cleared separately.

Examples
--------
>>> from routerlab.cache import CallCache                              # doctest: +SKIP
>>> from routerlab.models import get_backend                           # doctest: +SKIP
>>> cache = CallCache(namespace="demo")                                # doctest: +SKIP
>>> c = cache.complete(get_backend("gguf:smollm2-135m"), "Hi", max_tokens=8)  # doctest: +SKIP
>>> cache.complete(get_backend("gguf:smollm2-135m"), "Hi", max_tokens=8).cached  # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .completion import Completion
from .config import cache_dir
from .errors import RouterlabError
from .models.base import NOT_IN_KEY, Backend, Prompt, normalize_input, validate_params

#: Bump when the key recipe or the stored format changes (old entries are then ignored).
KEY_VERSION = 1


@dataclass(frozen=True)
class CacheStats:
    """What the cache did for this :class:`CallCache` object since it was created (or reset)."""

    hits: int = 0
    misses: int = 0
    uncacheable: int = 0
    usd_saved: float = 0.0
    seconds_saved: float = 0.0

    @property
    def hit_rate(self) -> float:
        n = self.hits + self.misses
        return self.hits / n if n else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "uncacheable": self.uncacheable,
            "usd_saved": self.usd_saved,
            "seconds_saved": self.seconds_saved,
            "hit_rate": self.hit_rate,
        }

    def __str__(self) -> str:
        return (
            f"{self.hits} hits, {self.misses} misses ({self.hit_rate:.0%} hit rate), "
            f"saved ${self.usd_saved:.4f} and {self.seconds_saved:.1f} s"
        )


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def call_key(backend: Backend, messages_or_prompt: Prompt, **params: Any) -> str | None:
    """The cache key of one call, or ``None`` when the call must not be cached.

    Not cached: backends with ``cacheable = False`` and sampling (``temperature > 0``) without an
    explicit ``seed`` or ``sample`` index.
    """
    p = validate_params(params)
    if not getattr(backend, "cacheable", True):
        return None
    if p["temperature"] > 0 and "seed" not in p and "sample" not in p:
        return None
    inp = normalize_input(messages_or_prompt, p.pop("system", None))
    payload = {
        "v": KEY_VERSION,
        "kind": backend.kind,
        "identity": backend.identity(),
        "params": {k: v for k, v in p.items() if k not in NOT_IN_KEY},
        "input": inp,
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


_MISSING = object()
_FIELDS = frozenset(Completion.__dataclass_fields__)


def _decode(raw: dict[str, Any] | str) -> Completion:
    """A stored entry back to a Completion with ``cached=True`` (fast path: a hit is hot)."""
    data = dict(raw) if isinstance(raw, dict) else json.loads(raw)  # str: first format
    data["cached"] = True
    if data.keys() == _FIELDS and not hasattr(Completion, "__slots__"):
        obj = object.__new__(Completion)  # skips the frozen dataclass __init__ (same fields)
        obj.__dict__.update(data)
        return obj
    return Completion.from_dict(data)


def _memo_key(messages_or_prompt: Any, params: dict[str, Any]) -> tuple | None:
    """A hashable summary of a call's input and params, or None if it has unhashable parts."""
    try:
        if isinstance(messages_or_prompt, str):
            inp: Any = messages_or_prompt
        else:
            inp = tuple(tuple(sorted(m.items())) for m in messages_or_prompt)
        items = tuple(
            sorted(
                (k, type(v).__name__, tuple(v) if isinstance(v, list) else v)
                for k, v in params.items()
            )
        )
        key = (inp, items)
        hash(key)
        return key
    except (TypeError, AttributeError):
        return None


class CallCache:
    """A disk cache of model calls, shared by threads and processes.

    Parameters
    ----------
    directory : path, optional
        Default ``cache_dir() / "calls"`` (``$ROUTERLAB_CACHE``, else ``~/.cache/routerlab``).
    namespace : str
        Each namespace (one per experiment) is its own cache and can be cleared alone.
    """

    def __init__(
        self,
        directory: str | os.PathLike | None = None,
        namespace: str = "default",
    ):
        import diskcache

        if not isinstance(namespace, str) or not namespace or ":" in namespace:
            raise RouterlabError(
                f"cache namespace must be a non-empty name without ':', got {namespace!r}"
            )
        self.directory = (
            Path(directory).expanduser() if directory is not None else cache_dir() / "calls"
        )
        self.namespace = namespace
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # No eviction: a cache entry is a paid-for answer; clear() removes them on purpose.
            self._cache = diskcache.Cache(
                str(self.directory), eviction_policy="none", size_limit=2**40, tag_index=True
            )
        except OSError as exc:
            raise RouterlabError(f"cannot open the call cache at {self.directory}: {exc}") from None
        self._lock = threading.Lock()
        self._memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.reset_stats()

    def __repr__(self) -> str:
        return f"CallCache({str(self.directory)!r}, namespace={self.namespace!r})"

    # -- keys and raw access -------------------------------------------------------------------
    def _full_key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    def key(self, backend: Backend, messages_or_prompt: Prompt, **params: Any) -> str | None:
        """The stored key of a call (``None`` if it is not cacheable).

        Keys of repeated calls are remembered per backend object (a hit then costs little more
        than the disk read); identities are fixed once a backend exists.
        """
        memo_key = _memo_key(messages_or_prompt, params)
        memo = None
        if memo_key is not None:
            try:
                memo = self._memo.get(backend)
                if memo is None:
                    memo = self._memo[backend] = {}
            except TypeError:  # backend not hashable or not weak-referenceable
                memo = None
            if memo is not None:
                found = memo.get(memo_key, _MISSING)
                if found is not _MISSING:
                    return found
        key = call_key(backend, messages_or_prompt, **params)
        full = None if key is None else self._full_key(key)
        if memo is not None:
            if len(memo) > 100_000:
                memo.clear()
            memo[memo_key] = full
        return full

    def get(self, key: str) -> Completion | None:
        """The stored completion for a key from :meth:`key` (``cached=True``), or None."""
        raw = self._cache.get(key)
        return None if raw is None else _decode(raw)

    def put(self, key: str, completion: Completion) -> None:
        """Store a completion (a dict of plain JSON values) under a key from :meth:`key`."""
        data = completion.to_dict()
        data["cached"] = False
        json.dumps(data)  # only JSON types are ever stored (no objects, no numpy scalars)
        self._cache.set(key, data, tag=self.namespace)

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def __len__(self) -> int:
        """Entries stored in the whole cache folder (all namespaces)."""
        return len(self._cache)

    def __bool__(self) -> bool:
        return True  # an empty cache is still a cache (`cache or default` must keep it)

    # -- the call --------------------------------------------------------------------------------
    def complete(self, backend: Backend, messages_or_prompt: Prompt, **params: Any) -> Completion:
        """A cached call: the stored answer if there is one, else call the backend and store it."""
        key = self.key(backend, messages_or_prompt, **params)
        if key is not None:
            hit = self.get(key)
            if hit is not None:
                if hit.model != backend.model:
                    hit = replace(hit, model=backend.model)
                with self._lock:
                    self._hits += 1
                    self._usd_saved += hit.cost_usd
                    self._seconds_saved += hit.latency_s
                return hit
        call_params = {k: v for k, v in params.items() if k != "sample"}
        completion = backend.complete(messages_or_prompt, **call_params)
        if key is not None:
            self.put(key, completion)
        with self._lock:
            if key is None:
                self._uncacheable += 1
            else:
                self._misses += 1
        return completion

    # -- housekeeping ---------------------------------------------------------------------------
    def stats(self) -> CacheStats:
        """Hits, misses, dollars and seconds saved by this object so far."""
        with self._lock:
            return CacheStats(
                self._hits, self._misses, self._uncacheable, self._usd_saved, self._seconds_saved
            )

    def reset_stats(self) -> None:
        with self._lock:
            self._hits = self._misses = self._uncacheable = 0
            self._usd_saved = self._seconds_saved = 0.0

    def count(self) -> int:
        """Number of entries stored under this namespace."""
        prefix = f"{self.namespace}:"
        return sum(1 for k in self._cache.iterkeys() if isinstance(k, str) and k.startswith(prefix))

    def clear(self, *, all_namespaces: bool = False) -> int:
        """Remove this namespace's entries (or every entry); returns how many were removed."""
        if all_namespaces:
            return self._cache.clear()
        return self._cache.evict(self.namespace)

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> CallCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_DEFAULT: dict[str, CallCache] = {}
_DEFAULT_LOCK = threading.Lock()


def default_cache(namespace: str = "default") -> CallCache:
    """The process-wide cache at ``cache_dir()/calls`` for this namespace (opened once)."""
    path = str(cache_dir() / "calls")
    with _DEFAULT_LOCK:
        key = f"{path}|{namespace}"
        if key not in _DEFAULT:
            _DEFAULT[key] = CallCache(path, namespace)
        return _DEFAULT[key]


def cached_complete(
    backend: Backend | str,
    messages_or_prompt: Prompt,
    cache: CallCache | None = None,
    **params: Any,
) -> Completion:
    """Call a backend (or spec string) through a cache (default: :func:`default_cache`)."""
    if isinstance(backend, str):
        from .models import get_backend

        backend = get_backend(backend)
    return (cache if cache is not None else default_cache()).complete(
        backend, messages_or_prompt, **params
    )
