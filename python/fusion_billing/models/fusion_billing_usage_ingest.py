"""Usage ingestion: one multi-row INSERT per request, idempotent on the transaction id.

The ORM's create() costs several queries and a Python object per event; ingestion must take
thousands of events per second, so events go in with a single INSERT ... SELECT FROM unnest()
that also links each event to its subscription, flags it late and checks it against its metric,
in the same statement.

Idempotency rests on the unique index (service_id, transaction_id, external_subscription_id):
ON CONFLICT DO NOTHING skips a key already stored. Under Odoo's REPEATABLE READ isolation a key
committed by a concurrent request after this transaction's snapshot raises a serialization
failure instead, and Odoo replays the request, which then finds the stored row."""

from typing import NamedTuple

from odoo import api, models

from ..lago import jsonio
from ..engine.event_values import derived_columns


class IngestResult(NamedTuple):
    rows: list  # per input position: the stored event as a dict, or None where conflicting
    conflicts: list  # input positions whose transaction id is stored with other content
    unattached: list  # input positions whose subscription does not exist (yet)


class EventChecks(NamedTuple):
    """What events.errors reports of one stored event."""
    transaction_id: str
    missing_property: bool
    invalid_filter: bool
    late: bool
    unknown_code: bool
    unattached: bool


_DERIVED = derived_columns('event.properties', 'event.event_at')

# One statement per request. `subscription` share-locks the subscriptions written to: a period
# close (FOR UPDATE) in progress makes this request wait, then fail to serialize, and Odoo replays
# it with a snapshot that sees the new billed-until date, so its events are flagged late instead
# of silently unbilled. Each event is linked to its subscription and checked against its metric
# (its units, events.errors) as it is inserted. Rows are inserted (and their index keys locked) in payload
# order, so that concurrent batches with overlapping keys wait on each other instead of
# deadlocking; RETURNING gives them back in that order.
_INSERT = f"""
WITH subscription AS MATERIALIZED (
    SELECT id, fusion_external_id, fusion_closed_until, fusion_started_at
      FROM sale_order
     WHERE fusion_service_id = %(service_id)s AND fusion_external_id = ANY(%(subscription_ids)s)
     ORDER BY id
       FOR SHARE
)
INSERT INTO fusion_billing_usage
    (service_id, metric_id, code, external_subscription_id, transaction_id, "timestamp", properties, order_id,
     late, {', '.join(_DERIVED)}, received_at)
SELECT %(service_id)s, event.metric_id, CASE WHEN event.metric_id IS NULL THEN event.code END,
       event.external_subscription_id, event.transaction_id, event.event_at,
       event.properties, owner.id,
       COALESCE(event.event_at < owner.fusion_closed_until, FALSE),
       {', '.join(_DERIVED.values())},
       now() AT TIME ZONE 'UTC'
  FROM (SELECT column_list.*, (%(properties)s::jsonb)->(column_list.ordinal::int - 1) AS properties
          FROM unnest(%(metric_ids)s::int[], %(codes)s::varchar[], %(subscription_ids)s::varchar[],
                      %(transaction_ids)s::varchar[], %(timestamps)s::timestamp[])
               WITH ORDINALITY AS column_list(metric_id, code, external_subscription_id, transaction_id, event_at, ordinal)
       ) AS event
  LEFT JOIN fusion_billing_metric metric ON metric.id = event.metric_id
  -- After a change of plan one external id has several orders: the event belongs to the plan
  -- that was running at its timestamp.
  LEFT JOIN LATERAL (
      SELECT id, fusion_closed_until FROM subscription
       WHERE subscription.fusion_external_id = event.external_subscription_id
       ORDER BY COALESCE(subscription.fusion_started_at <= event.event_at, FALSE) DESC,
                subscription.fusion_started_at DESC, subscription.id DESC
       LIMIT 1
  ) AS owner ON TRUE
 ORDER BY event.ordinal
    ON CONFLICT (service_id, external_subscription_id, transaction_id) DO NOTHING
RETURNING id, external_subscription_id, transaction_id, order_id, received_at, missing_property, invalid_filter, late,
          metric_id IS NULL
"""

# Lago's GET /events/{transaction_id}: "the first event found" (the id is unique per subscription).
_BY_TRANSACTION_ID = """
SELECT stored.id, stored.external_subscription_id, stored.transaction_id, COALESCE(metric.code, stored.code),
       stored."timestamp", stored.properties::text, stored.order_id, stored.received_at
  FROM fusion_billing_usage stored
  LEFT JOIN fusion_billing_metric metric ON metric.id = stored.metric_id
 WHERE stored.service_id = %(service_id)s AND stored.transaction_id = %(transaction_id)s
 ORDER BY stored.id
 LIMIT 1
"""

_STORED = """
SELECT stored.id, stored.external_subscription_id, stored.transaction_id, COALESCE(metric.code, stored.code),
       stored."timestamp", stored.properties::text, stored.order_id, stored.received_at
  FROM fusion_billing_usage stored
  LEFT JOIN fusion_billing_metric metric ON metric.id = stored.metric_id
 WHERE stored.service_id = %(service_id)s
   AND (stored.external_subscription_id, stored.transaction_id) IN (
        SELECT * FROM unnest(%(subscription_ids)s::varchar[], %(transaction_ids)s::varchar[]))
"""


class FusionBillingUsage(models.Model):
    _inherit = 'fusion.billing.usage'

    @api.model
    def _fusion_ingest(self, service, events):
        """Store `events` (lago.events.UsageEvent list) for `service` and return an IngestResult.

        Exact resends (same key and content) return the stored row and store nothing; a key
        sent again with other content is a conflict; an event whose subscription does not exist
        is stored unattached and listed (the caller refuses it when the service rejects such
        events). Nothing is undone here: the caller rolls the transaction back when it refuses
        the request."""
        first_of_key, conflicts, unique = {}, [], []
        for position, event in enumerate(events):
            first = first_of_key.get(event.key)
            if first is None:
                first_of_key[event.key] = position
                unique.append(event)
            elif not event.same_as(events[first].code, events[first].timestamp, events[first].properties):
                conflicts.append(position)
        stored, checked = self._fusion_insert(service, unique)
        self._fusion_enqueue_event_errors(service, checked)
        missing = [event for event in unique if event.key not in stored]
        if missing:
            stored.update(self._fusion_stored(service, missing))
        rows = []
        for position, event in enumerate(events):
            row = stored[event.key]
            if position in conflicts:
                rows.append(None)
            elif row['inserted'] or event.same_as(row['code'], row['timestamp'], row['properties']):
                rows.append(row)
            else:
                conflicts.append(position)
                rows.append(None)
        unattached = [position for position, row in enumerate(rows) if row is not None and not row['order_id']]
        return IngestResult(rows, sorted(conflicts), unattached)

    def _fusion_insert(self, service, events):
        """INSERT the events: ({key: row} of those actually inserted, their events.errors checks
        (EventChecks) in storage order)."""
        cr = self.env.cr
        # The statement reads these tables directly: pending ORM writes must reach them first.
        self.env['sale.order'].flush_model(['fusion_service_id', 'fusion_external_id', 'fusion_closed_until', 'fusion_started_at'])
        self.env['fusion.billing.metric'].flush_model(['aggregation_type', 'field_name', 'filters'])
        # A serialization failure here is expected (a concurrent resend, a period being closed)
        # and Odoo replays the request: do not log it as a bad query. Other errors are logged
        # by the API.
        cr.execute(_INSERT, log_exceptions=False, params={
            'service_id': service.id,
            'metric_ids': [event.metric_id for event in events],
            'codes': [event.code for event in events],
            'subscription_ids': [event.external_subscription_id for event in events],
            'transaction_ids': [event.transaction_id for event in events],
            'timestamps': [event.timestamp for event in events],
            # One JSON array: one call of the encoder and one jsonb to parse, not one per event.
            'properties': jsonio.dumps([event.properties for event in events]),
        })
        by_key = {event.key: event for event in events}
        inserted, checked = {}, []
        for row_id, subscription_id, transaction_id, order_id, received_at, missing, invalid, late, unknown_code in cr.fetchall():
            event = by_key[(subscription_id, transaction_id)]
            inserted[event.key] = {
                'id': row_id, 'external_subscription_id': subscription_id, 'transaction_id': transaction_id,
                'code': event.code, 'timestamp': event.timestamp, 'properties': event.properties,
                'order_id': order_id, 'created_at': received_at, 'inserted': True,
            }
            checked.append(EventChecks(transaction_id, missing, invalid, late, unknown_code, not order_id))
        return inserted, checked

    def _fusion_stored(self, service, events):
        """{key: row} of events already stored under the keys of `events`."""
        cr = self.env.cr
        cr.execute(_STORED, {
            'service_id': service.id,
            'subscription_ids': [event.external_subscription_id for event in events],
            'transaction_ids': [event.transaction_id for event in events],
        })
        stored = {}
        for row_id, subscription_id, transaction_id, code, at, properties, order_id, created_at in cr.fetchall():
            stored[(subscription_id, transaction_id)] = {
                'id': row_id, 'external_subscription_id': subscription_id, 'transaction_id': transaction_id,
                'code': code, 'timestamp': at,
                # jsonb as text, parsed like the request so that numbers compare exactly.
                'properties': jsonio.loads(properties.encode()) if properties is not None else {},
                'order_id': order_id, 'created_at': created_at, 'inserted': False,
            }
        return stored

    @api.model
    def _fusion_stored_by_transaction_id(self, service, transaction_id):
        """The first stored event of `service` with this transaction id, as a row dict, or None."""
        self.flush_model()
        self.env.cr.execute(_BY_TRANSACTION_ID, {'service_id': service.id, 'transaction_id': transaction_id})
        row = self.env.cr.fetchone()
        if not row:
            return None
        row_id, subscription_id, transaction, code, at, properties, order_id, created_at = row
        return {
            'id': row_id, 'external_subscription_id': subscription_id, 'transaction_id': transaction, 'code': code,
            # jsonb as text, parsed without floats like the request was.
            'timestamp': at, 'properties': jsonio.loads(properties.encode()) if properties is not None else {},
            'order_id': order_id, 'created_at': created_at,
        }
