"""Usage alerts (Lago's usage monitoring): a subscription's current usage checked against its
alerts' thresholds every minute (the usage monitoring cron of sale_order_thresholds.py, which rates
once for alerts and usage thresholds), each crossing reported once by `alert.triggered`.

The check reads usage, it never runs on the ingestion path: events are stored as before, and a
cron rates the current period of every subscription that has alerts (all sharing a period in one
pass of the rating engine). An alert is crossed at most one minute after the usage (plus the
cron's own run) and its previous value moves on, so a crossing is never reported twice."""

import logging
import uuid
from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models

from ..lago.ids import lago_id
from ..lago.serializers import iso_utc, metric_object, stored_number, stored_numbers
from ..rating.alerts import crossed_thresholds
from ..rating.money import to_subunits

_logger = logging.getLogger(__name__)


def _number(value):
    """A threshold or usage value as Lago writes it: an integer when whole, else a decimal string."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else str(value.normalize())


class FusionBillingAlert(models.Model):
    _inherit = 'fusion.billing.alert'

    @api.model
    def _fusion_to_check(self):
        """The alerts the usage monitoring cron checks (sale_order_thresholds.py)."""
        return self.search([('active', '=', True), ('order_id.fusion_status', '=', 'active')])

    def _fusion_check(self, now=None, rated=None):
        """Checks these alerts against their subscriptions' current usage; returns the triggered ones.
        `rated`: that usage, {order id: ChargeUsage list} of the period at `now`, when the caller rated it."""
        now = now or fields.Datetime.now()
        orders = self.order_id
        if rated is None:
            rated = orders._fusion_rate({order.id: order._fusion_period_at(now) for order in orders})
        values = {}
        for order in orders:
            exponent = order.currency_id.decimal_places
            amounts, units = defaultdict(Decimal), defaultdict(Decimal)
            for usage in rated[order.id]:
                amounts[usage.charge.metric_id.id] += usage.fee.amount
                units[usage.charge.metric_id.id] += usage.fee.units
            values[order.id] = (exponent, amounts, units)
        previous = stored_numbers(self, ('previous_value',))
        triggered = self.browse()
        for alert in self:
            exponent, amounts, units = values[alert.order_id.id]
            if alert.alert_type == 'current_usage_amount':
                current = Decimal(to_subunits(sum(amounts.values(), Decimal(0)), exponent))
            elif alert.alert_type == 'billable_metric_current_usage_amount':
                current = Decimal(to_subunits(amounts.get(alert.metric_id.id, Decimal(0)), exponent))
            else:
                current = units.get(alert.metric_id.id, Decimal(0))
            before = previous[alert.id][0] or Decimal(0)
            crossed = crossed_thresholds(alert.thresholds or [], before, current)
            if crossed:
                alert._fusion_notify_triggered(before, current, crossed, now)
                triggered |= alert
            alert._fusion_store_previous(current, now)
        return triggered

    def _fusion_store_previous(self, value, now):
        # The numeric column takes the exact value (the ORM would pass it through a float).
        self.env.cr.execute('UPDATE fusion_billing_alert SET previous_value = %s, last_processed_at = %s WHERE id = %s', [value, now, self.id])
        self.invalidate_recordset(['previous_value', 'last_processed_at'])

    def _fusion_notify_triggered(self, before, current, crossed, now):
        """alert.triggered, as Lago's V1::UsageMonitoring::TriggeredAlertSerializer writes it."""
        order = self.order_id
        link = order._fusion_customer_link()
        payload = {
            # Lago stores each triggering (TriggeredAlert); here its id is derived from the alert and the check.
            'lago_id': str(uuid.uuid5(uuid.NAMESPACE_URL, f'fusion-billing:alert:{self.id}:{now.isoformat()}')),
            'lago_organization_id': lago_id(order.company_id),
            'lago_alert_id': lago_id(self),
            'lago_subscription_id': lago_id(order),
            'external_subscription_id': order.fusion_external_id,
            'lago_wallet_id': None,
            'external_customer_id': link.external_id if link else None,
            'billable_metric_code': self.metric_id.code or None,
            'alert_name': self.name or None,
            'alert_code': self.code,
            'alert_type': self.alert_type,
            'current_value': _number(current),
            'previous_value': _number(before),
            'crossed_thresholds': [{'code': t['code'], 'value': _number(t['value']), 'recurring': t['recurring']} for t in crossed],
            'triggered_at': iso_utc(now),
            'subscription_external_id': order.fusion_external_id,
            'customer_external_id': link.external_id if link else None,
        }
        self.env['fusion.billing.webhook']._fusion_enqueue(self.service_id, 'alert.triggered', 'triggered_alert', self, payload)

    def _fusion_lago_alert(self):
        """The alert as Lago's API shows it (V1::UsageMonitoring::AlertSerializer)."""
        self.ensure_one()
        previous = stored_number(self, 'previous_value')
        return {
            'lago_id': lago_id(self),
            'lago_organization_id': lago_id(self.order_id.company_id),
            'subscription_external_id': self.order_id.fusion_external_id,
            'external_subscription_id': self.order_id.fusion_external_id,
            'lago_wallet_id': None,
            'wallet_code': None,
            'alert_type': self.alert_type,
            'code': self.code,
            'name': self.name or None,
            'direction': 'increasing',
            'previous_value': _number(previous),
            'last_processed_at': iso_utc(self.last_processed_at),
            'thresholds': [{'code': t.get('code'), 'value': _number(t['value']), 'recurring': bool(t.get('recurring'))} for t in self.thresholds or []],
            'created_at': iso_utc(self.create_date),
            'billable_metric': metric_object(self.metric_id) if self.metric_id else None,
        }
