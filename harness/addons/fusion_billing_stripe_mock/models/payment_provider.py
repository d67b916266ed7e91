"""Point payment_stripe at a local Stripe mock when `fusion_billing_stripe_mock.base_url` is set.

payment_stripe hard-codes https://api.stripe.com/v1/, and Odoo tests refuse requests to any host
but localhost; this override is the one seam the harness needs. Without the parameter, nothing
changes."""

from odoo import models
from odoo.tools.urls import urljoin as url_join

BASE_URL_PARAM = 'fusion_billing_stripe_mock.base_url'


class PaymentProvider(models.Model):
    _inherit = 'payment.provider'

    def _build_request_url(self, endpoint, *, is_proxy_request=False, version=1, **kwargs):
        base_url = self.code == 'stripe' and not is_proxy_request and (
            self.env['ir.config_parameter'].sudo().get_param(BASE_URL_PARAM))
        if base_url:
            return url_join(base_url, endpoint)
        return super()._build_request_url(endpoint, is_proxy_request=is_proxy_request, version=version, **kwargs)
