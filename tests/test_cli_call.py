"""``routerlab call`` and ``routerlab demo`` as a user runs them: a subprocess, exit codes, stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from servers import free_port

pytestmark = pytest.mark.slow


def routerlab(*args, env=None, cwd=None, stdin=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "routerlab", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=full_env,
        cwd=cwd,
        input=stdin,
    )


def test_version():
    out = routerlab("--version")
    assert out.returncode == 0 and out.stdout.startswith("routerlab ")


def test_call_json_then_cached(tmp_cache):
    args = ("call", "gguf:smollm2-135m", "What is 2+2?", "--json", "--max-tokens", "8")
    first = routerlab(*args)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout.strip().splitlines()[-1])
    keys = {
        "text",
        "tokens_in",
        "tokens_out",
        "latency_s",
        "cost_usd",
        "cached",
        "model",
        "confidence",
    }
    assert keys <= set(data)
    assert data["text"] and data["tokens_out"] <= 8 and data["cached"] is False
    assert data["model"] == "smollm2-135m" and data["confidence"] is None
    second = json.loads(routerlab(*args).stdout.strip().splitlines()[-1])
    assert second["cached"] is True and second["text"] == data["text"]
    assert second["latency_s"] == data["latency_s"]
    lp = json.loads(routerlab(*args, "--logprobs").stdout.strip().splitlines()[-1])
    assert isinstance(lp["confidence"], float) and lp["cached"] is False
    plain = routerlab("call", "gguf:smollm2-135m", "What is 2+2?", "--max-tokens", "8")
    assert plain.returncode == 0 and plain.stdout.strip() == data["text"].strip()
    assert "cached" in plain.stderr


def test_call_over_openai_server(llama_server, tmp_cache):
    out = routerlab("call", llama_server.spec, "Say hi", "--json", "--max-tokens", "6",
                    env={"OPENAI_API_KEY": ""})  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1])["model"] == "smollm2-135m"


def _assert_user_error(out, fragment):
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in out.stderr


def test_bad_inputs_are_one_line_errors(tmp_path, tmp_cache):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"\x00" * 64)
    truncated = tmp_path / "trunc.gguf"
    truncated.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 56)
    bad_models = tmp_path / "bad.toml"
    bad_models.write_text("[models.x\nspec = 1\n")
    no_key = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    port = free_port()
    cases = [
        (("call", "nope:model", "hi"), {}, "unknown model spec 'nope:model'"),
        (("call", "frontier", "hi"), {}, "unknown model 'frontier'"),
        (("call", f"gguf:{tmp_path / 'missing.gguf'}", "hi"), {}, "GGUF file not found"),
        (("call", f"gguf:{junk}", "hi"), {}, "is not a GGUF file"),
        (("call", f"gguf:{truncated}", "hi"), {}, "cannot load GGUF file"),
        (("call", "gguf:gemma3-270m", "hi", "--system", "be nice"), {}, "completion-only model"),
        (("call", "openai:gpt-4o-mini", "hi"), no_key, "no API key"),
        (("call", f"openai:m@http://127.0.0.1:{port}/v1", "hi"), {}, "is the server running?"),
        (("call", "gguf:smollm2-135m", "hi", "--max-tokens", "-1"), {}, "max_tokens must be > 0"),
        (
            ("call", "gguf:smollm2-135m", "hi", "--temperature", "hot"),
            {},
            "temperature must be a number",
        ),
        (("call", "gguf:smollm2-135m", "   "), {}, "prompt is empty"),
        (("call", "x", "hi"), {"ROUTERLAB_MODELS": str(bad_models)}, "is not valid TOML"),
    ]
    for args, env, fragment in cases:
        _assert_user_error(routerlab(*args, env=env, cwd=tmp_path), fragment)
