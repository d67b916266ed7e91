from odoo.tests import tagged

from ..lago.ids import lago_id
from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestApiCatalog(FusionApiCase):

    def test_billable_metrics_of_the_service_only(self):
        body = self.assertOk(self.get('/billable_metrics'))
        self.assertEqual([m['code'] for m in body['billable_metrics']], ['api_requests', 'storage_gb'])
        self.assertEqual(body['billable_metrics'][0], {
            'lago_id': lago_id(self.api_requests),
            'name': 'API requests',
            'code': 'api_requests',
            'description': 'Requests to the public API',
            'aggregation_type': 'count_agg',
            'weighted_interval': None,
            'recurring': False,
            'rounding_function': None,
            'rounding_precision': None,
            'created_at': body['billable_metrics'][0]['created_at'],
            'field_name': None,
            'filters': [{'key': 'region', 'values': ['ca-central', 'us-east']}],
        })
        self.assertEqual(body['billable_metrics'][1]['aggregation_type'], 'sum_agg')
        self.assertEqual(body['billable_metrics'][1]['field_name'], 'gb')
        self.assertEqual(body['meta'], {'current_page': 1, 'next_page': None, 'prev_page': None,
                                        'total_pages': 1, 'total_count': 2})
        desk = self.assertOk(self.get('/billable_metrics', self.desk_key))
        self.assertEqual([m['code'] for m in desk['billable_metrics']], ['tickets'])

    def test_pagination(self):
        first = self.assertOk(self.get('/billable_metrics', params={'per_page': 1}))
        self.assertEqual([m['code'] for m in first['billable_metrics']], ['api_requests'])
        self.assertEqual(first['meta'], {'current_page': 1, 'next_page': 2, 'prev_page': None,
                                         'total_pages': 2, 'total_count': 2})
        second = self.assertOk(self.get('/billable_metrics', params={'per_page': 1, 'page': 2}))
        self.assertEqual([m['code'] for m in second['billable_metrics']], ['storage_gb'])
        self.assertEqual(second['meta']['prev_page'], 1)
        self.assertIsNone(second['meta']['next_page'])
        beyond = self.assertOk(self.get('/billable_metrics', params={'per_page': 1, 'page': 3}))
        self.assertEqual(beyond['billable_metrics'], [])
        lenient = self.assertOk(self.get('/billable_metrics', params={'per_page': 'x', 'page': '-1'}))
        self.assertEqual(lenient['meta']['current_page'], 1)

    def test_plans_of_the_service_only(self):
        body = self.assertOk(self.get('/plans'))
        self.assertEqual([p['code'] for p in body['plans']], ['api_cloud_pro'])
        plan = body['plans'][0]
        charge = self.cloud_plan.fusion_charge_ids
        self.assertEqual(plan, {
            'lago_id': lago_id(self.cloud_plan),
            'name': 'Api Cloud Pro',
            'invoice_display_name': 'Api Cloud Pro',
            'created_at': plan['created_at'],
            'code': 'api_cloud_pro',
            'interval': 'monthly',
            'amount_cents': 9900,
            'amount_currency': self.currency.name,
            'trial_period': 0,
            'pay_in_advance': False,
            'bill_charges_monthly': None,
            'charges': [{
                'lago_id': lago_id(charge),
                'lago_billable_metric_id': lago_id(self.api_requests),
                'code': 'api_requests',
                'invoice_display_name': None,
                'billable_metric_code': 'api_requests',
                'created_at': plan['charges'][0]['created_at'],
                'charge_model': 'standard',
                'invoiceable': True,
                'regroup_paid_fees': None,
                'pay_in_advance': False,
                'prorated': False,
                'min_amount_cents': 0,
                'properties': {'amount': '0.01'},
                'filters': [],
                'taxes': [],
            }],
            'usage_thresholds': [],
            'taxes': [],
        })
        self.assertEqual(body['meta']['total_count'], 1)
        desk = self.assertOk(self.get('/plans', self.desk_key))
        self.assertEqual([(p['code'], p['amount_cents']) for p in desk['plans']], [('api_desk_team', 0)])

    def test_amount_cents_are_exact(self):
        self.cloud_plan.fusion_amount = 0.29  # 0.29 * 100 is 28.999999999999996 in binary floating point
        self.assertEqual(self.assertOk(self.get('/plans'))['plans'][0]['amount_cents'], 29)

    def test_one_metric_and_one_plan_by_code(self):
        metric = self.assertOk(self.get('/billable_metrics/storage_gb'))['billable_metric']
        self.assertEqual((metric['lago_id'], metric['code'], metric['field_name']), (lago_id(self.storage), 'storage_gb', 'gb'))
        plan = self.assertOk(self.get('/plans/api_cloud_pro'))['plan']
        self.assertEqual((plan['lago_id'], plan['amount_cents'], len(plan['charges'])), (lago_id(self.cloud_plan), 9900, 1))
        # Another service's metric or plan does not exist for this key.
        self.assertApiError(self.get('/billable_metrics/tickets'), 404, 'billable_metric_not_found')
        self.assertApiError(self.get('/plans/api_desk_team'), 404, 'plan_not_found')
        self.assertApiError(self.get('/plans/nope'), 404, 'plan_not_found')
