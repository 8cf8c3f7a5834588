"""Fixtures for the real-browser tests: a private JupyterLab server and Debian's chromium.

- ``lab``: JupyterLab on 127.0.0.1 (free port, no token, ``--allow-root``) serving a temporary root
  folder, with private ``JUPYTER_CONFIG_DIR`` / ``JUPYTER_DATA_DIR`` / ``JUPYTER_RUNTIME_DIR`` /
  ``JUPYTERLAB_SETTINGS_DIR`` / ``JUPYTERLAB_WORKSPACES_DIR`` and the news toast off. Kernels inherit
  this process's environment plus ``ROUTERLAB_TEST=1``. Stopped with SIGTERM at the end.
- ``browser``: chromium from ``/usr/bin/chromium`` through Playwright (nothing is downloaded; CI
  installs the Debian package with apt-get when it is missing).
- ``page``: a fresh page (1400 x 1000) per test.

Screenshots go to ``tests/artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
CHROMIUM = os.environ.get("ROUTERLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str
    root: Path
    proc: subprocess.Popen
    log: Path

    def api(self, path: str):
        with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as r:
            return json.loads(r.read())

    def add_chapter(self, source: Path, suffix: str = "") -> str:
        """Write the .ipynb of a jupytext chapter into the server's root; returns its file name."""
        import jupytext

        nb = jupytext.read(source)
        nb.metadata.setdefault(
            "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
        )
        name = f"{source.stem}{suffix}.ipynb"
        jupytext.write(nb, self.root / name, fmt="ipynb")
        return name


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (.ci/run does it)")
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "workspaces",
    }
    for d in dirs.values():
        d.mkdir()
    news = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}}
    env.update(ROUTERLAB_TEST="1", HF_HUB_OFFLINE="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    port = _free_port()
    log = base / "lab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    server = Lab(f"http://127.0.0.1:{port}", root, proc, log)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            server.api("/api/status")
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
    yield server
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(log, ARTIFACTS / "lab.log")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (.ci/run does it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    ctx.close()


@pytest.fixture
def screenshot():
    """``screenshot(page_or_locator, name)`` saves tests/artifacts/browser/<name>.png."""

    def save(target, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        target.screenshot(path=str(path))
        return path

    return save
