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
# # 04 · Learned routers, compared with confidence intervals
#
# Chapter 03 placed baselines on the cost–quality plane. Here routers *learn* from the outcome table
# which queries need the strong model — from the query's embedding, its words, its category — and we
# compare them honestly: every query is scored by a router that never saw it (cross-fitting), and
# every metric carries a bootstrap interval, so "better" means better beyond the noise of a
# 600-query sample. It needs the bundled sample and the bundled embedding model (first run: about
# half a minute to embed the prompts, then cached). Both models are **scenario models
# (simulated)**: `scenario:efficient` and `scenario:frontier`. The real local models answer too few
# of these questions for routing to them to pay much (chapter 03's oracle shows how little there is
# to gain); the decision worth learning here is between the two cloud tiers.

# %%
import numpy as np

from routerlab import charts, evaluate
from routerlab.charts_export import enable_offline
from routerlab.routers import REGISTRY, make_router
from routerlab.widgets import RouterComparison
from routerlab.workloads.bundled import load_support_desk

enable_offline()
outcomes = load_support_desk()
weak, strong = "scenario:efficient", "scenario:frontier"
pair = outcomes.select_models([weak, strong])

# %% [markdown]
# ## The router families
#
# Every router follows one contract: `fit(outcomes)`, then `score(queries)` — a number per query,
# higher meaning "the strong model is needed" — and a threshold applied outside. The registry lists
# the families this kit ships:

# %%
sorted(REGISTRY)

# %% [markdown]
# The learned ones read the query, not the answers: **knn** averages the quality gap of the nearest
# training queries in embedding space, **logistic** predicts P(strong needed) from the embedding
# (plus the category when known), **category** uses the per-category win rate, **mf** factorises
# queries × models. None of them ever calls a model.
#
# ## Scoring without peeking: cross-fitting
#
# Scoring the queries a router was trained on flatters it (a nearest-neighbour router finds the
# query itself). `evaluate.crossfit` splits the table into five folds and scores each fold with a
# copy trained on the other four:

# %%
knn_scores = evaluate.crossfit(make_router("knn", weak=weak, strong=strong), pair, k=5, seed=0)
knn_scores[:5].round(3)

# %% [markdown]
# How much does that matter? The same router scored on its own training data looks far better:

# %%
in_sample = make_router("knn", weak=weak, strong=strong).fit(pair).score(pair)
cols = pair.quality[:, 0], pair.quality[:, 1], pair.cost[:, 0], pair.cost[:, 1]
{
    "in-sample APGR": evaluate.curve(in_sample, *cols).apgr(),
    "cross-fitted APGR": evaluate.curve(knn_scores, *cols).apgr(),
}

# %% [markdown]
# ## Every router, one call
#
# `evaluate.evaluate_routers` cross-fits a list of routers (always adding `random` and `oracle` as
# references; without a list, every router that applies) and bootstraps all metrics on the *same*
# resampled queries, so differences between routers get intervals too. Five learned families here
# (`mf` and `utility` shine with more than two models; `ensemble` stacks the others):

# %%
learned = ["category", "knn", "logistic", "semantic", "ensemble"]
ev = evaluate.evaluate_routers(pair, strong, weak, routers=learned, folds=5, seed=0, n_boot=500)
ev.table.round(3)

# %% [markdown]
# Read the APGR column with its interval `[apgr_lo, apgr_hi]`; `vs_random_*` is the interval of the
# *difference* to random on paired resamples — when it excludes 0, the router beats a coin.
#
# ## Toggle routers on the plane
#
# The three best learned routers and random, with 95% bootstrap bands. Click a router's button to
# hide it; where bands overlap, this sample cannot tell the two routers apart.

# %%
top3 = ev.table.drop(index=["random", "oracle"]).nlargest(3, "apgr").index.tolist()
shown = {k: ev.scores[k] for k in ["random", *top3]}
comparison = RouterComparison(pair, shown, weak=weak, strong=strong, n_boot=200)
comparison

# %% [markdown]
# The widget is plain Python state: "click" the buttons from code to keep only the best learned
# router and random.

# %%
for name, button in comparison.toggles.items():
    button.value = name in (ev.best, "random")
comparison.selected

# %% [markdown]
# ## Is the best router really better than the runner-up?
#
# The paired bootstrap answers directly: the interval of the APGR difference, and the share of
# resamples in which the best router is *not* ahead.

# %%
runner_up = top3[1]
ev.boot.diff(ev.best, runner_up, "apgr")

# %% [markdown]
# ## What the best router does per category
#
# At the share that recovers 80% of the quality gap (its CPT(80%)), where do the queries go and how
# does each category fare relative to the strong model?

# %%
at80 = ev.result_at(ev.best, ev.curves[ev.best].cpt(0.8))
charts.category_bars(at80.by_category(), floor=0.95, title=f"{ev.best} at CPT(80%)")

# %% [markdown]
# ## Recap
#
# - Learned routers score queries from their text; a threshold turns scores into decisions.
# - Cross-fitting keeps the evaluation honest; in-sample scores overstate a router.
# - Paired bootstrap intervals say which differences are real on a sample this size.
# - Averages hide categories: look at the per-category bars before trusting a curve.
#
# ## Next
#
# Chapter 05 routes *after* the cheap answer instead of before it: cascades with verifiers.
# Check the number below: the best learned router's cross-fitted APGR (random is about 0.5).

# %%
{"best": ev.best, "apgr": round(float(ev.table.loc[ev.best, "apgr"]), 3)}
