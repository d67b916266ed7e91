"""Offline pricing: a plan's charges applied to a usage summary, and example checks.

Used by ``python3 -m fusion_billing.rating price``. Input is JSON parsed with
``parse_float=Decimal`` so no number ever passes through a binary float.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from .charges import ChargeResult, compute_charge
from .money import decimal_str, money_str, to_decimal, validate_currency_exponent
from .properties import validate_properties

__all__ = [
    "ExampleOutcome",
    "PricingInputError",
    "check_example",
    "check_examples",
    "currency_exponent_for",
    "fee_for_charge",
    "loads_decimal_json",
    "price_plan",
]

# ISO 4217 currencies whose minor unit is not 2 digits; everything else uses 2.
_CURRENCY_EXPONENTS = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


class PricingInputError(ValueError):
    """The request cannot be priced; the message names the offending field."""


def _reject_constant(name: str) -> Any:
    raise PricingInputError(f"invalid JSON number {name}")


def loads_decimal_json(text: str) -> Any:
    """json.loads where every non-integer number becomes a Decimal (never a float)."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise PricingInputError(f"invalid JSON: {error}") from None


def currency_exponent_for(currency: str) -> int:
    return _CURRENCY_EXPONENTS.get(currency.upper(), 2)


def _require_mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PricingInputError(f"{path}: expected an object")
    return value


def _require_text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise PricingInputError(f"{path}: expected a non-empty string")
    return value


def _check_properties(charge_model: str, properties: Any, path: str) -> None:
    problems = validate_properties(charge_model, properties)
    if problems:
        joined = "; ".join(
            f"{path}.{problem}" if problem.startswith(("charge_model:", "properties:")) else f"{path}.properties.{problem}"
            for problem in problems
        )
        raise PricingInputError(joined)


def fee_for_charge(
    charge_model: str,
    properties: Mapping[str, Any],
    units: Any,
    *,
    events_count: int | None = None,
    event_values: Any = None,
    currency_exponent: int = 2,
) -> ChargeResult:
    """compute_charge plus Lago's fee-level guard (Fees::ChargeService):
    negative units or a negative amount give a zero fee with zero units."""
    result = compute_charge(
        charge_model,
        properties,
        units,
        events_count=events_count,
        event_values=event_values,
        currency_exponent=currency_exponent,
    )
    if result.units < 0 or result.precise_amount < 0:
        zero = Decimal(0)
        return ChargeResult(
            charge_model=result.charge_model,
            units=zero,
            events_count=result.events_count,
            precise_amount=zero,
            amount=zero,
            unit_amount=zero,
            currency_exponent=result.currency_exponent,
            amount_details=result.amount_details,
        )
    return result


def _usage_for(usage: Mapping[str, Any], metric_code: str) -> tuple[Any, int | None, Any]:
    entry = usage.get(metric_code)
    if entry is None:
        return "0", 0, []  # a metric without usage bills zero units
    path = f"usage.{metric_code}"
    entry = _require_mapping(entry, path)
    units = entry.get("units", "0")
    events_count = entry.get("events_count")
    if events_count is not None and (isinstance(events_count, bool) or not isinstance(events_count, int) or events_count < 0):
        raise PricingInputError(f"{path}.events_count: expected an integer >= 0")
    event_values = entry.get("event_values")
    if event_values is not None and not isinstance(event_values, list):
        raise PricingInputError(f"{path}.event_values: expected a list")
    return units, events_count, event_values


def price_plan(request: Any) -> dict[str, Any]:
    """Price every charge of ``request["plan"]`` against ``request["usage"]``."""
    request = _require_mapping(request, "request")
    currency = _require_text(request.get("currency"), "currency")
    raw_exponent = request.get("currency_exponent")
    try:
        exponent = currency_exponent_for(currency) if raw_exponent is None else validate_currency_exponent(raw_exponent)
    except (TypeError, ValueError) as error:
        raise PricingInputError(str(error)) from None
    plan = _require_mapping(request.get("plan"), "plan")
    plan_code = _require_text(plan.get("code"), "plan.code")
    charges = plan.get("charges")
    if not isinstance(charges, list):
        raise PricingInputError("plan.charges: expected a list")
    usage = _require_mapping(request.get("usage", {}), "usage")

    fees = []
    total_cents = 0
    for index, charge in enumerate(charges):
        path = f"plan.charges[{index}]"
        charge = _require_mapping(charge, path)
        metric_code = _require_text(charge.get("metric_code"), f"{path}.metric_code")
        charge_code = charge.get("code") if charge.get("code") is not None else metric_code
        charge_model = _require_text(charge.get("charge_model"), f"{path}.charge_model")
        properties = charge.get("properties", {})
        _check_properties(charge_model, properties, path)
        units, events_count, event_values = _usage_for(usage, metric_code)
        try:
            result = fee_for_charge(
                charge_model,
                properties,
                units,
                events_count=events_count,
                event_values=event_values,
                currency_exponent=exponent,
            )
        except (TypeError, ValueError) as error:
            raise PricingInputError(f"{path} ({metric_code}): {error}") from None
        total_cents += result.amount_cents
        fees.append(
            {
                "charge_code": charge_code,
                "metric_code": metric_code,
                "units": decimal_str(result.units),
                "events_count": result.events_count,
                "amount": money_str(result.amount, exponent),
                "precise_amount": decimal_str(result.precise_amount),
                "amount_cents": result.amount_cents,
                "amount_details": result.amount_details,
            }
        )

    total = Decimal(total_cents).scaleb(-exponent)
    return {
        "plan": plan_code,
        "currency": currency,
        "fees": fees,
        "total_amount": money_str(total, exponent),
        "total_amount_cents": total_cents,
    }


@dataclass(frozen=True)
class ExampleOutcome:
    where: str
    passed: bool
    message: str


def check_example(example: Any, index: int) -> ExampleOutcome:
    """One spec-written pricing example: does the charge give expected_amount?

    An example passes when expected_amount equals the amount rounded to the
    example's currency exponent (default 2) or the precise amount, so specs
    may quote either "0.12" or "0.116".
    """
    where = f"examples[{index}]"
    try:
        example = _require_mapping(example, where)
        if isinstance(example.get("where"), str) and example["where"]:
            where = example["where"]
        charge_model = _require_text(example.get("charge_model"), "charge_model")
        properties = example.get("properties", {})
        problems = validate_properties(charge_model, properties)
        if problems:
            return ExampleOutcome(where, False, f"invalid properties: {'; '.join(problems)}")
        if "expected_amount" not in example:
            raise PricingInputError("expected_amount is required")
        expected = to_decimal(example["expected_amount"], "expected_amount")
        exponent = example.get("currency_exponent", 2)
        result = fee_for_charge(
            charge_model,
            properties,
            example.get("units", "0"),
            events_count=example.get("events_count"),
            event_values=example.get("event_values"),
            currency_exponent=exponent,
        )
    except (TypeError, ValueError) as error:
        return ExampleOutcome(where, False, f"error: {error}")
    label = f"{charge_model} {decimal_str(result.units)} units"
    got = money_str(result.amount, result.currency_exponent)
    if expected in (result.amount, result.precise_amount):
        return ExampleOutcome(where, True, f"{label} -> {got}")
    return ExampleOutcome(
        where,
        False,
        f"{label}: expected {decimal_str(expected)}, got {got} (precise {decimal_str(result.precise_amount)})",
    )


def check_examples(request: Any) -> list[ExampleOutcome]:
    request = _require_mapping(request, "request")
    examples = request.get("examples")
    if not isinstance(examples, list):
        raise PricingInputError("examples: expected a list")
    return [check_example(example, index) for index, example in enumerate(examples)]
