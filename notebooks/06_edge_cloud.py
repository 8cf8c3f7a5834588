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
# # 06 · Edge / cloud: privacy, latency under load, and what the edge really costs
#
# A small model on your own box (the **edge**) keeps personal data in-house and costs nothing per
# call — but it has a fixed capacity, so latency grows with load, and the box itself is not free.
# This chapter splits support-desk traffic between the local SmolLM2-135M (really recorded) and the
# **scenario model `scenario:frontier` (simulated)** in the cloud: a privacy rule that no score can
# override, p50 / p95 latency from a queueing model of the edge box, a latency budget, and the cost
# per query with the edge hardware priced in. It needs the bundled sample and runs in seconds.

# %%
import numpy as np
import pandas as pd

from routerlab import charts
from routerlab.charts_export import enable_offline
from routerlab.hardware import edge_price_per_1k_tokens, tokens_per_second
from routerlab.routers import make_router
from routerlab.widgets import EdgeCloudExplorer
from routerlab.workloads.bundled import load_support_desk

enable_offline()
edge, cloud = "smollm2-135m", "scenario:frontier"
pair = load_support_desk().select_models([edge, cloud])
train, test = pair.train_test_split(test_size=0.5, seed=0)

# %% [markdown]
# ## The privacy rule
#
# Queries flagged `contains_pii` (names, e-mail addresses, account numbers) must never leave the
# edge. How much traffic is that, per category?

# %%
pair.queries.groupby("category")["contains_pii"].mean().round(2)

# %% [markdown]
# ## Load on the edge box
#
# The box answers one query at a time (one slot). We assume traffic that would keep it 80% busy if
# every query went to the edge — a queue forms quickly once most queries stay local.

# %%
service_s = float(np.nanmean(train.latency[:, 0]))
rate = 0.8 / service_s  # queries per second arriving at the service
f"edge: {service_s:.2f} s per query on average; {rate:.2f} queries per second arrive"

# %% [markdown]
# The `edge_cloud` router wraps a learned router (logistic, chapter 04) that scores "cloud needed",
# forces PII to the edge, and models the box as an M/M/c queue.

# %%
router = make_router("edge_cloud", edge=edge, cloud=cloud, inner="logistic", arrival_rate=rate)
router.fit(train)
result = router.simulate(test)
result

# %% [markdown]
# The rule holds on every held-out query with personal data, whatever its score:

# %%
pii = test.queries["contains_pii"].to_numpy()
bool((result.model[pii] == edge).all()), int(pii.sum())

# %% [markdown]
# ## Latency: p50 and p95 as the edge share grows
#
# The queue's wait depends on how much traffic stays on the edge. The router's queueing model gives
# the whole picture:

# %%
pd.DataFrame({s: router.latency_at(s) for s in (0.2, 0.4, 0.6, 0.8, 0.95)}).T.round(3)

# %% [markdown]
# ## A latency budget
#
# The best p95 reachable sends every query without PII to the cloud; suppose the product asks for a
# p95 halfway between that and today's. With a budget, `fit` lowers the threshold — sending more
# non-PII queries to the cloud — just enough to meet it.

# %%
best = router.latency_at(float(train.queries["contains_pii"].mean()))["p95"]
budget = round((best + router.latency_report_["p95"]) / 2, 2)
budgeted = router.clone(latency_p95_budget=budget).fit(train)
{
    "budget_s": budget,
    "thresholds": (router.threshold_, budgeted.threshold_),
    "p95": budgeted.latency_report_["p95"],
}

# %%
r = budgeted.simulate(test)
tiers = pd.DataFrame(
    {"latency_s": r.latency, "tier": np.where(r.model == edge, "edge", "cloud (simulated)")}
)
charts.latency(tiers, budget_s=budget, title="Held-out latency per tier, with the budget")

# %% [markdown]
# ## What the edge costs
#
# Price the box: a $1,200 machine over 3 years, 60 W at $0.20 per kWh, at the throughput measured in
# the recording and 50% utilisation (assumptions: change them to your own).

# %%
tps = tokens_per_second(train, edge)
price = edge_price_per_1k_tokens(1200, 3, 60, 0.20, tokens_per_s=tps, utilisation=0.5)
f"{tps:.0f} tokens/s measured -> ${price:.5f} per 1,000 tokens on the edge"

# %%
priced = budgeted.clone(edge_cost_per_1k_tokens=price).fit(train).simulate(test)
cloud_only = make_router("fixed", model=cloud, weak=edge, strong=cloud).fit(train).simulate(test)
pd.DataFrame(
    {"edge free": r.summary(), "edge priced": priced.summary(), "all cloud": cloud_only.summary()}
).loc[["mean_quality", "cost_per_1k", "latency_p95", "escalation_share"]]

# %% [markdown]
# ## Explore it
#
# Tick privacy off to see what the rule costs; move the budget and the number of edge slots.

# %%
explorer = EdgeCloudExplorer.from_router(budgeted, train, test)
explorer

# %%
explorer.edge_capacity = 2
f"p95 {explorer.latency_p95:.2f} s with 2 edge slots; edge share {explorer.edge_share:.1%}"

# %% [markdown]
# ## Recap
#
# - A privacy rule is a hard constraint: PII stays on the edge whatever the router thinks.
# - The edge's latency depends on its load; a queueing model turns an edge share into p50 / p95.
# - A latency budget moves the threshold just enough; more edge slots move it back.
# - Local calls are not free: amortised hardware and power give a price per token.
#
# ## Next
#
# Chapter 07 turns to quality per category: an average that holds while the high-stakes category
# drops. Check the number below: the held-out p95 latency (seconds) under the budget.

# %%
round(r.latency_p95, 2)
