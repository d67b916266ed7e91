"""Usage alerts through the API (Lago's /subscriptions/{id}/alerts) and the minute check:
`alert.triggered` once per crossing, with Lago's payload. Requests cost 0.01, so cents count them."""

from odoo.tests import tagged

from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestAlerts(FusionApiCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = cls.env['fusion.billing.webhook.endpoint'].create(
            {'service_id': cls.cloud.id, 'code': 'alerts', 'url': 'http://127.0.0.1:9/hooks'})

    def send(self, count, prefix):
        self.assertOk(self.post('/events/batch', {'events': [
            {'transaction_id': f'{prefix}-{i}', 'external_subscription_id': 'sub_alerts', 'code': 'api_requests'} for i in range(count)]}))

    def triggered(self):
        hooks = self.env['fusion.billing.webhook'].search([('endpoint_id', '=', self.endpoint.id), ('webhook_type', '=', 'alert.triggered')], order='id')
        return [hook.payload['triggered_alert'] for hook in hooks]

    def check(self):
        return self.env['fusion.billing.alert']._fusion_to_check()._fusion_check()

    def test_each_crossing_is_reported_once(self):
        self.assertOk(self.post('/subscriptions', {'subscription': {
            'external_customer_id': 'tnt_alerts001', 'plan_code': 'api_cloud_pro', 'external_id': 'sub_alerts'}}))
        body = self.assertOk(self.post('/subscriptions/sub_alerts/alerts', {'alert': {
            'alert_type': 'current_usage_amount', 'code': 'spend', 'name': 'Spend',
            'thresholds': [{'code': 'warn', 'value': 5}, {'code': 'every10', 'value': 10, 'recurring': True}]}}))['alert']
        self.assertEqual((body['code'], body['alert_type'], body['previous_value'], body['billable_metric'], body['external_subscription_id']),
                         ('spend', 'current_usage_amount', 0, None, 'sub_alerts'))
        self.assertEqual(body['thresholds'], [{'code': 'warn', 'value': 5, 'recurring': False}, {'code': 'every10', 'value': 10, 'recurring': True}])
        units = self.assertOk(self.post('/subscriptions/sub_alerts/alerts', {'alert': {
            'alert_type': 'billable_metric_current_usage_units', 'code': 'requests', 'billable_metric_code': 'api_requests',
            'thresholds': [{'code': 'ten', 'value': 10}]}}))['alert']
        self.assertEqual(units['billable_metric']['code'], 'api_requests')

        self.send(3, 'a')
        self.check()
        self.assertEqual(self.triggered(), [], '3 cents cross nothing')
        self.send(4, 'b')
        self.check()
        (first,) = self.triggered()
        self.assertEqual((first['alert_code'], first['previous_value'], first['current_value'], first['crossed_thresholds']),
                         ('spend', 3, 7, [{'code': 'warn', 'value': 5, 'recurring': False}]))
        self.assertEqual((first['external_subscription_id'], first['external_customer_id'], first['alert_type']),
                         ('sub_alerts', 'tnt_alerts001', 'current_usage_amount'))
        self.check()
        self.assertEqual(len(self.triggered()), 1, 'no new usage, no new report')
        self.send(10, 'c')
        self.check()
        by_code = {t['alert_code']: t for t in self.triggered()[1:]}
        self.assertEqual(sorted(by_code), ['requests', 'spend'], 'one report per alert')
        spend, requests = by_code['spend'], by_code['requests']
        # 17 cents: the recurring threshold repeats every 10 after the largest one-time one (5): 15.
        self.assertEqual((spend['alert_code'], spend['crossed_thresholds']), ('spend', [{'code': 'every10', 'value': 15, 'recurring': True}]))
        self.assertEqual((requests['alert_code'], requests['current_value'], requests['billable_metric_code']), ('requests', 17, 'api_requests'))
        read = self.assertOk(self.get('/subscriptions/sub_alerts/alerts/spend'))['alert']
        self.assertEqual(read['previous_value'], 17)
        self.assertEqual([a['code'] for a in self.assertOk(self.get('/subscriptions/sub_alerts/alerts'))['alerts']], ['requests', 'spend'])
        self.assertOk(self.call('DELETE', '/subscriptions/sub_alerts/alerts/requests', self.cloud_key))
        self.assertApiError(self.get('/subscriptions/sub_alerts/alerts/requests'), 404, 'alert_not_found')

    def test_bad_alerts_are_refused_and_write_nothing(self):
        self.assertOk(self.post('/subscriptions', {'subscription': {
            'external_customer_id': 'tnt_alerts002', 'plan_code': 'api_cloud_pro', 'external_id': 'sub_alerts2'}}))
        post = lambda alert: self.post('/subscriptions/sub_alerts2/alerts', {'alert': alert})  # noqa: E731
        self.assertApiError(
            post({'alert_type': 'current_usage_amount', 'code': 'x', 'thresholds': []}),
            422,
            'validation_errors',
            {'thresholds': ['value_is_mandatory']},
        )
        self.assertApiError(
            post({'alert_type': 'sometimes', 'code': 'x', 'thresholds': [{'value': 1}]}),
            422,
            'validation_errors',
            {'alert_type': ['value_is_invalid']},
        )
        self.assertApiError(post({'alert_type': 'billable_metric_current_usage_units', 'code': 'x', 'billable_metric_code': 'nope',
                                  'thresholds': [{'value': 1}]}), 404, 'billable_metric_not_found')
        two_recurring = [{'value': 1, 'recurring': True}, {'value': 2, 'recurring': True}]
        self.assertApiError(post({'alert_type': 'current_usage_amount', 'code': 'x', 'thresholds': two_recurring}),
                            422, 'validation_errors', {'thresholds': ['multiple_recurring_thresholds']})
        self.assertOk(post({'alert_type': 'current_usage_amount', 'code': 'x', 'thresholds': [{'value': 1}]}))
        self.assertApiError(
            post({'alert_type': 'current_usage_amount', 'code': 'x', 'thresholds': [{'value': 2}]}),
            422,
            'validation_errors',
            {'code': ['value_already_exist']},
        )
        unknown = {'alert': {'alert_type': 'current_usage_amount', 'code': 'y', 'thresholds': [{'value': 1}]}}
        self.assertApiError(self.post('/subscriptions/nope/alerts', unknown),
                            404, 'subscription_not_found')
        self.assertEqual(self.env['fusion.billing.alert'].search_count([('order_id.fusion_external_id', '=', 'sub_alerts2')]), 1)
