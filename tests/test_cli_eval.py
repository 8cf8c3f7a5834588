"""``routerlab eval`` end to end in a subprocess: generic long and RouteLLM-shaped inputs, bad inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from routerlab.outcomes import Outcomes


def run_cli(*args, tmp_path):
    env = dict(os.environ, ROUTERLAB_CACHE=str(tmp_path / "cache"))
    return subprocess.run(
        [sys.executable, "-m", "routerlab", "eval", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture
def long_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    diff = rng.random(n)
    cats = np.where(diff > 0.6, "math", np.where(diff > 0.3, "code", "chat"))
    q = pd.DataFrame(
        {"prompt": [f"{c} question {i}" for i, c in enumerate(cats)], "category": cats}
    )
    # graded quality
    qw = np.clip(1 - diff + rng.normal(0, 0.1, n), 0, 1).round(3)
    qs = np.clip(1 - diff / 3 + rng.normal(0, 0.1, n), 0, 1).round(3)
    o = Outcomes.from_arrays(
        q, ["small", "large"], quality=np.c_[qw, qs], cost=np.tile([0.0002, 0.003], (n, 1))
    )
    path = tmp_path / "long.csv"
    o.to_long().to_csv(path, index=False)
    return path


@pytest.fixture
def routellm_dir(tmp_path):
    rng = np.random.default_rng(1)
    d = tmp_path / "mmlu"
    d.mkdir()
    for subject, p_w, p_s in [("algebra", 0.4, 0.8), ("history", 0.8, 0.85), ("law", 0.5, 0.7)]:
        n = 40
        pd.DataFrame(
            {
                "prompt": [f"{subject} question {i}\nA. x\nB. y\nAnswer:" for i in range(n)],
                "mistralai/Mixtral-8x7B-Instruct-v0.1": rng.random(n) < p_w,
                "gpt-4-1106-preview": rng.random(n) < p_s,
            }
        ).to_csv(d / f"mmlu_{subject}.csv", index=False)
    return d


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_eval_generic_long_graded(long_csv, tmp_path):
    r = run_cli(
        long_csv,
        "--strong",
        "large",
        "--weak",
        "small",
        "--routers",
        "category",
        "--folds",
        "3",
        "--n-boot",
        "200",
        "--json",
        tmp_path=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    d = _last_json(r.stdout)
    assert d["n"] == 120 and d["strong"] == "large" and d["weak"] == "small"
    assert set(d["routers"]) == {"random", "oracle", "category"}
    for m in d["routers"].values():
        assert {"apgr", "apgr_ci", "cpt50", "cpt80", "aiq"} <= set(m)
        assert m["apgr_ci"][0] <= m["apgr"] <= m["apgr_ci"][1]
    assert d["routers"]["category"]["apgr"] > d["routers"]["random"]["apgr"]
    assert d["best"] == "category"
    assert "APGR" in r.stdout and "category" in r.stdout  # the readable table


def test_eval_routellm_folder_defaults(routellm_dir, tmp_path):
    r = run_cli(
        routellm_dir,
        "--routers",
        "random,category",
        "--folds",
        "4",
        "--n-boot",
        "100",
        "--floor",
        "0.95",
        "--json",
        tmp_path=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    d = _last_json(r.stdout)
    assert d["strong"] == "gpt-4-1106-preview"  # default: the better model
    assert d["n"] == 120
    assert 0 <= d["routers"]["oracle"]["share_at_floor"] <= d["routers"]["random"]["share_at_floor"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--strong", "gpt-9"], "not in the table"),
        (["--folds", "500"], "at most 120 folds"),
        (["--floor", "1.9"], "cannot be met"),
        (["--floor", "-1"], "ratio to the strong"),
        (["--routers", "nope"], "unknown router"),
        (["--strong", "gpt-4-1106-preview", "--weak", "gpt-4-1106-preview"], "two different"),
    ],
)
def test_eval_bad_inputs_one_line_exit_2(routellm_dir, tmp_path, extra, message):
    r = run_cli(routellm_dir, "--n-boot", "20", "--routers", "random", *extra, tmp_path=tmp_path)
    assert r.returncode == 2
    err = [line for line in r.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(err) == 1 and message in err[0], r.stderr
    assert "Traceback" not in r.stderr


def test_eval_fewer_than_two_models(long_csv, tmp_path):
    df = pd.read_csv(long_csv)
    one = tmp_path / "one.csv"
    df[df["model"] == "small"].to_csv(one, index=False)
    r = run_cli(one, tmp_path=tmp_path)
    assert r.returncode == 2
    assert "at least two models" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_eval_all_default_routers(long_csv, tmp_path):
    """Every registered router runs on a small table, or is skipped with its reason."""
    from routerlab.routers import REGISTRY

    r = run_cli(
        long_csv,
        "--strong",
        "large",
        "--weak",
        "small",
        "--folds",
        "3",
        "--n-boot",
        "100",
        "--json",
        tmp_path=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    d = _last_json(r.stdout)
    ran, skipped = set(d["routers"]), set(d["skipped"])
    assert ran | skipped == set(REGISTRY) - {"fixed"}
    assert {"random", "oracle"} <= ran and len(ran) >= 6
    for name in ran:
        m = d["routers"][name]
        assert m["apgr_ci"][0] <= m["apgr"] <= m["apgr_ci"][1]
    for name in skipped:
        assert f"skipped {name}:" in r.stdout
    assert d["best"] in ran - {"random", "oracle"}
