"""Countries, their subdivisions and currencies as Lago's customer payloads name them (ISO codes),
for the API's customer upsert: the lookups live here, the controllers stay thin."""

from odoo import api, models


class ResCountry(models.Model):
    _inherit = 'res.country'

    @api.model
    def _fusion_by_code(self, code):
        """The country of an ISO 3166-1 alpha-2 code (any case), or an empty recordset."""
        if not isinstance(code, str) or len(code.strip()) != 2:
            return self.browse()
        return self.search([('code', '=', code.strip().upper())], limit=1)

    def _fusion_state_named(self, code_or_name):
        """(state, known) for a subdivision of this country named by its code or its name (any
        case): `known` is False when the country has subdivisions and none has that code or name."""
        self.ensure_one()
        states = self.env['res.country.state'].search([('country_id', '=', self.id)])
        wanted = code_or_name.strip().upper()
        match = (states.filtered(lambda s: s.code.upper() == wanted)
                 or states.filtered(lambda s: s.name.upper() == wanted))
        return match[:1], bool(match) or not states


class ResCurrency(models.Model):
    _inherit = 'res.currency'

    @api.model
    def _fusion_known(self, code):
        """Whether an ISO 4217 code (any case) names a currency of Odoo's, active or not."""
        return bool(self.with_context(active_test=False).search_count([('name', '=', code.upper())], limit=1))
