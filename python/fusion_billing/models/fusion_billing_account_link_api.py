"""Lago's customers of a service as its API lists them (GET /customers) and its customer portal
(GET /customers/{id}/portal_url): the searches live here, the controllers stay thin."""

from odoo import api, models

# Lago's customer_type values and the Odoo partner kind each one is.
_CUSTOMER_TYPES = {'company': True, 'individual': False}


class FusionBillingAccountLink(models.Model):
    _inherit = 'fusion.billing.account.link'

    @api.model
    def _fusion_find(self, service, external_id, include_archived=False):
        """The customer (application account) `external_id` of `service`, or an empty recordset."""
        if not external_id:
            return self.browse()
        links = self.with_context(active_test=False) if include_archived else self
        return links.search([('service_id', '=', service.id), ('external_id', '=', external_id)], limit=1)

    @api.model
    def _fusion_api_domain(self, service, filters):
        """GET /customers' domain for Lago's filters (app/queries/customers_query.rb). Raises
        ValueError(filter name) for a value Lago refuses.

        Extension point: a bridge may honour filters of its own or narrow the result; it must
        call super() and extend the domain it returns."""
        domain = [('service_id', '=', service.id)]
        if filters.get('external_id'):
            domain.append(('external_id', '=', filters['external_id']))
        elif filters.get('search_term'):
            term = filters['search_term']
            domain += ['|', '|', '|', ('external_id', 'ilike', term), ('partner_id.name', 'ilike', term),
                       ('partner_id.email', 'ilike', term), ('partner_id.commercial_company_name', 'ilike', term)]
        currencies = filters.get('currencies') or []
        if currencies and service.currency_id.name not in {c.upper() for c in currencies}:
            domain.append(('id', '=', False))  # a service's customers are billed in its currency
        if filters.get('countries'):
            domain.append(('partner_id.country_id.code', 'in', [c.upper() for c in filters['countries']]))
        if filters.get('states'):
            domain.append(('partner_id.state_id.code', 'in', [s.upper() for s in filters['states']]))
        if filters.get('zipcodes'):
            domain.append(('partner_id.zip', 'in', filters['zipcodes']))
        account_types = filters.get('account_type') or []
        if set(account_types) - {'customer', 'partner'}:
            raise ValueError('account_type')
        if account_types and 'customer' not in account_types:
            domain.append(('id', '=', False))  # every account here is a customer, none a partner
        customer_type = filters.get('customer_type')
        if customer_type:
            if customer_type not in _CUSTOMER_TYPES:
                raise ValueError('customer_type')
            domain.append(('partner_id.is_company', '=', _CUSTOMER_TYPES[customer_type]))
        if filters.get('has_customer_type') is False:
            domain.append(('id', '=', False))  # every customer here is a company or an individual
        has_tax_id = filters.get('has_tax_identification_number')
        if has_tax_id is not None:
            domain.append(('partner_id.vat', '!=' if has_tax_id else '=', False))
        if any(filters.get('metadata', {}).values()):
            domain.append(('id', '=', False))  # customers carry no metadata here
        return domain

    def _fusion_portal_url(self):
        """Odoo's customer portal for this account, opened with an access token: the page of its
        latest subscription, which lists the subscription's invoices. Without one, the portal home."""
        self.ensure_one()
        order = self.env['sale.order'].sudo().search(
            [('fusion_service_id', '=', self.service_id.id), ('partner_id', '=', self.partner_id.id)], order='id desc', limit=1)
        if not order:
            return f'{self.get_base_url()}/my'
        return f'{order.get_base_url()}{order.get_portal_url()}'
