import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.outcomes import Outcomes
from routerlab.routers import Queries, make_router


def _table():
    prompts = [
        "Please review my contract",
        "hello there",
        "x" * 900,
        "my card 4111 was charged",
        "sue them?",
    ]
    q = pd.DataFrame(
        {
            "prompt": prompts,
            "category": ["legal", "chat", "chat", "billing", "legal"],
            "contains_pii": [False, False, False, True, False],
        }
    )
    return Outcomes.from_arrays(
        q,
        ["small", "mid", "big"],
        quality=np.tile([0.5, 0.7, 1.0], (5, 1)),
        cost=np.tile([1e-6, 1e-5, 1e-4], (5, 1)),
    )


def test_first_matching_rule_wins():
    o = _table()
    rules = [
        {"if": {"pii": True}, "model": "weak"},
        {"if": {"keywords": ["contract"]}, "model": "strong"},
        {"if": {"regex": r"\bsue\b"}, "model": "mid"},
        {"if": {"min_chars": 500}, "model": "mid"},
        {"if": {"category": "billing"}, "model": "strong"},  # shadowed by the PII rule
    ]
    r = make_router("rules", rules=rules, default="weak").fit(o)
    assert r.route(o).tolist() == ["big", "small", "mid", "small", "mid"]
    assert [s["fired"] for s in r.rule_stats_] == [1, 1, 1, 1, 0]
    s = r.score(o)
    assert s.shape == (5, 3) and (s.sum(1) == 1).all()
    # bare prompts without categories or PII flags: category rules do not fire
    q = Queries.from_texts(["a contract", "hi"])
    assert r.route(q).tolist() == ["big", "small"]


def test_default_rules_send_pii_to_the_cheap_model(outcomes):
    r = make_router("rules").fit(outcomes)
    d = r.route(outcomes)
    assert (d[outcomes.queries["contains_pii"].to_numpy()] == "weak").all()
    long = np.array([len(p) for p in outcomes.prompts]) >= r.rules_[1]["if"]["min_chars"]
    assert (d[long & ~outcomes.queries["contains_pii"].to_numpy()] == "strong").all()


@pytest.mark.parametrize(
    "rules, match",
    [
        ([{"if": {"regex": "("}, "model": "weak"}], "bad regex"),
        ([{"if": {"colour": "red"}, "model": "weak"}], "unknown condition"),
        ([{"if": {"pii": True}, "model": "gpt-9"}], "not in the table"),
        ("pii -> weak", "must be a list"),
    ],
)
def test_bad_rules_are_one_line_errors(rules, match):
    with pytest.raises(RouterlabError, match=match):
        make_router("rules", rules=rules).fit(_table())


def test_rules_on_support_desk(bundled):
    train, test, strong, weak = bundled
    rules = [
        {"if": {"pii": True}, "model": weak},
        {"if": {"category": ["contract", "code"]}, "model": "strong"},
    ]
    r = make_router("rules", rules=rules, default="weak", strong=strong, weak=weak).fit(train)
    d = r.route(test)
    pii = test.queries["contains_pii"].to_numpy()
    assert (d[pii] == weak).all()
    hit = np.isin(test.categories, ["contract", "code"]) & ~pii
    assert hit.any() and (d[hit] == strong).all()
    assert r.rule_stats_[0]["fired"] == int(train.queries["contains_pii"].sum())
