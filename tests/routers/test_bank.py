import numpy as np
import pytest
from router_data import check_one_query_path, make_outcomes

from routerlab.errors import RouterlabError
from routerlab.routers import make_router
from routerlab.routers.bank import compress
from routerlab.routers.base import check_json_roundtrip


def _clusters(seed=0, per=40, d=16):
    """Three tight groups of unit vectors around orthogonal directions, values 0 / 1 / 2 by group."""
    rng = np.random.default_rng(seed)
    x, v = [], []
    for g in range(3):
        c = np.zeros(d)
        c[g] = 1.0
        pts = c + 0.05 * rng.standard_normal((per, d))
        x.append(pts / np.linalg.norm(pts, axis=1, keepdims=True))
        v.append(np.full(per, float(g)))
    return np.vstack(x).astype(np.float32), np.concatenate(v)


def test_compress_keeps_counts_and_member_means():
    x, v = _clusters()
    c, m, n = compress(x, v, 3, seed=0)
    assert len(c) == 3 and n.sum() == len(x)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-5)
    # each centroid is one group: mean value is that group's value, count its size
    assert sorted(m.tolist()) == [0.0, 1.0, 2.0] and n.tolist() == [40.0, 40.0, 40.0]
    # the same input and seed give the same bank; 2-d values are averaged per column
    c2, m2, n2 = compress(x, np.column_stack([v, -v]), 3, seed=0)
    np.testing.assert_array_equal(c, c2)
    np.testing.assert_allclose(m2[:, 0], m)
    np.testing.assert_allclose(m2[:, 1], -m)


def test_compress_small_or_bad_input():
    x, v = _clusters(per=2)
    c, m, n = compress(x, v, 10)  # fewer rows than size: kept as they are
    np.testing.assert_array_equal(c, x)
    np.testing.assert_array_equal(m, v)
    assert n.tolist() == [1.0] * len(x)
    with pytest.raises(RouterlabError, match="max_bank must be at least 1"):
        compress(x, v, 0)
    with pytest.raises(RouterlabError, match="must pair up"):
        compress(x, v[:-1], 2)


def test_knn_max_bank(fake_embeddings):
    data = make_outcomes(200, seed=1)
    train, test = data.subset(np.arange(150)), data.subset(np.arange(150, 200))
    full = make_router("knn", k=10).fit(train)
    small = make_router("knn", k=10, max_bank=30).fit(train)
    assert full.count_ is None and len(full.bank_) == 150
    assert len(small.bank_) <= 30 and small.count_.sum() == 150
    # a bank larger than the table changes nothing
    same = make_router("knn", k=10, max_bank=500).fit(train)
    np.testing.assert_array_equal(same.score(test), full.score(test))
    # the compressed router is a router like any other: exact JSON round trip, live path = batch
    back = check_json_roundtrip(small)
    np.testing.assert_array_equal(back.count_, small.count_)
    np.testing.assert_array_equal(back.score(test), small.score(test))
    check_one_query_path(back, test)
    # counts weigh the vote: with every weight 1 the scores differ
    ones = check_json_roundtrip(small)
    ones.count_ = np.ones_like(small.count_)
    assert not np.allclose(ones.score(test), small.score(test))


def test_knn_policy_exported_before_max_bank_loads(fake_embeddings):
    """A state without ``count_`` (policies written before it existed) scores as weight 1."""
    data = make_outcomes(120, seed=2)
    r = make_router("knn", k=10).fit(data)
    d = r.to_dict()
    del d["state"]["count_"]
    d["params"].pop("max_bank")
    from routerlab.routers import router_from_dict

    old = router_from_dict(d)
    np.testing.assert_array_equal(old.score(data), r.score(data))
    assert old.score_one(data.prompts[0], data.categories[0]) == pytest.approx(
        r.score_one(data.prompts[0], data.categories[0]), abs=1e-6
    )


def test_utility_max_bank(fake_embeddings):
    data = make_outcomes(200, seed=3)
    train, test = data.subset(np.arange(150)), data.subset(np.arange(150, 200))
    small = make_router("utility", k=10, max_bank=25).fit(train)
    assert len(small.bank_) <= 25 and small.count_.sum() == 150
    assert small.bank_quality_.shape == (len(small.bank_), 3)
    back = check_json_roundtrip(small)
    np.testing.assert_array_equal(back.score(test), small.score(test))
    check_one_query_path(back, test)
    full = make_router("utility", k=10, max_bank=150).fit(train)  # the table fits: no compression
    assert full.count_ is None
    np.testing.assert_array_equal(
        full.score(test), make_router("utility", k=10).fit(train).score(test)
    )


@pytest.mark.parametrize("bad", [0, -3, "many", 2.5, True])
def test_bad_max_bank_is_a_one_line_error(fake_embeddings, bad):
    data = make_outcomes(40, seed=4)
    for kind in ("knn", "utility"):
        with pytest.raises(RouterlabError, match="max_bank must be"):
            make_router(kind, max_bank=bad).fit(data)
