"""The subscription form's usage panel: what the plan bills, the current period per charge
(units, amount, taxes) from the same engine as GET /customers/{id}/current_usage, the periods
already billed with their invoices, and where billing stands."""

from decimal import Decimal

from odoo import api, fields, models

from ..lago.serializers import stored_number


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    fusion_usage_panel = fields.Html(
        string='Usage', compute='_compute_fusion_usage_panel', sanitize=False,
        help='Current usage as the API reports it (current_usage), what the plan bills, and the billed periods.')
    fusion_current_amount = fields.Monetary(
        string='Usage this period', compute='_compute_fusion_usage_panel', currency_field='currency_id',
        help='Rated usage of the current period so far, before taxes (current_usage amount).')

    def _compute_fusion_usage_panel(self):
        for order in self:
            if not order.fusion_service_id or not order.sale_order_template_id or not order.fusion_started_at:
                order.fusion_usage_panel = False
                order.fusion_current_amount = 0
                continue
            values = order._fusion_usage_panel_values()
            order.fusion_current_amount = values['current']['amount'] if values['current'] else 0
            order.fusion_usage_panel = self.env['ir.qweb']._render('fusion_billing.subscription_usage_panel', values)

    def _fusion_usage_panel_values(self):
        """The panel's figures, as amounts of the order's currency.

        Extension point: a bridge may add its own figures (e.g. Enterprise's recurring lines);
        it must call super() and extend the values it returns."""
        self.ensure_one()
        currency = self.currency_id
        plan = self.sale_order_template_id

        def money(subunits):
            return Decimal(subunits).scaleb(-currency.decimal_places)

        current = None
        if self.fusion_status == 'active':
            usage = self._fusion_customer_usage()
            current = {
                'from': usage['from_datetime'][:10], 'to': usage['to_datetime'][:10],
                'amount': money(usage['amount_cents']), 'taxes': money(usage['taxes_amount_cents']),
                'total': money(usage['total_amount_cents']),
                'charges': [{
                    'name': entry['charge']['invoice_display_name'] or entry['billable_metric']['name'],
                    'units': entry['units'], 'events': entry['events_count'], 'amount': money(entry['amount_cents']),
                } for entry in usage['charges_usage']],
            }
        past = [{
            'from': period['from_datetime'][:10], 'to': period['to_datetime'][:10],
            'amount': money(period['amount_cents']), 'taxes': money(period['taxes_amount_cents']),
            'total': money(period['total_amount_cents']),
        } for period in self._fusion_past_usage()]
        return {
            'order': self, 'currency': currency, 'plan': plan, 'fmt': lambda amount: self._fusion_format_money(amount, currency),
            'base_fee': stored_number(plan, 'fusion_amount') or Decimal(0),
            'interval': dict(plan._fields['fusion_interval'].selection).get(plan.fusion_interval, ''),
            'plan_charges': [{'name': charge.invoice_display_name or charge.metric_id.name, 'price': charge.price_summary.split('\n'),
                              'filtered': bool(charge.filters)} for charge in plan.fusion_charge_ids],
            'current': current,
            'past': past,
            'invoices': self.invoice_ids.sorted('invoice_date', reverse=True),
            'closed_until': self.fusion_closed_until,
        }

    @api.model
    def _fusion_format_money(self, amount, currency):
        """An exact amount (Decimal) written in the currency's way, without passing through a float."""
        text = f'{Decimal(amount):,.{currency.decimal_places}f}'
        return f'{text}\N{NO-BREAK SPACE}{currency.symbol}' if currency.position == 'after' else f'{currency.symbol}{text}'
