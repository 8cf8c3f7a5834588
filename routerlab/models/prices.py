"""Prices: US dollars per million input and output tokens.

Cost always comes from the real token counts of a call (``Price.cost(tokens_in, tokens_out)``).
Two public tiers are built in (list prices of hosted frontier and efficient models, late 2025):

- ``frontier``: $5 in / $25 out per million tokens;
- ``efficient``: $1 in / $5 out per million tokens.

Local models cost nothing by default; give them a per-token cost (``Price.per_token``) to include
hardware and energy when comparing edge against cloud.

Examples
--------
>>> Price(5, 25).cost(1000, 200)
0.01
>>> TIERS["efficient"]
Price(input_per_m=1.0, output_per_m=5.0, tier='efficient')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RouterlabError


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens (``tier`` is only a label)."""

    input_per_m: float = 0.0
    output_per_m: float = 0.0
    tier: str | None = None

    def __post_init__(self) -> None:
        for name in ("input_per_m", "output_per_m"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise RouterlabError(f"price {name} must be a number >= 0, got {value!r}")
            object.__setattr__(self, name, float(value))

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """Dollars for one call with these real token counts."""
        return (tokens_in * self.input_per_m + tokens_out * self.output_per_m) / 1e6

    @classmethod
    def per_token(cls, usd: float, tier: str | None = "local") -> Price:
        """The same cost for every input and output token (e.g. hardware cost of a local model)."""
        return cls(usd * 1e6, usd * 1e6, tier)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_per_m": self.input_per_m,
            "output_per_m": self.output_per_m,
            "tier": self.tier,
        }


#: Built-in tiers. ``local`` is the default for GGUF models and servers on this machine.
TIERS: dict[str, Price] = {
    "frontier": Price(5.0, 25.0, "frontier"),
    "efficient": Price(1.0, 5.0, "efficient"),
    "local": Price(0.0, 0.0, "local"),
}


def price_from(value: Any, *, where: str = "price") -> Price:
    """Build a :class:`Price` from a tier name, a Price, a number pair or a mapping.

    A mapping may hold ``tier``, ``input_per_m``/``output_per_m`` or ``cost_per_token``.
    """
    if isinstance(value, Price):
        return value
    if isinstance(value, str):
        if value not in TIERS:
            raise RouterlabError(
                f"unknown price tier {value!r} in {where}: use one of {', '.join(TIERS)}"
            )
        return TIERS[value]
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return Price(value[0], value[1])
    if isinstance(value, Mapping):
        known = {"tier", "input_per_m", "output_per_m", "cost_per_token"}
        extra = set(value) - known
        if extra:
            raise RouterlabError(f"unknown price field(s) {sorted(extra)} in {where}")
        if "cost_per_token" in value:
            cpt = value["cost_per_token"]
            if isinstance(cpt, bool) or not isinstance(cpt, (int, float)):
                raise RouterlabError(f"cost_per_token in {where} must be a number, got {cpt!r}")
            return Price.per_token(float(cpt))
        base = price_from(value["tier"], where=where) if "tier" in value else Price()
        return Price(
            value.get("input_per_m", base.input_per_m),
            value.get("output_per_m", base.output_per_m),
            value.get("tier", base.tier),
        )
    raise RouterlabError(
        f"{where} must be a tier name ({', '.join(TIERS)}), (input_per_m, output_per_m) or a table"
    )
