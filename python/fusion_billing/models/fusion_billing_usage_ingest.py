"""Usage ingestion: one multi-row INSERT per request, idempotent on the transaction id.

The ORM's create() costs several queries and a Python object per event; ingestion must take
thousands of events per second, so events go in with a single INSERT ... SELECT FROM unnest()
that also links each event to its subscription and flags it late, in the same statement.

Idempotency rests on the unique index (service_id, external_subscription_id, transaction_id):
ON CONFLICT DO NOTHING skips a key already stored. Under Odoo's REPEATABLE READ isolation a key
committed by a concurrent request after this transaction's snapshot raises a serialization
failure instead, and Odoo replays the request, which then finds the stored row."""

from typing import NamedTuple

from odoo import api, models

from ..lago import jsonio


class IngestResult(NamedTuple):
    rows: list  # per input position: the stored event as a dict, or None where conflicting
    conflicts: list  # input positions whose transaction id is stored with other content


# Rows are inserted (and their index keys locked) in payload order, so that concurrent batches
# with overlapping keys wait on each other instead of deadlocking.
_INSERT = """
INSERT INTO fusion_billing_usage
    (service_id, company_id, metric_id, external_subscription_id, transaction_id, "timestamp",
     properties, order_id, late, create_uid, create_date, write_uid, write_date)
SELECT service.id, service.company_id, event.metric_id, event.external_subscription_id,
       event.transaction_id, event.event_at, event.properties, subscription.id,
       COALESCE(event.event_at < subscription.fusion_closed_until, FALSE),
       %(uid)s, %(now)s, %(uid)s, %(now)s
  FROM unnest(%(metric_ids)s::int[], %(subscription_ids)s::varchar[], %(transaction_ids)s::varchar[],
              %(timestamps)s::timestamp[], %(properties)s::jsonb[])
       WITH ORDINALITY AS event(metric_id, external_subscription_id, transaction_id, event_at, properties, ordinal)
  JOIN fusion_billing_service service ON service.id = %(service_id)s
  LEFT JOIN sale_order subscription
         ON subscription.fusion_service_id = service.id
        AND subscription.fusion_external_id = event.external_subscription_id
 ORDER BY event.ordinal
    ON CONFLICT (service_id, external_subscription_id, transaction_id) DO NOTHING
RETURNING id, external_subscription_id, transaction_id, order_id, create_date
"""

_STORED = """
SELECT stored.id, stored.external_subscription_id, stored.transaction_id, metric.code,
       stored."timestamp", stored.properties::text, stored.order_id, stored.create_date
  FROM fusion_billing_usage stored
  JOIN fusion_billing_metric metric ON metric.id = stored.metric_id
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
        sent again with other content is a conflict. Nothing is undone here: the caller rolls
        the transaction back when it refuses the request because of conflicts."""
        first_of_key, conflicts, unique = {}, [], []
        for position, event in enumerate(events):
            first = first_of_key.get(event.key)
            if first is None:
                first_of_key[event.key] = position
                unique.append(event)
            elif not event.same_as(events[first].code, events[first].timestamp, events[first].properties):
                conflicts.append(position)
        stored = self._fusion_insert(service, unique)
        self._fusion_report_event_errors(service, [row['id'] for row in stored.values()])
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
        return IngestResult(rows, sorted(conflicts))

    def _fusion_insert(self, service, events):
        """INSERT the events; {key: row} of those actually inserted."""
        cr = self.env.cr
        # Share-lock the subscriptions written to: a period close (FOR UPDATE) in progress makes
        # this request wait, then fail to serialize, and Odoo replays it with a snapshot that sees
        # the new billed-until date, so its events are flagged late instead of silently unbilled.
        cr.execute(
            'SELECT id FROM sale_order WHERE fusion_service_id = %s AND fusion_external_id = ANY(%s) ORDER BY id FOR SHARE',
            [service.id, sorted({event.external_subscription_id for event in events})],
            log_exceptions=False,
        )
        # A serialization failure here is expected (a concurrent resend) and Odoo replays the
        # request: do not log it as a bad query. Other errors are logged by the API.
        cr.execute(_INSERT, log_exceptions=False, params={
            'service_id': service.id,
            'uid': self.env.uid,
            'now': cr.now(),
            'metric_ids': [event.metric_id for event in events],
            'subscription_ids': [event.external_subscription_id for event in events],
            'transaction_ids': [event.transaction_id for event in events],
            'timestamps': [event.timestamp for event in events],
            'properties': [jsonio.dumps(event.properties) for event in events],
        })
        by_key = {event.key: event for event in events}
        inserted = {}
        for row_id, subscription_id, transaction_id, order_id, created_at in cr.fetchall():
            event = by_key[(subscription_id, transaction_id)]
            inserted[event.key] = {
                'id': row_id, 'external_subscription_id': subscription_id, 'transaction_id': transaction_id,
                'code': event.code, 'timestamp': event.timestamp, 'properties': event.properties,
                'order_id': order_id, 'created_at': created_at, 'inserted': True,
            }
        return inserted

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
