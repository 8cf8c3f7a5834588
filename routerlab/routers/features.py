"""Numpy-only features and solvers shared by the learned routers.

- hashed TF-IDF of word and character n-grams (the hashing trick: no vocabulary to store, only one idf
  per bucket), returned as sparse (row, column, value) triplets;
- a design matrix made of a dense block (embeddings, one-hot category, length) and a sparse block;
- L2-regularised logistic and ridge regression fitted by a small L-BFGS written in numpy;
- the same tf-idf features for ONE text without the batch bookkeeping (the runtime's per-request
  path).

Everything here runs with numpy alone, so fitted routers score in the production runtime.

Examples
--------
>>> sp = hashed_ngrams(["Reset my password", "password reset"], n_buckets=1024)
>>> sp.shape
(2, 1024)
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"\w+", re.UNICODE)
_P1 = np.uint64(1_000_003)
_MASK32 = np.uint64(0xFFFFFFFF)


@dataclass
class Sparse:
    """A sparse (n, k) matrix as COO triplets (numpy-only matvecs)."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    shape: tuple[int, int]

    def dot(self, w: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows, weights=self.vals * w[self.cols], minlength=self.shape[0])

    def tdot(self, r: np.ndarray) -> np.ndarray:
        return np.bincount(self.cols, weights=self.vals * r[self.rows], minlength=self.shape[1])

    def sq_tdot(self, r: np.ndarray) -> np.ndarray:
        """sum_i r_i x_ij^2 (for diagonal Hessian preconditioning)."""
        return np.bincount(self.cols, weights=self.vals**2 * r[self.rows], minlength=self.shape[1])


def _token_hashes(texts: list[str], word_ngrams: int):
    memo: dict[str, int] = {}
    rows, hashes = [], []
    for i, t in enumerate(texts):
        toks = _TOKEN.findall(t.lower())
        if not toks:
            continue
        h = np.fromiter(
            (
                memo.get(w) if w in memo else memo.setdefault(w, zlib.crc32(w.encode()))
                for w in toks
            ),
            dtype=np.uint64,
            count=len(toks),
        )
        hashes.append(h)
        rows.append(np.full(len(h), i, dtype=np.int64))
        for n in range(2, word_ngrams + 1):
            if len(h) >= n:
                g = h[: len(h) - n + 1].copy()
                for k in range(1, n):
                    g = (g * _P1 + h[k : len(h) - n + 1 + k] + np.uint64(n)) & _MASK32
                hashes.append(g)
                rows.append(np.full(len(g), i, dtype=np.int64))
    if not hashes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(rows), np.concatenate(hashes)


def _char_hashes(texts: list[str], sizes: tuple[int, ...]):
    """Rolling hashes of byte n-grams over all texts at once (windows never cross texts)."""
    enc = [(" " + " ".join(t.lower().split()) + " ").encode("utf-8", "replace") for t in texts]
    lens = np.array([len(e) for e in enc], dtype=np.int64)
    buf = np.frombuffer(b"\x00".join(enc) + b"\x00", dtype=np.uint8).astype(np.uint64)
    starts = np.concatenate([[0], np.cumsum(lens + 1)[:-1]])
    doc = np.repeat(np.arange(len(texts)), lens + 1)
    zero = np.concatenate([[0], np.cumsum(buf == 0)])
    rows, hashes = [], []
    for k in sizes:
        m = len(buf) - k + 1
        if m <= 0:
            continue
        h = np.zeros(m, dtype=np.uint64)
        for j in range(k):
            h = (h * np.uint64(257) + buf[j : j + m]) & _MASK32
        ok = (zero[k : k + m] - zero[:m]) == 0  # no separator inside the window
        h = (h * _P1 + np.uint64(1000 + k)) & _MASK32
        rows.append(doc[:m][ok])
        hashes.append(h[ok])
    del starts
    if not hashes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(rows), np.concatenate(hashes)


def hashed_ngrams(
    texts: list[str], n_buckets: int = 2**15, word_ngrams: int = 2, char_ngrams: tuple = ()
) -> Sparse:
    """Counts of hashed word n-grams (1..word_ngrams) and char n-grams (given sizes), (n, n_buckets)."""
    r1, h1 = (
        _token_hashes(texts, word_ngrams)
        if word_ngrams
        else (np.zeros(0, np.int64), np.zeros(0, np.uint64))
    )
    r2, h2 = (
        _char_hashes(texts, tuple(char_ngrams))
        if char_ngrams
        else (np.zeros(0, np.int64), np.zeros(0, np.uint64))
    )
    rows = np.concatenate([r1, r2])
    cols = (np.concatenate([h1, h2]) % np.uint64(n_buckets)).astype(np.int64)
    key = rows * n_buckets + cols
    uniq, counts = np.unique(key, return_counts=True)
    return Sparse(
        uniq // n_buckets, uniq % n_buckets, counts.astype(float), (len(texts), n_buckets)
    )


def fit_idf(counts: Sparse) -> np.ndarray:
    """Smoothed idf per bucket: log((1 + n) / (1 + df)) + 1 (buckets never seen get the max)."""
    n = counts.shape[0]
    df = np.bincount(counts.cols, minlength=counts.shape[1])
    return np.log((1.0 + n) / (1.0 + df)) + 1.0


def tfidf(counts: Sparse, idf: np.ndarray) -> Sparse:
    """Sublinear tf (1 + log count) x idf, each row L2-normalised."""
    v = (1.0 + np.log(counts.vals)) * idf[counts.cols]
    norm = np.sqrt(np.bincount(counts.rows, weights=v**2, minlength=counts.shape[0]))
    norm[norm == 0] = 1.0
    return Sparse(counts.rows, counts.cols, v / norm[counts.rows], counts.shape)


# ------------------------------------------------------------------------------ one text
# Per-request scoring: the buckets and values of hashed_ngrams + tfidf on a one-row batch, with
# Python ints for the ~50 tokens of a text (a numpy call costs more than a token) and one gather
# of the fitted weights.

_MOD32 = 1 << 32
#: ASCII byte -> its lower-case form when ``_TOKEN`` calls it a word character, else a space: then
#: ``bytes.split`` yields the tokens of ``_TOKEN.findall(text.lower())`` for an ASCII text.
_ASCII_WORDS = (
    bytes(ord(ch.lower()) if _TOKEN.fullmatch(ch) else 32 for ch in map(chr, range(128)))
    + b" " * 128
)
#: modulus m -> {utf-8 word token: crc32(token) % m}; each cleared when it outgrows _MEMO_MAX.
_WORD_MEMO: dict[int, dict[bytes, int]] = {}
_MEMO_MAX = 200_000


class _SublinearTF(dict):
    """count -> 1 + log(count), the tf of :func:`tfidf` (filled on first use)."""

    def __missing__(self, k: int) -> float:
        v = self[k] = float(1.0 + np.log(np.float64(k)))
        return v


_TF = _SublinearTF()


def _word_tokens_one(text: str) -> list[bytes]:
    """``_TOKEN.findall(text.lower())`` as utf-8 bytes (one byte translation for ASCII text)."""
    if text.isascii():
        return text.encode().translate(_ASCII_WORDS).split()
    return [w.encode() for w in _TOKEN.findall(text.lower())]


def _word_hashes_one(text: str, m: int) -> list[int]:
    """``zlib.crc32(token) % m`` of each word token of ``text``, memoized per token."""
    tokens = _word_tokens_one(text)
    memo = _WORD_MEMO.setdefault(m, {})
    try:
        return list(map(memo.__getitem__, tokens))
    except KeyError:  # a new token: hash them all (no second lookup, safe if another thread clears)
        out = [zlib.crc32(w) % m for w in tokens]
        if len(memo) > _MEMO_MAX:
            memo.clear()
        memo.update(zip(tokens, out, strict=True))
        return out


def word_buckets_one(text: str, n_buckets: int, word_ngrams: int = 2) -> list[int]:
    """The buckets of one text's word 1..word_ngrams-grams (repeats kept), as :func:`hashed_ngrams`.

    n-gram hashes live mod 2**32; when ``n_buckets`` divides 2**32 they are reduced mod
    ``n_buckets`` from the start (same buckets, small ints)."""
    m = n_buckets if _MOD32 % n_buckets == 0 else _MOD32
    p = int(_P1) % m
    h = _word_hashes_one(text, m)
    out = list(h)
    for n in range(2, word_ngrams + 1):
        g = h
        for k in range(1, n):  # zip stops at the shorter list: the n-grams that fit in the text
            g = [(a * p + b + n) % m for a, b in zip(g, h[k:], strict=False)]
        out += g
    return out if m == n_buckets else [x % n_buckets for x in out]


def char_buckets_one(text: str, n_buckets: int, sizes: tuple[int, ...]) -> np.ndarray:
    """The buckets (int64) of one text's character n-grams (repeats kept), as :func:`hashed_ngrams`."""
    enc = (" " + " ".join(text.lower().split()) + " ").encode("utf-8", "replace")
    b = np.frombuffer(enc, dtype=np.uint8).astype(np.uint64)
    zero = np.concatenate([[0], np.cumsum(b == 0)]) if 0 in enc else None
    out = [np.zeros(0, dtype=np.uint64)]
    h = b
    # polynomial hashes left unmasked: uint64 arithmetic wraps mod 2**64, so they are exact mod 2**32
    for k in range(1, max(sizes, default=0) + 1):
        if k > 1:
            h = h[:-1] * np.uint64(257) + b[k - 1 :]
        if k in sizes:
            hk = h * _P1 + np.uint64(1000 + k)
            out.append(hk if zero is None else hk[zero[k:] == zero[:-k]])
    return ((np.concatenate(out) & _MASK32) % np.uint64(n_buckets)).astype(np.int64)


def tfidf_table(idf: np.ndarray, *weights: np.ndarray) -> np.ndarray:
    """(n_buckets, 1 + K) rows [idf**2, idf * w_1, ..., idf * w_K] for :func:`tfidf_dots_one` (one
    cache line per bucket)."""
    idf = np.asarray(idf, dtype=float)
    return np.column_stack([idf * idf, *(idf * np.asarray(w, dtype=float) for w in weights)])


def tfidf_dots_one(buckets: list[int] | np.ndarray, table: np.ndarray) -> list[float]:
    """The :func:`tfidf` row of one text, given its buckets (repeats kept), dotted with each weight
    vector of ``table`` (see :func:`tfidf_table`). A list is counted in Python (fast for the ~100
    word n-grams of a prompt), an int array with numpy (its ~1000 character n-grams)."""
    if isinstance(buckets, list):
        counts = Counter(buckets)
        n = len(counts)
        keys = np.fromiter(counts, dtype=np.intp, count=n)
        tf = np.fromiter(map(_TF.__getitem__, counts.values()), dtype=float, count=n)
    else:
        keys, c = np.unique(buckets, return_counts=True)
        tf = 1.0 + np.log(c)
    rows = table.take(keys, axis=0)
    rows[:, 0] *= tf
    sq, *dots = (tf @ rows).tolist()
    norm = math.sqrt(sq) or 1.0
    return [d / norm for d in dots]


def sigmoid_one(z: float) -> float:
    """:func:`sigmoid` of one float."""
    return 0.5 * (1.0 + math.tanh(0.5 * z))


# ------------------------------------------------------------------------------ design matrix


@dataclass
class Design:
    """X = [dense | sparse] with an implicit intercept column (not penalised)."""

    dense: np.ndarray  # (n, p)
    sparse: Sparse | None = None

    @property
    def n(self) -> int:
        return self.dense.shape[0]

    @property
    def n_features(self) -> int:
        return self.dense.shape[1] + (self.sparse.shape[1] if self.sparse is not None else 0)

    def dot(self, w: np.ndarray) -> np.ndarray:
        p = self.dense.shape[1]
        out = np.einsum("ij,j->i", self.dense, w[1 : p + 1]) + w[0]
        if self.sparse is not None:
            out = out + self.sparse.dot(w[p + 1 :])
        return out

    def tdot(self, r: np.ndarray) -> np.ndarray:
        parts = [np.array([r.sum()]), np.einsum("ij,i->j", self.dense, r)]
        if self.sparse is not None:
            parts.append(self.sparse.tdot(r))
        return np.concatenate(parts)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """1-D dot product without BLAS (BLAS threads spin badly on a loaded machine)."""
    return float(np.einsum("i,i->", a, b))


def _lbfgs(fun, x0: np.ndarray, max_iter: int = 200, m: int = 10, tol: float = 1e-6) -> np.ndarray:
    """Minimise a smooth convex ``fun(x) -> (f, grad)`` with L-BFGS and a backtracking line search."""
    x = x0.copy()
    f, g = fun(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        gnorm = np.abs(g).max()
        if gnorm < tol:
            break
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = _dot(s, q) / _dot(y, s)
            alphas.append(a)
            q -= a * y
        gamma = (
            _dot(s_hist[-1], y_hist[-1]) / _dot(y_hist[-1], y_hist[-1])
            if s_hist
            else 1.0 / max(gnorm, 1.0)
        )
        d = q * gamma
        for (s, y), a in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            b = _dot(y, d) / _dot(y, s)
            d += s * (a - b)
        d = -d
        gd = _dot(g, d)
        if gd >= 0:  # not a descent direction: restart
            s_hist.clear()
            y_hist.clear()
            d = -g / max(gnorm, 1.0)
            gd = _dot(g, d)
        step = 1.0
        for _ls in range(30):
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * gd:
                break
            step *= 0.5
        else:
            break
        s, y = x_new - x, g_new - g
        if _dot(s, y) > 1e-12:
            s_hist.append(s)
            y_hist.append(y)
            if len(s_hist) > m:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(f - f_new) <= tol * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x


def fit_logistic(
    X: Design,
    y: np.ndarray,
    l2: float = 1.0,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 300,
) -> np.ndarray:
    """Weights [intercept, dense..., sparse...] of an L2-regularised logistic regression.

    Minimises ``sum_i w_i * logloss(y_i, sigmoid(x_i . b)) / sum(w) + l2 / (2 n) * |b|^2`` (intercept
    not penalised); ``y`` may be soft labels in [0, 1]."""
    y = np.asarray(y, dtype=float)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    sw = sw / sw.sum()
    n = len(y)
    pen = np.full(X.n_features + 1, l2 / n)
    pen[0] = 0.0

    def fun(w):
        z = X.dot(w)
        # log(1 + e^z) - y z, stably
        loss = np.logaddexp(0.0, z) - y * z
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        f = _dot(sw, loss) + 0.5 * _dot(pen * w, w)
        g = X.tdot(sw * (p - y)) + pen * w
        return f, g

    w0 = np.zeros(X.n_features + 1)
    m = np.clip(_dot(sw, y), 1e-6, 1 - 1e-6)
    w0[0] = np.log(m / (1 - m))
    return _lbfgs(fun, w0, max_iter=max_iter)


def fit_ridge(X: Design, y: np.ndarray, l2: float = 1.0, max_iter: int = 300) -> np.ndarray:
    """Weights [intercept, ...] of a ridge regression (mean squared error + l2 / (2 n) |b|^2)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    pen = np.full(X.n_features + 1, l2 / n)
    pen[0] = 0.0

    def fun(w):
        r = X.dot(w) - y
        return 0.5 * _dot(r, r) / n + 0.5 * _dot(pen * w, w), X.tdot(r) / n + pen * w

    w0 = np.zeros(X.n_features + 1)
    w0[0] = y.mean()
    return _lbfgs(fun, w0, max_iter=max_iter)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))
