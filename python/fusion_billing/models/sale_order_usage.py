"""Rating usage onto subscriptions: current usage (Lago's customer_usage) and period close.

Aggregation runs in SQL, one query per metric for every subscription sharing a period; the
charge math is the pure rating core, the same code `fusion-billing price` runs offline."""

import json
import logging
from collections import defaultdict
from itertools import groupby
from contextlib import contextmanager
from datetime import timedelta, timezone
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.fields import Command

from ..lago.ids import lago_id
from ..lago.serializers import LAGO_AGGREGATION, cents, decimal_text, iso_date, iso_utc, stored_number, stored_numbers
from ..engine.sql_aggregation import MetricQuery, aggregate_one_pass, aggregate_orders, in_one_pass
from ..rating.aggregation import AggregationResult
from ..rating.charges import ChargeResult
from ..rating.filters import DEFAULT, Bucket, buckets as filter_buckets, display_name, filter_named
from ..rating.money import decimal_str, round_amount, to_subunits
from ..rating.periods import Period, period_containing
from ..rating.schedule import BaseFee, Terms, base_fee, charges_interval, commitment_for, fees_due, usage_due
from ..rating.pricing import fee_for_charge, loads_decimal_json

_logger = logging.getLogger(__name__)

# Charge models that consume usage event by event (free units, per-transaction bounds).
_PER_EVENT_MODELS = {'percentage'}


class ChargeUsage(NamedTuple):
    charge: models.Model
    usage: AggregationResult
    fee: ChargeResult
    # The filter bucket priced (rating/filters.py), None for a charge without filters.
    bucket: Bucket | None = None


class _RatedCharge(NamedTuple):
    charge: models.Model
    metric: models.Model
    model: str
    buckets: list[Bucket] | None


def _charge_buckets(charge):
    """The disjoint filter buckets of a charge (each filter, then the default), or None."""
    return filter_buckets([entry['values'] for entry in charge.filters]) if charge.filters else None


class Due(NamedTuple):
    fees: list[BaseFee]
    usage: list[Period]


def _naive_utc(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _aware(moment):
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    # ----------------------------------------------------------------------------------- periods

    def _fusion_tz(self):
        return self.partner_id.tz or 'UTC'

    def _fusion_local_date(self, moment):
        """The customer's local date of a stored (naive UTC) instant."""
        return _aware(moment).astimezone(ZoneInfo(self._fusion_tz())).date()

    def _fusion_terms(self):
        """This subscription's billing terms for the pure schedule (rating/schedule.py)."""
        self.ensure_one()
        plan = self.sale_order_template_id
        return Terms(
            interval=plan.fusion_interval,
            amount=stored_number(plan, 'fusion_amount'),
            started_at=_aware(self.fusion_started_at),
            subscription_at=_aware(self.fusion_subscription_at) if self.fusion_subscription_at else None,
            billing_time=self.fusion_billing_time or 'calendar',
            tz=self._fusion_tz(),
            pay_in_advance=plan.fusion_pay_in_advance,
            bill_charges_monthly=plan.fusion_bill_charges_monthly,
            trial_days=plan.fusion_trial_period or 0,
            terminated_at=_aware(self.fusion_terminated_at) if self.fusion_terminated_at else None,
        )

    def _fusion_period_at(self, at, charges=True):
        """The (clamped) period of this subscription that contains `at`: of its usage charges
        (months for a yearly plan billing charges monthly), or of its base fee."""
        self.ensure_one()
        terms = self._fusion_terms()
        whole = period_containing(
            max(_aware(at), terms.started_at), interval=charges_interval(terms) if charges else terms.interval,
            billing_time=terms.billing_time, anchor=terms.anchor, tz=terms.tz)
        end = min(whole.end, terms.terminated_at) if terms.terminated_at else whole.end
        return Period(max(whole.start, terms.started_at), end, whole.full_seconds)

    def _fusion_due(self, until):
        """What this subscription owes by `until` and has not billed: base fees and usage periods.

        The seam between deciding and invoicing: this module turns it into order lines and an
        invoice (_fusion_close_periods).

        Extension point: an Enterprise bridge may hand the same items to sale_subscription's
        recurring invoicing instead, or drop those it bills itself; it must call super() and
        return a Due of what is left for this module to invoice."""
        self.ensure_one()
        terms = self._fusion_terms()
        rated_until = _aware(self.fusion_closed_until) if self.fusion_closed_until else None
        # Orders rated before base fees had their own mark billed both together.
        fees_until = _aware(self.fusion_fees_until) if self.fusion_fees_until else rated_until
        return Due(fees_due(terms, fees_until, _aware(until)), usage_due(terms, rated_until, _aware(until)))

    # ------------------------------------------------------------------------------------ rating

    def _fusion_rate(self, period_of, cr=None):
        """Rated usage of every charge, per order, each order over `period_of[order.id]`: one
        ChargeUsage per charge, or per filter bucket of a charge with filters (rating/filters.py).

        Orders sharing a period are aggregated together: count, sum, max and weighted_sum
        metrics in one pass over the period's events, the others by one query per metric, and
        each filter bucket by one query."""
        cr = cr or self.env.cr
        # Aggregation reads the usage table directly: pending ORM writes must reach it first.
        self.env['fusion.billing.usage'].flush_model(['order_id', 'metric_id', 'timestamp', 'properties', 'value'])
        # Plain values read once: the loops below run per order and charge.
        charges_of_plan = {
            plan.id: [_RatedCharge(charge, charge.metric_id, charge.charge_model, _charge_buckets(charge))
                      for charge in plan.fusion_charge_ids.sorted(lambda charge: (charge.code, charge.id))]
            for plan in self.sale_order_template_id
        }
        charges_of = {order.id: charges_of_plan.get(order.sale_order_template_id.id, []) for order in self}
        exponent_of = {order.id: order.currency_id.decimal_places for order in self}
        pricing_of = {}
        for charges in charges_of_plan.values():
            for rated in charges:
                pricing_of[(rated.charge.id, None)] = loads_decimal_json(json.dumps(rated.charge.properties))
                for bucket in rated.buckets or ():
                    properties = rated.charge.filters[bucket.index]['properties'] if bucket.index is not None else rated.charge.properties
                    pricing_of[(rated.charge.id, bucket.code)] = loads_decimal_json(json.dumps(properties))
        by_period = defaultdict(list)
        for order_id in charges_of:
            by_period[period_of[order_id]].append(order_id)
        fees = {}
        rated = defaultdict(list)
        for period, order_ids in by_period.items():
            usage = self._fusion_aggregate(cr, [(order_id, charges_of[order_id]) for order_id in order_ids], period)
            for order_id in order_ids:
                exponent = exponent_of[order_id]
                rated_order = rated[order_id]
                for charge, metric, model, buckets in charges_of[order_id]:
                    for bucket in buckets or (None,):
                        code = bucket.code if bucket else None
                        result = usage[(order_id, metric.id, charge.id if bucket else None, code)]
                        # Pricing is a pure function of the charge and the usage: subscriptions with
                        # the same usage of a charge share its computation.
                        key = (charge.id, code, str(result.units), result.events_count, exponent)
                        fee = fees.get(key) if result.event_values is None else None
                        if fee is None:
                            fee = fee_for_charge(
                                model, pricing_of[(charge.id, code)], result.units, events_count=result.events_count,
                                event_values=result.event_values, currency_exponent=exponent)
                            if result.event_values is None:
                                fees[key] = fee
                        rated_order.append(ChargeUsage(charge, result, fee, bucket))
        return rated

    @api.model
    def _fusion_aggregate(self, cr, order_charges, period):
        """{(order id, metric id, charge id, bucket code): AggregationResult} over `period` of
        `order_charges`, pairs of (order id, its plan's _RatedCharge list). Charges without
        filters share their metric's result (charge id and bucket code None)."""
        start, end = _naive_utc(period.start), _naive_utc(period.end)
        orders_of_metric = defaultdict(list)
        per_event = set()
        filtered = defaultdict(list)
        for order_id, charges in order_charges:
            for charge, metric, model, buckets in charges:
                if buckets:
                    filtered[(charge, metric, model in _PER_EVENT_MODELS)].append(order_id)
                    continue
                orders_of_metric[metric].append(order_id)
                if model in _PER_EVENT_MODELS:
                    per_event.add(metric)
        one_pass = [
            metric for metric in orders_of_metric
            if in_one_pass(metric.aggregation_type, metric.recurring, with_event_values=metric in per_event)
        ]
        found = aggregate_one_pass(
            cr, [MetricQuery(metric.id, metric.aggregation_type, metric.recurring) for metric in one_pass],
            [order_id for order_id, _charges in order_charges if orders_of_metric], start, end, period.full_seconds)
        usage = {(order_id, metric_id, None, None): result for (order_id, metric_id), result in found.items()}
        for metric, order_ids in orders_of_metric.items():
            if metric in one_pass:
                continue
            results = aggregate_orders(
                cr, metric_id=metric.id, aggregation_type=metric.aggregation_type, field_name=metric.field_name or None,
                recurring=metric.recurring, order_ids=order_ids, start=start, end=end,
                full_seconds=period.full_seconds, with_event_values=metric in per_event)
            usage.update({(order_id, metric.id, None, None): result for order_id, result in results.items()})
        for (charge, metric, with_event_values), order_ids in filtered.items():
            for bucket in _charge_buckets(charge):
                results = aggregate_orders(
                    cr, metric_id=metric.id, aggregation_type=metric.aggregation_type, field_name=metric.field_name or None,
                    recurring=metric.recurring, order_ids=order_ids, start=start, end=end,
                    full_seconds=period.full_seconds, filters=bucket, with_event_values=with_event_values)
                usage.update({(order_id, metric.id, charge.id, bucket.code): result for order_id, result in results.items()})
        return usage

    # ----------------------------------------------------------------------------- current usage

    def _fusion_customer_usage(self, at=None, apply_taxes=True):
        """Usage of the current period in Lago's `customer_usage` shape."""
        self.ensure_one()
        period = self._fusion_period_at(at or fields.Datetime.now())
        usages = self._fusion_rate({self.id: period})[self.id]
        currency = self.currency_id
        exponent = currency.decimal_places
        amount = sum((cu.fee.amount for cu in usages), Decimal(0))
        taxes = self._fusion_taxes_on([(cu.charge.product_id, cu.fee.amount) for cu in usages]) if apply_taxes else Decimal(0)
        return {
            'from_datetime': iso_utc(period.start),
            'to_datetime': iso_utc(period.end - timedelta(seconds=1)),
            'issuing_date': period.end.astimezone(timezone.utc).date().isoformat(),
            'lago_invoice_id': None,
            'currency': currency.name,
            'amount_cents': to_subunits(amount, exponent),
            'taxes_amount_cents': to_subunits(taxes, exponent),
            'total_amount_cents': to_subunits(amount + taxes, exponent),
            'charges_usage': [
                self._fusion_charge_usage_object(charge, [
                    (cu.bucket.code if cu.bucket else None, cu.fee.units, cu.usage.events_count, cu.fee.amount_cents) for cu in parts
                ], currency)
                for charge, parts in groupby(usages, key=lambda cu: cu.charge)
            ],
        }

    @api.model
    def _fusion_charge_usage_object(self, charge, parts, currency):
        """One entry of Lago's charges_usage (V1::Customers::ChargeUsageSerializer): `parts` are
        (filter bucket code or None, units, events count, amount in cents) of the charge, one per
        filter bucket of a charge with filters, added up, each also listed under `filters`."""
        metric = charge.metric_id
        units = sum((part[1] for part in parts), Decimal(0))
        return {
            'units': decimal_text(units),
            # Lago's total before a charge's filters split it.
            'total_aggregated_units': decimal_text(units),
            'events_count': sum(part[2] for part in parts),
            'amount_cents': sum(part[3] for part in parts),
            'amount_currency': currency.name,
            'charge': {
                'lago_id': lago_id(charge),
                'code': charge.code,
                'charge_model': charge.charge_model,
                'invoice_display_name': charge.invoice_display_name or charge.product_id.name,
            },
            'billable_metric': {
                'lago_id': lago_id(metric),
                'name': metric.name,
                'code': metric.code,
                'aggregation_type': LAGO_AGGREGATION[metric.aggregation_type],
            },
            'filters': [self._fusion_filter_usage_object(charge, *part) for part in parts] if charge.filters else [],
            'grouped_usage': [],
        }

    @api.model
    def _fusion_filter_usage_object(self, charge, code, units, events_count, amount_cents):
        """One entry of `filters` in Lago's charges_usage: a filter's usage, or the default's (no values)."""
        entry = filter_named(charge.filters, code)
        payload = {
            'units': decimal_text(units),
            'total_aggregated_units': decimal_text(units),
            'events_count': events_count,
            'amount_cents': amount_cents,
            'values': {key: list(values) for key, values in entry['values'].items()} if entry else {},
        }
        if entry and entry.get('invoice_display_name'):
            payload['invoice_display_name'] = entry['invoice_display_name']
        return payload

    def _fusion_taxes_on(self, product_amounts):
        """Taxes on (product, amount) pairs with this order's fiscal position, rounded as the
        company rounds invoices: per line, or globally per tax set."""
        groups = defaultdict(list)
        for product, amount in product_amounts:
            taxes = self.fiscal_position_id.map_tax(product.taxes_id._filter_taxes_by_company(self.company_id))
            if taxes and amount:
                groups[taxes].append((product, amount))
        if self.company_id.tax_calculation_rounding_method == 'round_globally':
            groups = {taxes: [(pairs[0][0], sum((a for _, a in pairs), Decimal(0)))] for taxes, pairs in groups.items()}
        total = Decimal(0)
        for taxes, pairs in groups.items():
            for product, amount in pairs:
                result = taxes.compute_all(float(amount), self.currency_id, 1.0, product=product, partner=self.partner_id)
                # compute_all works in floats rounded to the currency; bring it back to exact cents.
                total += round_amount(Decimal(str(result['total_included'])) - Decimal(str(result['total_excluded'])), self.currency_id.decimal_places)
        return total

    # ------------------------------------------------------------------------------ period close

    def action_fusion_close_periods(self):
        """Button: rate and invoice the finished periods of these subscriptions now (those whose
        ending_at has passed terminate, as the cron would have them)."""
        summary = self._fusion_bill_due()
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {
                'title': self.env._('Usage billed'),
                'message': self.env._(
                    '%(periods)s period(s) rated, %(invoices)s invoice(s) created, %(late_events)s late event(s) not billed.', **summary),
                'sticky': False,
            },
        }

    @api.model
    def _cron_fusion_close_periods(self):
        # Drafts whose grace period ended are posted first (account_move_grace.py).
        self.env['account.move']._cron_fusion_finalize_drafts()
        subscriptions = self.search([('fusion_status', 'in', ('active', 'terminated')), ('state', '=', 'sale')])
        subscriptions._fusion_each_apart(lambda subscription: subscription._fusion_bill_due(), 'billing the periods of %s failed')

    def _fusion_each_apart(self, work, failure, commit=True):
        """Runs `work` on each of these subscriptions in a savepoint of its own, and returns what
        it returned, combined. One that fails (a rule, a misconfigured tax) must not stop the
        others: it is logged with `failure` (% its name) and tried again at the next run. With
        `commit` (a cron), each is committed: a later failure must not undo an invoice already charged."""
        results = []
        for index, order in enumerate(self):
            try:
                with self.env.cr.savepoint():
                    results.append(work(order))
            except Exception:  # pylint: disable=broad-exception-caught  # logged; the order is tried again next run
                _logger.exception('fusion_billing: %s', failure % order.display_name)
            if commit:
                self.env['ir.cron']._commit_progress(processed=1, remaining=len(self) - index - 1)
        return results

    def _fusion_lock(self):
        """Locks this subscription's row until the transaction ends (period closes and progressive
        billing serialise on it; ingestion share-locks it) and reads it again."""
        self.ensure_one()
        self.env.cr.execute('SELECT id FROM sale_order WHERE id = %s FOR UPDATE', [self.id])
        self.invalidate_recordset()

    def _fusion_bill_due(self, now=None):
        """Everything these subscriptions owe at `now`, in Lago's order: trials end, due
        downgrades switch plans, subscriptions past their ending_at terminate (billing their
        partial period), then finished periods and fees due are invoiced."""
        now = now or fields.Datetime.now()
        self._fusion_end_trials(now)
        started = self._fusion_apply_next_plans(now)
        self._fusion_terminate_ended(now)
        return (self | started)._fusion_close_periods(until=now)

    def _fusion_close_periods(self, until=None):
        """Write the rated usage of each finished period onto the order and invoice it.

        Idempotent: a period is rated once (`fusion_closed_until` advances, a row lock serialises
        concurrent closes, and a unique constraint guards each (order, charge, period) line).

        Extension point: a bridge may act on the invoices made (e.g. link them to Enterprise's
        subscription); it must call super() and return its summary, with its own counts added."""
        until = _aware(until or fields.Datetime.now())
        summary = {'periods': 0, 'invoices': 0, 'late_events': 0}
        to_invoice = self.browse()
        excess_of = defaultdict(list)
        # A service in shadow mode bills nobody: Lago does, and reconciliation compares.
        for order in self.filtered(lambda o: o.fusion_external_id and o.state == 'sale' and o.fusion_service_id.billing_mode != 'shadow'):
            order._fusion_lock()
            due = order._fusion_due(until)
            if not due.fees and not due.usage:
                continue
            lines = []
            values = {}
            if due.usage:
                with order._fusion_usage_snapshot(due.usage[-1].end) as usage_cr:
                    for period in due.usage:
                        usages = order._fusion_rate({order.id: period}, cr=usage_cr)[order.id]
                        # What progressive invoices billed of the period is deducted (sale_order_thresholds.py).
                        commands, excess = order._fusion_deducted_usage_lines(period, usages)
                        lines += commands
                        if excess:
                            excess_of[order].append((period, excess))
                values['fusion_closed_until'] = _naive_utc(due.usage[-1].end)
            for fee in due.fees:
                lines += order._fusion_fee_lines(fee)
            if due.fees:
                values['fusion_fees_until'] = _naive_utc(due.fees[-1].period.end)
            order.write(dict(values, order_line=lines))
            # A plan period whose usage is now all rated is checked against the plan's minimum commitment.
            true_ups = [line for period in due.usage if (ended := order._fusion_plan_period_ended_by(period))
                        for line in order._fusion_true_up_lines(ended)]
            if true_ups:
                order.write({'order_line': true_ups})
            summary['periods'] += len(due.usage) or len(due.fees)
            to_invoice |= order
        # Events that arrived for periods already billed: reported (and listed under the "Late"
        # filter of usage events), never added to a closed invoice.
        summary['late_events'] = self.env['fusion.billing.usage'].sudo().search_count([('order_id', 'in', self.ids), ('late', '=', True)])
        for order in to_invoice:
            if any(line.qty_to_invoice for line in order.order_line):
                invoices = order._create_invoices()
                order._fusion_issue_invoices(invoices)
                summary['invoices'] += len(invoices)
            for period, excess in excess_of.get(order, ()):
                order._fusion_credit_excess(period, excess)
        return summary

    @contextmanager
    def _fusion_usage_snapshot(self, end):
        """The cursor to rate this (locked) order's usage up to `end` with.

        This transaction's snapshot was taken when the request began, before the order was
        locked: usage committed in between is invisible to it, yet was stored as not late. Once we
        hold FOR UPDATE no more usage can commit for the order (ingestion share-locks it), so a
        new cursor, whose snapshot starts now, sees all of it. This transaction's own cursor is
        kept only when it sees more rows, i.e. usage written by this very transaction."""
        self.ensure_one()
        self.env['fusion.billing.usage'].flush_model(['order_id', 'timestamp'])
        query = 'SELECT COUNT(*) FROM fusion_billing_usage WHERE order_id = %s AND timestamp < %s'
        params = [self.id, _naive_utc(end)]
        self.env.cr.execute(query, params)
        seen_here = self.env.cr.fetchone()[0]
        with self.env.registry.cursor() as fresh:
            fresh.execute(query, params)
            yield fresh if fresh.fetchone()[0] >= seen_here else self.env.cr

    def _fusion_usage_lines(self, period, usages, progressive_seq=0):
        """Order lines for one charges period: one per charge used. At the period's close, or
        on its `progressive_seq`-th progressive invoice (sale_order_thresholds.py)."""
        label = self._fusion_period_label(period)
        commands = []
        for charge, usage, fee, bucket in usages:
            if not fee.units and not fee.amount:
                continue
            name = f'{charge.invoice_display_name or charge.product_id.name} — {label}: {decimal_str(fee.units)} {charge.metric_id.name}'
            if bucket is not None:
                name += f" ({display_name(charge.filters[bucket.index]) if bucket.index is not None else self.env._('other')})"
            line = self._fusion_line(
                charge.product_id, name, fee.precise_amount, period, charge, fee.units, usage.events_count,
                bucket_code=bucket.code if bucket else DEFAULT)
            line[2]['fusion_progressive_seq'] = progressive_seq
            commands.append(line)
        return commands

    def _fusion_fee_lines(self, fee):
        """The base fee line of one period (none when a trial or a zero fee leaves nothing to bill)."""
        if not fee.amount:
            return []
        plan = self.sale_order_template_id
        base_product = plan.sale_order_template_line_ids.product_id - plan.fusion_charge_ids.product_id
        name = f'{plan.name} — {self._fusion_period_label(fee.period)}'
        if fee.days_billed < fee.days_in_period:
            name += self.env._(' (%(days)s of %(total)s days)', days=fee.days_billed, total=fee.days_in_period)
        if fee.in_advance:
            name += self.env._(', in advance')
        return [self._fusion_line(base_product[:1], name, fee.amount, fee.period, None, None, in_advance=fee.in_advance)]

    def _fusion_plan_period_ended_by(self, usage_period):
        """The plan period (of the base fee) that ends with this usage period, or None: a yearly
        plan billing usage monthly ends its year with December's usage."""
        plan_period = self._fusion_period_at(usage_period.start, charges=False)
        return plan_period if plan_period.end == usage_period.end else None

    def _fusion_true_up_amount(self, period):
        """What the fees of one ended period of the plan's interval (base fee and usage, as
        invoiced; not its true-up) leave under the plan's minimum commitment, prorated for a partial
        period (Commitments::Minimum::CalculateTrueUpFeeService: commitment - fees, never below 0)."""
        plan = self.sale_order_template_id
        commitment = stored_number(plan, 'fusion_minimum_commitment')
        if commitment <= 0:
            return Decimal(0)
        start, end = _naive_utc(period.start), _naive_utc(period.end)
        fees = self.order_line.filtered(
            lambda line: line.fusion_period_start and not line.fusion_true_up and start <= line.fusion_period_start and line.fusion_period_end <= end)
        due = round_amount(commitment_for(self._fusion_terms(), commitment, period), self.currency_id.decimal_places)
        billed = sum((amount or Decimal(0) for (amount,) in stored_numbers(fees, ('price_subtotal',)).values()), Decimal(0))
        return max(due - billed, Decimal(0))

    def _fusion_true_up_lines(self, period):
        """The true-up line of one ended period of the plan's interval, when it has none yet and its
        fees stay under the commitment."""
        start = _naive_utc(period.start)
        if self.order_line.filtered(lambda line: line.fusion_true_up and line.fusion_period_start == start):
            return []
        amount = self._fusion_true_up_amount(period)
        if not amount:
            return []
        plan = self.sale_order_template_id
        base_product = plan.sale_order_template_line_ids.product_id - plan.fusion_charge_ids.product_id
        name = f'{plan.fusion_commitment_display_name or self.env._("Minimum commitment")} — {self._fusion_period_label(period)}'
        line = self._fusion_line(base_product[:1], name, amount, period, None, None)
        line[2]['fusion_true_up'] = True
        return [line]

    def _fusion_base_fee(self, period):
        """The plan's base fee for `period` (a period of the plan's interval), exact, prorated as
        Lago prorates it (rating/schedule.py#base_fee: by local days, trials excluded)."""
        return base_fee(self._fusion_terms(), period).amount

    def _fusion_line(self, product, name, amount, period, charge, units, events_count=0, in_advance=False, bucket_code=False):
        amount = round_amount(Decimal(amount), self.currency_id.decimal_places)
        return Command.create({
            'product_id': product.id,
            'name': name,
            'product_uom_qty': 1,
            'qty_delivered': 1,
            'price_unit': float(amount),
            'fusion_charge_id': charge.id if charge else False,
            'fusion_period_start': _naive_utc(period.start),
            'fusion_period_end': _naive_utc(period.end),
            'fusion_units': float(units) if units is not None else 0.0,
            'fusion_events_count': events_count,
            'fusion_in_advance': in_advance,
            # The filter bucket a usage line prices (rating/filters.py); "default" for the rest.
            'fusion_filter': bucket_code,
        })

    def _fusion_period_label(self, period):
        zone = ZoneInfo(self._fusion_tz())
        start = period.start.astimezone(zone).date()
        last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
        return f'{start.isoformat()} → {last.isoformat()}'

    # -------------------------------------------------------------------------------- past usage

    @staticmethod
    def _fusion_period_amounts(invoice, period_lines):
        """(untaxed, tax) of one billed period as Decimals. Lago reports its invoice's fees, and
        its invoices hold one period; a close that caught up several periods here put them on
        one invoice, and each then reports its own lines so that the periods add up to the invoice.
        Taxes of lines rounded one by one need not add up to the invoice's (a company that rounds
        globally): the latest period on the invoice takes the difference."""
        by_period = defaultdict(lambda: [Decimal(0), Decimal(0)])
        # Base fees that are not a usage period's (in advance, or yearly beside monthly usage)
        # belong with the invoice's latest usage period, as Lago's invoice holds them together.
        other = [Decimal(0), Decimal(0)]
        for line in invoice.invoice_line_ids:
            order_line = line.sale_line_ids.filtered('fusion_period_start')[:1]
            if not order_line:
                continue
            amounts = by_period[(order_line.fusion_period_start, order_line.fusion_period_end)] if order_line._fusion_is_usage_period() else other
            amounts[0] += Decimal(repr(line.price_subtotal))
            amounts[1] += Decimal(repr(line.price_total)) - Decimal(repr(line.price_subtotal))
        if len(by_period) <= 1:
            return Decimal(repr(invoice.amount_untaxed)), Decimal(repr(invoice.amount_tax))
        by_period[max(by_period)][0] += other[0]
        by_period[max(by_period)][1] += other[1]
        key = next((line.fusion_period_start, line.fusion_period_end) for line in period_lines if line.fusion_period_start)
        untaxed, tax = by_period[key]
        if key == max(by_period):
            tax = Decimal(repr(invoice.amount_tax)) - sum((t for k, (_u, t) in by_period.items() if k != key), Decimal(0))
        return untaxed, tax

    def _fusion_past_usage(self, metric=None):
        """Lago's usage_periods of this subscription (GET /customers/{id}/past_usage): one per
        invoiced period, newest first, from what was billed: the invoice's amounts and its charge
        lines (V1::Customers::PastUsageSerializer)."""
        self.ensure_one()
        # A period's usage is what its close billed; progressive invoices and their deductions add up to no more.
        lines = self.order_line.filtered(lambda line: line.fusion_period_start and line.invoice_lines and line._fusion_is_usage_period()
                                         and line._fusion_billed_at_close())
        periods = defaultdict(lambda: self.env['sale.order.line'])
        for line in lines:
            periods[(line.fusion_period_start, line.fusion_period_end)] |= line
        usage = []
        for (start, end), period_lines in sorted(periods.items(), key=lambda item: item[0][0], reverse=True):
            invoice = period_lines.invoice_lines.move_id.filtered(lambda move: move.state != 'draft')[:1]
            if not invoice:
                continue
            charge_lines = period_lines.filtered(lambda line: line.fusion_charge_id and (not metric or line.fusion_charge_id.metric_id == metric))
            currency = invoice.currency_id
            untaxed, tax = self._fusion_period_amounts(invoice, period_lines)
            usage.append({
                'from_datetime': iso_utc(start),
                'to_datetime': iso_utc(end - timedelta(seconds=1)),
                'issuing_date': iso_date(invoice.invoice_date),
                'lago_invoice_id': lago_id(invoice),
                'currency': currency.name,
                'amount_cents': cents(untaxed, currency),
                'taxes_amount_cents': cents(tax, currency),
                'total_amount_cents': cents(untaxed + tax, currency),
                'charges_usage': [
                    self._fusion_charge_usage_object(charge, [
                        (line.fusion_filter if line.fusion_filter != DEFAULT else None, Decimal(repr(line.fusion_units)),
                         line.fusion_events_count, cents(line.price_subtotal, currency))
                        for line in lines_of_charge
                    ], currency)
                    for charge, lines_of_charge in groupby(
                        charge_lines.sorted(lambda line: (line.fusion_charge_id.code, line.id)), key=lambda line: line.fusion_charge_id)
                ],
            })
        return usage


class SaleOrderLine(models.Model):
    _inherit = 'sale.order.line'

    def _fusion_billed_at_close(self):
        """Whether this line was written when its period closed, not by a progressive invoice nor
        as the deduction of one (sale_order_thresholds.py)."""
        self.ensure_one()
        return not self.fusion_progressive_seq and not self.fusion_deduction

    def _fusion_is_usage_period(self):
        """Whether this line's period is one of Lago's usage periods (past_usage lists those):
        a charge's, or a base fee billed in arrears with the usage of the same period."""
        self.ensure_one()
        return bool(self.fusion_charge_id) or not (self.fusion_in_advance or self.order_id.sale_order_template_id.fusion_bill_charges_monthly)
