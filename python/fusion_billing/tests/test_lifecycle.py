"""The subscription lifecycle as Lago bills it, through the API and the period close: plans paid
in advance, trials, yearly plans with monthly usage, upgrades now and downgrades at the period's
end, credits of unused days. Each figure is computed by hand in the test (plans at 31.00 a month
make a day of March cost 1.00)."""

from datetime import datetime
from decimal import Decimal
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .api_common import FusionApiCase


def at(*parts):
    return datetime(*parts)


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


@tagged('post_install', '-at_install')
class TestLifecycle(FusionApiCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        requests = {cls.api_requests: {'amount': '0.01'}}
        cls.basic = cls._plan(cls.cloud, 'api_cloud_basic', '31.00', requests)
        cls.advance = cls._plan(cls.cloud, 'api_cloud_advance', '31.00', requests)
        cls.advance.fusion_pay_in_advance = True
        cls.trial = cls._plan(cls.cloud, 'api_cloud_trial', '29.00', requests)
        cls.trial.write({'fusion_pay_in_advance': True, 'fusion_trial_period': 14})
        cls.annual = cls._plan(cls.cloud, 'api_cloud_annual', '990.00', requests)
        cls.annual.write({'fusion_interval': 'yearly', 'fusion_pay_in_advance': True, 'fusion_bill_charges_monthly': True})
        cls.committed = cls._plan(cls.cloud, 'api_cloud_committed', '0', {cls.api_requests: {'amount': '1.00'}})
        cls.committed.write({'fusion_minimum_commitment': 25.0, 'fusion_commitment_display_name': 'Minimum spend'})
        cls.endpoint = cls.env['fusion.billing.webhook.endpoint'].create(
            {'service_id': cls.cloud.id, 'code': 'lifecycle', 'url': 'http://127.0.0.1:9/hooks'})

    # ---------------------------------------------------------------------------- helpers

    def now(self, moment):
        return patch.object(fields.Datetime, 'now', lambda *args, **kwargs: moment)

    def subscribe(self, customer, external_id, plan_code, started=None, **fields_):
        payload = {'external_customer_id': customer, 'plan_code': plan_code, 'external_id': external_id, **fields_}
        if started:
            payload['subscription_at'] = iso(started)
        return self.assertOk(self.post('/subscriptions', {'subscription': payload}))['subscription']

    def orders(self, external_id):
        return self.env['sale.order'].search([('fusion_service_id', '=', self.cloud.id), ('fusion_external_id', '=', external_id)], order='id')

    def bill(self, external_id, moment):
        with self.now(moment):
            return self.orders(external_id)._fusion_bill_due(now=moment)

    def events(self, external_id, *moments):
        for index, moment in enumerate(moments):
            self.assertOk(self.post('/events', {'event': {
                'transaction_id': f'{external_id}-{moment.isoformat()}-{index}', 'external_subscription_id': external_id,
                'code': 'api_requests', 'timestamp': int(moment.timestamp()) if moment.tzinfo else int((moment - datetime(1970, 1, 1)).total_seconds())}}))

    def untaxed(self, orders):
        """Untaxed amounts of the posted customer invoices of `orders`, oldest first, as Decimals."""
        moves = orders.invoice_ids.filtered(lambda m: m.state == 'posted' and m.move_type == 'out_invoice').sorted('id')
        return [Decimal(str(move.amount_untaxed)).quantize(Decimal('0.01')) for move in moves]

    def webhook_types(self, order):
        return self.env['fusion.billing.webhook'].search(
            [('endpoint_id', '=', self.endpoint.id), ('object_key', '=', f'sale.order,{order.id}')], order='id').mapped('webhook_type')

    # ------------------------------------------------------------------------------ tests

    def test_pay_in_advance_bills_the_fee_when_the_period_starts_and_usage_after_it(self):
        with self.now(at(2026, 3, 10, 12)):
            self.subscribe('tnt_advance01', 'sub_advance', 'api_cloud_advance', started=at(2026, 3, 10, 12))
        order = self.orders('sub_advance')
        self.bill('sub_advance', at(2026, 3, 10, 12))
        # March 10 to 31: 22 days of 31, billed as the subscription starts.
        self.assertEqual(self.untaxed(order), [Decimal('22.00')])
        self.assertTrue(order.order_line.filtered('fusion_in_advance'))
        self.events('sub_advance', at(2026, 3, 12), at(2026, 3, 20), at(2026, 3, 30))
        self.bill('sub_advance', at(2026, 4, 1))
        # April 1st: March's 3 requests (0.03) and April's whole fee, on one invoice.
        self.assertEqual(self.untaxed(order), [Decimal('22.00'), Decimal('31.03')])
        self.bill('sub_advance', at(2026, 4, 1, 6))
        self.assertEqual(len(self.untaxed(order)), 2, 'nothing is billed twice')
        past = self.assertOk(self.get('/customers/tnt_advance01/past_usage', params={'external_subscription_id': 'sub_advance'}))
        self.assertEqual([(p['from_datetime'], p['amount_cents']) for p in past['usage_periods']], [('2026-03-10T12:00:00Z', 3103)],
                         "Lago's usage period is March; its invoice holds April's fee too")
        plan = self.subscribe('tnt_advance01', 'sub_advance', 'api_cloud_advance')['plan']
        self.assertEqual((plan['pay_in_advance'], plan['trial_period'], plan['bill_charges_monthly']), (True, 0, None))

    def test_trial_waives_the_fee_until_it_ends_then_bills_the_rest_of_the_period(self):
        with self.now(at(2026, 3, 10, 12)):
            body = self.subscribe('tnt_trial0001', 'sub_trial', 'api_cloud_trial', started=at(2026, 3, 10, 12))
        self.assertIsNone(body['trial_ended_at'])
        order = self.orders('sub_trial')
        self.events('sub_trial', at(2026, 3, 11), at(2026, 3, 12))
        self.bill('sub_trial', at(2026, 3, 24, 11))
        self.assertEqual(self.untaxed(order), [], 'no fee during the trial')
        self.assertNotIn('subscription.trial_ended', self.webhook_types(order))
        self.bill('sub_trial', at(2026, 3, 24, 13))
        # The trial ended on March 24 at 12:00: March 24 to 31 is 8 days of 31 × 29.00 = 7.483… → 7.48.
        self.assertEqual(self.untaxed(order), [Decimal('7.48')])
        self.assertEqual(order.fusion_trial_ended_at, at(2026, 3, 24, 12))
        self.assertEqual(self.webhook_types(order).count('subscription.trial_ended'), 1)
        self.bill('sub_trial', at(2026, 3, 25))
        self.assertEqual(self.webhook_types(order).count('subscription.trial_ended'), 1, 'sent once')
        self.bill('sub_trial', at(2026, 4, 1))
        # Usage during the trial is billed (2 requests), with April's fee.
        self.assertEqual(self.untaxed(order), [Decimal('7.48'), Decimal('29.02')])
        body = self.assertOk(self.get('/subscriptions/sub_trial'))['subscription']
        self.assertEqual(body['trial_ended_at'], '2026-03-24T12:00:00Z')

    def test_yearly_plan_bills_its_fee_once_and_usage_every_month(self):
        with self.now(at(2026, 1, 1)):
            self.subscribe('tnt_annual001', 'sub_annual', 'api_cloud_annual', started=at(2026, 1, 1))
        order = self.orders('sub_annual')
        self.events('sub_annual', at(2026, 1, 5), at(2026, 1, 6), at(2026, 2, 3), at(2026, 2, 4), at(2026, 2, 5))
        self.bill('sub_annual', at(2026, 1, 1))
        self.assertEqual(self.untaxed(order), [Decimal('990.00')])
        self.bill('sub_annual', at(2026, 2, 1))
        self.bill('sub_annual', at(2026, 3, 1))
        self.assertEqual(self.untaxed(order), [Decimal('990.00'), Decimal('0.02'), Decimal('0.03')])
        current = self.assertOk(self.get('/customers/tnt_annual001/current_usage', params={'external_subscription_id': 'sub_annual'}))
        self.assertEqual(current['customer_usage']['from_datetime'][:10], datetime.now().strftime('%Y-%m-01'), 'current usage is the month')
        past = self.assertOk(self.get('/customers/tnt_annual001/past_usage', params={'external_subscription_id': 'sub_annual'}))['usage_periods']
        self.assertEqual([(p['from_datetime'][:10], p['amount_cents']) for p in past], [('2026-02-01', 3), ('2026-01-01', 2)])

    def test_an_upgrade_applies_now_and_bills_the_old_plan_up_to_the_switch(self):
        with self.now(at(2026, 3, 1)):
            old_body = self.subscribe('tnt_upgrade01', 'sub_upgrade', 'api_cloud_basic', started=at(2026, 3, 1))
        self.events('sub_upgrade', at(2026, 3, 2), at(2026, 3, 5))
        with self.now(at(2026, 3, 11, 10)):
            body = self.subscribe('tnt_upgrade01', 'sub_upgrade', 'api_cloud_pro')
        old, new = self.orders('sub_upgrade')
        self.assertNotEqual(body['lago_id'], old_body['lago_id'], 'a new subscription, as in Lago')
        self.assertEqual((body['plan_code'], body['previous_plan_code'], body['started_at']), ('api_cloud_pro', 'api_cloud_basic', '2026-03-11T10:00:00.000Z'))
        self.assertEqual(body['subscription_at'], '2026-03-01T00:00:00Z', 'subscription_at is kept')
        self.assertEqual((old.fusion_status, old.fusion_terminated_at), ('terminated', at(2026, 3, 11, 10)))
        # The old plan: March 1 to 11 (11 days touched, as Lago's date_diff rounds up) and its 2 requests.
        self.assertEqual(self.untaxed(old), [Decimal('11.02')])
        self.events('sub_upgrade', at(2026, 3, 15), at(2026, 3, 16))
        self.events('sub_upgrade', at(2026, 3, 6))  # late, for the old plan's billed days
        self.assertEqual(len(self.usage_rows(order_id=new.id)), 2, 'events after the switch belong to the new plan')
        self.assertTrue(self.usage_rows(order_id=old.id, transaction_id=f'sub_upgrade-{at(2026, 3, 6).isoformat()}-0').late)
        self.bill('sub_upgrade', at(2026, 4, 1))
        # The new plan: March 11 to 31 is 21 days × 99.00 / 31 = 67.064… → 67.06, and 2 requests.
        self.assertEqual(self.untaxed(new), [Decimal('67.08')])
        self.assertEqual(self.webhook_types(old), ['subscription.started', 'subscription.terminated'])
        self.assertEqual(self.webhook_types(new)[:1], ['subscription.started'])
        listed = self.assertOk(self.get('/subscriptions', params={'external_id': 'sub_upgrade', 'status[]': ['active', 'terminated']}))
        self.assertEqual(sorted((s['plan_code'], s['status'], s['next_plan_code']) for s in listed['subscriptions']),
                         [('api_cloud_basic', 'terminated', 'api_cloud_pro'), ('api_cloud_pro', 'active', None)])

    def test_a_downgrade_waits_for_the_end_of_the_period(self):
        with self.now(at(2026, 3, 1)):
            first = self.subscribe('tnt_downgrd01', 'sub_down', 'api_cloud_pro', started=at(2026, 3, 1))
        with self.now(at(2026, 3, 11, 10)):
            body = self.subscribe('tnt_downgrd01', 'sub_down', 'api_cloud_basic')
        self.assertEqual((body['lago_id'], body['plan_code'], body['next_plan_code'], body['downgrade_plan_date']),
                         (first['lago_id'], 'api_cloud_pro', 'api_cloud_basic', '2026-04-01'))
        (current,) = self.orders('sub_down')
        self.assertEqual(self.webhook_types(current), ['subscription.started', 'subscription.updated'])
        self.events('sub_down', at(2026, 3, 20))
        self.bill('sub_down', at(2026, 3, 31, 23))
        self.assertEqual(len(self.orders('sub_down')), 1, 'still on Pro before the period ends')
        self.bill('sub_down', at(2026, 4, 1, 0, 30))
        old, new = self.orders('sub_down')
        self.assertEqual((old.fusion_status, old.fusion_terminated_at, new.fusion_started_at), ('terminated', at(2026, 4, 1), at(2026, 4, 1)))
        # Pro's March in full with its request; Basic from April 1st.
        self.assertEqual(self.untaxed(old), [Decimal('99.01')])
        self.events('sub_down', at(2026, 4, 2))
        self.bill('sub_down', at(2026, 5, 1))
        self.assertEqual(self.untaxed(new), [Decimal('31.01')])
        body = self.assertOk(self.get('/subscriptions/sub_down'))['subscription']
        self.assertEqual((body['plan_code'], body['previous_plan_code'], body['next_plan_code']), ('api_cloud_basic', 'api_cloud_pro', None))

    def test_upgrading_a_plan_paid_in_advance_credits_its_unused_days(self):
        with self.now(at(2026, 3, 1)):
            self.subscribe('tnt_credit001', 'sub_credit', 'api_cloud_advance', started=at(2026, 3, 1))
            self.bill('sub_credit', at(2026, 3, 1))
        with self.now(at(2026, 3, 10, 12)):
            self.subscribe('tnt_credit001', 'sub_credit', 'api_cloud_pro')
        old, new = self.orders('sub_credit')
        invoice = old.invoice_ids.filtered(lambda m: m.move_type == 'out_invoice')
        self.assertEqual(self.untaxed(old), [Decimal('31.00')])
        refund = self.env['account.move'].search([('reversed_entry_id', '=', invoice.id), ('move_type', '=', 'out_refund')])
        # CreditNotes::CreateFromTermination with upgrade: March 10 to 31 unused, 22 days × 1.00.
        self.assertEqual((refund.state, Decimal(str(refund.amount_untaxed))), ('posted', Decimal('22.0')))
        self.assertEqual(old.order_line.mapped('qty_invoiced'), [1.0], 'the fee line stays invoiced once')
        self.bill('sub_credit', at(2026, 4, 1))
        # Pro from March 10: 22 days × 99.00 / 31 = 70.258… → 70.26.
        self.assertEqual(self.untaxed(new), [Decimal('70.26')])

    def test_terminating_a_plan_paid_in_advance_keeps_the_termination_day(self):
        with self.now(at(2026, 3, 1)):
            self.subscribe('tnt_credit002', 'sub_credit2', 'api_cloud_advance', started=at(2026, 3, 1))
            self.bill('sub_credit2', at(2026, 3, 1))
        with self.now(at(2026, 3, 10, 12)):
            self.assertOk(self.call('DELETE', '/subscriptions/sub_credit2', self.cloud_key))
        (order,) = self.orders('sub_credit2')
        refund = self.env['account.move'].search([('reversed_entry_id', 'in', order.invoice_ids.ids), ('move_type', '=', 'out_refund')])
        self.assertEqual(Decimal(str(refund.amount_untaxed)), Decimal('21.0'), 'March 11 to 31')
        self.assertEqual(self.untaxed(order), [Decimal('31.00')], 'no second fee at termination')

    def test_a_change_of_plan_keeps_the_currency(self):
        other = self.env['res.currency'].with_context(active_test=False).search([('id', '!=', self.currency.id)], limit=1)
        other.active = True
        foreign = self._plan(self.cloud, 'api_cloud_foreign', '500.00', {self.api_requests: {'amount': '0.01'}})
        foreign.fusion_currency_id = other
        self.subscribe('tnt_currency1', 'sub_currency', 'api_cloud_basic')
        self.assertApiError(self.post('/subscriptions', {'subscription': {
            'external_customer_id': 'tnt_currency1', 'plan_code': 'api_cloud_foreign', 'external_id': 'sub_currency'}}),
            422, 'validation_errors', {'currency': ['currencies_does_not_match']})
        self.assertEqual(len(self.orders('sub_currency')), 1)

    def test_a_minimum_commitment_tops_up_a_period_whose_fees_stay_under_it(self):
        with self.now(at(2026, 3, 10)):
            self.subscribe('tnt_commit001', 'sub_commit', 'api_cloud_committed', started=at(2026, 3, 10))
        order = self.orders('sub_commit')
        self.events('sub_commit', at(2026, 3, 11), at(2026, 3, 12), at(2026, 3, 13))
        self.bill('sub_commit', at(2026, 4, 1))
        # March 10-31: 22 days of 31 → a commitment of 25.00 × 22 / 31 = 17.741… → 17.74; the usage
        # (3 × 1.00) leaves 14.74 to true up.
        self.assertEqual(self.untaxed(order), [Decimal('17.74')])
        true_up = order.order_line.filtered('fusion_true_up')
        self.assertEqual((true_up.price_unit, true_up.name.split(' — ')[0]), (14.74, 'Minimum spend'))
        self.bill('sub_commit', at(2026, 5, 1))
        self.assertEqual(self.untaxed(order), [Decimal('17.74'), Decimal('25.00')], 'a month without usage pays the commitment')
        self.bill('sub_commit', at(2026, 5, 1, 3))
        self.assertEqual(len(order.order_line.filtered('fusion_true_up')), 2, 'a true-up is billed once')
        self.events('sub_commit', *[at(2026, 5, 2, hour) for hour in range(24)], at(2026, 5, 3), at(2026, 5, 4))
        self.bill('sub_commit', at(2026, 6, 1))
        # 26 requests × 1.00 = 26.00: above the commitment, nothing to top up.
        self.assertEqual(self.untaxed(order), [Decimal('17.74'), Decimal('25.00'), Decimal('26.00')])
        self.assertEqual(len(order.order_line.filtered('fusion_true_up')), 2)
        listed = self.assertOk(self.get('/invoices', params={'external_customer_id': 'tnt_commit001'}))['invoices']
        fees = [sorted((fee['item']['type'], fee['amount_cents']) for fee in self.assertOk(self.get(f"/invoices/{invoice['lago_id']}"))['invoice']['fees'])
                for invoice in listed]
        self.assertCountEqual(fees, [[('charge', 300), ('commitment', 1474)], [('commitment', 2500)], [('charge', 2600)]])
        plan = self.assertOk(self.get('/plans/api_cloud_committed'))['plan']
        self.assertEqual((plan['minimum_commitment']['amount_cents'], plan['minimum_commitment']['invoice_display_name']), (2500, 'Minimum spend'))

    def test_a_grace_period_keeps_the_invoice_a_draft_that_bills_late_usage(self):
        self.cloud.invoice_grace_period = 3
        with self.now(at(2026, 3, 1)):
            self.subscribe('tnt_grace0001', 'sub_grace', 'api_cloud_basic', started=at(2026, 3, 1))
        order = self.orders('sub_grace')
        self.events('sub_grace', at(2026, 3, 5), at(2026, 3, 6))
        self.bill('sub_grace', at(2026, 4, 1, 0, 30))
        invoice = order.invoice_ids
        self.assertEqual((invoice.state, invoice.fusion_grace_until, invoice.amount_untaxed), ('draft', at(2026, 4, 4, 0, 30), 31.02))
        hooks = lambda: self.env['fusion.billing.webhook'].search(  # noqa: E731
            [('endpoint_id', '=', self.endpoint.id), ('object_key', '=', f'account.move,{invoice.id}')], order='id').mapped('webhook_type')
        self.assertEqual(hooks(), ['invoice.drafted'])
        # A March event arriving on April 2nd: late, yet billed on the draft.
        with self.now(at(2026, 4, 2)):
            self.events('sub_grace', at(2026, 3, 20))
        self.assertTrue(self.usage_rows(order_id=order.id, late=True))
        with self.now(at(2026, 4, 3)):
            self.assertFalse(self.env['account.move']._cron_fusion_finalize_drafts(), 'the grace period is not over')
        with self.now(at(2026, 4, 4, 1)):
            finalized = self.env['account.move']._cron_fusion_finalize_drafts()
        self.assertEqual(finalized, invoice, 'the same invoice, posted')
        self.assertEqual((invoice.state, invoice.amount_untaxed, invoice.fusion_grace_until), ('posted', 31.03, False))
        self.assertFalse(self.usage_rows(order_id=order.id, late=True), 'billed, so no longer late')
        self.assertEqual(order.order_line.filtered('fusion_charge_id').fusion_events_count, 3)
        self.assertEqual(hooks(), ['invoice.drafted', 'invoice.created'])
        self.assertEqual(self.untaxed(order), [Decimal('31.03')])

    def test_a_customer_grace_period_and_finalizing_a_draft_through_the_api(self):
        customer = self.customer('tnt_grace0002', billing_configuration={'invoice_grace_period': 5})
        self.assertEqual(customer['billing_configuration']['invoice_grace_period'], 5)
        self.assertApiError(self.post('/customers', {'customer': {'external_id': 'tnt_grace0002', 'billing_configuration': {'invoice_grace_period': 'soon'}}}),
                            422, 'validation_errors', {'invoice_grace_period': ['invalid_value']})
        with self.now(at(2026, 3, 1)):
            self.subscribe('tnt_grace0002', 'sub_grace2', 'api_cloud_basic', started=at(2026, 3, 1))
        self.bill('sub_grace2', at(2026, 4, 1))
        invoice = self.orders('sub_grace2').invoice_ids
        self.assertEqual((invoice.state, invoice.fusion_grace_until), ('draft', at(2026, 4, 6)))
        listed = self.assertOk(self.get('/invoices', params={'external_customer_id': 'tnt_grace0002'}))['invoices']
        self.assertEqual([i['status'] for i in listed], ['draft'])
        refreshed = self.assertOk(self.call('PUT', f"/invoices/{listed[0]['lago_id']}/refresh", self.cloud_key))['invoice']
        self.assertEqual((refreshed['status'], refreshed['fees_amount_cents']), ('draft', 3100))
        body = self.assertOk(self.call('PUT', f"/invoices/{listed[0]['lago_id']}/finalize", self.cloud_key))['invoice']
        self.assertEqual((body['lago_id'], body['status'], body['total_amount_cents'] >= 3100), (listed[0]['lago_id'], 'finalized', True))
        self.assertEqual(invoice.state, 'posted')
