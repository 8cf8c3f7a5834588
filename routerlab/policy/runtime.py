"""The production runtime: a loaded policy routes a prompt (or chat messages) to a model id.

Needs only numpy (plus sentence-transformers, loaded lazily, when the router uses embeddings).
The router is rebuilt from the policy's plain-JSON state by :func:`routerlab.routers.router_from_dict`,
so a loaded policy scores with exactly the code the notebook used and makes the same decisions.

Examples
--------
>>> from routerlab import policy                                  # doctest: +SKIP
>>> p = policy.load("policy.json")                                # doctest: +SKIP
>>> p.route("What is the notice period in clause 4?")             # doctest: +SKIP
Decision(model='frontier', score=0.81, reason='knn score 0.810 >= threshold 0.500: strong model', pii=False)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import RouterlabError
from .schema import PolicyError, validate

#: Default PII patterns of the privacy rule (written into every exported rule, so production sees
#: exactly what is detected). Synthetic-looking formats: emails, phone numbers, account / customer
#: ids, payment card numbers.
DEFAULT_PII_PATTERNS: dict[str, str] = {
    # Each pattern starts with one literal or one character set (lookbehinds come after it), so
    # Python's regex engine skips ahead to candidate positions instead of trying every offset.
    "email": r"@(?<=[\w.%+-]@)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "phone": (
        r"[+(\d](?:(?<=\+)\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}[\s.-]?\d{3,4}"
        r"(?:[\s.-]?\d{2,4})?|(?<=\()\d{3}\)[\s.-]?\d{3}[\s.-]\d{4}"
        r"|(?<=\d)\d{2}\)?[\s.-]\d{3}[\s.-]\d{4})(?!\w|\.\d)"
    ),
    "account_id": (
        r"[AaCcMm](?:(?<!\w.)(?i:cct|ccount|ustomer|ember|lient)(?i:\s*(?:id|no\.?|number|#))?"
        r"[\s#:]*(?i:[A-Z]{0,4})-?\d{4,}\b|(?<=A)(?<!\wA)C(?:CT)?-?\d{4,}\b)"
    ),
    "card": r"\d\d{3}[ -]\d{4}[ -]\d{4}[ -]\d{4}(?!\d)",
}


# ------------------------------------------------------------------ fast exact PII pre-check
# Every default pattern needs a literal that a plain substring test finds once digits read "0",
# whitespace, "." and "-" read " " and ")" is dropped (ASCII text only; other text goes straight
# to the regexes):
#   email      "@"
#   phone      "+0", "(000" (from "(ddd)"), or "000 000" (from ddd, an optional ")", one of
#              whitespace . -, then ddd)
#   card       "000 000" too (from "dddd dddd" or "dddd-dddd")
#   account_id "0000", and "AC" or "ACCT" then an optional " " and "0000", or a word (after a
#              non-word character) starting with a, c or m then "cct", "ccount", "ustomer",
#              "ember" or "lient", in any case.
# A text without the literal cannot match the pattern, so skipping its regex changes no answer;
# only texts that pass are searched. tests/policy/test_runtime.py checks this by fuzzing.
_PRE_MAP = bytes(
    ord("0")
    if re.match(r"\d", chr(c))
    else ord(" ")
    if re.match(r"\s", chr(c)) or chr(c) in ".-"
    else c
    for c in range(256)
)
#: the pre-check of each default pattern: 1 = email, 2 = phone / card, 3 = account id
_PRE_KIND = {"email": 1, "phone": 2, "card": 2, "account_id": 3}


class Decision:
    """Where one request goes: the policy model id, the router's score and a readable reason.

    Immutable by convention; iterates as ``(model, score, reason, pii)``. The reason is written
    when first read, so a caller that only needs the model does not pay for formatting it."""

    __slots__ = ("model", "score", "pii", "_reason")

    def __init__(self, model: str, score: float | None, reason, pii: bool = False):
        self.model = model
        self.score = score
        self.pii = pii
        #: the text, or (function, args) that writes it on first read
        self._reason = reason

    @property
    def reason(self) -> str:
        r = self._reason
        if not isinstance(r, str):
            r = self._reason = r[0](*r[1])
        return r

    def __iter__(self):
        return iter((self.model, self.score, self.reason, self.pii))

    def __eq__(self, other) -> bool:
        return isinstance(other, Decision) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Decision(model={self.model!r}, score={self.score!r}, reason={self.reason!r}, "
            f"pii={self.pii!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "score": self.score, "reason": self.reason, "pii": self.pii}


@dataclass
class BatchDecision:
    """Decisions for many queries: arrays of model ids, scores (nan when none) and PII flags."""

    models: np.ndarray
    scores: np.ndarray
    pii: np.ndarray
    columns: np.ndarray
    rule_applied: np.ndarray

    def __len__(self) -> int:
        return len(self.models)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # OpenAI content parts
        return "\n".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, Mapping) and p.get("type") == "text"
        )
    return "" if content is None else str(content)


def text_of(prompt_or_messages: Any) -> tuple[str, str]:
    """(the text the router scores, all the text checked for PII) of a prompt or chat messages.

    The router sees the last user message (as the workload's ``prompt`` is the last user turn);
    PII is looked for in every message.
    """
    if isinstance(prompt_or_messages, str):
        return prompt_or_messages, prompt_or_messages
    if isinstance(prompt_or_messages, Mapping) or not isinstance(prompt_or_messages, Sequence):
        raise RouterlabError(
            "route() takes a prompt string or a list of {'role', 'content'} messages, "
            f"not {type(prompt_or_messages).__name__}"
        )
    texts, user = [], None
    for i, m in enumerate(prompt_or_messages):
        if not isinstance(m, Mapping) or "content" not in m:
            raise RouterlabError(f"messages[{i}] must be an object with 'role' and 'content'")
        t = _content_text(m["content"])
        texts.append(t)
        if m.get("role", "user") == "user":
            user = t
    if not texts:
        raise RouterlabError("messages is empty: give at least one message")
    return (user if user is not None else texts[-1]), "\n".join(texts)


class PiiDetector:
    """Regex PII detection: ``detect(text) -> name of the first matching pattern or None``."""

    def __init__(self, patterns: Mapping[str, str] | None = None):
        self.patterns = dict(DEFAULT_PII_PATTERNS if patterns is None else patterns)
        try:
            self._compiled = [(k, re.compile(v)) for k, v in self.patterns.items()]
        except re.error as exc:
            raise PolicyError(
                f"rules: a PII pattern is not a valid regular expression ({exc})"
            ) from None
        # the default patterns keep their pre-check; changed or custom ones are always searched
        self._plan = [
            (k, rx, _PRE_KIND.get(k, 0) if DEFAULT_PII_PATTERNS.get(k) == self.patterns[k] else 0)
            for k, rx in self._compiled
        ]
        self._pre = any(kind for _, _, kind in self._plan)

    def detect(self, text: str) -> str | None:
        if not (self._pre and text.isascii()):
            for name, rx in self._compiled:
                if rx.search(text):
                    return name
            return None
        b = text.encode("ascii").translate(_PRE_MAP, b")")
        digits = phone = account = None  # each test runs at most once, when first needed
        for name, rx, kind in self._plan:
            if kind == 1:
                if b"@" not in b:
                    continue
            elif kind:
                if digits is None:
                    digits = b"000" in b  # phone, card and account id need three digits in a row
                if not digits:
                    continue
                if kind == 2:
                    if phone is None:
                        phone = b"+0" in b or b"(000" in b or b"000 000" in b
                    if not phone:
                        continue
                else:
                    if account is None:
                        account = b"0000" in b and (_has_ac_id(b) or _has_account_word(text))
                    if not account:
                        continue
            if rx.search(text):
                return name
        return None


def _has_ac_id(b: bytes) -> bool:
    """``AC`` or ``ACCT``, an optional "-", then digits (as the pre-check's translation reads them)."""
    return b"AC0000" in b or b"AC 0000" in b or b"ACCT0000" in b or b"ACCT 0000" in b


def _has_account_word(text: str) -> bool:
    """A word that starts with one of a, c, m then cct, ccount, ustomer, ember or lient (any case):
    where account_id's keyword branch can start (its lookbehind wants no word character before)."""
    w = b"  " + text.encode("ascii").translate(_WORD_MAP)
    for k in (b"ustomer", b"ember", b"lient", b"cct", b"ccount"):
        i = w.find(k)
        while i >= 0:
            if w[i - 2] == 32 and w[i - 1] in _ACM:
                return True
            i = w.find(k, i + 1)
    return False


#: ASCII byte -> lower case for [A-Za-z0-9_] (the ASCII word characters), else a space
_WORD_MAP = bytes(
    c | 32 if chr(c).isascii() and chr(c).isalpha() else c if chr(c) in "0123456789_" else 32
    for c in range(256)
)
_ACM = frozenset(b"acm")


class Policy:
    """A loaded routing policy. Build with :func:`routerlab.policy.load` or ``Policy(doc)``.

    Parameters
    ----------
    doc : dict
        A policy document (validated here).
    where : str
        How errors name the source (usually the file name).
    """

    def __init__(self, doc: dict, where: str = "policy"):
        validate(doc, where)
        self.doc = doc
        self.where = where
        self.models: dict[str, dict] = {m["id"]: m for m in doc["models"]}
        self._col_to_id = {m.get("column", m["id"]): m["id"] for m in doc["models"]}
        for m in doc["models"]:  # a router may also know a model by its id
            self._col_to_id.setdefault(m["id"], m["id"])
        self.fallback: str = doc["fallback"]
        self.router = _build_router(doc["router"], where)
        r = doc["router"]
        self.threshold: float | None = (
            r.get("threshold")
            if r.get("threshold") is not None
            else getattr(self.router, "threshold", None)
        )
        self.encoder: str | None = (r.get("encoder") or {}).get("name")
        self.pii_rule: dict | None = next(
            (x for x in doc["rules"] if x["type"] == "pii" and x.get("enabled", True)), None
        )
        patterns = (self.pii_rule or {}).get("patterns")
        self.detector = PiiDetector(patterns)
        self._detect_regex = (
            self.pii_rule is None or self.pii_rule.get("detect", "flag_or_regex") != "flag"
        )
        self._allow = tuple(self.pii_rule["allow"]) if self.pii_rule else ()
        self._router_models = np.asarray(list(self.router.models_), dtype=object)
        from ..routers.base import Router

        self._plain_route = type(self.router).route is Router.route
        self._kind = r["kind"]
        self._strong_col = self.router.models_[-1]
        self._multi = bool(getattr(self.router, "multi_model", False))
        self.needs_embeddings = bool(getattr(self.router, "needs_embeddings", False))
        #: keep live query embeddings in routerlab's disk cache (off: production traffic is unique)
        self.cache_embeddings = False
        self._encoder_checked = False
        #: a cascade decides after seeing answers: live traffic starts at its first stage and
        #: ``routerlab serve`` escalates while the verifier score is below the stage threshold
        self.is_cascade = hasattr(self.router, "stages_tried") and hasattr(
            self.router, "thresholds_"
        )
        if self.is_cascade:
            self.stages = [self._col_to_id[c] for c in self.router.models_]
            self.stage_thresholds = [float(x) for x in np.asarray(self.router.thresholds_).ravel()]

    # ------------------------------------------------------------------ info
    @property
    def kind(self) -> str:
        return self.doc["router"]["kind"]

    @property
    def name(self) -> str:
        return self.doc.get("name") or f"{self.kind}-policy"

    @property
    def expected(self) -> dict:
        return self.doc["expected"]

    @property
    def is_binary(self) -> bool:
        return not getattr(self.router, "multi_model", False) and len(self.router.models_) == 2

    def __repr__(self) -> str:
        return (
            f"Policy({self.name!r}, router={self.kind!r}, models={list(self.models)}, "
            f"threshold={self.threshold}, rules={[r['type'] for r in self.doc['rules']]})"
        )

    def to_dict(self) -> dict:
        return self.doc

    def model_id(self, column: str) -> str:
        return self._col_to_id[column]

    def column_of(self, model_id: str) -> str:
        m = self.models[model_id]
        return m.get("column", m["id"])

    def check_env(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """Raise :class:`PolicyError` naming the field when a model's env var is not set.

        Returns the ids of models without a callable backend (``backend: none``: scenario models).
        """
        env = os.environ if environ is None else environ
        unbacked = []
        for i, m in enumerate(self.doc["models"]):
            if m["backend"] == "none":
                unbacked.append(m["id"])
                continue
            for field in ("key_env", "base_url_env"):
                name = m.get(field)
                if name and not env.get(name):
                    raise PolicyError(
                        f"{self.where}: models[{i}].{field} names {name}, which is not set: "
                        f"export {name}=... before using model {m['id']!r}"
                    )
        return unbacked

    # ------------------------------------------------------------------ routing
    def _pii_flags(self, texts: Sequence[str], contains_pii) -> tuple[np.ndarray, list]:
        n = len(texts)
        if contains_pii is not None:
            flags = np.broadcast_to(np.asarray(contains_pii, dtype=bool), (n,)).copy()
            return flags, ["flag"] * n
        if not self._detect_regex:
            return np.zeros(n, dtype=bool), [None] * n
        found = [self.detector.detect(t) for t in texts]
        return np.array([f is not None for f in found], dtype=bool), found

    def _queries(self, prompts, categories, pii, embeddings):
        from ..routers.base import Queries

        if isinstance(prompts, Queries):
            q = prompts
            if pii is not None and (
                q.contains_pii is None or not np.array_equal(q.contains_pii, pii)
            ):
                q = Queries(q.prompts, q.categories, pii, q.embeddings, q.outcomes)
                q._emb_cache = prompts._emb_cache  # the caller's PII flags win; embeddings are kept
            return q
        prompts = list(prompts)
        if embeddings is None and self.needs_embeddings and not self.is_cascade:
            embeddings = self.embed(prompts)
        return Queries(prompts, categories=categories, contains_pii=pii, embeddings=embeddings)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with the policy's encoder, live (no disk cache unless ``cache_embeddings``).

        The first call checks that the local encoder's weights hash matches the exported one.
        """
        from ..embeddings import DEFAULT_MODEL, embed, encoder_info

        name = self.encoder
        model = None if name in (None, DEFAULT_MODEL) else name
        if not self._encoder_checked:
            want = (self.doc["router"].get("encoder") or {}).get("weights_sha256")
            if want:
                have = encoder_info(model)["sha256"]
                if have != want:
                    raise PolicyError(
                        f"{self.where}: router.encoder.weights_sha256 does not match the local "
                        f"{name} ({have[:12]}... vs {want[:12]}...): install the encoder the "
                        "policy was fitted with"
                    )
            self._encoder_checked = True
        return embed(list(texts), model=model, cache=self.cache_embeddings)

    def _decide(self, q, threshold: float | None) -> tuple[np.ndarray, np.ndarray]:
        """(router columns, scores) for Queries ``q``; same logic as Router.route."""
        r = self.router
        t = self.threshold if threshold is None else threshold
        n = len(q)
        if self._plain_route:
            s = r.score(q)
            if r.multi_model:
                idx = np.argmax(s, axis=1) if n else np.zeros(0, dtype=int)
                return self._router_models[idx], s[np.arange(n), idx] if n else np.zeros(0)
            return np.where(s >= t, self._router_models[1], self._router_models[0]), s
        cols = np.asarray(r.route(q, threshold=t), dtype=object)
        try:
            s = np.asarray(r.score(q), dtype=float)
        except RouterlabError:
            return cols, np.full(n, np.nan)
        if s.ndim == 2:
            pos = {m: j for j, m in enumerate(r.models_)}
            idx = np.array([pos.get(c, 0) for c in cols], dtype=int)
            s = s[np.arange(n), idx] if n else np.zeros(0)
        return cols, s

    def route_batch(
        self,
        queries,
        contains_pii=None,
        categories=None,
        threshold: float | None = None,
        embeddings=None,
    ) -> BatchDecision:
        """Route many queries at once (a list of prompts or a :class:`~routerlab.routers.Queries`).

        ``contains_pii``: the callers' flags (else the Queries' own flags, else the rule's regex).
        """
        from ..routers.base import Queries

        if isinstance(queries, Queries):
            texts = queries.prompts
            if contains_pii is None and queries.contains_pii is not None:
                contains_pii = queries.contains_pii
        else:
            texts = [text_of(x)[0] for x in queries]
        pii, _ = self._pii_flags(texts, contains_pii)
        q = self._queries(
            queries if isinstance(queries, Queries) else texts, categories, pii, embeddings
        )
        cols, scores = self._decide(q, threshold)
        ids = np.array([self._col_to_id[c] for c in cols], dtype=object)
        forced = np.zeros(len(ids), dtype=bool)
        if self.pii_rule is not None and len(ids):
            forced = pii & ~np.isin(ids, np.asarray(self._allow, dtype=object))
            ids[forced] = self._allow[0]
        return BatchDecision(
            models=ids,
            scores=np.asarray(scores, dtype=float),
            pii=pii,
            columns=np.asarray(cols, dtype=object),
            rule_applied=forced,
        )

    def route(
        self,
        prompt_or_messages,
        contains_pii: bool | None = None,
        category: str | None = None,
        threshold: float | None = None,
        embedding=None,
    ) -> Decision:
        """Route one request: a prompt string or OpenAI-style chat messages.

        Parameters
        ----------
        prompt_or_messages : str or list of dict
        contains_pii : bool, optional
            The caller's flag; when ``None`` and the policy has a PII rule, regexes decide.
        category : str, optional
            The query's category when the caller knows it (category-aware routers use it).
        threshold : float, optional
            Override the exported threshold (binary routers), e.g. from a RouteLLM alias.
        embedding : array (d,), optional
            A precomputed query embedding (else computed lazily when the router needs one).
        """
        text, all_text = text_of(prompt_or_messages)
        if contains_pii is not None:
            pii, why = bool(contains_pii), "flagged by the caller"
        elif self._detect_regex:
            found = self.detector.detect(all_text)
            pii = found is not None
            why = f"detected: {found}" if pii else ""
        else:
            pii, why = False, ""
        if self.is_cascade:
            return self._cascade_decision(pii, why)
        if embedding is None and self.needs_embeddings:
            embedding = self.embed([text])[0]
        # the router's one-query path: the same decision as ``route`` on a one-row batch, at the
        # policy's threshold (the exported operating point) unless the caller overrides it
        t = self.threshold if threshold is None else threshold
        col, s = self.router.route_one(text, category, pii, embedding, t)
        if s is not None and s != s:  # nan: no score
            s = None
        mid = self._col_to_id[col]
        reason = (self._reason, (col, s, threshold, pii, why))  # written when read
        if pii and self.pii_rule is not None and mid not in self._allow:
            mid = self._allow[0]
        return Decision(mid, s, reason, pii)

    def cascade_stages(self, pii: bool = False) -> list[tuple[str, float | None]]:
        """(model id, threshold to accept its answer) per stage; the last has None. With PII and
        the PII rule on, stages outside the rule's allow list are dropped."""
        stages = list(zip(self.stages, [*self.stage_thresholds, None], strict=True))
        if pii and self.pii_rule is not None:
            kept = [(m, t) for m, t in stages if m in self._allow]
            if not kept:
                return [(self._allow[0], None)]
            stages = [*kept[:-1], (kept[-1][0], None)]
        return stages

    def _cascade_decision(self, pii: bool, why: str) -> Decision:
        stages = self.cascade_stages(pii)
        first, thr = stages[0]
        verifier = getattr(self.router, "verifier", "verifier")
        if len(stages) == 1:
            reason = f"cascade: only {first}"
        else:
            reason = (
                f"cascade: {first} first; escalate to {stages[1][0]} when {verifier} < {thr:.3f}"
            )
        if pii and self.pii_rule is not None:
            reason += f"; PII ({why}): stages limited to {', '.join(m for m, _ in stages)}"
        return Decision(model=first, score=None, reason=reason, pii=pii)

    def _reason(self, col, s, threshold, pii: bool = False, why: str = "") -> str:
        text = self._router_reason(col, s, threshold)
        if pii and self.pii_rule is not None:
            mid = self._col_to_id[col]
            if mid not in self._allow:
                return f"PII ({why}): rule keeps it on {self._allow[0]} instead of {mid}"
            text += f"; PII ({why}) allowed on {mid}"
        return text

    def _router_reason(self, col: str, s: float | None, threshold: float | None) -> str:
        kind = self._kind
        if s is None:
            return f"{kind} router chose {self._col_to_id[col]}"
        if self._multi:
            return f"{kind}: highest predicted utility {s:.3f} of {len(self._router_models)} models"
        t = self.threshold if threshold is None else threshold
        if self._plain_route and t is not None:
            strong = col == self._strong_col
            op = ">=" if strong else "<"
            return f"{kind} score {s:.3f} {op} threshold {t:.3f}: {'strong' if strong else 'weak'} model"
        return f"{kind} score {s:.3f}: {self._col_to_id[col]}"


def _build_router(r: dict, where: str):
    from ..routers import REGISTRY, router_from_dict

    kind = r["kind"]
    if kind not in REGISTRY:
        raise PolicyError(
            f"{where}: router.kind {kind!r} is unknown; known: {', '.join(sorted(REGISTRY))}"
        )
    try:
        router = router_from_dict({"kind": kind, "params": r["params"], "state": r["state"]})
    except RouterlabError as exc:
        raise PolicyError(
            f"{where}: router.state or router.params does not fit {kind!r}: {exc}"
        ) from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise PolicyError(
            f"{where}: router.state or router.params does not fit {kind!r}: {type(exc).__name__}: {exc}"
        ) from None
    if list(router.models_) != list(r["models"]):
        raise PolicyError(
            f"{where}: router.models {r['models']} differs from the fitted state's {list(router.models_)}"
        )
    return router
