"""`routerlab route`, `routerlab policy check|eval|export`: output, exit codes, the drift alarm."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from routerlab import policy
from routerlab.cli import main
from routerlab.routers import make_router


@pytest.fixture(scope="module")
def files(split, tmp_path_factory):
    d = tmp_path_factory.mktemp("cli-policy")
    train, test = split
    router = make_router("random", threshold=0.5).fit(train)
    doc = policy.export_policy(router, train, calibration=test, rules=["pii"], n_boot=500)
    pol = policy.save(doc, d / "policy.json")
    same = d / "calibration.jsonl"
    test.to_long().to_json(same, orient="records", lines=True)
    # a shifted table: the same traffic, but every model's answers got much worse
    worse = replace(test, quality=test.quality * 0.4)
    shifted = d / "shifted.jsonl"
    worse.to_long().to_json(shifted, orient="records", lines=True)
    return {"policy": pol, "same": same, "shifted": shifted, "router": router, "dir": d}


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_route_json(files, capsys):
    assert main(["route", str(files["policy"]), "What is 2 + 2?", "--json"]) == 0
    d = _last_json(capsys.readouterr().out)
    assert set(d) >= {"model", "score", "reason"}
    p = policy.load(files["policy"])
    assert d == p.route("What is 2 + 2?").to_dict()
    assert main(["route", str(files["policy"]), "What is 2 + 2?", "--pii", "--json"]) == 0
    d = _last_json(capsys.readouterr().out)
    assert d["pii"] is True and d["model"] in p.pii_rule["allow"]
    assert main(["route", str(files["policy"]), "What is 2 + 2?"]) == 0
    assert capsys.readouterr().out.split("\t")[0] in p.models


def test_check_ok(files, capsys):
    assert main(["policy", "check", str(files["policy"]), "--json"]) == 0
    s = _last_json(capsys.readouterr().out)
    assert s["ok"] and s["router"] == "random" and s["rules"] == ["pii"]
    assert s["unbacked_models"] == [m for m in s["models"] if m.startswith("scenario:")]


def test_eval_same_table_no_drift(files, capsys):
    assert main(["policy", "eval", str(files["policy"]), str(files["same"]), "--json"]) == 0
    out = _last_json(capsys.readouterr().out)
    assert out["drift"] is False and out["alarms"] == []
    for k in ("escalation_share", "quality", "cost_per_1k"):
        assert out["realised"][k]["value"] == pytest.approx(out["expected"][k]["value"])


def test_eval_reads_the_table_options(files, split, capsys):
    """``policy eval`` takes the outcome-table options of ``eval`` / ``outcomes`` (here --exclude)."""
    _, test = split
    ex = files["dir"] / "exclude.jsonl"
    ex.write_text("".join(json.dumps({"eval_prompt": p}) + "\n" for p in test.prompts[:10]))
    args = ["policy", "eval", str(files["policy"]), str(files["same"]), "--json"]
    assert main([*args, "--exclude", str(ex), "--format", "long"]) in (0, 1)
    out = _last_json(capsys.readouterr().out)
    assert out["realised"]["n"] == test.n - len(set(test.prompts[:10]))
    # bad table options: one line naming the fix, exit 2
    for bad, msg in (
        (["--format", "nope"], "unknown format 'nope'; use one of"),
        (["--exclude", str(files["dir"] / "missing.jsonl")], "exclusion file not found"),
        (["--rescale", "5", "1"], "high > low"),
    ):
        assert main([*args, *bad]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and msg in err[0], err


def test_eval_shifted_table_raises_the_drift_alarm(files, capsys):
    rc = main(["policy", "eval", str(files["policy"]), str(files["shifted"]), "--json"])
    out = _last_json(capsys.readouterr().out)
    assert rc == 1
    assert "quality" in out["alarms"] and out["drift"] is True
    assert out["realised"]["quality"]["value"] < out["expected"]["quality"]["ci"][0]
    assert "escalation_share" not in out["alarms"]  # the routing itself did not change


@pytest.mark.parametrize(
    "mutate,field",
    [
        (None, "not valid JSON"),
        (lambda d: d.update(schema_version=3), "schema_version 3 is newer"),
        (lambda d: d["router"].update(kind="foo"), "router.kind 'foo' is unknown"),
        (lambda d: d["router"].pop("params"), "router.params is missing"),
        (
            lambda d: d["models"][0].update(backend="openai", key_env="EDGE_KEY_NOT_SET"),
            "models[0].key_env names EDGE_KEY_NOT_SET",
        ),
    ],
)
def test_bad_policy_exit_2_one_line(files, tmp_path, capsys, mutate, field, monkeypatch):
    monkeypatch.delenv("EDGE_KEY_NOT_SET", raising=False)
    bad = tmp_path / "bad.json"
    if mutate is None:
        bad.write_text(files["policy"].read_text()[:-20])
    else:
        d = json.loads(files["policy"].read_text())
        mutate(d)
        bad.write_text(json.dumps(d))
    assert main(["policy", "check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bad.json") and field in err and "\n" not in err
    if "key_env" not in field:  # routing needs no keys; every other fault also stops `route`
        assert main(["route", str(bad), "hi"]) == 2
        assert field in capsys.readouterr().err


def test_export_command(files, capsys):
    out = files["dir"] / "exported.json"
    rc = main(
        ["policy", "export", str(files["same"]), "--router", "category",
         "--pii-rule", "--target-share", "0.3", "--out", str(out)]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    p = policy.load(out)
    assert p.kind == "category" and p.pii_rule is not None
    assert 0.0 <= p.threshold <= 1.0
    assert np.isfinite(p.expected["quality"]["value"])


def test_eval_accepts_tables_named_by_model_id(split, tmp_path):
    from routerlab.policy import operating_point

    train, test = split
    router = make_router("random", threshold=0.5).fit(train)
    weak, strong = router.models_
    models = {weak: {"id": "edge", "backend": "gguf", "model": "smollm2-135m"},
              strong: {"id": "cloud", "backend": "openai", "model": "gpt-x", "key_env": "K"}}  # fmt: skip
    doc = policy.export_policy(router, train, models=models, calibration=test, n_boot=100)
    p = policy.Policy(doc)
    renamed = test.select_models([weak, strong])
    renamed = replace(renamed, models=("edge", "cloud"), simulated=())
    a = operating_point(p, test, n_boot=100)
    b = operating_point(p, renamed, n_boot=100)
    for k in ("escalation_share", "quality", "cost_per_1k"):
        assert a[k] == b[k]
    assert b["cheapest"] == "edge"


def test_export_suggests_max_bank_for_a_large_bank(files, split, capsys, monkeypatch):
    from routerlab.cli import policy_cmd

    out = files["dir"] / "knn.json"
    args = ["policy", "export", str(files["same"]), "--router", "knn", "--out", str(out)]
    monkeypatch.setattr(policy_cmd, "BANK_NOTE_ROWS", 10)  # the sample's bank is small
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "MB)" in printed.out and "--param max_bank=1000" in printed.err
    rows = len(policy.load(out).router.bank_)
    assert f"bank of {rows:,} training queries" in printed.err
    # refitted with a bank under the limit: no note, and the bank has at most max_bank rows
    assert main([*args, "--param", "max_bank=8"]) == 0
    assert "max_bank" not in capsys.readouterr().err
    assert len(policy.load(out).router.bank_) <= 8
    # the bank is also found inside ensembles and quality-aware routers
    _, test = split
    ens = make_router("ensemble", members=[{"kind": "knn"}, {"kind": "category"}]).fit(test)
    assert policy_cmd.largest_bank(ens) == len(ens.members_[0].bank_) == test.n
    assert policy_cmd.largest_bank(make_router("quality_aware").fit(test)) == test.n
    assert policy_cmd.largest_bank(make_router("category").fit(test)) == 0
