"""``fixed``: always the same model (the 'all strong' / 'all weak' reference points)."""

from __future__ import annotations

import numpy as np

from .base import Queries, Router


class FixedRouter(Router):
    """Send every query to ``model`` (``None`` = the strong model).

    Parameters
    ----------
    model : str, optional
        A model name in the table, or ``"strong"`` / ``"weak"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["a", "b"]}), ["w", "s"],
    ...                          quality=np.array([[0, 1], [1, 1]]))
    >>> FixedRouter(model="weak").fit(o).route(o).tolist()
    ['w', 'w']
    """

    kind = "fixed"

    def __init__(
        self,
        *,
        model: str | None = None,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        threshold: float = 0.5,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed, threshold=threshold)
        self.model = model

    def _fit(self, outcomes) -> None:
        weak, strong = self.models_
        if self.model in (None, "strong"):
            self.model_ = strong
        elif self.model == "weak":
            self.model_ = weak
        else:
            outcomes.col(self.model)  # clear error for an unknown name
            self.model_ = self.model

    def _score(self, queries: Queries) -> np.ndarray:
        return np.full(len(queries), 1.0 if self.model_ == self.models_[1] else 0.0)

    def route(self, queries, threshold: float | None = None) -> np.ndarray:
        n = len(self.score(queries))
        return np.full(n, self.model_, dtype=object)

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None) -> float:
        self._check_fitted()
        return 1.0 if self.model_ == self.models_[1] else 0.0

    def route_one(self, prompt, category=None, contains_pii=False, embedding=None, threshold=None):
        s = self.score_one(prompt)
        return self.model_, s
