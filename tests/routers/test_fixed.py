import pytest

from routerlab.errors import RouterlabError
from routerlab.routers import make_router


def test_fixed_sends_everything_to_one_model(outcomes):
    assert set(make_router("fixed").fit(outcomes).route(outcomes)) == {"strong"}
    assert set(make_router("fixed", model="weak").fit(outcomes).route(outcomes)) == {"weak"}
    assert set(make_router("fixed", model="mid").fit(outcomes).route(outcomes)) == {"mid"}
    # default pair: best mean quality vs cheapest other
    assert make_router("fixed").fit(outcomes).models_ == ("weak", "strong")


def test_fixed_unknown_model(outcomes):
    with pytest.raises(RouterlabError, match="not in the table"):
        make_router("fixed", model="gpt-9").fit(outcomes)


def test_simulate_gives_the_evaluation_result(outcomes):
    res = make_router("fixed", model="strong").fit(outcomes).simulate(outcomes)
    assert res.escalation_share == 1.0
    assert res.mean_quality == pytest.approx(outcomes.quality[:, 2].mean())
    assert res.total_cost == pytest.approx(outcomes.cost[:, 2].sum())


def test_fixed_on_support_desk(bundled):
    train, test, strong, weak = bundled
    res = make_router("fixed", model="scenario:efficient").fit(train).simulate(test)
    assert (res.model == "scenario:efficient").all()
    assert res.mean_quality == pytest.approx(test.quality[:, test.col("scenario:efficient")].mean())
