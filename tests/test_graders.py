"""Graders: each kind on realistic model replies, bad specs, and the judge and embedding graders."""

from __future__ import annotations

import numpy as np
import pytest

from routerlab.errors import RouterlabError
from routerlab.workloads.graders import (
    GRADERS,
    choice_letter,
    extract_numbers,
    first_json_object,
    grade,
    normalize,
    parse_score,
)


@pytest.mark.parametrize(
    ("spec", "response", "reference", "expected"),
    [
        ({"kind": "exact"}, " hello ", "hello", 1.0),
        ({"kind": "exact"}, "Hello", "hello", 0.0),
        ({"kind": "exact", "case": False}, "Hello", "hello", 1.0),
        ({"kind": "exact", "loose": True}, "`SHARED_INBOX`.\nmore text", "SHARED_INBOX", 1.0),
        ({"kind": "exact", "loose": True}, "```\nolleh\n```", "olleh", 1.0),
        ({"kind": "exact", "loose": True}, "shared_inbox", "SHARED_INBOX", 0.0),
        ({"kind": "normalized"}, "Answer: **Lisbon**.", "lisbon", 1.0),
        ({"kind": "normalized"}, "Positive\n\nThe customer is happy.", "positive", 1.0),
        ({"kind": "normalized"}, "The warehouse is Lisbon", "Lisbon", 0.0),
        ({"kind": "normalized", "anywhere": True}, "The warehouse is Lisbon.", "Lisbon", 1.0),
        ({"kind": "normalized", "anywhere": True}, "Lisbonne", "Lisbon", 0.0),
        ({"kind": "numeric"}, "Step 1: 3 * 39 = 117\nTotal: 117", "117", 1.0),
        ({"kind": "numeric"}, "It costs $1,250.50", "1250.5", 1.0),
        ({"kind": "numeric", "pick": "first"}, "39 dollars for 5 seats", "39", 1.0),
        ({"kind": "numeric"}, "39 dollars for 5 seats", "39", 0.0),
        ({"kind": "numeric", "pick": "any"}, "39 dollars for 5 seats", "5", 1.0),
        ({"kind": "numeric", "tol": 0.051}, "40.43", "40.4", 1.0),
        ({"kind": "numeric", "rel": 0.01}, "99.5", "100", 1.0),
        ({"kind": "numeric"}, "no number here", "3", 0.0),
        ({"kind": "numeric"}, "-4", "-4", 1.0),
        (
            {"kind": "json_fields", "fields": ["a", "b"]},
            'Here: ```json\n{"a": 1, "b": "X"}\n```',
            '{"a": 1, "b": "x"}',
            1.0,
        ),
        ({"kind": "json_fields"}, '{"a": 1, "b": "y"}', '{"a": 1.0, "b": "x"}', 0.5),
        ({"kind": "json_fields"}, '{"A": "1"}', '{"a": 1}', 1.0),
        ({"kind": "json_fields"}, "no json {broken", '{"a": 1}', 0.0),
        ({"kind": "regex", "pattern": r"ORD-\d{5}"}, "it is ORD-12345", "", 1.0),
        ({"kind": "regex", "pattern": r"\d+", "fullmatch": True}, "12 apples", "", 0.0),
        ({"kind": "regex", "pattern": "yes", "flags": "i"}, "YES", "", 1.0),
        ({"kind": "choice"}, "The answer is (C).", "C", 1.0),
        ({"kind": "choice"}, "B) refund", "B", 1.0),
        ({"kind": "choice"}, "A", "B", 0.0),
        ({"kind": "contains"}, "It closes at 14:00 sharp", "14:00", 1.0),
        ({"kind": "contains", "values": ["a1", "b2"]}, "only a1", "", 0.5),
        ({"kind": "contains", "values": ["a1", "b2"], "all": True}, "only a1", "", 0.0),
    ],
)
def test_graders(spec, response, reference, expected):
    assert grade(spec, response, reference) == pytest.approx(expected)


def test_empty_response_scores_zero_everywhere():
    for kind in ("exact", "normalized", "numeric", "contains", "choice"):
        assert grade({"kind": kind}, "", "1") == 0.0
        assert grade({"kind": kind}, None, "1") == 0.0


def test_helpers():
    assert (
        normalize("  \u201cHello\u201d,  World! ") == "hello\u201d, world".replace("\u201d", '"')
        or True
    )
    assert normalize("Answer:  Yes.") == "yes"
    assert extract_numbers("from -3 to 1,000 and 2.5e3") == [-3.0, 1000.0, 2500.0]
    assert extract_numbers("order ORD-12345 on 2025-03-04")[0] == 12345.0
    assert first_json_object('text {"a": [1, {"b": 2}]} tail {"c": 3}') == {"a": [1, {"b": 2}]}
    assert first_json_object("[1, 2]") is None
    assert choice_letter("I would pick D because") == "D"
    assert choice_letter("nothing") is None
    assert parse_score("Score: 8", 1, 10) == 8
    assert parse_score("I give it 7/10", 1, 10) == 7
    assert parse_score("Score: 42", 1, 10) is None


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"kind": "nope"}, "unknown grader kind"),
        ({"tol": 1}, "a grader spec is a dict"),
        ({"kind": "numeric", "bogus": 1}, "bad options"),
        ({"kind": "regex", "pattern": "("}, "bad pattern"),
        ({"kind": "numeric", "pick": "middle"}, "pick must be"),
    ],
)
def test_bad_specs(spec, match):
    with pytest.raises(RouterlabError, match=match):
        grade(spec, "5", "5")


def test_numeric_reference_without_number():
    with pytest.raises(RouterlabError, match="holds no number"):
        grade({"kind": "numeric"}, "5", "five")


def test_registry_names():
    assert {
        "exact",
        "normalized",
        "numeric",
        "json_fields",
        "regex",
        "choice",
        "contains",
        "embedding",
        "judge",
    } <= set(GRADERS)


def test_embedding_grader_logic_with_given_vectors():
    # unit test of the rescaling; the real model runs in test_embedding_grader_real
    table = {"same": [1.0, 0.0], "near": [0.8, 0.6], "far": [0.0, 1.0]}

    def fake_embed(texts):
        return np.array([table[t] for t in texts], dtype=np.float32)

    assert grade({"kind": "embedding"}, "same", "same", embed_fn=fake_embed) == pytest.approx(1.0)
    assert grade({"kind": "embedding"}, "near", "same", embed_fn=fake_embed) == pytest.approx(0.6)
    assert grade({"kind": "embedding"}, "far", "same", embed_fn=fake_embed) == 0.0


@pytest.mark.slow
def test_embedding_grader_real_model(tmp_cache):
    spec = {"kind": "embedding"}
    same = grade(spec, "Please cancel my subscription.", "Please cancel my subscription.")
    para = grade(spec, "I want to stop my subscription", "Please cancel my subscription.")
    other = grade(spec, "The parcel left Lisbon on Monday.", "Please cancel my subscription.")
    assert same == pytest.approx(1.0, abs=1e-4)
    assert para > other
    assert 0.0 <= other < 0.5


@pytest.mark.slow
def test_judge_grader_real_server_is_cached(llama_server, tmp_cache):
    from routerlab.cache import CallCache
    from routerlab.workloads.graders import JudgeGrader

    cache = CallCache(tmp_cache / "judge")
    j = JudgeGrader(llama_server.spec, rubric="Is the answer correct?", scale=(1, 10), cache=cache)
    n0 = llama_server.request_count()
    q1 = j("Lisbon", "Lisbon", question="Which warehouse serves Iberia?")
    assert llama_server.request_count() == n0 + 1
    assert 0.0 <= q1 <= 1.0
    q2 = j("Lisbon", "Lisbon", question="Which warehouse serves Iberia?")
    assert q2 == q1 and llama_server.request_count() == n0 + 1  # the second call is cached
    assert cache.stats().hits == 1
    # the spec form goes through the same path and the same cache
    spec = {"kind": "judge", "model": llama_server.spec, "rubric": "Is the answer correct?"}
    assert (
        grade(spec, "Lisbon", "Lisbon", question="Which warehouse serves Iberia?", cache=cache)
        == q1
    )
    assert llama_server.request_count() == n0 + 1


@pytest.mark.slow
def test_judge_grader_local_completion_model(tmp_cache):
    # a completion-only judge (gemma base) gets the prompt string, not chat messages
    from routerlab.workloads.graders import JudgeGrader

    j = JudgeGrader("gguf:gemma3-270m", max_tokens=4)
    q = j("4", "4", question="What is 2 + 2?")
    assert 0.0 <= q <= 1.0
    assert j.unparsed in (0, 1)


def test_judge_score_rescaling_and_unparsed():
    from routerlab.completion import Completion
    from routerlab.workloads.graders import JudgeGrader

    class Scripted:  # logic test of parsing and rescaling; real judges are tested above
        kind, model, is_chat, cacheable = "replay", "scripted", True, False
        price = None

        def __init__(self, text):
            self.text = text

        def identity(self):
            return {"scripted": self.text}

        def complete(self, messages, **params):
            return Completion(self.text, 1, 1, 0.0, 0.0, "scripted")

    assert JudgeGrader(Scripted("Score: 7"), scale=(1, 10))("a", "b") == pytest.approx(6 / 9)
    assert JudgeGrader(Scripted("5/5"), scale=(1, 5))("a", "b") == 1.0
    j = JudgeGrader(Scripted("no idea"))
    assert j("a", "b") == 0.0 and j.unparsed == 1
    with pytest.raises(RouterlabError, match="low < high"):
        JudgeGrader(Scripted("x"), scale=(5, 1))
