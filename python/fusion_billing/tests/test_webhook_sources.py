"""Every webhook type is written by the change that causes it, with Lago's payload shape."""

from datetime import date
from decimal import Decimal

from odoo.tests import tagged

from ..lago.events import UsageEvent
from ..lago.ids import lago_id
from .engine_common import EngineCase, dt


@tagged('post_install', '-at_install')
class TestWebhookSources(EngineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Webhook = cls.env['fusion.billing.webhook']

    def webhooks_about(self, record):
        return self.Webhook.search([('object_key', '=', f'{record._name},{record.id}')], order='id')

    def closed_invoice(self, external_id):
        order = self.subscribe(external_id, dt(2026, 1, 1))
        order._fusion_close_periods(until=dt(2026, 2, 1))
        return order.invoice_ids

    def test_customer_created_when_an_account_is_linked(self):
        link = self.env['fusion.billing.account.link'].create(
            {'service_id': self.service.id, 'external_id': 'tnt_abc12345', 'partner_id': self.partner.id})
        [webhook] = self.webhooks_about(link)
        self.assertEqual((webhook.webhook_type, webhook.object_type), ('customer.created', 'customer'))
        self.assertEqual(webhook.payload['customer']['external_id'], 'tnt_abc12345')

    def test_payment_status_updated_when_the_invoice_is_paid(self):
        invoice = self.closed_invoice('src-paid')
        self.env['account.payment.register'].with_context(active_model='account.move', active_ids=invoice.ids).create({})._create_payments()
        self.assertIn(invoice.payment_state, ('paid', 'in_payment'))
        types = self.webhooks_about(invoice).mapped('webhook_type')
        self.assertEqual(types, ['invoice.created', 'invoice.payment_status_updated'])
        self.assertEqual(self.webhooks_about(invoice)[-1].payload['invoice']['payment_status'], 'succeeded')

    def test_payment_failure_when_the_card_is_declined(self):
        invoice = self.closed_invoice('src-declined')
        provider = self.env.ref('payment.payment_provider_stripe')
        transaction = self.env['payment.transaction'].create({
            'provider_id': provider.id,
            'payment_method_id': self.env.ref('payment.payment_method_card').id,
            'reference': f'fb-test-{invoice.id}',
            'amount': invoice.amount_total,
            'currency_id': invoice.currency_id.id,
            'partner_id': invoice.partner_id.id,
            'invoice_ids': [(6, 0, invoice.ids)],
        })
        transaction._set_error('Your card was declined.')
        webhooks = self.webhooks_about(invoice)
        self.assertEqual(webhooks.mapped('webhook_type'), ['invoice.created', 'invoice.payment_failure', 'invoice.payment_status_updated'])
        failure = webhooks[1].payload
        self.assertEqual(failure['object_type'], 'payment_provider_invoice_payment_error')
        self.assertEqual(failure['payment_provider_invoice_payment_error']['provider_error']['message'], 'Your card was declined.')
        self.assertEqual(failure['payment_provider_invoice_payment_error']['lago_invoice_id'], lago_id(invoice))
        self.assertEqual(webhooks[2].payload['invoice']['payment_status'], 'failed')

    def test_payment_overdue_once_when_the_due_date_passes(self):
        invoice = self.closed_invoice('src-overdue')
        invoice.invoice_date_due = date(2026, 2, 15)
        self.env['account.move']._cron_fusion_notify_overdue()
        self.env['account.move']._cron_fusion_notify_overdue()
        self.assertEqual(self.webhooks_about(invoice).mapped('webhook_type'), ['invoice.created', 'invoice.payment_overdue'])
        self.assertTrue(invoice.fusion_overdue_notified)

    def test_events_errors_lists_events_that_will_not_bill_as_sent(self):
        order = self.subscribe('src-events', dt(2026, 1, 1))
        order.fusion_closed_until = dt(2026, 1, 3)
        egress = self.env.ref('fusion_billing.metric_nc_egress_gb')  # sum of gb
        requests = self.env.ref('fusion_billing.metric_nc_api_requests')  # count, filtered on region

        def event(transaction_id, metric, properties, at=dt(2026, 1, 4)):
            return UsageEvent(metric.id, metric.code, 'src-events', transaction_id, at, True, properties)

        events = [
            event('gb-text', egress, {'gb': '5'}),
            event('gb-number', egress, {'gb': Decimal('2.50')}),
            event('gb-none', egress, {}),
            event('gb-lots', egress, {'gb': 'lots'}),
            event('gb-true', egress, {'gb': True}),
            event('region-listed', requests, {'region': 'ca-central'}),
            event('region-unlisted', requests, {'region': 'eu-west'}),
            event('region-absent', requests, {}),
            event('late', requests, {'region': 'us-east'}, at=dt(2026, 1, 2)),
        ]
        Usage = self.env['fusion.billing.usage']
        self.assertFalse(Usage._fusion_ingest(self.service, events).conflicts)
        webhooks = self.webhooks_about(self.service)
        self.assertEqual(len(webhooks), 1, [(w.webhook_type, w.endpoint_id.code, w.payload) for w in webhooks])
        webhook = webhooks
        self.assertEqual((webhook.webhook_type, webhook.object_type), ('events.errors', 'events_errors'))
        self.assertEqual(webhook.payload['events_errors'], {
            'invalid_code': [],
            'missing_aggregation_property': ['gb-none', 'gb-lots', 'gb-true'],
            'invalid_filter_values': ['region-unlisted'],
            'missing_group_key': [],
            'late_events': ['late'],
            'unattached_events': [],
        })
        # Stored with the event, for the "Will not bill as sent" filter.
        flagged = Usage.search([('external_subscription_id', '=', 'src-events'), '|', ('missing_property', '=', True), ('invalid_filter', '=', True)])
        self.assertEqual(sorted(flagged.mapped('transaction_id')), ['gb-lots', 'gb-none', 'gb-true', 'region-unlisted'])
        # Resends store and report nothing; a batch without problems reports nothing.
        self.assertFalse(Usage._fusion_ingest(self.service, events).conflicts)
        self.assertFalse(Usage._fusion_ingest(self.service, [event('gb-fine', egress, {'gb': 1})]).conflicts)
        self.assertEqual(len(self.webhooks_about(self.service)), 1)
