"""Charging a closed period's invoice off-session on the linked card: Stripe's answer drives the
transaction, and account_payment pays (or not) the invoice."""

from decimal import Decimal

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .engine_common import dt
from .stripe_common import LAGO_CUSTOMER, STRIPE_ERROR_LOGGER, StripeCase


class _Killed(Exception):
    """The process dying mid-close: what the close did is rolled back."""


@tagged('post_install', '-at_install')
class TestStripeCharge(StripeCase):

    def closed_invoice(self, external_id, partner=None):
        """Close January: the invoice is posted and, when the customer has a linked card, charged."""
        order = self.subscribe(external_id, dt(2026, 1, 1), partner=partner)
        order._fusion_close_periods(until=dt(2026, 2, 1))
        invoice = order.invoice_ids
        self.assertEqual((len(invoice), invoice.state), (1, 'posted'))
        return invoice

    def customer_with_card(self, name, customer_id, card_id):
        partner = self.env['res.partner'].create({'name': name, 'tz': 'UTC'})
        self.stub.seed_customer(customer_id, [(card_id, 'visa', card_id[-4:])])
        partner._fusion_link_stripe_customer(customer_id)
        return partner

    def webhook_types(self, invoice):
        return self.env['fusion.billing.webhook'].search(
            [('object_key', '=', f'account.move,{invoice.id}')], order='id').mapped('webhook_type')

    def test_closing_a_period_charges_the_linked_card_and_pays_the_invoice(self):
        token = self.partner._fusion_link_stripe_customer(LAGO_CUSTOMER)
        self.stub.requests.clear()

        invoice = self.closed_invoice('charge-ok')

        transaction = invoice.transaction_ids
        amount_due = invoice.amount_total

        self.assertRecordValues(transaction, [{
            'state': 'done', 'operation': 'offline', 'token_id': token.id, 'amount': amount_due,
            'currency_id': invoice.currency_id.id, 'partner_id': invoice.partner_id.id, 'is_post_processed': True,
        }])
        self.assertEqual(transaction.invoice_ids, invoice)
        # Named after what is billed (the order and the period's end), not the invoice number.
        self.assertEqual(transaction.reference, f'{invoice.invoice_line_ids.sale_line_ids.order_id.name}-20260201')
        self.assertTrue(transaction.provider_reference.startswith('pi_'))
        self.assertIn(invoice.payment_state, ('paid', 'in_payment'))
        self.assertEqual(transaction.payment_id.reconciled_invoice_ids, invoice)
        [request] = self.stub.requests
        self.assertEqual((request['method'], request['path']), ('POST', '/v1/payment_intents'))
        cents = int(Decimal(str(amount_due)).scaleb(invoice.currency_id.decimal_places))
        self.assertEqual(request['params'], {
            **request['params'],
            'amount': str(cents), 'currency': invoice.currency_id.name.lower(), 'confirm': 'True',
            'off_session': 'True', 'customer': LAGO_CUSTOMER, 'payment_method': token.stripe_payment_method,
            'description': transaction.reference,
        })
        self.assertTrue(request['headers'].get('idempotency-key'))
        self.assertEqual(self.webhook_types(invoice), ['invoice.created', 'invoice.payment_status_updated'])

    @mute_logger(STRIPE_ERROR_LOGGER)
    def test_a_declined_card_leaves_the_invoice_unpaid(self):
        partner = self.customer_with_card('Declined Inc.', 'cus_DECLINED', 'pm_card_0002')
        self.stub.declining.add('pm_card_0002')
        invoice = self.closed_invoice('charge-declined', partner=partner)

        transaction = invoice.transaction_ids

        self.assertEqual(transaction.state, 'error')
        self.assertIn('Your card was declined.', transaction.state_message)
        self.assertFalse(transaction.payment_id)
        self.assertEqual(invoice.payment_state, 'not_paid')
        self.assertEqual(self.webhook_types(invoice),
                         ['invoice.created', 'invoice.payment_failure', 'invoice.payment_status_updated'])

    @mute_logger(STRIPE_ERROR_LOGGER)
    def test_a_declined_invoice_is_charged_again_under_a_new_reference(self):
        partner = self.customer_with_card('Retry Inc.', 'cus_RETRY', 'pm_card_0003')
        self.stub.declining.add('pm_card_0003')
        invoice = self.closed_invoice('charge-retry', partner=partner)
        declined = invoice.transaction_ids
        self.stub.declining.discard('pm_card_0003')

        paid = invoice._fusion_charge_with_token()

        self.assertEqual((declined.state, paid.state), ('error', 'done'))
        self.assertNotEqual(declined.reference, paid.reference)
        first, second = self.stub.requests_to('POST', '/v1/payment_intents')
        # A new reference, hence a new Idempotency-Key: Stripe does not replay the decline.
        self.assertNotEqual(first['headers']['idempotency-key'], second['headers']['idempotency-key'])
        self.assertIn(invoice.payment_state, ('paid', 'in_payment'))

    def test_a_charge_rolled_back_after_stripe_took_it_is_sent_again_under_the_same_key(self):
        """The process killed after Stripe charged the card, before the period close committed
        (fault scenario 3): the close runs again after another invoice took the number the first
        attempt had. Stripe must get the same request under the same Idempotency-Key, which it
        answers with the first PaymentIntent, not a second charge."""
        partner = self.customer_with_card('Killed Inc.', 'cus_KILLED', 'pm_card_0005')
        order = self.subscribe('charge-killed', dt(2026, 1, 1), partner=partner)

        with self.assertRaises(_Killed), self.env.cr.savepoint():
            order._fusion_close_periods(until=dt(2026, 2, 1))
            self.assertEqual(order.invoice_ids.transaction_ids.state, 'done')
            raise _Killed
        self.assertFalse(order.invoice_ids)
        other = self.env['account.move'].create({
            'move_type': 'out_invoice', 'partner_id': self.env['res.partner'].create({'name': 'Meanwhile Ltd.'}).id,
            'invoice_line_ids': [Command.create({'name': 'Consulting', 'quantity': 1, 'price_unit': 100.0})],
        })
        other.action_post()
        order._fusion_close_periods(until=dt(2026, 2, 1))

        first, second = self.stub.requests_to('POST', '/v1/payment_intents')
        self.assertEqual(first['headers']['idempotency-key'], second['headers']['idempotency-key'])
        self.assertEqual(first['params'], second['params'])
        self.assertEqual(order.invoice_ids.transaction_ids.mapped('reference'), [f'{order.name}-20260201'])

    def test_an_invoice_being_charged_is_not_charged_twice(self):
        partner = self.customer_with_card('Secure Inc.', 'cus_3DS', 'pm_card_3184')
        self.stub.needing_action.add('pm_card_3184')
        invoice = self.closed_invoice('charge-3ds', partner=partner)

        waiting = invoice.transaction_ids
        again = invoice._fusion_charge_with_token()

        # 3-D Secure: the customer must act; the transaction waits in draft, nothing is paid.
        self.assertEqual(waiting.state, 'draft')
        self.assertFalse(again)
        self.assertEqual(len(self.stub.requests_to('POST', '/v1/payment_intents')), 1)
        self.assertEqual(invoice.payment_state, 'not_paid')

    def test_only_unpaid_subscription_invoices_with_a_card_are_charged(self):
        no_card = self.env['res.partner'].create({'name': 'No Card Ltd.', 'tz': 'UTC'})
        without_token = self.closed_invoice('charge-no-card', partner=no_card)
        paid = self.closed_invoice('charge-paid')
        self.env['account.payment.register'].with_context(
            active_model='account.move', active_ids=paid.ids).create({})._create_payments()
        self.partner._fusion_link_stripe_customer(LAGO_CUSTOMER)
        manual = self.env['account.move'].create({
            'move_type': 'out_invoice', 'partner_id': self.partner.id,
            'invoice_line_ids': [Command.create({'name': 'Consulting', 'quantity': 1, 'price_unit': 100.0})],
        })
        manual.action_post()
        self.stub.requests.clear()

        self.assertFalse((without_token | paid | manual)._fusion_charge_with_token())
        self.assertFalse(self.stub.requests)
