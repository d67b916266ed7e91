"""customer.created, written with the link that makes an application account a customer."""

from odoo import api, models

from ..lago.serializers import customer_payload


class FusionBillingAccountLink(models.Model):
    _inherit = 'fusion.billing.account.link'

    @api.model_create_multi
    def create(self, vals_list):
        links = super().create(vals_list)
        for link in links:
            self.env['fusion.billing.webhook']._fusion_enqueue(
                link.service_id, 'customer.created', 'customer', link, customer_payload(link, link.service_id))
        return links
