"""Progressive billing (Lago's usage thresholds) on a real Odoo: a month whose usage passes two
thresholds is invoiced twice while it runs, then its own invoice deducts both; the next month's
usage passes the recurring threshold. Figures by hand: storage at 0.10 per GB, a 10.00 base fee,
thresholds 5.00 and 12.00 once, then every 10.00 beyond the largest.

March: 60 GB (6.00) passes 5.00: progressive invoice 6.00. 130 GB (13.00) passes 12.00: progressive
invoice 13.00 − 6.00 = 7.00. 150 GB at the close: 10.00 + 15.00 − 13.00 = 12.00; 6 + 7 + 12 = 25.00.
April: lifetime usage invoiced 15.00 is past 12.00; 15.00 % 10.00 = 5.00, so 5.00 of April's usage
passes the recurring threshold (Lago's check_service_spec: [11, 9] → recurring)."""

from datetime import datetime
from decimal import Decimal
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestProgressiveBilling(FusionApiCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.progressive = cls._plan(cls.cloud, 'api_cloud_progressive', '10.00', {cls.storage: {'amount': '0.10'}})
        cls.progressive.fusion_usage_thresholds = [
            {'amount_cents': 500, 'recurring': False, 'threshold_display_name': 'First usage invoice'},
            {'amount_cents': 1200, 'recurring': False, 'threshold_display_name': None},
            {'amount_cents': 1000, 'recurring': True, 'threshold_display_name': 'Every 10.00'},
        ]
        cls.endpoint = cls.env['fusion.billing.webhook.endpoint'].create(
            {'service_id': cls.cloud.id, 'code': 'progressive', 'url': 'http://127.0.0.1:9/hooks'})

    def now(self, moment):
        return patch.object(fields.Datetime, 'now', lambda *args, **kwargs: moment)

    def subscribe(self, external_id, **extra):
        with self.now(datetime(2026, 3, 1)):
            self.assertOk(self.post('/subscriptions', {'subscription': {
                'external_customer_id': 'tnt_progress01', 'plan_code': 'api_cloud_progressive', 'external_id': external_id,
                'subscription_at': '2026-03-01T00:00:00Z', **extra}}))
        return self.env['sale.order'].search([('fusion_external_id', '=', external_id)])

    def store(self, external_id, gb, moment):
        self.assertOk(self.post('/events', {'event': {
            'transaction_id': f'{external_id}-{moment.isoformat()}', 'external_subscription_id': external_id,
            'code': 'storage_gb', 'timestamp': int((moment - datetime(1970, 1, 1)).total_seconds()), 'properties': {'gb': gb}}}))

    def check(self, moment):
        with self.now(moment):
            return self.env['sale.order']._fusion_with_thresholds()._fusion_check_thresholds(now=moment)

    def lago_invoice(self, move):
        return self.assertOk(self.get(f"/invoices/{move._fusion_lago_invoice()['lago_id']}"))['invoice']

    def reached(self, order):
        hooks = self.env['fusion.billing.webhook'].search([
            ('endpoint_id', '=', self.endpoint.id), ('webhook_type', '=', 'subscription.usage_threshold_reached'),
            ('object_key', '=', f'sale.order,{order.id}')], order='id')
        return [hook.payload['subscription']['usage_threshold']['amount_cents'] for hook in hooks]

    def test_two_thresholds_in_a_month_then_the_period_invoice_deducts_them(self):
        order = self.subscribe('sub_progress')
        self.store('sub_progress', 40, datetime(2026, 3, 3))
        self.assertFalse(self.check(datetime(2026, 3, 3, 12)), '4.00 passes nothing')
        self.store('sub_progress', 20, datetime(2026, 3, 5))
        (first,) = self.check(datetime(2026, 3, 5, 12))
        self.assertEqual((first.state, Decimal(str(first.amount_untaxed))), ('posted', Decimal('6.0')))
        self.assertFalse(self.check(datetime(2026, 3, 6)), 'a threshold is invoiced once')
        self.assertEqual(self.reached(order), [500])

        self.store('sub_progress', 70, datetime(2026, 3, 10))
        (second,) = self.check(datetime(2026, 3, 10, 12))
        self.assertEqual(Decimal(str(second.amount_untaxed)), Decimal('7.0'))
        self.assertEqual(self.reached(order), [500, 1200])

        self.store('sub_progress', 20, datetime(2026, 3, 20))
        with self.now(datetime(2026, 4, 1)):
            order._fusion_close_periods(until=datetime(2026, 4, 1))
        final = order.invoice_ids.filtered(lambda move: move not in first | second)
        self.assertEqual(Decimal(str(final.amount_untaxed)), Decimal('12.0'))
        self.assertEqual(sum(Decimal(str(move.amount_untaxed)) for move in first | second | final), Decimal('25.0'))

        # As Lago's API shows them: progressive invoices with their thresholds, credits deducted.
        shown = [self.lago_invoice(move) for move in (first, second, final)]
        self.assertEqual([(i['invoice_type'], i['fees_amount_cents'], i['progressive_billing_credit_amount_cents'],
                           i['sub_total_excluding_taxes_amount_cents']) for i in shown],
                         [('progressive_billing', 600, 0, 600), ('progressive_billing', 1300, 600, 700), ('subscription', 2500, 1300, 1200)])
        self.assertEqual([[(a['usage_threshold']['amount_cents'], a['lifetime_usage_amount_cents'])
                           for a in i.get('applied_usage_thresholds', [])] for i in shown],
                         [[(500, 600)], [(1200, 1300)], []])
        self.assertEqual(shown[0]['applied_usage_thresholds'][0]['usage_threshold']['threshold_display_name'], 'First usage invoice')
        self.assertEqual(sorted(fee['amount_cents'] for fee in shown[2]['fees']), [1000, 1500], 'fees before the credit')
        # Lago's invoice_type filter tells them apart.
        listed = lambda kind: sorted(i['fees_amount_cents'] for i in self.assertOk(self.get('/invoices', params={  # noqa: E731
            'external_customer_id': 'tnt_progress01', 'invoice_type': kind}))['invoices'])
        self.assertEqual((listed('progressive_billing'), listed('subscription')), ([600, 1300], [2500]))
        # Past usage reports the month as its own invoice billed it: 150 GB, 15.00 of charges.
        (march,) = order._fusion_past_usage()
        self.assertEqual((march['charges_usage'][0]['units'], march['charges_usage'][0]['amount_cents'], march['amount_cents']), ('150.0', 1500, 1200))

        # April: invoiced 15.00 is past the largest one-time threshold; the recurring one passes when
        # April's usage plus 15.00 % 10.00 reaches 10.00: not at 4.00, at 5.00.
        self.store('sub_progress', 40, datetime(2026, 4, 3))
        self.assertFalse(self.check(datetime(2026, 4, 3, 12)))
        self.store('sub_progress', 10, datetime(2026, 4, 4))
        (april,) = self.check(datetime(2026, 4, 4, 12))
        self.assertEqual(Decimal(str(april.amount_untaxed)), Decimal('5.0'))
        self.assertEqual(self.reached(order), [500, 1200, 1000])
        payload = self.env['fusion.billing.webhook'].search([('webhook_type', '=', 'subscription.usage_threshold_reached')], order='id desc', limit=1).payload
        self.assertEqual((payload['object_type'], payload['subscription']['external_id'], payload['subscription']['usage_threshold']['recurring']),
                         ('subscription', 'sub_progress', True))
        self.assertEqual([t['amount_cents'] for t in payload['subscription']['applicable_usage_thresholds']], [500, 1200, 1000])
        self.assertEqual(payload['subscription']['plan']['code'], 'api_cloud_progressive')

        # Lago's lifetime usage: 15.00 invoiced, 5.00 this month; the one-time thresholds reached when
        # their invoices were made, the recurring one's next step as Lago's completion service puts it.
        with self.now(datetime(2026, 4, 4, 13)):
            lifetime = self.assertOk(self.get('/subscriptions/sub_progress/lifetime_usage'))['lifetime_usage']
        shown_keys = ('external_subscription_id', 'external_historical_usage_amount_cents', 'invoiced_usage_amount_cents',
                      'current_usage_amount_cents', 'from_datetime')
        self.assertEqual({key: lifetime[key] for key in shown_keys},
                         {'external_subscription_id': 'sub_progress', 'external_historical_usage_amount_cents': 0, 'invoiced_usage_amount_cents': 1500,
                          'current_usage_amount_cents': 500, 'from_datetime': '2026-03-01T00:00:00Z'})
        self.assertEqual([(t['amount_cents'], t['completion_ratio'], t['reached_at']) for t in lifetime['usage_thresholds']],
                         [(500, 1.0, '2026-03-05T12:00:00Z'), (1200, 1.0, '2026-03-10T12:00:00Z'), (2800, 0.2, None)])

    def test_usage_billed_beyond_the_final_usage_is_credited_back(self):
        order = self.subscribe('sub_progress_credit')
        self.store('sub_progress_credit', 80, datetime(2026, 3, 5))
        (first,) = self.check(datetime(2026, 3, 5, 12))
        self.assertEqual(Decimal(str(first.amount_untaxed)), Decimal('8.0'))
        # An operator removes half of the usage (a correction): the month ends at 4.00 of storage.
        rows = self.env['fusion.billing.usage'].search([('order_id', '=', order.id)])
        rows.write({'value': 40.0})
        with self.now(datetime(2026, 4, 1)):
            order._fusion_close_periods(until=datetime(2026, 4, 1))
        final = order.invoice_ids.filtered(lambda move: move.move_type == 'out_invoice' and move != first)
        self.assertEqual(Decimal(str(final.amount_untaxed)), Decimal('10.0'), 'the base fee; 4.00 of usage minus 4.00 deducted')
        refund = (order.invoice_ids.filtered(lambda move: move.move_type == 'out_refund')
                  | self.env['account.move'].search([('reversed_entry_id', '=', first.id)]))
        self.assertEqual([(move.state, Decimal(str(move.amount_untaxed))) for move in refund], [('posted', Decimal('4.0'))])

    def test_usage_billed_before_the_migration_counts_in_lifetime_usage(self):
        order = self.subscribe('sub_progress_migrated')
        # 11.00 billed by Lago before (Lago's PUT lifetime_usage): 5.00 is behind, 12.00 ahead.
        self.assertOk(self.call('PUT', '/subscriptions/sub_progress_migrated/lifetime_usage', self.cloud_key,
                                {'lifetime_usage': {'external_historical_usage_amount_cents': 1100}}))
        self.assertEqual(order.fusion_historical_usage_cents, 1100)
        self.assertApiError(self.call('PUT', '/subscriptions/sub_progress_migrated/lifetime_usage', self.cloud_key,
                                      {'lifetime_usage': {'external_historical_usage_amount_cents': '11.00'}}), 422)
        self.store('sub_progress_migrated', 20, datetime(2026, 3, 5))
        (invoice,) = self.check(datetime(2026, 3, 5, 12))
        self.assertEqual(Decimal(str(invoice.amount_untaxed)), Decimal('2.0'))
        self.assertEqual(self.reached(order), [1200])

    def test_disabled_progressive_billing_and_shadow_services_bill_nothing_early(self):
        order = self.subscribe('sub_progress_off', progressive_billing_disabled=True)
        self.assertTrue(order.fusion_progressive_billing_disabled)
        shown = self.assertOk(self.get('/subscriptions/sub_progress_off'))['subscription']
        self.assertIs(shown['progressive_billing_disabled'], True)
        self.store('sub_progress_off', 200, datetime(2026, 3, 5))
        self.assertFalse(self.check(datetime(2026, 3, 5, 12)))
        self.assertFalse(order.invoice_ids)
        # Turned back on by PUT /subscriptions, the next check bills it.
        self.assertOk(self.call('PUT', '/subscriptions/sub_progress_off', self.cloud_key, {'subscription': {'progressive_billing_disabled': False}}))
        (invoice,) = self.check(datetime(2026, 3, 5, 13))
        self.assertEqual(Decimal(str(invoice.amount_untaxed)), Decimal('20.0'))
        # Lago lists the plan's thresholds.
        plan = self.assertOk(self.get('/plans/api_cloud_progressive'))['plan']
        self.assertEqual([(t['amount_cents'], t['recurring'], t['threshold_display_name']) for t in plan['usage_thresholds']],
                         [(500, False, 'First usage invoice'), (1200, False, None), (1000, True, 'Every 10.00')])
