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
# # 09 · A compound system: a classifier routes, a generator answers, a verifier checks
#
# Real deployments chain the ideas of the previous chapters: a cheap **classifier** decides before
# any model runs, the edge model **generates** an answer for the queries it keeps, and a
# **verifier** checks that answer, escalating the doubtful ones. This chapter runs that chain live on
# a few support-desk queries — a real SmolLM2 call through the call cache — and then evaluates it on
# the whole held-out half from the recorded outcomes, against the router alone and the cascade
# alone. The cloud model is the **scenario model `scenario:frontier` (simulated)**: its answers are
# not generated here, only its recorded-as-declared quality and price are used. First run: a few
# seconds of local generation; then cached.

# %%
import numpy as np
import pandas as pd

from routerlab import evaluate
from routerlab.compound import compound_result
from routerlab.demo import live_calls
from routerlab.routers import Queries, make_router
from routerlab.verifiers import confidence_as_probability, to_probability
from routerlab.workloads.bundled import load_support_desk, support_desk_workload

edge, cloud = "smollm2-135m", "scenario:frontier"
workload = support_desk_workload()
pair = confidence_as_probability(load_support_desk().select_models([edge, cloud]))
train, test = pair.train_test_split(test_size=0.5, seed=0)

# %% [markdown]
# ## The classifier
#
# A logistic router (chapter 04) trained on the first half. Its threshold is calibrated on
# cross-fitted training scores to send about 40% of queries straight to the cloud.

# %%
classifier = make_router("logistic", weak=edge, strong=cloud).fit(train)
oof = evaluate.crossfit(classifier, train, k=5, seed=0)
route_at = evaluate.calibrate_threshold(oof, target_share=0.4).threshold
round(route_at, 3)

# %% [markdown]
# ## The verifier
#
# The edge model's own logprob confidence, as a probability (chapter 05); a cascade fitted on the training half
# chooses the lowest confidence at which its answers are as good as the cloud's.

# %%
verifier = make_router("cascade", models=[edge, cloud], verifier="confidence").fit(train)
verify_at = float(verifier.thresholds_[0])
round(verify_at, 3)

# %% [markdown]
# ## Live: six requests through the chain
#
# Six held-out queries. The classifier reads only the prompt and the category:

# %%
six = [workload[qid] for qid in test.queries["query_id"].iloc[:6]]
queries = Queries.from_texts([q.prompt for q in six], categories=[q.category for q in six])
routes = classifier.route(queries, threshold=route_at)
list(zip([q.query_id for q in six], routes, strict=True))

# %% [markdown]
# The queries kept on the edge are answered live by SmolLM2 (through the call cache, prompted as in
# the recording), and the verifier reads each answer's confidence:

# %%
kept = [q for q, r in zip(six, routes, strict=True) if r == edge]
answers, _ = live_calls("gguf:smollm2-135m", kept, passes=1)
answers["confidence"] = to_probability(answers["confidence"])
answers["accepted"] = answers["confidence"] >= verify_at
answers[["query_id", "category", "answer", "confidence", "accepted", "grade"]]

# %% [markdown]
# Accepted answers go back to the user; the others are escalated to the cloud model. `grade` is the
# query's own grader — something production does not have, which is why the verifier exists.
#
# ## The whole held-out half
#
# The same chain evaluated on every held-out query from the recorded outcomes (the recorded
# confidence plays the verifier). Costs count both calls when an answer is escalated.

# %%
decisions = classifier.route(test, threshold=route_at)
chain = compound_result(test, decisions, test.confidence[:, 0], verify_at, edge, cloud)
results = {
    "classifier only": evaluate.apply(test, decisions, weak=edge, strong=cloud),
    "verifier only (cascade)": verifier.simulate(test),
    "classifier + verifier": chain,
    "always cloud": evaluate.apply(test, [cloud] * test.n, weak=edge, strong=cloud),
}
table = pd.DataFrame({k: r.summary() for k, r in results.items()}).T
table[["mean_quality", "cost_per_1k", "calls_per_query", "escalation_share", "latency_p95"]].astype(
    float
).round(4)

# %% [markdown]
# Read it row by row. The classifier alone is cheap but keeps wrong edge answers. The verifier alone
# protects quality but pays an edge call on every query first. Chained, the classifier spares the
# edge calls that would surely be rejected and the verifier catches the classifier's misses. When the
# verifier rejects nearly every edge answer — as it does for a 135M model that is right on about one
# support-desk question in eight — the chain keeps the cloud's quality and what is left to win is
# calls and latency, not dollars. With intervals, against always using the cloud:

# %%
diff = evaluate.compare_results(results, baseline="always cloud", n_boot=500)
diff.filter(like="mean_quality").join(diff.filter(like="cost_per_1k")).round(4)

# %% [markdown]
# ## Recap
#
# - A compound system = routing before generation + verification after it.
# - Each stage is a plain component from the earlier chapters, fitted on training data.
# - Escalations pay twice; the evaluation counts every call and its latency.
# - The live run and the table-based evaluation use the same thresholds.
#
# ## Next
#
# Chapter 10 exports a chosen policy as JSON and checks it as production would. Check the number
# below: the chain's calls per query on the held-out half (between 1 and 2).

# %%
round(float(chain.calls.mean()), 3)
