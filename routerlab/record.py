"""Record real outcomes: run a workload through models (cached), grade every answer, save the table.

:func:`record` sends every query of a workload to each model through the cached batch runner
(:func:`routerlab.runner.run_batch`), grades each answer with the query's own grader and writes the
generic long format, one JSON line per (query, model)::

    {"query_id", "prompt", "category", "difficulty", "contains_pii", "stakes", "model", "quality",
     "cost_usd", "latency_s", "tokens_in", "tokens_out", "response", "confidence", "error"}

It is resumable: finished calls are in the call cache, so running the same command again after an
interruption only makes the missing calls. A call that failed (server down, timeout) has
``quality`` 0 and its ``error`` set; run again to retry it.

How models are prompted:

- chat models get the query as chat messages after a short system prompt (:data:`SYSTEM_PROMPT`);
- completion-only models (``gemma3-270m``) get the prompt string, which the backend wraps in its
  few-shot template; the answer is the first non-empty line (leading blank lines are skipped);
- greedy decoding (``temperature=0``), ``max_tokens`` 48 for chat and 32 for completion models by
  default; local chat GGUF models also report ``confidence`` (mean token log-probability, cheap
  for them).

:func:`read_recording` reads such a file back into an :class:`~routerlab.outcomes.Outcomes` aligned
with the workload, and checks that every query x model is present.

Examples
--------
>>> from routerlab.record import record                                          # doctest: +SKIP
>>> out = record("support-desk", ["gguf:smollm2-135m"], out="smollm2.jsonl")     # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import RouterlabError
from .outcomes import Outcomes
from .workloads.workload import Workload, load_workload

#: The system prompt of chat models when recording.
SYSTEM_PROMPT = "You are a support-desk assistant. Reply with the answer only, no explanation."
#: Default ``max_tokens`` for chat and for completion-only models.
MAX_TOKENS_CHAT = 48
MAX_TOKENS_COMPLETION = 32
#: Columns of the long format written by :func:`record`, in order.
LONG_COLUMNS = (
    "query_id",
    "prompt",
    "category",
    "difficulty",
    "contains_pii",
    "stakes",
    "model",
    "quality",
    "cost_usd",
    "latency_s",
    "tokens_in",
    "tokens_out",
    "response",
    "confidence",
    "error",
)


def _workload(workload: Workload | str | os.PathLike) -> Workload:
    return workload if isinstance(workload, Workload) else load_workload(workload)


def default_out(workload: Workload | str | os.PathLike) -> Path:
    """Where :func:`record` writes when no path is given.

    A bundled workload name (``support-desk``) writes the *cloud* recording that
    :func:`routerlab.workloads.bundled.load_support_desk` picks up; a workload file ``x.jsonl``
    writes ``x.outcomes.jsonl`` beside it.
    """
    from .workloads.bundled import WORKLOADS, cloud_outcomes_path

    if isinstance(workload, str) and workload in WORKLOADS and not Path(workload).exists():
        return cloud_outcomes_path(workload)
    if isinstance(workload, Workload):
        if workload.name in WORKLOADS:
            return cloud_outcomes_path(workload.name)
        return Path(f"{workload.name}.outcomes.jsonl")
    p = Path(workload)
    return p.with_name(p.stem + ".outcomes.jsonl")


def _jsonable(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if not math.isfinite(f) else f
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def record(
    workload: Workload | str | os.PathLike,
    models: Sequence[Any] | str,
    *,
    out: str | os.PathLike | None = None,
    max_tokens: int | None = None,
    concurrency: int = 4,
    cache=None,
    namespace: str = "default",
    system: str | None = SYSTEM_PROMPT,
    logprobs: bool | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> Outcomes:
    """Run, grade and save the outcomes of ``models`` on ``workload``.

    Parameters
    ----------
    workload : Workload, bundled name or path
    models : spec strings / aliases / backends (or one comma-separated string)
    out : path, optional
        The JSONL file to write (default :func:`default_out`). Rows of *other* models already in the
        file are kept, so models can be recorded one at a time into one file. ``out=False``-like
        empty string is not allowed; pass ``None`` for the default.
    max_tokens : int, optional
        Default 48 for chat models, 32 for completion-only models.
    concurrency : int
        Calls in flight for remote models.
    cache : CallCache, optional
        Default: the call cache of ``namespace``.
    system : str or None
        System prompt for chat models.
    logprobs : bool, optional
        Ask for ``confidence``; default: only for local chat GGUF models (where it is cheap).
    limit : int, optional
        Record only the first ``limit`` queries (a quick trial).

    Returns
    -------
    Outcomes
        The recorded models on the (possibly limited) workload.
    """
    from .models import get_backend
    from .runner import run_batch

    w = _workload(workload)
    if limit is not None:
        if limit < 1:
            raise RouterlabError(f"limit must be >= 1, got {limit}")
        w = w.head(limit)
    if isinstance(models, str):
        models = [m for m in (s.strip() for s in models.split(",")) if m]
    if not models:
        raise RouterlabError("name at least one model, e.g. --models gguf:smollm2-135m")
    backends = [get_backend(m) for m in models]
    names = [b.model for b in backends]
    if len(set(names)) != len(names):
        raise RouterlabError(f"two models share the name {names}: give them distinct aliases")
    path = Path(out) if out is not None else default_out(workload)

    rows: list[dict[str, Any]] = []
    qcols = [(q.query_id, q.prompt, q.category, q.difficulty, q.contains_pii, q.stakes) for q in w]
    for b in backends:
        chat = bool(getattr(b, "is_chat", True))
        params: dict[str, Any] = {
            "max_tokens": int(max_tokens or (MAX_TOKENS_CHAT if chat else MAX_TOKENS_COMPLETION)),
            "temperature": 0.0,
        }
        want_lp = logprobs if logprobs is not None else (b.kind == "gguf" and chat)
        if want_lp:
            params["logprobs"] = True
        inputs = [q.chat(system) if chat else q.prompt for q in w]
        res = run_batch(
            [b],
            inputs,
            ids=w.ids,
            params=params,
            cache=cache,
            namespace=namespace,
            concurrency=concurrency,
            progress=progress,
            desc=f"record {b.model}",
        )
        df = res.df.sort_values("item")
        for (qid, prompt, cat, diff, pii, stakes), q, r in zip(
            qcols, w, df.itertuples(index=False), strict=True
        ):
            err = r.error if isinstance(r.error, str) else None
            text = None if err else (r.text or "")
            rows.append(
                {
                    "query_id": qid,
                    "prompt": prompt,
                    "category": cat,
                    "difficulty": int(diff),
                    "contains_pii": bool(pii),
                    "stakes": float(stakes),
                    "model": b.model,
                    "quality": 0.0 if err else float(q.grade(text)),
                    "cost_usd": _jsonable(r.cost_usd),
                    "latency_s": _jsonable(r.latency_s),
                    "tokens_in": _jsonable(r.tokens_in),
                    "tokens_out": _jsonable(r.tokens_out),
                    "response": text,
                    "confidence": _jsonable(r.confidence),
                    "error": err,
                }
            )
    _write(path, rows, keep_other_models=True, recorded=set(names))
    return read_recording(path, w, name=w.name, models=names)


def _write(path: Path, rows: list[dict], keep_other_models: bool, recorded: set[str]) -> None:
    old: list[dict] = []
    if keep_other_models and path.exists():
        old = [r for r in _read_rows(path) if r.get("model") not in recorded]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for r in old + rows:
            f.write(json.dumps({k: r.get(k) for k in LONG_COLUMNS}, ensure_ascii=False) + "\n")
    tmp.replace(path)


def _read_rows(path: Path) -> list[dict]:
    if not path.exists():
        raise RouterlabError(f"outcomes file not found: {path}")
    if path.suffix.lower() in (".csv", ".parquet"):
        import pandas as pd

        df = pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
        return df.to_dict(orient="records")
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise RouterlabError(f"{path}: line {i} is not valid JSON") from None
    return rows


def read_recording(
    path: str | os.PathLike,
    workload: Workload | str | os.PathLike,
    name: str | None = None,
    models: Sequence[str] | None = None,
) -> Outcomes:
    """A recorded long-format file as an :class:`Outcomes` aligned with ``workload``.

    Every (query of the workload) x (model in the file, or in ``models``) must be present once;
    queries of the file that the workload lacks are an error (the file was recorded for another
    workload). The query metadata (reference, grader...) comes from the workload.
    """
    path = Path(path)
    w = _workload(workload)
    rows = _read_rows(path)
    if not rows:
        raise RouterlabError(f"{path} holds no outcome rows")
    missing_cols = {"query_id", "model", "quality"} - set(rows[0])
    if missing_cols:
        raise RouterlabError(f"{path}: missing column(s) {sorted(missing_cols)}")
    index = {qid: i for i, qid in enumerate(w.ids)}
    file_models = list(dict.fromkeys(str(r["model"]) for r in rows))
    names = list(models) if models is not None else file_models
    unknown = [m for m in names if m not in file_models]
    if unknown:
        raise RouterlabError(f"{path} has no rows for model(s) {unknown}; it has {file_models}")
    col = {m: j for j, m in enumerate(names)}
    shape = (len(w), len(names))
    arrays = {
        k: np.full(shape, np.nan)
        for k in ("quality", "cost", "latency", "tokens_in", "tokens_out", "confidence")
    }
    responses = np.full(shape, None, dtype=object)
    seen = np.zeros(shape, dtype=bool)
    src = {
        "quality": "quality",
        "cost": "cost_usd",
        "latency": "latency_s",
        "tokens_in": "tokens_in",
        "tokens_out": "tokens_out",
        "confidence": "confidence",
    }
    for r in rows:
        m = str(r["model"])
        if m not in col:
            continue
        qid = str(r["query_id"])
        if qid not in index:
            raise RouterlabError(
                f"{path}: query {qid!r} is not in workload {w.name!r}: the file was recorded for "
                "another workload"
            )
        i, j = index[qid], col[m]
        if seen[i, j]:
            raise RouterlabError(f"{path}: two rows for query {qid!r} and model {m!r}")
        seen[i, j] = True
        for k, s in src.items():
            v = r.get(s)
            arrays[k][i, j] = np.nan if v is None or v == "" else float(v)
        resp = r.get("response")
        responses[i, j] = (
            None if resp is None or (isinstance(resp, float) and math.isnan(resp)) else str(resp)
        )
    if not seen.all():
        j = int(np.flatnonzero(~seen.all(axis=0))[0])
        n_missing = int((~seen[:, j]).sum())
        raise RouterlabError(
            f"{path} lacks {n_missing} of {len(w)} queries for model {names[j]!r}: run "
            "`routerlab record` again to complete it"
        )
    return Outcomes.from_arrays(
        w.to_frame(),
        names,
        responses=responses,
        name=name or w.name,
        meta={"recording": str(path)},
        **arrays,
    )
