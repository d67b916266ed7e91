"""invoice.* webhooks for invoices of fusion_billing subscriptions, written with the posting itself."""

from odoo import models

from ..lago.serializers import invoice_payload


class AccountMove(models.Model):
    _inherit = 'account.move'

    def _post(self, soft=True):
        posted = super()._post(soft)
        for move in posted.filtered(lambda m: m.is_invoice(include_receipts=False)):
            move._fusion_notify('invoice.created')
        return posted

    def _fusion_services(self):
        return self.invoice_line_ids.sale_line_ids.order_id.filtered('fusion_external_id').fusion_service_id

    def _fusion_notify(self, webhook_type):
        self.ensure_one()
        services = self._fusion_services()
        if not services:
            return
        payload = invoice_payload(self)
        for service in services:
            self.env['fusion.billing.webhook']._fusion_enqueue(service, webhook_type, 'invoice', self, payload)
