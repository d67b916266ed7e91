"""Charge filters through the API and the period close: API requests cheaper from Canada (Lago's
ChargeFilter), in current usage (`filters` of charges_usage), on the invoice (a line per bucket)
and in Lago's fee objects. Amounts by hand: 3 Canadian requests × 0.004, 3 others × 0.01."""

from datetime import datetime
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestChargeFilters(FusionApiCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.regional = cls._plan(cls.cloud, 'api_cloud_regional', '0', {cls.api_requests: {'amount': '0.01'}})
        cls.regional.fusion_charge_ids.filters = [
            {'values': {'region': ['ca-central']}, 'properties': {'amount': '0.004'}, 'invoice_display_name': 'Canada'}]

    def test_each_region_is_priced_by_its_filter_and_the_rest_by_the_charge(self):
        with patch.object(fields.Datetime, 'now', lambda *a, **k: datetime(2026, 3, 1)):
            self.assertOk(self.post('/subscriptions', {'subscription': {
                'external_customer_id': 'tnt_region001', 'plan_code': 'api_cloud_regional', 'external_id': 'sub_region',
                'subscription_at': '2026-03-01T00:00:00Z'}}))
        regions = ['ca-central', 'ca-central', 'us-east', 'ca-central', None, 'us-east']
        self.assertOk(self.post('/events/batch', {'events': [
            {'transaction_id': f'region-{index}', 'external_subscription_id': 'sub_region', 'code': 'api_requests',
             'timestamp': 1772409600 + index * 3600, **({'properties': {'region': region}} if region else {})}
            for index, region in enumerate(regions)]}))
        order = self.env['sale.order'].search([('fusion_external_id', '=', 'sub_region')])
        usage = order._fusion_customer_usage(at=datetime(2026, 3, 20), apply_taxes=False)
        (charge,) = usage['charges_usage']
        self.assertEqual((charge['units'], charge['events_count'], charge['amount_cents']), ('6.0', 6, 4))
        self.assertEqual(charge['filters'], [
            {'units': '3.0', 'total_aggregated_units': '3.0', 'events_count': 3, 'amount_cents': 1,
             'values': {'region': ['ca-central']}, 'invoice_display_name': 'Canada'},
            {'units': '3.0', 'total_aggregated_units': '3.0', 'events_count': 3, 'amount_cents': 3, 'values': {}},
        ])
        order._fusion_close_periods(until=datetime(2026, 4, 1))
        lines = order.order_line.filtered('fusion_charge_id').sorted('fusion_filter')
        self.assertEqual([(line.fusion_filter, line.fusion_units, line.price_unit) for line in lines],
                         [('default', 3.0, 0.03), ('region=ca-central', 3.0, 0.01)])
        self.assertIn('(Canada)', lines[1].name)
        listed = self.assertOk(self.get('/invoices', params={'external_customer_id': 'tnt_region001'}))['invoices']
        self.assertEqual(len(listed), 1)
        detailed = self.assertOk(self.get(f"/invoices/{listed[0]['lago_id']}"))['invoice']
        by_filter = {(fee['item']['filters'] or {}).get('region', ['-'])[0]: fee for fee in detailed['fees'] if fee['item']['type'] == 'charge'}
        self.assertEqual((by_filter['ca-central']['amount_cents'], by_filter['ca-central']['item']['filter_invoice_display_name']), (1, 'Canada'))
        self.assertEqual((by_filter['-']['amount_cents'], by_filter['-']['item']['filter_invoice_display_name']), (3, None))
        # The plan as Lago lists it carries the filter.
        plan = self.assertOk(self.get('/plans/api_cloud_regional'))['plan']
        self.assertEqual(plan['charges'][0]['filters'], [
            {'invoice_display_name': 'Canada', 'properties': {'amount': '0.004'}, 'values': {'region': ['ca-central']}}])
