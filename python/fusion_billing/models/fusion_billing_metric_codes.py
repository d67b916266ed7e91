"""The metric codes of a service, looked up by every event request.

Cached per worker (tools.ormcache) rather than read twice per request; any change to a metric
clears the cache, and Odoo signals the clearing to the other workers before their next request."""

from odoo import api, models, tools


class FusionBillingMetric(models.Model):
    _inherit = 'fusion.billing.metric'

    @api.model
    @tools.ormcache('service_id')
    def _fusion_codes(self, service_id):
        """{code: metric id} of the service's metrics. Shared: callers must not modify it."""
        self.env.cr.execute('SELECT code, id FROM fusion_billing_metric WHERE service_id = %s', [service_id])
        return dict(self.env.cr.fetchall())

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if {'code', 'service_id'} & vals.keys():
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
