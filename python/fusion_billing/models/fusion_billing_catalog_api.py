"""A service's catalog as Lago's API finds it (billable metrics and plans by code, and their
lists): the searches live here, the controllers stay thin."""

from odoo import api, models


class FusionBillingMetric(models.Model):
    _inherit = 'fusion.billing.metric'

    @api.model
    def _fusion_by_code(self, service, code):
        """The metric `code` of `service`, or an empty recordset."""
        if not isinstance(code, str) or not code:
            return self.browse()
        return self.search([('service_id', '=', service.id), ('code', '=', code)], limit=1)

    @api.model
    def _fusion_api_domain(self, service):
        """GET /billable_metrics' domain: the metrics of `service`.

        Extension point: a bridge may narrow it; it must call super() and extend the domain it returns."""
        return [('service_id', '=', service.id)]


class SaleOrderTemplate(models.Model):
    _inherit = 'sale.order.template'

    @api.model
    def _fusion_by_code(self, service, plan_code):
        """The plan (quotation template) `plan_code` of `service`, or an empty recordset."""
        if not isinstance(plan_code, str) or not plan_code:
            return self.browse()
        return self.search([('fusion_service_id', '=', service.id), ('fusion_plan_code', '=', plan_code)], limit=1)

    @api.model
    def _fusion_api_domain(self, service):
        """GET /plans' domain: the plans of `service`.

        Extension point: a bridge may narrow it (e.g. to plans it also sells as Enterprise
        subscriptions); it must call super() and extend the domain it returns."""
        return [('fusion_service_id', '=', service.id)]
