"""What an event contributes to its metric, as SQL over the event's properties and its metric row.

Evaluated when an event is stored (ingestion, ORM create/write) and again for every event of a
metric whose definition changes, then kept on the event: rating aggregates a stored number in
one pass instead of parsing JSON for every event of every period it rates.

`properties` is an SQL expression of the event's jsonb properties, `timestamp` of its time; the
metric row is `metric`.
"""

# Aggregations that read a number from the event: a non-numeric value counts as missing.
NUMERIC_AGGREGATIONS = ('sum', 'max', 'latest', 'weighted_sum')
# PostgresStore#numeric_condition: only plain decimal text is a number.
NUMERIC_TEXT = r"'^-?[0-9]+(\.[0-9]+)?$'"


def value_sql(properties):
    """The number a sum/max/latest/weighted_sum event adds (NULL when it has none: it adds
    nothing and is not counted); NULL for count and unique_count metrics, which read no number."""
    return f"""CASE WHEN metric.aggregation_type IN {NUMERIC_AGGREGATIONS!r}
                  AND {properties}->>metric.field_name ~ {NUMERIC_TEXT}
             THEN ({properties}->>metric.field_name)::numeric END"""


def moment_sql(properties, timestamp):
    """weighted_sum events: their units times their Unix time. A period's time-weighted total,
    sum(units x (end - t)), is then end x sum(units) - sum(moment): two sums, no per-event
    arithmetic when rating."""
    return f"""CASE WHEN metric.aggregation_type = 'weighted_sum'
             THEN ({value_sql(properties)}) * EXTRACT(EPOCH FROM {timestamp}) END"""


def missing_property_sql(properties):
    """The event lacks the number or value its metric aggregates (events.errors)."""
    return f"""COALESCE(metric.aggregation_type <> 'count' AND (
           {properties}->>metric.field_name IS NULL
           OR (metric.aggregation_type IN {NUMERIC_AGGREGATIONS!r}
               AND {properties}->>metric.field_name !~ {NUMERIC_TEXT})), FALSE)"""


def invalid_filter_sql(properties):
    """A filtered property has a value the metric does not list (events.errors)."""
    return f"""COALESCE(jsonb_typeof(metric.filters) = 'object' AND EXISTS (
           SELECT 1 FROM jsonb_object_keys(metric.filters) AS filter(key)
            WHERE {properties} ? filter.key AND NOT (metric.filters->filter.key) ? ({properties}->>filter.key)), FALSE)"""


def derived_columns(properties, timestamp):
    """{column: SQL expression} of everything stored from an event's properties, time and metric."""
    return {
        'value': value_sql(properties),
        'moment': moment_sql(properties, timestamp),
        'missing_property': missing_property_sql(properties),
        'invalid_filter': invalid_filter_sql(properties),
    }
