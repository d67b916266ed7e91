"""The subscriptions of a service as Lago's API finds them (GET /subscriptions, GET and PUT
/subscriptions/{external_id}, and every route under one): the searches live here, the
controllers stay thin."""

from odoo import api, models

# Lago's subscription statuses; only active and terminated exist here.
LAGO_SUBSCRIPTION_STATUSES = ('pending', 'active', 'terminated', 'canceled', 'incomplete')


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    @api.model
    def _fusion_service_subscriptions(self, service, domain=()):
        """The subscriptions (sale orders) of `service` matching `domain`, newest first."""
        return self.search([('fusion_service_id', '=', service.id), *domain], order='id desc')

    @api.model
    def _fusion_find_subscription(self, service, external_id, status='active', partner=None):
        """The subscription `external_id` of `service` in `status` (any status when None), of
        `partner` when given, or an empty recordset."""
        if not external_id:
            return self.browse()
        domain = [('fusion_external_id', '=', external_id)]
        if status is not None:
            domain.append(('fusion_status', '=', status))
        if partner is not None:
            domain.append(('partner_id', '=', partner.id))
        return self._fusion_service_subscriptions(service, domain)[:1]

    @api.model
    def _fusion_api_domain(self, service, filters, partner=None):
        """GET /subscriptions' domain for Lago's filters (app/queries/subscriptions_query.rb).
        `filters`: {name: value or [values]}; `partner` is the customer's when the request names
        one (an empty partner: the customer is unknown, nothing matches).

        Extension point: a bridge may narrow the domain or add filters of its own (e.g. Enterprise
        subscriptions); it must call super() and extend the domain it returns."""
        statuses = filters.get('statuses') or ['active']
        if set(statuses) - set(LAGO_SUBSCRIPTION_STATUSES):
            statuses = list(LAGO_SUBSCRIPTION_STATUSES)  # Lago drops a status filter with an invalid value
        domain = [('fusion_service_id', '=', service.id), ('fusion_external_id', '!=', False), ('fusion_status', 'in', statuses)]
        if partner is not None:
            domain.append(('partner_id', '=', partner.id or False))
        if filters.get('plan_code'):
            domain.append(('sale_order_template_id.fusion_plan_code', '=', filters['plan_code']))
        if filters.get('external_id'):
            domain.append(('fusion_external_id', '=', filters['external_id']))
        if filters.get('currency'):
            domain.append(('currency_id.name', '=', filters['currency'].upper()))
        return domain
