import numpy as np
import pytest

from routerlab.errors import RouterlabError
from routerlab.routers import Queries, make_router


def test_cascade_cost_counts_every_stage_tried(outcomes):
    r = make_router("cascade", verifier="confidence").fit(outcomes)
    assert r.models_ == ("weak", "mid", "strong")  # ascending mean cost
    res = r.simulate(outcomes)
    tried = r.stages_tried(outcomes)
    cols = [outcomes.col(m) for m in r.models_]
    expect = np.array([outcomes.cost[i, cols[:t]].sum() for i, t in enumerate(tried)])
    np.testing.assert_allclose(res.cost, expect)
    final_cost = outcomes.cost[np.arange(outcomes.n), [cols[t - 1] for t in tried]]
    assert (res.cost >= final_cost - 1e-15).all()
    lat = np.array([outcomes.latency[i, cols[:t]].sum() for i, t in enumerate(tried)])
    np.testing.assert_allclose(res.latency, lat)
    np.testing.assert_array_equal(res.calls, tried)
    assert (r.route(outcomes) == np.asarray(r.models_, dtype=object)[tried - 1]).all()


def test_fitted_thresholds_keep_quality_within_tolerance_on_training(outcomes):
    for tol in (0.0, 0.1):
        r = make_router("cascade", verifier="confidence", tolerance=tol).fit(outcomes)
        res = r.simulate(outcomes)
        final_q = outcomes.quality[:, outcomes.col("strong")]
        accepted_early = r.stages_tried(outcomes) < 3
        assert accepted_early.any()
        # each early stage only accepts answers no worse on average than the final model (minus tol)
        assert res.quality[accepted_early].mean() >= final_q[accepted_early].mean() - tol - 1e-9
        assert res.total_cost < outcomes.cost[:, outcomes.col("strong")].sum() * 1.5


def test_given_thresholds_and_judge_verifier(outcomes):
    o = outcomes
    o.queries["judge:weak"] = o.quality[:, 0]
    o.queries["judge:mid"] = o.quality[:, 1]
    r = make_router("cascade", verifier="judge", thresholds=[0.5, 0.5]).fit(o)
    d = r.route(o)
    good_weak = o.quality[:, 0] >= 0.5
    assert (d[good_weak] == "weak").all()
    assert (d[~good_weak] != "weak").all()
    with pytest.raises(RouterlabError, match="2 thresholds"):
        make_router("cascade", thresholds=[0.5]).fit(o)


def test_learned_verifier_predicts_answer_quality(outcomes, fake_embeddings):
    r = make_router("cascade", models=["weak", "strong"], verifier="learned").fit(outcomes)
    s = r.score(outcomes)
    good = outcomes.quality[:, 0] > 0.5
    assert s[good, 0].mean() > s[~good, 0].mean()


def test_cascade_errors(outcomes):
    no_conf = outcomes.select_models(["weak", "strong"])
    from dataclasses import replace

    no_conf = replace(no_conf, confidence=np.full(no_conf.quality.shape, np.nan))
    with pytest.raises(RouterlabError, match="confidence"):
        make_router("cascade").fit(no_conf)
    with pytest.raises(RouterlabError, match="judge"):
        make_router("cascade", verifier="judge").fit(outcomes)
    with pytest.raises(RouterlabError, match="responses"):
        make_router("cascade", verifier="learned").fit(replace(outcomes, responses=None))
    r = make_router("cascade").fit(outcomes)
    with pytest.raises(RouterlabError, match="Outcomes"):
        r.route(Queries.from_texts(["hello"]))


def test_cascade_on_support_desk(bundled):
    train, test, strong, weak = bundled
    r = make_router("cascade", models=[weak, strong], verifier="confidence", thresholds=[0.5]).fit(
        train
    )
    res = r.simulate(test)
    tried = r.stages_tried(test)
    cw, cs = test.cost[:, test.col(weak)], test.cost[:, test.col(strong)]
    np.testing.assert_allclose(res.cost, np.where(tried == 2, cw + cs, cw))
    # the recorded confidence is a mean token logprob: the verifier compares exp(logprob) to 0.5
    conf = np.nan_to_num(np.exp(test.confidence[:, test.col(weak)]), nan=0.0)
    assert ((tried == 1) == (conf >= 0.5)).all()
    assert (tried == 1).any() and (tried == 2).any()


def test_confidence_verifier_reads_mean_logprob_as_probability(outcomes):
    """outcomes.confidence holds mean token log-probabilities (negative); the verifier scores
    exp(mean logprob), so a 0.5 threshold accepts exactly the answers with exp(conf) >= 0.5."""
    from dataclasses import replace

    rng = np.random.default_rng(3)
    logprob = np.log(rng.uniform(0.05, 0.99, size=outcomes.quality.shape))
    o = replace(outcomes.select_models(["weak", "strong"]), confidence=logprob[:, :2])
    r = make_router("cascade", models=["weak", "strong"], thresholds=[0.5]).fit(o)
    accept = np.exp(o.confidence[:, 0]) >= 0.5
    assert accept.any() and (~accept).any()
    np.testing.assert_array_equal(r.stages_tried(o) == 1, accept)
    np.testing.assert_allclose(r.score(o)[:, 0], np.exp(o.confidence[:, 0]))
    # a column already in [0, 1] keeps its meaning
    probs = replace(o, confidence=np.exp(o.confidence))
    np.testing.assert_array_equal(r.stages_tried(probs) == 1, accept)


def test_learned_verifier_scores_one_live_answer_as_the_batch(outcomes, fake_embeddings):
    """``verifier_score_one`` (what ``serve`` calls on a live answer) = the batch verifier score."""
    from routerlab.errors import RouterlabError
    from routerlab.routers import Queries

    r = make_router("cascade", models=["weak", "mid", "strong"], verifier="learned").fit(outcomes)
    q = Queries.from_outcomes(outcomes)
    want = r._verifier_scores(outcomes, q)
    emb = q.embeddings_for()
    for j, stage in enumerate(["weak", "mid"]):
        col = outcomes.responses[:, outcomes.col(stage)]
        for i in range(0, outcomes.n, 7):
            got = r.verifier_score_one(stage, outcomes.prompts[i], col[i])
            assert abs(got - want[i, j]) <= 1e-12
            assert (
                abs(r.verifier_score_one(stage, "", col[i], embedding=emb[i]) - want[i, j]) <= 1e-12
            )
    assert 0.0 <= r.verifier_score_one("weak", "a prompt", None) <= 1.0  # no answer text
    with pytest.raises(RouterlabError, match="not an early stage"):
        r.verifier_score_one("strong", "p", "a")
    conf = make_router("cascade", models=["weak", "strong"], thresholds=[0.5]).fit(outcomes)
    with pytest.raises(RouterlabError, match="scores the learned verifier"):
        conf.verifier_score_one("weak", "p", "a")
