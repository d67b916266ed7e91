"""Moving a service off Lago, inside the module: the account import (dry run, whole-or-nothing,
idempotent), shadow mode (rated, never billed), the reconciliation of Lago's fees and the guard on
the switch to live. The end-to-end rehearsal is harness/acceptance/lago-migration.test.ts."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo.exceptions import UserError, ValidationError

from .api_common import FusionApiCase

TZ = 'America/New_York'


def _month_start(moment, offset=0):
    """Local midnight starting the month of `moment` (aware), shifted by `offset` months, in UTC."""
    local = moment.astimezone(ZoneInfo(TZ))
    month = local.month - 1 + offset
    year = local.year + month // 12
    start = datetime(year, month % 12 + 1, 1, tzinfo=ZoneInfo(TZ))
    return start.astimezone(timezone.utc)


def _iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


class TestMigration(FusionApiCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        now = datetime.now(timezone.utc)
        cls.two_ago, cls.one_ago, cls.current = _month_start(now, -2), _month_start(now, -1), _month_start(now)
        cls.Service = cls.env['fusion.billing.service']

    def lago_customer(self, external_id, **fields):
        return {'external_id': external_id, 'name': f'Lago {external_id}', 'email': f'{external_id}@example.test', 'timezone': TZ, **fields}

    def lago_subscription(self, external_id, customer, **fields):
        return {'external_id': external_id, 'external_customer_id': customer, 'plan_code': 'api_cloud_pro', 'billing_time': 'calendar',
                'status': 'active', 'subscription_at': _iso(self.two_ago), 'started_at': _iso(self.two_ago), **fields}

    def test_import_is_a_dry_run_unless_applied_whole_and_idempotent(self):
        customer = self.lago_customer('tnt_import01')
        subscriptions = [self.lago_subscription('sub_import01', 'tnt_import01'),
                         self.lago_subscription('sub_import02', 'tnt_import01', billing_time='anniversary')]
        dry = self.Service.fusion_import_account('api_cloud', customer, subscriptions)
        self.assertEqual((dry['action'], [s['action'] for s in dry['subscriptions']]), ('created', ['created', 'created']))
        self.assertFalse(self.link(self.cloud, 'tnt_import01'), 'a dry run writes nothing')
        applied = self.Service.fusion_import_account('api_cloud', customer, subscriptions, apply=True)
        self.assertEqual(applied['action'], 'created')
        order = self.env['sale.order'].search([('fusion_external_id', '=', 'sub_import01')])
        self.assertEqual((order.fusion_started_at, order.fusion_status), (self.two_ago.replace(tzinfo=None), 'active'))
        again = self.Service.fusion_import_account('api_cloud', customer, subscriptions, apply=True)
        self.assertEqual((again['action'], [s['action'] for s in again['subscriptions']]), ('unchanged', ['unchanged', 'unchanged']))
        anniversary = self.env['sale.order'].search([('fusion_external_id', '=', 'sub_import02')])
        self.assertEqual(anniversary.fusion_billing_time, 'anniversary')
        self.assertFalse(self.env['fusion.billing.webhook'].search([('endpoint_id.service_id', '=', self.cloud.id)]), 'imports send no webhook')

    def test_lago_plan_changes_and_trials_are_imported_as_they_stand(self):
        basic = self._plan(self.cloud, 'api_cloud_basic_import', '19.00', {self.api_requests: {'amount': '0.01'}})
        self.cloud_plan.fusion_trial_period = 14
        customer = self.lago_customer('tnt_import04')
        # Lago lists a downgrade as a pending subscription with the same external id; the order is Lago's.
        subscriptions = [
            self.lago_subscription('sub_import04', 'tnt_import04', plan_code=basic.fusion_plan_code, status='pending', started_at=None),
            self.lago_subscription('sub_import04', 'tnt_import04', trial_ended_at=_iso(self.two_ago + timedelta(days=14))),
        ]
        self.Service.fusion_import_account('api_cloud', customer, subscriptions, apply=True)
        order = self.env['sale.order'].search([('fusion_external_id', '=', 'sub_import04')])
        self.assertEqual(len(order), 1, 'one subscription, with its next plan')
        self.assertEqual((order.sale_order_template_id, order.fusion_next_plan_id), (self.cloud_plan, basic))
        self.assertEqual(order._fusion_tz(), TZ)
        self.assertEqual(order.fusion_next_plan_at, _month_start(datetime.now(timezone.utc), 1).replace(tzinfo=None), 'at the end of the current month')
        self.assertEqual(order.fusion_trial_ended_at, (self.two_ago + timedelta(days=14)).replace(tzinfo=None))
        order._fusion_end_trials()
        self.assertFalse(self.env['fusion.billing.webhook'].search([('webhook_type', '=', 'subscription.trial_ended')]),
                         'a trial Lago ended does not end again')

    def test_a_refused_subscription_keeps_nothing_of_its_customer(self):
        customer = self.lago_customer('tnt_import03')
        bad = self.lago_subscription('sub_import03', 'tnt_import03', plan_code='no_such_plan')
        with self.assertRaises(UserError):
            self.Service.fusion_import_account('api_cloud', customer, [bad], apply=True)
        self.assertFalse(self.link(self.cloud, 'tnt_import03'))

    def test_shadow_rates_bills_nobody_and_goes_live_only_once_reconciled(self):
        self.cloud.billing_mode = 'shadow'
        self.Service.fusion_import_account(
            'api_cloud',
            self.lago_customer('tnt_shadow01'),
            [self.lago_subscription('sub_shadow01', 'tnt_shadow01')],
            apply=True,
        )
        order = self.env['sale.order'].search([('fusion_external_id', '=', 'sub_shadow01')])
        for index in range(3):
            self.assertOk(self.post('/events', {'event': {
                'transaction_id': f'shadow-{index}', 'external_subscription_id': 'sub_shadow01', 'code': 'api_requests',
                'timestamp': int((self.one_ago + timedelta(days=2, hours=index)).timestamp())}}))
        order.action_fusion_close_periods()
        self.assertFalse(order.invoice_ids, 'shadow: no invoice')
        self.assertFalse(order.fusion_closed_until)

        with self.assertRaisesRegex(ValidationError, 'sub_shadow01, .*: not reconciled'):
            self.cloud.billing_mode = 'live'

        def fees(start, end, units, base_cents, usage_cents):
            period = {
                'external_subscription_id': 'sub_shadow01',
                'from_date': _iso(start),
                'to_date': _iso(end - timedelta(seconds=1)),
                'invoice_number': 'LAGO-1',
            }
            return [
                {**period, 'fee_type': 'subscription', 'code': 'api_cloud_pro', 'units': '1', 'events_count': None, 'amount_cents': base_cents},
                {**period, 'fee_type': 'charge', 'code': 'api_requests', 'units': str(units), 'events_count': units, 'amount_cents': usage_cents},
            ]
        Reconciliation = self.env['fusion.billing.reconciliation']
        # Lago billed 99.00 a month and 0.01 per request; it missed one of the three requests.
        lines = Reconciliation.fusion_reconcile('api_cloud', fees(self.two_ago, self.one_ago, 0, 9900, 0) + fees(self.one_ago, self.current, 2, 9900, 2))
        self.assertEqual([(line['fee_code'], line['state']) for line in lines], [
            ('api_cloud_pro', 'match'), ('api_requests', 'match'), ('api_cloud_pro', 'match'), ('api_requests', 'mismatch')])
        mismatch = lines[3]
        self.assertEqual((mismatch['units_delta'], mismatch['events_delta'], mismatch['amount_delta']), ('1', 1, '0.01'))
        explained = Reconciliation.fusion_explain(mismatch['id'], [
            {
                'transaction_id': f'shadow-{index}',
                'code': 'api_requests',
                'timestamp': _iso(self.one_ago + timedelta(days=2, hours=index)),
            } for index in (0, 1)])
        self.assertEqual(explained[0]['cause'], 'events_only_odoo')
        self.assertIn('shadow-2', explained[0]['explanation'])
        with self.assertRaisesRegex(ValidationError, 'open mismatch'):
            self.cloud.billing_mode = 'live'
        with self.assertRaisesRegex(UserError, 'reason'):
            Reconciliation.browse(mismatch['id']).action_fusion_accept()
        Reconciliation.fusion_accept([mismatch['id']], 'Lago lost the event; Odoo is right')

        status = self.Service.fusion_cutover('api_cloud')
        self.assertEqual((status['mode'], status['blockers']), ('live', []))
        self.assertEqual(order.fusion_closed_until, self.current.replace(tzinfo=None), 'Odoo bills from the current period on')
        order.action_fusion_close_periods()
        self.assertFalse(order.invoice_ids, 'the periods Lago billed are not billed again')

    def test_the_reconciliation_report_prints(self):
        self.Service.fusion_import_account(
            'api_cloud',
            self.lago_customer('tnt_report01'),
            [self.lago_subscription('sub_report01', 'tnt_report01')],
            apply=True,
        )
        period = {
            'external_subscription_id': 'sub_report01',
            'from_date': _iso(self.one_ago),
            'to_date': _iso(self.current - timedelta(seconds=1)),
            'invoice_number': 'LAGO-2',
        }
        lines = self.env['fusion.billing.reconciliation'].fusion_reconcile('api_cloud', [
            {**period, 'fee_type': 'subscription', 'code': 'api_cloud_pro', 'units': '1', 'events_count': None, 'amount_cents': 9900},
            {**period, 'fee_type': 'charge', 'code': 'api_requests', 'units': '4', 'events_count': 4, 'amount_cents': 4}])
        records = self.env['fusion.billing.reconciliation'].browse([line['id'] for line in lines])
        pdf, kind = self.env['ir.actions.report'].with_context(force_report_rendering=True)._render_qweb_pdf(
            'fusion_billing.report_reconciliation', records.ids)
        self.assertEqual(kind, 'pdf')
        self.assertTrue(pdf.startswith(b'%PDF'))
        html = self.env['ir.actions.report']._render_qweb_html('fusion_billing.report_reconciliation', records.ids)[0].decode()
        self.assertIn('Reconciliation with Lago', html)
        self.assertIn('sub_report01', html)
        self.assertEqual(records.action_fusion_print()['report_name'], 'fusion_billing.report_reconciliation')
