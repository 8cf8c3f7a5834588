"""Synthetic outcome table and a deterministic fake encoder for router unit tests."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from routerlab.outcomes import Outcomes

CATS = ("billing", "contracts", "chat")
DIM = 16


def fake_embed(texts, encoder=None):
    """Deterministic 16-d unit vectors: a category direction (from the first word) plus hash noise."""
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i, t in enumerate(texts):
        seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=4).digest(), "little")
        v = np.random.default_rng(seed).normal(size=DIM) * 0.5
        head = t.split(" ", 1)[0]
        if head in CATS:
            v[CATS.index(head)] += 2.0
        if "hard" in t:
            v[5] += 2.0
        out[i] = v / np.linalg.norm(v)
    return out


def make_outcomes(n: int = 150, seed: int = 0) -> Outcomes:
    """Three models (cheap 'weak', 'mid', expensive 'strong'); the strong model helps on hard queries and
    on contracts. Quality is binary for 'weak'/'strong' and graded for 'mid'."""
    rng = np.random.default_rng(seed)
    cat = rng.choice(CATS, size=n, p=[0.4, 0.25, 0.35])
    hard = rng.random(n) < 0.4
    pii = rng.random(n) < 0.2
    prompts = [
        f"{c} {'hard' if h else 'easy'} question number {i} about item {rng.integers(1000)}"
        for i, (c, h) in enumerate(zip(cat, hard, strict=True))
    ]
    p_weak = np.where(hard, 0.25, 0.85) - np.where(cat == "contracts", 0.15, 0.0)
    p_strong = np.where(hard, 0.85, 0.95)
    q_weak = (rng.random(n) < p_weak).astype(float)
    q_strong = (rng.random(n) < p_strong).astype(float)
    q_mid = np.clip((q_weak + q_strong) / 2 + rng.normal(0, 0.1, n), 0, 1)
    quality = np.column_stack([q_weak, q_mid, q_strong])
    tok_in = rng.integers(20, 200, n).astype(float)
    tok_out = rng.integers(10, 300, (n, 3)).astype(float)
    price = np.array([0.1, 1.0, 10.0]) / 1e6
    cost = (tok_in[:, None] + tok_out) * price
    latency = np.column_stack(
        [0.2 + tok_out[:, 0] / 100, 0.5 + tok_out[:, 1] / 60, 1.0 + tok_out[:, 2] / 40]
    )
    conf = np.clip(quality * 0.6 + rng.random((n, 3)) * 0.4, 0, 1)
    responses = np.array(
        [
            [
                f"answer {m} {i} {'good' if quality[i, j] > 0.5 else 'bad'}"
                for j, m in enumerate(("weak", "mid", "strong"))
            ]
            for i in range(n)
        ],
        dtype=object,
    )
    queries = pd.DataFrame(
        {
            "prompt": prompts,
            "category": cat,
            "contains_pii": pii,
            "difficulty": hard.astype(int),
            "stakes": np.where(cat == "contracts", 3.0, 1.0),
        }
    )
    return Outcomes.from_arrays(
        queries,
        ["weak", "mid", "strong"],
        quality=quality,
        cost=cost,
        latency=latency,
        tokens_in=np.repeat(tok_in[:, None], 3, axis=1),
        tokens_out=tok_out,
        confidence=conf,
        responses=responses,
        name="synthetic",
    )


def auc(score, label) -> float:
    """Probability that a random positive outranks a random negative (ties count half)."""
    import numpy as np

    score = np.asarray(score, dtype=float)
    pos = np.asarray(label, dtype=bool)
    order = np.argsort(score, kind="stable")
    s = score[order]
    ranks = np.empty(len(s))
    # average ranks over ties
    _, start, counts = np.unique(s, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum()))


def check_one_query_path(r, test):
    """``route_one`` / ``score_one`` (the runtime's live path) agree with ``route`` / ``score`` on
    every query of ``test``: with and without a precomputed embedding, with a threshold override,
    and without a category."""
    from routerlab.routers import Queries

    q = Queries.from_outcomes(test)
    emb = q.embeddings_for() if getattr(r, "needs_embeddings", False) else None
    want_cols, want_s = r.route(q), r.score(q)
    thr = None if r.multi_model else 0.3
    want_thr = None if thr is None else r.route(q, threshold=thr)
    for i in range(len(q)):
        args = (q.prompts[i], q.categories[i], bool(q.contains_pii[i]))
        for e in (None, emb[i]) if emb is not None else (None,):
            col, s = r.route_one(*args, embedding=e)
            assert col == want_cols[i], (i, col, want_cols[i])
            one = r.score_one(*args, embedding=e)
            # float32 similarity sums may differ in the last bits between batch sizes (BLAS)
            np.testing.assert_allclose(one, want_s[i], rtol=0, atol=1e-6)
        if thr is not None:
            assert (
                r.route_one(*args, embedding=None if emb is None else emb[i], threshold=thr)[0]
                == want_thr[i]
            )
    # without a category the router falls back to its category-free estimate, as in a batch
    nocat = Queries(q.prompts[:5], None, q.contains_pii[:5], None if emb is None else emb[:5])
    for i in range(5):
        col, _ = r.route_one(q.prompts[i], None, bool(q.contains_pii[i]),
                             None if emb is None else emb[i])  # fmt: skip
        assert col == r.route(nocat)[i]


def check_score_one_rows(r, prompts, cats, emb, tol: float = 1e-12) -> None:
    """``score_one`` of each prompt (with its category and without; with its embedding and
    without) equals ``score`` of the same query as a one-row batch, to ``tol``."""
    from routerlab.routers import Queries

    for i, p in enumerate(prompts):
        for c in (cats[i], None):
            want = r.score(Queries([p], None if c is None else [c]))[0]
            assert abs(r.score_one(p, c) - want) <= tol, (p, c)
            assert abs(r.score_one(p, c, embedding=emb[i]) - want) <= tol, (p, c)
