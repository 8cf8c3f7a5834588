"""The production runtime: numpy only, messages or prompts, PII rule, reasons, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from routerlab import policy
from routerlab.errors import RouterlabError
from routerlab.policy.runtime import PiiDetector, text_of
from routerlab.routers import REGISTRY, Queries, make_router

BLOCK = """
import sys
for name in BLOCKED:
    sys.modules[name] = None   # importing any of them now raises ImportError
from routerlab import policy
p = policy.load(sys.argv[1])
out = [p.route(t).to_dict() for t in sys.argv[2:]]
heavy = sorted(m for m in ("pandas", "pyarrow", "diskcache") if sys.modules.get(m) is not None)
print(json.dumps({"decisions": out, "heavy": heavy}))
"""


NUMPY_ONLY = ("pandas", "sklearn", "scipy", "pyarrow", "jsonschema", "diskcache", "openai", "torch")


def _code(blocked) -> str:
    return f"import json\nBLOCKED = {tuple(blocked)!r}\n" + BLOCK


def _export(router, split, tmp_path, name="policy.json", **kw):
    train, test = split
    doc = policy.export_policy(router, train, calibration=test, rules=["pii"], n_boot=100, **kw)
    return policy.save(doc, tmp_path / name)


def test_routes_with_numpy_only(split, sample, tmp_path):
    train, _ = split
    router = make_router("random", threshold=0.4).fit(train)
    path = _export(router, split, tmp_path)
    texts = sample.prompts[:5] + ["Please email me at jo@example.com"]
    proc = subprocess.run(
        [sys.executable, "-c", _code(NUMPY_ONLY), str(path), *texts],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["heavy"] == []
    here = policy.load(path)
    assert res["decisions"] == [here.route(t).to_dict() for t in texts]
    assert res["decisions"][-1]["pii"] is True
    assert res["decisions"][-1]["model"] in here.pii_rule["allow"]


@pytest.mark.slow
def test_embedding_router_with_numpy_and_sentence_transformers_only(split, sample, tmp_path):
    if "knn" not in REGISTRY:
        pytest.skip("the knn router is not registered yet")
    train, _ = split
    router = make_router("knn").fit(train)
    path = _export(router, split, tmp_path)
    texts = sample.prompts[:3]
    # sentence-transformers brings torch, scipy and scikit-learn; pandas and our own extras stay out
    code = _code(("pandas", "pyarrow", "jsonschema", "diskcache", "openai"))
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path), *texts], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    want = router.route(Queries.from_texts(texts))
    here = policy.load(path)
    assert [d["model"] for d in res["decisions"]] == [here.model_id(w) for w in want]


def test_messages_pii_and_reasons(split):
    train, test = split
    router = make_router("random", threshold=0.5).fit(train)
    doc = policy.export_policy(router, train, calibration=test, rules=["pii"], n_boot=50)
    p = policy.Policy(doc)
    weak, strong = router.models_
    q = "What is the notice period in this contract?"
    d = p.route(q, contains_pii=False)
    s = float(router.score(Queries.from_texts([q]))[0])
    assert d.score == pytest.approx(s)
    assert d.model == (strong if s >= 0.5 else weak)
    assert ("threshold 0.500" in d.reason) and (">=" in d.reason) == (s >= 0.5)
    # messages: the router scores the last user turn; PII anywhere in the conversation counts
    msgs = [
        {"role": "system", "content": "You help customers."},
        {"role": "user", "content": "My phone is +1-555-0199."},
        {"role": "assistant", "content": "Thanks."},
        {"role": "user", "content": q},
    ]
    dm = p.route(msgs)
    assert dm.pii and dm.model in p.pii_rule["allow"]
    assert dm.score == pytest.approx(s)
    if d.model not in p.pii_rule["allow"]:
        assert "PII" in dm.reason and "phone" in dm.reason
    # the caller's flag wins over detection
    assert p.route("mail a@b.com " + q, contains_pii=False).pii is False
    assert p.route(q, contains_pii=True).model in p.pii_rule["allow"]
    # threshold override (RouteLLM-style alias)
    assert p.route(q, threshold=0.0, contains_pii=False).model == strong
    assert p.route(q, threshold=1.01, contains_pii=False).model == weak


def test_pii_regex_on_the_sample(sample):
    det = PiiDetector()
    found = np.array([det.detect(t) is not None for t in sample.prompts])
    truth = sample.queries["contains_pii"].to_numpy(dtype=bool)
    assert truth.sum() > 0
    recall = (found & truth).sum() / truth.sum()
    false_pos = (found & ~truth).sum() / (~truth).sum()
    assert recall >= 0.95 and false_pos <= 0.02, (recall, false_pos)
    for text, kind in [
        ("reach me at +1-555-0129", "phone"),
        ("call (555) 123-4567 today", "phone"),
        ("account AC-958790 is late", "account_id"),
        ("card 4111 1111 1111 1111", "card"),
    ]:
        assert det.detect(text) == kind
    for text in ["order ORD-12345 on 2024-01-15", "add 1200 and 1500", "SKU KS-311"]:
        assert det.detect(text) is None


def test_bad_route_inputs(split):
    train, _ = split
    p = policy.Policy(policy.export_policy(make_router("random").fit(train), train, n_boot=20))
    with pytest.raises(RouterlabError, match="prompt string or a list"):
        p.route({"role": "user"})
    with pytest.raises(RouterlabError, match="messages is empty"):
        p.route([])
    assert text_of([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])[0] == "hi"


def _regex_only(detector: PiiDetector, text: str) -> str | None:
    """What the detector answers without its literal pre-check: every regex, in order."""
    return next((name for name, rx in detector._compiled if rx.search(text)), None)


def test_pii_pre_check_changes_no_answer(sample):
    """The literal pre-check skips only regexes that cannot match: same answers as the regexes
    alone on the sample and on 100,000 random strings made of PII-like pieces."""
    import random

    d = PiiDetector()
    assert d._pre  # the defaults use the pre-check
    for t in sample.prompts:
        assert d.detect(t) == _regex_only(d, t)
    rng = random.Random(0)
    pieces = ["@", "a.b", ".com", "+1 ", "+44", "(555)", " 555-0100", "555.123.4567", "1234",
              "4111 1111 1111 1111", "4111-1111", "Account no. ", "ACCT-", "AC", "ac", "Customer",
              "member #", "client id:", "CUST", "ID", "-", " ", "\t", "\n", ":", "#", ")", "(",
              "x", "7", "0", "٣", "é", "number ", "no.", "ember", "lient", "_", "M", "c", "mcct",
              "Cember", "Dec", "ACCT", "AC-", "2024", "a", ".", "Client"]  # fmt: skip
    hits = 0
    for _ in range(150_000):
        t = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        got = d.detect(t)
        assert got == _regex_only(d, t), t
        hits += got is not None
    assert hits > 1000  # the strings do exercise the patterns


def test_custom_pii_patterns_skip_the_pre_check():
    d = PiiDetector({"ticket": r"TICKET-\d+", "email": r"\S+@\S+"})
    assert not d._pre  # a changed default pattern loses its pre-check: regexes decide
    assert d.detect("see TICKET-12") == "ticket"
    assert d.detect("mail me: a@b") == "email"
    assert d.detect("nothing here 123") is None


def test_embedding_given_in_any_array_form(split):
    """A precomputed embedding may come as float32 or float64, 1-D, (1, d) or a plain list: same
    decision and score; a wrong width is a one-line error naming the fix."""
    train, test = split
    router = make_router("knn").fit(train)
    p = policy.Policy(policy.export_policy(router, train, rules=["pii"], n_boot=20))
    emb = Queries.from_outcomes(test).embeddings_for()
    for i in range(5):
        e = emb[i]
        want = p.route(test.prompts[i], embedding=e)
        for form in (e.astype(np.float64), e.reshape(1, -1), e.tolist()):
            assert p.route(test.prompts[i], embedding=form) == want
    with pytest.raises(RouterlabError, match="dimensions.*same encoder"):
        p.route(test.prompts[0], embedding=emb[0][:10])


def test_decision_reason_is_written_when_read(split):
    from routerlab.policy import Decision

    train, test = split
    router = make_router("random", threshold=0.5).fit(train)
    p = policy.Policy(policy.export_policy(router, train, rules=["pii"], n_boot=20))
    q = "What is the notice period in this contract?"
    d = p.route(q, contains_pii=False)
    assert not isinstance(d._reason, str)  # nothing formatted until asked
    model, score, reason, pii = d
    assert isinstance(reason, str) and d.reason is reason and "threshold 0.500" in reason
    assert d.to_dict() == {"model": model, "score": score, "reason": reason, "pii": False}
    assert d == Decision(model, score, reason, False) and d != Decision(model, score, "x", False)
    assert f"reason={reason!r}" in repr(d)
    # PII: kept on the allowed model, or allowed where the router sent it
    allow = p.pii_rule["allow"]
    for text in (q, "Why is the sky blue?", "Summarise clause 4 of the contract."):
        dp = p.route(text, contains_pii=True)
        plain = p.route(text, contains_pii=False)
        assert dp.model in allow
        if plain.model in allow:
            assert (
                dp.reason == plain.reason + f"; PII (flagged by the caller) allowed on {dp.model}"
            )
        else:
            assert dp.reason == (
                f"PII (flagged by the caller): rule keeps it on {allow[0]} instead of {plain.model}"
            )
