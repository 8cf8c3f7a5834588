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
# # 05 · Cascades: answer cheaply first, verify, escalate
#
# A router decides *before* any model answers. A cascade lets the cheap model answer first, asks a
# **verifier** whether that answer is good enough, and escalates only when it is not — paying for
# both calls when it escalates. This chapter compares three verifiers: the cheap model's own
# **logprob confidence**, an **LLM judge**, and a **learned verifier** on (query, answer) embeddings;
# it fits each one's threshold and shows the true cost with every stage counted. It needs the
# bundled sample (the local SmolLM2 answers and confidences were really recorded) and runs in under
# a minute. `scenario:efficient` and `scenario:frontier` are **scenario models (simulated)**, and
# the judge is a **declared, simulated judge** (real judging of 600 answers takes minutes).

# %%
import numpy as np
import pandas as pd

from routerlab import charts, evaluate
from routerlab.charts_export import enable_offline
from routerlab.routers import make_router
from routerlab.verifiers import add_judge, confidence_as_probability, simulated_judge
from routerlab.widgets import CascadeExplorer
from routerlab.workloads.bundled import load_support_desk

enable_offline()
cheap, mid, strong = "smollm2-135m", "scenario:efficient", "scenario:frontier"
pair = confidence_as_probability(load_support_desk().select_models([cheap, mid, strong]))
train, test = pair.train_test_split(test_size=0.5, seed=0)

# %% [markdown]
# ## Verifier 1: the model's own confidence
#
# When the local model answers, llama.cpp reports the log-probability of every token it produced;
# the recording keeps their mean, and `confidence_as_probability` (in the setup cell) turns it into
# the geometric-mean token probability: a free confidence score in [0, 1]. Is it *calibrated* — when it says 0.8,
# is the answer right 80% of the time?

# %%
conf, good = train.confidence[:, 0], train.quality[:, 0]
ok = np.isfinite(conf)
charts.reliability(evaluate.reliability(conf[ok], good[ok], bins=8), title="SmolLM2 confidence")

# %%
{
    "ECE": round(evaluate.ece(conf[ok], good[ok]), 3),
    "Brier": round(evaluate.brier(conf[ok], good[ok]), 3),
}

# %% [markdown]
# Calibrated or not, what matters for a cascade is whether the *ranking* separates good answers from
# bad ones; the threshold is then fitted on training data. `fit` picks, per stage, the lowest
# threshold whose accepted answers are on average no worse than the final model's on the same
# queries (a threshold of 2 means "never accept").

# %%
by_conf = make_router("cascade", models=[cheap, strong], verifier="confidence").fit(train)
by_conf.thresholds_, by_conf.simulate(test)

# %% [markdown]
# SmolLM2-135M answers few of these questions correctly, and its confidence does not single those
# out well enough: the fitted cascade may refuse almost every cheap answer. Then the first stage only
# adds latency — compare the p95 latencies in the table below.

# %% [markdown]
# ## Verifier 2: an LLM judge, on a first stage worth keeping
#
# A cascade pays off when the first stage is often good enough: here the efficient cloud tier. A
# judge model reads the question and the answer and says whether it is good. The judge is
# **declared**: it agrees with the grader on 85% of answers (about what strong LLM judges reach
# against human labels). Its scores go into the table as the column `judge:scenario:efficient`.

# %%
two = [mid, strong]
train_j = add_judge(
    train.select_models(two), mid, simulated_judge(train.quality[:, 1], 0.85, seed=0)
)
test_j = add_judge(test.select_models(two), mid, simulated_judge(test.quality[:, 1], 0.85, seed=1))
by_judge = make_router("cascade", models=[mid, strong], verifier="judge", tolerance=0.01)
by_judge.fit(train_j).thresholds_, by_judge.simulate(test_j)

# %% [markdown]
# ## Verifier 3: a learned verifier
#
# Back to the local model: a ridge regression on the embeddings of the query, of SmolLM2's answer
# and of their product, trained to predict the answer's grade. It runs in milliseconds and needs no
# extra model call (it needs the answer texts, which the scenario models do not have).

# %%
by_learned = make_router("cascade", models=[cheap, strong], verifier="learned").fit(train)
by_learned.thresholds_, by_learned.simulate(test)

# %% [markdown]
# ## The true cost: every stage tried
#
# An escalated query pays for the cheap answer *and* the strong one. Side by side with always using
# the strong model (held-out half, cost in $ per 1,000 queries):

# %%
results = {
    "always strong": evaluate.apply(test, [strong] * test.n, weak=cheap, strong=strong),
    "confidence": by_conf.simulate(test),
    "judge, efficient first (simulated)": by_judge.simulate(test_j),
    "learned": by_learned.simulate(test),
}
table = pd.DataFrame({k: r.summary() for k, r in results.items()}).T
table[["mean_quality", "cost_per_1k", "calls_per_query", "escalation_share", "latency_p95"]].astype(
    float
).round(4)

# %% [markdown]
# The judge line ignores the judge's own cost (a real judge is one more model call per query). With
# intervals, against always using the strong model:

# %%
diff = evaluate.compare_results(results, baseline="always strong", n_boot=500)
diff.filter(like="quality").join(diff.filter(like="cost_per_1k")).round(4)

# %% [markdown]
# ## Move the threshold yourself
#
# The slider is the judge cascade's stage threshold (at 1.01 the efficient answer is never
# accepted). Watch quality, calls per query and cost move together.

# %%
explorer = CascadeExplorer.from_router(by_judge, test_j)
explorer

# %%
explorer.thresholds = [0.6]
f"quality {explorer.mean_quality:.3f}, {explorer.calls_per_query:.2f} calls per query, ${explorer.cost_per_1k:.4f} per 1k"

# %% [markdown]
# ## Recap
#
# - A cascade routes *after* the cheap answer; its cost counts every stage tried.
# - Logprob confidence is free, a judge costs a call, a learned verifier costs an embedding.
# - A first stage that is rarely good enough only adds latency; a good one saves money.
# - Thresholds are fitted per stage on training data and checked on held-out queries.
# - Simulated parts (the frontier model, the judge) are declared and labelled.
#
# ## Next
#
# Chapter 06 splits traffic between an edge box and the cloud: privacy, latency under load and the
# hardware's cost. Check the number below: the judge cascade's calls per query on the held-out half
# (between 1 and 2).

# %%
round(float(results["judge, efficient first (simulated)"].calls.mean()), 3)
