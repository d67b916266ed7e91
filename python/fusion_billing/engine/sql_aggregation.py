"""Lago's aggregations as PostgreSQL queries over fusion_billing_usage, one query per metric for
many subscriptions sharing a period. Semantics mirror ``rating.aggregation`` (the pure reference,
itself a copy of Lago's Postgres event store); the Odoo tests check the two agree.

Periods are half-open ``[start, end)`` in naive UTC, like Odoo's datetime columns. Numeric
results are selected as text: Odoo registers a psycopg2 typecaster that turns numeric into float,
and units must stay exact Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from ..rating.aggregation import AggregationResult

__all__ = ["aggregate_orders"]

# PostgresStore#numeric_condition: only plain decimal text is a number.
_NUMERIC = r"'^-?[0-9]+(\.[0-9]+)?$'"
_WEIGHTED_SUM_DECIMALS = Decimal("1e-20")
_ZERO = Decimal(0)


def _dec(text: str | None) -> Decimal:
    return Decimal(text) if text is not None else _ZERO


def _value_sql(field_name: str) -> tuple[str, list]:
    return (
        f"CASE WHEN u.properties->>%s ~ {_NUMERIC} THEN (u.properties->>%s)::numeric END",
        [field_name, field_name],
    )


def _scope_sql(metric_id: int, order_ids: Sequence[int], start: datetime | None, end: datetime, filters: Mapping | None):
    clauses = ["u.metric_id = %s", "u.order_id = ANY(%s)", "u.timestamp < %s"]
    params: list = [metric_id, list(order_ids), end]
    if start is not None:
        clauses.append("u.timestamp >= %s")
        params.append(start)
    for key, values in sorted((filters or {}).items()):
        clauses.append("u.properties->>%s = ANY(%s)")
        params += [key, [str(v) for v in values]]
    return " AND ".join(clauses), params


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
    timestamp order (the percentage charge model consumes free units event by event).
    """
    if not order_ids:
        return {}
    kind = aggregation_type
    # Recurring sum and unique_count count every event since the beginning (Lago: use_from_boundary = !recurring).
    lower = None if recurring and kind in ("sum", "unique_count") else start
    if kind == "count":
        results = _count(cr, metric_id, order_ids, lower, end, filters, with_event_values)
    elif kind in ("sum", "max"):
        results = _sum_or_max(cr, kind, metric_id, field_name, order_ids, lower, start, end, filters, with_event_values)
    elif kind == "latest":
        results = _latest(cr, metric_id, field_name, order_ids, start, end, filters)
    elif kind == "unique_count":
        results = _unique_count(cr, metric_id, field_name, order_ids, lower, end, filters)
    elif kind == "weighted_sum":
        results = _weighted_sum(cr, metric_id, field_name, recurring, order_ids, start, end, full_seconds, filters)
    else:
        raise ValueError(f"unknown aggregation {aggregation_type!r}")
    empty = AggregationResult(_ZERO, 0, () if with_event_values else None)
    return {order_id: results.get(order_id, empty) for order_id in order_ids}


def _count(cr, metric_id, order_ids, start, end, filters, with_event_values):
    where, params = _scope_sql(metric_id, order_ids, start, end, filters)
    cr.execute(f"SELECT u.order_id, COUNT(*) FROM fusion_billing_usage u WHERE {where} GROUP BY u.order_id", params)
    return {
        order_id: AggregationResult(Decimal(count), count, tuple(Decimal(1) for _ in range(count)) if with_event_values else None)
        for order_id, count in cr.fetchall()
    }


def _sum_or_max(cr, kind, metric_id, field_name, order_ids, lower, start, end, filters, with_event_values):
    value, value_params = _value_sql(field_name)
    where, params = _scope_sql(metric_id, order_ids, lower, end, filters)
    total = "SUM(v.val)::text" if kind == "sum" else "MAX(v.val)::text"
    # Per-event values are those of the period itself, even when a recurring sum reaches back further.
    values = "ARRAY_AGG(v.val::text ORDER BY v.timestamp, v.id) FILTER (WHERE v.val IS NOT NULL AND v.timestamp >= %s)" if with_event_values else "NULL"
    cr.execute(
        f"""SELECT v.order_id, {total}, COUNT(v.val), {values}
              FROM (SELECT u.order_id, u.timestamp, u.id, {value} AS val FROM fusion_billing_usage u WHERE {where}) v
          GROUP BY v.order_id""",
        ([start] if with_event_values else []) + value_params + params,
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


def _latest(cr, metric_id, field_name, order_ids, start, end, filters):
    value, value_params = _value_sql(field_name)
    where, params = _scope_sql(metric_id, order_ids, start, end, filters)
    cr.execute(
        f"""WITH v AS (SELECT u.order_id, u.timestamp, u.id, {value} AS val FROM fusion_billing_usage u WHERE {where})
            SELECT c.order_id, l.val::text, c.n
              FROM (SELECT order_id, COUNT(val) AS n FROM v GROUP BY order_id) c
         LEFT JOIN (SELECT DISTINCT ON (order_id) order_id, val FROM v WHERE val IS NOT NULL
                     ORDER BY order_id, timestamp DESC, id DESC) l ON l.order_id = c.order_id""",
        value_params + params,
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


def _weighted_sum(cr, metric_id, field_name, recurring, order_ids, start, end, full_seconds, filters):
    """Σ running value × seconds held ÷ period seconds, per row with numeric division (WeightedSumQuery)."""
    value, value_params = _value_sql(field_name)
    where, params = _scope_sql(metric_id, order_ids, start, end, filters)
    period_seconds = Decimal(full_seconds) if full_seconds else Decimal(int((end - start).total_seconds()))
    if recurring:
        before_where, before_params = _scope_sql(metric_id, order_ids, None, start, filters)
        initial_sql = f"SELECT u.order_id, COALESCE(SUM({value}), 0) AS delta FROM fusion_billing_usage u WHERE {before_where} GROUP BY u.order_id"
        initial_params = value_params + before_params
    else:
        initial_sql, initial_params = "SELECT NULL::integer AS order_id, 0::numeric AS delta WHERE false", []
    cr.execute(
        f"""WITH events AS (SELECT u.order_id, u.timestamp AS ts, u.id, {value} AS delta FROM fusion_billing_usage u WHERE {where}),
                 initial AS ({initial_sql}),
                 orders AS (SELECT unnest(%s::integer[]) AS order_id),
                 rows AS (
                     SELECT o.order_id, %s::timestamp AS ts, 0 AS kind, 0 AS id, COALESCE(i.delta, 0) AS delta
                       FROM orders o LEFT JOIN initial i ON i.order_id = o.order_id
                     UNION ALL
                     SELECT order_id, ts, 1, id, delta FROM events WHERE delta IS NOT NULL
                     UNION ALL
                     SELECT order_id, %s::timestamp, 2, 0, 0 FROM orders),
                 running AS (
                     SELECT order_id, ts, kind,
                            SUM(delta) OVER w AS value,
                            LEAD(ts) OVER w AS next_ts
                       FROM rows WINDOW w AS (PARTITION BY order_id ORDER BY ts, kind, id))
            SELECT r.order_id,
                   COALESCE(SUM(r.value * EXTRACT(EPOCH FROM (r.next_ts - r.ts)) / %s) FILTER (WHERE r.next_ts > r.ts), 0)::text,
                   COUNT(*) FILTER (WHERE r.kind = 1),
                   (MAX(r.value) FILTER (WHERE r.kind = 2))::text
              FROM running r
          GROUP BY r.order_id""",
        value_params + params + initial_params + [list(order_ids), start, end, period_seconds],
    )
    out = {}
    for order_id, total_text, count, closing in cr.fetchall():
        total = _dec(total_text)
        if -total.as_tuple().exponent > 20:
            total = total.quantize(_WEIGHTED_SUM_DECIMALS, rounding=ROUND_CEILING)
        out[order_id] = AggregationResult(total, count, None, _dec(closing))
    return out
