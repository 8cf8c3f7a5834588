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
# # 08 · When the router costs more than it saves
#
# A router pays off only if its savings survive contact with production. Three ways they don't: a
# threshold calibrated on other traffic (we meant to send 30% of queries to the strong model and
# sent far more), cheap answers bad enough that users ask again, and the router's own time and
# price. This chapter measures each on the bundled sample, then calibrates the threshold on data
# like the traffic, with confidence intervals. Both models are **scenario models (simulated)**:
# `scenario:efficient` and `scenario:frontier`. Runs in under a minute.

# %%
import pandas as pd

from routerlab import evaluate, traffic
from routerlab.charts_export import enable_offline
from routerlab.routers import make_router
from routerlab.widgets import CalibrationExplorer
from routerlab.workloads.bundled import load_support_desk

enable_offline()
weak, strong = "scenario:efficient", "scenario:frontier"
pair = load_support_desk().select_models([weak, strong])
train, rest = pair.train_test_split(test_size=0.6, seed=0)
router = make_router("logistic", weak=weak, strong=strong).fit(train)

# %% [markdown]
# ## Two months of traffic
#
# The threshold was calibrated last month, when the desk saw mostly lookups and reformatting. This
# month, a self-service page answers many of those, and contracts and arithmetic make up more of
# what remains. Two disjoint halves of the held-out queries, with shifted mixes:

# %%
a, b = rest.train_test_split(test_size=0.5, seed=1)
last = traffic.shift(a, {"contract": 0.15, "arithmetic": 0.15, "code": 0.15}, name="last month")
this = traffic.shift(b, {"lookup": 0.15, "reformat": 0.15, "extract": 0.15}, name="this month")
pd.DataFrame({"last month": traffic.mix(last), "this month": traffic.mix(this)}).round(2)

# %% [markdown]
# ## Meant 30%, got ...
#
# Calibrate: the threshold that sends 30% of last month's queries to the strong model.

# %%
choice = evaluate.calibrate_threshold(router.score(last), target_share=0.3)
choice

# %% [markdown]
# Apply it to this month and measure what really happens, with bootstrap intervals:

# %%
cols = this.quality[:, 0], this.quality[:, 1], this.cost[:, 0], this.cost[:, 1]
check = evaluate.check_threshold(choice, router.score(this), *cols, n_boot=500)
print(check.message)

# %% [markdown]
# The budget was planned for 30% strong calls. The interval says the overshoot is not noise: the
# router sees harder traffic, scores it higher, and the fixed threshold lets more of it through.
#
# ## Worse cheap answers cause retries
#
# A user who gets a bad answer asks again, and the retry goes to the strong model. With a 50% chance
# of retrying after a bad answer, what do the policies really cost this month?

# %%
routed = evaluate.apply_threshold(
    this, router.score(this), choice.threshold, strong=strong, weak=weak
)
always = {m: evaluate.apply(this, [m] * this.n, weak=weak, strong=strong) for m in (weak, strong)}
results = {"router": routed, f"always {weak}": always[weak], f"always {strong}": always[strong]}
evaluate.retry_table(results, p_retry=0.5, retry_to="strong").round(4)

# %% [markdown]
# `first_cost_per_1k` is what the dashboard shows; `cost_per_1k` is what the invoice shows once
# retries are counted. The cheaper a policy's first answers, the more of its savings come back as
# retries (`extra_cost_share`) — and its final quality still trails.
#
# ## The router's own overhead
#
# Every decision embeds the query and scores it. Timed one query at a time, as in production:

# %%
overhead = evaluate.measure_overhead(router, this, n=20)
overhead

# %% [markdown]
# The decision itself takes well under a millisecond; embedding the query is most of the time
# (`embed_s`). An LLM-based router — a 1,000-token prompt to a $0.50-per-million model for every
# request, about $0.0005 and 0.4 s per decision — is another matter. Savings against overhead, per
# 1,000 queries:

# %%
llm_routed = evaluate.with_overhead(routed, decision_s=0.4, decision_usd=0.0005)
savings = always[strong].cost_per_1k - routed.cost_per_1k
net = always[strong].cost_per_1k - llm_routed.cost_per_1k
{"savings per 1k": round(savings, 4), "LLM router per 1k": 0.5, "net per 1k": round(net, 4)}

# %% [markdown]
# A negative net means the router costs more than it saves — before counting the 0.4 s it adds to
# every request (p95 latency without and with it):

# %%
round(routed.latency_p95, 2), round(llm_routed.latency_p95, 2)

# %% [markdown]
# ## Calibrate on data like the traffic
#
# The fix for the first problem: calibrate on traffic like this month's — here an early sample of
# the new mix, disjoint from the queries we check on — and check again, with the interval.

# %%
early = traffic.shift(
    a, {"lookup": 0.15, "reformat": 0.15, "extract": 0.15}, name="early this month"
)
choice2 = evaluate.calibrate_threshold(router.score(early), target_share=0.3)
check2 = evaluate.check_threshold(choice2, router.score(this), *cols, n_boot=500)
print(check2.message)

# %% [markdown]
# The explorer shows the whole story at once: every target share, calibrated last month, realised
# this month (on the diagonal = well calibrated). Move the slider.

# %%
explorer = CalibrationExplorer(router.score(last), router.score(this), target=0.3)
explorer

# %%
explorer.target = 0.3
f"meant 30%, realised {explorer.realised_share:.0%} [{explorer.ci[0]:.0%}, {explorer.ci[1]:.0%}]"

# %% [markdown]
# ## Recap
#
# - A threshold calibrated on other traffic can double the strong-call share; check it with CIs.
# - Bad cheap answers come back as retries; count them before claiming savings.
# - A router's own time and price can exceed what it saves: measure the overhead.
# - Calibrate on data like your traffic, and keep checking (chapter 10's drift alarm).
#
# ## Next
#
# Chapter 09 puts the pieces together into one system: a classifier routes, a generator answers, a
# verifier checks. Check the number below: the strong-call share realised this month after
# calibrating on an early sample of the new mix (close to the 0.30 target).

# %%
round(check2.share, 3)
