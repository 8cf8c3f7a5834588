"""The workload: the questions a router will see, with their references and graders.

A :class:`Workload` knows nothing about models. Each :class:`Query` has an id, a prompt (or chat
``messages``), a category, a difficulty, a reference answer, a grader spec (a JSON-safe dict such
as ``{"kind": "numeric", "tol": 0.01}``, see :mod:`routerlab.workloads.graders`), a PII flag and a
stakes weight. Workloads are saved and loaded as JSONL, CSV or parquet; in CSV and parquet the
``messages``, ``grader`` and ``meta`` columns hold JSON text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RouterlabError

#: Field order of a saved query (JSONL keys, CSV/parquet columns).
FIELDS = (
    "query_id",
    "prompt",
    "messages",
    "category",
    "difficulty",
    "reference",
    "grader",
    "contains_pii",
    "stakes",
    "meta",
)
_JSON_FIELDS = ("messages", "grader", "meta")
_FORMATS = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class Query:
    """One question of a workload.

    ``prompt`` is always set (for a chat query it is the last user message); ``messages`` is
    ``None`` unless the query is a conversation. ``grader`` is a JSON-safe dict naming a grader
    kind and its options; :meth:`grade` applies it to a response.
    """

    query_id: str
    prompt: str
    category: str = "all"
    difficulty: int = 1
    reference: str = ""
    grader: dict = field(default_factory=lambda: {"kind": "normalized"})
    contains_pii: bool = False
    stakes: float = 1.0
    messages: tuple[dict, ...] | None = None
    meta: dict = field(default_factory=dict)

    def chat(self, system: str | None = None) -> list[dict]:
        """The chat messages to send: ``messages`` if set, else one user turn (after ``system``)."""
        msgs = (
            [dict(m) for m in self.messages]
            if self.messages
            else [{"role": "user", "content": self.prompt}]
        )
        if system and not any(m.get("role") == "system" for m in msgs):
            msgs.insert(0, {"role": "system", "content": system})
        return msgs

    def grade(self, response: str | None, **kwargs: Any) -> float:
        """Quality of ``response`` in [0, 1] under this query's grader."""
        from .graders import grade

        if self.grader.get("kind") in ("judge", "llm_judge"):
            kwargs.setdefault("question", self.prompt)
        return grade(self.grader, response, self.reference, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "prompt": self.prompt,
            "messages": [dict(m) for m in self.messages] if self.messages else None,
            "category": self.category,
            "difficulty": int(self.difficulty),
            "reference": self.reference,
            "grader": dict(self.grader),
            "contains_pii": bool(self.contains_pii),
            "stakes": float(self.stakes),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "query") -> Query:
        """Build a query from a record; missing optional fields get defaults."""
        data = {k: (None if _missing(v) else v) for k, v in data.items()}
        messages = _json_value(data.get("messages"), "messages", where)
        prompt = data.get("prompt")
        if messages is not None:
            if not isinstance(messages, list) or not all(
                isinstance(m, dict) and "role" in m and "content" in m for m in messages
            ):
                raise RouterlabError(
                    f"{where}: 'messages' must be a list of {{'role', 'content'}} objects"
                )
            if prompt is None:
                users = [m["content"] for m in messages if m["role"] == "user"]
                prompt = users[-1] if users else messages[-1]["content"]
            messages = tuple(dict(m) for m in messages)
        if prompt is None:
            raise RouterlabError(f"{where}: needs a 'prompt' (or 'messages') field")
        if data.get("query_id") is None:
            raise RouterlabError(f"{where}: needs a 'query_id' field")
        grader = _json_value(data.get("grader"), "grader", where)
        if grader is None:
            grader = {"kind": "normalized"}
        elif isinstance(grader, str):
            grader = {"kind": grader}
        if not isinstance(grader, dict) or "kind" not in grader:
            raise RouterlabError(
                f"{where}: 'grader' must be an object with a 'kind', e.g. {{\"kind\": \"exact\"}}"
            )
        meta = _json_value(data.get("meta"), "meta", where) or {}
        try:
            difficulty = int(data["difficulty"]) if data.get("difficulty") is not None else 1
            stakes = float(data["stakes"]) if data.get("stakes") is not None else 1.0
        except (TypeError, ValueError) as exc:
            raise RouterlabError(
                f"{where}: difficulty and stakes must be numbers ({exc})"
            ) from None
        pii = data.get("contains_pii")
        if isinstance(pii, str):
            pii = pii.strip().lower() in ("1", "true", "yes", "y", "t")
        ref = data.get("reference")
        return cls(
            query_id=str(data["query_id"]),
            prompt=str(prompt),
            category=str(data.get("category") or "all"),
            difficulty=difficulty,
            reference="" if ref is None else str(ref),
            grader=grader,
            contains_pii=bool(pii) if pii is not None else False,
            stakes=stakes,
            messages=messages,
            meta=dict(meta),
        )


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _json_value(v: Any, name: str, where: str) -> Any:
    """CSV and parquet store nested fields as JSON text; JSONL stores them as JSON values."""
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return None
        if s[0] in "[{":
            try:
                return json.loads(s)
            except json.JSONDecodeError:
                raise RouterlabError(f"{where}: column {name!r} holds invalid JSON") from None
        return s
    if hasattr(v, "tolist"):  # numpy arrays from parquet
        return v.tolist()
    return v


class Workload:
    """An ordered, immutable collection of :class:`Query` with unique ids.

    Examples
    --------
    >>> w = Workload([Query("a", "2+2?", category="math", reference="4",
    ...                     grader={"kind": "numeric"})], name="tiny")
    >>> len(w), w["a"].grade("It is 4.")
    (1, 1.0)
    """

    def __init__(self, queries: Iterable[Query], name: str = "workload"):
        self.queries: tuple[Query, ...] = tuple(queries)
        self.name = str(name)
        seen: set[str] = set()
        for q in self.queries:
            if not isinstance(q, Query):
                raise RouterlabError(f"a Workload holds Query objects, got {type(q).__name__}")
            if q.query_id in seen:
                raise RouterlabError(
                    f"duplicate query_id {q.query_id!r}: give every query a unique id"
                )
            seen.add(q.query_id)
        self._index = {q.query_id: i for i, q in enumerate(self.queries)}

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.queries)

    def __iter__(self) -> Iterator[Query]:
        return iter(self.queries)

    def __getitem__(self, key: int | str) -> Query:
        if isinstance(key, str):
            if key not in self._index:
                raise RouterlabError(f"no query with id {key!r} in workload {self.name!r}")
            return self.queries[self._index[key]]
        return self.queries[key]

    def __repr__(self) -> str:
        return f"Workload({self.name!r}, n={len(self)}, categories={self.categories})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workload) and self.queries == other.queries

    __hash__ = None  # type: ignore[assignment]

    @property
    def ids(self) -> list[str]:
        return [q.query_id for q in self.queries]

    @property
    def prompts(self) -> list[str]:
        return [q.prompt for q in self.queries]

    @property
    def categories(self) -> list[str]:
        """Distinct categories in order of first appearance."""
        return list(dict.fromkeys(q.category for q in self.queries))

    def index(self, query_id: str) -> int:
        self[query_id]
        return self._index[query_id]

    def filter(
        self, category: str | Sequence[str] | None = None, ids: Sequence[str] | None = None
    ) -> Workload:
        """A smaller workload: queries of the given categories and/or ids (in workload order)."""
        qs = self.queries
        if category is not None:
            cats = {category} if isinstance(category, str) else set(category)
            unknown = cats - set(self.categories)
            if unknown:
                raise RouterlabError(
                    f"unknown categories {sorted(unknown)}; known: {sorted(self.categories)}"
                )
            qs = tuple(q for q in qs if q.category in cats)
        if ids is not None:
            keep = set(ids)
            missing = keep - set(self._index)
            if missing:
                raise RouterlabError(
                    f"unknown query ids {sorted(missing)[:3]} in workload {self.name!r}"
                )
            qs = tuple(q for q in qs if q.query_id in keep)
        return Workload(qs, name=self.name)

    def head(self, n: int) -> Workload:
        return Workload(self.queries[:n], name=self.name)

    def grade(self, query_id: str, response: str | None, **kwargs: Any) -> float:
        return self[query_id].grade(response, **kwargs)

    # ------------------------------------------------------------------ tables
    def to_records(self) -> list[dict[str, Any]]:
        return [q.to_dict() for q in self.queries]

    @classmethod
    def from_records(cls, records: Iterable[dict[str, Any]], name: str = "workload") -> Workload:
        return cls(
            (Query.from_dict(r, where=f"{name} row {i + 1}") for i, r in enumerate(records)),
            name=name,
        )

    def to_frame(self):
        """A pandas DataFrame, one row per query (``grader``, ``messages`` and ``meta`` as objects).

        Its columns match :data:`routerlab.outcomes.QUERY_COLUMNS` plus ``reference``, ``grader``,
        ``messages`` and ``meta``, so it can be the ``queries`` of an :class:`~routerlab.Outcomes`.
        """
        import pandas as pd

        return pd.DataFrame(self.to_records(), columns=list(FIELDS))

    @classmethod
    def from_frame(cls, df, name: str = "workload") -> Workload:
        missing = {"query_id", "prompt"} - set(df.columns)
        if "prompt" in missing and "messages" in df.columns:
            missing.discard("prompt")
        if missing:
            raise RouterlabError(
                f"{name}: missing column(s) {sorted(missing)}; a workload needs query_id and prompt"
            )
        return cls.from_records(df.to_dict(orient="records"), name=name)

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path, format: str = "auto") -> Path:
        """Write JSONL, CSV or parquet (from the suffix unless ``format`` is given).

        JSONL output is byte-stable: the same workload always gives the same bytes.
        """
        path = Path(path)
        fmt = _format(path, format)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "jsonl":
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                for r in self.to_records():
                    f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
            tmp.replace(path)
            return path
        df = self.to_frame()
        for c in _JSON_FIELDS:
            df[c] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in df[c]]
        if fmt == "csv":
            df.to_csv(path, index=False)
        else:
            df.to_parquet(path, index=False)
        return path

    @classmethod
    def load(cls, path: str | Path, format: str = "auto", name: str | None = None) -> Workload:
        """Read a workload written by :meth:`save` (or any file with query_id and prompt columns)."""
        path = Path(path)
        if not path.exists():
            raise RouterlabError(f"workload file not found: {path}")
        fmt = _format(path, format)
        name = name or path.stem
        if fmt == "jsonl":
            records = []
            with open(path, encoding="utf-8") as f:
                for i, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        raise RouterlabError(f"{path}: line {i} is not valid JSON") from None
                    if not isinstance(rec, dict):
                        raise RouterlabError(f"{path}: line {i} is not a JSON object")
                    records.append(rec)
            if records and "query_id" not in records[0] and "prompt" in records[0]:
                for i, r in enumerate(records):
                    r.setdefault("query_id", f"q{i:06d}")
            return cls.from_records(records, name=name)
        import pandas as pd

        try:
            df = (
                pd.read_csv(path, keep_default_na=False, na_values=[""])
                if fmt == "csv"
                else pd.read_parquet(path)
            )
        except Exception as exc:  # pandas/pyarrow raise many types for unreadable files
            raise RouterlabError(
                f"cannot read {path} as {fmt}: {str(exc).splitlines()[0]}"
            ) from None
        if "query_id" not in df.columns and "prompt" in df.columns:
            df.insert(0, "query_id", [f"q{i:06d}" for i in range(len(df))])
        return cls.from_frame(df, name=name)


def _format(path: Path, format: str) -> str:
    if format != "auto":
        if format not in ("jsonl", "csv", "parquet"):
            raise RouterlabError(f"unknown workload format {format!r}: use jsonl, csv or parquet")
        return format
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RouterlabError(
            f"cannot tell the format of {path.name}: use a .jsonl, .csv or .parquet file or pass format="
        )
    return fmt


def load_workload(path_or_name: str | Path, format: str = "auto") -> Workload:
    """A workload from a file, or a bundled sample by name (``"support-desk"``)."""
    key = str(path_or_name)
    if not Path(key).exists() and Path(key).suffix == "":
        from .bundled import WORKLOADS

        if key in WORKLOADS:
            return WORKLOADS[key]()
        raise RouterlabError(
            f"no workload file or bundled sample named {key!r}; bundled: {', '.join(WORKLOADS)}"
        )
    return Workload.load(path_or_name, format=format)
