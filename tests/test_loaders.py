"""Loaders: each public shape from small fixtures written into tmp_path, plus bad inputs."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.loaders import DATASETS, download, from_long, load_outcomes
from routerlab.outcomes import Outcomes

MIX = "mistralai/Mixtral-8x7B-Instruct-v0.1"
GPT = "gpt-4-1106-preview"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path / "cache"))


def _mmlu_folder(root, with_extra=True):
    """Two subject files in RouteLLM's shape; one prompt appears in both files."""
    root.mkdir()
    shared = "Which is a prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:"
    pd.DataFrame(
        {
            "prompt": ["What is 2+2?\nA. 3\nB. 4\nAnswer:", shared, 'A "quoted", prompt'],
            MIX: [True, False, False],
            GPT: [True, True, False],
        }
    ).to_csv(root / "mmlu_math.csv", index=False)
    pd.DataFrame(
        {"prompt": [shared, "Capital of France?"], MIX: [True, False], GPT: [True, True]}
    ).to_csv(root / "mmlu_geo.csv", index=False)
    if with_extra:
        (root / "README.md").write_text("not data")
        (root / "contaminated_prompts.jsonl").write_text(
            json.dumps({"train_prompt": "x", "eval_prompt": "Capital of France?", "eval_idx": 1})
            + "\n"
        )
    return root


# ----------------------------------------------------------------------------- RouteLLM
def test_routellm_folder(tmp_path):
    o = load_outcomes(_mmlu_folder(tmp_path / "mmlu"))
    assert o.n == 5 and o.models == (MIX, GPT)
    # files are read in sorted order (geo, math); the duplicated prompt keeps two distinct ids
    assert o.queries["query_id"].tolist() == ["geo/0", "geo/1", "math/0", "math/1", "math/2"]
    assert o.queries["category"].tolist() == ["geo", "geo", "math", "math", "math"]
    assert o.queries["prompt"].tolist()[4] == 'A "quoted", prompt'
    np.testing.assert_allclose(o.mean_quality(), [2 / 5, 4 / 5])
    assert o.quality.dtype == float and set(np.unique(o.quality)) == {0.0, 1.0}


def test_routellm_folder_exclusions_only_when_asked(tmp_path):
    folder = _mmlu_folder(tmp_path / "mmlu")
    assert load_outcomes(folder).n == 5
    o = load_outcomes(folder, exclude=folder / "contaminated_prompts.jsonl")
    assert o.n == 4 and "Capital of France?" not in o.prompts
    assert o.meta["excluded"] == 1
    assert load_outcomes(folder, exclude=["Capital of France?", "nope"]).n == 4
    with pytest.raises(RouterlabError, match="exclusion file not found"):
        load_outcomes(folder, exclude=tmp_path / "missing.jsonl")


def test_routellm_folder_model_mismatch(tmp_path):
    folder = _mmlu_folder(tmp_path / "mmlu", with_extra=False)
    pd.DataFrame({"prompt": ["q"], "other-model": [True]}).to_csv(
        folder / "mmlu_z.csv", index=False
    )
    with pytest.raises(RouterlabError, match="same models"):
        load_outcomes(folder)


def test_routellm_wide_csv_with_responses(tmp_path):
    p = tmp_path / "gsm8k_responses.csv"
    pd.DataFrame(
        {
            "prompt": ["a", "b", "c"],
            "weak": ["True", "False", "True"],
            "strong": [True, True, False],
            "weak_response": ["1", "2", None],
        }
    ).to_csv(p, index=False)
    o = load_outcomes(p)
    assert o.models == ("weak", "strong")
    np.testing.assert_array_equal(o.quality, [[1, 1], [0, 1], [1, 0]])
    assert o.responses[0, 0] == "1"
    assert o.responses[2, 0] is None and o.responses[0, 1] is None


def test_wide_without_model_columns(tmp_path):
    p = tmp_path / "x.csv"
    pd.DataFrame({"prompt": ["a", "b"], "note": ["x", "y"]}).to_csv(p, index=False)
    with pytest.raises(RouterlabError, match="no model columns"):
        load_outcomes(p)


# ----------------------------------------------------------------------------- long format
def _long_rows():
    return pd.DataFrame(
        {
            "query_id": ["q1", "q1", "q2", "q2", "q3"],
            "prompt": ["hello", "hello", "sum 2+2", "sum 2+2", "bye"],
            "category": ["chat", "chat", "math", "math", "chat"],
            "model": ["small", "big", "small", "big", "big"],
            "quality": [0.5, 1.0, 0.0, 0.75, 1.0],
            "cost_usd": [0.0, 0.002, 0.0, 0.003, 0.001],
            "latency_s": [0.1, 1.0, 0.2, 1.5, 0.9],
            "tokens_in": [10, 10, 12, 12, 5],
            "tokens_out": [3, 30, 4, 40, 6],
            "response": ["hi", "hello there", "5", "4", "goodbye"],
        }
    )


@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet"])
def test_long_formats(tmp_path, ext):
    df = _long_rows()
    p = tmp_path / f"rows.{ext}"
    if ext == "jsonl":
        df.to_json(p, orient="records", lines=True)
    elif ext == "csv":
        df.to_csv(p, index=False)
    else:
        df.to_parquet(p)
    o = load_outcomes(p)
    assert o.models == ("small", "big")
    assert o.queries["query_id"].tolist() == ["q1", "q2", "q3"]
    assert o.queries["category"].tolist() == ["chat", "math", "chat"]
    np.testing.assert_allclose(o.quality[:2], [[0.5, 1.0], [0.0, 0.75]])
    assert np.isnan(o.quality[2, 0]) and o.quality[2, 1] == 1.0  # missing pair -> nan
    assert o.cost[1, 1] == pytest.approx(0.003) and o.tokens_out[0, 1] == 30
    assert o.responses[1, 0] == "5" and o.responses[2, 0] is None
    np.testing.assert_allclose(o.mean_quality(), [0.25, (1.0 + 0.75 + 1.0) / 3])


def test_long_groups_by_prompt_without_ids(tmp_path):
    df = _long_rows().drop(columns=["query_id"])
    o = from_long(df)
    assert o.n == 3 and o.prompts == ["hello", "sum 2+2", "bye"]


def test_long_rescale_judge_scores(tmp_path):
    df = pd.DataFrame(
        {"prompt": ["a", "a", "b", "b"], "model": ["x", "y", "x", "y"], "quality": [1, 10, 4, 7]}
    )
    p = tmp_path / "judged.jsonl"
    df.to_json(p, orient="records", lines=True)
    with pytest.raises(RouterlabError, match=r"\[0, 1\].*rescale"):
        load_outcomes(p)
    o = load_outcomes(p, rescale=(1, 10))
    np.testing.assert_allclose(o.quality, [[0.0, 1.0], [1 / 3, 2 / 3]])
    with pytest.raises(RouterlabError, match="outside the rescale range"):
        load_outcomes(p, rescale=(1, 5))


def test_long_binary_strings(tmp_path):
    df = pd.DataFrame({"prompt": ["a", "a"], "model": ["x", "y"], "quality": ["True", "false"]})
    o = from_long(df)
    np.testing.assert_array_equal(o.quality, [[1.0, 0.0]])


def test_long_bad_rows():
    base = _long_rows()
    dup = pd.concat([base, base.iloc[[0]]], ignore_index=True)
    with pytest.raises(RouterlabError, match="duplicate rows.*'q1'.*'small'"):
        from_long(dup)
    bad = base.iloc[[0]].assign(quality=0.9)
    with pytest.raises(RouterlabError, match="inconsistent rows.*different quality"):
        from_long(pd.concat([base, bad], ignore_index=True))
    other = base.copy()
    other.loc[1, "prompt"] = "something else"
    with pytest.raises(RouterlabError, match="query_id 'q1' has different prompts"):
        from_long(other)
    with pytest.raises(RouterlabError, match="missing"):
        from_long(base.drop(columns=["quality"]))
    with pytest.raises(RouterlabError, match="not a number"):
        from_long(base.assign(quality="good"))


def test_long_round_trip_to_long(tmp_path):
    o = from_long(_long_rows()).with_model(
        "scenario:frontier", np.array([1.0, 1.0, 0.0]), simulated=True, cost=np.full(3, 0.01)
    )
    p = tmp_path / "rt.parquet"
    o.to_long().to_parquet(p)
    back = load_outcomes(p)
    assert back.models == o.models and back.simulated == ("scenario:frontier",)
    assert back.fingerprint() == o.fingerprint()
    np.testing.assert_allclose(back.cost, o.cost)
    np.testing.assert_allclose(back.latency, o.latency)
    assert back.queries["category"].tolist() == o.queries["category"].tolist()


def test_prices_fill_missing_costs(tmp_path):
    df = _long_rows().drop(columns=["cost_usd"])
    p = tmp_path / "rows.jsonl"
    df.to_json(p, orient="records", lines=True)
    o = load_outcomes(p, prices={"big": (1.0, 10.0)})
    assert o.cost[0, 1] == pytest.approx((10 * 1.0 + 30 * 10.0) / 1e6)
    assert np.isnan(o.cost[0, 0])  # no price given for 'small'


# ----------------------------------------------------------------------------- MT-Bench judgements
def test_mtbench_judgements(tmp_path):
    rows = [
        {
            "question_id": 81,
            "model": "gpt-4",
            "score": 9,
            "turn": 1,
            "user_prompt": "[Instruction]\nJudge.\n\n[Question]\nWrite a poem.\n\n[The Start of Assistant's Answer]\n...",
        },
        {"question_id": 81, "model": "gpt-4", "score": 7, "turn": 2, "user_prompt": "..."},
        {"question_id": 81, "model": "mixtral", "score": 4, "turn": 1, "user_prompt": "..."},
        {"question_id": 81, "model": "mixtral", "score": -1, "turn": 2, "user_prompt": "..."},
    ]
    p = tmp_path / "judgements.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    o = load_outcomes(p)
    assert o.prompts == ["Write a poem."] and o.models == ("gpt-4", "mixtral")
    np.testing.assert_allclose(o.quality, [[(8 - 1) / 9, (4 - 1) / 9]])
    p.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if k != "turn"}) + "\n" for r in rows)
    )
    assert load_outcomes(p).prompts == ["Write a poem."]


# ----------------------------------------------------------------------------- RouterBench
def test_routerbench_wide_pickle(tmp_path):
    df = pd.DataFrame(
        {
            "sample_id": ["mmlu.1", "gsm.2", "gsm.3"],
            "prompt": ["['What is 1+1?']", "plain prompt", "['turn one', 'turn two']"],
            "eval_name": ["mmlu", "gsm8k", "gsm8k"],
            "gpt-4": [1.0, 0.0, 1.0],
            "gpt-4|model_response": ["2", "x", "y"],
            "gpt-4|total_cost": [0.01, 0.02, 0.03],
            "llama": [0.0, 0.5, 1.0],
            "llama|model_response": ["3", "z", "w"],
            "llama|total_cost": [0.001, 0.002, 0.003],
            "oracle_model_to_route_to": ["gpt-4", "llama", "llama"],
        }
    )
    p = tmp_path / "routerbench_0shot.pkl"
    df.to_pickle(p)
    o = load_outcomes(p)
    assert o.models == ("gpt-4", "llama")
    assert o.queries["category"].tolist() == ["mmlu", "gsm8k", "gsm8k"]
    assert o.queries["query_id"].tolist() == ["mmlu.1", "gsm.2", "gsm.3"]
    assert o.prompts[0] == "What is 1+1?" and o.prompts[2] == "turn one\n\nturn two"
    np.testing.assert_allclose(o.cost[:, 1], [0.001, 0.002, 0.003])
    assert o.responses[0, 1] == "3"
    np.testing.assert_allclose(o.quality, df[["gpt-4", "llama"]].to_numpy())
    # a repeated sample_id keeps both rows under distinct ids
    df.loc[2, "sample_id"] = "gsm.2"
    df.to_pickle(p)
    assert load_outcomes(p).queries["query_id"].tolist() == ["mmlu.1", "gsm.2", "gsm.2#2"]


def test_routerbench_long_pickle(tmp_path):
    df = pd.DataFrame(
        {
            "sample_id": ["a", "a", "b", "b"],
            "prompt": ["p1", "p1", "p2", "p2"],
            "eval_name": ["hellaswag", "hellaswag", "mbpp", "mbpp"],
            "model_name": ["m1", "m2", "m1", "m2"],
            "performance": [1.0, 0.0, 0.0, 1.0],
            "model_response": ["r1", "r2", "r3", "r4"],
            "cost": [0.1, 0.2, 0.3, 0.4],
        }
    )
    p = tmp_path / "routerbench_raw.pkl"
    df.to_pickle(p)
    o = load_outcomes(p)
    assert o.models == ("m1", "m2") and o.n == 2
    assert o.queries["category"].tolist() == ["hellaswag", "mbpp"]
    np.testing.assert_allclose(o.cost, [[0.1, 0.2], [0.3, 0.4]])
    assert o.responses[1, 1] == "r4"


# ----------------------------------------------------------------------------- errors, bundled
def test_bad_inputs(tmp_path):
    with pytest.raises(RouterlabError, match="file not found"):
        load_outcomes(tmp_path / "nope.csv")
    with pytest.raises(RouterlabError, match="file not found"):
        load_outcomes("no-such-sample-name")
    with pytest.raises(RouterlabError, match="unknown format"):
        load_outcomes(tmp_path, format="excel")
    p = tmp_path / "x.xlsx"
    p.write_text("x")
    with pytest.raises(RouterlabError, match="unknown format"):
        load_outcomes(p)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RouterlabError, match="no .csv files"):
        load_outcomes(empty)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(RouterlabError, match="cannot read"):
        load_outcomes(bad)
    garbage = tmp_path / "g.pkl"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(RouterlabError, match="cannot read RouterBench pickle"):
        load_outcomes(garbage)


def test_bundled_names_delegate(monkeypatch):
    import sys
    import types

    o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a"]}), ["m"], quality=[[1.0]], name="fake")
    mod = types.ModuleType("routerlab.workloads.bundled")
    mod.BUNDLED = {"tiny-sample": lambda: o}
    monkeypatch.setitem(sys.modules, "routerlab.workloads.bundled", mod)
    assert load_outcomes("tiny-sample") is o
    with pytest.raises(RouterlabError, match="bundled samples: tiny-sample"):
        load_outcomes("other-name")


def test_support_desk_bundled_if_present():
    bundled = pytest.importorskip("routerlab.workloads.bundled")
    from routerlab.config import datasets_dir

    if "support-desk" not in bundled.BUNDLED:
        pytest.skip("support-desk not bundled yet")
    if not (datasets_dir() / "support-desk" / "outcomes-local.jsonl").exists():
        pytest.skip("support-desk outcomes not recorded yet")
    o = load_outcomes("support-desk")
    assert o.n >= 600 and len(o.models) >= 2


# ----------------------------------------------------------------------------- download
@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = []
    _QuietHandler.log = server.requests
    yield root, f"http://127.0.0.1:{server.server_address[1]}/evals/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    log: list = []

    def log_message(self, *args):
        type(self).log.append(self.path)


def test_download_gsm8k_from_local_server(http_root, tmp_path):
    root, base = http_root
    (root / "evals" / "gsm8k").mkdir(parents=True)
    pd.DataFrame({"prompt": ["a", "b"], "weak": [True, False], "strong": [True, True]}).to_csv(
        root / "evals/gsm8k/gsm8k_responses.csv", index=False
    )
    (root / "evals/gsm8k/contaminated_prompts.jsonl").write_text('{"eval_prompt": "b"}\n')
    path = download("routellm-gsm8k", base_url=base)
    assert path.name == "gsm8k_responses.csv" and path.parent.parent.name == "datasets"
    assert str(path).startswith(str(tmp_path / "cache"))
    o = load_outcomes(path, exclude=path.parent / "contaminated_prompts.jsonl")
    assert o.n == 1 and o.models == ("weak", "strong")
    n_requests = len(_QuietHandler.log)
    assert download("routellm-gsm8k", base_url=base) == path  # cached: no new request
    assert len(_QuietHandler.log) == n_requests


def test_download_mmlu_folder_and_failure(http_root, tmp_path):
    root, base = http_root
    _, files, _ = DATASETS["routellm-mmlu"]
    for rel in files[:-1]:
        f = root / "evals" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"prompt": [f"q {rel}"], "a": [True], "b": [False]}).to_csv(f, index=False)
    # the exclusion list is missing on this server: a clear error, no partial file left
    dest = tmp_path / "mmlu-dl"
    with pytest.raises(RouterlabError, match="download of .*contaminated_prompts.jsonl failed"):
        download("routellm-mmlu", dest=dest, base_url=base)
    assert not list(dest.glob("*.part")) and not list(dest.glob(".*"))
    (root / "evals/mmlu/contaminated_prompts.jsonl").write_text('{"eval_prompt": "x"}\n')
    folder = download("routellm-mmlu", dest=dest, base_url=base)
    o = load_outcomes(folder)
    assert o.n == 57 and o.queries["category"].nunique() == 57
    with pytest.raises(RouterlabError, match="unknown dataset"):
        download("nope")
