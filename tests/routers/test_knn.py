import numpy as np
import pandas as pd
import pytest

from routerlab.outcomes import Outcomes
from routerlab.routers import Queries, make_router


def test_knn_finds_where_the_strong_model_helps(outcomes, fake_embeddings):
    train, test = outcomes.subset(np.arange(100)), outcomes.subset(np.arange(100, 150))
    r = make_router("knn", k=10, shrinkage=2.0).fit(train)
    s = r.score(test)
    hard = test.queries["difficulty"].to_numpy() == 1
    assert s[hard].mean() > s[~hard].mean() + 0.1


def test_knn_shrinks_to_the_category_prior(outcomes, fake_embeddings):
    r = make_router("knn", shrinkage=1e9).fit(outcomes)
    cat = make_router("category", alpha=10.0).fit(outcomes)
    np.testing.assert_allclose(r.predict_gain(outcomes), cat.expected_gain(outcomes), atol=1e-6)
    # without categories the prior is the global mean
    q = Queries.from_texts(outcomes.prompts[:5])
    np.testing.assert_allclose(r.predict_gain(q), r.global_, atol=1e-6)


def test_knn_state_is_int8_and_compact(outcomes, fake_embeddings):
    r = make_router("knn").fit(outcomes)
    st = r.get_state()
    assert all(isinstance(v, int) and -127 <= v <= 127 for v in st["bank_"][0])


@pytest.mark.slow
def test_knn_with_the_real_encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE", str(tmp_path))
    billing = [
        "I was charged twice for my subscription",
        "refund my last invoice please",
        "why is there an extra fee on my bill",
        "my payment failed at checkout",
    ]
    legal = [
        "is this non-compete clause enforceable",
        "review the indemnity section of our contract",
        "can the landlord keep my deposit under the lease",
        "what does force majeure cover",
    ]
    q = pd.DataFrame({"prompt": billing + legal})
    quality = np.array([[1, 1]] * 4 + [[0, 1]] * 4, dtype=float)
    o = Outcomes.from_arrays(q, ["small", "big"], quality=quality)
    r = make_router("knn", k=3, shrinkage=0.5).fit(o)
    s = r.score(
        Queries.from_texts(
            [
                "please check the liability clause of this agreement",
                "I need a refund for a double charge",
            ]
        )
    )
    assert s[0] > s[1]
    assert r.bank_.shape == (8, 384)


@pytest.mark.slow
def test_knn_on_support_desk(bundled):
    from router_data import auc

    train, test, strong, weak = bundled
    r = make_router("knn", strong=strong, weak=weak).fit(train)
    gap = test.quality[:, test.col(strong)] - test.quality[:, test.col(weak)]
    assert auc(r.score(test), gap > 0) > 0.7
