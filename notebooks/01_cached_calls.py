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
# # 01 · Cached model calls
#
# Every routing decision starts with model calls, and calls cost tokens, seconds and dollars. This
# chapter calls the bundled local model (SmolLM2-135M) for real, stores every answer in a disk
# cache so nothing is paid for twice, and reads the accounting: tokens in and out, latency, cost.
# It needs nothing beyond `make setup`. If you have an OpenAI-compatible endpoint, set
# `ROUTERLAB_ENDPOINT` (e.g. `openai:gpt-4o-mini`, or `openai:MODEL@http://127.0.0.1:8080/v1`)
# before starting Jupyter and the last section calls it too; otherwise that section is skipped.

# %%
import os

from routerlab.cache import CallCache
from routerlab.models import TIERS, get_backend
from routerlab.runner import run_batch
from routerlab.workloads.bundled import support_desk_workload

cache = CallCache(namespace="chapter-01")
cache.clear()  # start cold, so the first call below really runs the model
edge = get_backend("gguf:smollm2-135m")

# %% [markdown]
# ## One live call
#
# `cache.complete` looks the call up first; on a miss it runs the model and stores the answer.

# %%
question = "What is the capital of France? Answer with one word."
first = cache.complete(edge, question, max_tokens=16)
first

# %% [markdown]
# A `Completion` carries everything we will account for later.

# %%
first.text, first.tokens_in, first.tokens_out, f"{first.latency_s:.2f} s", first.cached

# %% [markdown]
# ## The same call again
#
# The key is a hash of the model file, the parameters and the prompt, so the identical call is a
# hit: no model runs, and the answer says `cached=True`.

# %%
again = cache.complete(edge, question, max_tokens=16)
again.cached, again.text == first.text

# %% [markdown]
# The stats count what the cache saved. The latency saved is the original call's latency.

# %%
cache.stats()

# %% [markdown]
# Anything that changes the answer changes the key — here a different `max_tokens`:

# %%
cache.complete(edge, question, max_tokens=17).cached

# %% [markdown]
# ## A small batch
#
# `run_batch` calls every model on every prompt, through the same cache, with a progress bar and
# per-item errors instead of exceptions. Five questions from the bundled workload:

# %%
five = support_desk_workload().head(5)
batch = run_batch(edge, five.prompts, ids=five.ids, params={"max_tokens": 32}, cache=cache)
batch.summary()

# %% [markdown]
# Run it again: every answer comes from the cache.

# %%
rerun = run_batch(edge, five.prompts, ids=five.ids, params={"max_tokens": 32}, cache=cache)
bool(rerun.df["cached"].all()), f"{rerun.elapsed_s:.2f} s instead of {batch.elapsed_s:.2f} s"

# %% [markdown]
# ## Cost accounting
#
# A local model costs nothing per token by default (you may add the hardware's cost per token,
# chapter 06). Cost is always computed from the real token counts, so we can price the same
# tokens at hosted list prices:

# %%
tin, tout = int(batch.df["tokens_in"].sum()), int(batch.df["tokens_out"].sum())
{tier: f"${TIERS[tier].cost(tin, tout):.6f}" for tier in ("local", "efficient", "frontier")}

# %% [markdown]
# ## An OpenAI-compatible endpoint (optional)
#
# Only when `ROUTERLAB_ENDPOINT` is set. The API key is read from `OPENAI_API_KEY` (never stored
# in the cache or in logs).

# %%
spec = os.environ.get("ROUTERLAB_ENDPOINT")
if spec:
    remote = cache.complete(get_backend(spec), question, max_tokens=16)
    print(remote.model, repr(remote.text), remote.tokens_in, remote.tokens_out, remote.cost_usd)
else:
    print("skipped: set ROUTERLAB_ENDPOINT (e.g. openai:gpt-4o-mini) to call your endpoint")

# %% [markdown]
# ## Recap
#
# - A backend turns a prompt into a `Completion`: text, tokens, latency, cost.
# - The call cache keys on model + parameters + prompt; identical calls are free and instant.
# - Cost comes from real tokens times a price; local models can carry a hardware price.
#
# ## Next
#
# Chapter 02 turns many such calls into an outcome table: queries × models, graded.
# Check the number below: **6** cache hits (one repeated call, then five in the rerun).

# %%
cache.stats().hits
