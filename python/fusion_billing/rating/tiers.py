"""Tier walking shared by the graduated and graduated_percentage models.

Mirrors lago-api ``ChargeModels::GraduatedService`` and
``ChargeModels::AmountDetails::RangeGraduatedService``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

from .money import to_decimal


@dataclass(frozen=True)
class Tier:
    index: int
    from_value: Decimal
    to_value: Decimal | None
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class TierUsage:
    tier: Tier
    units: Decimal


def parse_tiers(ranges: Any, key: str) -> list[Tier]:
    if not isinstance(ranges, Sequence) or isinstance(ranges, (str, bytes)) or not ranges:
        raise ValueError(f"properties.{key}: expected a non-empty list of ranges")
    tiers = []
    for index, item in enumerate(ranges):
        path = f"properties.{key}[{index}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{path}: expected an object")
        if "from_value" not in item or item["from_value"] is None:
            raise ValueError(f"{path}.from_value is required")
        from_value = to_decimal(item["from_value"], f"{path}.from_value")
        raw_to = item.get("to_value")
        to_value = None if raw_to is None else to_decimal(raw_to, f"{path}.to_value")
        tiers.append(Tier(index=index, from_value=from_value, to_value=to_value, raw=item))
    return tiers


def uses_adjacent_bounds(tiers: Sequence[Tier]) -> bool:
    """True when every tier starts where the previous one ended (0-0.1, 0.1-1, ...).

    Lago (PR #5269) auto-detects this "touching boundaries" model so decimal
    tiers work; otherwise the classic inclusive-integer model (0-10, 11-20)
    applies, where a tier starting at ``from`` holds ``to - from + 1`` units.
    A single tier is never adjacent (lago: ``return false if ranges.size < 2``).
    """
    if len(tiers) < 2:
        return False
    return all(
        current.from_value == (previous.to_value if previous.to_value is not None else Decimal(0))
        for previous, current in zip(tiers, tiers[1:])
    )


def units_in_tier(tier: Tier, total_units: Decimal, adjacent: bool) -> Decimal:
    if tier.to_value is not None and total_units >= tier.to_value:
        effective_total = tier.to_value
    else:
        effective_total = total_units
    if tier.from_value.is_zero():
        return effective_total
    difference = effective_total - tier.from_value
    return difference if adjacent else difference + 1


def walk_tiers(tiers: Sequence[Tier], total_units: Decimal) -> list[TierUsage]:
    """Tiers billed for ``total_units``, in the given order.

    The walk always bills the first tier, even at zero units, so its flat fee
    is charged on an empty period (lago PR #5760, getlago/lago#648), and it
    stops at the first tier whose ``to_value`` reaches the total: higher tiers
    and their flat fees are never billed.
    """
    adjacent = uses_adjacent_bounds(tiers)
    billed: list[TierUsage] = []
    for tier in tiers:
        billed.append(TierUsage(tier=tier, units=units_in_tier(tier, total_units, adjacent)))
        if tier.to_value is None or tier.to_value >= total_units:
            break
    return billed
