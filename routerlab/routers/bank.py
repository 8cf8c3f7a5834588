"""Compressing a neighbour bank: ``size`` spherical k-means centroids stand in for many training rows.

A kNN-type router scores a query against every row of its bank, so its decision time and its exported
state grow with the training table (about 2 ms and 12 MB of JSON per decision at RouteLLM MMLU's
14,042 rows). :func:`compress` replaces the rows by ``size`` unit-length centroids, each carrying the
mean of its members' values and its member count; the router weights a centroid by its count, so a
centroid stands for its members in the weighted vote.

The clustering is plain Lloyd iterations on cosine similarity from a seeded random start: the same
table and seed give the same bank.
"""

from __future__ import annotations

import numpy as np

from ..errors import RouterlabError

_CHUNK = 4096


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def _nearest(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the most similar centre of each row (ties: the lowest index)."""
    out = np.empty(len(x), dtype=np.int64)
    for a in range(0, len(x), _CHUNK):
        out[a : a + _CHUNK] = (x[a : a + _CHUNK] @ centres.T).argmax(1)
    return out


def _group_sums(x: np.ndarray, labels: np.ndarray, m: int) -> np.ndarray:
    """Row sums of ``x`` per label 0..m-1 (float64; zeros for an empty label)."""
    order = np.argsort(labels, kind="stable")
    ls = labels[order]
    starts = np.flatnonzero(np.r_[True, ls[1:] != ls[:-1]])
    out = np.zeros((m, *x.shape[1:]))
    out[ls[starts]] = np.add.reduceat(np.asarray(x, dtype=float)[order], starts, axis=0)
    return out


def with_counts(values: np.ndarray, count: np.ndarray | None) -> np.ndarray:
    """(n, K + 1) rows ``[count x values, count]`` (count None: every row weighs 1), so that one
    product with a query's neighbour weights gives the weighted sums and the total weight."""
    v = np.asarray(values, dtype=float).reshape(len(values), -1)
    c = np.ones(len(v)) if count is None else np.asarray(count, dtype=float)
    return np.column_stack([v * c[:, None], c])


def bank_limit(max_bank) -> int | None:
    """``max_bank`` as an int (None stays None), or a one-line error that says what to give."""
    if max_bank is None:
        return None
    if (
        isinstance(max_bank, bool)
        or not isinstance(max_bank, (int, float))
        or max_bank != int(max_bank)
    ):
        raise RouterlabError(f"max_bank must be a whole number of bank rows, got {max_bank!r}")
    if int(max_bank) < 1:
        raise RouterlabError(f"max_bank must be at least 1, got {max_bank}")
    return int(max_bank)


def compress(
    embeddings: np.ndarray, values: np.ndarray, size: int, seed: int = 0, iterations: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centroids (m, d) unit float32, mean values (m, ...) float64, counts (m,) float64), m <= size.

    Parameters
    ----------
    embeddings : array (n, d)
        Unit-length rows.
    values : array (n,) or (n, K)
        What each row carries (a quality gain, or one quality per model); centroids get the mean.
    size : int
        At most this many centroids (clusters that end up empty are dropped).
    seed, iterations : int
        Seeded random start, then Lloyd iterations (stopping early when no row changes cluster).
    """
    x = np.asarray(embeddings, dtype=np.float32)
    v = np.asarray(values, dtype=float)
    n = len(x)
    if int(size) < 1:
        raise RouterlabError(f"max_bank must be at least 1, got {size}")
    if len(v) != n:
        raise RouterlabError(f"{n} embeddings but {len(v)} values: they must pair up")
    if n <= size:
        return x.copy(), v.copy(), np.ones(n)
    rng = np.random.default_rng(seed)
    centres = x[np.sort(rng.choice(n, size=int(size), replace=False))]
    labels = _nearest(x, centres)
    for _ in range(int(iterations)):
        sums = _group_sums(x, labels, len(centres))
        counts = np.bincount(labels, minlength=len(centres))
        keep = counts > 0
        centres = _unit(sums[keep]).astype(np.float32)
        new = _nearest(x, centres)
        if len(centres) == len(keep) and np.array_equal(new, labels):
            break
        labels = new
    counts = np.bincount(labels, minlength=len(centres)).astype(float)
    keep = counts > 0
    remap = np.cumsum(keep) - 1
    labels, centres, counts = remap[labels], centres[keep], counts[keep]
    sums = _group_sums(v, labels, len(centres))
    means = sums / counts.reshape(-1, *([1] * (v.ndim - 1)))
    return centres, means, counts
