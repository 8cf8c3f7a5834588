import numpy as np
import pandas as pd
import pytest

from routerlab.errors import RouterlabError
from routerlab.outcomes import Outcomes
from routerlab.routers import features as F
from routerlab.routers import make_router


def _auc(score, label):
    order = np.argsort(score)
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    pos = label.astype(bool)
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())


@pytest.mark.parametrize(
    "features", [["words"], ["chars"], ["embedding"], ["words", "category", "length"]]
)
def test_logistic_learns_who_needs_the_strong_model(outcomes, fake_embeddings, features):
    train, test = outcomes.subset(np.arange(100)), outcomes.subset(np.arange(100, 150))
    r = make_router("logistic", features=features).fit(train)
    s = r.score(test)
    hard = test.queries["difficulty"].to_numpy() == 1
    assert _auc(s, hard) > 0.75


def test_tolerance_and_gain_objective(outcomes, fake_embeddings):
    r0 = make_router("logistic", features=["words"], tolerance=0.0).fit(outcomes)
    r1 = make_router("logistic", features=["words"], tolerance=0.9).fit(outcomes)
    # a larger tolerance labels fewer queries "strong needed"
    assert r1.score(outcomes).mean() <= r0.score(outcomes).mean()
    g = make_router("logistic", features=["words"], objective="gain").fit(outcomes)
    assert g.coef_loss_.shape == g.coef_.shape
    with pytest.raises(RouterlabError, match="objective"):
        make_router("logistic", objective="best").fit(outcomes)
    with pytest.raises(RouterlabError, match="unknown feature"):
        make_router("logistic", features=["pixels"]).fit(outcomes)


def test_numpy_logistic_matches_known_solution():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    w = np.array([1.5, -2.0, 0.5])
    y = (rng.random(2000) < F.sigmoid(X @ w + 0.3)).astype(float)
    coef = F.fit_logistic(F.Design(X), y, l2=1e-6)
    np.testing.assert_allclose(coef, [0.3, *w], atol=0.25)
    # gradient is ~0 at the optimum
    p = F.sigmoid(F.Design(X).dot(coef))
    assert np.abs(F.Design(X).tdot(p - y) / len(y)).max() < 1e-4


def test_hashed_tfidf_rows_are_unit_and_stable():
    sp = F.hashed_ngrams(
        ["Reset my password", "reset MY password", ""], n_buckets=256, char_ngrams=(3,)
    )
    t = F.tfidf(sp, F.fit_idf(sp))
    norms = np.sqrt(np.bincount(t.rows, weights=t.vals**2, minlength=3))
    np.testing.assert_allclose(norms[:2], 1.0)
    assert norms[2] == 0  # empty text -> no features
    a = F.hashed_ngrams(["Reset my password"], n_buckets=256)
    b = F.hashed_ngrams(["reset my password"], n_buckets=256)
    np.testing.assert_array_equal(a.cols, b.cols)


@pytest.mark.slow
def test_logistic_with_the_real_encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path))
    easy = [f"what is {a} plus {b}" for a, b in [(1, 2), (3, 4), (5, 1), (2, 2), (7, 1), (6, 3)]]
    hard = [
        "prove that there are infinitely many primes",
        "derive the Black-Scholes equation",
        "explain the proof of Fermat's last theorem",
        "solve this partial differential equation",
        "show that the halting problem is undecidable",
        "prove the central limit theorem",
    ]
    o = Outcomes.from_arrays(
        pd.DataFrame({"prompt": easy + hard}),
        ["small", "big"],
        quality=np.array([[1, 1]] * 6 + [[0, 1]] * 6, dtype=float),
    )
    r = make_router("logistic", features=["embedding"], l2=0.1).fit(o)
    s = r.score(
        ["what is 9 plus 2", "prove the Riemann hypothesis implies the prime number theorem"]
    )
    assert s[1] > s[0]


@pytest.mark.slow
def test_logistic_on_support_desk(bundled):
    from router_data import auc

    train, test, strong, weak = bundled
    gap = test.quality[:, test.col(strong)] - test.quality[:, test.col(weak)]
    for features in (["embedding", "category", "length"], ["words", "category"]):
        r = make_router("logistic", features=features, strong=strong, weak=weak).fit(train)
        assert auc(r.score(test), gap > 0) > 0.7, features


ODD_PROMPTS = [
    "",
    "  ",
    "ÄÖÜ café 東京",
    "a\x00b c\x00 dd",
    "x " * 300,
    "Hello,  WORLD_x 12 ab-cd\t\n",
]


@pytest.mark.parametrize(
    "features",
    [
        ["embedding", "category", "length"],
        ["words"],
        ["chars"],
        ["words", "chars", "category", "length"],
    ],
)
@pytest.mark.parametrize("objective", ["win", "gain"])
def test_score_one_equals_the_batch_row(fake_embeddings, features, objective):
    from router_data import check_score_one_rows, make_outcomes

    from routerlab.routers import Queries

    data = make_outcomes(150, seed=3)
    r = make_router("logistic", features=features, objective=objective)
    r.fit(data.subset(np.arange(100)))
    test = Queries.from_outcomes(data.subset(np.arange(100, 150)))
    prompts = test.prompts + ODD_PROMPTS
    cats = [*test.categories, "billing", None, "unseen", "chat", "contracts", None]
    emb = fake_embeddings(prompts)
    check_score_one_rows(r, prompts, cats, emb)


@pytest.mark.parametrize("n_buckets", [2**15, 1000, 2**32, 2**33])
def test_one_text_buckets_match_hashed_ngrams(n_buckets):
    texts = [
        *ODD_PROMPTS,
        "Reset my PASSWORD: order ORD-69699 (KS-311)!",
        "İstanbul straße ǅ ﬁ e\u0301",
    ]
    for text in texts:
        sp = F.hashed_ngrams([text], n_buckets=n_buckets, word_ngrams=3, char_ngrams=(1, 3, 5, 9))
        words = F.word_buckets_one(text, n_buckets, 3)
        chars = F.char_buckets_one(text, n_buckets, (1, 3, 5, 9))
        keys, counts = np.unique(
            np.array(words + chars.tolist(), dtype=np.int64), return_counts=True
        )
        np.testing.assert_array_equal(keys, sp.cols)
        np.testing.assert_array_equal(counts, sp.vals)


def test_word_hash_memo_stays_bounded(monkeypatch):
    monkeypatch.setattr(F, "_MEMO_MAX", 10)
    monkeypatch.setattr(F, "_WORD_MEMO", {})
    text = " ".join(f"w{i}" for i in range(25))
    want = F.word_buckets_one(text, 1024)
    for j in range(3):
        F.word_buckets_one(" ".join(f"v{j}x{i}" for i in range(25)), 1024)
        assert F.word_buckets_one(text, 1024) == want
        assert len(F._WORD_MEMO[1024]) <= 10 + 25
