"""Routing policies as one versioned JSON file, and the light runtime that applies them.

A policy holds the models (ids, backends, env var *names*, prices), the fitted router (params and
plain-number state), rules (privacy: PII stays on the edge), a fallback model, the expected
operating point with confidence intervals, and provenance. Production needs only numpy to load it
(plus sentence-transformers when the router uses embeddings).

Examples
--------
>>> from routerlab import policy                                           # doctest: +SKIP
>>> doc = policy.export_policy(router, outcomes, models={"smollm2-135m": "edge"})  # doctest: +SKIP
>>> policy.save(doc, "policy.json")                                        # doctest: +SKIP
>>> policy.load("policy.json").route("Reformat 2024-01-05 as 05/01/2024")  # doctest: +SKIP
Decision(model='edge', score=0.12, reason='knn score 0.120 < threshold 0.500: weak model', pii=False)
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .export import drift_alarms, export_policy, operating_point
from .runtime import Decision, PiiDetector, Policy
from .schema import SCHEMA_VERSION, PolicyError, validate

__all__ = [
    "SCHEMA_VERSION",
    "Decision",
    "PiiDetector",
    "Policy",
    "PolicyError",
    "drift_alarms",
    "dumps",
    "export_policy",
    "load",
    "operating_point",
    "read",
    "save",
    "validate",
]


def read(path: str | os.PathLike) -> dict:
    """The validated policy document at ``path`` (a dict); one-line errors for bad files."""
    p = Path(path)
    where = p.name
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such policy file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({type(exc).__name__})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"{where}: not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    return validate(doc, where)


def load(path: str | os.PathLike) -> Policy:
    """Load and validate a policy file; returns a :class:`Policy` with ``.route(...)``."""
    doc = read(path)
    return Policy(doc, where=Path(path).name)


def dumps(doc: dict) -> str:
    """The policy as JSON text: readable nesting, number lists on one line, exact floats."""
    return _dump(doc, 0) + "\n"


def _dump(x: Any, level: int) -> str:
    pad = "  " * (level + 1)
    end = "  " * level
    if isinstance(x, dict):
        if not x:
            return "{}"
        items = [f"{pad}{json.dumps(k)}: {_dump(v, level + 1)}" for k, v in x.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(x, list):
        if all(not isinstance(v, (dict, list)) for v in x):
            return json.dumps(x, allow_nan=False, separators=(", ", ": "))
        if all(isinstance(v, list) and all(not isinstance(u, (dict, list)) for u in v) for v in x):
            rows = [pad + json.dumps(v, allow_nan=False, separators=(",", ":")) for v in x]
            return "[\n" + ",\n".join(rows) + "\n" + end + "]"
        return "[\n" + ",\n".join(pad + _dump(v, level + 1) for v in x) + "\n" + end + "]"
    return json.dumps(x, allow_nan=False)


def _file_mode(p: Path) -> int:
    """The mode a plain ``open(p, "w")`` would leave: the existing file's, else 0666 minus umask."""
    try:
        return p.stat().st_mode & 0o777
    except FileNotFoundError:
        pass
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


def save(doc: dict | Policy, path: str | os.PathLike) -> Path:
    """Validate and write a policy document atomically (a temporary file renamed into place).

    The file gets the mode a plain write would give it (the existing file's mode, else
    ``0666`` minus the umask, usually ``0644``), not the ``0600`` of a temporary file.
    """
    if isinstance(doc, Policy):
        doc = doc.to_dict()
    p = Path(path)
    validate(doc, p.name)
    try:
        text = dumps(doc)
    except ValueError as exc:
        raise PolicyError(f"{p.name}: the policy holds NaN or infinity ({exc})") from None
    p.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode(p)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            os.fchmod(f.fileno(), mode)  # mkstemp makes 0600: a policy is meant to be shared
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
