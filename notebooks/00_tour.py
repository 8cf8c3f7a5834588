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
# # 00 · Tour and set-up check
#
# This chapter checks that everything the workshop needs is on this machine — the kit, two small
# local models, an embedding model, offline charts and the bundled sample workload — and shows
# the path we will walk: from one cached model call to a routing policy exported as JSON. It needs
# only `make setup`: no network, no API key, no GPU. It runs in about ten seconds.

# %%
from importlib.metadata import version

import routerlab
from routerlab import charts
from routerlab.charts_export import enable_offline
from routerlab.embeddings import encoder_info
from routerlab.models.gguf import gemma3_path, smollm2_path
from routerlab.workloads.bundled import load_support_desk

enable_offline()  # charts render without a CDN (JupyterLab and Notebook 7)

# %% [markdown]
# ## What is installed
#
# The versions below are the ones these chapters were written against.

# %%
packages = ["routerlab", "numpy", "pandas", "altair", "ipywidgets", "llama_cpp_python"]
{p: version(p) for p in packages + ["sentence-transformers", "jupyterlab"]}

# %% [markdown]
# Two local models ship inside Python wheels: **SmolLM2-135M-Instruct** (a chat model) and
# **gemma-3-270m** (a base model, used with few-shot prompts). They play the cheap "edge" tier.

# %%
{p.name: f"{p.stat().st_size / 2**20:.0f} MiB" for p in (smollm2_path(), gemma3_path())}

# %% [markdown]
# Learned routers read queries through sentence embeddings (all-MiniLM-L6-v2, also from a wheel).
# Nothing is downloaded: the model folder is local.

# %%
encoder_info()

# %% [markdown]
# ## The path through the kit
#
# Five things carry the whole workshop:
#
# 1. a **Completion** — one model answer with its tokens, latency and cost (chapter 01);
# 2. a **Workload** — the questions, their references and how to grade them (chapter 02);
# 3. **Outcomes** — for every query and every model: quality, cost, latency (chapter 02);
# 4. a **Router** — a score per query and a threshold (chapters 03–09);
# 5. a **Policy** — the chosen router and its expected operating point, as JSON (chapter 10).
#
# ## The bundled sample
#
# A customer-support desk: short classification, extraction, reformatting and lookup questions.
# The two local models were really recorded on it. The cloud tier is either your own recording
# (chapter 11) or two **scenario models, marked "(simulated)"**: plausible numbers, not real calls.

# %%
outcomes = load_support_desk()
outcomes

# %% [markdown]
# One row per model: mean quality, total cost and mean latency over the whole sample.

# %%
outcomes.summary().round(4)

# %% [markdown]
# The same numbers on the cost–quality plane, the picture the rest of the workshop keeps coming
# back to. Up is better, left is cheaper.

# %%
charts.cost_quality(outcomes, title="The bundled models on the cost–quality plane")

# %% [markdown]
# ## Recap
#
# - The kit, both local models, the embedding model and offline charts are in place.
# - The bundled support-desk sample loads from disk; scenario models say "(simulated)".
# - A chart is a plain function call returning an Altair chart.
#
# ## Next
#
# Chapter 01 makes real calls to the local model, caches them, and counts tokens, latency and
# cost. Before moving on, check the number below: the sample has **600** queries.

# %%
outcomes.n
