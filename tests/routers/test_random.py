import numpy as np

from routerlab.routers import Queries, make_router


def test_random_is_uniform_reproducible_and_order_free(outcomes):
    r = make_router("random", seed=3).fit(outcomes)
    s = r.score(outcomes)
    assert 0.3 < s.mean() < 0.7 and s.std() > 0.2
    perm = np.random.default_rng(0).permutation(outcomes.n)
    np.testing.assert_array_equal(r.score(outcomes.subset(perm)), s[perm])
    other = make_router("random", seed=4).fit(outcomes).score(outcomes)
    assert not np.allclose(other, s)
    # the strong share follows the threshold
    share = (r.route(outcomes, threshold=0.8) == r.models_[1]).mean()
    assert 0.05 < share < 0.4


def test_random_scores_bare_prompts(outcomes):
    r = make_router("random").fit(outcomes)
    q = Queries.from_texts(outcomes.prompts[:5])
    np.testing.assert_array_equal(r.score(q), r.score(outcomes)[:5])
    assert r.score("one prompt").shape == (1,)


def test_random_on_support_desk(bundled):
    train, test, strong, weak = bundled
    r = make_router("random", strong=strong, weak=weak, threshold=0.7).fit(train)
    share = (r.route(test) == strong).mean()
    assert abs(share - 0.3) < 0.1
