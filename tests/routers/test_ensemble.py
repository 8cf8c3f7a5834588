import numpy as np
import pytest

from routerlab.errors import RouterlabError
from routerlab.routers import make_router


def test_stacker_trusts_the_informative_member(outcomes, fake_embeddings):
    members = [{"kind": "knn", "params": {"k": 10}}, {"kind": "random"}]
    r = make_router("ensemble", members=members, objective="win").fit(outcomes)
    _, w_knn, w_rand = r.stack_coef_
    assert abs(w_knn) > 3 * abs(w_rand)
    assert r.member_scores(outcomes).shape == (outcomes.n, 2)


def test_ensemble_beats_a_noise_member_out_of_sample(outcomes, fake_embeddings):
    from router_data import make_outcomes

    test = make_outcomes(300, seed=7)
    members = [{"kind": "logistic", "params": {"features": ["words"]}}, {"kind": "random"}]
    ens = make_router("ensemble", members=members).fit(outcomes)
    gap = test.quality[:, 2] - test.quality[:, 0]

    def gain_at_30(s):
        top = np.argsort(-s, kind="stable")[: int(0.3 * len(s))]
        return gap[top].sum()

    rand = make_router("random").fit(outcomes).score(test)
    assert gain_at_30(ens.score(test)) > gain_at_30(rand)


def test_bad_members(outcomes):
    with pytest.raises(RouterlabError, match="cannot be an ensemble member"):
        make_router("ensemble", members=[{"kind": "oracle"}]).fit(outcomes)
    with pytest.raises(RouterlabError, match="known routers"):
        make_router("ensemble", members=[{"kind": "magic"}]).fit(outcomes)


@pytest.mark.slow
def test_ensemble_on_support_desk(bundled):
    from router_data import auc

    train, test, strong, weak = bundled
    r = make_router("ensemble", strong=strong, weak=weak).fit(train)
    gap = test.quality[:, test.col(strong)] - test.quality[:, test.col(weak)]
    assert auc(r.score(test), gap > 0) > 0.7
    assert len(r.members_) == 3 and r.stack_coef_.shape == (4,)


@pytest.mark.parametrize("objective", ["gain", "win"])
@pytest.mark.parametrize("words", [False, True], ids=["default", "words-member"])
def test_score_one_equals_the_batch_row(fake_embeddings, objective, words):
    from router_data import check_score_one_rows, make_outcomes

    from routerlab.routers import Queries
    from routerlab.routers.ensemble import DEFAULT_MEMBERS, WORDS_MEMBER

    data = make_outcomes(150, seed=3)
    members = [*DEFAULT_MEMBERS, WORDS_MEMBER] if words else None
    r = make_router("ensemble", objective=objective, members=members)
    r.fit(data.subset(np.arange(100)))
    test = Queries.from_outcomes(data.subset(np.arange(100, 150)))
    prompts = [*test.prompts, "", "  ", "ÄÖÜ café 東京"]
    cats = [*test.categories, "billing", None, "unseen"]
    emb = fake_embeddings(prompts)
    # the knn member's one-query weights are float32 (the batch's float64): about 1e-7 apart
    check_score_one_rows(r, prompts, cats, emb, tol=1e-6)


def test_default_knn_member_keeps_128_centroids(fake_embeddings):
    """Whatever the size of the training table, the default ensemble's live decision compares the
    query with at most 128 weighted centroids (each counting the training queries it stands for)."""
    from router_data import make_outcomes

    data = make_outcomes(300, seed=5)
    r = make_router("ensemble").fit(data)
    knn = r.members_[0]
    assert knn.kind == "knn" and knn.bank_.shape[0] == 128
    assert knn.count_.sum() == pytest.approx(300)
    small = make_router("ensemble").fit(data.subset(np.arange(100)))
    assert small.members_[0].bank_.shape[0] == 100 and small.members_[0].count_ is None


def test_shared_product_checks_the_embedding_width(fake_embeddings):
    from router_data import make_outcomes

    from routerlab.errors import RouterlabError

    r = make_router("ensemble").fit(make_outcomes(60, seed=2))
    with pytest.raises(RouterlabError, match="dimensions"):
        r.score_one("hello", embedding=np.ones(3, dtype=np.float32))
