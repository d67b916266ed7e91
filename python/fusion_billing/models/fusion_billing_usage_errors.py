"""events.errors: accepted events that will not bill as the application may expect, reported to
it in the transaction that stores them. Lago's categories (invalid_code, missing_aggregation_property,
invalid_filter_values; missing_group_key stays empty, there are no grouped charges) plus two of
this module's own, which Lago receivers ignore: late_events (for a period that was already billed)
and unattached_events (for a subscription that does not exist yet; only when the service accepts
them). invalid_code only happens when the service accepts events of unknown metrics. The checks run
in the ingestion statement and are stored on the event (missing_property, invalid_filter, late,
code, order_id), so that the events that will not bill as sent can be found later too."""

from odoo import api, models


class FusionBillingUsage(models.Model):
    _inherit = 'fusion.billing.usage'

    @api.model
    def _fusion_enqueue_event_errors(self, service, checked):
        """The events.errors webhook of `checked` (EventChecks, in storage order); None when no
        event has a problem."""
        errors = {'invalid_code': [], 'missing_aggregation_property': [], 'invalid_filter_values': [],
                  'missing_group_key': [], 'late_events': [], 'unattached_events': []}
        for check in checked:
            for category, flagged in (('invalid_code', check.unknown_code),
                                      ('missing_aggregation_property', check.missing_property),
                                      ('invalid_filter_values', check.invalid_filter),
                                      ('late_events', check.late),
                                      ('unattached_events', check.unattached)):
                if flagged:
                    errors[category].append(check.transaction_id)
        if not any(errors.values()):
            return None
        return self.env['fusion.billing.webhook']._fusion_enqueue(service, 'events.errors', 'events_errors', service, errors)
