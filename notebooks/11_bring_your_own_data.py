# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · Bringing your own data
#
# Everything so far ran on the bundled support-desk sample. Every tool in the kit reads one thing —
# an outcome table — so your own data only has to become one. This chapter writes small example
# files in the three shapes the loader understands (a **RouteLLM** folder of wide CSVs, a
# **RouterBench** table, and the **generic long** format), loads each with one call, and evaluates a
# router on one of them. The last section records real outcomes from your own OpenAI-compatible
# endpoint, and runs only when `ROUTERLAB_ENDPOINT` is set. Offline otherwise; runs in seconds.
# The example files are cut from the bundled sample, so the **scenario (simulated)** columns appear
# in them too (the long format carries a `simulated` flag; the wide formats cannot).

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from routerlab import evaluate
from routerlab.loaders import load_outcomes
from routerlab.workloads.bundled import load_support_desk, support_desk_workload

folder = Path(tempfile.mkdtemp(prefix="routerlab-ch11-"))
sample = (
    load_support_desk().select_models(["gemma3-270m", "scenario:frontier"]).subset(range(0, 600, 5))
)
sample

# %% [markdown]
# ## RouteLLM: a folder of wide CSVs
#
# RouteLLM releases one CSV per subject (`mmlu_<subject>.csv`): a `prompt` column and one True/False
# column per model. The file name becomes the category. Our sample, one file per category:

# %%
wide = sample.queries[["prompt", "category"]].assign(
    **{m: sample.quality[:, j] >= 0.5 for j, m in enumerate(sample.models)}
)
(folder / "routellm").mkdir()
for cat, part in wide.groupby("category"):
    part.drop(columns="category").to_csv(folder / "routellm" / f"mmlu_{cat}.csv", index=False)
sorted(p.name for p in (folder / "routellm").iterdir())

# %% [markdown]
# One call reads the folder:

# %%
routellm = load_outcomes(folder / "routellm")
routellm, routellm.summary()[["quality"]].round(3).T

# %% [markdown]
# ## RouterBench: one wide table with `model|total_cost` columns
#
# RouterBench (Martian) ships pickles with one performance column per model plus
# `<model>|total_cost` and `<model>|model_response`; the same shape as a CSV loads the same way
# (a pickle loads too, but only from a path you trust: unpickling runs code).

# %%
rb = sample.queries[["query_id", "prompt", "category"]].rename(
    columns={"query_id": "sample_id", "category": "eval_name"}
)
for j, m in enumerate(sample.models):
    rb[m], rb[f"{m}|total_cost"] = sample.quality[:, j], sample.cost[:, j]
rb.to_csv(folder / "routerbench.csv", index=False)
rb.head(3)

# %%
routerbench = load_outcomes(folder / "routerbench.csv")
routerbench, routerbench.meta

# %% [markdown]
# ## The generic long format
#
# One row per (query, model): `prompt`, `model`, `quality`, and whatever else you have — `category`,
# `cost_usd`, `latency_s`, tokens, `response`, `confidence`, `simulated`. This is the format to log
# production traffic in; `Outcomes.to_long()` writes it.

# %%
long = sample.to_long()
long.to_json(folder / "outcomes.jsonl", orient="records", lines=True)
long[["query_id", "category", "model", "quality", "cost_usd", "latency_s", "simulated"]].head(4)

# %% [markdown]
# Loading it back gives the same table — quality, costs, and the simulated flag:

# %%
back = load_outcomes(folder / "outcomes.jsonl")
bool(np.array_equal(back.quality, sample.quality)), back.simulated

# %% [markdown]
# ## Any of them, straight into the evaluation
#
# The RouteLLM folder has no costs (only correct / incorrect), so the cost axis counts strong calls.
# A category router, cross-fitted, with intervals:

# %%
ev = evaluate.evaluate_routers(
    routellm, "scenario:frontier", "gemma3-270m", routers=["category"], folds=3, n_boot=300
)
ev.table[["apgr", "apgr_lo", "apgr_hi", "cpt50", "cpt80"]].round(3)

# %% [markdown]
# The same call runs from the shell: `routerlab eval FOLDER --strong A --weak B`. Public files
# (RouteLLM's MMLU and GSM8K outcomes, RouterBench) are fetched by `routerlab.loaders.download` when
# you are online.
#
# ## Recording your own endpoint (optional)
#
# `record` sends a workload through any backend — here your endpoint from `ROUTERLAB_ENDPOINT`
# (e.g. `openai:gpt-4o-mini`, key in `OPENAI_API_KEY`) — through the call cache, grades each answer
# with the workload's graders and writes the long format. Five queries as a trial:

# %%
spec = os.environ.get("ROUTERLAB_ENDPOINT")
if spec:
    from routerlab.record import record

    mine = record(
        support_desk_workload().head(5), [spec], out=folder / "mine.jsonl", progress=False
    )
    print(mine.summary()[["quality", "cost_usd", "latency_s"]])
else:
    print("skipped: set ROUTERLAB_ENDPOINT (e.g. openai:gpt-4o-mini) to record your endpoint")

# %% [markdown]
# For the full workload, from the shell: `routerlab record support-desk --models frontier` writes the
# real cloud recording that `load_support_desk()` then uses **instead of** the scenario columns.
#
# ## Recap
#
# - RouteLLM folders, RouterBench tables and the generic long format load with one call.
# - The long format round-trips exactly, including which columns are simulated.
# - Every chapter's tools run unchanged on a loaded table.
# - `record` turns your endpoint into real outcomes, cached and graded.
#
# ## Next
#
# That is the workshop: from a cached call to an exported policy. Run `routerlab demo` for the
# whole path in one command. Check the number below: the rows of the long file (queries × models).

# %%
len(long)
