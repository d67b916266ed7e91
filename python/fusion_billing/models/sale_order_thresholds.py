"""Progressive billing (Lago's usage thresholds): when a subscription's lifetime usage passes one of
its plan's thresholds, the usage of the current period so far is invoiced at once; each later
invoice of the period, progressive or the period's own, deducts what the earlier ones billed.

Lifetime usage is, as Lago's LifetimeUsage: the charges invoiced for the closed periods of the
external subscription (plan changes included) and the current period's usage. The usage monitoring
cron checks every minute off the ingestion path, rating once for alerts and thresholds, so a
threshold is invoiced at most a minute (plus the cron's run) after the usage that passed it. Deciding is the pure rating/thresholds.py."""

import uuid
from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models

from ..lago.serializers import iso_utc, stored_numbers, subscription_object, usage_threshold_object
from ..rating.filters import DEFAULT
from ..rating.money import round_amount, to_subunits
from ..rating.thresholds import passed_thresholds, threshold_progress
from .sale_order_usage import _naive_utc


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    def _fusion_applicable_thresholds(self):
        """The plan's usage thresholds that apply to this subscription (Subscription#applicable_usage_thresholds)."""
        self.ensure_one()
        if self.fusion_progressive_billing_disabled:
            return []
        return self.sale_order_template_id.fusion_usage_thresholds or []

    @api.model
    def _cron_fusion_monitor_usage(self):
        """Usage monitoring, every minute: alerts and usage thresholds checked against the current
        usage of their subscriptions, rated once for both (one pass of the rating engine for all
        subscriptions sharing a period)."""
        now = fields.Datetime.now()
        alerts = self.env['fusion.billing.alert']._fusion_to_check()
        with_thresholds = self._fusion_with_thresholds()
        orders = alerts.order_id | with_thresholds
        rated = orders._fusion_rate({order.id: order._fusion_period_at(now) for order in orders})
        alerts._fusion_check(now, rated=rated)
        return with_thresholds._fusion_check_thresholds(now, commit=True, rated=rated)

    @api.model
    def _fusion_with_thresholds(self):
        """Active subscriptions billed here whose plan has usage thresholds that apply."""
        return self.search([
            ('fusion_status', '=', 'active'), ('state', '=', 'sale'), ('fusion_progressive_billing_disabled', '=', False),
            ('sale_order_template_id.fusion_usage_thresholds', '!=', False),
            ('fusion_service_id.billing_mode', '!=', 'shadow'),
        ])

    def _fusion_check_thresholds(self, now=None, commit=False, rated=None):
        """Invoices these subscriptions' usage past their thresholds; returns the progressive invoices.
        `commit` (the cron): each subscription's invoice is committed on its own. `rated`: their
        current usage when the caller rated it."""
        billed = self._fusion_threshold_candidates(now, rated)._fusion_each_apart(
            lambda order: order._fusion_bill_thresholds(now), 'progressive billing of %s failed', commit=commit)
        return self.env['account.move'].union(*billed)

    def _fusion_threshold_candidates(self, now=None, rated=None):
        """Those of these subscriptions whose lifetime usage passed a threshold, rated together
        (one pass of the rating engine for all sharing a period); each is checked again under
        its lock before it is invoiced."""
        now = now or fields.Datetime.now()
        orders = self.filtered(lambda order: order._fusion_applicable_thresholds())
        periods = {order.id: order._fusion_period_at(now) for order in orders}
        if rated is None or not all(order.id in rated for order in orders):
            rated = orders._fusion_rate(periods)
        return orders.filtered(lambda order: order._fusion_passed_thresholds(periods[order.id], rated[order.id])[0])

    def _fusion_passed_thresholds(self, period, usages):
        """(thresholds passed, lifetime usage in cents) by the usage `usages` of the current `period`."""
        self.ensure_one()
        current = self._fusion_usage_cents(usages)
        invoiced = self._fusion_invoiced_usage_cents()
        progressive = self._fusion_progressive_billed_cents(period)
        historical = self.fusion_historical_usage_cents or 0
        passed = passed_thresholds(self._fusion_applicable_thresholds(), invoiced=invoiced, current=current,
                                   progressive_billed=progressive, historical=historical)
        return passed, historical + invoiced + max(current, progressive)

    def _fusion_usage_cents(self, usages):
        """The amount of rated usage (ChargeUsage list), in the currency's subunits."""
        return to_subunits(sum((usage.fee.amount for usage in usages), Decimal(0)), self.currency_id.decimal_places)

    def _fusion_lines_cents(self, lines):
        """The untaxed total of order lines, read exactly, in the currency's subunits."""
        return sum((to_subunits(amount or Decimal(0), self.currency_id.decimal_places)
                    for (amount,) in stored_numbers(lines, ('price_subtotal',)).values()), 0)

    def _fusion_lifetime_orders(self):
        """The orders of this external subscription since it started: every plan it ran on (Lago's
        subscriptions of one external_id and subscription_at)."""
        self.ensure_one()
        return self.search([
            ('fusion_service_id', '=', self.fusion_service_id.id), ('fusion_external_id', '=', self.fusion_external_id),
            ('fusion_subscription_at', '=', self.fusion_subscription_at),
        ]) if self.fusion_subscription_at else self

    def _fusion_invoiced_usage_cents(self):
        """Charges invoiced (draft or posted) for the closed periods of this external subscription,
        every plan it ran on since it started (LifetimeUsages::CalculateService#invoiced_usage)."""
        lines = self._fusion_lifetime_orders().order_line.filtered(
            lambda line: line.fusion_charge_id and line._fusion_billed_at_close()
            and line.invoice_lines.move_id.filtered(lambda move: move.state in ('draft', 'posted')))
        return self._fusion_lines_cents(lines)

    def _fusion_progressive_lines(self, period):
        """Lines of this period's progressive invoices (their charges and deductions)."""
        start = _naive_utc(period.start)
        return self.order_line.filtered(lambda line: line.fusion_progressive_seq and line.fusion_period_start == start)

    def _fusion_progressive_billed_cents(self, period):
        """What the latest progressive invoice of `period` billed for its charges, before deducting
        the earlier ones (Subscriptions::ProgressiveBilledAmount: its fees amount)."""
        lines = self._fusion_progressive_lines(period)
        if not lines:
            return 0
        latest = max(lines.mapped('fusion_progressive_seq'))
        return self._fusion_lines_cents(lines.filtered(lambda line: line.fusion_progressive_seq == latest and not line.fusion_deduction))

    def _fusion_bill_thresholds(self, now=None):
        """Invoices the usage of the current period so far when lifetime usage passed thresholds
        (Invoices::ProgressiveBillingService), then sends subscription.usage_threshold_reached per
        threshold. Checked again under the order's lock: concurrent checks invoice a crossing once."""
        now = now or fields.Datetime.now()
        self._fusion_lock()
        period = self._fusion_period_at(now)
        with self._fusion_usage_snapshot(period.end) as usage_cr:
            usages = self._fusion_rate({self.id: period}, cr=usage_cr)[self.id]
        passed, lifetime = self._fusion_passed_thresholds(period, usages)
        if not passed:
            return self.env['account.move']
        lines = self.order_line.filtered('fusion_progressive_seq')
        seq = max(lines.mapped('fusion_progressive_seq'), default=0) + 1
        commands, _excess = self._fusion_deducted_usage_lines(period, usages, seq)
        if not commands:
            return self.env['account.move']
        self.write({'order_line': commands})
        invoices = self._create_invoices()
        created = fields.Datetime.now()
        invoices.write({'fusion_applied_thresholds': [
            dict(threshold, lifetime_usage_amount_cents=lifetime, applied_at=iso_utc(created)) for threshold in passed]})
        # A progressive invoice is final at once (Lago finalizes it; no grace period), and charged.
        invoices.action_post()
        invoices._fusion_charge_with_token()
        for threshold in passed:
            self._fusion_notify_threshold(threshold)
        return invoices

    def _fusion_deducted_usage_lines(self, period, usages, seq=0):
        """Lines billing `usages` of `period` (on its `seq`-th progressive invoice, or at its close
        for 0), each charge's followed by the deduction of what this period's progressive invoices
        billed for it (Credits::ProgressiveBillingService, fee by fee, never below zero). Returns
        (commands, excess): what was billed beyond this final usage, to be credited back."""
        already = defaultdict(Decimal)
        progressive = self._fusion_progressive_lines(period).filtered('fusion_charge_id')
        for line_id, (amount,) in stored_numbers(progressive, ('price_subtotal',)).items():
            line = progressive.browse(line_id)
            already[(line.fusion_charge_id.id, line.fusion_filter or DEFAULT)] += amount or Decimal(0)
        commands = self._fusion_usage_lines(period, usages, progressive_seq=seq)
        deductions = []
        excess = Decimal(0)
        exponent = self.currency_id.decimal_places
        for usage in usages:
            key = (usage.charge.id, usage.bucket.code if usage.bucket else DEFAULT)
            billed = already.pop(key, Decimal(0))
            amount = round_amount(usage.fee.precise_amount, exponent)
            deducted = min(billed, amount)
            excess += billed - deducted
            if deducted > 0:
                label = self.env._('%(charge)s — already billed by progressive invoices',
                                   charge=usage.charge.invoice_display_name or usage.charge.product_id.name)
                line = self._fusion_line(usage.charge.product_id, label, -deducted, period, usage.charge, 0, bucket_code=key[1])
                line[2].update(fusion_progressive_seq=seq, fusion_deduction=True)
                deductions.append(line)
        # Charges billed progressively that have no usage now (a filter bucket emptied): all excess.
        excess += sum(already.values(), Decimal(0))
        return commands + deductions, excess

    def _fusion_credit_excess(self, period, excess):
        """A credit note on the latest progressive invoice of `period` for what it and the earlier
        ones billed beyond the period's final usage (CreditNotes::CreateFromProgressiveBillingInvoice)."""
        if excess <= 0:
            return self.env['account.move']
        lines = self._fusion_progressive_lines(period).filtered(lambda line: not line.fusion_deduction)
        latest = lines.filtered(lambda line: line.fusion_progressive_seq == max(lines.mapped('fusion_progressive_seq')))
        invoice_line = latest.invoice_lines.filtered(lambda line: line.move_id.state == 'posted')[:1]
        if not invoice_line:
            return self.env['account.move']
        return self._fusion_credit_note(
            invoice_line, excess, self.env._('Usage billed progressively beyond the period’s usage'),
            self.env._('Progressive billing of %s', invoice_line.move_id.name))

    def _fusion_notify_threshold(self, threshold):
        """subscription.usage_threshold_reached (Webhooks::Subscriptions::UsageThresholdsReachedService):
        the subscription with its plan, customer, the threshold and those that apply."""
        payload = subscription_object(self, include_plan=True, include_customer=True)
        payload['usage_threshold'] = usage_threshold_object(self.sale_order_template_id, threshold)
        payload['applicable_usage_thresholds'] = [
            {key: entry.get(key) for key in ('threshold_display_name', 'amount_cents', 'recurring')}
            for entry in self._fusion_applicable_thresholds()]
        self.env['fusion.billing.webhook']._fusion_enqueue(
            self.fusion_service_id, 'subscription.usage_threshold_reached', 'subscription', self, payload)

    def _fusion_lifetime_usage(self, now=None):
        """Lago's lifetime usage of this subscription (V1::LifetimeUsageSerializer, with its
        thresholds' progress when progressive billing applies)."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        current = self._fusion_usage_cents(self._fusion_rate({self.id: self._fusion_period_at(now)})[self.id])
        invoiced = self._fusion_invoiced_usage_cents()
        historical = self.fusion_historical_usage_cents or 0
        payload = {
            'lago_id': str(uuid.uuid5(uuid.NAMESPACE_URL, f'fusion-billing:lifetime-usage:{self.fusion_service_id.id}:{self.fusion_external_id}')),
            'lago_subscription_id': subscription_object(self)['lago_id'],
            'external_subscription_id': self.fusion_external_id,
            'external_historical_usage_amount_cents': historical,
            'invoiced_usage_amount_cents': invoiced,
            'current_usage_amount_cents': current,
            'from_datetime': iso_utc(self.fusion_subscription_at or self.fusion_started_at),
            'to_datetime': iso_utc(now),
        }
        thresholds = self._fusion_applicable_thresholds()
        if thresholds:
            applied = self._fusion_thresholds_applied()
            now_iso = iso_utc(now)

            def reached_at(threshold, amount):
                key = (threshold['amount_cents'], bool(threshold.get('recurring')))
                times = [a['applied_at'] for a in applied if (a['amount_cents'], bool(a.get('recurring'))) == key
                         and (not key[1] or a['lifetime_usage_amount_cents'] >= amount)]
                # Lago: the latest application of a one-time threshold, the first covering a recurring step; else now.
                return (max(times) if not key[1] else min(times)) if times else now_iso

            payload['usage_thresholds'] = threshold_progress(thresholds, historical + invoiced + current, reached_at)
        return payload

    def _fusion_thresholds_applied(self):
        """The thresholds that invoiced this external subscription's progressive invoices, with when."""
        moves = self._fusion_lifetime_orders().order_line.filtered('fusion_progressive_seq').invoice_lines.move_id.filtered(lambda move: move.state == 'posted')
        return [dict(applied) for move in moves for applied in move.fusion_applied_thresholds or [] if applied.get('applied_at')]
