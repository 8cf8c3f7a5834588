"""``routerlab demo`` as a user runs it (a subprocess): report.html, policy.json, summary, re-run cached."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from routerlab.config import datasets_dir

_LOCAL = datasets_dir() / "support-desk" / "outcomes-local.jsonl"
pytestmark = pytest.mark.slow
needs_bundle = pytest.mark.skipif(
    not _LOCAL.exists(), reason=f"bundled recording missing: {_LOCAL}"
)


def routerlab(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "routerlab", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    first = routerlab("demo", "--out", str(out))
    return out, first


@needs_bundle
def test_demo_writes_report_and_policy(demo_run):
    out, run = demo_run
    assert run.returncode == 0, run.stderr
    text = run.stdout
    for part in ("live calls:", "routers (", "policy:", "held-out (", "wrote "):
        assert part in text, text
    report = (out / "report.html").read_text(encoding="utf-8")
    # charts embedded (Vega-Lite specs rendered by inlined JavaScript), scenario models labelled
    n_charts = report.count("vegaEmbed('#rl-chart-")
    assert n_charts >= 4, n_charts
    assert "(simulated)" in report and "scenario models" in report
    assert "Cross-fitted router curves" in report and "Held-out quality per category" in report
    assert "<script src=" not in report  # nothing fetched from the network

    from routerlab import policy

    pol = policy.load(out / "policy.json")
    doc = json.loads((out / "policy.json").read_text())
    assert doc["expected"]["n"] > 0 and doc["provenance"]["calibration_n"] == doc["expected"]["n"]
    d = pol.route("Reformat the date 2024-03-07 as DD/MM/YYYY.")
    assert d.model in pol.models and d.reason
    pii = pol.route("Send the invoice to jane.doe@example.com please")
    if pol.pii_rule is not None:
        assert pii.pii and pii.model in pol.pii_rule["allow"]


@needs_bundle
def test_demo_rerun_is_served_from_the_cache(demo_run):
    out, _ = demo_run
    again = routerlab("demo", "--out", str(out), "--quiet")
    assert again.returncode == 0, again.stderr
    m = re.search(r"live calls: (\d+) to the local model, (\d+) from the cache", again.stdout)
    assert m and m.group(1) == m.group(2), again.stdout
    assert "[1/5]" not in again.stdout  # --quiet prints the summary only


@needs_bundle
def test_demo_bad_input_is_one_line(tmp_path):
    for args, fragment in (
        (("--floor", "contract"), "CATEGORY=VALUE"),
        (("--weak", "nope"), "nope"),
        (("--live", "-1"), "--live"),
    ):
        r = routerlab("demo", "--out", str(tmp_path / "o"), "--live", "0", *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.startswith("error:") and fragment in r.stderr
        assert "Traceback" not in r.stderr


def _synthetic(n=240, seed=0):
    import numpy as np
    import pandas as pd

    from routerlab.outcomes import Outcomes

    rng = np.random.default_rng(seed)
    cats = np.array(["lookup", "contract", "extract"])[np.arange(n) % 3]
    q = pd.DataFrame(
        {
            "prompt": [f"question {i} about {c}" for i, c in enumerate(cats)],
            "category": cats,
            "contains_pii": (np.arange(n) % 10) == 0,
            "stakes": np.where(cats == "contract", 5.0, 1.0),
        }
    )
    p_edge = np.where(cats == "contract", 0.3, 0.85)
    quality = np.column_stack([rng.random(n) < p_edge, rng.random(n) < 0.95]).astype(float)
    cost = np.column_stack([np.zeros(n), np.full(n, 1e-3)])
    latency = np.column_stack([np.full(n, 0.4), np.full(n, 1.2)])
    return Outcomes.from_arrays(
        q,
        ["gemma3-270m", "scenario:frontier"],
        quality=quality,
        cost=cost,
        latency=latency,
        simulated=["scenario:frontier"],
        name="synthetic",
    )


def test_run_demo_on_a_given_table(tmp_path):
    """The pipeline without live calls on a small table: a feasible policy that meets the floor."""
    from routerlab import policy
    from routerlab.demo import run_demo

    res = run_demo(
        tmp_path, n_live=0, outcomes=_synthetic(), routers=("category",), n_boot=100,
        target=0.8, floors={"contract": 0.85}, echo=None,
    )  # fmt: skip
    assert res.choice.feasible and res.choice.by_category["contract"] >= 0.85
    assert res.weak == "gemma3-270m" and res.strong == "scenario:frontier"
    pol = policy.load(res.policy_path)
    assert pol.pii_rule is not None and pol.pii_rule["allow"] == ["gemma3-270m"]
    # the category router escalates contracts, keeps lookups on the edge
    assert pol.route("a contract question", category="contract").model == "scenario:frontier"
    assert pol.route("a lookup question", category="lookup").model == "gemma3-270m"
    html = res.report_path.read_text(encoding="utf-8")
    assert "(simulated)" in html and html.count("vegaEmbed('#rl-chart-") >= 4
    assert "Live calls skipped." in html
    assert "policy: category" in res.summary and "held-out (" in res.summary
