"""Specs, the models file, prices, parameter checks, the replay backend and get_backend."""

from __future__ import annotations

import json

import pytest

from routerlab.completion import Completion
from routerlab.errors import BackendError, RouterlabError
from routerlab.models import Backend, get_backend, load_models_file, parse_spec, validate_params
from routerlab.models.base import normalize_input
from routerlab.models.prices import TIERS, Price, price_from
from routerlab.models.replay import ReplayBackend, replay_row
from routerlab.models.specs import resolve


# ------------------------------------------------------------------------------------ specs
@pytest.mark.parametrize(
    ("spec", "kind", "target", "base_url", "replay_model"),
    [
        ("gguf:smollm2-135m", "gguf", "smollm2-135m", None, None),
        ("gguf:/models/x.gguf", "gguf", "/models/x.gguf", None, None),
        ("openai:gpt-4o-mini", "openai", "gpt-4o-mini", None, None),
        (
            "openai:llama@http://127.0.0.1:8080/v1",
            "openai",
            "llama",
            "http://127.0.0.1:8080/v1",
            None,
        ),
        ("openai:org/m@x@https://h.example/v1", "openai", "org/m@x", "https://h.example/v1", None),
        ("replay:answers.jsonl#gpt-4o", "replay", "answers.jsonl", None, "gpt-4o"),
        ("replay:answers.jsonl", "replay", "answers.jsonl", None, None),
    ],
)
def test_parse_spec(spec, kind, target, base_url, replay_model):
    s = parse_spec(spec)
    assert (s.kind, s.target, s.base_url, s.replay_model) == (kind, target, base_url, replay_model)


@pytest.mark.parametrize("spec", ["", "gpt4", "hf:foo", "gguf:", "openai:@http://x/v1"])
def test_parse_spec_errors_are_one_line(spec):
    with pytest.raises(RouterlabError) as err:
        parse_spec(spec)
    assert "\n" not in str(err.value)


def test_unknown_alias_without_models_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTERLAB_MODELS", raising=False)
    with pytest.raises(RouterlabError, match="unknown model 'frontier'.*gguf:smollm2-135m"):
        get_backend("frontier")


MODELS_TOML = """
[models.frontier]
spec = "openai:gpt-4o"
tier = "frontier"
key_env = "MY_FRONTIER_KEY"
base_url_env = "MY_FRONTIER_URL"

[models.cheap]
spec = "openai:small@http://127.0.0.1:9/v1"
input_per_m = 0.5
output_per_m = 1.5

[models.edge]
spec = "gguf:smollm2-135m"
cost_per_token = 2e-9
"""


def test_models_file_aliases(tmp_path, monkeypatch):
    path = tmp_path / "routerlab-models.toml"
    path.write_text(MODELS_TOML)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTERLAB_MODELS", raising=False)
    models = load_models_file()
    assert set(models) == {"frontier", "cheap", "edge"}
    assert models["frontier"].price == TIERS["frontier"]
    assert models["cheap"].price.cost(2_000_000, 1_000_000) == pytest.approx(2.5)
    assert models["edge"].price.cost(10, 5) == pytest.approx(15 * 2e-9)

    # the key comes from the env var NAMED in the file; the base URL too
    monkeypatch.setenv("MY_FRONTIER_KEY", "sk-test-abc")
    monkeypatch.setenv("MY_FRONTIER_URL", "https://proxy.example/v1")
    b = get_backend("frontier")
    assert (b.kind, b.model, b.model_name) == ("openai", "frontier", "gpt-4o")
    assert b.base_url == "https://proxy.example/v1"
    assert b.identity() == {"model": "gpt-4o", "base_url": "https://proxy.example/v1"}
    assert "sk-test-abc" not in json.dumps(b.identity()) + repr(b)
    monkeypatch.delenv("MY_FRONTIER_KEY")
    with pytest.raises(BackendError, match="MY_FRONTIER_KEY"):
        get_backend("frontier")

    # ROUTERLAB_MODELS names another file, which wins over the working directory's
    other = tmp_path / "other.toml"
    other.write_text('[models.solo]\nspec = "openai:m@http://localhost:1/v1"\n')
    monkeypatch.setenv("ROUTERLAB_MODELS", str(other))
    assert get_backend("solo").model == "solo"
    with pytest.raises(RouterlabError, match="unknown model 'edge'.*known aliases: solo"):
        resolve("edge")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[models.a\nspec=1", "not valid TOML"),
        ('[models.a]\nspec = "gguf:x"\ncolour = "red"\n', "unknown field"),
        ('[models.a]\ntier = "frontier"\n', "needs spec"),
        ('[models.a]\nspec = "nope:x"\n', r"\[models.a\]: unknown model spec"),
        ('[models.a]\nspec = "gguf:x"\ntier = "gold"\n', "unknown price tier 'gold'"),
        ('[models.a]\nspec = "gguf:x"\ninput_per_m = -1\n', "must be a number >= 0"),
        ('[a]\nspec = "gguf:x"\n', r"must hold \[models.NAME\]"),
    ],
)
def test_malformed_models_file(tmp_path, monkeypatch, text, match):
    path = tmp_path / "m.toml"
    path.write_text(text)
    monkeypatch.setenv("ROUTERLAB_MODELS", str(path))
    with pytest.raises(RouterlabError, match=match) as err:
        get_backend("a")
    assert "\n" not in str(err.value)


def test_models_env_pointing_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_MODELS", str(tmp_path / "missing.toml"))
    with pytest.raises(RouterlabError, match="does not exist"):
        get_backend("edge")


# ----------------------------------------------------------------------------------- prices
def test_prices():
    assert TIERS["frontier"].cost(1_000_000, 1_000_000) == pytest.approx(30.0)
    assert TIERS["efficient"].cost(1_000_000, 0) == pytest.approx(1.0)
    assert TIERS["local"].cost(123, 456) == 0.0
    assert Price.per_token(1e-6).cost(3, 4) == pytest.approx(7e-6)
    assert price_from("efficient") is TIERS["efficient"]
    assert price_from((2, 8)).cost(500_000, 250_000) == pytest.approx(3.0)
    assert price_from({"tier": "frontier", "output_per_m": 20}).output_per_m == 20.0
    with pytest.raises(RouterlabError):
        price_from("gold")
    with pytest.raises(RouterlabError):
        Price("cheap", 1)


# ------------------------------------------------------------------------------ parameters
def test_validate_params_defaults_and_coercion():
    assert validate_params({}) == {"max_tokens": 256, "temperature": 0.0}
    p = validate_params({"max_tokens": "8", "temperature": "0.5", "stop": "\n", "seed": 3.0})
    assert p == {"max_tokens": 8, "temperature": 0.5, "stop": ["\n"], "seed": 3}
    assert validate_params({"logprobs": False, "seed": None}) == validate_params({})


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_tokens": -1}, "max_tokens must be > 0"),
        ({"max_tokens": 2.5}, "whole number"),
        ({"temperature": "hot"}, "temperature must be a number, got 'hot'"),
        ({"temperature": 3}, "between 0 and 2"),
        ({"top_p": 0}, "top_p"),
        ({"stop": [1]}, "stop must be"),
        ({"logprobs": "yes"}, "logprobs must be true or false"),
        ({"sample": -1}, "sample must be >= 0"),
        ({"temprature": 0}, "unknown parameter"),
        ({"max_tokens": True}, "whole number"),
    ],
)
def test_invalid_params(params, match):
    with pytest.raises(RouterlabError, match=match) as err:
        validate_params(params)
    assert "\n" not in str(err.value)


def test_normalize_input():
    assert normalize_input("hi") == "hi"
    assert normalize_input("hi", system="be brief") == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    msgs = [{"role": "user", "content": "x", "name": "ignored"}]
    assert normalize_input(msgs) == [{"role": "user", "content": "x"}]
    for bad in ([], [{"role": "robot", "content": "x"}], [{"content": "x"}], 42, {"role": "user"}):
        with pytest.raises(RouterlabError):
            normalize_input(bad)


# ----------------------------------------------------------------------------------- replay
def _write_replay(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_replay_backend(tmp_path):
    c = Completion("Paris", 12, 2, 0.5, 0.0001, "gpt-4o", "stop", confidence=-0.1)
    rows = [
        replay_row("Capital of France?", c),
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "2+2?"}], "text": "4",
         "tokens_in": 5, "tokens_out": 1},
        {"model": "mini", "prompt": "2+2?", "response": "5", "tokens_in": 5, "tokens_out": 1},
    ]  # fmt: skip
    path = _write_replay(tmp_path / "rec.jsonl", rows)
    b = get_backend(f"replay:{path}#gpt-4o", price=(1, 10))
    assert isinstance(b, Backend) and b.kind == "replay" and not b.cacheable
    got = b.complete("Capital of France?")
    assert (got.text, got.tokens_in, got.tokens_out, got.cost_usd) == ("Paris", 12, 2, 0.0001)
    assert got.confidence == -0.1 and got.latency_s == 0.5
    # a prompt string and one user message are the same question; missing cost -> from tokens
    four = b.complete("2+2?")
    assert four.text == "4" and four.cost_usd == pytest.approx((5 * 1 + 1 * 10) / 1e6)
    assert (
        get_backend(f"replay:{path}#mini").complete([{"role": "user", "content": "2+2?"}]).text
        == "5"
    )
    with pytest.raises(BackendError, match="no recorded answer from gpt-4o for 'Unknown q'"):
        b.complete("Unknown q")
    with pytest.raises(RouterlabError, match="several models"):
        get_backend(f"replay:{path}")
    with pytest.raises(RouterlabError, match="'nope' is not in replay file"):
        get_backend(f"replay:{path}#nope")
    with pytest.raises(RouterlabError, match="replay file not found"):
        get_backend(f"replay:{tmp_path / 'none.jsonl'}")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"model": "m", "text": "no prompt"}\n')
    with pytest.raises(RouterlabError, match="line 1 is not a replay row"):
        ReplayBackend(str(bad))


def test_get_backend_rejects_bad_overrides_and_objects():
    with pytest.raises(RouterlabError, match="unknown option"):
        get_backend("openai:m@http://127.0.0.1:1/v1", template="x")
    with pytest.raises(RouterlabError, match="spec string or a backend"):
        get_backend(42)


def test_public_api_is_pinned():
    import routerlab.models as m

    assert sorted(m.__all__) == sorted(
        [
            "Backend",
            "ModelSpec",
            "Price",
            "TIERS",
            "TransientBackendError",
            "get_backend",
            "load_models_file",
            "normalize_input",
            "parse_spec",
            "validate_params",
        ]
    )


def test_a_minimal_user_backend_is_a_backend(tmp_cache):
    from routerlab.cache import CallCache

    class Mine:
        kind, model, is_chat, price = "custom", "mine", True, Price()

        def identity(self):
            return {"name": "mine"}

        def complete(self, messages_or_prompt, **params):
            return Completion("ok", 1, 1, 0.1, 0.0, self.model)

    b = Mine()
    assert isinstance(b, Backend) and get_backend(b) is b
    cache = CallCache()
    cache.complete(b, "x")
    assert cache.complete(b, "x").cached
