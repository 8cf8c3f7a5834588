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
# # 02 · Workloads, graders and outcome tables
#
# A router learns from, and is judged on, an **outcome table**: for every query and every model,
# how good the answer was, what it cost and how long it took. This chapter opens the bundled
# support-desk workload, grades a few answers by hand to see how graders work, then explores the
# recorded outcome table — including the two **scenario (simulated)** cloud columns that stand in
# until you record your own endpoint. It needs only the bundled files and runs in a few seconds.

# %%
from routerlab import charts
from routerlab.charts_export import enable_offline
from routerlab.widgets import QueryInspector
from routerlab.workloads.bundled import load_support_desk, support_desk_workload
from routerlab.workloads.graders import grade

enable_offline()
workload = support_desk_workload()
workload

# %% [markdown]
# ## The workload: questions, references, graders
#
# Each query has a category, a difficulty, a reference answer, a grader, a PII flag and a stakes
# weight (how much a wrong answer hurts).

# %%
frame = workload.to_frame()
frame[["query_id", "category", "difficulty", "contains_pii", "stakes", "reference"]].head()

# %%
frame.groupby("category").agg(
    n=("query_id", "size"), stakes=("stakes", "mean"), pii=("contains_pii", "mean")
).round(2)

# %% [markdown]
# One query in full, with its grader spec:

# %%
q = workload[0]
print(q.prompt, "\n\nreference:", q.reference, "\ngrader:", q.grader)

# %% [markdown]
# ## Graders turn an answer into a quality in [0, 1]
#
# A grader is a plain JSON spec, so it travels with the workload file. The same reference, three
# answers:

# %%
spec = {"kind": "choice", "letters": "ABCD"}
[grade(spec, answer, "C") for answer in ("C", "The answer is C) password reset", "B")]

# %% [markdown]
# Other kinds: `exact`, `normalized`, `numeric` (with a tolerance), `json_fields`, `regex`,
# `contains`, `embedding` similarity, and an LLM `judge`.

# %%
grade({"kind": "numeric", "tol": 0.01}, "The total is 12.004 dollars", "12")

# %% [markdown]
# ## The outcome table
#
# The two local models were run on all 600 queries and graded; the cloud tier is simulated unless
# you have recorded a real one (chapter 11). Scenario columns say so in their label.

# %%
outcomes = load_support_desk()
outcomes, outcomes.meta.get("cloud")

# %%
[outcomes.label(m) for m in outcomes.models]

# %% [markdown]
# Mean quality per category and model — where the small models hold up, and where they do not:

# %%
outcomes.by_category("quality").round(2)

# %% [markdown]
# Cost and latency per model (local models cost $0 per token by default):

# %%
outcomes.summary().round(4)

# %%
charts.cost_quality(outcomes, title="Models on the support-desk sample")

# %% [markdown]
# ## Looking at single answers
#
# Averages hide a lot. Pick a query (in the list, or click a point) to read every model's answer
# and its grade.

# %%
QueryInspector(outcomes)

# %% [markdown]
# ## Splits
#
# Routers are fitted on one part and judged on another. Splits are stratified by category:

# %%
train, test = outcomes.train_test_split(test_size=0.3, seed=0)
train.n, test.n, test.by_category("quality")["n"].to_dict()

# %% [markdown]
# Every table has a fingerprint: a policy records the table it was chosen on.

# %%
outcomes.fingerprint()

# %% [markdown]
# ## Recap
#
# - A workload is questions + references + graders; it knows nothing about models.
# - Graders are JSON specs returning a quality in [0, 1].
# - The outcome table holds quality, cost, latency and tokens for every (query, model) pair;
#   scenario columns are labelled "(simulated)".
#
# ## Next
#
# Chapter 03 places the models and the simplest routers on the cost–quality plane. Check the
# number below: SmolLM2's mean quality on the whole sample.

# %%
round(float(outcomes.mean_quality()[outcomes.col("smollm2-135m")]), 3)
