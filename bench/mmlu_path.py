"""Where the benchmarks find RouteLLM's MMLU outcome files (public data, used by path, never committed).

``ROUTELLM_MMLU`` is ``$ROUTERLAB_MMLU_DIR`` or ``../shared/data/routellm-mmlu`` next to the repository;
:func:`mmlu_dir` returns it only if it holds ``mmlu_*.csv`` files. Outside the development machine
get the same files with ``routerlab.loaders.download("routellm-mmlu")`` and point the variable at them.

Run as a script it prints the path in use (or null) as JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROUTELLM_MMLU = Path(os.environ.get("ROUTERLAB_MMLU_DIR", "../shared/data/routellm-mmlu"))
if not ROUTELLM_MMLU.is_absolute():
    ROUTELLM_MMLU = (REPO / ROUTELLM_MMLU).resolve()


def mmlu_dir() -> Path | None:
    """The MMLU folder when present, else None (benchmarks then fall back to the bundled sample)."""
    if ROUTELLM_MMLU.is_dir() and any(ROUTELLM_MMLU.glob("mmlu_*.csv")):
        return ROUTELLM_MMLU
    return None


if __name__ == "__main__":
    d = mmlu_dir()
    print(json.dumps({"routellm_mmlu": str(d) if d else None}))
