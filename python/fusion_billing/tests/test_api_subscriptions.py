"""Subscriptions, current usage and invoices through the API; they rely on the usage engine's
sale.order methods (_fusion_create_subscription, _fusion_terminate, _fusion_customer_usage)."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import tagged

from ..lago.ids import lago_id
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
        self.assertEqual(body['plan']['code'], 'api_cloud_pro')
        self.assertRegex(body['current_billing_period_started_at'], r'^\d{4}-\d\d-01T\d\d:00:00Z$')
        self.assertRegex(body['current_billing_period_ending_at'], r'^\d{4}-\d\d-\d\dT\d\d:59:59Z$')
        for key in ('plan', 'created_at', 'current_billing_period_started_at', 'current_billing_period_ending_at'):
            body.pop(key)
        self.assertEqual(body, {
            'lago_id': lago_id(order),
            'external_id': 'sub_new_1',
            'lago_customer_id': lago_id(link),
            'external_customer_id': 'tnt_newcust1',
            'name': 'Main project',
            'plan_code': 'api_cloud_pro',
            'plan_amount_cents': 9900,
            'plan_amount_currency': self.currency.name,
            'status': 'active',
            'billing_time': 'calendar',
            'subscription_at': '2026-01-15T10:00:00Z',
            'started_at': '2026-01-15T10:00:00.000Z',
            'trial_ended_at': None,
            'ending_at': None,
            'terminated_at': None,
            'canceled_at': None,
            'previous_plan_code': None,
            'next_plan_code': None,
            'downgrade_plan_date': None,
            'on_termination_credit_note': None,
            'on_termination_invoice': 'generate',
            'progressive_billing_disabled': False,
            'consolidate_invoice': False,
            'purchase_order_number': None,
            'activated_at': '2026-01-15T10:00:00Z',
            'payment_method': {'payment_method_id': None, 'payment_method_type': 'provider'},
            'activation_rules': [],
        })

    def test_subscription_of_an_existing_customer(self):
        customer = self.customer('tnt_existing1', name='Existing', email='existing@corp.test')
        body = self.assertOk(self.subscribe('tnt_existing1', 'sub_existing'))['subscription']
        self.assertEqual(body['lago_customer_id'], customer['lago_id'])
        self.assertEqual(len(self.env['fusion.billing.account.link'].search([('external_id', '=', 'tnt_existing1')])), 1)

    def test_events_received_before_the_subscription_are_adopted(self):
        self.cloud.unknown_subscription = 'accept'  # Lago's behaviour; refused by default
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
        self.assertOk(self.subscribe('ws-88888', 'sub_taken', 'api_desk_team', key=self.desk_key))

    def test_create_again_returns_the_same_subscription(self):
        """An application that retries a create after a timeout gets 200 and the same subscription,
        unchanged (Lago: app/services/subscriptions/create_service.rb, same customer and plan)."""
        first = self.assertOk(self.subscribe('tnt_retry001', 'sub_retry', name='First'))['subscription']
        again = self.assertOk(self.subscribe('tnt_retry001', 'sub_retry', name='Renamed?'))['subscription']
        self.assertEqual((again['lago_id'], again['name'], again['created_at']), (first['lago_id'], 'First', first['created_at']))
        self.assertEqual(len(self.order(self.cloud, 'sub_retry')), 1)

    def test_list_and_read_subscriptions(self):
        self.assertOk(self.subscribe('tnt_list0001', 'sub_list_a', name='A'))
        self.assertOk(self.subscribe('tnt_list0001', 'sub_list_b', name='B'))
        self.assertOk(self.subscribe('tnt_list0002', 'sub_list_c'))
        self.assertOk(self.call('DELETE', '/subscriptions/sub_list_b', self.cloud_key))
        self.assertOk(self.subscribe('ws-70001', 'sub_list_desk', 'api_desk_team', key=self.desk_key))

        def listed(**params):
            body = self.assertOk(self.get('/subscriptions', params=params))
            return sorted(s['external_id'] for s in body['subscriptions'] if s['external_id'].startswith('sub_list'))

        self.assertEqual(listed(), ['sub_list_a', 'sub_list_c'], 'active ones by default, this service only')
        self.assertEqual(listed(external_customer_id='tnt_list0001'), ['sub_list_a'])
        self.assertEqual(listed(**{'status[]': ['active', 'terminated'], 'external_customer_id': 'tnt_list0001'}), ['sub_list_a', 'sub_list_b'])
        self.assertEqual(listed(**{'status[]': 'terminated'}), ['sub_list_b'])
        self.assertEqual(listed(plan_code='api_desk_team'), [])
        self.assertEqual(listed(**{'status[]': ['active', 'nonsense']}), ['sub_list_a', 'sub_list_b', 'sub_list_c'],
                         'Lago drops a status filter with an invalid value')
        one = self.assertOk(self.get('/subscriptions/sub_list_a'))['subscription']
        self.assertEqual((one['external_id'], one['name'], one['plan']['code']), ('sub_list_a', 'A', 'api_cloud_pro'))
        self.assertApiError(self.get('/subscriptions/sub_list_b'), 404, 'subscription_not_found')
        self.assertEqual(self.assertOk(self.get('/subscriptions/sub_list_b', params={'status': 'terminated'}))['subscription']['status'], 'terminated')
        self.assertApiError(self.get('/subscriptions/sub_list_desk'), 404, 'subscription_not_found')

    def test_update_name_and_ending_at(self):
        self.assertOk(self.subscribe('tnt_update01', 'sub_update', name='Before'))
        order = self.order(self.cloud, 'sub_update')
        ending = (datetime.now(timezone.utc) + timedelta(days=40)).replace(microsecond=0)
        body = self.assertOk(self.call('PUT', '/subscriptions/sub_update', self.cloud_key, {'subscription': {
            'name': 'After', 'ending_at': ending.strftime('%Y-%m-%dT%H:%M:%SZ')}}))['subscription']
        self.assertEqual((body['name'], body['ending_at']), ('After', ending.strftime('%Y-%m-%dT%H:%M:%SZ')))
        self.assertEqual((order.client_order_ref, order.fusion_ending_at), ('After', ending.replace(tzinfo=None)))
        cleared = self.assertOk(self.call('PUT', '/subscriptions/sub_update', self.cloud_key, {'subscription': {
            'ending_at': None}}))['subscription']
        self.assertEqual((cleared['name'], cleared['ending_at']), ('After', None), 'only the keys sent change')
        self.assertFalse(order.fusion_ending_at)
        updates = self.env['fusion.billing.webhook'].search([('webhook_type', '=', 'subscription.updated'), ('object_key', '=', f'sale.order,{order.id}')])
        self.assertEqual(len(updates), 2 * len(self.cloud.webhook_endpoint_ids), 'one subscription.updated per change and endpoint')
        self.assertApiError(self.call('PUT', '/subscriptions/sub_update', self.cloud_key, {'subscription': {
            'ending_at': '2020-01-01T00:00:00Z'}}), 422, 'validation_errors', {'ending_at': ['invalid_date']})
        self.assertApiError(self.call('PUT', '/subscriptions/sub_update', self.cloud_key, {'subscription': {
            'ending_at': '0001-01-01T00:00:00+01:00'}}), 422, 'validation_errors', {'ending_at': ['invalid_date']})
        self.assertApiError(self.call('PUT', '/subscriptions/nope', self.cloud_key, {'subscription': {'name': 'x'}}), 404, 'subscription_not_found')
        self.assertApiError(self.call('PUT', '/subscriptions/sub_update', self.desk_key, {'subscription': {'name': 'x'}}), 404, 'subscription_not_found')

    def test_a_subscription_reaching_its_ending_at_terminates_and_bills_its_partial_period(self):
        started = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) - timedelta(days=45)
        self.assertOk(self.subscribe('tnt_ending01', 'sub_ending', subscription_at=started.strftime('%Y-%m-%dT%H:%M:%SZ')))
        order = self.order(self.cloud, 'sub_ending')
        order.fusion_ending_at = started + timedelta(days=40)
        with patch.object(type(self.env['ir.cron']), '_commit_progress', lambda *args, **kwargs: 1.0):
            self.env['sale.order']._cron_fusion_close_periods()
        self.assertEqual((order.fusion_status, order.fusion_terminated_at), ('terminated', started + timedelta(days=40)))
        self.assertTrue(order.invoice_ids.filtered(lambda m: m.state == 'posted'), 'the partial last period is invoiced')

    def test_invalid_subscription_fields_are_422(self):
        self.assertApiError(self.post('/subscriptions', {'subscription': {'name': 'x'}}), 422, 'validation_errors', {
            'external_customer_id': ['value_is_mandatory'], 'plan_code': ['value_is_mandatory'],
            'external_id': ['value_is_mandatory']})
        self.assertApiError(
            self.subscribe('bad id', 'sub_x', subscription_at='next week', billing_time='monthly'),
            422, 'validation_errors', {'external_customer_id': ['invalid_format'], 'subscription_at': ['invalid_date'],
                                       'billing_time': ['value_is_invalid']})
        self.assertFalse(self.env['sale.order'].search([('fusion_external_id', '=', 'sub_x')]))

    def test_anniversary_periods_start_on_the_subscription_day(self):
        today = datetime.now(timezone.utc)
        month = today.month - 3
        started = datetime(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 15)
        body = self.assertOk(self.subscribe('tnt_anniv001', 'sub_anniv', billing_time='anniversary',
                                            subscription_at=started.strftime('%Y-%m-%dT%H:%M:%SZ')))['subscription']
        self.assertEqual(body['billing_time'], 'anniversary')
        self.assertEqual(body['current_billing_period_started_at'][8:10], '15', 'the current period began on the 15th')
        order = self.order(self.cloud, 'sub_anniv')
        self.assertOk(self.post('/events', {'event': {
            'transaction_id': 'tx-anniv-1', 'external_subscription_id': 'sub_anniv', 'code': 'api_requests',
            'timestamp': int((started + timedelta(days=20)).replace(tzinfo=timezone.utc).timestamp())}}))
        order._fusion_close_periods()
        starts = sorted(set(order.order_line.filtered('fusion_period_start').mapped('fusion_period_start')))
        self.assertGreaterEqual(len(starts), 2, 'three months in, at least two whole periods are closed')
        self.assertEqual([start.day for start in starts], [15] * len(starts))
        self.assertEqual(starts[0], started)
        first = order.order_line.filtered(lambda line: line.fusion_period_start == started)
        self.assertEqual({line.fusion_period_end.day for line in first}, {15})
        self.assertEqual(sum(first.filtered('fusion_charge_id').mapped('fusion_events_count')), 1, "the event counts in the anniversary period holding it")

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
        self.assertEqual(charge['units'], '3.0', "Lago writes decimal units as Ruby's BigDecimal#to_s")
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
            invoice = by_id[lago_id(move)]
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
        self.assertEqual({i['lago_id']: i['status'] for i in body['invoices']}[lago_id(move)], 'voided')
