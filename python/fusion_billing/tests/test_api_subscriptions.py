"""Subscriptions, current usage and invoices through the API; they rely on the usage engine's
sale.order methods (_fusion_create_subscription, _fusion_terminate, _fusion_customer_usage)."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from odoo.tests import tagged

from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestApiSubscriptions(FusionApiCase):

    def subscribe(self, external_customer_id, external_id, plan_code='api_cloud_pro', key=None, **fields):
        payload = {'subscription': {'external_customer_id': external_customer_id, 'plan_code': plan_code,
                                    'external_id': external_id, **fields}}
        return self.post('/subscriptions', payload, key)

    def order(self, service, external_id):
        return self.env['sale.order'].search(
            [('fusion_service_id', '=', service.id), ('fusion_external_id', '=', external_id)])

    def test_create_subscription_for_a_new_customer(self):
        body = self.assertOk(self.subscribe('tnt_newcust1', 'sub_new_1', name='Main project',
                                            subscription_at='2026-01-15T10:00:00Z'))['subscription']
        order = self.order(self.cloud, 'sub_new_1')
        link = self.link(self.cloud, 'tnt_newcust1')
        self.assertTrue(link, 'the unknown customer is created, like Lago does')
        self.assertEqual(order.partner_id, link.partner_id)
        self.assertEqual(order.state, 'sale')
        self.assertEqual(order.sale_order_template_id, self.cloud_plan)
        self.assertEqual(order.fusion_started_at, datetime(2026, 1, 15, 10, 0))
        self.assertEqual(body, {
            'lago_id': f'sale.order-{order.id}',
            'external_id': 'sub_new_1',
            'lago_customer_id': f'res.partner-{link.partner_id.id}',
            'external_customer_id': 'tnt_newcust1',
            'name': 'Main project',
            'plan_code': 'api_cloud_pro',
            'status': 'active',
            'billing_time': 'calendar',
            'subscription_at': '2026-01-15T10:00:00Z',
            'started_at': '2026-01-15T10:00:00Z',
            'terminated_at': None,
            'created_at': body['created_at'],
        })

    def test_subscription_of_an_existing_customer(self):
        customer = self.customer('tnt_existing1', name='Existing', email='existing@corp.test')
        body = self.assertOk(self.subscribe('tnt_existing1', 'sub_existing'))['subscription']
        self.assertEqual(body['lago_customer_id'], customer['lago_id'])
        self.assertEqual(len(self.env['fusion.billing.account.link'].search([('external_id', '=', 'tnt_existing1')])), 1)

    def test_events_received_before_the_subscription_are_adopted(self):
        self.assertOk(self.post('/events', {'event': {
            'transaction_id': 'tx-early', 'external_subscription_id': 'sub_later', 'code': 'api_requests'}}))
        self.assertOk(self.subscribe('tnt_later001', 'sub_later'))
        self.assertEqual(self.usage_rows(transaction_id='tx-early').order_id, self.order(self.cloud, 'sub_later'))

    def test_unknown_plan_is_404_and_writes_nothing(self):
        for key, plan_code in ((self.cloud_key, 'no_such_plan'), (self.desk_key, 'api_cloud_pro')):
            with self.subTest(plan_code=plan_code):
                body = self.assertApiError(self.subscribe('ws-77777' if key == self.desk_key else 'tnt_noplan01',
                                                          'sub_noplan', plan_code, key=key), 404, 'plan_not_found')
                self.assertEqual(body, {'status': 404, 'error': 'Not Found', 'code': 'plan_not_found'})
        self.assertFalse(self.env['fusion.billing.account.link'].search([('external_id', 'in', ('tnt_noplan01', 'ws-77777'))]))
        self.assertFalse(self.env['sale.order'].search([('fusion_external_id', '=', 'sub_noplan')]))

    def test_external_id_is_unique_per_service(self):
        self.assertOk(self.subscribe('tnt_uniq0001', 'sub_taken'))
        self.assertApiError(self.subscribe('tnt_uniq0002', 'sub_taken'), 422, 'validation_errors',
                            {'external_id': ['value_already_exist']})
        self.assertFalse(self.link(self.cloud, 'tnt_uniq0002'))
        self.assertOk(self.subscribe('ws-88888', 'sub_taken', 'api_desk_team', key=self.desk_key))

    def test_invalid_subscription_fields_are_422(self):
        self.assertApiError(self.post('/subscriptions', {'subscription': {'name': 'x'}}), 422, 'validation_errors', {
            'external_customer_id': ['value_is_mandatory'], 'plan_code': ['value_is_mandatory'],
            'external_id': ['value_is_mandatory']})
        self.assertApiError(
            self.subscribe('bad id', 'sub_x', subscription_at='next week', billing_time='anniversary'),
            422, 'validation_errors', {'external_customer_id': ['invalid_format'], 'subscription_at': ['invalid_date'],
                                       'billing_time': ['value_is_invalid']})
        self.assertFalse(self.env['sale.order'].search([('fusion_external_id', '=', 'sub_x')]))

    def test_terminate(self):
        self.assertOk(self.subscribe('tnt_termin01', 'sub_end'))
        self.assertApiError(self.call('DELETE', '/subscriptions/sub_end', self.desk_key), 404, 'subscription_not_found')
        self.assertEqual(self.order(self.cloud, 'sub_end').fusion_status, 'active')
        body = self.assertOk(self.call('DELETE', '/subscriptions/sub_end', self.cloud_key))['subscription']
        self.assertEqual(body['status'], 'terminated')
        self.assertEqual(body['external_customer_id'], 'tnt_termin01')
        self.assertTrue(body['terminated_at'])
        self.assertEqual(self.order(self.cloud, 'sub_end').fusion_status, 'terminated')
        self.assertApiError(self.call('DELETE', '/subscriptions/sub_end', self.cloud_key), 404, 'subscription_not_found')
        self.assertApiError(self.call('DELETE', '/subscriptions/nope', self.cloud_key), 404, 'subscription_not_found')

    def test_current_usage(self):
        self.assertOk(self.subscribe('tnt_usage001', 'sub_usage'))
        for i in range(3):
            self.assertOk(self.post('/events', {'event': {
                'transaction_id': f'tx-usage-{i}', 'external_subscription_id': 'sub_usage', 'code': 'api_requests'}}))
        usage = self.assertOk(self.get('/customers/tnt_usage001/current_usage',
                                       params={'external_subscription_id': 'sub_usage'}))['customer_usage']
        self.assertEqual(usage['currency'], self.currency.name)
        for key in ('from_datetime', 'to_datetime', 'amount_cents', 'taxes_amount_cents', 'total_amount_cents', 'charges_usage'):
            self.assertIn(key, usage)
        charge = next(c for c in usage['charges_usage'] if c['billable_metric']['code'] == 'api_requests')
        self.assertEqual(charge['units'], '3')
        self.assertEqual(charge['amount_cents'], 3)
        untaxed = self.assertOk(self.get('/customers/tnt_usage001/current_usage',
                                         params={'external_subscription_id': 'sub_usage', 'apply_taxes': 'false'}))
        self.assertEqual(untaxed['customer_usage']['taxes_amount_cents'], 0)

    def test_current_usage_errors(self):
        self.assertOk(self.subscribe('tnt_usage002', 'sub_usage_2'))
        self.customer('tnt_usage003')
        path = '/customers/tnt_usage002/current_usage'
        body = self.assertApiError(self.get(path), 400)
        self.assertEqual(body['error'], 'BadRequest: param is missing or the value is empty: external_subscription_id')
        self.assertApiError(self.get(path, params={'external_subscription_id': 'nope'}), 404, 'subscription_not_found')
        self.assertApiError(self.get('/customers/tnt_usage003/current_usage',
                                     params={'external_subscription_id': 'sub_usage_2'}), 404, 'subscription_not_found')
        self.assertApiError(self.get(path, self.desk_key, params={'external_subscription_id': 'sub_usage_2'}),
                            404, 'customer_not_found')
        self.assertApiError(self.get(path, params={'external_subscription_id': 'sub_usage_2', 'apply_taxes': 'maybe'}),
                            422, 'validation_errors', {'apply_taxes': ['value_is_invalid']})

    def test_invoices(self):
        started = (datetime.now(timezone.utc) - timedelta(days=70)).strftime('%Y-%m-%dT%H:%M:%SZ')
        self.assertOk(self.subscribe('tnt_invoice1', 'sub_invoiced', subscription_at=started))
        self.assertOk(self.subscribe('tnt_invoice2', 'sub_other', subscription_at=started))
        self.assertOk(self.call('DELETE', '/subscriptions/sub_invoiced', self.cloud_key))
        moves = self.order(self.cloud, 'sub_invoiced').invoice_ids.filtered(lambda m: m.state == 'posted')
        self.assertTrue(moves, 'terminating bills the closed periods')
        body = self.assertOk(self.get('/invoices', params={'external_customer_id': 'tnt_invoice1'}))
        self.assertEqual(len(body['invoices']), len(moves))
        self.assertEqual(body['meta']['total_count'], len(moves))
        by_id = {invoice['lago_id']: invoice for invoice in body['invoices']}
        for move in moves:
            invoice = by_id[f'account.move-{move.id}']
            self.assertEqual(invoice['number'], move.name)
            self.assertEqual(invoice['status'], 'finalized')
            self.assertEqual(invoice['payment_status'], 'pending')
            self.assertEqual(invoice['invoice_type'], 'subscription')
            self.assertEqual(invoice['currency'], move.currency_id.name)
            self.assertEqual(invoice['issuing_date'], move.invoice_date.isoformat())
            total = int(Decimal(str(move.amount_total)) * 100)
            tax = int(Decimal(str(move.amount_tax)) * 100)
            self.assertEqual(invoice['total_amount_cents'], total)
            self.assertEqual(invoice['taxes_amount_cents'], tax)
            self.assertEqual(invoice['fees_amount_cents'] + invoice['taxes_amount_cents'], total)
            self.assertIsInstance(invoice['total_amount_cents'], int)
        # Another customer's and another service's key see none of them.
        other = self.assertOk(self.get('/invoices', params={'external_customer_id': 'tnt_invoice2'}))
        self.assertFalse(set(by_id) & {i['lago_id'] for i in other['invoices']})
        self.assertApiError(self.get('/invoices', self.desk_key, params={'external_customer_id': 'tnt_invoice1'}),
                            404, 'customer_not_found')
        self.assertFalse(self.assertOk(self.get('/invoices', self.desk_key))['invoices'])
        # An invoice cancelled after posting is Lago's voided.
        move = moves[0]
        move.button_draft()
        move.button_cancel()
        body = self.assertOk(self.get('/invoices', params={'external_customer_id': 'tnt_invoice1'}))
        self.assertEqual({i['lago_id']: i['status'] for i in body['invoices']}[f'account.move-{move.id}'], 'voided')
