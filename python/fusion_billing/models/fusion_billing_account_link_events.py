"""customer.created, written with the link that makes an application account a customer, and
customer.updated when the application sends an existing account again (POST /customers is
Lago's upsert: app/services/customers/upsert_from_api_service.rb)."""

from odoo import api, models

from ..lago.serializers import customer_object


class FusionBillingAccountLink(models.Model):
    _inherit = 'fusion.billing.account.link'

    @api.model_create_multi
    def create(self, vals_list):
        links = super().create(vals_list)
        # The API sends the webhook itself once the customer is complete (payment provider linked).
        if not self.env.context.get('fusion_defer_customer_webhook'):
            for link in links:
                link._fusion_notify('customer.created')
        return links

    def _fusion_notify(self, webhook_type):
        self.ensure_one()
        # Lago's customer webhooks include the integration customers (app/services/webhooks/customers/*).
        self.env['fusion.billing.webhook']._fusion_enqueue(
            self.service_id, webhook_type, 'customer', self, self._fusion_lago_customer(('integration_customers',)))

    def _fusion_lago_customer(self, includes=()):
        """The customer as Lago's API and webhooks show it.

        Extension point: a bridge may add keys (never remove or rename Lago's); it must call
        super() and extend the dict it returns."""
        self.ensure_one()
        return customer_object(self, includes)
