"""events.errors: accepted events that will not bill as the application may expect, reported to
it in the transaction that stores them. Lago's categories (missing_aggregation_property,
invalid_filter_values; invalid_code cannot happen here, the API refuses unknown codes) plus
late_events: events for a period that was already billed. The checks run in the ingestion
statement and are stored on the event (missing_property, invalid_filter, late), so that the
events that will not bill as sent can be found later too."""

from odoo import api, models

# Aggregations that read a number from the event: a non-numeric value counts as missing.
NUMERIC_AGGREGATIONS = ('sum', 'max', 'latest', 'weighted_sum')


def missing_property_sql(properties):
    """SQL: the event (jsonb `properties`) lacks the number or value its `metric` aggregates."""
    return f"""COALESCE(metric.aggregation_type <> 'count' AND (
           {properties}->>metric.field_name IS NULL
           OR (metric.aggregation_type IN {NUMERIC_AGGREGATIONS!r}
               AND {properties}->>metric.field_name !~ '^-?[0-9]+(\\.[0-9]+)?$')), FALSE)"""


def invalid_filter_sql(properties):
    """SQL: the event (jsonb `properties`) has a filtered property with a value its `metric` does not list."""
    return f"""COALESCE(jsonb_typeof(metric.filters) = 'object' AND EXISTS (
           SELECT 1 FROM jsonb_object_keys(metric.filters) AS filter(key)
            WHERE {properties} ? filter.key AND NOT (metric.filters->filter.key) ? ({properties}->>filter.key)), FALSE)"""


class FusionBillingUsage(models.Model):
    _inherit = 'fusion.billing.usage'

    @api.model
    def _fusion_enqueue_event_errors(self, service, checked):
        """The events.errors webhook of `checked`, rows of (transaction id, missing property,
        invalid filter, late) in storage order; None when no row has a problem."""
        errors = {'invalid_code': [], 'missing_aggregation_property': [], 'invalid_filter_values': [], 'late_events': []}
        for transaction_id, missing_property, invalid_filter, late in checked:
            if missing_property:
                errors['missing_aggregation_property'].append(transaction_id)
            if invalid_filter:
                errors['invalid_filter_values'].append(transaction_id)
            if late:
                errors['late_events'].append(transaction_id)
        if not any(errors.values()):
            return None
        return self.env['fusion.billing.webhook']._fusion_enqueue(service, 'events.errors', 'events_errors', service, errors)
