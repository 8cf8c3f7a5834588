"""`routerlab outcomes`: table, simulated labels, JSON on the last line, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from routerlab.cli import main
from routerlab.outcomes import Outcomes


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def long_file(tmp_path):
    q = pd.DataFrame({"prompt": ["a", "b", "c", "d"], "category": ["x", "x", "y", "z"]})
    o = Outcomes.from_arrays(
        q,
        ["edge"],
        quality=[[1.0], [0.0], [0.5], [1.0]],
        latency=[[0.1], [0.3], [0.2], [0.2]],
    ).with_model("scenario:frontier", np.ones(4), simulated=True, cost=np.full(4, 0.25))
    p = tmp_path / "o.jsonl"
    o.to_long().to_json(p, orient="records", lines=True)
    return p


def test_json_last_line(long_file, capsys):
    assert main(["outcomes", str(long_file), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert "scenario:frontier (simulated)" in "\n".join(out)
    info = json.loads(out[-1])
    assert list(info) == ["n", "models", "categories"]
    assert info["n"] == 4 and info["categories"] == {"x": 2, "y": 1, "z": 1}
    edge = info["models"]["edge"]
    assert edge == {
        "quality": pytest.approx(0.625),
        "cost_usd": None,
        "latency_s": pytest.approx(0.2),
    }
    front = info["models"]["scenario:frontier"]
    assert front["quality"] == 1.0 and front["cost_usd"] == pytest.approx(1.0)
    assert front["latency_s"] is None


def test_table_without_json(long_file, capsys):
    assert main(["outcomes", str(long_file)]) == 0
    out = capsys.readouterr().out
    assert "4 queries" in out and "edge" in out and not out.strip().splitlines()[-1].startswith("{")


def test_exclude_and_rescale(tmp_path, capsys):
    p = tmp_path / "judged.csv"
    pd.DataFrame(
        {"prompt": ["a", "a", "b", "b"], "model": ["m", "n", "m", "n"], "quality": [1, 10, 10, 10]}
    ).to_csv(p, index=False)
    ex = tmp_path / "ex.jsonl"
    ex.write_text('{"eval_prompt": "b"}\n')
    assert main(["outcomes", str(p), "--rescale", "1", "10", "--exclude", str(ex), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    info = json.loads(out[-1])
    assert info["n"] == 1 and info["models"]["m"]["quality"] == 0.0
    assert "(1 excluded)" in out[0]


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["outcomes", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: file not found") and err.count("\n") == 1
    p = tmp_path / "scores.jsonl"
    p.write_text('{"prompt": "a", "model": "m", "quality": 7}\n')
    assert main(["outcomes", str(p)]) == 2
    assert "rescale" in capsys.readouterr().err


def test_console_entry_point(long_file):
    r = subprocess.run(
        [sys.executable, "-m", "routerlab.cli", "outcomes", str(long_file), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(r.stdout.strip().splitlines()[-1])["n"] == 4
