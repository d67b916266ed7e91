"""Lago's charge models as pure functions over aggregated units.

Each model mirrors the lago-api service named in its docstring
(``app/services/charge_models/*``). ``compute_charge`` is the single entry
point; it returns the unrounded amount and the amount rounded to the
currency exponent with ROUND_HALF_UP, as ``Fees::ChargeService`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any, Callable, Mapping, Sequence

from .money import (
    decimal_str,
    divide,
    exact,
    money_str,
    round_amount,
    to_decimal,
    to_int,
    to_subunits,
    validate_currency_exponent,
)
from .percentage import compute_percentage
from .tiers import Tier, parse_tiers, walk_tiers

ZERO = Decimal(0)
HUNDRED = Decimal(100)

CHARGE_MODELS = ("standard", "graduated", "volume", "package", "percentage", "graduated_percentage")

__all__ = ["CHARGE_MODELS", "ChargeResult", "compute_charge"]


@dataclass(frozen=True)
class ChargeResult:
    charge_model: str
    units: Decimal
    events_count: int
    precise_amount: Decimal
    amount: Decimal
    unit_amount: Decimal
    currency_exponent: int
    amount_details: dict[str, Any] = field(default_factory=dict)

    @property
    def amount_cents(self) -> int:
        return to_subunits(self.amount, self.currency_exponent)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view: money as decimal strings, cents as int."""
        return {
            "charge_model": self.charge_model,
            "units": decimal_str(self.units),
            "events_count": self.events_count,
            "amount": money_str(self.amount, self.currency_exponent),
            "precise_amount": decimal_str(self.precise_amount),
            "amount_cents": self.amount_cents,
            "unit_amount": decimal_str(self.unit_amount),
            "amount_details": self.amount_details,
        }


@dataclass(frozen=True)
class _ModelOutput:
    amount: Decimal
    unit_amount: Decimal
    details: dict[str, Any]


def _required_amount(properties: Mapping[str, Any], key: str, path: str = "properties") -> Decimal:
    value = properties.get(key)
    if value is None:
        raise ValueError(f"{path}.{key} is required")
    return to_decimal(value, f"{path}.{key}")


def _bound_str(value: Decimal | None) -> str | None:
    return None if value is None else decimal_str(value)


def _standard(properties: Mapping[str, Any], units: Decimal) -> _ModelOutput:
    """StandardService: units x amount. Lago's amount_details is empty."""
    amount = units * _required_amount(properties, "amount")
    return _ModelOutput(amount, divide(amount, units), {})


def _graduated_tier_amount(tier: Tier, units: Decimal) -> tuple[dict[str, Any], Decimal]:
    path = f"properties.graduated_ranges[{tier.index}]"
    flat = _required_amount(tier.raw, "flat_amount", path)
    per_unit = _required_amount(tier.raw, "per_unit_amount", path)
    # RangeGraduatedService reports a zero unit price for an unused tier.
    per_unit = ZERO if units.is_zero() else per_unit
    per_unit_total = units * per_unit
    row = {
        "from_value": _bound_str(tier.from_value),
        "to_value": _bound_str(tier.to_value),
        "flat_unit_amount": decimal_str(flat),
        "per_unit_amount": decimal_str(per_unit),
        "units": decimal_str(units),
        "per_unit_total_amount": decimal_str(per_unit_total),
        "total_with_flat_amount": decimal_str(per_unit_total + flat),
    }
    return row, per_unit_total + flat


def _graduated(properties: Mapping[str, Any], units: Decimal) -> _ModelOutput:
    """GraduatedService: each tier bills its own units plus its flat fee."""
    tiers = parse_tiers(properties.get("graduated_ranges"), "graduated_ranges")
    priced = [_graduated_tier_amount(usage.tier, usage.units) for usage in walk_tiers(tiers, units)]
    amount = sum((total for _, total in priced), ZERO)
    return _ModelOutput(amount, divide(amount, units), {"graduated_ranges": [row for row, _ in priced]})


def _graduated_percentage_tier_amount(tier: Tier, units: Decimal) -> tuple[dict[str, Any], Decimal]:
    path = f"properties.graduated_percentage_ranges[{tier.index}]"
    flat = _required_amount(tier.raw, "flat_amount", path)
    rate = _required_amount(tier.raw, "rate", path)
    per_unit_total = units * rate / HUNDRED
    row = {
        "from_value": _bound_str(tier.from_value),
        "to_value": _bound_str(tier.to_value),
        "flat_unit_amount": decimal_str(flat),
        "rate": decimal_str(rate),
        "units": decimal_str(units),
        "per_unit_total_amount": decimal_str(per_unit_total),
        "total_with_flat_amount": decimal_str(per_unit_total + flat),
    }
    return row, per_unit_total + flat


def _graduated_percentage(properties: Mapping[str, Any], units: Decimal) -> _ModelOutput:
    """GraduatedPercentageService: tier units x rate% plus the tier's flat fee.

    Lago's RangeGraduatedPercentageService only knows the classic ``+1`` tier
    rule; here tiers go through the same adjacent-bounds detection as
    ``graduated`` so touching bounds (0-1000, 1000-10000) do not bill one
    extra unit. Classic bounds give exactly Lago's numbers.
    """
    tiers = parse_tiers(properties.get("graduated_percentage_ranges"), "graduated_percentage_ranges")
    priced = [_graduated_percentage_tier_amount(usage.tier, usage.units) for usage in walk_tiers(tiers, units)]
    amount = sum((total for _, total in priced), ZERO)
    return _ModelOutput(amount, divide(amount, units), {"graduated_percentage_ranges": [row for row, _ in priced]})


def _matching_volume_tier(tiers: Sequence[Tier], units: Decimal) -> Tier:
    ceiled = units.to_integral_value(rounding=ROUND_CEILING)
    for tier in tiers:
        if tier.from_value <= ceiled and (tier.to_value is None or units <= tier.to_value):
            return tier
    # Lago raises here (nil range); units below the first bound (0 units with
    # a first tier starting at 1) belong to the first tier, like graduated.
    if units <= tiers[0].from_value:
        return tiers[0]
    raise ValueError(f"properties.volume_ranges: no range contains {decimal_str(units)} units")


def _volume(properties: Mapping[str, Any], units: Decimal) -> _ModelOutput:
    """VolumeService: every unit at the single tier reached, plus that tier's flat fee.

    The tier is the one with ``from <= ceil(units)`` and ``units <= to``, so
    100.5 units with tiers 0-100 / 101-200 fall in the second tier. At zero
    units the first tier's flat fee is still charged (lago PR #5760).
    """
    tiers = sorted(parse_tiers(properties.get("volume_ranges"), "volume_ranges"), key=lambda tier: tier.from_value)
    tier = _matching_volume_tier(tiers, units)
    path = f"properties.volume_ranges[{tier.index}]"
    flat = _required_amount(tier.raw, "flat_amount", path)
    per_unit = _required_amount(tier.raw, "per_unit_amount", path)
    per_unit_total = units * per_unit
    amount = per_unit_total + flat
    details = {
        "from_value": _bound_str(tier.from_value),
        "to_value": _bound_str(tier.to_value),
        "flat_unit_amount": decimal_str(flat),
        "per_unit_amount": decimal_str(ZERO if units.is_zero() else per_unit),
        "per_unit_total_amount": decimal_str(per_unit_total),
    }
    return _ModelOutput(amount, divide(amount, units), details)


def _package(properties: Mapping[str, Any], units: Decimal) -> _ModelOutput:
    """PackageService: ceil((units - free_units) / package_size) x amount.

    A package counts from its first unit, hence the ceiling. Lago computes the
    quotient with Float#fdiv; here it is exact (identical for sane sizes).
    """
    price = _required_amount(properties, "amount")
    if properties.get("package_size") is None:
        raise ValueError("properties.package_size is required")
    size = to_int(properties["package_size"], "properties.package_size")
    if size <= 0:
        raise ValueError(f"properties.package_size: must be a positive integer, got {size}")
    free_value = properties.get("free_units")
    free_units = Decimal(0 if free_value is None else to_int(free_value, "properties.free_units"))
    paid_units = units - free_units
    if paid_units < 0:
        packages = 0
    else:
        whole, remainder = divmod(paid_units, Decimal(size))
        packages = int(whole) + (1 if remainder > 0 else 0)
    amount = packages * price
    details = {
        "free_units": decimal_str(free_units),
        "paid_units": decimal_str(max(paid_units, ZERO)),
        "per_package_size": size,
        "per_package_unit_amount": decimal_str(price),
        "packages_count": packages,
    }
    unit_amount = divide(amount, paid_units) if paid_units > 0 else ZERO
    return _ModelOutput(amount, unit_amount, details)


_SIMPLE_MODELS: dict[str, Callable[[Mapping[str, Any], Decimal], _ModelOutput]] = {
    "standard": _standard,
    "graduated": _graduated,
    "volume": _volume,
    "package": _package,
    "graduated_percentage": _graduated_percentage,
}


def _event_values(event_values: Sequence[Any] | None) -> tuple[Decimal, ...] | None:
    if event_values is None:
        return None
    if isinstance(event_values, (str, bytes)) or not isinstance(event_values, Sequence):
        raise TypeError("event_values: expected a sequence of decimals in timestamp order")
    return tuple(to_decimal(value, f"event_values[{index}]") for index, value in enumerate(event_values))


def _events_count(events_count: Any, values: tuple[Decimal, ...] | None) -> int:
    if events_count is None:
        return len(values) if values is not None else 0
    if isinstance(events_count, bool) or not isinstance(events_count, int):
        raise TypeError(f"events_count: expected an int, got {events_count!r}")
    if events_count < 0:
        raise ValueError(f"events_count: must be >= 0, got {events_count}")
    return events_count


def compute_charge(
    charge_model: str,
    properties: Mapping[str, Any] | None,
    units: Any,
    *,
    events_count: int | None = None,
    event_values: Sequence[Any] | None = None,
    currency_exponent: int = 2,
) -> ChargeResult:
    """Price ``units`` with a Lago charge model.

    ``events_count`` (defaults to ``len(event_values)``, else 0) and
    ``event_values`` (per-event aggregation values in timestamp order) only
    matter for ``percentage``: the fixed fee is per event and free units are
    consumed by a running total over the event values.

    Raises TypeError for floats or wrong types, ValueError for unusable
    properties. Properties are parsed leniently (ints and Decimals accepted);
    use ``validate_properties`` for Lago's strict input rules.
    """
    exponent = validate_currency_exponent(currency_exponent)
    if charge_model not in CHARGE_MODELS:
        raise ValueError(f"charge_model: unknown charge model {charge_model!r} (expected one of: {', '.join(CHARGE_MODELS)})")
    if properties is None:
        properties = {}
    if not isinstance(properties, Mapping):
        raise TypeError(f"properties: expected a mapping, got {type(properties).__name__}")
    total_units = to_decimal(units, "units")
    values = _event_values(event_values)
    count = _events_count(events_count, values)

    with exact():
        if charge_model == "percentage":
            amount, details = compute_percentage(properties, total_units, count, values)
            output = _ModelOutput(amount, divide(amount, total_units), details)
        else:
            output = _SIMPLE_MODELS[charge_model](properties, total_units)
        precise = output.amount
        if precise.is_zero():
            precise = precise.copy_abs()  # 0 x a negative price gives Decimal('-0')

    return ChargeResult(
        charge_model=charge_model,
        units=total_units,
        events_count=count,
        precise_amount=precise,
        amount=round_amount(precise, exponent),
        unit_amount=output.unit_amount,
        currency_exponent=exponent,
        amount_details=output.details,
    )
