import numpy as np

from routerlab.routers import Queries, make_router


def test_category_prior_ranks_categories_by_gain(outcomes):
    r = make_router("category", alpha=0.0).fit(outcomes)
    w, s = outcomes.col("weak"), outcomes.col("strong")
    gap = outcomes.quality[:, s] - outcomes.quality[:, w]
    for c in set(outcomes.categories):
        m = outcomes.categories == c
        got = r.expected_gain(outcomes.subset(m))
        np.testing.assert_allclose(got, gap[m].mean())
    # contracts is where the weak model is worst in the synthetic table
    sc = dict(zip(outcomes.categories, r.score(outcomes), strict=True))
    assert sc["contracts"] == max(sc.values())


def test_category_smoothing_and_unknown_category(outcomes):
    raw = make_router("category", alpha=0.0).fit(outcomes)
    smooth = make_router("category", alpha=1e6).fit(outcomes)
    q = Queries.from_texts(["x"], categories=["never-seen"])
    assert raw.expected_gain(q)[0] == raw.global_
    spread_raw = np.ptp(raw.values_)
    spread_smooth = np.ptp(smooth.values_)
    assert spread_smooth < spread_raw / 100
    # no category known: everyone gets the global prior
    assert np.ptp(raw.score(Queries.from_texts(outcomes.prompts))) == 0


def test_category_on_support_desk(bundled):
    from router_data import auc

    train, test, strong, weak = bundled
    r = make_router("category", alpha=0.0, strong=strong, weak=weak).fit(train)
    bc = train.by_category()
    np.testing.assert_allclose(
        [r.values_[r.categories_.index(c)] for c in bc.index], (bc[strong] - bc[weak]).to_numpy()
    )
    gap = test.quality[:, test.col(strong)] - test.quality[:, test.col(weak)]
    assert auc(r.score(test), gap > 0) > 0.6
