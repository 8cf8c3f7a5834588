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
# # 07 · Quality-aware routing: per-category floors and the hidden regression
#
# "Keep 95% of the frontier model's quality at the lowest cost" sounds like a safe target. This
# chapter shows how it can hold on average while the one category that matters most quietly falls
# apart, how to see it (per-category quality weighted by stakes), and how to prevent it (a floor per
# category, met at the lowest cost). Both models here are **scenario models (simulated)**:
# `scenario:frontier` and the cheaper `scenario:efficient`, declared to resemble the public gap
# between a frontier and an efficient model. It needs the bundled sample and runs in seconds.

# %%
from routerlab import charts, evaluate
from routerlab.charts_export import enable_offline
from routerlab.operating import cheapest_meeting, choices_table
from routerlab.routers import make_router
from routerlab.widgets import ThresholdExplorer
from routerlab.workloads.bundled import load_support_desk

enable_offline()
weak, strong = "scenario:efficient", "scenario:frontier"
pair = load_support_desk().select_models([weak, strong])
scores = evaluate.crossfit(make_router("logistic", weak=weak, strong=strong), pair, k=5, seed=0)

# %% [markdown]
# `scores` are cross-fitted (chapter 04): every query scored by a logistic router that never saw it.
#
# ## The promise: 95% of the frontier's quality, as cheaply as possible
#
# `cheapest_meeting` walks every threshold and keeps the cheapest one whose average quality reaches
# the target, relative to the frontier model.

# %%
naive = cheapest_meeting(pair, {"logistic": scores}, weak, strong, target=0.95)
naive.message

# %% [markdown]
# The cheapest way to "keep 95%" is to send (almost) nothing to the frontier: the efficient model
# alone already averages about 95% of its quality. The target is met. Now look per category.
#
# ## What the average hides

# %%
naive_result = evaluate.apply_threshold(pair, scores, naive.threshold, strong=strong, weak=weak)
table = naive_result.by_category()
table[["n", "stakes", "quality", "ref_quality", "relative", "weighted_loss"]].round(3)

# %% [markdown]
# Rows are sorted by their share of the **stakes-weighted** loss. Contracts are only 8% of the
# queries, but a wrong contract answer weighs five times a wrong lookup — and contracts lose the most.

# %%
charts.category_bars(table, floor=0.95, title="The naive policy, per category (floor 95%)")

# %% [markdown]
# The regression in one line, straight from the table:

# %%
contract = table.loc["contract"]
print(
    f"average: {naive.relative:.1%} of the frontier's quality; contracts: "
    f"{contract['ref_quality']:.0%} with the frontier -> {contract['quality']:.0%} routed"
)

# %% [markdown]
# A stakes-weighted average shows part of it; the per-category flags show all of it.

# %%
{
    "mean quality": round(naive_result.mean_quality, 3),
    "stakes-weighted": round(naive_result.stakes_quality, 3),
    "below the 95% floor": naive_result.flagged(0.95),
}

# %% [markdown]
# ## Floors per category, at the lowest cost
#
# Ask for the same average *and* a floor on contracts: contracts must keep 95% of the frontier's
# contract quality.

# %%
floored = cheapest_meeting(
    pair, {"logistic": scores}, weak, strong, target=0.95, floors={"contract": 0.95}
)
floored.message

# %% [markdown]
# A floor on every category costs more. Three policies side by side (cost in $ per 1,000 queries):

# %%
all_floors = {c: 0.95 for c in table.index}
policies = {"average only": naive, "contract floor": floored}
policies["every category"] = cheapest_meeting(
    pair, {"logistic": scores}, weak, strong, target=0.95, floors=all_floors
)
choices_table(policies)[["share", "relative", "cost_per_1k", "feasible", "rel:contract"]].round(3)

# %% [markdown]
# ## What the floor costs, with intervals
#
# The paired bootstrap gives the change in cost and in stakes-weighted quality from the naive policy
# to the floored one, each with a 95% interval.

# %%
floored_result = evaluate.apply_threshold(pair, scores, floored.threshold, strong=strong, weak=weak)
diff = evaluate.compare_results(
    {"naive": naive_result, "floor": floored_result}, baseline="naive", n_boot=500
)
diff.filter(like="cost_per_1k").join(diff.filter(like="stakes_quality")).round(4)

# %% [markdown]
# ## One threshold per category: the `quality_aware` router
#
# A single threshold must over-escalate some categories to lift another. The `quality_aware` router
# solves each category exactly — its own cheapest threshold meeting its floor — on a training half,
# and we check it on the other half:

# %%
train, test = pair.train_test_split(test_size=0.5, seed=0)
qa = make_router(
    "quality_aware", weak=weak, strong=strong, inner="logistic", floors={"contract": 0.95}
)
held_out = qa.fit(train).simulate(test)
(
    held_out,
    held_out.by_category().loc["contract", ["n", "quality", "ref_quality", "relative"]].round(3),
)

# %% [markdown]
# With only two dozen held-out contract queries, check the interval before celebrating:
# `held_out.ci()` gives the overall ones, and chapter 10 carries per-category intervals into the
# exported policy.

# %% [markdown]
# ## Explore it
#
# The slider moves the threshold; the bars show each category against its floor (only contracts have
# one here). Find the point where the contract bar crosses its tick.

# %%
explorer = ThresholdExplorer(
    pair,
    scores,
    weak=weak,
    strong=strong,
    threshold=floored.threshold,
    floor={"contract": 0.95},
    name="logistic",
)
explorer

# %%
(
    explorer.below_floor,
    f"{explorer.escalation_share:.1%} escalated, ${explorer.cost_per_1k:.4f} per 1k",
)

# %% [markdown]
# ## Recap
#
# - An average target can be met while a small, high-stakes category drops far below it.
# - Per-category quality, weighted by stakes, makes the drop visible; `flagged()` names it.
# - Floors per category are met at the lowest cost by choosing the threshold with them in view.
# - The floor's price comes with a bootstrap interval, so the trade-off can be argued with numbers.
#
# ## Next
#
# Chapter 08 looks at the other ways a router can cost more than it saves: a threshold that drifts,
# cheap answers that trigger retries, and the router's own overhead. Check the number below: the
# contract quality (relative to the frontier) under the contract-floor policy — at least 0.95.

# %%
round(floored.by_category["contract"], 3)
