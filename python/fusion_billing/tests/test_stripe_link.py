"""Linking the Stripe customer and card Lago already uses: the payment.token payment_stripe needs to
charge it off-session, created once, from Stripe's own answers."""

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.fusion_billing.controllers.api import ApiError
from odoo.addons.fusion_billing.controllers.customers_billing import link_payment_provider
from odoo.addons.fusion_billing.models.payment_token_stripe_link import StripeLinkError

from .stripe_common import LAGO_CARD, LAGO_CUSTOMER, STRIPE_ERROR_LOGGER, StripeCase


@tagged('post_install', '-at_install')
class TestStripeLink(StripeCase):

    def test_link_creates_the_token_of_the_default_card(self):
        token = self.partner._fusion_link_stripe_customer(LAGO_CUSTOMER)
        self.assertRecordValues(token, [{
            'provider_id': self.provider.id,
            'partner_id': self.partner.id,
            'provider_ref': LAGO_CUSTOMER,
            'stripe_payment_method': LAGO_CARD,
            'payment_details': '4242',
            'payment_method_id': self.env.ref('payment.payment_method_card').id,
            'active': True,
        }])
        customer, card = self.stub.requests
        self.assertEqual((customer['method'], customer['path']), ('GET', f'/v1/customers/{LAGO_CUSTOMER}'))
        self.assertEqual((card['method'], card['path']), ('GET', f'/v1/payment_methods/{LAGO_CARD}'))
        # payment_stripe's own request helper: its key and pinned API version.
        self.assertEqual(customer['headers']['authorization'], 'Bearer sk_test_fusion_billing')
        self.assertEqual(customer['headers']['stripe-version'], '2019-05-16')

    def test_linking_again_keeps_one_token(self):
        first = self.partner._fusion_link_stripe_customer(LAGO_CUSTOMER)
        second = self.partner._fusion_link_stripe_customer(LAGO_CUSTOMER)
        self.assertEqual(first, second)
        self.assertEqual(self.tokens_of(self.partner), first)

    def test_a_new_default_card_replaces_the_old_token(self):
        self.stub.seed_customer('cus_NEWCARD', [('pm_old_card', 'visa', '1111')])
        old = self.partner._fusion_link_stripe_customer('cus_NEWCARD')
        self.stub.seed_customer('cus_NEWCARD', [('pm_new_card', 'mastercard', '4444')])
        new = self.partner._fusion_link_stripe_customer('cus_NEWCARD')
        self.assertNotEqual(old, new)
        self.assertEqual((new.stripe_payment_method, new.payment_details), ('pm_new_card', '4444'))
        self.assertFalse(old.active)
        self.assertEqual(self.tokens_of(self.partner), new)

    def test_without_a_default_card_the_customers_card_is_used(self):
        self.stub.seed_customer('cus_NODEFAULT', [('pm_only_card', 'amex', '8431')], default=False)
        token = self.partner._fusion_link_stripe_customer('cus_NODEFAULT')
        self.assertEqual((token.stripe_payment_method, token.payment_details), ('pm_only_card', '8431'))
        [listing] = self.stub.requests_to('GET', '/v1/payment_methods')
        self.assertEqual(listing['params'], {'customer': 'cus_NODEFAULT', 'type': 'card', 'limit': '1'})

    def test_a_customer_without_card_is_a_clear_error(self):
        self.stub.seed_customer('cus_NOCARD')
        with self.assertRaises(StripeLinkError) as caught:
            self.partner._fusion_link_stripe_customer('cus_NOCARD')
        self.assertEqual(caught.exception.code, 'payment_method_not_found')
        self.assertIn('cus_NOCARD has no saved card', str(caught.exception))
        self.assertFalse(self.tokens_of(self.partner))

    @mute_logger(STRIPE_ERROR_LOGGER)
    def test_an_unknown_customer_is_stripes_error(self):
        with self.assertRaises(StripeLinkError) as caught:
            self.partner._fusion_link_stripe_customer('cus_UNKNOWN')
        self.assertEqual(caught.exception.code, 'provider_error')
        self.assertIn("No such customer: 'cus_UNKNOWN'", str(caught.exception))

    def test_without_an_enabled_stripe_provider(self):
        self.provider.state = 'disabled'
        with self.assertRaises(StripeLinkError) as caught:
            self.partner._fusion_link_stripe_customer(LAGO_CUSTOMER)
        self.assertEqual(caught.exception.code, 'provider_not_configured')
        self.assertFalse(self.stub.requests)

    # -------------------------------------------------------- POST /customers billing_configuration

    def test_billing_configuration_links_the_card(self):
        token = link_payment_provider(self.service, self.partner, {
            'payment_provider': 'stripe', 'provider_customer_id': LAGO_CUSTOMER, 'sync_with_provider': False})
        self.assertEqual((token.partner_id, token.provider_ref), (self.partner, LAGO_CUSTOMER))

    def test_billing_configuration_without_stripe_customer_links_nothing(self):
        for configuration in (None, {}, {'invoice_grace_period': 3}, {'payment_provider': 'stripe'},
                              {'payment_provider': 'stripe', 'provider_customer_id': None}):
            self.assertIsNone(link_payment_provider(self.service, self.partner, configuration))
        self.assertFalse(self.stub.requests)

    @mute_logger(STRIPE_ERROR_LOGGER)
    def test_billing_configuration_errors_are_422(self):
        self.stub.seed_customer('cus_NOCARD')
        cases = [
            ('stripe', 'invalid_format'),
            ({'payment_provider': 'gocardless', 'provider_customer_id': 'CU123'}, 'payment_provider_not_supported'),
            ({'payment_provider': 'stripe', 'provider_customer_id': '../accounts'}, 'invalid_format'),
            ({'payment_provider': 'stripe', 'provider_customer_id': 42}, 'invalid_format'),
            ({'payment_provider': 'stripe', 'provider_customer_id': 'cus_UNKNOWN'}, 'provider_error'),
            ({'payment_provider': 'stripe', 'provider_customer_id': 'cus_NOCARD'}, 'payment_method_not_found'),
        ]
        for configuration, code in cases:
            with self.subTest(configuration=configuration), self.assertRaises(ApiError) as caught:
                link_payment_provider(self.service, self.partner, configuration)
            self.assertEqual((caught.exception.status, caught.exception.error_details), (422, {'billing_configuration': [code]}))
