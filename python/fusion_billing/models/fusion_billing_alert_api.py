"""A subscription's usage alerts as Lago's API manages them (POST, GET, DELETE
/subscriptions/{external_id}/alerts): the searches and the code's uniqueness live here."""

from odoo import api, models

from ..lago.refusal import LagoRefusal


class FusionBillingAlert(models.Model):
    _inherit = 'fusion.billing.alert'

    @api.model
    def _fusion_of_order(self, order, code=None):
        """The alerts of the subscription `order` by code, or the one named `code`."""
        domain = [('order_id', '=', order.id)]
        if code is not None:
            domain.append(('code', '=', code))
        return self.search(domain, order='code', limit=1 if code is not None else None)

    @api.model
    def _fusion_create_for(self, order, metric, values):
        """A new alert of the subscription `order` (on `metric`, possibly empty) from Lago's checked
        `values` {code, name, alert_type, thresholds}. Raises LagoRefusal when the code is taken."""
        if self.search_count([('order_id', '=', order.id), ('code', '=', values['code'])], limit=1):
            raise LagoRefusal('code', 'value_already_exist')
        return self.create({
            'service_id': order.fusion_service_id.id, 'order_id': order.id, 'code': values['code'],
            'name': values.get('name') or False, 'alert_type': values['alert_type'], 'metric_id': metric.id or False,
            'thresholds': [{'code': t.get('code'), 'value': str(t['value']), 'recurring': bool(t.get('recurring'))}
                           for t in values['thresholds']],
        })
