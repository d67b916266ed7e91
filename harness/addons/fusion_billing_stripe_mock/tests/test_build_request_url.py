from odoo.tests import TransactionCase, tagged


@tagged('post_install', '-at_install')
class TestBuildRequestUrl(TransactionCase):

    def test_stripe_requests_go_to_the_mock_only_when_configured(self):
        stripe = self.env.ref('payment.payment_provider_stripe')
        self.assertEqual(stripe._build_request_url('payment_intents'), 'https://api.stripe.com/v1/payment_intents')
        self.env['ir.config_parameter'].set_param('fusion_billing_stripe_mock.base_url', 'http://127.0.0.1:4242/v1/')
        self.assertEqual(stripe._build_request_url('payment_intents'), 'http://127.0.0.1:4242/v1/payment_intents')
        self.assertEqual(stripe._build_request_url('customers/cus_1'), 'http://127.0.0.1:4242/v1/customers/cus_1')
        # Odoo's Connect onboarding proxy is never redirected.
        self.assertTrue(stripe._build_request_url('accounts', is_proxy_request=True).startswith('https://stripe.api.odoo.com/'))
