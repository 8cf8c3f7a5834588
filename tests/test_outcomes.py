"""The outcome table: construction errors, selection, splits, summaries, long format, identity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.loaders import load_outcomes
from routerlab.outcomes import QUERY_COLUMNS, Outcomes


def make(n=12, seed=0) -> Outcomes:
    rng = np.random.default_rng(seed)
    cats = np.array(["lookup", "math", "legal"])[np.arange(n) % 3]
    q = pd.DataFrame(
        {
            "prompt": [f"question {i}" for i in range(n)],
            "category": cats,
            "difficulty": np.arange(n) % 4,
            "reference": [str(i) for i in range(n)],
        }
    )
    quality = np.column_stack([rng.integers(0, 2, n), np.ones(n)]).astype(float)
    tin = rng.integers(10, 100, (n, 2)).astype(float)
    return Outcomes.from_arrays(
        q,
        ["small", "big"],
        quality=quality,
        cost=np.column_stack([np.zeros(n), np.full(n, 0.01)]),
        latency=np.column_stack([np.full(n, 0.1), np.full(n, 1.0)]),
        tokens_in=tin,
        tokens_out=tin / 2,
        responses=np.array([[f"s{i}", f"b{i}"] for i in range(n)], dtype=object),
        name="toy",
    )


# ----------------------------------------------------------------------------- construction
def test_defaults_filled():
    o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a", "b"]}), ["m"], quality=[[1.0], [0.0]])
    assert set(QUERY_COLUMNS) <= set(o.queries.columns)
    assert o.queries["query_id"].tolist() == ["q000000", "q000001"]
    assert o.queries["category"].tolist() == ["all", "all"]
    assert not o.queries["contains_pii"].any() and (o.queries["stakes"] == 1.0).all()
    assert np.isnan(o.cost).all() and o.responses is None and len(o) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"queries": pd.DataFrame({"text": ["a"]})}, "'prompt' column"),
        ({"models": []}, "at least one model"),
        ({"models": ["m", "m"], "quality": [[1.0, 1.0]]}, "duplicate model names"),
        ({"quality": [[1.0, 0.0]]}, r"quality has shape \(1, 2\), expected \(1, 1\)"),
        ({"quality": [[7.0]]}, r"\[0, 1\].*rescale"),
        ({"quality": [[-0.1]]}, r"\[0, 1\]"),
        ({"cost": [[1.0], [2.0]]}, "cost has shape"),
        ({"responses": [["a", "b"]]}, "responses has shape"),
        ({"simulated": ["ghost"]}, "not model columns"),
        (
            {
                "queries": pd.DataFrame({"prompt": ["a", "b"], "query_id": ["x", "x"]}),
                "quality": [[1.0], [1.0]],
            },
            "duplicate query_id 'x'",
        ),
    ],
)
def test_construction_errors(kwargs, match):
    args = {"queries": pd.DataFrame({"prompt": ["a"]}), "models": ["m"], "quality": [[1.0]]}
    args.update(kwargs)
    with pytest.raises(RouterlabError, match=match):
        Outcomes.from_arrays(args.pop("queries"), args.pop("models"), **args)


def test_nan_quality_allowed_and_ignored_by_mean():
    o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a", "b"]}), ["m"], quality=[[np.nan], [0.5]])
    assert o.mean_quality().tolist() == [0.5]


# ----------------------------------------------------------------------------- selection
def test_col_and_label():
    o = make().with_model("scenario:frontier", np.ones(12), simulated=True)
    assert o.col("big") == 1
    with pytest.raises(RouterlabError, match="not in the table; models: small, big"):
        o.col("huge")
    assert o.label("scenario:frontier") == "scenario:frontier (simulated)"
    assert o.label("big") == "big" and "simulated=" in repr(o)


def test_subset_by_index_and_mask_copies():
    o = make()
    s = o.subset([3, 1])
    assert s.prompts == ["question 3", "question 1"]
    np.testing.assert_array_equal(s.quality, o.quality[[3, 1]])
    assert s.responses[0, 1] == "b3"
    s.quality[0, 0] = 0.123  # a copy: the original is untouched
    assert o.quality[3, 0] != 0.123
    m = o.subset(o.categories == "math")
    assert m.n == 4 and set(m.categories) == {"math"}
    assert list(m.queries.index) == [0, 1, 2, 3]


def test_filter():
    o = make()
    assert o.filter(category="legal").n == 4
    assert o.filter(category=["legal", "math"]).n == 8
    assert o.filter(category="math", mask=o.queries["difficulty"].to_numpy() > 1).n == 2
    with pytest.raises(RouterlabError, match="unknown categories"):
        o.filter(category="cooking")


def test_select_models_and_with_model():
    o = make().with_model(
        "scenario:x", np.zeros(12), simulated=True, cost=np.full(12, 0.5), responses=["r"] * 12
    )
    assert o.models == ("small", "big", "scenario:x") and o.simulated == ("scenario:x",)
    assert o.cost[:, 2].sum() == pytest.approx(6.0) and o.responses[0, 2] == "r"
    assert np.isnan(o.latency[:, 2]).all()
    s = o.select_models(["scenario:x", "small"])
    assert s.models == ("scenario:x", "small") and s.simulated == ("scenario:x",)
    np.testing.assert_array_equal(s.quality[:, 1], o.quality[:, 0])
    assert s.responses[0, 1] == "s0"
    assert o.select_models(["big"]).simulated == ()
    with pytest.raises(RouterlabError, match="already in the table"):
        o.with_model("big", np.ones(12))
    with pytest.raises(RouterlabError, match="not in the table"):
        o.select_models(["nope"])
    # adding a column to a table without responses keeps responses absent
    bare = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a"]}), ["m"], quality=[[1.0]])
    assert bare.with_model("n", [0.0]).responses is None


# ----------------------------------------------------------------------------- splits
def test_train_test_split_stratified_and_deterministic():
    o = make(n=30)
    train, test = o.train_test_split(test_size=0.3, seed=1)
    assert train.n + test.n == 30
    assert set(train.queries["query_id"]).isdisjoint(test.queries["query_id"])
    assert test.queries["category"].value_counts().to_dict() == {"lookup": 3, "math": 3, "legal": 3}
    again = o.train_test_split(test_size=0.3, seed=1)[1]
    assert again.queries["query_id"].tolist() == test.queries["query_id"].tolist()
    other = o.train_test_split(test_size=0.3, seed=2)[1]
    assert other.queries["query_id"].tolist() != test.queries["query_id"].tolist()
    for bad in (0, 1, 1.5):
        with pytest.raises(RouterlabError, match="test_size"):
            o.train_test_split(test_size=bad)


def test_kfold_partitions_every_query_once():
    o = make(n=23)
    folds = o.kfold(k=5, seed=3)
    assert len(folds) == 5
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(23))
    for tr, te in folds:
        assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == 23
        assert {len(te)} <= {4, 5}
    assert [te.tolist() for _, te in o.kfold(5, seed=3)] == [te.tolist() for _, te in folds]
    with pytest.raises(RouterlabError, match="at least 2"):
        o.kfold(1)
    with pytest.raises(RouterlabError, match="at most 23"):
        o.kfold(24)


# ----------------------------------------------------------------------------- summaries
def test_summary_and_by_category():
    o = make().with_model("scenario:x", np.ones(12), simulated=True)
    s = o.summary()
    assert list(s.index) == ["small", "big", "scenario:x"]
    assert s.loc["big", "quality"] == 1.0
    assert s.loc["big", "cost_usd"] == pytest.approx(0.12)
    assert s.loc["small", "latency_s"] == pytest.approx(0.1)
    assert np.isnan(s.loc["scenario:x", "cost_usd"]) and np.isnan(s.loc["scenario:x", "latency_s"])
    assert s["simulated"].tolist() == [False, False, True]
    assert s.loc["small", "tokens_in"] == o.tokens_in[:, 0].sum()
    bc = o.by_category()
    assert bc["n"].to_dict() == {"legal": 4, "lookup": 4, "math": 4}
    expect = o.quality[o.categories == "math", 0].mean()
    assert bc.loc["math", "small"] == pytest.approx(expect)
    assert o.by_category("cost").loc["legal", "big"] == pytest.approx(0.01)


def test_fill_costs_only_fills_holes():
    o = make()
    cost = o.cost.copy()
    cost[:2, 1] = np.nan
    o2 = Outcomes.from_arrays(
        o.queries,
        o.models,
        quality=o.quality,
        cost=cost,
        tokens_in=o.tokens_in,
        tokens_out=o.tokens_out,
    )
    f = o2.fill_costs({"big": (2.0, 8.0), "absent": (1.0, 1.0)})
    expect = (o.tokens_in[:2, 1] * 2.0 + o.tokens_out[:2, 1] * 8.0) / 1e6
    np.testing.assert_allclose(f.cost[:2, 1], expect)
    np.testing.assert_allclose(f.cost[2:, 1], 0.01)  # known costs are kept
    assert np.isnan(o2.cost[:2, 1]).all()  # the original is unchanged


# ----------------------------------------------------------------------------- long format, identity
@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet"])
def test_to_long_round_trip(tmp_path, ext):
    # k/16 survives pandas' to_json (at most 15 significant digits) exactly
    o = make().with_model("scenario:x", np.arange(12) / 16, simulated=True)
    long = o.to_long()
    assert len(long) == 12 * 3
    assert {"model", "quality", "cost_usd", "latency_s", "simulated", "response"} <= set(long)
    p = tmp_path / f"o.{ext}"
    if ext == "jsonl":
        long.to_json(p, orient="records", lines=True, double_precision=15)
    elif ext == "csv":
        long.to_csv(p, index=False)
    else:
        long.to_parquet(p)
    back = load_outcomes(p)
    assert back.fingerprint() == o.fingerprint()
    assert back.models == o.models and back.simulated == o.simulated
    for a in ("quality", "cost", "latency", "tokens_in", "tokens_out"):
        np.testing.assert_allclose(getattr(back, a), getattr(o, a), err_msg=a)
    assert back.responses.tolist() == o.responses.tolist()
    for c in ("category", "difficulty", "reference", "contains_pii", "stakes"):
        assert back.queries[c].tolist() == o.queries[c].tolist(), c


def test_fingerprint_stable_and_sensitive():
    a, b = make(seed=0), make(seed=0)
    assert a.fingerprint() == b.fingerprint() and len(a.fingerprint()) == 16
    assert make(seed=1).fingerprint() != a.fingerprint()
    assert a.subset(np.arange(11)).fingerprint() != a.fingerprint()
    assert a.select_models(["big", "small"]).fingerprint() != a.fingerprint()
    # cost does not change identity; an unknown (nan) quality does
    assert a.fill_costs({"small": (1, 1)}).fingerprint() == a.fingerprint()
    q = a.quality.copy()
    q[0, 0] = np.nan
    c = Outcomes.from_arrays(a.queries, a.models, quality=q)
    assert c.fingerprint() != a.fingerprint()


def test_edge_cases_give_clear_errors():
    o = make(n=3)
    empty = o.subset([])
    assert empty.n == 0 and empty.quality.shape == (0, 2)
    with pytest.raises(RouterlabError, match=r"quality for 'x' has shape \(2,\), expected \(3,\)"):
        o.with_model("x", [1.0, 0.0])
    with pytest.raises(RouterlabError, match="duplicate model names"):
        o.select_models(["big", "big"])
