"""Linking a card that already exists on the Stripe account (saved there by Lago) to a partner.

payment_stripe charges a saved card off-session from a `payment.token` whose `provider_ref` is the
Stripe Customer id and `stripe_payment_method` the PaymentMethod id. Lago's customers already have
both on the same Stripe account, so nothing is migrated: we look the card up and write the token."""

import logging

from odoo import models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)


class StripeLinkError(UserError):
    """Linking failed; `code` says why, for API error details."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class PaymentProvider(models.Model):
    _inherit = 'payment.provider'

    def _fusion_stripe_provider(self, company):
        """The Stripe provider `company` charges with: live first, else test mode; empty if none."""
        providers = self.sudo().search(
            [('code', '=', 'stripe'), ('state', 'in', ('enabled', 'test')), ('company_id', '=', company.id)])
        return providers.sorted(lambda p: (p.state != 'enabled', p.id))[:1]


class ResPartner(models.Model):
    _inherit = 'res.partner'

    def _fusion_link_stripe_customer(self, stripe_customer_id, provider=None):
        """The active `payment.token` charging Stripe customer `stripe_customer_id`'s default card
        for this partner, created on first link. Idempotent: linking again returns the same token;
        when the customer's default card changed, the new card gets a token and the tokens of the
        older cards of that customer are archived, so that charges use the current card.

        Raises StripeLinkError (a UserError) when there is no Stripe provider, Stripe refuses the
        request, or the customer has no card."""
        self.ensure_one()
        company = self.company_id or self.env.company
        provider = (provider or self.env['payment.provider']._fusion_stripe_provider(company)).sudo()
        if not provider:
            raise StripeLinkError(
                self.env._('No Stripe payment provider is enabled for %s.', company.name), 'provider_not_configured')
        # Concurrent links of one partner (two API calls) would both create a token.
        self.env.cr.execute('SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE', [self.id])
        payment_method = self._fusion_stripe_default_card(provider, stripe_customer_id)
        Token = self.env['payment.token'].sudo()
        tokens = Token.search([
            ('partner_id', '=', self.id),
            ('provider_id', '=', provider.id),
            ('provider_ref', '=', stripe_customer_id),
        ])
        last4 = (payment_method.get('card') or {}).get('last4')
        token = tokens.filtered(lambda t: t.stripe_payment_method == payment_method['id'])[:1]
        if token:
            if last4 and token.payment_details != last4:
                token.payment_details = last4
        else:
            token = Token.create({
                'provider_id': provider.id,
                'payment_method_id': self.env.ref('payment.payment_method_card').id,
                'partner_id': self.id,
                'provider_ref': stripe_customer_id,
                'stripe_payment_method': payment_method['id'],
                'payment_details': last4,
            })
            _logger.info('Linked Stripe customer %s (card %s) to partner %s as payment token %s',
                         stripe_customer_id, payment_method['id'], self.id, token.id)
        (tokens - token).filtered('active').active = False
        return token

    def _fusion_stripe_default_card(self, provider, stripe_customer_id):
        """The customer's default card as a Stripe PaymentMethod object, through payment_stripe's
        own request helper (same keys, headers and API version as its charges)."""
        try:
            customer = provider._send_api_request('GET', f'customers/{stripe_customer_id}')
            if customer.get('deleted'):
                raise StripeLinkError(
                    self.env._('Stripe customer %s was deleted.', stripe_customer_id), 'provider_customer_deleted')
            default_id = (customer.get('invoice_settings') or {}).get('default_payment_method')
            if isinstance(default_id, dict):
                default_id = default_id.get('id')
            if default_id:
                payment_method = provider._send_api_request('GET', f'payment_methods/{default_id}')
            else:
                # No default card: the customer's (latest) card, as payment_stripe's own
                # pre-SCA token migration picks it.
                cards = provider._send_api_request(
                    'GET', 'payment_methods', data={'customer': stripe_customer_id, 'type': 'card', 'limit': 1})
                payment_method = (cards.get('data') or [None])[0]
        except ValidationError as error:
            # Stripe refused (unknown customer, bad key) or could not be reached.
            raise StripeLinkError(str(error), 'provider_error') from error
        if not payment_method or payment_method.get('type') != 'card' or not payment_method.get('id'):
            raise StripeLinkError(
                self.env._('Stripe customer %s has no saved card to charge.', stripe_customer_id), 'payment_method_not_found')
        return payment_method
