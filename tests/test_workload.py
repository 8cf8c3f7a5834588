"""Workload: construction, file round trips (JSONL, CSV, parquet), frames and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.outcomes import Outcomes
from routerlab.workloads import Query, Workload, load_workload


def _wl() -> Workload:
    return Workload(
        [
            Query(
                "a",
                "What is 2+2?",
                category="math",
                difficulty=1,
                reference="4",
                grader={"kind": "numeric", "tol": 0.01},
            ),
            Query(
                "b",
                "Say hi",
                category="chat",
                reference="hi",
                contains_pii=True,
                stakes=3.0,
                messages=(
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Say hi"},
                ),
                meta={"source": "test", "tags": ["x"]},
            ),
            Query(
                "c",
                'Quote "this", please\nand a newline',
                category="math",
                difficulty=3,
                reference='{"k": 1}',
                grader={"kind": "json_fields", "fields": ["k"]},
            ),
        ],
        name="tiny",
    )


@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet"])
def test_round_trip(tmp_path, ext):
    w = _wl()
    path = w.save(tmp_path / f"w.{ext}")
    back = Workload.load(path)
    assert back == w
    assert back["b"].messages[0]["role"] == "system"
    assert back["c"].grader == {"kind": "json_fields", "fields": ["k"]}
    assert back.name == "w"


def test_jsonl_bytes_are_stable(tmp_path):
    a = _wl().save(tmp_path / "a.jsonl").read_bytes()
    b = Workload.load(tmp_path / "a.jsonl").save(tmp_path / "b.jsonl").read_bytes()
    assert a == b


def test_access_filter_and_grade():
    w = _wl()
    assert len(w) == 3 and w.ids == ["a", "b", "c"]
    assert w.categories == ["math", "chat"]
    assert w["a"].grade("The answer is 4.") == 1.0
    assert w.grade("a", "5") == 0.0
    assert w.filter(category="math").ids == ["a", "c"]
    assert w.filter(ids=["c"]).ids == ["c"]
    assert w.head(1).ids == ["a"]
    with pytest.raises(RouterlabError, match="unknown categories"):
        w.filter(category="nope")
    with pytest.raises(RouterlabError, match="no query with id"):
        w["zzz"]


def test_chat_messages():
    w = _wl()
    assert w["a"].chat("Be short.") == [
        {"role": "system", "content": "Be short."},
        {"role": "user", "content": "What is 2+2?"},
    ]
    # a conversation keeps its own system message
    assert w["b"].chat("Other")[0]["content"] == "Be brief."


def test_frame_feeds_outcomes():
    df = _wl().to_frame()
    assert list(df.columns[:2]) == ["query_id", "prompt"]
    o = Outcomes.from_arrays(df, ["m"], quality=[[1.0], [0.0], [0.5]])
    assert o.queries["stakes"].tolist() == [1.0, 3.0, 1.0]
    assert o.queries["contains_pii"].tolist() == [False, True, False]
    assert Workload.from_frame(df) == _wl()


def test_csv_without_ids_or_graders_gets_defaults(tmp_path):
    p = tmp_path / "plain.csv"
    pd.DataFrame({"prompt": ["x", "y"], "reference": ["1", "2"]}).to_csv(p, index=False)
    w = Workload.load(p)
    assert w.ids == ["q000000", "q000001"]
    assert w[0].grader == {"kind": "normalized"} and w[0].category == "all"


def test_messages_only_record_takes_last_user_turn(tmp_path):
    p = tmp_path / "m.jsonl"
    rec = {"query_id": "1", "messages": [{"role": "user", "content": "hello"}]}
    p.write_text(json.dumps(rec) + "\n")
    assert Workload.load(p)[0].prompt == "hello"


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        ('{"query_id": "1"}\n', "w.jsonl", "needs a 'prompt'"),
        ('{"query_id": "1", "prompt": "a"}\nnot json\n', "w.jsonl", "line 2 is not valid JSON"),
        (
            '{"query_id": "1", "prompt": "a"}\n{"query_id": "1", "prompt": "b"}\n',
            "w.jsonl",
            "duplicate query_id",
        ),
        (
            '{"query_id": "1", "prompt": "a", "grader": {"tol": 1}}\n',
            "w.jsonl",
            "'grader' must be an object",
        ),
        ('{"query_id": "1", "prompt": "a", "difficulty": "hard"}\n', "w.jsonl", "must be numbers"),
        ("query_id,category\n1,x\n", "w.csv", "missing column"),
        ("x", "w.txt", "cannot tell the format"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, content, name, match):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(RouterlabError, match=match) as exc:
        Workload.load(p)
    assert "\n" not in str(exc.value)


def test_missing_file_and_bad_parquet(tmp_path):
    with pytest.raises(RouterlabError, match="not found"):
        Workload.load(tmp_path / "none.jsonl")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(RouterlabError, match="cannot read"):
        Workload.load(bad)


def test_load_workload_by_path(tmp_path):
    p = _wl().save(tmp_path / "t.jsonl")
    assert load_workload(p) == _wl()


def test_load_workload_by_bundled_name():
    w = load_workload("support-desk")
    assert len(w) >= 600 and w.name == "support-desk"
    with pytest.raises(RouterlabError, match="no workload file or bundled sample"):
        load_workload("no-such-sample")
