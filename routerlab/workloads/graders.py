"""Graders: turn a model's response into a quality in [0, 1] against a reference.

A grader is named by a JSON-safe *spec*, a dict with a ``kind`` and its options, so a workload file
carries its graders as data. :func:`grade` applies a spec::

    grade({"kind": "numeric", "tol": 0.01}, "The total is $41.99.", "42")   # -> 1.0

Kinds (options in brackets):

``exact``         response == reference after stripping surrounding whitespace [``case``: bool;
                  ``loose``: compare the first non-empty line without an ``Answer:`` prefix,
                  surrounding quotes or backticks, or a final period]
``normalized``    equal after lower-casing, unifying quotes, dropping punctuation at the ends and
                  collapsing spaces; a leading ``Answer:`` is ignored and the first non-empty line is
                  compared [``anywhere``: accept the reference as a whole phrase anywhere in the
                  response]
``numeric``       a number extracted from the response (``pick``: ``"last"`` (default), ``"first"``
                  or ``"any"``) within ``tol`` (absolute) or ``rel`` (relative) of the reference;
                  thousands separators, ``$`` and ``%`` are understood
``json_fields``   the first JSON object in the response; the share of ``fields`` equal to those of
                  the reference object (strings compared normalized, numbers with ``tol``)
``regex``         ``pattern`` (else the reference) found in the response [``fullmatch``, ``flags``:
                  ``"i"``, ``"s"``, ``"m"``]
``choice``        the multiple-choice letter of the response (``(B)``, ``B)``, ``Answer: B``, a lone
                  ``B``) equals the reference letter [``letters``: default ``"ABCDE"``]
``contains``      the share of ``values`` (else the reference) found in the response, case-insensitive
                  [``all``: true gives 1 only when all are found]
``embedding``     cosine similarity of sentence embeddings of response and reference, rescaled
                  from [``floor`` (0.5), 1] to [0, 1] (all-MiniLM-L6-v2 offline; see
                  :func:`routerlab.embeddings.embed`)
``judge``         an LLM judge: a backend ``model`` spec scores the response against a ``rubric`` on
                  a ``scale`` (default [1, 10]); the score is rescaled to [0, 1]. Calls are cached.

An empty or missing response scores 0 under every grader.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import RouterlabError

# --------------------------------------------------------------------------- text helpers
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_PREFIX = re.compile(r"^\s*(?:final\s+answer|answer|output|result)\s*[:=\-]\s*", re.I)
_EDGE = " \t\r\n.,;:!?\"'`*_()[]{}<>"


def normalize(text: str) -> str:
    """Lower-case, unify quotes and dashes, drop edge punctuation and collapse whitespace.

    >>> normalize("  **Answer:  Hello,  World!** ")
    'hello, world'
    """
    s = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES)
    s = s.strip().strip(_EDGE)
    s = _PREFIX.sub("", s)
    s = " ".join(s.split()).lower()
    return s.strip(_EDGE)


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip(_EDGE):
            return line
    return ""


_NUMBER = re.compile(r"(?<![\w.])[-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?")


def extract_numbers(text: str) -> list[float]:
    """All numbers in ``text`` in order (``1,234.5`` -> 1234.5; ``$12`` -> 12; ``-3`` -> -3).

    >>> extract_numbers("Pay $1,250.50 by 3 March, or 12% more.")
    [1250.5, 3.0, 12.0]
    """
    out = []
    for m in _NUMBER.finditer(str(text).replace("$", " ")):
        tok = m.group(0)
        if not any(c.isdigit() for c in tok):
            continue
        tok = tok.replace(",", "").replace("\u2212", "-")
        try:
            out.append(float(tok))
        except ValueError:
            continue
    return out


def first_json_object(text: str) -> dict | None:
    """The first JSON object in ``text`` (e.g. inside a code fence), or None."""
    s = str(text)
    dec = json.JSONDecoder()
    i = s.find("{")
    while i != -1:
        try:
            obj, _ = dec.raw_decode(s, i)
        except json.JSONDecodeError:
            i = s.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            return obj
        i = s.find("{", i + 1)
    return None


# --------------------------------------------------------------------------- graders
def _loose(text: str) -> str:
    lines = [ln for ln in str(text).splitlines() if not ln.strip().startswith("```")]
    s = _first_line("\n".join(lines)).strip()
    s = _PREFIX.sub("", s).strip()
    s = s[:-1] if s.endswith(".") and not s.endswith("..") else s
    while len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'`*":
        s = s[1:-1].strip()
    return s[:-1] if s.endswith(".") and not s.endswith("..") else s


def exact(response: str, reference: str, case: bool = True, loose: bool = False) -> float:
    a, b = str(response).strip(), str(reference).strip()
    if loose:
        a = _loose(response)
    if not case:
        a, b = a.lower(), b.lower()
    return float(a == b)


def normalized(response: str, reference: str, anywhere: bool = False) -> float:
    ref = normalize(reference)
    if normalize(_first_line(response)) == ref or normalize(response) == ref:
        return 1.0
    if anywhere and ref:
        hay = " ".join(normalize(response).split())
        return float(re.search(r"(?<!\w)" + re.escape(ref) + r"(?!\w)", hay) is not None)
    return 0.0


def _close(a: float, b: float, tol: float, rel: float) -> bool:
    return abs(a - b) <= max(tol, rel * abs(b)) + 1e-12


def numeric(
    response: str, reference: str | float, tol: float = 1e-6, rel: float = 0.0, pick: str = "last"
) -> float:
    refs = extract_numbers(reference) if isinstance(reference, str) else [float(reference)]
    if not refs:
        raise RouterlabError(f"numeric grader: the reference {reference!r} holds no number")
    ref = refs[0]
    nums = extract_numbers(response)
    if not nums:
        return 0.0
    if pick == "any":
        return float(any(_close(x, ref, tol, rel) for x in nums))
    if pick not in ("first", "last"):
        raise RouterlabError(f"numeric grader: pick must be 'first', 'last' or 'any', not {pick!r}")
    return float(_close(nums[0] if pick == "first" else nums[-1], ref, tol, rel))


def _same_value(a: Any, b: Any, tol: float) -> bool:
    if isinstance(b, bool) or isinstance(a, bool):
        return a == b
    if isinstance(b, (int, float)):
        if isinstance(a, str):
            nums = extract_numbers(a)
            a = nums[0] if len(nums) == 1 else a
        return isinstance(a, (int, float)) and _close(float(a), float(b), tol, 0.0)
    if isinstance(b, str):
        return isinstance(a, (str, int, float)) and normalize(str(a)) == normalize(b)
    if isinstance(b, list):
        return (
            isinstance(a, list)
            and len(a) == len(b)
            and all(_same_value(x, y, tol) for x, y in zip(a, b, strict=True))
        )
    if isinstance(b, dict):
        return (
            isinstance(a, dict)
            and set(a) == set(b)
            and all(_same_value(a[k], b[k], tol) for k in b)
        )
    return a == b


def json_fields(
    response: str, reference: str | dict, fields: Sequence[str] | None = None, tol: float = 1e-6
) -> float:
    ref = first_json_object(reference) if isinstance(reference, str) else reference
    if not isinstance(ref, dict):
        raise RouterlabError("json_fields grader: the reference must be a JSON object")
    keys = list(fields) if fields else list(ref)
    if not keys:
        return 1.0
    got = first_json_object(response)
    if got is None:
        return 0.0
    lower = {str(k).lower(): v for k, v in got.items()}
    hits = 0
    for k in keys:
        if k not in ref:
            raise RouterlabError(f"json_fields grader: field {k!r} is not in the reference")
        v = got[k] if k in got else lower.get(k.lower(), _MISSING)
        hits += v is not _MISSING and _same_value(v, ref[k], tol)
    return hits / len(keys)


_MISSING = object()
_FLAGS = {"i": re.I, "s": re.S, "m": re.M}


def regex(
    response: str,
    reference: str,
    pattern: str | None = None,
    fullmatch: bool = False,
    flags: str = "",
) -> float:
    pat = pattern if pattern is not None else reference
    try:
        rx = re.compile(pat, sum(_FLAGS[f] for f in flags))
    except (re.error, KeyError) as exc:
        raise RouterlabError(
            f"regex grader: bad pattern or flags {pat!r}/{flags!r} ({exc})"
        ) from None
    text = str(response).strip()
    return float((rx.fullmatch(text) if fullmatch else rx.search(text)) is not None)


def choice_letter(text: str, letters: str = "ABCDE") -> str | None:
    """The multiple-choice letter a response picks, or None.

    >>> choice_letter("I think the answer is (C) because...")
    'C'
    """
    s = str(text).strip()
    cls = "[" + re.escape(letters) + "]"
    for pat in (
        rf"(?:answer|option|choice)\s*(?:is|:)?\s*\(?({cls})\b",
        rf"^\(?({cls})[).:\s]",
        rf"^({cls})$",
        rf"\(({cls})\)",
        rf"(?<![\w'])({cls})(?![\w'])",
    ):
        m = re.search(pat, s, re.I if "answer" in pat else 0)
        if m:
            return m.group(1).upper()
    return None


def choice(response: str, reference: str, letters: str = "ABCDE") -> float:
    ref = choice_letter(reference, letters) or str(reference).strip().upper()
    return float(choice_letter(response, letters) == ref)


def contains(
    response: str, reference: str, values: Sequence[str] | None = None, all: bool = False
) -> float:
    vals = [str(v) for v in values] if values else [str(reference)]
    vals = [normalize(v) for v in vals if str(v).strip()]
    if not vals:
        raise RouterlabError("contains grader: give non-empty values (or a reference)")
    hay = " ".join(normalize(response).split())
    found = sum(v in hay for v in vals)
    if all:
        return float(found == len(vals))
    return found / len(vals)


def embedding(
    response: str,
    reference: str,
    floor: float = 0.5,
    model: str | None = None,
    embed_fn: Callable | None = None,
) -> float:
    """Cosine similarity of embeddings, mapped linearly from [floor, 1] to [0, 1] and clipped.

    ``model`` is a local sentence-transformers folder (default the bundled all-MiniLM-L6-v2);
    ``embed_fn(texts) -> (n, d) array`` replaces the encoder entirely.
    """
    if embed_fn is None:
        from ..embeddings import embed

        def embed_fn(texts):
            return embed(texts, model=model)

    v = embed_fn([str(response), str(reference)])
    sim = float((v[0] * v[1]).sum() / ((v[0] ** 2).sum() ** 0.5 * (v[1] ** 2).sum() ** 0.5 + 1e-12))
    if not 0 <= floor < 1:
        raise RouterlabError(f"embedding grader: floor must be in [0, 1), got {floor}")
    return min(1.0, max(0.0, (sim - floor) / (1 - floor)))


# --------------------------------------------------------------------------- LLM judge
JUDGE_RUBRIC = (
    "Rate how well the RESPONSE answers the QUESTION, compared with the REFERENCE answer. "
    "A response that states the same answer as the reference is correct even if worded differently; "
    "a wrong or missing answer is incorrect."
)
_JUDGE_TEMPLATE = (
    "{rubric}\n\nQUESTION:\n{question}\n\nREFERENCE:\n{reference}\n\nRESPONSE:\n{response}\n\n"
    "Reply with one line: 'Score: N' where N is an integer from {lo} (worst) to {hi} (best)."
)
_SCORE = re.compile(r"score\s*[:=]?\s*(-?\d+(?:\.\d+)?)", re.I)


def parse_score(text: str, lo: float, hi: float) -> float | None:
    """The judge's score from its reply ('Score: 7', '7/10', or the first number in range)."""
    m = _SCORE.search(str(text))
    cands = [float(m.group(1))] if m else []
    cands += extract_numbers(text)
    for x in cands:
        if lo <= x <= hi:
            return x
    return None


class JudgeGrader:
    """An LLM judge: any backend scores a response against a reference with a rubric.

    Parameters
    ----------
    backend : Backend or str
        A :mod:`routerlab.models` backend, or a spec string resolved by ``routerlab.models.get_backend``.
    rubric : str
        What a good answer is.
    scale : (lo, hi)
        The judge's integer scale; the score is rescaled to ``(s - lo) / (hi - lo)``.
    cache : CallCache, optional
        Judge calls go through the call cache (the default one unless given), so re-grading is free.

    A reply with no parsable score grades 0 and is counted in ``unparsed``.
    """

    def __init__(
        self,
        backend,
        rubric: str = JUDGE_RUBRIC,
        scale: Sequence[float] = (1, 10),
        max_tokens: int = 16,
        cache=None,
    ):
        self.backend = backend
        self.rubric = rubric
        self.scale = (float(scale[0]), float(scale[1]))
        if not self.scale[0] < self.scale[1]:
            raise RouterlabError(f"judge scale must be (low, high) with low < high, got {scale}")
        self.max_tokens = int(max_tokens)
        self.cache = cache
        self.unparsed = 0

    def _backend(self):
        if isinstance(self.backend, str):
            from ..models import get_backend

            self.backend = get_backend(self.backend)
        return self.backend

    def messages(self, question: str, response: str, reference: str) -> list[dict]:
        lo, hi = (int(x) if float(x).is_integer() else x for x in self.scale)
        content = _JUDGE_TEMPLATE.format(
            rubric=self.rubric,
            question=question,
            reference=reference,
            response=response,
            lo=lo,
            hi=hi,
        )
        return [{"role": "user", "content": content}]

    def __call__(self, response: str, reference: str, question: str = "") -> float:
        from ..cache import default_cache

        backend = self._backend()
        msgs = self.messages(question, response, reference)
        # `is None`, not `or`: an empty CallCache is falsy (it has a length)
        cache = self.cache if self.cache is not None else default_cache()
        comp = cache.complete(
            backend,
            msgs if getattr(backend, "is_chat", True) else msgs[0]["content"],
            max_tokens=self.max_tokens,
            temperature=0.0,
        )
        lo, hi = self.scale
        s = parse_score(comp.text, lo, hi)
        if s is None:
            self.unparsed += 1
            return 0.0
        return (s - lo) / (hi - lo)


def judge(
    response: str,
    reference: str,
    model=None,
    rubric: str = JUDGE_RUBRIC,
    scale: Sequence[float] = (1, 10),
    question: str = "",
    backend=None,
    cache=None,
    max_tokens: int = 16,
) -> float:
    be = backend if backend is not None else model
    if be is None:
        raise RouterlabError(
            "judge grader: name a judge model, e.g. {'kind': 'judge', 'model': 'gguf:smollm2-135m'}"
        )
    return JudgeGrader(be, rubric=rubric, scale=scale, max_tokens=max_tokens, cache=cache)(
        response, reference, question=question
    )


# --------------------------------------------------------------------------- dispatch
GRADERS: dict[str, Callable[..., float]] = {
    "exact": exact,
    "normalized": normalized,
    "numeric": numeric,
    "json_fields": json_fields,
    "regex": regex,
    "choice": choice,
    "contains": contains,
    "embedding": embedding,
    "judge": judge,
}
_ALIASES = {
    "normalized_match": "normalized",
    "match": "normalized",
    "json": "json_fields",
    "mc": "choice",
    "multiple_choice": "choice",
    "llm_judge": "judge",
    "similarity": "embedding",
}


def grade(spec: dict | str, response: str | None, reference: str, **kwargs: Any) -> float:
    """Quality in [0, 1] of ``response`` against ``reference`` under a grader ``spec``.

    ``kwargs`` override or add to the spec's options (e.g. ``backend=`` for a judge, ``embed_fn=``).

    >>> grade({"kind": "numeric", "tol": 0.01}, "So the total is 12.004", "12")
    1.0
    >>> grade({"kind": "json_fields", "fields": ["id"]}, 'Sure: {"id": 7}', '{"id": 7, "x": 1}')
    1.0
    """
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, dict) or "kind" not in spec:
        raise RouterlabError(f"a grader spec is a dict with a 'kind', got {spec!r}")
    kind = _ALIASES.get(spec["kind"], spec["kind"])
    fn = GRADERS.get(kind)
    if fn is None:
        raise RouterlabError(f"unknown grader kind {spec['kind']!r}; known: {', '.join(GRADERS)}")
    if (
        response is None
        or (isinstance(response, float) and math.isnan(response))
        or not str(response).strip()
    ):
        return 0.0
    opts = {k: v for k, v in spec.items() if k != "kind"}
    opts.update(kwargs)
    try:
        q = float(fn(str(response), reference, **opts))
    except TypeError as exc:
        raise RouterlabError(f"grader {kind!r}: bad options {sorted(opts)} ({exc})") from None
    return min(1.0, max(0.0, q))
