"""Locations and environment settings shared by the kit."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The root cache folder: ``$ROUTERLAB_CACHE``, else ``$XDG_CACHE_HOME/routerlab`` (``~/.cache``)."""
    env = os.environ.get("ROUTERLAB_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "routerlab"


def datasets_dir() -> Path:
    """The repository's ``datasets/`` folder (bundled sample workloads and recorded outcomes)."""
    env = os.environ.get("ROUTERLAB_DATASETS")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "datasets"
