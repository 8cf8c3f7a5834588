"""``rules``: an ordered list of readable rules (keywords, regex, length, PII, category) -> model.

The first rule whose every condition holds decides; otherwise ``default``. Rules are plain JSON::

    [{"if": {"pii": true}, "model": "weak"},
     {"if": {"keywords": ["contract", "gdpr"]}, "model": "strong"},
     {"if": {"regex": "\\\\bsue\\\\b|lawsuit"}, "model": "strong"},
     {"if": {"min_chars": 600}, "model": "strong"}]

Conditions: ``keywords`` (any whole word or phrase, case-insensitive), ``regex`` (Python ``re``
search, case-insensitive), ``min_chars`` / ``max_chars`` (prompt length), ``pii`` (true/false),
``category`` (one name or a list). A model may be a table model name or ``"weak"`` / ``"strong"``.
With ``rules=None`` a default set is used: PII -> weak, long prompts (above the training 75th
percentile of length) -> strong. ``fit`` checks the models and records, per rule, how often it fired
and the mean quality of its model on those training queries (``rule_stats_``).
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import RouterlabError
from .base import Queries, Router

_CONDITIONS = ("keywords", "regex", "min_chars", "max_chars", "pii", "category")


def _validate(rules) -> list[dict]:
    if not isinstance(rules, (list, tuple)):
        raise RouterlabError('rules must be a list like [{"if": {"pii": true}, "model": "weak"}]')
    out = []
    for i, r in enumerate(rules):
        if not isinstance(r, dict) or "model" not in r or not isinstance(r.get("if", {}), dict):
            raise RouterlabError(
                f'rule {i} must look like {{"if": {{...}}, "model": "name"}}, got {r!r}'
            )
        unknown = set(r.get("if", {})) - set(_CONDITIONS)
        if unknown:
            raise RouterlabError(
                f"rule {i} has unknown condition(s) {sorted(unknown)}; use {', '.join(_CONDITIONS)}"
            )
        rx = r.get("if", {}).get("regex")
        if rx is not None:
            try:
                re.compile(rx)
            except re.error as exc:
                raise RouterlabError(f"rule {i} has a bad regex {rx!r}: {exc}") from None
        out.append(r)
    return out


def rule_mask(cond: dict, queries: Queries) -> np.ndarray:
    """Which queries satisfy every condition of one rule."""
    n = len(queries)
    m = np.ones(n, dtype=bool)
    texts = queries.prompts
    if "keywords" in cond:
        kws = [cond["keywords"]] if isinstance(cond["keywords"], str) else list(cond["keywords"])
        pat = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in kws) + r")\b", re.IGNORECASE)
        m &= np.fromiter((bool(pat.search(t)) for t in texts), bool, n)
    if "regex" in cond:
        pat = re.compile(cond["regex"], re.IGNORECASE)
        m &= np.fromiter((bool(pat.search(t)) for t in texts), bool, n)
    if "min_chars" in cond or "max_chars" in cond:
        ln = np.fromiter((len(t) for t in texts), float, n)
        if "min_chars" in cond:
            m &= ln >= float(cond["min_chars"])
        if "max_chars" in cond:
            m &= ln <= float(cond["max_chars"])
    if "pii" in cond:
        m &= queries.pii() == bool(cond["pii"])
    if "category" in cond:
        cats = [cond["category"]] if isinstance(cond["category"], str) else list(cond["category"])
        if queries.categories is None:
            m &= False
        else:
            m &= np.isin(queries.categories, cats)
    return m


def _compile(cond: dict) -> tuple:
    """(keyword pattern, regex pattern, category names) of one rule, compiled once."""
    kw = rx = cats = None
    if "keywords" in cond:
        kws = [cond["keywords"]] if isinstance(cond["keywords"], str) else list(cond["keywords"])
        kw = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in kws) + r")\b", re.IGNORECASE)
    if "regex" in cond:
        rx = re.compile(cond["regex"], re.IGNORECASE)
    if "category" in cond:
        c = cond["category"]
        cats = {c} if isinstance(c, str) else set(c)
    return kw, rx, cats


def rule_hits_one(cond: dict, compiled: tuple, prompt: str, category, pii: bool) -> bool:
    """:func:`rule_mask` for one query."""
    kw, rx, cats = compiled
    if kw is not None and not kw.search(prompt):
        return False
    if rx is not None and not rx.search(prompt):
        return False
    if "min_chars" in cond and not len(prompt) >= float(cond["min_chars"]):
        return False
    if "max_chars" in cond and not len(prompt) <= float(cond["max_chars"]):
        return False
    if "pii" in cond and bool(pii) != bool(cond["pii"]):
        return False
    return cats is None or (category is not None and str(category) in cats)


class RulesRouter(Router):
    """First matching rule wins; otherwise ``default``.

    Parameters
    ----------
    rules : list of dict, optional
        ``[{"if": {condition: value, ...}, "model": name}, ...]`` (see module docs).
    default : str
        Model when no rule matches (a table model or ``"weak"`` / ``"strong"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from routerlab.outcomes import Outcomes
    >>> o = Outcomes.from_arrays(pd.DataFrame({"prompt": ["my contract", "hello"]}), ["w", "s"],
    ...                          quality=np.ones((2, 2)))
    >>> r = RulesRouter(rules=[{"if": {"keywords": ["contract"]}, "model": "strong"}]).fit(o)
    >>> r.route(o).tolist()
    ['s', 'w']
    """

    kind = "rules"
    multi_model = True

    def __init__(
        self,
        *,
        rules: list[dict] | None = None,
        default: str = "weak",
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
    ):
        super().__init__(strong=strong, weak=weak, seed=seed)
        self.rules = rules
        self.default = default

    def _resolve_models(self, outcomes):
        return tuple(outcomes.models) if len(outcomes.models) >= 2 else self._resolve_pair(outcomes)

    def _fit(self, outcomes) -> None:
        weak, strong = self._resolve_pair(outcomes)
        alias = {"weak": weak, "strong": strong}
        q = Queries.from_outcomes(outcomes)
        if self.rules is None:
            long = float(np.percentile([len(p) for p in q.prompts], 75))
            rules = [
                {"if": {"pii": True}, "model": "weak"},
                {"if": {"min_chars": round(long)}, "model": "strong"},
            ]
        else:
            rules = _validate(self.rules)
        resolved = []
        for r in rules:
            m = alias.get(r["model"], r["model"])
            outcomes.col(m)  # clear error naming the models
            resolved.append({"if": dict(r.get("if", {})), "model": m})
        default = alias.get(self.default, self.default)
        outcomes.col(default)
        self.rules_ = resolved
        self.default_ = default
        # per-rule training stats (first-match semantics)
        stats = []
        taken = np.zeros(outcomes.n, dtype=bool)
        qual = np.nan_to_num(outcomes.quality, nan=0.0)
        for r in resolved:
            hit = rule_mask(r["if"], q) & ~taken
            taken |= hit
            j = outcomes.col(r["model"])
            stats.append(
                {
                    "fired": int(hit.sum()),
                    "mean_quality": float(qual[hit, j].mean()) if hit.any() else 0.0,
                }
            )
        self.rule_stats_ = stats
        self.default_share_ = float((~taken).mean())

    def _decide(self, queries: Queries) -> np.ndarray:
        out = np.full(len(queries), self.default_, dtype=object)
        undecided = np.ones(len(queries), dtype=bool)
        for r in self.rules_:
            hit = rule_mask(r["if"], queries) & undecided
            out[hit] = r["model"]
            undecided &= ~hit
        return out

    def _score(self, queries: Queries) -> np.ndarray:
        d = self._decide(queries)
        return (d[:, None] == np.asarray(self.models_, dtype=object)[None, :]).astype(float)

    def route(self, queries, threshold: float | None = None) -> np.ndarray:
        from .base import as_queries

        self._check_fitted()
        return self._decide(as_queries(queries))

    def route_one(self, prompt, category=None, contains_pii=False, embedding=None, threshold=None):
        """The first matching rule's model (score 1.0: the one-hot score of :meth:`score`)."""
        self._check_fitted()
        compiled = self._derived(
            "compiled", self.rules_, lambda: [_compile(r["if"]) for r in self.rules_]
        )
        for r, c in zip(self.rules_, compiled, strict=True):
            if rule_hits_one(r["if"], c, prompt, category, contains_pii):
                return r["model"], 1.0
        return self.default_, 1.0

    def score_one(self, prompt, category=None, contains_pii=False, embedding=None):
        d, _ = self.route_one(prompt, category, contains_pii)
        return np.array([1.0 if m == d else 0.0 for m in self.models_])
