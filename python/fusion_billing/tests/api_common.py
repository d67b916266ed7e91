"""Fixtures of the API tests: two services of different applications with their own keys,
metrics and plans, and helpers that call the real routes with a bearer key."""

import json

from odoo.fields import Command
from odoo.tests import HttpCase

from odoo.addons.fusion_billing.settings import API_BASE_PATH as BASE_PATH


class FusionApiCase(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.env.company.currency_id
        cls.cloud = cls._service('api_cloud', 'cloud', r'^tnt_[a-z0-9]{6,32}$')
        cls.desk = cls._service('api_desk', 'helpdesk', r'^ws-[0-9]{4,10}$')
        cls.cloud_key = cls.cloud.action_generate_api_key()['fusion_api_key']
        cls.desk_key = cls.desk.action_generate_api_key()['fusion_api_key']
        Metric = cls.env['fusion.billing.metric']
        cls.api_requests = Metric.create({
            'service_id': cls.cloud.id, 'name': 'API requests', 'code': 'api_requests', 'aggregation_type': 'count',
            'filters': {'region': ['ca-central', 'us-east']}, 'description': 'Requests to the public API'})
        cls.storage = Metric.create({
            'service_id': cls.cloud.id, 'name': 'Storage', 'code': 'storage_gb', 'aggregation_type': 'sum',
            'field_name': 'gb'})
        cls.tickets = Metric.create({
            'service_id': cls.desk.id, 'name': 'Tickets', 'code': 'tickets', 'aggregation_type': 'count'})
        cls.cloud_plan = cls._plan(cls.cloud, 'api_cloud_pro', '99.00', {cls.api_requests: {'amount': '0.01'}})
        cls.desk_plan = cls._plan(cls.desk, 'api_desk_team', '0', {cls.tickets: {'amount': '0.02'}})

    @classmethod
    def _service(cls, code, kind, pattern):
        return cls.env['fusion.billing.service'].create({
            'name': code.replace('_', ' ').title(), 'code': code, 'kind': kind,
            'currency_id': cls.currency.id, 'account_id_pattern': pattern,
        })

    @classmethod
    def _product(cls, name, price='0'):
        return cls.env['product.product'].create({
            'name': name, 'type': 'service', 'invoice_policy': 'delivery', 'list_price': float(price)})

    @classmethod
    def _plan(cls, service, code, amount, charges):
        base = cls._product(f'{code} base fee', amount)
        charge_products = {metric: cls._product(f'{code} {metric.code}') for metric in charges}
        plan = cls.env['sale.order.template'].create({
            'name': code.replace('_', ' ').title(),
            'fusion_plan_code': code,
            'fusion_service_id': service.id,
            'fusion_interval': 'monthly',
            'fusion_currency_id': cls.currency.id,
            'fusion_amount': float(amount),
            'sale_order_template_line_ids': [
                Command.create({'product_id': product.id, 'product_uom_qty': 1})
                for product in (base, *charge_products.values())
            ],
        })
        for metric, properties in charges.items():
            cls.env['fusion.billing.charge'].create({
                'plan_id': plan.id, 'service_id': service.id, 'code': metric.code, 'metric_id': metric.id,
                'product_id': charge_products[metric].id, 'charge_model': 'standard', 'properties': properties,
            })
        return plan

    # --------------------------------------------------------------------------------- calls

    def call(self, method, path, key=None, payload=None, data=None, headers=None, params=None):
        """Call BASE_PATH + path with `key` as bearer token; `payload` is sent as JSON."""
        headers = dict(headers or {})
        if key:
            headers['Authorization'] = f'Bearer {key}'
        if payload is not None:
            data = json.dumps(payload)
            headers.setdefault('Content-Type', 'application/json')
        return self.url_open(BASE_PATH + path, data=data, headers=headers, params=params, method=method, timeout=30)

    def post(self, path, payload, key=None):
        return self.call('POST', path, key or self.cloud_key, payload)

    def get(self, path, key=None, params=None):
        return self.call('GET', path, key or self.cloud_key, params=params)

    def assertApiError(self, response, status, code=None, error_details=None):
        """`response` is Lago's error body for `status` (and `code`, `error_details` when given)."""
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers['Content-Type'].startswith('application/json'))
        body = response.json()
        self.assertEqual(body['status'], status)
        if code is not None:
            self.assertEqual(body.get('code'), code)
        if error_details is not None:
            self.assertEqual(body.get('error_details'), error_details)
        return body

    def assertOk(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers['Content-Type'].startswith('application/json'))
        return response.json()

    # ------------------------------------------------------------------------------ records

    def usage_rows(self, service=None, **domain):
        return self.env['fusion.billing.usage'].search(
            [('service_id', '=', (service or self.cloud).id), *[(k, '=', v) for k, v in domain.items()]])

    def customer(self, external_id, key=None, **fields):
        response = self.post('/customers', {'customer': {'external_id': external_id, **fields}}, key)
        return self.assertOk(response)['customer']

    def link(self, service, external_id):
        return self.env['fusion.billing.account.link'].search(
            [('service_id', '=', service.id), ('external_id', '=', external_id)])
