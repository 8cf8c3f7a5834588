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
# # 03 · The cost–quality plane
#
# A router is worth something only against the obvious alternatives: always call the cheap model,
# always call the strong one, or flip a coin. This chapter places those baselines and the oracle
# (a router that knows every answer) on the cost–quality plane, reads the standard metrics off the
# curves — APGR, CPT and AIQ — with bootstrap confidence intervals, and ends with a threshold slider
# you can move. It needs the bundled sample only and runs in a few seconds. The strong model here
# is the **scenario model `scenario:frontier` (simulated)**: plausible numbers, not real calls.

# %%
import numpy as np
import pandas as pd

from routerlab import charts, evaluate
from routerlab.charts_export import enable_offline
from routerlab.routers import make_router
from routerlab.widgets import ThresholdExplorer
from routerlab.workloads.bundled import load_support_desk

enable_offline()
outcomes = load_support_desk()
weak, strong = "smollm2-135m", "scenario:frontier"
pair = outcomes.select_models([weak, strong])

# %% [markdown]
# ## Two baselines
#
# Sending everything to one model gives the two ends of every curve. `evaluate.apply` turns a
# decision per query into quality, cost and latency.

# %%
always = {m: evaluate.apply(pair, [m] * pair.n, weak=weak, strong=strong) for m in (weak, strong)}
pd.DataFrame({m: r.summary() for m, r in always.items()}).loc[["mean_quality", "cost_per_1k"]]

# %% [markdown]
# The gap between the two rows is what routing plays for: the strong model's extra quality, and
# what it costs per thousand queries.
#
# ## A curve per router
#
# A router gives each query a score ("how much does this one need the strong model?"). Sorting by
# score and escalating the top *k* queries, for every *k*, traces the router's whole curve. Two
# reference routers: a **random** coin, and the **oracle**, which reads the answers' grades.

# %%
scores = {
    k: make_router(k, weak=weak, strong=strong).fit(pair).score(pair) for k in ("random", "oracle")
}
cols = pair.quality[:, 0], pair.quality[:, 1], pair.cost[:, 0], pair.cost[:, 1]
curves = {k: evaluate.curve(s, *cols) for k, s in scores.items()}
curves

# %%
charts.cost_quality(pair, curves, title="Baselines and the oracle")

# %% [markdown]
# The random router walks the straight line between the two models. The oracle escalates exactly
# the queries the small model gets wrong, so its curve climbs at the steepest possible slope and
# flattens once all of them are escalated. Where it flattens says how often the small model is good
# enough: on this sample, SmolLM2 answers only about one query in eight, so even the oracle must
# escalate most of the traffic to keep the strong model's quality.
#
# ## Reading the metrics
#
# - **PGR** (performance gap recovered) at a point: how much of the weak→strong quality gap it keeps.
# - **APGR**: the area under PGR over the strong-call share — random ≈ 0.5, higher is better.
# - **CPT(p)**: the smallest strong-call share that recovers *p* of the gap.
# - **AIQ**: the area under the convex hull of (cost, quality), divided by the cost range.

# %%
pd.DataFrame(
    {
        k: {"APGR": c.apgr(), "CPT(50%)": c.cpt(0.5), "CPT(80%)": c.cpt(0.8), "AIQ": c.aiq()}
        for k, c in curves.items()
    }
).round(3)

# %% [markdown]
# One sample gives one number; a different week of traffic gives another. A paired bootstrap
# (the same resampled queries for every router) puts an interval around each metric.

# %%
boot = evaluate.bootstrap_curves(scores, *cols, n_boot=500, seed=0)
boot.table()[["apgr", "apgr_lo", "apgr_hi", "cpt80", "cpt80_lo", "cpt80_hi"]].round(3)

# %% [markdown]
# ## A first learned router and its threshold
#
# A small logistic regression on the words, the category and the length of each query predicts
# whether the strong model is needed (chapter 04 adds embeddings and better routers). We fit it on
# half of the sample and look at the other half.

# %%
train, test = pair.train_test_split(test_size=0.5, seed=0)
features = ["words", "category", "length"]
router = make_router("logistic", weak=weak, strong=strong, features=features).fit(train)
test_scores = router.score(test)

# %% [markdown]
# Move the slider: every query whose score is at or above the threshold goes to the strong model.
# The diamond is the operating point; below, where the queries go and how each category fares
# relative to the strong model (the floor tick is at 95%). It starts at the median score, so half
# of the queries are escalated.

# %%
start = round(float(np.median(test_scores)), 2)
explorer = ThresholdExplorer(
    test, test_scores, weak=weak, strong=strong, threshold=start, name="logistic"
)
explorer

# %% [markdown]
# The widget's state is plain Python: set the threshold and read the escalation share back.

# %%
explorer.threshold = 0.8
f"{explorer.escalation_share:.1%} escalated, quality {explorer.mean_quality:.3f}, ${explorer.cost_per_1k:.3f} per 1k"

# %% [markdown]
# ## Recap
#
# - Every router lives between "always weak" and "always strong"; random is the diagonal.
# - The oracle bounds what any router could reach on this data.
# - APGR and CPT summarise a curve; bootstrap intervals say how sure we are.
# - A threshold picks one operating point on the curve; the slider shows its price and quality.
#
# ## Next
#
# Chapter 04 fits learned routers (kNN, logistic regression on embeddings...) and compares them
# with confidence intervals. Check the number below: the oracle's APGR on this sample.

# %%
round(curves["oracle"].apgr(), 3)
