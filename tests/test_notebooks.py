"""Every notebook chapter (``notebooks/NN_*.py``, jupytext percent format) executed headless.

New chapters are picked up automatically. Each runs in a fresh ``python3`` kernel (the venv's own)
with ``ROUTERLAB_TEST=1`` and a cache folder shared by the chapters of this test session (so the
first chapter pays for cold caches and the rest run warm, like a reader's second run). Executed
notebooks and per-chapter wall times are written to ``tests/artifacts/notebooks/`` (gitignored);
the times are reported, not asserted (the 60 s budget is for a warm cache on the reference machine).

A cheap, always-on check of the chapter cadence (../shared/STYLE.md) runs too: a title, a setup
cell, short cells, and "Recap" / "Next" sections.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
ARTIFACTS = ROOT / "tests" / "artifacts" / "notebooks"
CHAPTERS = sorted(NB_DIR.glob("[0-9][0-9]_*.py"))
#: Seconds per cell before a chapter fails (the first cell may import torch and build caches).
CELL_TIMEOUT = int(os.environ.get("ROUTERLAB_NB_CELL_TIMEOUT", "300"))
#: Longest code cell the cadence allows (STYLE.md: at most ~10 lines; >15 becomes a helper).
MAX_CELL_LINES = 15
MAX_SETUP_LINES = 25


def _ids(paths):
    return [p.stem for p in paths]


def _read(path: Path):
    import jupytext

    return jupytext.read(path)


@pytest.fixture(scope="session")
def chapter_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("routerlab-cache")


def test_there_are_chapters():
    assert CHAPTERS, f"no chapters found in {NB_DIR}"
    numbers = [p.name[:2] for p in CHAPTERS]
    assert len(numbers) == len(set(numbers)), f"two chapters share a number: {numbers}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_cadence(path: Path):
    nb = _read(path)
    cells = nb.cells
    md = [c for c in cells if c.cell_type == "markdown"]
    code = [c for c in cells if c.cell_type == "code"]
    assert cells and cells[0].cell_type == "markdown", "a chapter starts with its title in markdown"
    assert re.match(r"^# ", cells[0].source.lstrip()), "the first cell starts with a '# Title'"
    assert code, "a chapter has code"
    heads = "\n".join(c.source for c in md)
    assert re.search(r"^#+ *Recap", heads, re.M), "a chapter ends with a 'Recap' section"
    assert re.search(r"^#+ *Next", heads, re.M), "a chapter ends with a 'Next' section"
    # The set-up cell (imports, loading the data) may be longer than the others.
    long = [
        (i, len(c.source.splitlines()))
        for i, c in enumerate(code)
        if len(c.source.splitlines()) > (MAX_SETUP_LINES if i == 0 else MAX_CELL_LINES)
    ]
    assert not long, f"code cells longer than {MAX_CELL_LINES} lines (index, lines): {long}"
    for c in code:
        assert not re.search(r"^\s*(def|class) ", c.source, re.M), (
            "no library code in notebooks: move functions and classes into routerlab/"
        )


@pytest.mark.slow
@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_executes(path: Path, chapter_cache: Path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # The kernel is a child process: it inherits this environment.
    monkeypatch.setenv("ROUTERLAB_TEST", "1")
    monkeypatch.setenv("ROUTERLAB_CACHE", str(chapter_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = _read(path)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NB_DIR)}},
    )
    t0 = time.perf_counter()
    try:
        client.execute()
    finally:
        seconds = time.perf_counter() - t0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, ARTIFACTS / f"{path.stem}.ipynb")
        (ARTIFACTS / f"{path.stem}.json").write_text(
            json.dumps({"chapter": path.stem, "seconds": round(seconds, 2)})
        )
        print(f"\n{path.stem}: executed in {seconds:.1f} s")
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last.get("outputs"), "the last code cell shows the number the reader can check"
