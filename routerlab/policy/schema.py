"""The policy file's JSON Schema and its validation, with one-line errors naming the field.

Every load validates the document against ``schema.json`` (shipped in the package). The
``jsonschema`` package is imported lazily; when it is missing, a minimal built-in check of the
required fields and their types runs instead, so the production runtime needs only numpy.

Examples
--------
>>> validate({"schema_version": 9}, where="p.json")
Traceback (most recent call last):
...
routerlab.errors.RouterlabError: p.json: schema_version 9 is newer than this routerlab reads (1): upgrade routerlab
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import RouterlabError

#: The schema version this code writes and reads.
SCHEMA_VERSION = 1

_SCHEMA_PATH = Path(__file__).with_name("schema.json")


class PolicyError(RouterlabError):
    """A policy file is malformed, invalid or refers to something missing (CLI exit code 2)."""


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The JSON Schema of the current policy version (a dict)."""
    return json.loads(_SCHEMA_PATH.read_text(encoding="utf-8"))


def field_path(parts) -> str:
    """``['models', 1, 'key_env']`` -> ``'models[1].key_env'``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out or "(top level)"


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(err) -> str:
    """One readable line for a jsonschema ValidationError."""
    path = field_path(err.absolute_path)
    v, inst = err.validator, err.instance
    if v == "required":
        missing = [p for p in err.validator_value if isinstance(inst, dict) and p not in inst]
        name = missing[0] if missing else "?"
        where = f"{path}.{name}" if err.absolute_path else name
        return f"{where} is missing"
    if v == "additionalProperties":
        allowed = set(err.schema.get("properties", {}))
        extra = sorted(k for k in inst if k not in allowed) if isinstance(inst, dict) else []
        extra_s = ", ".join(repr(e) for e in extra) or "?"
        return f"{path} has unknown field(s) {extra_s}; allowed: {', '.join(sorted(allowed))}"
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"{path} must be {want}, got {_short(inst)}"
    if v in ("enum", "const"):
        opts = err.validator_value if v == "enum" else [err.validator_value]
        return f"{path} is {_short(inst)}; expected one of: {', '.join(_short(o) for o in opts)}"
    if v == "pattern" and str(path).endswith("_env"):
        return (
            f"{path} must be the NAME of an environment variable (letters, digits, _), "
            f"never a key or URL; got {_short(inst)}"
        )
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"{path} is {_short(inst)}, out of range ({v} {err.validator_value})"
    if v in ("minItems", "maxItems", "minLength"):
        return f"{path} is {_short(inst)}: {err.message}"
    return f"{path}: {err.message}"


def _check_version(doc: Any, where: str) -> None:
    if not isinstance(doc, dict):
        raise PolicyError(f"{where}: the top level must be a JSON object, got {type(doc).__name__}")
    if "schema_version" not in doc:
        raise PolicyError(f"{where}: schema_version is missing (is this a routerlab policy file?)")
    ver = doc["schema_version"]
    if isinstance(ver, bool) or not isinstance(ver, int):
        raise PolicyError(f"{where}: schema_version must be an integer, got {_short(ver)}")
    if ver > SCHEMA_VERSION:
        raise PolicyError(
            f"{where}: schema_version {ver} is newer than this routerlab reads "
            f"({SCHEMA_VERSION}): upgrade routerlab"
        )
    if ver < 1:
        raise PolicyError(
            f"{where}: schema_version {ver} is not a known version (1..{SCHEMA_VERSION})"
        )


def _import_jsonschema():
    """Import jsonschema, or None when it is not installed.

    jsonschema imports the optional ``rfc3987_syntax`` (IRI format checks, pulled in by Jupyter)
    when present, which builds a grammar for ~3 s. The policy schema uses no IRI formats, so that
    import is skipped when jsonschema is first imported here.
    """
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    block = "rfc3987_syntax" not in sys.modules
    if block:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema
    except ImportError:
        return None
    finally:
        if block:
            sys.modules.pop("rfc3987_syntax", None)
    return jsonschema


@lru_cache(maxsize=1)
def _validator():
    js = _import_jsonschema()
    return js.validators.validator_for(load_schema())(load_schema())


def _validate_jsonschema(doc: dict, where: str) -> None:
    import jsonschema

    errors = list(_validator().iter_errors(doc))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        # best_match prefers shallow errors; descend into if/then and anyOf contexts.
        while best.context:
            best = jsonschema.exceptions.best_match(best.context)
        raise PolicyError(f"{where}: {_message(best)}")


# --------------------------------------------------------------------------- minimal fallback check
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value: Any, types) -> bool:
    types = [types] if isinstance(types, str) else types
    for t in types:
        if t in ("integer", "number") and isinstance(value, bool):
            continue
        if isinstance(value, _TYPES[t]):
            return True
    return False


def _minimal(doc: Any, schema: dict, root: dict, path: list, where: str) -> None:
    """The subset of JSON Schema the policy schema uses: $ref, type, enum, const, required,
    properties, additionalProperties, items, pattern, bounds, lengths, if/then."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        _minimal(doc, root["$defs"][name], root, path, where)
        return
    here = field_path(path)
    if "type" in schema and not _type_ok(doc, schema["type"]):
        want = schema["type"]
        want = " or ".join(want) if isinstance(want, list) else want
        raise PolicyError(f"{where}: {here} must be {want}, got {_short(doc)}")
    if "enum" in schema and doc not in schema["enum"]:
        opts = ", ".join(_short(o) for o in schema["enum"])
        raise PolicyError(f"{where}: {here} is {_short(doc)}; expected one of: {opts}")
    if "const" in schema and doc != schema["const"]:
        raise PolicyError(f"{where}: {here} must be {_short(schema['const'])}, got {_short(doc)}")
    if isinstance(doc, str):
        if "pattern" in schema and not re.search(schema["pattern"], doc):
            hint = (
                " (the NAME of an environment variable, never a key)"
                if here.endswith("_env")
                else ""
            )
            raise PolicyError(
                f"{where}: {here} {_short(doc)} does not match {schema['pattern']}{hint}"
            )
        if len(doc) < schema.get("minLength", 0):
            raise PolicyError(f"{where}: {here} is too short")
    if isinstance(doc, (int, float)) and not isinstance(doc, bool):
        for key, bad in (
            ("minimum", lambda v, b: v < b),
            ("exclusiveMinimum", lambda v, b: v <= b),
            ("maximum", lambda v, b: v > b),
            ("exclusiveMaximum", lambda v, b: v >= b),
        ):
            if key in schema and bad(doc, schema[key]):
                raise PolicyError(f"{where}: {here} is {doc}, out of range ({key} {schema[key]})")
    if isinstance(doc, list):
        if len(doc) < schema.get("minItems", 0) or len(doc) > schema.get("maxItems", len(doc)):
            raise PolicyError(f"{where}: {here} has {len(doc)} items, which is not allowed")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(doc):
                _minimal(item, schema["items"], root, [*path, i], where)
    if isinstance(doc, dict):
        for req in schema.get("required", ()):
            if req not in doc:
                raise PolicyError(f"{where}: {field_path([*path, req])} is missing")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if extra is False:
            unknown = sorted(k for k in doc if k not in props)
            if unknown:
                raise PolicyError(
                    f"{where}: {here} has unknown field(s) {', '.join(map(repr, unknown))}"
                )
        for k, v in doc.items():
            if k in props:
                _minimal(v, props[k], root, [*path, k], where)
            elif isinstance(extra, dict):
                _minimal(v, extra, root, [*path, k], where)
    if "if" in schema and "then" in schema:
        try:
            _minimal(doc, schema["if"], root, path, where)
        except PolicyError:
            return
        _minimal(doc, schema["then"], root, path, where)


def validate(doc: Any, where: str = "policy") -> dict:
    """Check a policy document; return it unchanged or raise :class:`PolicyError` (one line).

    Checks, in order: the top-level type and ``schema_version`` (a newer version is refused with
    a hint to upgrade), the JSON Schema (``jsonschema`` when installed, else a minimal built-in
    check), then cross-references (unique model ids, the fallback and rules naming known models,
    every router model mapped to a policy model).
    """
    _check_version(doc, where)
    if _import_jsonschema() is None:
        _minimal(doc, load_schema(), load_schema(), [], where)
    else:
        _validate_jsonschema(doc, where)
    _check_references(doc, where)
    return doc


def _check_references(doc: dict, where: str) -> None:
    ids: list[str] = [m["id"] for m in doc["models"]]
    seen: set[str] = set()
    for i, m in enumerate(ids):
        if m in seen:
            raise PolicyError(
                f"{where}: models[{i}].id {m!r} is used twice; model ids must be unique"
            )
        seen.add(m)
    columns = {m.get("column", m["id"]) for m in doc["models"]}
    for i, name in enumerate(doc["router"]["models"]):
        if name not in columns and name not in seen:
            raise PolicyError(
                f"{where}: router.models[{i}] {name!r} is not a policy model; "
                f"add it to models (id or column); models: {', '.join(ids)}"
            )
    if doc["fallback"] not in seen:
        raise PolicyError(
            f"{where}: fallback {doc['fallback']!r} is not a policy model; models: {', '.join(ids)}"
        )
    for r, rule in enumerate(doc["rules"]):
        for a, mid in enumerate(rule.get("allow", ())):
            if mid not in seen:
                raise PolicyError(
                    f"{where}: rules[{r}].allow[{a}] {mid!r} is not a policy model; "
                    f"models: {', '.join(ids)}"
                )
