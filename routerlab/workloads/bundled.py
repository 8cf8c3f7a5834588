"""Bundled samples: workloads and outcome tables that ship with routerlab and work offline.

``support-desk`` (see :mod:`routerlab.workloads.support_desk` and ``datasets/support-desk/README.md``):

- ``datasets/support-desk/workload.jsonl``: 600 generated queries;
- ``datasets/support-desk/outcomes-local.jsonl``: real recorded answers of the two local models
  ``smollm2-135m`` and ``gemma3-270m`` (text, tokens, latency, graded quality);
- the cloud tier: if a real recording exists (``routerlab record support-desk --models frontier``
  writes it), its model columns are used; otherwise two **simulated** columns
  ``scenario:frontier`` and ``scenario:efficient`` (:mod:`routerlab.scenario`), labelled as such.

The real cloud recording is looked up at ``$ROUTERLAB_CLOUD_OUTCOMES`` if set, else
``<datasets>/support-desk/outcomes-cloud.jsonl`` (``<datasets>`` is ``$ROUTERLAB_DATASETS`` or the
repository's ``datasets/`` folder). :func:`cloud_outcomes_path` gives the path in use.

Examples
--------
>>> o = load_support_desk()                                   # doctest: +SKIP
>>> o.models                                                  # doctest: +SKIP
('smollm2-135m', 'gemma3-270m', 'scenario:frontier', 'scenario:efficient')
"""

from __future__ import annotations

import os
from pathlib import Path

from ..config import datasets_dir
from ..errors import RouterlabError
from .workload import Workload

SUPPORT_DESK = "support-desk"
#: The local models recorded in ``outcomes-local.jsonl``.
LOCAL_MODELS = ("smollm2-135m", "gemma3-270m")
#: The scenario columns used when no real cloud recording exists.
SCENARIOS = ("frontier", "efficient")


def sample_dir(name: str = SUPPORT_DESK) -> Path:
    return datasets_dir() / name


def cloud_outcomes_path(name: str = SUPPORT_DESK) -> Path:
    """Where a real cloud recording of a bundled workload is read from (and written by default)."""
    env = os.environ.get("ROUTERLAB_CLOUD_OUTCOMES")
    if env:
        return Path(env).expanduser()
    return sample_dir(name) / "outcomes-cloud.jsonl"


def support_desk_workload() -> Workload:
    """The bundled support-desk workload (the committed file; regenerated if it is missing)."""
    path = sample_dir(SUPPORT_DESK) / "workload.jsonl"
    if path.exists():
        return Workload.load(path, name=SUPPORT_DESK)
    from .support_desk import generate

    return generate()


def load_support_desk(scenario: bool = True, cloud: bool | str | os.PathLike = True, seed: int = 0):
    """The support-desk outcome table: local recordings + the cloud tier (real if recorded).

    Parameters
    ----------
    scenario : bool
        Add the simulated ``scenario:frontier`` and ``scenario:efficient`` columns when no real
        cloud recording is used.
    cloud : bool or path
        ``True``: use :func:`cloud_outcomes_path` when that file exists; a path: use that file;
        ``False``: ignore real cloud recordings. Only models not already among the local ones are
        added; if the file adds none, the scenario columns are used as without it.
    seed : int
        Seed of the scenario columns.

    Returns
    -------
    Outcomes
        ``meta["cloud"]`` is ``"recorded"`` (with ``meta["cloud_path"]``), ``"scenario"`` or ``"none"``.
    """
    from ..record import read_recording

    workload = support_desk_workload()
    local_path = sample_dir(SUPPORT_DESK) / "outcomes-local.jsonl"
    if not local_path.exists():
        raise RouterlabError(
            f"the recorded local outcomes are missing ({local_path}): run `routerlab record "
            "support-desk --models gguf:smollm2-135m,gguf:gemma3-270m --out "
            + str(local_path)
            + "`"
        )
    out = read_recording(local_path, workload, name=SUPPORT_DESK)
    cloud_path = None
    if cloud is True:
        p = cloud_outcomes_path(SUPPORT_DESK)
        cloud_path = p if p.exists() else None
    elif cloud:
        cloud_path = Path(cloud).expanduser()
        if not cloud_path.exists():
            raise RouterlabError(f"cloud outcomes file not found: {cloud_path}")
    added = []
    if cloud_path is not None:
        real = read_recording(cloud_path, workload, name=SUPPORT_DESK)
        for j, m in enumerate(real.models):
            if m in out.models:
                continue
            added.append(m)
            resp = None if real.responses is None else real.responses[:, j]
            out = out.with_model(
                m,
                real.quality[:, j],
                responses=resp,
                cost=real.cost[:, j],
                latency=real.latency[:, j],
                tokens_in=real.tokens_in[:, j],
                tokens_out=real.tokens_out[:, j],
                confidence=real.confidence[:, j],
            )
    if added:
        meta = {
            **out.meta,
            "cloud": "recorded",
            "cloud_path": str(cloud_path),
            "cloud_models": added,
        }
    elif scenario:
        from ..scenario import add_scenarios

        out = add_scenarios(out, SCENARIOS, seed=seed)
        meta = {**out.meta, "cloud": "scenario"}
    else:
        meta = {**out.meta, "cloud": "none"}
    from dataclasses import replace

    return replace(out, meta=meta)


#: Bundled outcome tables by name (used by :func:`routerlab.loaders.load_outcomes`).
BUNDLED = {SUPPORT_DESK: load_support_desk}
#: Bundled workloads by name (used by :func:`routerlab.workloads.load_workload` and ``routerlab record``).
WORKLOADS = {SUPPORT_DESK: support_desk_workload}
