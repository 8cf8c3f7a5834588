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
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _LOCAL.exists(), reason=f"bundled recording missing: {_LOCAL}"),
]


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


def test_demo_rerun_is_served_from_the_cache(demo_run):
    out, _ = demo_run
    again = routerlab("demo", "--out", str(out), "--quiet")
    assert again.returncode == 0, again.stderr
    m = re.search(r"live calls: (\d+) to the local model, (\d+) from the cache", again.stdout)
    assert m and m.group(1) == m.group(2), again.stdout
    assert "[1/5]" not in again.stdout  # --quiet prints the summary only


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
