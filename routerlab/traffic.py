"""Traffic mixes: the share of each category, and a shifted mix for drift and calibration what-ifs.

A threshold calibrated on one month's traffic meets another month's: if the mix of categories moved
(more contract questions, fewer lookups), the share sent to the strong model moves too. :func:`shift`
keeps a fraction of each category's queries (without replacement, so every query id stays unique) to
build such a month from an outcome table; :func:`mix` shows the resulting category shares.

Examples
--------
>>> import pandas as pd
>>> from routerlab.outcomes import Outcomes
>>> q = pd.DataFrame({"prompt": list("abcdef"), "category": ["x", "x", "x", "x", "y", "y"]})
>>> o = Outcomes.from_arrays(q, ["m"], quality=[[1]] * 6)
>>> shift(o, {"x": 0.5}).n
4
>>> mix(shift(o, {"x": 0.5})).round(2).to_dict()
{'x': 0.5, 'y': 0.5}
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import RouterlabError


def mix(outcomes) -> pd.Series:
    """Share of queries per category (sorted by category)."""
    s = pd.Series(outcomes.categories).value_counts(normalize=True).sort_index()
    s.index.name = "category"
    return s.rename("share")


def shift(outcomes, keep: Mapping[str, float], seed: int = 0, name: str | None = None):
    """A sub-table keeping ``keep[c]`` of category ``c``'s queries (others kept whole).

    Parameters
    ----------
    outcomes : Outcomes
    keep : dict category -> fraction in [0, 1]
        E.g. ``{"lookup": 0.2, "reformat": 0.2}``: a month with far fewer easy questions.
    seed : int
        Which queries are kept (a seeded draw within each category).
    name : str, optional
        The new table's name (default ``"<name> (shifted)"``).
    """
    from dataclasses import replace

    known = set(outcomes.categories)
    bad = sorted(set(keep) - known)
    if bad:
        raise RouterlabError(f"unknown categories {bad}; known: {sorted(known)}")
    rng = np.random.default_rng(seed)
    cats = outcomes.categories
    take = np.ones(outcomes.n, dtype=bool)
    for c, f in keep.items():
        if not 0 <= float(f) <= 1:
            raise RouterlabError(f"keep[{c!r}] must be a fraction in [0, 1], got {f}")
        idx = np.flatnonzero(cats == c)
        n_keep = int(round(float(f) * len(idx)))
        drop = rng.permutation(idx)[n_keep:]
        take[drop] = False
    if not take.any():
        raise RouterlabError("the shifted mix keeps no queries")
    out = outcomes.subset(take)
    return replace(out, name=name or f"{outcomes.name} (shifted)")


__all__ = ["mix", "shift"]
