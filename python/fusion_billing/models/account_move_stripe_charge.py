"""Charging a subscription invoice off-session on the partner's linked card, through Odoo's own
payment flow: an `offline` payment.transaction with the token, sent by payment_stripe; when Stripe
confirms, account_payment creates the payment and reconciles it with the invoice."""

import logging

from odoo import models
from odoo.fields import Command

_logger = logging.getLogger(__name__)

# A transaction in one of these states is (being) charged: charging again could take the money twice.
_CHARGING_STATES = ('draft', 'pending', 'authorized', 'done')


class AccountMove(models.Model):
    _inherit = 'account.move'

    def _fusion_charge_with_token(self):
        """Charge each chargeable invoice of `self` on its partner's linked Stripe card.

        Returns the transactions created. A declined card leaves its transaction in `error` with
        Stripe's message (and the invoice unpaid); one that needs the customer (3-D Secure) stays
        `draft`; a success is `done` and its payment reconciled with the invoice."""
        transactions = self.env['payment.transaction'].sudo()
        for invoice in self:
            token = invoice._fusion_payment_token() if invoice._fusion_is_chargeable() else None
            if not token:
                continue
            try:
                # A failure of one charge must not undo the invoices of the period close.
                with self.env.cr.savepoint():
                    transaction = invoice._fusion_charge_transaction(token)
                    transaction._charge_with_token()
                    # Nobody comes back from a checkout page to finish an off-session charge:
                    # post-process now, as account_payment does for token payments (a `done`
                    # transaction gets its payment, reconciled with the invoice).
                    transaction._post_process()
            except Exception:  # pylint: disable=broad-exception-caught  # logged; one failed charge must not undo the others
                _logger.exception('Charging invoice %s on payment token %s failed', invoice.name, token.id)
                continue
            transactions |= transaction
        return transactions

    def _fusion_is_chargeable(self):
        """A posted, unpaid customer invoice of a fusion_billing subscription, not being charged."""
        self.ensure_one()
        return (
            self.move_type == 'out_invoice'
            and self.state == 'posted'
            and self.payment_state in ('not_paid', 'partial')
            and self.currency_id.compare_amounts(self.amount_residual, 0) > 0
            and bool(self.invoice_line_ids.sale_line_ids.order_id.filtered('fusion_external_id'))
            and not self.sudo().transaction_ids.filtered(lambda t: t.state in _CHARGING_STATES)
        )

    def _fusion_payment_token(self):
        """The partner's most recent active Stripe token usable by the invoice's company."""
        self.ensure_one()
        partners = self.partner_id | self.partner_id.commercial_partner_id
        tokens = self.env['payment.token'].sudo().search([
            ('partner_id', 'in', partners.ids),
            ('provider_id.code', '=', 'stripe'),
            ('provider_id.state', 'in', ('enabled', 'test')),
            ('provider_id.company_id', '=', self.company_id.id),
        ], order='id desc')
        # The invoiced contact's own card first, then the company's.
        return tokens.filtered(lambda t: t.partner_id == self.partner_id)[:1] or tokens[:1]

    def _fusion_charge_transaction(self, token):
        """An `offline` transaction for the invoice's amount due. payment_stripe derives Stripe's
        Idempotency-Key from its reference, so the reference names what is billed, not the invoice
        number (_fusion_charge_reference_prefix)."""
        self.ensure_one()
        Transaction = self.env['payment.transaction'].sudo()
        prefix = self._fusion_charge_reference_prefix()
        reference = Transaction._compute_reference(token.provider_id.code, prefix=prefix) if prefix else None
        return Transaction.create({
            **({'reference': reference} if reference else {}),
            'provider_id': token.provider_id.id,
            'payment_method_id': token.payment_method_id.id,
            'token_id': token.id,
            'operation': 'offline',
            'amount': self.amount_residual,  # monetary field: Odoo's amount due
            'currency_id': self.currency_id.id,
            'partner_id': self.partner_id.id,
            'invoice_ids': [Command.set(self.ids)],
        })

    def _fusion_charge_reference_prefix(self):
        """The reference of this invoice's first charge: its subscriptions' orders and the end of
        the latest period it bills, e.g. `S00042-20260201` (a later charge of the same invoice,
        after a decline, gets `-1`, `-2`, …); None for an invoice of no subscription period.

        A charge whose transaction is rolled back after Stripe took the money (the process killed
        before the period close committed) is sent again when the close runs again. Its invoice
        then gets the next free number, which another invoice posted meanwhile may have taken:
        a reference (hence an Idempotency-Key) made of the invoice number would charge the card a
        second time, and give the other invoice's charge a key Stripe refuses. This one is the
        same on every attempt, so Stripe replays its first answer."""
        self.ensure_one()
        lines = self.invoice_line_ids.sale_line_ids.filtered(lambda line: line.fusion_period_end and line.order_id.fusion_external_id)
        if not lines:
            return None
        orders = '-'.join(lines.order_id.sorted('id').mapped('name'))
        return f"{orders}-{max(lines.mapped('fusion_period_end')):%Y%m%d}"
