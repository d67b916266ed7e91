"""events.errors: accepted events that will not bill as the application may expect, reported to
it in the transaction that stores them. Lago's categories (missing_aggregation_property,
invalid_filter_values; invalid_code cannot happen here, the API refuses unknown codes) plus
late_events: events for a period that was already billed."""

from odoo import api, models

# Aggregations that read a number from the event: a non-numeric value counts as missing.
_NUMERIC_AGGREGATIONS = ('sum', 'max', 'latest', 'weighted_sum')

_CHECK = """
SELECT u.transaction_id,
       m.aggregation_type <> 'count' AND (
           u.properties->>m.field_name IS NULL
           OR (m.aggregation_type = ANY(%(numeric)s) AND u.properties->>m.field_name !~ '^-?[0-9]+(\\.[0-9]+)?$')
       ) AS missing_property,
       jsonb_typeof(m.filters) = 'object' AND EXISTS (
           SELECT 1 FROM jsonb_object_keys(m.filters) AS filter(key)
            WHERE u.properties ? filter.key AND NOT (m.filters->filter.key) ? (u.properties->>filter.key)
       ) AS invalid_filter,
       u.late
  FROM fusion_billing_usage u
  JOIN fusion_billing_metric m ON m.id = u.metric_id
 WHERE u.id = ANY(%(ids)s)
 ORDER BY u.id
"""


class FusionBillingUsage(models.Model):
    _inherit = 'fusion.billing.usage'

    @api.model
    def _fusion_report_event_errors(self, service, usage_ids):
        """Write one events.errors webhook for the problems among `usage_ids`, if any."""
        if not usage_ids:
            return None
        # The query reads the tables directly: pending ORM writes must reach them first.
        self.flush_model(['transaction_id', 'metric_id', 'properties', 'late'])
        self.env['fusion.billing.metric'].flush_model(['aggregation_type', 'field_name', 'filters'])
        self.env.cr.execute(_CHECK, {'ids': list(usage_ids), 'numeric': list(_NUMERIC_AGGREGATIONS)})
        errors = {'invalid_code': [], 'missing_aggregation_property': [], 'invalid_filter_values': [], 'late_events': []}
        for transaction_id, missing_property, invalid_filter, late in self.env.cr.fetchall():
            if missing_property:
                errors['missing_aggregation_property'].append(transaction_id)
            if invalid_filter:
                errors['invalid_filter_values'].append(transaction_id)
            if late:
                errors['late_events'].append(transaction_id)
        if not any(errors.values()):
            return None
        return self.env['fusion.billing.webhook']._fusion_enqueue(service, 'events.errors', 'events_errors', service, errors)
