"""The bundled support-desk generator: determinism, shape, references and graders."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from routerlab.config import datasets_dir
from routerlab.errors import RouterlabError
from routerlab.workloads import Workload
from routerlab.workloads.support_desk import PII_SHARES, SHARES, generate, main


@pytest.fixture(scope="module")
def workload() -> Workload:
    return generate(seed=0)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = generate(seed=3, n=120).save(tmp_path / "a.jsonl")
    b = generate(seed=3, n=120).save(tmp_path / "b.jsonl")
    c = generate(seed=4, n=120).save(tmp_path / "c.jsonl")
    assert _sha(a) == _sha(b)
    assert _sha(a) != _sha(c)


def test_committed_file_is_the_generator_output(tmp_path):
    committed = datasets_dir() / "support-desk" / "workload.jsonl"
    assert main(["--out", str(tmp_path / "w.jsonl")]) == 0
    assert _sha(tmp_path / "w.jsonl") == _sha(committed)


def test_size_and_category_shares(workload):
    n = len(workload)
    assert n >= 600
    counts = Counter(q.category for q in workload)
    assert len(counts) >= 6
    for cat, share in SHARES.items():
        assert abs(counts[cat] / n - share) < 0.01, cat
    simple = sum(counts[c] for c in ("lookup", "reformat", "extract")) / n
    assert 0.65 <= simple <= 0.75


def test_pii_share_and_flag_matches_content(workload):
    pii = [q for q in workload if q.contains_pii]
    assert abs(len(pii) / len(workload) - sum(PII_SHARES.values())) < 0.02
    # every PII query quotes a synthetic e-mail, phone number or account id; no other query does
    marks = ("@example.", "+1-555-01", "AC-")
    assert all(any(m in q.prompt for m in marks) for q in pii)
    assert not any(any(m in q.prompt for m in marks) for q in workload if not q.contains_pii)


def test_every_query_is_graded_and_its_reference_scores_one(workload):
    for q in workload:
        assert q.reference, q.query_id
        assert q.grade(q.reference) == 1.0, (q.query_id, q.grader, q.reference)
        assert q.grade("") == 0.0


def test_wrong_answers_score_below_one(workload):
    # a grader that accepts anything would be useless: an unrelated answer must fail
    scores = [q.grade("I am not sure, please contact support.") for q in workload]
    assert max(scores) < 1.0


def test_difficulty_and_stakes(workload):
    assert {q.difficulty for q in workload} == {1, 2, 3}
    for cat in ("arithmetic", "contract", "code", "lookup"):
        assert len({q.difficulty for q in workload if q.category == cat}) >= 2, cat
    assert {q.stakes for q in workload if q.category == "contract"} == {5.0}
    assert max(q.stakes for q in workload if q.category != "contract") < 5.0


def test_prompts_unique_and_ids_stable(workload):
    assert len(set(workload.prompts)) == len(workload)
    assert workload.ids[:2] == ["sd-0000", "sd-0001"]


def test_too_small_n_is_a_user_error():
    with pytest.raises(RouterlabError, match="n >="):
        generate(n=3)
