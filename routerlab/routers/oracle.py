"""``oracle``: the upper bound that knows every answer's quality (evaluation only)."""

from __future__ import annotations

import numpy as np

from ..errors import RouterlabError
from .base import Queries, Router

#: Shrinks scores so that a tie (equal quality) lands just below 0.5 and goes to the cheap model.
_SHRINK = 1.0 - 1e-6


class OracleRouter(Router):
    """Score = (q_strong - q_weak + 1) / 2 read from the outcome table itself.

    The oracle is an upper bound, not a deployable router: it needs the answers' quality, so it scores
    only Outcomes (or Queries built from them). Equal quality scores just below 0.5 so that, at the
    default threshold, ties go to the weak (cheaper) model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": list("abc")}), ["w", "s"],
    ...                          quality=np.array([[0, 1], [1, 1], [1, 0]]))
    >>> OracleRouter().fit(o).route(o).tolist()
    ['s', 'w', 'w']
    """

    kind = "oracle"

    def _fit(self, outcomes) -> None:
        pass

    def _score(self, queries: Queries) -> np.ndarray:
        o = queries.outcomes
        if o is None:
            raise RouterlabError(
                "the oracle needs the answers' quality: score an Outcomes table, not bare prompts"
            )
        gap = self._gap(o)
        return np.clip((gap + 1.0) / 2.0 * _SHRINK, 0.0, 1.0)
