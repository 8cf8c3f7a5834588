import numpy as np
import pytest

from routerlab.errors import RouterlabError
from routerlab.routers import make_router


@pytest.mark.parametrize("predictor", ["knn", "ridge"])
def test_lambda_zero_picks_best_predicted_quality(outcomes, fake_embeddings, predictor):
    r = make_router("utility", lam=0.0, predictor=predictor).fit(outcomes)
    pq = r.predict_quality(outcomes)
    d = r.route(outcomes)
    assert (d == np.asarray(r.models_, dtype=object)[np.argmax(pq, axis=1)]).all()
    # raising lambda never increases the spend
    costs = []
    for lam in (0.0, 0.1, 0.5, 5.0):
        d = make_router("utility", lam=lam, predictor=predictor).fit(outcomes).route(outcomes)
        cols = np.array([outcomes.col(m) for m in d])
        costs.append(outcomes.cost[np.arange(outcomes.n), cols].mean())
    assert costs == sorted(costs, reverse=True) or np.all(np.diff(costs) <= 1e-12)
    assert costs[-1] == pytest.approx(outcomes.cost[:, 0].mean())


def test_utility_bad_predictor(outcomes, fake_embeddings):
    with pytest.raises(RouterlabError, match="predictor"):
        make_router("utility", predictor="forest").fit(outcomes)


@pytest.mark.slow
def test_utility_on_support_desk(bundled):
    train, test, strong, weak = bundled
    free = make_router("utility", lam=0.0).fit(train)
    thrifty = make_router("utility", lam=0.5).fit(train)

    def mean(arr, d):
        return arr[np.arange(test.n), [test.col(m) for m in d]].mean()

    d0, d1 = free.route(test), thrifty.route(test)
    assert mean(test.cost, d1) < mean(test.cost, d0)
    assert mean(test.quality, d0) > mean(test.quality, d1) - 0.05
    assert mean(test.quality, d0) > test.quality[:, test.col(weak)].mean() + 0.5
