"""Reference implementations of Lago's billable-metric aggregations.

Pure functions over an in-memory list of events, mirroring lago-api
``BillableMetrics::Aggregations::*Service`` on the Postgres event store
(``Events::Stores::PostgresStore``). An event is a mapping
``{"timestamp": <unix seconds as Decimal/int/str, or datetime>, "properties": {...}}``;
events with equal timestamps keep their list order (Lago breaks ties by
``created_at``).

Period bounds are both inclusive (``timestamp >= from AND timestamp <= to``).
The result carries the units to price, the events count Lago reports, and
the per-event values the ``percentage`` charge model needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping, Sequence

from .money import exact, to_decimal
from .pg_numeric import pg_divide

__all__ = ["AGGREGATION_TYPES", "AggregationResult", "aggregate", "to_timestamp"]

AGGREGATION_TYPES = ("count", "sum", "max", "unique_count", "latest", "weighted_sum")
# billable_metric.rb#validate_recurring: only these may be recurring.
RECURRING_TYPES = frozenset({"sum", "unique_count", "weighted_sum"})
SECONDS_PER_DAY = 86_400
MICROSECOND = Decimal("0.000001")
WEIGHTED_SUM_DECIMALS = Decimal("1e-20")

ZERO = Decimal(0)
ONE = Decimal(1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# PostgresStore#numeric_condition: only plain decimal text counts as a number.
_NUMERIC_TEXT = re.compile(r"^-?\d+(\.\d+)?$")

Filters = Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class AggregationResult:
    units: Decimal
    events_count: int
    # Per-event values in timestamp order, for the percentage charge model
    # (Lago's ``per_event_aggregation``); None where Lago has none.
    event_values: tuple[Decimal, ...] | None = None
    # weighted_sum only: the value held at the end of the period.
    total_aggregated_units: Decimal | None = None


@dataclass(frozen=True)
class _Event:
    timestamp: Decimal
    properties: Mapping[str, Any]


def to_timestamp(value: Any, what: str = "timestamp") -> Decimal:
    """Unix seconds as Decimal; a naive datetime is taken as UTC."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        delta = moment - _EPOCH
        return Decimal(delta.days * SECONDS_PER_DAY + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)
    return to_decimal(value, what)


def _normalise_events(events: Iterable[Mapping[str, Any]]) -> list[_Event]:
    normalised = []
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise TypeError(f"events[{index}]: expected a mapping")
        if event.get("timestamp") is None:
            raise ValueError(f"events[{index}].timestamp is required")
        properties = event.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise TypeError(f"events[{index}].properties: expected a mapping")
        normalised.append(_Event(to_timestamp(event["timestamp"], f"events[{index}].timestamp"), properties))
    # sorted() is stable: equal timestamps keep arrival order.
    return sorted(normalised, key=lambda event: event.timestamp)


def _as_text(value: Any) -> str | None:
    """The text ``properties ->> key`` would give in Postgres."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        raise TypeError(f"event property value {value!r} is a float; use str, int or Decimal")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _numeric_value(value: Any) -> Decimal | None:
    """Decimal for values Lago treats as numeric; None for missing or non-numeric."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        raise TypeError(f"event property value {value!r} is a float; use str, int or Decimal")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and _NUMERIC_TEXT.match(value):
        return Decimal(value)
    return None


def _matches(event: _Event, filters: Filters | None, ignored_filters: Sequence[Filters] | None) -> bool:
    """Charge-filter scoping (PostgresStore#filters_scope).

    ``filters`` keep events whose property is one of the listed values;
    ``ignored_filters`` drop events matching every clause of any listed
    filter (a missing property counts as ""), which is how Lago leaves the
    events of more specific filters out of the default bucket.
    """
    for key, values in (filters or {}).items():
        if _as_text(event.properties.get(key)) not in {_as_text(value) for value in values}:
            return False
    for ignored in ignored_filters or ():
        clauses = [(key, values) for key, values in ignored.items() if values]
        if clauses and all(
            (_as_text(event.properties.get(key)) or "") in {_as_text(value) for value in values} for key, values in clauses
        ):
            return False
    return True


def _apply_rounding(units: Decimal, function: str | None, precision: int) -> Decimal:
    """ApplyRoundingService: BigDecimal round (half up) / ceil / floor at ``precision``."""
    if function is None:
        return units
    modes = {"round": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}
    if function not in modes:
        raise ValueError(f"rounding_function: expected one of round, ceil, floor, got {function!r}")
    return units.quantize(Decimal(1).scaleb(-precision), rounding=modes[function])


def _count(scoped: list[_Event]) -> AggregationResult:
    return AggregationResult(Decimal(len(scoped)), len(scoped), tuple(ONE for _ in scoped))


def _numeric_events(events: list[_Event], field_name: str) -> list[tuple[_Event, Decimal]]:
    pairs = []
    for event in events:
        value = _numeric_value(event.properties.get(field_name))
        if value is not None:
            pairs.append((event, value))
    return pairs


def _sum(scoped: list[_Event], in_period: list[_Event], field_name: str) -> AggregationResult:
    pairs = _numeric_events(scoped, field_name)
    values = tuple(value for _, value in _numeric_events(in_period, field_name))
    return AggregationResult(sum((value for _, value in pairs), ZERO), len(pairs), values)


def _max(in_period: list[_Event], field_name: str) -> AggregationResult:
    values = [value for _, value in _numeric_events(in_period, field_name)]
    if not values:
        return AggregationResult(ZERO, 0, ())
    highest = max(values)
    # MaxService#compute_per_event_aggregation: the first max keeps its value, others 0.
    first = values.index(highest)
    per_event = tuple(value if index == first else ZERO for index, value in enumerate(values))
    return AggregationResult(highest, len(values), per_event)


def _latest(in_period: list[_Event], field_name: str) -> AggregationResult:
    pairs = _numeric_events(in_period, field_name)
    if not pairs:
        return AggregationResult(ZERO, 0)
    latest_value = pairs[-1][1]
    # LatestService clamps at zero: a negative latest value bills nothing.
    return AggregationResult(max(latest_value, ZERO), len(pairs))


def _unique_count(scoped: list[_Event], in_period: list[_Event], field_name: str) -> AggregationResult:
    """UniqueCountQuery: per value, an add counts +1 unless already added, a
    remove -1 unless already removed; a first-ever remove is ignored.

    Lago reports ``count = aggregation`` for this metric (UniqueCountService
    sets ``result.count = result.aggregation``); events_count mirrors that.
    Events without the property are skipped (Postgres would group them under
    one NULL "value"; Lago reports them as missing_aggregation_property).
    """
    last_operation: dict[str, str] = {}
    total = 0
    for event in scoped:
        key = _as_text(event.properties.get(field_name))
        if key is None:
            continue
        operation = _as_text(event.properties.get("operation_type")) or "add"
        previous = last_operation.get(key, "remove")
        if previous != operation:
            total += 1 if operation == "add" else -1
        last_operation[key] = operation
    per_event = tuple(ONE for event in in_period if event.properties.get(field_name) is not None)
    return AggregationResult(Decimal(total), total, per_event)


def _weighted_sum(
    in_period: list[_Event],
    field_name: str,
    from_ts: Decimal,
    to_ts: Decimal,
    initial_value: Decimal,
    recurring: bool,
    charges_duration_days: int | None,
    exact_division: bool = False,
) -> AggregationResult:
    """Events carry deltas; units = sum over segments of (running value x segment seconds) / period seconds.

    Follows Events::Stores::Postgres::WeightedSumQuery exactly:
    * rows = the initial value at ``from``, the period's events, and 0 at the
      period end, which is ``to`` rounded up to the whole second (Lago passes
      ``to_datetime.ceil``, turning 23:59:59.999999 into midnight);
    * each row contributes ``cumulative value x EXTRACT(EPOCH FROM gap)``
      (numeric, 6 decimals) divided by ``charges_duration_days x 86400`` with
      PostgreSQL numeric division (see pg_numeric); a zero gap contributes 0;
    * the sum is then ``ceil(20)`` (WeightedSumService).
    Without ``charges_duration_days`` the period length is ``ceil(to) - from``.
    ``exact_division`` divides the exact sum of value-seconds once instead (what the engine's
    one-pass SQL computes): it differs from Lago's result only below 1e-15 units.
    """
    end = to_ts.to_integral_value(rounding=ROUND_CEILING)
    if charges_duration_days is not None:
        period_seconds = Decimal(charges_duration_days * SECONDS_PER_DAY)
    else:
        period_seconds = end - from_ts
    if period_seconds <= 0:
        raise ValueError("weighted_sum: the period must last more than 0 seconds")

    pairs = _numeric_events(in_period, field_name)
    rows = [(from_ts, initial_value)] + [(event.timestamp, value) for event, value in pairs] + [(end, ZERO)]
    rows = [(timestamp.quantize(MICROSECOND, rounding=ROUND_HALF_EVEN), value) for timestamp, value in rows]

    total = ZERO
    cumulative = ZERO
    for index, (timestamp, delta) in enumerate(rows):
        cumulative += delta
        next_timestamp = rows[index + 1][0] if index + 1 < len(rows) else rows[-1][0]
        gap = (next_timestamp - timestamp).quantize(MICROSECOND)
        if not gap.is_zero():
            total += cumulative * gap if exact_division else pg_divide(cumulative * gap, period_seconds)
    if exact_division:
        total = total / period_seconds
    decimals = -int(total.as_tuple().exponent)
    if decimals > 20:
        total = total.quantize(WEIGHTED_SUM_DECIMALS, rounding=ROUND_CEILING)

    variation = sum((value for _, value in pairs), ZERO)
    closing_value = initial_value + variation if recurring else variation
    return AggregationResult(total, len(pairs), None, closing_value)


def aggregate(
    aggregation_type: str,
    events: Iterable[Mapping[str, Any]],
    *,
    from_ts: Any,
    to_ts: Any,
    field_name: str | None = None,
    filters: Filters | None = None,
    ignored_filters: Sequence[Filters] | None = None,
    recurring: bool = False,
    initial_value: Any = None,
    charges_duration_days: int | None = None,
    rounding_function: str | None = None,
    rounding_precision: int = 0,
    weighted_sum_division: str = "lago",
) -> AggregationResult:
    """Aggregate ``events`` over ``[from_ts, to_ts]`` the way Lago does.

    ``aggregation_type``: count, sum, max, unique_count, latest, weighted_sum
    (Lago's ``*_agg`` spellings are accepted). ``recurring`` metrics (sum,
    unique_count, weighted_sum only) carry usage over periods: sum and
    unique_count drop the lower bound, weighted_sum starts from
    ``initial_value`` (default: the sum of the deltas before ``from_ts``).
    ``rounding_function``/``rounding_precision`` are the metric's rounding.
    ``weighted_sum_division``: "lago" divides each segment as Lago's Postgres query does,
    "exact" divides the exact total once, as the engine does.
    """
    kind = aggregation_type[:-4] if aggregation_type.endswith("_agg") else aggregation_type
    if kind not in AGGREGATION_TYPES:
        raise ValueError(f"aggregation_type: unknown {aggregation_type!r} (expected one of: {', '.join(AGGREGATION_TYPES)})")
    if recurring and kind not in RECURRING_TYPES:
        raise ValueError(f"{kind} metrics cannot be recurring in Lago (only {', '.join(sorted(RECURRING_TYPES))})")
    if kind != "count" and not field_name:
        raise ValueError(f"{kind} aggregation requires field_name")
    field = field_name or ""
    if initial_value is not None and not (recurring and kind == "weighted_sum"):
        raise ValueError("initial_value only applies to recurring weighted_sum metrics")
    if isinstance(rounding_precision, bool) or not isinstance(rounding_precision, int):
        raise TypeError(f"rounding_precision: expected an int, got {rounding_precision!r}")

    start = to_timestamp(from_ts, "from_ts")
    end = to_timestamp(to_ts, "to_ts")
    if end < start:
        raise ValueError("to_ts must not be before from_ts")

    with exact():
        matching = [event for event in _normalise_events(events) if _matches(event, filters, ignored_filters)]
        in_period = [event for event in matching if start <= event.timestamp <= end]
        # SumService/UniqueCountService: use_from_boundary = !recurring.
        up_to_end = [event for event in matching if event.timestamp <= end]
        scoped = up_to_end if recurring else in_period

        if kind == "count":
            result = _count(in_period)
        elif kind == "sum":
            result = _sum(scoped, in_period, field)
        elif kind == "max":
            result = _max(in_period, field)
        elif kind == "latest":
            result = _latest(in_period, field)
        elif kind == "unique_count":
            result = _unique_count(scoped, in_period, field)
        else:
            if initial_value is not None:
                initial = to_decimal(initial_value, "initial_value")
            elif recurring:
                before = [event for event in matching if event.timestamp < start]
                initial = sum((value for _, value in _numeric_events(before, field)), ZERO)
            else:
                initial = ZERO
            if weighted_sum_division not in ("lago", "exact"):
                raise ValueError(f"weighted_sum_division: 'lago' or 'exact', not {weighted_sum_division!r}")
            result = _weighted_sum(in_period, field, start, end, initial, recurring, charges_duration_days,
                                   exact_division=weighted_sum_division == "exact")

        if rounding_function is not None:
            result = AggregationResult(
                _apply_rounding(result.units, rounding_function, rounding_precision),
                result.events_count,
                result.event_values,
                result.total_aggregated_units,
            )
    return result
