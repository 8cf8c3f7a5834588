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
# # 10 · Exporting the chosen policy and checking it
#
# The notebook is where a policy is chosen; production needs a file. This chapter picks the policy
# the earlier chapters argued for — the cheapest router that keeps 95% of the frontier's quality,
# with a floor on contracts and personal data kept off the frontier API — exports it as one JSON file
# with its expected
# operating point and confidence intervals, loads it back as production would, checks that it makes
# the same decisions, and raises a drift alarm when the traffic changes. It needs the bundled sample
# and runs in under a minute. Both models are **scenario models (simulated)**, `scenario:efficient`
# and `scenario:frontier`: the file says so, and they must be mapped to real endpoints before
# serving. In this story the efficient tier runs in your own cloud account, so personal data may go
# there but not to the frontier API.

# %%
import tempfile
import time
from pathlib import Path

import numpy as np

from routerlab import evaluate, policy, traffic
from routerlab.cli.policy_cmd import drift_alarms
from routerlab.operating import cheapest_meeting
from routerlab.policy.export import operating_point
from routerlab.routers import Queries, make_router
from routerlab.widgets import PolicyExportButton
from routerlab.workloads.bundled import load_support_desk

weak, strong, target, floors = "scenario:efficient", "scenario:frontier", 0.95, {"contract": 0.95}
pair = load_support_desk().select_models([weak, strong])
folder = Path(tempfile.mkdtemp(prefix="routerlab-ch10-"))

# %% [markdown]
# ## Three slices of data
#
# Choose on one slice, measure the promise on a second, and play "next week" with a third. Nothing
# used to choose is used to measure.

# %%
train, rest = pair.train_test_split(test_size=0.4, seed=0)
calibration, next_week = rest.train_test_split(test_size=0.5, seed=2)
train.n, calibration.n, next_week.n

# %% [markdown]
# ## Choose on the training slice
#
# Routers cross-fitted on the training slice (chapter 04), then the cheapest operating point that
# keeps the target and the contract floor (chapter 07), with queries that contain personal data held
# on the efficient tier whatever their score.

# %%
learned = ["category", "knn", "logistic", "semantic", "ensemble"]
ev = evaluate.evaluate_routers(train, strong, weak, routers=learned, folds=5, seed=0, n_boot=300)
candidates = {k: s for k, s in ev.scores.items() if k != "oracle"}
pii = train.queries["contains_pii"].to_numpy()
choice = cheapest_meeting(
    ev.outcomes, candidates, weak, strong, target=target, floors=floors, force_weak=pii
)
choice.message

# %% [markdown]
# The chosen family is refitted on the whole training slice; the threshold comes from the
# cross-fitted scores.

# %%
router = make_router(choice.router, weak=weak, strong=strong).fit(train)
router

# %% [markdown]
# ## Export
#
# `export_policy` writes the models, the router's parameters and fitted state (plain numbers), the PII
# rule, a fallback, and the **expected operating point** measured on the calibration slice with
# bootstrap intervals.

# %%
doc = policy.export_policy(
    router, train, rules=[{"type": "pii", "allow": [weak]}], calibration=calibration,
    threshold=choice.threshold,
    name="support-desk", description=choice.message,
)  # fmt: skip
path = policy.save(doc, folder / "policy.json")
f"{path.name}: {path.stat().st_size / 1024:.1f} KiB"

# %% [markdown]
# The models it routes between; scenario models are marked simulated and have no backend yet:

# %%
[(m["id"], m["backend"], m["tier"], m.get("simulated", False)) for m in doc["models"]]

# %% [markdown]
# The promise, with 95% intervals (escalation share, quality, cost per 1,000 requests):

# %%
{k: doc["expected"][k] for k in ("n", "escalation_share", "quality", "cost_per_1k")}

# %% [markdown]
# ## Load it as production would
#
# `policy.load` validates the file against its JSON schema and needs only numpy (plus the embedding
# model when the router reads embeddings). Route one request:

# %%
prod = policy.load(path)
prod.route("Reformat the date 2024-03-07 as DD/MM/YYYY.")

# %% [markdown]
# A request with an e-mail address is detected by the rule's patterns and allowed only on the
# efficient tier:

# %%
prod.route("Update the delivery address for jane.doe@example.com to 4 Elm Street.")

# %% [markdown]
# The caller may also flag personal data itself. The query the router most wants to escalate, flagged:
# the rule overrides the router and the reason says so.

# %%
hardest = calibration.prompts[int(np.argmax(router.score(calibration)))]
prod.route(hardest, contains_pii=True)

# %% [markdown]
# ## Same decisions as in the notebook
#
# On the calibration slice, the loaded policy and the in-memory router must agree on every query
# the PII rule does not override.

# %%
batch = prod.route_batch(Queries.from_outcomes(calibration))
here = router.route(calibration, threshold=choice.threshold)
free = ~batch.rule_applied
float(np.mean(batch.columns[free] == here[free])), int(batch.rule_applied.sum())

# %% [markdown]
# ## What a decision costs
#
# Production calls `route` once per request. Timed here on each calibration prompt, with the
# embeddings computed beforehand (embedding a prompt takes milliseconds; the decision after it takes
# microseconds). Your machine's figure will differ; `bench/policy_speed.py` measures every router.

# %%
emb = Queries.from_outcomes(calibration).embeddings_for() if prod.needs_embeddings else None
seconds = []
for i, text in enumerate(calibration.prompts):
    t0 = time.perf_counter()
    prod.route(text, embedding=None if emb is None else emb[i])
    seconds.append(time.perf_counter() - t0)
f"median {np.median(seconds) * 1e6:.0f} µs per decision; policy file {path.stat().st_size / 1e3:.0f} kB"

# %% [markdown]
# Routers over a neighbour bank (`knn`, `utility`, `quality_aware`) compare each request with every
# training query, so their time and file size grow with the training table. On a large table,
# refit with `max_bank=1000` (e.g. `make_router("knn", max_bank=1000)`): the bank becomes 1,000
# centroids weighted by the queries they stand for. The default ensemble already keeps its kNN
# member at 128 centroids (README: *What a decision costs in production*).

# %% [markdown]
# ## Watching it: the drift alarm
#
# `operating_point` measures what the policy really does on new outcomes; `drift_alarms` compares it
# with the exported promise (an alarm needs the shift to exceed both samples' noise). Next week, same
# kind of traffic:

# %%
realised = operating_point(prod, next_week, n_boot=300)
drift_alarms(prod.expected, realised)

# %% [markdown]
# About 120 queries per slice make wide intervals. The alarm is two-sided (a large improvement fires
# too: the traffic changed), and on samples this small it can fire by chance on another random
# split — one reason the default rule waits until both intervals disagree.
#
# Now a week where the easy questions mostly went elsewhere (a new self-service page answers them)
# and contracts and arithmetic make up a larger part of the traffic:

# %%
shifted = traffic.shift(rest, {"lookup": 0.15, "reformat": 0.15, "extract": 0.15}, seed=0)
traffic.mix(shifted).round(2).to_dict()

# %%
realised_shift = operating_point(prod, shifted, n_boot=300)
alarms = drift_alarms(prod.expected, realised_shift)
alarms, round(realised_shift["escalation_share"]["value"], 3)

# %% [markdown]
# The same check runs from the command line, with exit code 1 on drift, e.g. in a nightly job:
# `routerlab policy eval policy.json last_week.jsonl`. `routerlab policy check policy.json` validates
# a file, `routerlab route policy.json "..."` routes one request, and `routerlab serve policy.json`
# puts the policy behind an OpenAI-compatible endpoint.
#
# ## A button for the notebook
#
# The export as a widget: type a file name and click.

# %%
button = PolicyExportButton(lambda name: policy.save(doc, folder / name), path="policy-v2.json")
button

# %%
button.export(), button.status

# %% [markdown]
# ## Recap
#
# - A policy is one validated JSON file: models, router state, rules, fallback, provenance.
# - It carries its expected operating point with intervals, measured on data it was not chosen on.
# - Loaded back, it makes the notebook's decisions; the PII rule overrides only where it must.
# - Comparing realised with expected raises an alarm when the traffic drifts.
#
# ## Next
#
# Chapter 11 brings your own data: public routing datasets and your own recordings. Check the
# number below: the escalation share this policy promises, as a fraction.

# %%
round(prod.expected["escalation_share"]["value"], 3)
