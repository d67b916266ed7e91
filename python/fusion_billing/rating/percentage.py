"""The ``percentage`` charge model (lago-api ``ChargeModels::PercentageService``).

``rate`` is in percent ("1.2" means 1.2 %). ``fixed_amount`` is charged per
event. Free units come from a *running total* over the period's event values
(timestamp order), built the way ``BillableMetrics::Aggregations::SumService
#running_total`` builds it:

* ``free_units_per_events = N``: cumulative totals of the first N events only;
* otherwise ``free_units_per_total_aggregation = X``: cumulative totals while
  the total before adding the next event is still <= X.

The free amount is then min(last running total, X) and the number of events
spared the fixed fee is min(N, count of running totals < X), ignoring a zero
on either side. With ``per_transaction_min_amount`` / ``_max_amount`` the
amount is computed event by event instead and each event is clamped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

from .money import decimal_str, to_decimal, to_int

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PercentageTerms:
    rate: Decimal
    fixed_amount: Decimal
    free_events: int
    free_total: Decimal
    min_amount: Decimal | None
    max_amount: Decimal | None

    @property
    def has_min_max(self) -> bool:
        return self.min_amount is not None or self.max_amount is not None

    @property
    def has_free_units(self) -> bool:
        return self.free_events > 0 or self.free_total > 0


def _optional_amount(properties: Mapping[str, Any], key: str) -> Decimal | None:
    value = properties.get(key)
    # Lago tests ``.present?``: nil and "" both mean "not set".
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_decimal(value, f"properties.{key}")


def parse_terms(properties: Mapping[str, Any]) -> PercentageTerms:
    if properties.get("rate") is None:
        raise ValueError("properties.rate is required")
    free_events = properties.get("free_units_per_events")
    return PercentageTerms(
        rate=to_decimal(properties["rate"], "properties.rate"),
        fixed_amount=_optional_amount(properties, "fixed_amount") or ZERO,
        free_events=0 if free_events is None else to_int(free_events, "properties.free_units_per_events"),
        free_total=_optional_amount(properties, "free_units_per_total_aggregation") or ZERO,
        min_amount=_optional_amount(properties, "per_transaction_min_amount"),
        max_amount=_optional_amount(properties, "per_transaction_max_amount"),
    )


def running_total(values: Sequence[Decimal], terms: PercentageTerms) -> list[Decimal]:
    if not terms.has_free_units:
        return []
    totals: list[Decimal] = []
    total = ZERO
    if terms.free_events > 0:
        for value in values[: terms.free_events]:
            total += value
            totals.append(total)
        return totals
    for value in values:
        if terms.free_total < total:
            break
        total += value
        totals.append(total)
    return totals


def free_units_value(totals: Sequence[Decimal], terms: PercentageTerms) -> Decimal:
    # Lago also has a ``running_total[N - 1]`` branch for totals longer than N;
    # a sum metric's running total never is (it stops at N), so it is omitted.
    last = totals[-1] if totals else ZERO
    if last.is_zero():
        return ZERO
    if terms.free_total.is_zero() or last <= terms.free_total:
        return last
    return terms.free_total


def free_events_count(totals: Sequence[Decimal], terms: PercentageTerms) -> int:
    spared_by_amount = sum(1 for total in totals if total < terms.free_total)
    candidates = [count for count in (terms.free_events, spared_by_amount) if count != 0]
    return min(candidates) if candidates else 0


def _clamp(amount: Decimal, terms: PercentageTerms) -> Decimal:
    if terms.min_amount is not None and amount < terms.min_amount:
        return terms.min_amount
    if terms.max_amount is not None and amount > terms.max_amount:
        return terms.max_amount
    return amount


def per_transaction_amount(values: Sequence[Decimal], terms: PercentageTerms) -> Decimal:
    """Event-by-event amount with min/max clamping (``compute_amount_with_transaction_min_max``).

    Mirrors Lago exactly, including one quirk: once the free-event count is
    used up, a remaining free amount keeps being consumed (lago's spec
    "when both free units per events and per total aggregation are applied"
    expects 3 free events + 10000 free on [10, 80, 10000] to bill 90 units).
    """
    remaining_free_events = terms.free_events
    remaining_free_amount = terms.free_total
    total = ZERO
    for value in values:
        if remaining_free_events > 0 or remaining_free_amount > 0:
            remaining_free_events -= 1
            if not remaining_free_amount > 0:
                continue
            if remaining_free_amount > value:
                remaining_free_amount -= value
                continue
            value -= remaining_free_amount
            remaining_free_amount = ZERO
            remaining_free_events = 0
        total += _clamp(value * terms.rate / HUNDRED + terms.fixed_amount, terms)
    return total


def compute_percentage(
    properties: Mapping[str, Any],
    units: Decimal,
    events_count: int,
    event_values: Sequence[Decimal] | None,
) -> tuple[Decimal, dict[str, Any]]:
    """Return (precise amount, amount_details); arithmetic must run in an exact context."""
    terms = parse_terms(properties)
    needs_values = terms.has_free_units or terms.has_min_max
    if event_values is None:
        if needs_values and events_count > 0:
            raise ValueError(
                "percentage: event_values (per-event values in timestamp order) are required "
                "when free units or per-transaction min/max are set"
            )
        event_values = ()

    totals = running_total(event_values, terms)
    free_units = free_units_value(totals, terms)
    free_count = free_events_count(totals, terms)

    percentage_amount = ZERO if free_units > units else (units - free_units) * terms.rate / HUNDRED
    if units.is_zero() or free_count >= events_count:
        fixed_total = ZERO
    else:
        fixed_total = (events_count - free_count) * terms.fixed_amount

    if terms.has_min_max:
        amount = per_transaction_amount(event_values, terms)
        min_max_adjustment = amount - percentage_amount - fixed_total
    else:
        amount = percentage_amount + fixed_total
        min_max_adjustment = ZERO

    free_events = min(events_count, free_count)
    paid_events = events_count - free_events
    details = {
        "units": decimal_str(units),
        "free_units": decimal_str(free_units),
        "free_events": free_events,
        "paid_units": decimal_str(max(units - free_units, ZERO)),
        "rate": decimal_str(terms.rate),
        "per_unit_total_amount": decimal_str(percentage_amount),
        "paid_events": paid_events,
        "fixed_fee_unit_amount": decimal_str(terms.fixed_amount if paid_events > 0 else ZERO),
        "fixed_fee_total_amount": decimal_str(fixed_total),
        "min_max_adjustment_total_amount": decimal_str(min_max_adjustment),
    }
    return amount, details
