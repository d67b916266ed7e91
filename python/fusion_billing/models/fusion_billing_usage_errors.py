"""events.errors: accepted events that will not bill as the application may expect, reported to
it in the transaction that stores them. Lago's categories (missing_aggregation_property,
invalid_filter_values; invalid_code cannot happen here, the API refuses unknown codes) plus
late_events: events for a period that was already billed. The checks run in the ingestion
statement and are stored on the event (missing_property, invalid_filter, late), so that the
events that will not bill as sent can be found later too."""

from odoo import api, models


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
