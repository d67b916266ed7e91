"""Fixtures of the Stripe tests: the company's Stripe provider in test mode, its API requests sent
to a local StripeStub (payment_stripe hard-codes api.stripe.com, and tests may only reach
localhost), and a Lago customer whose card already exists on the Stripe account."""

from unittest.mock import patch

from odoo.tools.urls import urljoin as url_join

from .engine_common import EngineCase
from .stripe_stub import StripeStub

LAGO_CUSTOMER = 'cus_LAGO123'
LAGO_CARD = 'pm_1LagoVisa4242'
# payment logs every non-2xx answer of a provider (a declined card included) at ERROR level.
STRIPE_ERROR_LOGGER = 'odoo.addons.payment.models.payment_provider'


class StripeCase(EngineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stub = cls.enterClassContext(StripeStub())
        base_url = cls.stub.base_url
        cls.startClassPatcher(patch(
            'odoo.addons.payment_stripe.models.payment_provider.PaymentProvider._build_request_url',
            lambda provider, endpoint, **kwargs: url_join(base_url, endpoint)))
        cls.provider = cls.env.ref('payment.payment_provider_stripe')
        cls.provider.write({
            'state': 'test',
            'stripe_secret_key': 'sk_test_fusion_billing',
            'stripe_publishable_key': 'pk_test_fusion_billing',
        })
        cls.stub.seed_customer(LAGO_CUSTOMER, [(LAGO_CARD, 'visa', '4242')])

    def setUp(self):
        super().setUp()
        self.stub.requests.clear()

    def tokens_of(self, partner):
        return self.env['payment.token'].search([('partner_id', '=', partner.id)])
