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
