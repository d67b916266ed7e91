from odoo.tests import tagged

from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestApiCatalog(FusionApiCase):

    def test_billable_metrics_of_the_service_only(self):
        body = self.assertOk(self.get('/billable_metrics'))
        self.assertEqual([m['code'] for m in body['billable_metrics']], ['api_requests', 'storage_gb'])
        self.assertEqual(body['billable_metrics'][0], {
            'lago_id': f'fusion.billing.metric-{self.api_requests.id}',
            'name': 'API requests',
            'code': 'api_requests',
            'description': 'Requests to the public API',
            'aggregation_type': 'count_agg',
            'weighted_interval': None,
            'recurring': False,
            'field_name': None,
            'filters': [{'key': 'region', 'values': ['ca-central', 'us-east']}],
            'created_at': body['billable_metrics'][0]['created_at'],
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
            'lago_id': f'sale.order.template-{self.cloud_plan.id}',
            'name': 'Api Cloud Pro',
            'code': 'api_cloud_pro',
            'interval': 'monthly',
            'amount_cents': 9900,
            'amount_currency': self.currency.name,
            'created_at': plan['created_at'],
            'charges': [{
                'lago_id': f'fusion.billing.charge-{charge.id}',
                'code': 'api_requests',
                'lago_billable_metric_id': f'fusion.billing.metric-{self.api_requests.id}',
                'billable_metric_code': 'api_requests',
                'charge_model': 'standard',
                'invoice_display_name': None,
                'properties': {'amount': '0.01'},
                'created_at': plan['charges'][0]['created_at'],
            }],
        })
        self.assertEqual(body['meta']['total_count'], 1)
        desk = self.assertOk(self.get('/plans', self.desk_key))
        self.assertEqual([(p['code'], p['amount_cents']) for p in desk['plans']], [('api_desk_team', 0)])

    def test_amount_cents_are_exact(self):
        self.cloud_plan.fusion_amount = 0.29  # 0.29 * 100 is 28.999999999999996 in binary floating point
        self.assertEqual(self.assertOk(self.get('/plans'))['plans'][0]['amount_cents'], 29)
