"""A charge's price as a person reads it: Lago's properties (JSON) as one line per tier."""

from decimal import Decimal

from odoo import api, fields, models


def _number(value):
    """A stored amount or bound as written in the spec, without trailing zeros."""
    if value is None:
        return None
    text = format(Decimal(str(value)).normalize(), 'f')
    return text


def _range_line(tier, unit):
    upper = _number(tier.get('to_value'))
    bounds = f'{_number(tier.get("from_value"))} – {upper}' if upper is not None else f'{_number(tier.get("from_value"))} and more'
    line = f'{bounds}: {_number(tier.get("per_unit_amount"))} {unit}'
    if Decimal(str(tier.get('flat_amount') or 0)):
        line += f' + {_number(tier["flat_amount"])} flat'
    return line


def price_lines(charge_model, properties):
    """The lines of a charge's price, in the charge's currency units."""
    properties = properties or {}
    if charge_model == 'standard':
        return [f'{_number(properties.get("amount"))} per unit']
    if charge_model == 'graduated':
        return [_range_line(tier, 'per unit') for tier in properties.get('graduated_ranges') or []]
    if charge_model == 'volume':
        return ['All units at the price of the range the total falls in:'] + [
            _range_line(tier, 'per unit') for tier in properties.get('volume_ranges') or []]
    if charge_model == 'package':
        line = f'{_number(properties.get("amount"))} per package of {properties.get("package_size")} units'
        if properties.get('free_units'):
            line += f', first {properties["free_units"]} units free'
        return [line]
    if charge_model == 'percentage':
        line = f'{_number(properties.get("rate"))}% of the amount'
        if properties.get('fixed_amount'):
            line += f' + {_number(properties["fixed_amount"])} per event'
        return [line]
    if charge_model == 'graduated_percentage':
        return [f'{_number(tier.get("from_value"))} – {_number(tier.get("to_value")) or "more"}: {_number(tier.get("rate"))}%'
                for tier in properties.get('graduated_percentage_ranges') or []]
    return []


class FusionBillingCharge(models.Model):
    _inherit = 'fusion.billing.charge'

    price_summary = fields.Text(string='Price', compute='_compute_price_summary')

    @api.depends('charge_model', 'properties', 'filters')
    def _compute_price_summary(self):
        for charge in self:
            lines = price_lines(charge.charge_model, charge.properties)
            for entry in charge.filters or []:
                scope = ', '.join(f'{key} = {" or ".join(values)}' for key, values in (entry.get('values') or {}).items())
                lines.append(f'When {scope}:')
                lines += [f'  {line}' for line in price_lines(charge.charge_model, entry.get('properties'))]
            charge.price_summary = '\n'.join(lines)


class FusionBillingUsage(models.Model):
    _inherit = 'fusion.billing.usage'

    partner_id = fields.Many2one(related='order_id.partner_id', string='Customer')
    properties_summary = fields.Char(string='Properties in short', compute='_compute_properties_summary')

    @api.depends('properties')
    def _compute_properties_summary(self):
        for event in self:
            props = event.properties or {}
            text = ', '.join(f'{key}={value}' for key, value in props.items()) if isinstance(props, dict) else str(props)
            event.properties_summary = text if len(text) <= 80 else f'{text[:79]}…'
