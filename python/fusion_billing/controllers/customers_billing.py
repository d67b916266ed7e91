"""Lago's customer `billing_configuration`: link the Stripe customer (and its saved card) that Lago
already uses, so that invoices are charged on it through Odoo's payment_stripe.

    "billing_configuration": {"payment_provider": "stripe", "provider_customer_id": "cus_..."}

Only linking: a customer without `provider_customer_id` is not created on Stripe (Lago's
`sync_with_provider`); the card is linked when the application sends the id."""

import re

from .api import ApiError
from ..models.payment_token_stripe_link import StripeLinkError

SUPPORTED_PROVIDERS = ('stripe',)
# Stripe object ids (cus_…); the id becomes part of a Stripe URL path.
_STRIPE_ID = re.compile(r'[A-Za-z0-9_]{1,255}')


def link_payment_provider(service, partner, billing_configuration):
    """The payment.token linked for `partner` from `billing_configuration`, or None when it asks
    for nothing to link. Raises ApiError 422 `{"billing_configuration": [code]}` when the
    configuration is invalid or Stripe cannot give a card to charge."""
    if billing_configuration is None:
        return None
    if not isinstance(billing_configuration, dict):
        raise ApiError.validation({'billing_configuration': ['invalid_format']})
    provider_code = billing_configuration.get('payment_provider')
    if provider_code is None:
        return None
    if provider_code not in SUPPORTED_PROVIDERS:
        raise ApiError.validation({'billing_configuration': ['payment_provider_not_supported']})
    customer_id = billing_configuration.get('provider_customer_id')
    if customer_id is None or customer_id == '':
        return None
    if not isinstance(customer_id, str) or not _STRIPE_ID.fullmatch(customer_id):
        raise ApiError.validation({'billing_configuration': ['invalid_format']})
    provider = service.env['payment.provider']._fusion_stripe_provider(service.company_id)
    try:
        return partner._fusion_link_stripe_customer(customer_id, provider=provider)
    except StripeLinkError as error:
        # pylint cannot see that StripeLinkError is one: Odoo's UserError is outside what it reads.
        raise ApiError.validation({'billing_configuration': [error.code]}) from error  # pylint: disable=bad-exception-cause
