"""The Completion: one model answer with its accounting. Produced by a backend, stored by the cache."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Completion:
    """One model answer.

    ``latency_s`` and ``cost_usd`` are those of the real call, also when the answer comes from the
    cache (``cached=True``). ``confidence`` is the mean token log-probability when the backend
    reported log-probabilities, else ``None``.
    """

    text: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    cost_usd: float
    model: str
    finish_reason: str | None = None
    cached: bool = False
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Completion:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})

    def as_cached(self) -> Completion:
        return replace(self, cached=True)
