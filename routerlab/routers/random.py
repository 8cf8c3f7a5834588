"""``random``: a reproducible coin per query (the baseline every learned router must beat)."""

from __future__ import annotations

import hashlib

import numpy as np

from .base import Queries, Router


def _unit_hash(texts: list[str], seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per text, fixed by (text, seed): the same prompt always gets the
    same coin, whatever the batch or its order."""
    salt = str(int(seed)).encode()
    out = np.empty(len(texts))
    for i, t in enumerate(texts):
        h = hashlib.blake2b(t.encode("utf-8", "replace"), digest_size=8, salt=salt[:16]).digest()
        out[i] = int.from_bytes(h, "little") / 2**64
    return out


class RandomRouter(Router):
    """Send a query to the strong model with probability ``1 - threshold`` (score ~ U[0, 1)).

    The score is a hash of the prompt and ``seed``, so decisions are reproducible and identical in
    production. Identical prompts share a coin; add the query id to the prompt if that matters.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": list("abcd")}), ["w", "s"],
    ...                          quality=np.array([[0, 1], [1, 1], [0, 0], [1, 0]]))
    >>> RandomRouter(seed=1).fit(o).score(o).shape
    (4,)
    """

    kind = "random"

    def _fit(self, outcomes) -> None:
        pass

    def _score(self, queries: Queries) -> np.ndarray:
        return _unit_hash(queries.prompts, self.seed)

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        self._check_fitted()
        return float(_unit_hash([prompt], self.seed)[0])
