import numpy as np
import pytest

from routerlab.routers import make_router


def test_mf_learns_per_model_quality(outcomes, fake_embeddings):
    r = make_router("mf", epochs=400).fit(outcomes)
    pq = r.predict_quality(outcomes)
    assert pq.shape == (outcomes.n, 3)
    # the model ranking by mean predicted quality follows the truth
    assert np.argsort(pq.mean(0)).tolist() == np.argsort(outcomes.mean_quality()).tolist()
    hard = outcomes.queries["difficulty"].to_numpy() == 1
    gain = pq[:, 2] - pq[:, 0]
    assert gain[hard].mean() > gain[~hard].mean()


def test_mf_cost_weight_shifts_choices_to_cheaper_models(outcomes, fake_embeddings):
    q0 = make_router("mf", cost_weight=0.0).fit(outcomes).route(outcomes)
    q1 = make_router("mf", cost_weight=5.0).fit(outcomes).route(outcomes)
    assert (q1 == "strong").mean() < (q0 == "strong").mean()
    assert (q1 == "weak").mean() == pytest.approx(1.0)


@pytest.mark.slow
def test_mf_on_support_desk_four_models(bundled):
    from router_data import auc

    train, test, strong, weak = bundled
    r = make_router("mf").fit(train)
    assert r.models_ == train.models and r.score(test).shape == (test.n, 4)
    pq = r.predict_quality(test)
    # the model ranking by predicted quality follows the truth on held-out queries
    assert np.argsort(pq.mean(0)).tolist() == np.argsort(test.mean_quality()).tolist()
    gap = test.quality[:, test.col(strong)] - test.quality[:, test.col(weak)]
    assert auc(pq[:, test.col(strong)] - pq[:, test.col(weak)], gap > 0) > 0.65
