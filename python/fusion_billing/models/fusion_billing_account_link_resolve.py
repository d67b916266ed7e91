"""Identity resolution: every application account of one customer lands on one res.partner.

NexaCloud's tenant and NexaDesk's workspace of the same company are two links (one per service)
to the same partner, found by email or VAT number when the second application first sends it."""

from odoo import api, models


def _ilike_literal(value):
    """`value` as an (=)ilike pattern that matches only itself."""
    return value.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


class FusionBillingAccountLink(models.Model):
    _inherit = 'fusion.billing.account.link'

    @api.model
    def _fusion_upsert(self, service, external_id, partner_values):
        """The link of `service`'s account `external_id`, created on first sight, its partner
        updated with `partner_values` (only the keys given)."""
        link = self.with_context(active_test=False).search(
            [('service_id', '=', service.id), ('external_id', '=', external_id)], limit=1)
        if link:
            if not link.active:
                # The application registers the account again: it is in use.
                link.active = True
            if partner_values:
                link.partner_id.write(partner_values)
            return link.with_env(self.env)
        partner = self._fusion_matching_partner(service, partner_values.get('email'), partner_values.get('vat'))
        if partner:
            if partner_values:
                partner.write(partner_values)
        else:
            partner = self.env['res.partner'].create({'name': external_id, **partner_values})
        return self.create({'service_id': service.id, 'external_id': external_id, 'partner_id': partner.id})

    @api.model
    def _fusion_matching_partner(self, service, email, vat):
        """An existing partner with this email (case-insensitive) or VAT number that no other
        account of `service` uses yet; empty when there is none.

        Two accounts of the same application stay two partners: each subscription, usage
        report and invoice list of the application then belongs to exactly one account."""
        Partner = self.env['res.partner']
        shared = [('company_id', 'in', [False, service.company_id.id])]
        candidates = Partner
        if email:
            found = Partner.search(shared + [('email', '=ilike', _ilike_literal(email))], order='is_company desc, id')
            candidates |= found.filtered(lambda p: (p.email or '').strip().lower() == email.strip().lower())
        if vat:
            candidates |= Partner.search(shared + [('vat', '=', vat)], order='is_company desc, id')
        if not candidates:
            return Partner
        taken = self.with_context(active_test=False).search(
            [('service_id', '=', service.id), ('partner_id', 'in', candidates.ids)]).partner_id
        return (candidates - taken)[:1]

    @api.model
    def _fusion_link_of(self, service, partner):
        """The application account (Lago's customer) of `partner` for `service`, archived ones
        included (a terminated customer's invoices still name it), or an empty recordset."""
        return self.sudo().with_context(active_test=False).search(
            [('service_id', '=', service.id), ('partner_id', '=', partner.id)], limit=1)
