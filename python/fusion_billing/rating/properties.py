"""Lago's input rules for charge properties, as readable messages.

Mirrors ``app/services/charges/validators/*`` and
``Validators::RangeBoundsValidator`` / ``Validators::DecimalAmountService``:
money values must be JSON *strings* ("0.5"), counts must be integers, tier
bounds numbers. Every message starts with the offending path, e.g.
``graduated_ranges[1].from_value: expected 11 or 10 (previous to_value 10), got 12``.

Deliberate differences from Lago (stricter, never looser):

* unknown property keys are reported (Lago silently drops them, so a typo
  such as ``package_sise`` would otherwise price with defaults);
* volume bounds must be whole numbers and start at exactly ``prev.to + 1``
  (Lago also accepts ``prev.to + 2``, which leaves a hole no unit can fall in);
* graduated tiers mixing adjacent (``from == prev.to``) and classic
  (``from == prev.to + 1``) pairs are reported: Lago then prices every tier
  with the classic ``+1`` rule and bills one unit twice at the adjacent seam;
* ``dynamic`` and ``custom`` are Lago models this rating core does not price.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from .charges import CHARGE_MODELS
from .money import decimal_str

__all__ = ["validate_properties"]

GROUPING_KEYS = frozenset({"pricing_group_keys", "grouped_by", "presentation_group_keys"})

MODEL_KEYS: dict[str, frozenset[str]] = {
    "standard": frozenset({"amount"}),
    "graduated": frozenset({"graduated_ranges"}),
    "volume": frozenset({"volume_ranges"}),
    "package": frozenset({"amount", "package_size", "free_units"}),
    "percentage": frozenset(
        {
            "rate",
            "fixed_amount",
            "free_units_per_events",
            "free_units_per_total_aggregation",
            "per_transaction_min_amount",
            "per_transaction_max_amount",
        }
    ),
    "graduated_percentage": frozenset({"graduated_percentage_ranges"}),
}

RANGE_KEYS = {
    "graduated_ranges": ("per_unit_amount", "flat_amount"),
    "volume_ranges": ("per_unit_amount", "flat_amount"),
    # Lago's default properties also carry an unused fixed_amount per range.
    "graduated_percentage_ranges": ("rate", "flat_amount"),
}
OPTIONAL_RANGE_KEYS = {"graduated_percentage_ranges": ("fixed_amount",)}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float, Decimal)):
        return f"number {value}"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"string {value!r}"
    return type(value).__name__


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def amount(self, path: str, value: Any, *, required: bool = True) -> Decimal | None:
        """A decimal string >= 0, as DecimalAmountService#valid_amount? demands."""
        if value is None:
            if required:
                self.add(path, 'required (a decimal string such as "0")')
            return None
        if not isinstance(value, str):
            hint = " (binary floats are inexact)" if isinstance(value, float) else ""
            self.add(path, f'expected a decimal string such as "0.5" (Lago rejects numeric amounts), got {_describe(value)}{hint}')
            return None
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            parsed = None
        if parsed is None or not parsed.is_finite():
            self.add(path, f"not a decimal number: {value!r}")
            return None
        if parsed < 0:
            self.add(path, f"must be >= 0, got {value!r}")
            return None
        return parsed

    def integer(self, path: str, value: Any, *, minimum: int, required: bool) -> int | None:
        if value is None:
            if required:
                self.add(path, f"required (an integer >= {minimum})")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"expected an integer >= {minimum}, got {_describe(value)}")
            return None
        if value < minimum:
            self.add(path, f"must be an integer >= {minimum}, got {value}")
            return None
        return value

    def bound(self, path: str, value: Any) -> Decimal | None:
        if isinstance(value, (bool, str)) or value is None:
            self.add(path, f"expected a number, got {_describe(value)}")
            return None
        if isinstance(value, float):
            self.add(path, f"binary float {value!r} is inexact; parse JSON with parse_float=decimal.Decimal")
            return None
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, Decimal) and value.is_finite():
            return value
        self.add(path, f"expected a number, got {_describe(value)}")
        return None

    def unknown_keys(self, path: str, mapping: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for key in mapping:
            if key not in allowed:
                prefix = f"{path}." if path else ""
                self.add(f"{prefix}{key}", f"unknown property (allowed: {', '.join(sorted(allowed))})")


def _check_ranges(checker: _Checker, key: str, ranges: Any) -> None:
    if not isinstance(ranges, list) or not ranges:
        checker.add(key, "at least one range is required (a non-empty list)")
        return
    money_keys = RANGE_KEYS[key]
    allowed = frozenset({"from_value", "to_value", *money_keys, *OPTIONAL_RANGE_KEYS.get(key, ())})
    is_volume = key == "volume_ranges"
    last_index = len(ranges) - 1
    previous_to: Decimal | None = None
    seam_kinds: dict[str, int] = {}

    for index, item in enumerate(ranges):
        path = f"{key}[{index}]"
        if not isinstance(item, Mapping):
            checker.add(path, f"expected an object, got {_describe(item)}")
            previous_to = None
            continue
        checker.unknown_keys(path, item, allowed)
        for money_key in money_keys:
            checker.amount(f"{path}.{money_key}", item.get(money_key))
        for money_key in OPTIONAL_RANGE_KEYS.get(key, ()):
            checker.amount(f"{path}.{money_key}", item.get(money_key), required=False)

        from_value = checker.bound(f"{path}.from_value", item.get("from_value"))
        raw_to = item.get("to_value")
        to_value = None if raw_to is None else checker.bound(f"{path}.to_value", raw_to)

        if raw_to is None and index != last_index:
            checker.add(f"{path}.to_value", "only the last range may be open-ended (null)")
        if raw_to is not None and index == last_index:
            checker.add(f"{path}.to_value", f"the last range must be open-ended (null), got {_describe(raw_to)}")
        if from_value is not None and to_value is not None and to_value <= from_value:
            checker.add(f"{path}.to_value", f"must be greater than from_value {decimal_str(from_value)}, got {decimal_str(to_value)}")
        if is_volume:
            for name, bound in (("from_value", from_value), ("to_value", to_value)):
                if bound is not None and bound != bound.to_integral_value():
                    checker.add(f"{path}.{name}", f"volume bounds must be whole numbers, got {decimal_str(bound)}")

        if from_value is not None:
            if index == 0:
                if from_value not in (0, 1):
                    checker.add(f"{path}.from_value", f"expected 0 or 1, got {decimal_str(from_value)}")
            elif previous_to is not None:
                following = previous_to + 1
                if is_volume:
                    if from_value != following:
                        checker.add(
                            f"{path}.from_value",
                            f"expected {decimal_str(following)} (previous to_value {decimal_str(previous_to)} + 1), "
                            f"got {decimal_str(from_value)}",
                        )
                elif from_value == previous_to:
                    seam_kinds.setdefault("adjacent", index)
                elif from_value == following:
                    seam_kinds.setdefault("classic", index)
                else:
                    checker.add(
                        f"{path}.from_value",
                        f"expected {decimal_str(following)} or {decimal_str(previous_to)} "
                        f"(previous to_value {decimal_str(previous_to)}), got {decimal_str(from_value)}",
                    )
        previous_to = to_value

    if len(seam_kinds) == 2:
        checker.add(
            key,
            f"mixes adjacent bounds (from_value == previous to_value, first at [{seam_kinds['adjacent']}]) "
            f"and classic bounds (from_value == previous to_value + 1, first at [{seam_kinds['classic']}]); "
            "Lago then prices every tier with the classic +1 rule, counting one unit twice at each adjacent seam",
        )


def _check_percentage(checker: _Checker, properties: Mapping[str, Any]) -> None:
    checker.amount("rate", properties.get("rate"))
    checker.amount("fixed_amount", properties.get("fixed_amount"), required=False)
    # Lago: nil or a positive Integer (0 is rejected).
    checker.integer("free_units_per_events", properties.get("free_units_per_events"), minimum=1, required=False)
    checker.amount("free_units_per_total_aggregation", properties.get("free_units_per_total_aggregation"), required=False)

    bounds = {}
    for key in ("per_transaction_min_amount", "per_transaction_max_amount"):
        value = properties.get(key)
        if isinstance(value, str) and not value.strip():
            continue  # Lago tests .present?: "" means not set
        bounds[key] = checker.amount(key, value, required=False)
    low, high = bounds.get("per_transaction_min_amount"), bounds.get("per_transaction_max_amount")
    if low is not None and high is not None and high < low:
        checker.add(
            "per_transaction_max_amount",
            f"must be >= per_transaction_min_amount {decimal_str(low)}, got {decimal_str(high)}",
        )


def _check_grouping(checker: _Checker, properties: Mapping[str, Any]) -> None:
    for key in ("pricing_group_keys", "grouped_by"):
        value = properties.get(key)
        if value is None or value == []:
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            checker.add(key, f"expected a list of non-empty strings, got {_describe(value)}")


def validate_properties(charge_model: Any, properties: Any) -> list[str]:
    """Return human-readable problems; an empty list means Lago would accept them."""
    checker = _Checker()
    if charge_model not in CHARGE_MODELS:
        note = " (a Lago model fusion_billing does not price)" if charge_model in ("dynamic", "custom") else ""
        checker.add("charge_model", f"unknown charge model {charge_model!r}{note}; expected one of: {', '.join(CHARGE_MODELS)}")
        return checker.problems
    if not isinstance(properties, Mapping):
        checker.add("properties", f"expected an object, got {_describe(properties)}")
        return checker.problems

    checker.unknown_keys("", properties, MODEL_KEYS[charge_model] | GROUPING_KEYS)
    _check_grouping(checker, properties)

    if charge_model == "standard":
        checker.amount("amount", properties.get("amount"))
    elif charge_model == "package":
        checker.amount("amount", properties.get("amount"))
        checker.integer("package_size", properties.get("package_size"), minimum=1, required=True)
        checker.integer("free_units", properties.get("free_units"), minimum=0, required=True)
    elif charge_model == "percentage":
        _check_percentage(checker, properties)
    else:
        range_key = next(iter(MODEL_KEYS[charge_model]))
        _check_ranges(checker, range_key, properties.get(range_key))
    return checker.problems
