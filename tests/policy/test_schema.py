"""Policy schema: every load validates; bad files give one line naming the field."""

from __future__ import annotations

import copy
import json
import os
import stat

import pytest

from routerlab import policy
from routerlab.policy import schema
from routerlab.routers import make_router


@pytest.fixture(scope="module")
def doc(split):
    train, test = split
    router = make_router("category").fit(train)
    return policy.export_policy(router, train, calibration=test, rules=["pii"], n_boot=100)


def _write(tmp_path, d, name="p.json"):
    path = tmp_path / name
    path.write_text(d if isinstance(d, str) else json.dumps(d))
    return path


def test_schema_file_is_a_valid_json_schema(doc):
    import jsonschema

    s = schema.load_schema()
    jsonschema.validators.validator_for(s).check_schema(s)
    jsonschema.validate(doc, s)
    assert s["properties"]["schema_version"]["const"] == policy.SCHEMA_VERSION


CASES = [
    (lambda d: d.update(schema_version=2), "schema_version 2 is newer"),
    (lambda d: d.pop("schema_version"), "schema_version is missing"),
    (lambda d: d["router"].update(kind="foo"), "router.kind 'foo' is unknown; known: "),
    (lambda d: d["router"].pop("state"), "router.state is missing"),
    (lambda d: d["models"][0].update(key_env="sk-abc"), "models[0].key_env must be the NAME"),
    (lambda d: d["models"][0].update(api_key="x"), "models[0] has unknown field(s) 'api_key'"),
    (lambda d: d["models"][0].update(backend="grpc"), "models[0].backend is 'grpc'"),
    (lambda d: d["models"][1]["price"].update(input_per_m=-1), "models[1].price.input_per_m"),
    (lambda d: d.update(fallback="nowhere"), "fallback 'nowhere' is not a policy model"),
    (lambda d: d["router"].update(threshold="high"), "router.threshold must be number or null"),
    (lambda d: d["rules"][0].update(allow=["ghost"]), "rules[0].allow[0] 'ghost'"),
    (lambda d: d["expected"]["quality"].update(ci=[0.1]), "expected.quality.ci"),
    (lambda d: d["router"]["state"].update(models_=["a", "b"]), "router.models"),
]


@pytest.mark.parametrize("mutate,message", CASES, ids=[c[1][:30] for c in CASES])
def test_bad_policy_one_line_naming_the_field(doc, tmp_path, mutate, message):
    bad = copy.deepcopy(doc)
    mutate(bad)
    with pytest.raises(policy.PolicyError) as exc:
        policy.load(_write(tmp_path, bad))
    text = str(exc.value)
    assert message in text and "\n" not in text
    assert text.startswith("p.json")


def test_malformed_json_and_missing_file(tmp_path):
    with pytest.raises(policy.PolicyError, match=r"p.json: not valid JSON at line 1"):
        policy.load(_write(tmp_path, '{"schema_version": 1,'))
    with pytest.raises(policy.PolicyError, match="p.json: the top level must be a JSON object"):
        policy.load(_write(tmp_path, "[1, 2]"))
    with pytest.raises(policy.PolicyError, match="no such policy file"):
        policy.load(tmp_path / "missing.json")


@pytest.mark.parametrize("mutate,message", CASES[:9], ids=[c[1][:30] for c in CASES[:9]])
def test_builtin_check_without_jsonschema(doc, tmp_path, monkeypatch, mutate, message):
    monkeypatch.setattr(schema, "_import_jsonschema", lambda: None)
    policy.load(_write(tmp_path, doc, "ok.json"))  # the valid file passes
    bad = copy.deepcopy(doc)
    mutate(bad)
    with pytest.raises(policy.PolicyError) as exc:
        policy.load(_write(tmp_path, bad))
    # the built-in check names the same field (wording may be shorter)
    field = message.split(" ")[0].rstrip(":")
    assert field in str(exc.value)


def test_save_is_exact_and_atomic(doc, tmp_path):
    path = policy.save(doc, tmp_path / "sub" / "policy.json")
    assert json.loads(path.read_text()) == doc
    assert policy.dumps(json.loads(path.read_text())) == path.read_text()
    bad = copy.deepcopy(doc)
    bad["schema_version"] = 7
    with pytest.raises(policy.PolicyError):
        policy.save(bad, path)
    assert json.loads(path.read_text()) == doc  # the old file is untouched
    assert [p.name for p in path.parent.iterdir()] == ["policy.json"]


def test_save_gives_a_shareable_mode(doc, tmp_path):
    """A policy is deployed and shared: not the 0600 of a temporary file, but what the umask allows."""
    old = os.umask(0o022)
    try:
        path = policy.save(doc, tmp_path / "policy.json")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        os.umask(0o077)
        private = policy.save(doc, tmp_path / "private.json")
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
        path.chmod(0o640)  # an existing file keeps its mode when overwritten
        policy.save(doc, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.json", "private.json"]
