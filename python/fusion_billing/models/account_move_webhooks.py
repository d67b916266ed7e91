"""invoice.* webhooks for invoices of fusion_billing subscriptions, each written in the transaction
of the change that causes it: posting, payment (reconciliation), and the overdue check."""

from odoo import api, fields, models

from ..lago.serializers import invoice_payload


class AccountMove(models.Model):
    _inherit = 'account.move'

    def _post(self, soft=True):
        posted = super()._post(soft)
        for move in posted.filtered(lambda m: m.is_invoice(include_receipts=False)):
            move._fusion_notify('invoice.created')
        return posted

    def _invoice_paid_hook(self):
        # Called by the reconciliation that makes invoices paid or in payment.
        result = super()._invoice_paid_hook()
        for move in self:
            move._fusion_notify('invoice.payment_status_updated')
        return result

    @api.model
    def _cron_fusion_notify_overdue(self):
        """invoice.payment_overdue, once per invoice, when its due date has passed unpaid."""
        overdue = self.search([
            ('move_type', '=', 'out_invoice'),
            ('state', '=', 'posted'),
            ('payment_state', 'in', ('not_paid', 'partial')),
            ('invoice_date_due', '<', fields.Date.context_today(self)),
            ('fusion_overdue_notified', '=', False),
            ('invoice_line_ids.sale_line_ids.order_id.fusion_external_id', '!=', False),
        ])
        for move in overdue:
            move._fusion_notify('invoice.payment_overdue')
        overdue.fusion_overdue_notified = True

    def _fusion_services(self):
        return self.invoice_line_ids.sale_line_ids.order_id.filtered('fusion_external_id').fusion_service_id

    def _fusion_notify(self, webhook_type, object_type='invoice', payload=None):
        self.ensure_one()
        services = self._fusion_services()
        if not services:
            return
        payload = payload if payload is not None else invoice_payload(self)
        for service in services:
            self.env['fusion.billing.webhook']._fusion_enqueue(service, webhook_type, object_type, self, payload)
