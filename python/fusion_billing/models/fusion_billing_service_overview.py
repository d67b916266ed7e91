"""The app's overview: one card per service with the figures an administrator checks first
(events today and this month, events that will not bill as sent, late events, webhooks not
delivered, the API key's age), each leading to the list behind it."""

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from odoo import api, fields, models

# Events that will not bill as sent (events.errors): unknown metric, no subscription, bad properties.
_USAGE_FLAGGED = ['|', '|', '|', ('missing_property', '=', True), ('invalid_filter', '=', True),
                  ('code', '!=', False), ('order_id', '=', False)]


class FusionBillingService(models.Model):
    _name = 'fusion.billing.service'
    _inherit = ['fusion.billing.service', 'mail.thread']

    api_key_state = fields.Selection(
        [('none', 'No key'), ('active', 'Active')], string='API key', compute='_compute_api_key_state',
        help='Applications authenticate with the current key; generating a new one revokes it.')
    api_key_age_days = fields.Integer(string='API key age (days)', compute='_compute_api_key_state')
    overview_events_today = fields.Integer(string='Events today', compute='_compute_overview')
    overview_events_month = fields.Integer(string='Events this month', compute='_compute_overview')
    overview_events_flagged = fields.Integer(
        string='Events with errors', compute='_compute_overview',
        help='Events of this month that will not bill as sent (events.errors): unknown metric, no subscription, missing property or unlisted filter value.')
    overview_events_late = fields.Integer(
        string='Late events', compute='_compute_overview', help='Events of this month received after their period was billed.')
    overview_webhooks_pending = fields.Integer(string='Webhooks pending', compute='_compute_overview')
    overview_webhooks_failing = fields.Integer(string='Webhooks failing', compute='_compute_overview')
    overview_webhooks_dead = fields.Integer(string='Webhooks dead', compute='_compute_overview')

    @api.depends('api_key_hash', 'api_key_created_at')
    def _compute_api_key_state(self):
        today = fields.Date.context_today(self)
        for service in self:
            # sudo: the hash itself is for system users only; whether there is one is not secret.
            has_key = bool(service.sudo().api_key_hash)
            service.api_key_state = 'active' if has_key else 'none'
            created = service.api_key_created_at
            service.api_key_age_days = (today - created.date()).days if has_key and created else 0

    def _overview_bounds(self):
        """(start of today, start of this month) in the user's timezone, as the search filters
        count them, given in naive UTC as Odoo stores datetimes."""
        tz = ZoneInfo(self.env.user.tz or 'UTC')
        today = datetime.now(tz).date()

        def utc(day):
            return datetime.combine(day, time.min, tz).astimezone(timezone.utc).replace(tzinfo=None)
        return utc(today), utc(today.replace(day=1))

    def _compute_overview(self):
        figures = self._overview_figures()
        for service in self:
            values = figures.get(service.id, {})
            for name in ('events_today', 'events_month', 'events_flagged', 'events_late',
                         'webhooks_pending', 'webhooks_failing', 'webhooks_dead'):
                service[f'overview_{name}'] = values.get(name, 0)

    def _overview_figures(self):
        """{service id: {figure: count}}, two grouped queries for all the cards.

        Extension point: a bridge may add figures; it must call super() and extend each
        service's dict it returns."""
        ids = [service_id for service_id in self.ids if isinstance(service_id, int)]
        if not ids:
            return {}
        today, month = self._overview_bounds()
        figures = {service_id: {} for service_id in ids}
        Usage = self.env['fusion.billing.usage']
        for service, day_count in Usage._read_group(
                [('service_id', 'in', ids), ('timestamp', '>=', today)], ['service_id'], ['__count']):
            figures[service.id]['events_today'] = day_count
        for name, extra in (('events_month', []), ('events_flagged', _USAGE_FLAGGED), ('events_late', [('late', '=', True)])):
            for service, count in Usage._read_group(
                    [('service_id', 'in', ids), ('timestamp', '>=', month)] + extra, ['service_id'], ['__count']):
                figures[service.id][name] = count
        for service, state, count in self.env['fusion.billing.webhook']._read_group(
                [('endpoint_id.service_id', 'in', ids), ('state', '!=', 'succeeded')],
                ['endpoint_id.service_id', 'state'], ['__count']):
            name = {'pending': 'webhooks_pending', 'retrying': 'webhooks_failing', 'dead': 'webhooks_dead'}[state]
            figures[service.id][name] = count
        return figures

    # ------------------------------------------------------------------ the cards' lists

    def _overview_usage_domain(self, figure):
        today, month = self._overview_bounds()
        base = [('service_id', '=', self.id)]
        return base + {
            'events_today': [('timestamp', '>=', today)],
            'events_month': [('timestamp', '>=', month)],
            'events_flagged': [('timestamp', '>=', month)] + _USAGE_FLAGGED,
            'events_late': [('timestamp', '>=', month), ('late', '=', True)],
        }[figure]

    def action_overview_open(self):
        """The list behind one figure of the card (context key fusion_figure)."""
        self.ensure_one()
        figure = self.env.context.get('fusion_figure', 'events_month')
        if figure.startswith('webhooks_'):
            state = {'webhooks_pending': 'pending', 'webhooks_failing': 'retrying', 'webhooks_dead': 'dead'}[figure]
            return {
                'type': 'ir.actions.act_window', 'res_model': 'fusion.billing.webhook',
                'name': self.env._('%(service)s: %(state)s webhooks', service=self.name,
                                   state=dict(self.env['fusion.billing.webhook']._fields['state'].selection)[state].lower()),
                'views': [(False, 'list'), (False, 'form')],
                'domain': [('endpoint_id.service_id', '=', self.id), ('state', '=', state)],
            }
        titles = {'events_today': self.env._('events today'), 'events_month': self.env._('events this month'),
                  'events_flagged': self.env._('events with errors'), 'events_late': self.env._('late events')}
        return {
            'type': 'ir.actions.act_window', 'res_model': 'fusion.billing.usage',
            'name': f'{self.name}: {titles[figure]}',
            'views': [(False, 'list'), (False, 'pivot'), (False, 'graph'), (False, 'form')],
            'domain': self._overview_usage_domain(figure),
            # Usage over a month reads best day by day.
            'context': {'graph_groupbys': ['timestamp:day', 'metric_id'], 'pivot_column_groupby': ['timestamp:day']},
        }
