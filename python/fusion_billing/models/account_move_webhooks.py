"""invoice.* webhooks for invoices of fusion_billing subscriptions, each written in the transaction
of the change that causes it: posting, payment (reconciliation), and the overdue check."""

from odoo import api, fields, models

from ..lago.serializers import invoice_object

# What each invoice webhook embeds, as Lago's webhook services serialize it
# (app/services/webhooks/invoices/*: includes of V1::InvoiceSerializer).
WEBHOOK_INCLUDES = {
    'invoice.created': ('customer', 'subscriptions', 'fees', 'applied_taxes'),
    'invoice.payment_status_updated': ('customer', 'fees'),
    'invoice.payment_overdue': ('customer', 'fees', 'applied_taxes'),
}
# What GET /invoices/{id} embeds (invoices_controller.rb); the list embeds the customer and taxes.
API_INCLUDES = ('customer', 'subscriptions', 'fees', 'applied_taxes')


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
        return self._fusion_subscriptions().fusion_service_id

    def _fusion_subscriptions(self):
        return self.invoice_line_ids.sale_line_ids.order_id.filtered('fusion_external_id')

    def _fusion_customer_link(self, service):
        """The application account of `service` this invoice bills (Lago's customer)."""
        self.ensure_one()
        return self.env['fusion.billing.account.link']._fusion_link_of(service, self.partner_id)

    def _fusion_lago_invoice(self, includes=(), service=None, amounts=None):
        """The invoice as Lago's API and webhooks show it, with `includes` embedded.

        Extension point: a bridge may add keys (never remove or rename Lago's); it must call
        super() and extend the dict it returns."""
        self.ensure_one()
        service = service or self._fusion_services()[:1]
        return invoice_object(self, amounts=amounts, link=self._fusion_customer_link(service), includes=includes)

    def _fusion_notify(self, webhook_type, object_type='invoice', payload=None):
        """Enqueue `webhook_type` for each service this invoice bills; the payload is the invoice
        with what Lago embeds for that type, unless one is given."""
        self.ensure_one()
        for service in self._fusion_services():
            body = payload if payload is not None else self._fusion_lago_invoice(WEBHOOK_INCLUDES.get(webhook_type, ('customer',)), service)
            self.env['fusion.billing.webhook']._fusion_enqueue(service, webhook_type, object_type, self, body)
