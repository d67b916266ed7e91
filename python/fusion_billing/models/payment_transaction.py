"""invoice.payment_failure and the failed payment status, written when a payment of a
fusion_billing invoice fails (e.g. Stripe declined the card)."""

from odoo import models

from ..lago.ids import lago_id


class PaymentTransaction(models.Model):
    _inherit = 'payment.transaction'

    def _set_error(self, state_message, extra_allowed_states=()):
        failed = super()._set_error(state_message, extra_allowed_states=extra_allowed_states)
        for transaction in failed:
            for invoice in transaction.invoice_ids.filtered(lambda m: m._fusion_services()):
                invoice._fusion_notify('invoice.payment_failure', 'payment_provider_invoice_payment_error',
                                       transaction._fusion_failure_payload(invoice))
                invoice._fusion_notify('invoice.payment_status_updated')
        return failed

    def _fusion_failure_payload(self, invoice):
        """Lago's payment_provider_invoice_payment_error object."""
        self.ensure_one()
        link = invoice._fusion_customer_link(invoice._fusion_services()[:1])
        return {
            'lago_invoice_id': lago_id(invoice),
            'lago_customer_id': lago_id(link),
            'external_customer_id': link.external_id or None,
            'provider_customer_id': self.token_id.provider_ref or None,
            'payment_provider': self.provider_code,
            'payment_provider_code': self.provider_id.code,
            'provider_error': {'message': self.state_message or None, 'error_code': None},
        }
