"""Reconciliation with Lago: each fee Lago invoiced, compared with Odoo's rating of the same period.

`fusion-billing lago reconcile` reads Lago's invoices with the official client and sends their
fees here (JSON-2): Odoo rates each subscription's period with the engine that bills, and writes
one line per fee with both sides' units, events and amounts, exact. For a mismatch, the command
then sends Lago's events of that subscription and metric around the period, and the line gets an
explanation where one can be derived: events on one side only, an event on a period boundary, the
same usage at a different price, a different billing period."""

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lago.serializers import stored_numbers
from ..rating.money import decimal_str, money_str, round_amount
from ..rating.periods import Period

# Units are compared at this many decimals: weighted sums are fractions whose last digits depend
# on where each side divides; no price reaches that precision.
UNITS_DECIMALS = 10
_UNITS_QUANTUM = Decimal(1).scaleb(-UNITS_DECIMALS)
# An event this close to a period's start or end is "on the boundary": a side that cut the
# period at 23:59:59 instead of midnight, or read the timestamp in another zone, counts it in
# the neighbouring period.
BOUNDARY_SECONDS = 1
_NUMERIC_COLUMNS = ('lago_units', 'odoo_units', 'units_delta', 'lago_amount', 'odoo_amount', 'amount_delta')


def _utc(text):
    """A naive UTC datetime from Lago's ISO 8601 text (Z or an offset)."""
    moment = datetime.fromisoformat(text.replace('Z', '+00:00'))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _units(value):
    return Decimal(str(value if value not in (None, '') else 0)).quantize(_UNITS_QUANTUM)


class FusionBillingReconciliation(models.Model):
    _inherit = 'fusion.billing.reconciliation'

    # ------------------------------------------------------------------------------- compare

    @api.model
    def fusion_reconcile(self, service_code, fees):
        """Reconcile Lago's `fees` of `service_code` (dicts from the CLI, see _fusion_lago_fee).
        Returns the lines as the CLI reports them. Re-running replaces the figures of a line; an
        accepted mismatch stays accepted while its figures are unchanged."""
        service = self.env['fusion.billing.service']._fusion_by_code(service_code)
        rated_cache = {}
        lines = self.browse()
        for fee in fees:
            lines |= self._fusion_reconcile_fee(service, fee, rated_cache)
        return lines._fusion_report()

    def _fusion_reconcile_fee(self, service, fee, rated_cache):
        lago_start = _utc(fee['from_date'])
        # Lago's to_date is the period's last second (23:59:59 local): the period ends one second later.
        lago_end = _utc(fee['to_date']).replace(microsecond=0) + timedelta(seconds=1)
        order = self.env['sale.order'].search([
            ('fusion_service_id', '=', service.id), ('fusion_external_id', '=', fee['external_subscription_id'])],
            order='id desc', limit=1)
        values = {
            'service_id': service.id,
            'external_subscription_id': fee['external_subscription_id'],
            'order_id': order.id,
            'fee_type': fee['fee_type'],
            'lago_invoice_number': fee.get('invoice_number'),
            'lago_fee_id': fee.get('lago_fee_id'),
            'lago_events_count': fee.get('events_count') or 0,
            'currency_id': (order.currency_id or service.currency_id).id,
            'explanation': False,
            'cause': False,
        }
        lago_units = _units(fee.get('units'))
        exponent = (order.currency_id or service.currency_id).decimal_places
        lago_amount = Decimal(int(fee['amount_cents'])).scaleb(-exponent)
        if not order:
            period = Period(lago_start.replace(tzinfo=timezone.utc), lago_end.replace(tzinfo=timezone.utc), 0)
            values.update(fee_code=fee.get('charge_code') or fee['code'], cause='missing_odoo', explanation=self.env._(
                'Subscription %(subscription)s is not in Odoo: import it (fusion-billing lago import-accounts).',
                subscription=fee['external_subscription_id']))
            odoo = {'units': Decimal(0), 'events': 0, 'amount': Decimal(0)}
        else:
            period = order._fusion_period_at(lago_start, charges=fee['fee_type'] != 'subscription')
            odoo, fee_code, charge = self._fusion_odoo_side(order, period, fee, rated_cache)
            values.update(fee_code=fee_code, charge_id=charge.id, metric_id=charge.metric_id.id)
        values.update(
            period=self._fusion_period_label(order, period),
            period_start=period.start.astimezone(timezone.utc).replace(tzinfo=None),
            period_end=period.end.astimezone(timezone.utc).replace(tzinfo=None),
            odoo_events_count=odoo['events'],
            events_delta=odoo['events'] - values['lago_events_count'],
        )
        numbers = {
            'lago_units': lago_units, 'odoo_units': _units(odoo['units']), 'lago_amount': lago_amount,
            'odoo_amount': round_amount(odoo['amount'], exponent),
        }
        numbers['units_delta'] = numbers['odoo_units'] - numbers['lago_units']
        numbers['amount_delta'] = numbers['odoo_amount'] - numbers['lago_amount']
        same = (numbers['units_delta'] == 0 and values['events_delta'] == 0 and numbers['amount_delta'] == 0)
        same_period = order and (values['period_start'], values['period_end']) == (lago_start, lago_end)
        if order and not same_period:
            values.update(cause='period', explanation=self.env._(
                "Lago's period %(lago_start)s – %(lago_end)s differs from Odoo's %(start)s – %(end)s (billing time, start date or timezone).",
                lago_start=lago_start, lago_end=lago_end, start=values['period_start'], end=values['period_end']))
        line = self.search([
            ('service_id', '=', service.id), ('external_subscription_id', '=', values['external_subscription_id']),
            ('fee_code', '=', values['fee_code']), ('period_start', '=', values['period_start'])], limit=1)
        previous = stored_numbers(line, _NUMERIC_COLUMNS).get(line.id) if line else None
        if same and same_period:
            values.update(state='match', accepted_reason=False, accepted_by=False, accepted_on=False)
        elif line.state == 'accepted' and previous == tuple(numbers[c] for c in _NUMERIC_COLUMNS):
            values['state'] = 'accepted'
        else:
            values.update(state='mismatch', accepted_reason=False, accepted_by=False, accepted_on=False)
            if not values['cause']:
                values.update(self._fusion_usage_cause(numbers, values))
        if line:
            line.write(values)
        else:
            line = self.create(values)
        line._fusion_store_numbers(numbers)
        return line

    def _fusion_odoo_side(self, order, period, fee, rated_cache):
        """(figures, fee code, charge) of Odoo's rating of `fee`'s charge (or base fee) over `period`."""
        plan = order.sale_order_template_id
        if fee['fee_type'] == 'subscription':
            return ({'units': Decimal(1), 'events': 0, 'amount': order._fusion_base_fee(period)},
                    plan.fusion_plan_code, self.env['fusion.billing.charge'])
        charges = plan.fusion_charge_ids
        charge = charges.filtered(lambda c: c.code == fee.get('charge_code'))[:1] if fee.get('charge_code') else charges.browse()
        charge = charge or charges.filtered(lambda c: c.metric_id.code == fee['code'])[:1]
        if not charge:
            return {'units': Decimal(0), 'events': 0, 'amount': Decimal(0)}, fee.get('charge_code') or fee['code'], charge
        key = (order.id, period.start, period.end)
        if key not in rated_cache:
            # A charge with filters is compared whole: its buckets added up.
            totals = defaultdict(lambda: {'units': Decimal(0), 'events': 0, 'amount': Decimal(0)})
            for cu in order._fusion_rate({order.id: period})[order.id]:
                total = totals[cu.charge.id]
                total['units'] += cu.fee.units
                total['events'] += cu.usage.events_count
                total['amount'] += cu.fee.amount
            rated_cache[key] = dict(totals)
        usage = rated_cache[key].get(charge.id)
        if usage is None:
            return {'units': Decimal(0), 'events': 0, 'amount': Decimal(0)}, charge.code, charge
        return dict(usage), charge.code, charge

    def _fusion_usage_cause(self, numbers, values):
        """The cause that the figures alone tell: the same usage at another price."""
        if numbers['units_delta'] == 0 and values['events_delta'] == 0:
            return {'cause': 'price', 'explanation': self.env._(
                'Same usage on both sides (%(units)s units, %(events)s events); Lago charged %(lago)s, Odoo %(odoo)s: '
                "the price differs (a plan override in Lago, or the spec's price).",
                units=decimal_str(numbers['lago_units']), events=values['lago_events_count'],
                lago=numbers['lago_amount'], odoo=numbers['odoo_amount'])}
        return {'cause': 'unexplained', 'explanation': self.env._(
            "The usage differs; Lago's events of the period explain it once `fusion-billing lago reconcile` has compared them.")}

    @api.model
    def _fusion_period_label(self, order, period):
        tz = ZoneInfo(order._fusion_tz()) if order else timezone.utc
        return period.start.astimezone(tz).strftime('%Y-%m')

    def _fusion_store_numbers(self, numbers):
        """Writes the exact figures into their numeric columns (the ORM would pass them through floats)."""
        self.ensure_one()
        self.flush_recordset()
        columns = ', '.join(f'{column} = %s' for column in _NUMERIC_COLUMNS)
        self.env.cr.execute(
            f'UPDATE {self._table} SET {columns} WHERE id = %s',  # noqa: S608 (fixed column names)
            [numbers[column] for column in _NUMERIC_COLUMNS] + [self.id])
        self.invalidate_recordset(list(_NUMERIC_COLUMNS))

    # ------------------------------------------------------------------------------- explain

    @api.model
    def fusion_explain(self, line_id, lago_events):
        """Explains mismatch line `line_id` with Lago's events (Lago's event objects) of its
        subscription and metric from a day before its period to a day after."""
        line = self.browse(line_id).exists()
        if not line or line.fee_type != 'charge' or not line.order_id or not line.metric_id:
            return line._fusion_report() if line else []
        if line.state == 'match':
            return line._fusion_report()
        cause, explanation = line._fusion_event_cause(lago_events)
        if cause:
            line.write({'cause': cause, 'explanation': explanation})
        return line._fusion_report()

    def _fusion_event_cause(self, lago_events):
        self.ensure_one()
        start, end = self.period_start, self.period_end
        margin = timedelta(days=1)
        odoo_rows = self.env['fusion.billing.usage'].sudo().search_read([
            ('order_id', '=', self.order_id.id), ('metric_id', '=', self.metric_id.id),
            ('timestamp', '>=', start - margin), ('timestamp', '<', end + margin)], ['transaction_id', 'timestamp', 'properties'])
        odoo_events = {row['transaction_id']: (row['timestamp'], row['properties']) for row in odoo_rows}
        lago = {
            event['transaction_id']: (_utc(event['timestamp']), event.get('properties') or {})
            for event in lago_events if event.get('code') == self.metric_id.code
        }
        inside = lambda moment: start <= moment < end  # noqa: E731
        only_odoo = sorted(tid for tid, (moment, _p) in odoo_events.items() if inside(moment) and tid not in lago)
        only_lago = sorted(tid for tid, (moment, _p) in lago.items() if inside(moment) and tid not in odoo_events)
        describe = lambda tids, events: ', '.join(  # noqa: E731
            f'{tid} ({events[tid][0].isoformat()}Z{self._fusion_property_note(events[tid][1])})' for tid in tids[:10]
        ) + (f' and {len(tids) - 10} more' if len(tids) > 10 else '')
        if only_odoo and not only_lago:
            return 'events_only_odoo', self.env._(
                '%(count)s event(s) of this period reached Odoo but not Lago, which did not count them: %(events)s.',
                count=len(only_odoo), events=describe(only_odoo, odoo_events))
        if only_lago and not only_odoo:
            return 'events_only_lago', self.env._(
                '%(count)s event(s) of this period reached Lago but not Odoo: %(events)s. '
                'Pull them (fusion-billing lago pull-events) or have the application resend them.',
                count=len(only_lago), events=describe(only_lago, lago))
        if only_lago and only_odoo:
            return 'unexplained', self.env._(
                'Events differ both ways: only in Odoo %(odoo)s; only in Lago %(lago)s.',
                odoo=describe(only_odoo, odoo_events), lago=describe(only_lago, lago))
        near = lambda moment: (  # noqa: E731
            abs((moment - start).total_seconds()) <= BOUNDARY_SECONDS or abs((moment - end).total_seconds()) <= BOUNDARY_SECONDS)
        boundary = sorted(tid for tid, (moment, _p) in {**lago, **odoo_events}.items() if near(moment))
        if boundary and self.events_delta:
            moment = {**lago, **odoo_events}[boundary[0]][0]
            if inside(moment):
                where = self.env._('this period')
            else:
                where = self.env._('the next period') if moment >= end else self.env._('the previous period')
            return 'boundary', self.env._(
                'Lago counted %(lago)s event(s), Odoo %(odoo)s: %(events)s lie(s) on the period boundary '
                '(%(start)sZ – %(end)sZ); Odoo counts it in %(where)s, Lago did not.',
                lago=self.lago_events_count, odoo=self.odoo_events_count, events=describe(boundary, {**lago, **odoo_events}),
                start=start.isoformat(), end=end.isoformat(), where=where)
        if self.events_delta or self.units_delta:
            return 'unexplained', self.env._(
                'Lago counted %(lago)s event(s), Odoo %(odoo)s, yet both hold the same %(held)s event(s) of this period and none '
                'lies on its boundary: Lago billed usage that neither side lists. Ask Lago which events its fee counted.',
                lago=self.lago_events_count, odoo=self.odoo_events_count, held=len([1 for moment, _p in lago.values() if inside(moment)]))
        return False, False

    @api.model
    def _fusion_property_note(self, properties):
        if not isinstance(properties, dict) or not properties:
            return ''
        field = self.metric_id.field_name
        if field and field in properties:
            return f', {field}={properties[field]}'
        return ''

    # -------------------------------------------------------------------------- accept, report

    def action_fusion_accept(self):
        for line in self:
            if line.state != 'mismatch':
                continue
            if not (line.accepted_reason or '').strip():
                raise UserError(self.env._('Write the reason for accepting the mismatch of %(subscription)s (%(fee)s, %(period)s) first.',
                                           subscription=line.external_subscription_id, fee=line.fee_code, period=line.period))
            line.write({'state': 'accepted', 'accepted_by': self.env.uid, 'accepted_on': fields.Datetime.now()})
        return True

    @api.model
    def fusion_accept(self, line_ids, reason):
        """The CLI's `lago accept`: accept mismatch lines with a written reason."""
        lines = self.browse(line_ids).exists()
        lines.filtered(lambda line: line.state == 'mismatch').write({'accepted_reason': reason})
        lines.action_fusion_accept()
        return lines._fusion_report()

    def action_fusion_reopen(self):
        self.filtered(lambda line: line.state == 'accepted').write({'state': 'mismatch', 'accepted_by': False, 'accepted_on': False})
        return True

    def action_fusion_print(self):
        # The report uses the internal layout: no company document layout to configure first.
        return self.env.ref('fusion_billing.action_report_reconciliation').with_context(discard_logo_check=True).report_action(self)

    def _fusion_report(self):
        """The lines as plain values, exact numbers as text (for the CLI and its HTML report)."""
        numbers = stored_numbers(self, _NUMERIC_COLUMNS)
        return [{
            'id': line.id,
            'service': line.service_id.code,
            'period': line.period,
            'period_start': fields.Datetime.to_string(line.period_start),
            'period_end': fields.Datetime.to_string(line.period_end),
            'external_subscription_id': line.external_subscription_id,
            'fee_type': line.fee_type,
            'fee_code': line.fee_code,
            'metric_code': line.metric_id.code or None,
            'currency': line.currency_id.name,
            'lago_invoice_number': line.lago_invoice_number or None,
            # Units as plain decimals (150, 15.1612903226), amounts with the currency's decimals (-5.00).
            **{column: (money_str(value or Decimal(0), line.currency_id.decimal_places) if 'amount' in column else decimal_str(value or Decimal(0)))
               for column, value in zip(_NUMERIC_COLUMNS, numbers[line.id])},
            'lago_events_count': line.lago_events_count,
            'odoo_events_count': line.odoo_events_count,
            'events_delta': line.events_delta,
            'state': line.state,
            'cause': line.cause or None,
            'explanation': line.explanation or None,
            'accepted_reason': line.accepted_reason or None,
        } for line in self.sorted(lambda rec: (rec.period_start, rec.external_subscription_id, rec.fee_code))]

    @api.model
    def fusion_lines(self, service_code, periods=None):
        """The reconciliation lines of a service (of `periods`, YYYY-MM, when given)."""
        service = self.env['fusion.billing.service']._fusion_by_code(service_code)
        domain = [('service_id', '=', service.id)] + ([('period', 'in', periods)] if periods else [])
        return self.search(domain)._fusion_report()

    def fusion_report_summary(self):
        """Per period and state: how many lines and the amounts (for the printed report)."""
        summary = defaultdict(lambda: {'lines': 0, 'lago': Decimal(0), 'odoo': Decimal(0)})
        numbers = stored_numbers(self, _NUMERIC_COLUMNS)
        for line in self:
            entry = summary[(line.period, line.state)]
            entry['lines'] += 1
            entry['lago'] += numbers[line.id][3] or 0
            entry['odoo'] += numbers[line.id][4] or 0
        return [{'period': period, 'state': state, **entry} for (period, state), entry in sorted(summary.items())]
