"""Lago's aggregations as PostgreSQL queries over fusion_billing_usage, for many subscriptions
sharing a period. count, sum, max and weighted_sum of any number of metrics are one pass over the
period's rows (``aggregate_one_pass``); the others take one query per metric. Numbers come from
each event's stored units (``value``, see event_values.py), not from its JSON. Semantics mirror
``rating.aggregation`` (the pure reference, itself a copy of Lago's Postgres event store); the
Odoo tests check the two agree.

Periods are half-open ``[start, end)`` in naive UTC, like Odoo's datetime columns. Numeric
results are selected as text: Odoo registers a psycopg2 typecaster that turns numeric into float,
and units must stay exact Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import NamedTuple

from ..rating.aggregation import AggregationResult
from ..rating.filters import Bucket

__all__ = ["MetricQuery", "aggregate_one_pass", "aggregate_orders", "in_one_pass"]

_WEIGHTED_SUM_DECIMALS = Decimal("1e-20")
_ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1)


def _dec(text: str | None) -> Decimal:
    return Decimal(text) if text is not None else _ZERO


# Aggregations computed in the single pass, when they need no per-event values.
ONE_PASS = ("count", "sum", "max", "weighted_sum")


def in_one_pass(aggregation_type: str, recurring: bool, with_event_values: bool = False) -> bool:
    """Whether ``aggregate_one_pass`` computes this metric: recurring sums reach before the
    period, and per-event values need their own query."""
    return aggregation_type in ONE_PASS and not with_event_values and not (recurring and aggregation_type == "sum")


class MetricQuery(NamedTuple):
    metric_id: int
    aggregation_type: str
    recurring: bool = False


def _filters_sql(filters: Mapping | Bucket | None) -> tuple[str, list]:
    """Charge filters: keep events whose property is one of the listed values; for a bucket
    (rating.filters), also drop the events of the filters that take them first (a missing
    property counts as "", as in rating.aggregation)."""
    include, exclude = (filters.include, filters.exclude) if isinstance(filters, Bucket) else (filters or {}, ())
    sql, params = "", []
    for key, values in sorted(include.items()):
        sql += " AND u.properties->>%s = ANY(%s)"
        params += [key, [str(v) for v in values]]
    for ignored in exclude:
        clauses = sorted((key, values) for key, values in ignored.items() if values)
        if not clauses:
            continue
        sql += " AND NOT (" + " AND ".join("COALESCE(u.properties->>%s, '') = ANY(%s)" for _ in clauses) + ")"
        for key, values in clauses:
            params += [key, [str(v) for v in values]]
    return sql, params


def _scope_sql(metric_id: int, order_ids: Sequence[int], start: datetime | None, end: datetime, filters: Mapping | None):
    clauses = ["u.metric_id = %s", "u.order_id = ANY(%s)", "u.timestamp < %s"]
    params: list = [metric_id, list(order_ids), end]
    if start is not None:
        clauses.append("u.timestamp >= %s")
        params.append(start)
    filter_sql, filter_params = _filters_sql(filters)
    return " AND ".join(clauses) + filter_sql, params + filter_params


def aggregate_one_pass(
    cr,
    metrics: Sequence[MetricQuery],
    order_ids: Sequence[int],
    start: datetime,
    end: datetime,
    full_seconds: int | None = None,
    filters: Mapping | None = None,
) -> dict[tuple[int, int], AggregationResult]:
    """{(order id, metric id): result} of count, sum, max and weighted_sum metrics over
    ``[start, end)``, in one scan of the period's rows (see ``in_one_pass``). Every (order,
    metric) pair has a result."""
    if not all(in_one_pass(m.aggregation_type, m.recurring) for m in metrics):
        raise ValueError("aggregate_one_pass: count, sum, max and weighted_sum, recurring sums excepted")
    if not order_ids or not metrics:
        return {}
    weighted = [m.metric_id for m in metrics if m.aggregation_type == "weighted_sum"]
    filter_sql, filter_params = _filters_sql(filters)
    orders_sql, orders_params = _orders_sql(order_ids)
    # weighted_sum: the running value integrated over the period is, exactly, the initial value
    # held all period plus each event's delta held from its timestamp to the end:
    # sum(delta x (end - t)) = end x sum(delta) - sum(moment), moment = delta x t stored with the
    # event (t in epoch seconds).
    kinds = {m.aggregation_type for m in metrics}
    # Each aggregate costs time on every row: only those the metrics need.
    total_sql = "SUM(u.value)::text" if kinds & {"sum", "weighted_sum"} else "NULL"
    maximum_sql = "MAX(u.value)::text" if "max" in kinds else "NULL"
    moments_sql = "SUM(u.moment)::text" if weighted else "NULL"
    cr.execute(
        f"""SELECT u.order_id, u.metric_id, COUNT(*), COUNT(u.value), {total_sql}, {maximum_sql}, {moments_sql}
              FROM fusion_billing_usage u
             WHERE {orders_sql} AND u."timestamp" >= %s AND u."timestamp" < %s{filter_sql}
          GROUP BY u.order_id, u.metric_id""",
        orders_params + [start, end] + filter_params,
    )
    # Groups of orders outside `order_ids` but inside their id range, and of metrics not asked
    # for, are not read: testing the metric on every row costs more than skipping a few groups.
    rows = {(order_id, metric_id): rest for order_id, metric_id, *rest in cr.fetchall()}
    initial = _initial_values(
        cr,
        [m.metric_id for m in metrics if m.aggregation_type == "weighted_sum" and m.recurring],
        order_ids,
        start,
        filter_sql,
        filter_params,
    )
    span = _seconds(end - start)
    end_epoch = _seconds(end - _EPOCH)
    period_seconds = Decimal(full_seconds) if full_seconds else span
    results = {}
    # Sums of products of exact decimals: no rounding before the final one (WeightedSumService).
    with localcontext() as exact:
        exact.prec = 80
        for metric in metrics:
            kind = metric.aggregation_type
            for order_id in order_ids:
                events, counted, total, maximum, moments = rows.get((order_id, metric.metric_id), (0, 0, None, None, None))
                if kind == "count":
                    result = AggregationResult(Decimal(events), events)
                elif kind == "sum":
                    result = AggregationResult(_dec(total), counted)
                elif kind == "max":
                    result = AggregationResult(_dec(maximum), counted)
                else:
                    opening = initial.get((order_id, metric.metric_id), _ZERO)
                    held = opening * span + end_epoch * _dec(total) - _dec(moments)
                    units = _weighted_units(held, period_seconds)
                    closing = opening + _dec(total) if metric.recurring else _dec(total)
                    result = AggregationResult(units, counted, None, closing)
                results[(order_id, metric.metric_id)] = result
    return results


def _orders_sql(order_ids: Sequence[int]) -> tuple[str, list]:
    """Which orders to scan. When the ids fill most of their range (rating a whole period's
    subscriptions), two comparisons per row replace a hash probe; the caller ignores the rows of
    orders it did not ask for."""
    low, high = min(order_ids), max(order_ids)
    if len(order_ids) > 1 and 2 * len(set(order_ids)) >= high - low + 1:
        return "u.order_id BETWEEN %s AND %s", [low, high]
    return "u.order_id = ANY(%s)", [list(order_ids)]


def _initial_values(cr, metric_ids, order_ids, start, filter_sql, filter_params):
    """Recurring weighted_sum: the sum of every delta before the period, per (order, metric)."""
    if not metric_ids:
        return {}
    cr.execute(
        f"""SELECT u.order_id, u.metric_id, SUM(u.value)::text FROM fusion_billing_usage u
             WHERE u.order_id = ANY(%s) AND u.metric_id = ANY(%s) AND u."timestamp" < %s{filter_sql}
          GROUP BY u.order_id, u.metric_id""",
        [list(order_ids), list(metric_ids), start] + filter_params,
    )
    return {(order_id, metric_id): _dec(total) for order_id, metric_id, total in cr.fetchall()}


def _seconds(delta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


def _weighted_units(held: Decimal, period_seconds: Decimal) -> Decimal:
    """Value-seconds over period seconds, then rounded up at 20 decimals (WeightedSumService).
    Runs in the caller's 80-digit context."""
    units = held / period_seconds
    if -units.as_tuple().exponent > 20:
        units = units.quantize(_WEIGHTED_SUM_DECIMALS, rounding=ROUND_CEILING)
    return units


def aggregate_orders(
    cr,
    *,
    metric_id: int,
    aggregation_type: str,
    field_name: str | None,
    recurring: bool,
    order_ids: Sequence[int],
    start: datetime,
    end: datetime,
    full_seconds: int | None = None,
    filters: Mapping | None = None,
    with_event_values: bool = False,
) -> dict[int, AggregationResult]:
    """Units and events count per order for one metric over ``[start, end)``.

    Orders without events get zero units. ``with_event_values`` adds the per-event values in
    timestamp order (the percentage charge model consumes free units event by event). Numbers
    are the events' stored units; ``field_name`` is the property unique_count counts.
    """
    if not order_ids:
        return {}
    kind = aggregation_type
    # Recurring sum and unique_count count every event since the beginning (Lago: use_from_boundary = !recurring).
    lower = None if recurring and kind in ("sum", "unique_count") else start
    if in_one_pass(kind, recurring, with_event_values):
        one_pass = aggregate_one_pass(cr, [MetricQuery(metric_id, kind, recurring)], order_ids, start, end, full_seconds, filters)
        return {order_id: one_pass[(order_id, metric_id)] for order_id in order_ids}
    if kind == "count":
        results = _count(cr, metric_id, order_ids, lower, end, filters, with_event_values)
    elif kind in ("sum", "max"):
        results = _sum_or_max(cr, kind, metric_id, order_ids, lower, start, end, filters, with_event_values)
    elif kind == "latest":
        results = _latest(cr, metric_id, order_ids, start, end, filters)
    elif kind == "unique_count":
        results = _unique_count(cr, metric_id, field_name, order_ids, lower, end, filters)
    else:
        raise ValueError(f"unknown aggregation {aggregation_type!r}" if kind not in ONE_PASS else f"{kind}: no per-event values")
    empty = AggregationResult(_ZERO, 0, () if with_event_values else None)
    return {order_id: results.get(order_id, empty) for order_id in order_ids}


def _count(cr, metric_id, order_ids, start, end, filters, with_event_values):
    where, params = _scope_sql(metric_id, order_ids, start, end, filters)
    cr.execute(f"SELECT u.order_id, COUNT(*) FROM fusion_billing_usage u WHERE {where} GROUP BY u.order_id", params)
    return {
        order_id: AggregationResult(Decimal(count), count, tuple(Decimal(1) for _ in range(count)) if with_event_values else None)
        for order_id, count in cr.fetchall()
    }


def _sum_or_max(cr, kind, metric_id, order_ids, lower, start, end, filters, with_event_values):
    where, params = _scope_sql(metric_id, order_ids, lower, end, filters)
    total = "SUM(u.value)::text" if kind == "sum" else "MAX(u.value)::text"
    # Per-event values are those of the period itself, even when a recurring sum reaches back further.
    values = "ARRAY_AGG(u.value::text ORDER BY u.timestamp, u.id) FILTER (WHERE u.value IS NOT NULL AND u.timestamp >= %s)" if with_event_values else "NULL"
    cr.execute(
        f"SELECT u.order_id, {total}, COUNT(u.value), {values} FROM fusion_billing_usage u WHERE {where} GROUP BY u.order_id",
        ([start] if with_event_values else []) + params,
    )
    out = {}
    for order_id, units, count, event_values in cr.fetchall():
        per_event = tuple(Decimal(v) for v in event_values or ()) if with_event_values else None
        if kind == "max" and per_event:
            # MaxService: the first maximum keeps its value, the other events count 0.
            first = per_event.index(max(per_event))
            per_event = tuple(v if i == first else _ZERO for i, v in enumerate(per_event))
        out[order_id] = AggregationResult(_dec(units), count, per_event)
    return out


def _latest(cr, metric_id, order_ids, start, end, filters):
    where, params = _scope_sql(metric_id, order_ids, start, end, filters)
    cr.execute(
        f"""SELECT u.order_id, (ARRAY_AGG(u.value::text ORDER BY u.timestamp DESC, u.id DESC) FILTER (WHERE u.value IS NOT NULL))[1],
                   COUNT(u.value)
              FROM fusion_billing_usage u WHERE {where} GROUP BY u.order_id""",
        params,
    )
    # LatestService clamps at zero: a negative latest value bills nothing.
    return {order_id: AggregationResult(max(_dec(val), _ZERO), n) for order_id, val, n in cr.fetchall()}


def _unique_count(cr, metric_id, field_name, order_ids, start, end, filters):
    """A value counts when its last operation is an add (a first-ever remove changes nothing)."""
    where, params = _scope_sql(metric_id, order_ids, start, end, filters)
    cr.execute(
        f"""SELECT s.order_id, COUNT(*) FILTER (WHERE s.op = 'add')
              FROM (SELECT DISTINCT ON (u.order_id, u.properties->>%s)
                           u.order_id, COALESCE(u.properties->>'operation_type', 'add') AS op
                      FROM fusion_billing_usage u
                     WHERE {where} AND u.properties->>%s IS NOT NULL
                  ORDER BY u.order_id, u.properties->>%s, u.timestamp DESC, u.id DESC) s
          GROUP BY s.order_id""",
        [field_name] + params + [field_name, field_name],
    )
    return {order_id: AggregationResult(Decimal(n), n) for order_id, n in cr.fetchall()}
