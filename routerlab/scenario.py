"""Scenario models: labelled, simulated "what-if" columns for the cloud tier when no endpoint is set.

A scenario model is declared, not measured: a per-category accuracy (shifted by difficulty), a
latency profile and a price. :func:`simulate` turns such a profile into outcome columns for any
set of queries; :func:`add_scenarios` adds them to an :class:`~routerlab.outcomes.Outcomes` as
``scenario:<name>`` columns marked simulated, so charts and tables always label them. As soon as a
user records a real endpoint (``routerlab record ... --models frontier``) the real columns replace
them (see :mod:`routerlab.workloads.bundled`).

How a column is drawn (deterministic: it depends only on the seed, the query ids, categories,
difficulties and prompts, not on row order):

1. Every query gets a latent hardness ``z`` (standard normal from a hash of its id and the seed),
   shared by all profiles, so the queries a frontier model misses are mostly ones an efficient model
   misses too (as in real model pairs).
2. Within a category, the chance of a correct answer is ``sigmoid(b + x)`` with
   ``x = -slope * (difficulty - mean difficulty) - hardness_weight * z``; ``b`` is solved so the
   mean chance equals the declared category accuracy.
3. Exactly ``round(accuracy * n_category)`` queries are correct: the failures are drawn without
   replacement with weights ``1 - chance`` (the successes with weights ``chance`` when fewer) (so the realised per-category accuracy is the declared one, and
   harder queries fail more often: a learned router has signal).
4. Tokens are estimated from text length: ``tokens_in = ceil(len(prompt) / 4) + 8`` (about four
   characters per English token, OpenAI's rule of thumb, plus a few tokens of chat framing);
   ``tokens_out = ceil(len(reference) / 4) + extra`` where ``extra`` is the profile's per-category
   allowance for explanation or working. Cost = tokens x price.
5. Latency = a lognormal time to first token + ``tokens_out / tokens_per_s``.

Examples
--------
>>> import pandas as pd
>>> q = pd.DataFrame({"query_id": ["a", "b"], "prompt": ["2+2?", "Capital of France?"],
...                   "category": ["arithmetic", "lookup"], "difficulty": [1, 1]})
>>> cols = simulate(q, "frontier", seed=0)
>>> sorted(cols)
['cost', 'latency', 'quality', 'tokens_in', 'tokens_out']
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from .errors import RouterlabError

PREFIX = "scenario:"


@dataclass(frozen=True)
class ScenarioProfile:
    """A declared model: accuracy per category and difficulty, latency and price.

    Parameters
    ----------
    name : str
        Short name; the column is called ``scenario:<name>``.
    accuracy : mapping category -> float
        Mean quality per category (categories not listed use ``default_accuracy``).
    difficulty_slope : float
        Logit change per difficulty level (bigger: harder queries fail more).
    latency_median_s, latency_sigma : float
        Lognormal time to first token (median in seconds and sigma of its log).
    tokens_per_s : float
        Output speed.
    input_per_m, output_per_m : float
        Price in $ per million input / output tokens.
    extra_tokens : mapping category -> int
        Output tokens beyond the reference length (working, explanation); key ``"*"`` is the default.
    source : str
        Where the numbers come from (shown in the table's ``meta``).
    """

    name: str
    accuracy: Mapping[str, float]
    default_accuracy: float = 0.85
    difficulty_slope: float = 0.6
    hardness_weight: float = 1.0
    latency_median_s: float = 0.8
    latency_sigma: float = 0.35
    tokens_per_s: float = 60.0
    input_per_m: float = 5.0
    output_per_m: float = 25.0
    extra_tokens: Mapping[str, int] = field(default_factory=lambda: {"*": 10})
    source: str = ""

    def __post_init__(self) -> None:
        if not self.name or ":" in self.name:
            raise RouterlabError(f"a scenario name is a short word without ':', got {self.name!r}")
        for cat, a in {**self.accuracy, "default": self.default_accuracy}.items():
            if not 0 <= float(a) <= 1:
                raise RouterlabError(
                    f"scenario {self.name!r}: accuracy of {cat!r} must be in [0, 1], got {a}"
                )
        if self.tokens_per_s <= 0 or self.latency_median_s <= 0 or self.latency_sigma < 0:
            raise RouterlabError(f"scenario {self.name!r}: latency settings must be positive")
        if self.input_per_m < 0 or self.output_per_m < 0:
            raise RouterlabError(f"scenario {self.name!r}: prices must be >= 0")

    @property
    def column(self) -> str:
        return PREFIX + self.name

    def accuracy_of(self, category: str) -> float:
        return float(self.accuracy.get(category, self.default_accuracy))

    def extra_of(self, category: str) -> int:
        return int(self.extra_tokens.get(category, self.extra_tokens.get("*", 10)))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["accuracy"] = dict(self.accuracy)
        d["extra_tokens"] = dict(self.extra_tokens)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioProfile:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise RouterlabError(
                f"unknown scenario field(s) {sorted(unknown)}; use {', '.join(sorted(known))}"
            )
        if "name" not in data or "accuracy" not in data:
            raise RouterlabError("a scenario profile needs at least 'name' and 'accuracy'")
        return cls(**dict(data))


# Declared profiles for the support-desk categories. They are assumptions chosen to resemble the
# public gap between a frontier and an efficient model, not measurements:
# - RouteLLM's released GSM8K outcomes give GPT-4-1106 0.857 vs Mixtral-8x7B 0.638 accuracy
#   (lm-sys/RouteLLM, arXiv 2406.18665), and MMLU 5-shot is about 0.86 for GPT-4 vs 0.71 for
#   Mixtral-8x7B (Mixtral paper, arXiv 2401.04088): the efficient tier loses most on multi-step
#   reasoning and close reading, little on lookups and reformatting.
# - Our arithmetic is easier than GSM8K (one quantity, 1-4 steps), so both levels are higher; the
#   efficient model's error rate there is about 4x the frontier's, as on GSM8K's error ratio
#   (0.362 / 0.143 = 2.5) made steeper by difficulty 3 (3-4 steps).
# - Contract clauses are the high-stakes close-reading category: 0.94 vs 0.79 — the story of
#   chapter 07: the efficient model keeps ~95% of the frontier's average quality while contracts
#   drop from 94% to 79%.
# Prices are the two public tiers of routerlab.models.prices ($5/$25 and $1/$5 per million tokens).
PROFILES: dict[str, ScenarioProfile] = {
    "frontier": ScenarioProfile(
        name="frontier",
        accuracy={
            "lookup": 0.98,
            "reformat": 0.97,
            "extract": 0.97,
            "classify": 0.93,
            "arithmetic": 0.95,
            "contract": 0.94,
            "code": 0.95,
        },
        default_accuracy=0.86,  # MMLU-like level of a GPT-4-class model
        difficulty_slope=0.6,
        latency_median_s=0.9,
        latency_sigma=0.35,
        tokens_per_s=55.0,
        input_per_m=5.0,
        output_per_m=25.0,
        extra_tokens={"*": 8, "arithmetic": 70, "contract": 25, "code": 10, "classify": 2},
        source="declared profile (see routerlab/scenario.py); GSM8K 0.857 GPT-4 vs 0.638 Mixtral",
    ),
    "efficient": ScenarioProfile(
        name="efficient",
        accuracy={
            "lookup": 0.97,
            "reformat": 0.95,
            "extract": 0.96,
            "classify": 0.91,
            "arithmetic": 0.80,
            "contract": 0.79,
            "code": 0.85,
        },
        default_accuracy=0.70,  # MMLU-like level of a Mixtral-8x7B-class model
        difficulty_slope=1.1,
        latency_median_s=0.35,
        latency_sigma=0.3,
        tokens_per_s=140.0,
        input_per_m=1.0,
        output_per_m=5.0,
        extra_tokens={"*": 10, "arithmetic": 60, "contract": 20, "code": 10, "classify": 2},
        source="declared profile (see routerlab/scenario.py); GSM8K 0.857 GPT-4 vs 0.638 Mixtral",
    ),
}


def get_profile(profile: str | ScenarioProfile | Mapping[str, Any]) -> ScenarioProfile:
    """A profile from its name (``"frontier"``, ``"scenario:efficient"``), a dict or itself."""
    if isinstance(profile, ScenarioProfile):
        return profile
    if isinstance(profile, Mapping):
        return ScenarioProfile.from_dict(profile)
    name = str(profile).removeprefix(PREFIX)
    if name not in PROFILES:
        raise RouterlabError(
            f"unknown scenario {profile!r}; known: {', '.join(PROFILES)} (or pass a ScenarioProfile)"
        )
    return PROFILES[name]


# --------------------------------------------------------------------------- deterministic noise
def _uniform(keys: Sequence[str], salt: str) -> np.ndarray:
    """One uniform (0, 1) number per key from sha256(salt, key): order-independent, seed-stable."""
    out = np.empty(len(keys))
    for i, k in enumerate(keys):
        h = hashlib.sha256(f"{salt}\x1f{k}".encode()).digest()
        out[i] = (int.from_bytes(h[:8], "big") + 0.5) / 2**64
    return out


def _normal(keys: Sequence[str], salt: str) -> np.ndarray:
    inv = NormalDist().inv_cdf
    return np.array([inv(u) for u in _uniform(keys, salt)])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _solve_offset(x: np.ndarray, target: float) -> float:
    """b with mean(sigmoid(b + x)) == target (bisection; the mean is increasing in b)."""
    if target <= 0:
        return -50.0
    if target >= 1:
        return 50.0
    lo, hi = -50.0, 50.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if _sigmoid(mid + x).mean() < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _as_queries(queries) -> pd.DataFrame:
    if hasattr(queries, "to_frame") and not isinstance(queries, pd.DataFrame):
        queries = queries.to_frame()  # a Workload
    elif hasattr(queries, "queries") and isinstance(queries.queries, pd.DataFrame):
        queries = queries.queries  # an Outcomes
    df = pd.DataFrame(queries).reset_index(drop=True)
    if "prompt" not in df:
        raise RouterlabError("scenario models need queries with a 'prompt' column")
    if "query_id" not in df:
        df["query_id"] = [f"q{i:06d}" for i in range(len(df))]
    if "category" not in df:
        df["category"] = "all"
    if "difficulty" not in df:
        df["difficulty"] = 0
    return df


def simulate(
    queries, profile: str | ScenarioProfile | Mapping = "frontier", seed: int = 0
) -> dict[str, np.ndarray]:
    """Simulated outcome columns of one scenario model for ``queries``.

    Parameters
    ----------
    queries : DataFrame, Workload or Outcomes
        Needs ``prompt``; uses ``query_id``, ``category``, ``difficulty`` and ``reference`` when present.
    profile : str, ScenarioProfile or dict
    seed : int

    Returns
    -------
    dict of arrays (N,): ``quality`` (0 or 1), ``cost`` ($), ``latency`` (s), ``tokens_in``, ``tokens_out``.
    """
    prof = get_profile(profile)
    q = _as_queries(queries)
    n = len(q)
    ids = q["query_id"].astype(str).tolist()
    cats = q["category"].fillna("all").astype(str).to_numpy()
    diff = pd.to_numeric(q["difficulty"], errors="coerce").fillna(0).to_numpy(dtype=float)
    z = _normal(ids, f"hardness|{seed}")  # shared by every profile
    u = _uniform(ids, f"pick|{seed}")  # shared too: failures of different models overlap
    quality = np.zeros(n)
    for cat in pd.unique(cats):
        idx = np.flatnonzero(cats == cat)
        d = diff[idx]
        x = -prof.difficulty_slope * (d - d.mean()) - prof.hardness_weight * z[idx]
        acc = prof.accuracy_of(cat)
        p = np.clip(_sigmoid(_solve_offset(x, acc) + x), 1e-9, 1 - 1e-9)
        k = int(round(acc * len(idx)))
        # Weighted sampling without replacement (Efraimidis & Spirakis 2006, keys u^(1/w)) of the
        # smaller of the two sets: the failures with weights 1 - p, or the successes with weights p.
        if k >= len(idx) - k:
            keys = np.log(u[idx]) / (1 - p)
            failed = idx[np.argsort(-keys, kind="stable")[: len(idx) - k]]
            quality[idx] = 1.0
            quality[failed] = 0.0
        else:
            keys = np.log(u[idx]) / p
            quality[idx[np.argsort(-keys, kind="stable")[:k]]] = 1.0
    prompts = q["prompt"].astype(str).tolist()
    refs = q["reference"].fillna("").astype(str).tolist() if "reference" in q else [""] * n
    tokens_in = np.array([math.ceil(len(p) / 4) + 8 for p in prompts], dtype=float)
    base_out = np.array([max(1, math.ceil(len(r) / 4)) for r in refs], dtype=float)
    extra = np.array([prof.extra_of(c) for c in cats], dtype=float)
    verbosity = np.exp(0.25 * _normal(ids, f"verbosity|{prof.name}|{seed}"))
    tokens_out = np.maximum(1.0, np.round((base_out + extra) * verbosity))
    ttft = prof.latency_median_s * np.exp(
        prof.latency_sigma * _normal(ids, f"latency|{prof.name}|{seed}")
    )
    latency = ttft + tokens_out / prof.tokens_per_s
    cost = (tokens_in * prof.input_per_m + tokens_out * prof.output_per_m) / 1e6
    return {
        "quality": quality,
        "cost": cost,
        "latency": latency,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
    }


def add_scenarios(
    outcomes,
    profiles: Sequence[str | ScenarioProfile | Mapping] = ("frontier", "efficient"),
    seed: int = 0,
):
    """The table with one simulated ``scenario:<name>`` column per profile (labelled simulated)."""
    out = outcomes
    meta = dict(outcomes.meta)
    scen = dict(meta.get("scenario", {}))
    for p in profiles:
        prof = get_profile(p)
        cols = simulate(outcomes.queries, prof, seed=seed)
        out = out.with_model(prof.column, cols.pop("quality"), simulated=True, **cols)
        scen[prof.column] = {"seed": seed, **prof.to_dict()}
    meta["scenario"] = scen
    from dataclasses import replace

    return replace(out, meta=meta)


def scenario_outcomes(
    queries,
    profiles: Sequence[str | ScenarioProfile | Mapping] = ("frontier", "efficient"),
    seed: int = 0,
    name: str = "scenario",
):
    """An outcome table made only of scenario columns for a workload (or queries DataFrame)."""
    from .outcomes import Outcomes

    q = _as_queries(queries)
    profs = [get_profile(p) for p in profiles]
    if not profs:
        raise RouterlabError("name at least one scenario profile, e.g. ('frontier', 'efficient')")
    cols = [simulate(q, p, seed=seed) for p in profs]
    arrays = {k: np.column_stack([c[k] for c in cols]) for k in cols[0]}
    meta = {"scenario": {p.column: {"seed": seed, **p.to_dict()} for p in profs}}
    return Outcomes.from_arrays(
        q,
        [p.column for p in profs],
        simulated=[p.column for p in profs],
        name=name,
        meta=meta,
        **arrays,
    )
