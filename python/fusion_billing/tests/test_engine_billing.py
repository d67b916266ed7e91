"""Subscription lifecycle: current usage, period close onto order lines, invoice, taxes, termination.

Every expected figure is computed by hand in the comments from the nexacloud_pro plan of spec/nexa.yaml."""

from decimal import Decimal
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .engine_common import EngineCase, dt

JAN_SECONDS = 31 * 86400
# The subscription starts 2026-01-15 10:00 UTC: January's period lasts 16 days 14 hours.
FIRST_PERIOD_SECONDS = 16 * 86400 + 14 * 3600  # 1,432,800


@tagged('post_install', '-at_install')
class TestBillingLifecycle(EngineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        # Invoices round taxes on the total per tax (Odoo's "round globally"); current usage must agree.
        company.tax_calculation_rounding_method = 'round_globally'
        # A 13% tax that the customer's fiscal position substitutes for the products' own sales tax.
        cls.tax_13 = cls.env['account.tax'].create({'name': 'HST 13% (test)', 'amount': 13, 'type_tax_use': 'sale', 'company_id': company.id})
        product_taxes = cls.env.ref('fusion_billing.product_nc_egr').taxes_id._filter_taxes_by_company(company)
        cls.fiscal_position = cls.env['account.fiscal.position'].create({'name': 'Ontario (test)', 'company_id': company.id})
        cls.tax_13.fiscal_position_ids = cls.fiscal_position
        if product_taxes:
            cls.tax_13.original_tax_ids = product_taxes
        else:
            for code in ('NC-PRO', 'NC-API', 'NC-STOR', 'NC-EGR', 'NC-VCPU'):
                cls.env['product.product'].search([('default_code', '=', code)]).taxes_id = cls.tax_13
        cls.partner.property_account_position_id = cls.fiscal_position
        cls.order = cls.subscribe('sub-lifecycle', dt(2026, 1, 15, 10))
        cls.add_events(cls.order, 'nc_api_requests', [(dt(2026, 1, 16), {}), (dt(2026, 1, 20), {}), (dt(2026, 1, 31, 23, 59, 59), {})])
        cls.add_events(cls.order, 'nc_egress_gb', [(dt(2026, 1, 16), {'gb': '150'}), (dt(2026, 1, 25), {'gb': 100})])
        cls.add_events(cls.order, 'nc_peak_vcpu', [(dt(2026, 1, 16), {'vcpus': 4}), (dt(2026, 1, 17), {'vcpus': 12}), (dt(2026, 1, 18), {'vcpus': 6})])
        cls.add_events(cls.order, 'nc_storage_gb', [(dt(2026, 1, 15, 10), {'gb': '100'})])
        # Outside the period: February usage must not reach January's invoice.
        cls.add_events(cls.order, 'nc_egress_gb', [(dt(2026, 2, 1), {'gb': '1000'})])

    def test_subscription_is_a_confirmed_order_in_the_plan_currency(self):
        self.assertEqual(self.order.state, 'sale')
        self.assertEqual(self.order.currency_id.name, 'CAD')
        self.assertEqual(self.order.sale_order_template_id, self.plan)
        self.assertEqual(self.order.fiscal_position_id, self.fiscal_position)
        self.assertFalse(self.order.order_line)

    def test_current_usage_in_lago_shape(self):
        usage = self.order._fusion_customer_usage(at=dt(2026, 1, 28))
        self.assertEqual((usage['from_datetime'], usage['to_datetime']), ('2026-01-15T10:00:00Z', '2026-01-31T23:59:59Z'))
        self.assertEqual(usage['currency'], 'CAD')
        charges = {c['billable_metric']['code']: c for c in usage['charges_usage']}
        # egress: 250 GB, 100 free, packages of 100 at 5.00 → 2 packages = 10.00
        self.assertEqual((charges['nc_egress_gb']['units'], charges['nc_egress_gb']['amount_cents']), ('250.0', 1000))
        # peak vCPU: max 12 → volume tier 9–32 at 5.00 → 60.00
        self.assertEqual(charges['nc_peak_vcpu']['amount_cents'], 6000)
        self.assertEqual(charges['nc_peak_vcpu']['billable_metric']['aggregation_type'], 'max_agg')
        # storage: 100 GB held 1,432,800 s of a 2,678,400 s month = 53.49462365... GB-month × 0.12 = 6.419… → 6.42
        self.assertEqual(charges['nc_storage_gb']['amount_cents'], 642)
        self.assertTrue(charges['nc_storage_gb']['units'].startswith('53.494623655913978'))
        # API requests: 3, inside the free first tier
        self.assertEqual(
            (charges['nc_api_requests']['units'], charges['nc_api_requests']['events_count'], charges['nc_api_requests']['amount_cents']),
            ('3.0', 3, 0),
        )
        self.assertEqual(usage['amount_cents'], 1000 + 6000 + 642)
        # 13% of 76.42 = 9.9346 → 9.93
        self.assertEqual(usage['taxes_amount_cents'], 993)
        self.assertEqual(usage['total_amount_cents'], 7642 + 993)

    def test_usage_taxes_follow_the_company_rounding_method(self):
        product = self.env.ref('fusion_billing.product_nc_egr')
        amounts = [(product, Decimal('0.05')), (product, Decimal('0.05'))]
        # Globally: 13% of 0.10 = 0.013 → 0.01. Per line: 0.0065 → 0.01, twice → 0.02.
        self.assertEqual(self.order._fusion_taxes_on(amounts), Decimal('0.01'))
        self.env.company.tax_calculation_rounding_method = 'round_per_line'
        self.assertEqual(self.order._fusion_taxes_on(amounts), Decimal('0.02'))
        without_taxes = self.order._fusion_customer_usage(at=dt(2026, 1, 28), apply_taxes=False)
        self.assertEqual((without_taxes['taxes_amount_cents'], without_taxes['total_amount_cents']), (0, 7642))

    def test_close_writes_period_lines_and_invoices_once(self):
        summary = self.order._fusion_close_periods(until=dt(2026, 2, 3))
        self.assertEqual((summary['periods'], summary['invoices']), (1, 1))
        lines = self.order.order_line.sorted(lambda line: (line.fusion_charge_id.code or '', line.id))
        by_code = {line.fusion_charge_id.code or 'base': line for line in lines}
        # Base fee prorated for the partial first period as Lago prorates it, by days, the start day
        # counting whole (Fees::SubscriptionService#first_subscription_amount): 99.00 × 17 / 31 = 54.290… → 54.29
        self.assertEqual(by_code['base'].price_unit, 54.29)
        self.assertEqual(by_code['egress'].price_unit, 10.00)
        self.assertEqual(by_code['peak_vcpu'].price_unit, 60.00)
        self.assertEqual(by_code['storage'].price_unit, 6.42)
        self.assertEqual(by_code['api_requests'].price_unit, 0.0)
        self.assertEqual(by_code['api_requests'].fusion_units, 3.0)
        self.assertTrue(all(line.qty_delivered == 1 and line.qty_invoiced == 1 for line in lines))
        self.assertEqual(self.order.fusion_closed_until, dt(2026, 2, 1))

        invoice = self.order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, 'posted')
        self.assertEqual(invoice.currency_id.name, 'CAD')
        self.assertAlmostEqual(invoice.amount_untaxed, 130.71, places=2)
        # 13% of 130.71 = 16.9923 → 16.99 (rounded globally)
        self.assertAlmostEqual(invoice.amount_tax, 16.99, places=2)
        self.assertAlmostEqual(invoice.amount_total, 147.70, places=2)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax_13)

        again = self.order._fusion_close_periods(until=dt(2026, 2, 3))
        self.assertEqual((again['periods'], again['invoices']), (0, 0))
        self.assertEqual(len(self.order.order_line), len(lines))
        self.assertEqual(len(self.order.invoice_ids), 1)

    def test_termination_bills_the_partial_last_period(self):
        self.order._fusion_close_periods(until=dt(2026, 2, 1))
        self.order._fusion_terminate(at=dt(2026, 2, 8))
        self.assertEqual(self.order.fusion_status, 'terminated')
        february = self.order.order_line.filtered(lambda line: line.fusion_period_start == dt(2026, 2, 1))
        base = february.filtered(lambda line: not line.fusion_charge_id)
        # 99.00 × 7 days / 28 days = 24.75
        self.assertEqual(base.price_unit, 24.75)
        # February's 1,000 GB egress: 900 paid → 9 packages × 5.00
        self.assertEqual(february.filtered(lambda line: line.fusion_charge_id.code == 'egress').price_unit, 45.0)
        self.assertEqual(len(self.order.invoice_ids), 2)
        # Terminating again changes nothing.
        self.order._fusion_terminate(at=dt(2026, 2, 20))
        self.assertEqual(self.order.fusion_terminated_at, dt(2026, 2, 8))
        self.assertEqual(len(self.order.invoice_ids), 2)

    def test_events_before_the_subscription_are_adopted(self):
        metric = self.env.ref('fusion_billing.metric_nc_api_requests')
        self.env['fusion.billing.usage'].create({
            'service_id': self.service.id, 'metric_id': metric.id, 'external_subscription_id': 'sub-early',
            'transaction_id': 'early-1', 'timestamp': dt(2026, 3, 2), 'properties': {},
        })
        order = self.subscribe('sub-early', dt(2026, 3, 1))
        usage = order._fusion_customer_usage(at=dt(2026, 3, 5))
        self.assertEqual({c['billable_metric']['code']: c['units'] for c in usage['charges_usage']}['nc_api_requests'], '1.0')

    def test_cron_closes_every_finished_period(self):
        other = self.subscribe('sub-cron', dt(2026, 1, 1))
        self.env['sale.order'].search([('id', 'not in', (self.order | other).ids), ('fusion_external_id', '!=', False)]).fusion_status = False
        with patch.object(type(self.env['ir.cron']), '_commit_progress', lambda *args, **kwargs: 1.0):
            self.env['sale.order']._cron_fusion_close_periods()
        self.assertTrue(self.order.fusion_closed_until)
        self.assertTrue(other.order_line)
        # Monthly periods from January up to now are all closed.
        self.assertGreaterEqual(len(other.order_line.filtered(lambda line: not line.fusion_charge_id)), 1)

    def test_cron_bills_the_others_when_one_subscription_cannot_be_billed(self):
        healthy = self.subscribe('sub-healthy', dt(2026, 1, 1))
        self.env['sale.order'].search([('id', 'not in', (self.order | healthy).ids), ('fusion_external_id', '!=', False)]).fusion_status = False
        Order = type(self.env['sale.order'])
        close = Order._fusion_close_periods
        broken = self.order

        def close_or_fail(orders, until=None):
            if broken in orders:
                orders.write({'fusion_closed_until': dt(2026, 2, 1)})  # a change the failure must undo
                raise UserError('a misconfigured tax')
            return close(orders, until)

        with patch.object(type(self.env['ir.cron']), '_commit_progress', lambda *args, **kwargs: 1.0), \
                patch.object(Order, '_fusion_close_periods', close_or_fail), \
                mute_logger('odoo.addons.fusion_billing.models.sale_order_usage'):
            self.env['sale.order']._cron_fusion_close_periods()
        broken.invalidate_recordset()
        self.assertFalse(broken.fusion_closed_until, 'the failed subscription is rolled back to where it was')
        self.assertTrue(healthy.fusion_closed_until)
        self.assertTrue(healthy.invoice_ids, 'the other subscription is billed')

    def test_late_events_are_reported_not_billed(self):
        self.order._fusion_close_periods(until=dt(2026, 2, 1))
        january_total = self.order.invoice_ids.amount_untaxed
        # Arrives after January was billed (the API flags it late at ingestion).
        late = self.add_events(self.order, 'nc_egress_gb', [(dt(2026, 1, 30), {'gb': '5000'})])
        late.late = True
        summary = self.order._fusion_close_periods(until=dt(2026, 3, 1))
        self.assertEqual(summary['late_events'], 1)
        self.assertEqual(self.order.invoice_ids.sorted('id')[0].amount_untaxed, january_total)
        february_egress = self.order.order_line.filtered(
            lambda line: line.fusion_period_start == dt(2026, 2, 1) and line.fusion_charge_id.code == 'egress')
        # Only February's own 1,000 GB: 9 packages × 5.00.
        self.assertEqual(february_egress.price_unit, 45.0)
