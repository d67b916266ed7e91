"""POST /invoices/{lago_id}/retry_payment: charge a declined invoice again on the linked card."""

import json

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.fusion_billing.settings import API_BASE_PATH

from ..lago.ids import lago_id
from .engine_common import dt
from .stripe_common import STRIPE_ERROR_LOGGER, StripeCase


@tagged('post_install', '-at_install')
class TestApiRetryPayment(StripeCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.service.action_generate_api_key()['fusion_api_key']
        cls.desk_key = cls.env.ref('fusion_billing.service_nexadesk').action_generate_api_key()['fusion_api_key']

    def retry(self, invoice, key=None):
        # Without a body, as Lago documents the call.
        response = self.url_open(
            f'{API_BASE_PATH}/invoices/{lago_id(invoice)}/retry_payment', method='POST',
            headers={'Authorization': f'Bearer {key or self.key}'})
        return response.status_code, json.loads(response.content)

    @mute_logger(STRIPE_ERROR_LOGGER)
    def test_a_declined_invoice_is_paid_by_a_retry_and_cannot_be_paid_twice(self):
        partner = self.env['res.partner'].create({'name': 'Retry API Inc.', 'tz': 'UTC'})
        self.stub.seed_customer('cus_RETRYAPI', [('pm_card_9995', 'visa', '9995')])
        partner._fusion_link_stripe_customer('cus_RETRYAPI')
        self.stub.declining.add('pm_card_9995')
        order = self.subscribe('retry-api', dt(2026, 1, 1), partner=partner)
        order._fusion_close_periods(until=dt(2026, 2, 1))
        invoice = order.invoice_ids
        self.assertEqual((invoice.payment_state, invoice.transaction_ids.state), ('not_paid', 'error'))

        self.assertEqual(self.retry(invoice, key=self.desk_key), (404, {'status': 404, 'error': 'Not Found', 'code': 'invoice_not_found'}))
        self.stub.declining.discard('pm_card_9995')
        status, body = self.retry(invoice)
        self.assertEqual(status, 200)
        self.assertEqual((body['invoice']['lago_id'], body['invoice']['payment_status']), (lago_id(invoice), 'succeeded'))
        self.assertIn(invoice.payment_state, ('paid', 'in_payment'))
        self.assertEqual(self.retry(invoice)[0], 405)

    def test_an_invoice_without_a_linked_card_is_refused(self):
        order = self.subscribe('retry-no-card', dt(2026, 1, 1))
        order._fusion_close_periods(until=dt(2026, 2, 1))
        status, body = self.retry(order.invoice_ids)
        self.assertEqual((status, body['error_details']), (422, {'payment_method': ['not_found']}))

    def test_a_body_less_post_to_a_route_that_needs_a_body_is_a_missing_parameter(self):
        response = self.url_open(f'{API_BASE_PATH}/events', method='POST', headers={'Authorization': f'Bearer {self.key}'})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(json.loads(response.content), {'status': 400, 'error': 'BadRequest: param is missing or the value is empty: event'})
