"""Load outcome tables from the public routing datasets, a user's own logs, or the bundled samples.

One entry point, :func:`load_outcomes`, reads every shape the kit knows:

* **RouteLLM wide CSV** -- a ``prompt`` column plus one True/False column per model (optional
  ``<model>_response`` columns), e.g. RouteLLM's ``gsm8k_responses.csv``; or a *folder* of
  ``mmlu_<subject>.csv`` files (category = subject), as in RouteLLM's ``evals/mmlu/responses``.
* **generic long format** (JSONL, CSV or parquet) -- one row per (query, model): ``prompt``,
  ``model``, ``quality`` and optionally ``query_id``, ``category``, ``cost_usd``, ``latency_s``,
  ``tokens_in``, ``tokens_out``, ``response``, ``confidence``, ``simulated`` plus any per-query
  metadata. This is exactly what :meth:`Outcomes.to_long` writes.
* **RouteLLM MT-Bench judgements** (``judgements.jsonl``: ``question_id``, ``model``, ``score``
  1..10 per turn); the turn scores are averaged and mapped to [0, 1].
* **RouterBench pickles** (wide: ``sample_id``, ``prompt``, ``eval_name``, one performance column
  per model, ``<model>|model_response``, ``<model>|total_cost``; or the long variant with
  ``model_name``, ``performance``, ``cost``). Category = ``eval_name``.
* **bundled names** such as ``support-desk`` (see :mod:`routerlab.workloads.bundled`).

:func:`download` fetches the public RouteLLM and RouterBench files for users who are online and
keeps them under ``cache_dir()/datasets``.

Examples
--------
>>> o = load_outcomes("../shared/data/routellm-mmlu")            # doctest: +SKIP
>>> o.summary()["quality"].round(3).tolist()                       # doctest: +SKIP
[0.681, 0.806]
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .config import cache_dir
from .errors import RouterlabError
from .outcomes import Outcomes

#: The values of ``format=``.
FORMATS = ("auto", "routellm", "long", "mtbench", "routerbench", "bundled")

#: Long-format columns that vary per (query, model); every other column is query metadata.
PER_MODEL = {
    "model": None,
    "quality": "quality",
    "cost_usd": "cost",
    "latency_s": "latency",
    "tokens_in": "tokens_in",
    "tokens_out": "tokens_out",
    "confidence": "confidence",
}
_PER_MODEL_OTHER = ("response", "simulated")

#: Query metadata columns that are never model columns in a wide table.
_META = {"query_id", "prompt", "category", "difficulty", "contains_pii", "stakes", "reference"}

_TRUE = {"true", "1", "1.0", "yes"}
_FALSE = {"false", "0", "0.0", "no"}

_TABLE_SUFFIXES = {".csv", ".jsonl", ".json", ".parquet", ".pq"}
_PICKLE_SUFFIXES = {".pkl", ".pickle"}


# ---------------------------------------------------------------------------------- entry point
def load_outcomes(
    path_or_name: str | os.PathLike,
    format: str = "auto",
    *,
    exclude: str | os.PathLike | Iterable[str] | None = None,
    rescale: tuple[float, float] | None = None,
    prices: dict[str, tuple[float, float]] | None = None,
) -> Outcomes:
    """Read an outcome table from a file, a folder, or a bundled sample name.

    Parameters
    ----------
    path_or_name : str or path
        A file (``.csv``, ``.jsonl``, ``.parquet``, ``.pkl``), a folder of RouteLLM subject CSVs,
        or a bundled sample name (``support-desk``...).
    format : {"auto", "routellm", "long", "mtbench", "routerbench", "bundled"}
        ``auto`` decides from the path and the columns.
    exclude : path or list of str, optional
        Prompts to drop, e.g. RouteLLM's ``contaminated_prompts.jsonl`` (its ``eval_prompt``
        field; a ``prompt`` field or a plain list of strings also works). Nothing is dropped
        unless you ask.
    rescale : (low, high), optional
        Map graded scores linearly from ``low..high`` to ``0..1``, e.g. ``rescale=(1, 10)`` for
        1-10 judge scores (1 -> 0.0, 10 -> 1.0). Without it, quality must already lie in [0, 1].
    prices : dict, optional
        ``{model: (usd_per_million_input_tokens, usd_per_million_output_tokens)}``: fills cost
        from tokens where the source has none (:meth:`Outcomes.fill_costs`).

    Returns
    -------
    Outcomes

    Notes
    -----
    RouterBench ships Python pickles, and **loading a pickle can execute arbitrary code**. A
    pickle is only ever read from a path you name yourself; never load one you do not trust.

    Examples
    --------
    >>> o = load_outcomes("judged.jsonl", rescale=(1, 10))           # doctest: +SKIP
    """
    if format not in FORMATS:
        raise RouterlabError(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    if rescale is not None and not float(rescale[1]) > float(rescale[0]):
        # checked here too: some formats (the bundled samples) never rescale
        raise RouterlabError(f"rescale must be (low, high) with high > low, got {tuple(rescale)}")
    out = _load(path_or_name, format, rescale)
    if exclude is not None:
        out = _exclude(out, exclude)
    if prices:
        out = out.fill_costs(prices)
    return out


def _load(path_or_name, format: str, rescale) -> Outcomes:
    spec = os.fspath(path_or_name)
    path = Path(spec).expanduser()
    if format == "bundled" or (format == "auto" and not path.exists() and _is_bundled(spec)):
        return _load_bundled(spec)
    if not path.exists():
        names = _bundled_names()
        hint = f"; bundled samples: {', '.join(names)}" if names else ""
        raise RouterlabError(f"file not found: {spec}{hint}")
    if path.is_dir():
        if format not in ("auto", "routellm"):
            raise RouterlabError(
                f"{spec} is a folder: only format='routellm' (a folder of mmlu_<subject>.csv) "
                "reads folders"
            )
        return _load_routellm_folder(path, rescale)
    suffix = path.suffix.lower()
    if format == "routerbench" or (format == "auto" and suffix in _PICKLE_SUFFIXES):
        return _load_routerbench(path, rescale)
    if suffix not in _TABLE_SUFFIXES:
        raise RouterlabError(
            f"unknown format for {path.name}: expected .csv, .jsonl, .parquet or .pkl, "
            "or pass format=..."
        )
    df = _read_table(path)
    kind = format if format != "auto" else _detect(df, path)
    stem = path.stem
    if kind == "long":
        return from_long(df, rescale=rescale, name=stem)
    if kind == "mtbench":
        return _from_mtbench(df, rescale=rescale or (1, 10), name=stem)
    if kind == "routerbench":
        return _from_routerbench_frame(df, rescale=rescale, name=stem)
    return _from_wide(df, rescale=rescale, name=stem)


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            # text columns stay text, exactly as written ("NA", "001" and "1" are not numbers)
            header = pd.read_csv(path, nrows=0).columns
            text = {c: str for c in header if _is_text_column(str(c))}
            df = pd.read_csv(path, converters=text)
            for c in text:
                if _is_response_column(str(c)):
                    df[c] = df[c].mask(df[c] == "", None)
            return df
        if suffix in (".jsonl", ".json"):
            try:
                return pd.read_json(path, lines=True, dtype=False)
            except ValueError:
                return pd.read_json(path, dtype=False)
        return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RouterlabError(f"cannot read {path.name}: {first}") from None


def _is_response_column(c: str) -> bool:
    return c == "response" or c.endswith("_response") or c.endswith("|model_response")


def _is_text_column(c: str) -> bool:
    return c in ("prompt", "query_id", "category", "reference") or _is_response_column(c)


def _detect(df: pd.DataFrame, path: Path) -> str:
    cols = set(df.columns)
    if {"model", "quality"} <= cols:
        return "long"
    if {"question_id", "model", "score"} <= cols:
        return "mtbench"
    if {"model_name", "performance"} <= cols or any("|" in str(c) for c in cols):
        return "routerbench"
    if "prompt" in cols:
        return "routellm"
    raise RouterlabError(
        f"cannot tell the format of {path.name}: expected long rows (prompt, model, quality) "
        "or a wide table (prompt + one True/False column per model)"
    )


# ---------------------------------------------------------------------------------- quality
def _to_quality(values, rescale, what: str) -> np.ndarray:
    """Booleans, 'True'/'False' strings or numbers -> float array, rescaled and range-checked."""
    s = pd.Series(values)
    if s.dtype == bool:
        q = s.to_numpy(dtype=float)
    elif s.dtype == object or pd.api.types.is_string_dtype(s):
        low = s.map(lambda v: str(v).strip().lower() if isinstance(v, str) else v)
        low = low.map(lambda v: 1.0 if v in _TRUE else 0.0 if v in _FALSE else v)
        q = pd.to_numeric(low, errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(q) & s.notna().to_numpy() & (s.astype(str).str.strip() != "")
        if bad.any():
            raise RouterlabError(
                f"{what}: quality {s[bad].iloc[0]!r} is not a number or True/False"
            )
    else:
        q = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    if rescale is not None:
        lo, hi = (float(x) for x in rescale)
        if not hi > lo:
            raise RouterlabError(f"rescale must be (low, high) with high > low, got {rescale}")
        q = (q - lo) / (hi - lo)
        fin = q[np.isfinite(q)]
        if fin.size and (fin.min() < -1e-9 or fin.max() > 1 + 1e-9):
            raise RouterlabError(
                f"{what}: scores outside the rescale range {lo:g}..{hi:g} "
                f"(found {fin.min() * (hi - lo) + lo:g}..{fin.max() * (hi - lo) + lo:g})"
            )
        return np.clip(q, 0.0, 1.0)
    fin = q[np.isfinite(q)]
    if fin.size and (fin.min() < 0 or fin.max() > 1):
        raise RouterlabError(
            f"{what}: quality must lie in [0, 1] (found {fin.min():g}..{fin.max():g}); "
            f"pass rescale=(low, high), e.g. rescale=(1, 10) for 1-10 judge scores"
        )
    return q


def _texts(col: pd.Series) -> np.ndarray:
    """Response texts as an object array of str, None where missing."""
    missing = pd.isna(col).to_numpy()
    out = col.astype(str).to_numpy(dtype=object)
    out[missing] = None
    return out


def _is_boolish(s: pd.Series) -> bool:
    if s.dtype == bool:
        return True
    v = s.dropna()
    if v.empty:
        return False
    if v.dtype == object or pd.api.types.is_string_dtype(v):
        return bool(v.astype(str).str.strip().str.lower().isin(_TRUE | _FALSE).all())
    if pd.api.types.is_numeric_dtype(v):
        return bool(v.isin([0, 1]).all())
    return False


# ---------------------------------------------------------------------------------- RouteLLM wide
def _from_wide(
    df: pd.DataFrame, *, rescale=None, name: str = "outcomes", query_ids=None, category=None
) -> Outcomes:
    if "prompt" not in df.columns:
        raise RouterlabError(f"{name}: a wide table needs a 'prompt' column")
    response_cols = {c for c in df.columns if str(c).endswith("_response")}
    models = [
        c for c in df.columns if c not in _META and c not in response_cols and _is_boolish(df[c])
    ]
    if not models:
        raise RouterlabError(
            f"{name}: no model columns found (expected one True/False column per model "
            "beside 'prompt')"
        )
    queries = df[[c for c in df.columns if c not in models and c not in response_cols]].copy()
    if query_ids is not None:
        queries["query_id"] = query_ids
    if category is not None:
        queries["category"] = category
    quality = np.column_stack([_to_quality(df[m], rescale, f"{name}:{m}") for m in models])
    responses = None
    if any(f"{m}_response" in response_cols for m in models):
        responses = np.full(quality.shape, None, dtype=object)
        for j, m in enumerate(models):
            if f"{m}_response" in df.columns:
                responses[:, j] = _texts(df[f"{m}_response"])
    return Outcomes.from_arrays(
        queries,
        models,
        quality=quality,
        responses=responses,
        name=name,
        meta={"source": "routellm"},
    )


def _load_routellm_folder(folder: Path, rescale) -> Outcomes:
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise RouterlabError(f"no .csv files in folder {folder} (expected mmlu_<subject>.csv)")
    frames, models = [], None
    for f in files:
        df = _read_table(f)
        subject = f.stem[len("mmlu_") :] if f.stem.startswith("mmlu_") else f.stem
        if "prompt" not in df.columns:
            raise RouterlabError(f"{f.name}: a wide table needs a 'prompt' column")
        cols = [c for c in df.columns if c not in _META and not str(c).endswith("_response")]
        if models is None:
            models = cols
        elif cols != models:
            raise RouterlabError(
                f"{f.name} has model columns {cols}, but earlier files have {models}: "
                "every file in the folder must have the same models"
            )
        if "query_id" not in df.columns:
            df.insert(0, "query_id", [f"{subject}/{i}" for i in range(len(df))])
        if "category" not in df.columns:
            df["category"] = subject
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    out = _from_wide(df, rescale=rescale, name=folder.name)
    return out


# ---------------------------------------------------------------------------------- long format
def from_long(
    df: pd.DataFrame, *, rescale=None, name: str = "outcomes", meta: dict | None = None
) -> Outcomes:
    """Build an :class:`Outcomes` from long rows: one row per (query, model).

    Rows sharing a ``query_id`` (else the same ``prompt``) form one query; queries and models
    keep the order of their first appearance; a (query, model) pair with no row is ``nan``.
    """
    missing = [c for c in ("prompt", "model", "quality") if c not in df.columns]
    if "prompt" in missing and "query_id" in df.columns:
        missing.remove("prompt")
    if missing:
        raise RouterlabError(
            f"{name}: long rows need columns prompt, model and quality; missing {missing}"
        )
    if df.empty:
        raise RouterlabError(f"{name}: the table has no rows")
    df = df.reset_index(drop=True)
    if df["model"].isna().any():
        raise RouterlabError(f"{name}: row {int(df['model'].isna().idxmax())} has no model")
    use_id = "query_id" in df.columns and df["query_id"].notna().all()
    key = df["query_id"].astype(str) if use_id else df["prompt"].astype(str)
    if "prompt" not in df.columns:
        df = df.assign(prompt=key)
    qi, qkeys = pd.factorize(key, sort=False)
    mi, models = pd.factorize(df["model"].astype(str), sort=False)
    n, m = len(qkeys), len(models)

    # same (query, model) twice?
    flat = qi * m + mi
    dup = pd.Series(flat).duplicated(keep=False).to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        rows = df.loc[flat == flat[first]]
        qs = rows["quality"].astype(str).unique()
        what = "inconsistent rows" if len(qs) > 1 else "duplicate rows"
        detail = f" with different quality ({', '.join(qs[:3])})" if len(qs) > 1 else ""
        raise RouterlabError(
            f"{name}: {what}: query {qkeys[qi[first]]!r} x model {models[mi[first]]!r} appears "
            f"{len(rows)} times{detail}; keep one row per (query, model)"
        )
    # one prompt per query
    if use_id and "prompt" in df.columns:
        nprompts = df.groupby(qi)["prompt"].nunique(dropna=False)
        if (nprompts > 1).any():
            bad = qkeys[int(nprompts.index[np.argmax(nprompts.to_numpy() > 1)])]
            raise RouterlabError(
                f"{name}: inconsistent rows: query_id {bad!r} has different prompts; "
                "give each query one prompt or distinct ids"
            )

    def grid(col, fill=np.nan, dtype=float):
        a = np.full((n, m), fill, dtype=dtype)
        a[qi, mi] = col
        return a

    quality = grid(_to_quality(df["quality"], rescale, name))
    arrays = {}
    for col, arr_name in PER_MODEL.items():
        if arr_name and arr_name != "quality" and col in df.columns:
            vals = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
            arrays[arr_name] = grid(vals)
    responses = None
    if "response" in df.columns:
        responses = grid(_texts(df["response"]), None, object)
    simulated = ()
    if "simulated" in df.columns:
        sim = df["simulated"].map(lambda v: str(v).strip().lower() in _TRUE)
        simulated = tuple(models[np.unique(mi[sim.to_numpy()])])
    # metadata: the first row of each query
    drop = set(PER_MODEL) | set(_PER_MODEL_OTHER)
    qcols = [c for c in df.columns if c not in drop]
    first_rows = np.unique(qi, return_index=True)[1]
    queries = df.loc[first_rows, qcols].reset_index(drop=True)
    if not use_id:
        queries = queries.drop(columns=["query_id"], errors="ignore")
    return Outcomes.from_arrays(
        queries,
        list(models),
        quality=quality,
        responses=responses,
        simulated=simulated,
        name=name,
        meta=meta or {"source": "long"},
        **arrays,
    )


# ---------------------------------------------------------------------------------- MT-Bench
def _from_mtbench(df: pd.DataFrame, *, rescale, name: str) -> Outcomes:
    """RouteLLM's MT-Bench judgements: mean judge score over turns per (question, model)."""
    df = df[pd.to_numeric(df["score"], errors="coerce") >= 0]  # -1 marks a failed judgement
    if df.empty:
        raise RouterlabError(f"{name}: no usable judgements (all scores missing or negative)")
    g = df.groupby(["question_id", "model"], sort=False)
    long = g["score"].mean().reset_index().rename(columns={"score": "quality"})
    prompts = {}
    if "user_prompt" in df.columns:
        first = df["turn"] == 1 if "turn" in df.columns else np.ones(len(df), dtype=bool)
        for qid, up in df.loc[first, ["question_id", "user_prompt"]].values:
            prompts.setdefault(qid, _mtbench_question(str(up)))
    long["query_id"] = long["question_id"].astype(str)
    long["prompt"] = [prompts.get(q) or f"MT-Bench question {q}" for q in long["question_id"]]
    long = long.drop(columns=["question_id"])
    return from_long(long, rescale=rescale, name=name, meta={"source": "mtbench"})


def _mtbench_question(user_prompt: str) -> str:
    for start, end in (("[Question]\n", "\n\n[The Start"), ("### User:\n", "\n\n### Assistant")):
        i = user_prompt.find(start)
        if i >= 0:
            j = user_prompt.find(end, i)
            return user_prompt[i + len(start) : j if j > 0 else None].strip()
    return ""


# ---------------------------------------------------------------------------------- RouterBench
def _load_routerbench(path: Path, rescale) -> Outcomes:
    # Loading a pickle executes code: only files the user named explicitly reach this line.
    try:
        df = pd.read_pickle(path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file to the user
        raise RouterlabError(f"cannot read RouterBench pickle {path.name}: {exc}") from None
    if not isinstance(df, pd.DataFrame):
        raise RouterlabError(f"{path.name} holds a {type(df).__name__}, not a DataFrame")
    return _from_routerbench_frame(df, rescale=rescale, name=path.stem)


def _prompt_text(p) -> str:
    """RouterBench stores some prompts as a list of turns (or the repr of one)."""
    if isinstance(p, str) and p.startswith("[") and p.endswith("]"):
        try:
            p = ast.literal_eval(p)
        except (ValueError, SyntaxError):
            return p
    if isinstance(p, (list, tuple)):
        return "\n\n".join(str(x) for x in p)
    return "" if p is None else str(p)


def _from_routerbench_frame(df: pd.DataFrame, *, rescale, name: str) -> Outcomes:
    meta = {"source": "routerbench"}
    ren = {"sample_id": "query_id", "eval_name": "category"}
    if {"model_name", "performance"} <= set(df.columns):
        long = df.rename(
            columns={
                **ren,
                "model_name": "model",
                "performance": "quality",
                "model_response": "response",
                "cost": "cost_usd",
            }
        )
        if "prompt" in long.columns:
            long["prompt"] = long["prompt"].map(_prompt_text)
        return from_long(long, rescale=rescale, name=name, meta=meta)
    if "prompt" not in df.columns:
        raise RouterlabError(f"{name}: a RouterBench table needs a 'prompt' column")
    models = [c for c in df.columns if f"{c}|total_cost" in df.columns]
    if not models:
        skip = {"sample_id", "prompt", "eval_name", "oracle_model_to_route_to"} | _META
        models = [
            c
            for c in df.columns
            if c not in skip and "|" not in str(c) and pd.api.types.is_numeric_dtype(df[c])
        ]
    if not models:
        raise RouterlabError(f"{name}: no model columns found (expected one per model)")
    side = {c for c in df.columns if "|" in str(c)} | {"oracle_model_to_route_to"}
    queries = df[[c for c in df.columns if c not in models and c not in side]].rename(columns=ren)
    queries["prompt"] = queries["prompt"].map(_prompt_text)
    if "query_id" in queries:
        queries["query_id"] = _unique_ids(queries["query_id"].astype(str))
    quality = np.column_stack([_to_quality(df[m], rescale, f"{name}:{m}") for m in models])
    cost = np.column_stack(
        [
            pd.to_numeric(df[f"{m}|total_cost"], errors="coerce").to_numpy(dtype=float)
            if f"{m}|total_cost" in df.columns
            else np.full(len(df), np.nan)
            for m in models
        ]
    )
    responses = None
    if any(f"{m}|model_response" in df.columns for m in models):
        responses = np.full(quality.shape, None, dtype=object)
        for j, m in enumerate(models):
            if f"{m}|model_response" in df.columns:
                responses[:, j] = _texts(df[f"{m}|model_response"])
    return Outcomes.from_arrays(
        queries, models, quality=quality, cost=cost, responses=responses, name=name, meta=meta
    )


def _unique_ids(ids: pd.Series) -> pd.Series:
    """Repeated ids get '#2', '#3'... so that no row is lost (RouterBench repeats a few)."""
    k = ids.groupby(ids).cumcount()
    return ids.where(k == 0, ids + "#" + (k + 1).astype(str))


# ---------------------------------------------------------------------------------- bundled
def _bundled():
    try:
        from .workloads.bundled import BUNDLED
    except ImportError:
        return {}
    return BUNDLED


def _bundled_names() -> list[str]:
    return sorted(_bundled())


def _is_bundled(name: str) -> bool:
    return name in _bundled()


def _load_bundled(name: str) -> Outcomes:
    b = _bundled()
    if name not in b:
        known = ", ".join(sorted(b)) or "none installed"
        raise RouterlabError(f"unknown bundled sample {name!r}; bundled samples: {known}")
    return b[name]()


# ---------------------------------------------------------------------------------- exclusions
def read_exclusions(source: str | os.PathLike | Iterable[str]) -> set[str]:
    """Prompts to exclude: a JSONL file with ``eval_prompt`` (or ``prompt``) fields, or strings."""
    if isinstance(source, (str, os.PathLike)):
        p = Path(source).expanduser()
        if not p.is_file():
            raise RouterlabError(f"exclusion file not found: {source}")
        out = set()
        with p.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    raise RouterlabError(f"{p.name} line {lineno} is not JSON") from None
                val = rec.get("eval_prompt", rec.get("prompt")) if isinstance(rec, dict) else rec
                if not isinstance(val, str):
                    raise RouterlabError(
                        f"{p.name} line {lineno}: expected an 'eval_prompt' or 'prompt' field"
                    )
                out.add(val)
        return out
    return {str(s) for s in source}


def _exclude(out: Outcomes, source) -> Outcomes:
    drop = read_exclusions(source)
    mask = np.isin(np.asarray(out.prompts, dtype=object), list(drop))
    kept = out.subset(~mask)
    return replace(kept, meta={**kept.meta, "excluded": int(mask.sum())})


# ---------------------------------------------------------------------------------- download
#: RouteLLM's evaluation files (Apache-2.0), https://github.com/lm-sys/RouteLLM, routellm/evals/.
ROUTELLM_BASE = "https://raw.githubusercontent.com/lm-sys/RouteLLM/main/routellm/evals/"
#: RouterBench (Hu et al. 2024, arXiv:2403.12031), https://huggingface.co/datasets/withmartian/routerbench.
ROUTERBENCH_BASE = "https://huggingface.co/datasets/withmartian/routerbench/resolve/main/"

MMLU_SUBJECTS = (
    "abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology "
    "college_chemistry college_computer_science college_mathematics college_medicine "
    "college_physics computer_security conceptual_physics econometrics electrical_engineering "
    "elementary_mathematics formal_logic global_facts high_school_biology high_school_chemistry "
    "high_school_computer_science high_school_european_history high_school_geography "
    "high_school_government_and_politics high_school_macroeconomics high_school_mathematics "
    "high_school_microeconomics high_school_physics high_school_psychology "
    "high_school_statistics high_school_us_history high_school_world_history human_aging "
    "human_sexuality international_law jurisprudence logical_fallacies machine_learning "
    "management marketing medical_genetics miscellaneous moral_disputes moral_scenarios "
    "nutrition philosophy prehistory professional_accounting professional_law "
    "professional_medicine professional_psychology public_relations security_studies sociology "
    "us_foreign_policy virology world_religions"
).split()

#: name -> (default base URL, [remote paths relative to it], what load_outcomes should read)
DATASETS: dict[str, tuple[str, list[str], str]] = {
    "routellm-mmlu": (
        ROUTELLM_BASE,
        [f"mmlu/responses/mmlu_{s}.csv" for s in MMLU_SUBJECTS]
        + ["mmlu/contaminated_prompts.jsonl"],
        ".",
    ),
    "routellm-gsm8k": (
        ROUTELLM_BASE,
        ["gsm8k/gsm8k_responses.csv", "gsm8k/contaminated_prompts.jsonl"],
        "gsm8k_responses.csv",
    ),
    "routellm-mt-bench": (
        ROUTELLM_BASE,
        ["mt_bench/judgements.jsonl", "mt_bench/contaminated_prompts.jsonl"],
        "judgements.jsonl",
    ),
    "routerbench-0shot": (ROUTERBENCH_BASE, ["routerbench_0shot.pkl"], "routerbench_0shot.pkl"),
    "routerbench-5shot": (ROUTERBENCH_BASE, ["routerbench_5shot.pkl"], "routerbench_5shot.pkl"),
    "routerbench-raw": (ROUTERBENCH_BASE, ["routerbench_raw.pkl"], "routerbench_raw.pkl"),
}


def download(
    name: str,
    dest: str | os.PathLike | None = None,
    base_url: str | None = None,
    *,
    timeout: float = 60.0,
    progress: bool = False,
) -> Path:
    """Fetch a public routing dataset once and return the local path to pass to :func:`load_outcomes`.

    Files already present are not fetched again, and each file is written to a temporary name
    first, so an interrupted download never leaves a half file behind.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`: ``routellm-mmlu`` (a folder of 57 subject CSVs),
        ``routellm-gsm8k``, ``routellm-mt-bench``, ``routerbench-0shot``, ``routerbench-5shot``,
        ``routerbench-raw`` (the long variant).
    dest : path, optional
        Folder to keep the files in; default ``cache_dir()/datasets/<name>``.
    base_url : str, optional
        Replaces the public address (RouteLLM on GitHub, RouterBench on Hugging Face), e.g. a
        mirror; the file paths below it stay the same.

    Returns
    -------
    Path
        The folder (``routellm-mmlu``) or the file to load. RouterBench files are pickles: load
        them only if you trust the source (see :func:`load_outcomes`).

    Examples
    --------
    >>> o = load_outcomes(download("routellm-mmlu"))                    # doctest: +SKIP
    """
    if name not in DATASETS:
        raise RouterlabError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    default_base, files, target = DATASETS[name]
    base = (base_url or default_base).rstrip("/") + "/"
    folder = Path(dest).expanduser() if dest is not None else cache_dir() / "datasets" / name
    folder.mkdir(parents=True, exist_ok=True)
    todo = [f for f in files if not (folder / Path(f).name).exists()]
    it = todo
    if progress and todo:
        from tqdm.auto import tqdm

        it = tqdm(todo, desc=f"download {name}", unit="file")
    for rel in it:
        _fetch(base + rel, folder / Path(rel).name, timeout)
    return folder if target == "." else folder / target


def _fetch(url: str, path: Path, timeout: float) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out, length=1 << 20)
        os.replace(tmp, path)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise RouterlabError(
            f"download of {url} failed ({reason}): check the connection or pass base_url=..."
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
