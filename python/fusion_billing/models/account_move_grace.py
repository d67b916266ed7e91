"""Lago's invoice grace period: a closed period's invoice stays a draft for N days (the service's
`invoice_grace_period`, or the customer's own), `invoice.drafted` announces it, usage arriving
meanwhile is billed on it (Invoices::RefreshDraftService), and at the end it is posted
(`invoice.created`) and charged. `PUT /invoices/{id}/refresh` and `/finalize` do either now.

The draft keeps its id: its lines are updated in place from the order's re-rated lines, and lines
for usage that had none are added."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Command

from ..rating.schedule import usage_due
from .sale_order_usage import _aware, _naive_utc

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    def _fusion_grace_days(self):
        """The customer's grace period when it has one, else the service's (Lago: customer, then
        billing entity)."""
        self.ensure_one()
        link = self._fusion_customer_link()
        return (link.invoice_grace_period if link and link.invoice_grace_period else 0) or self.fusion_service_id.invoice_grace_period or 0

    def _fusion_issue_invoices(self, invoices):
        """Post and charge new invoices, or keep them drafts through the grace period."""
        self.ensure_one()
        grace = self._fusion_grace_days()
        if grace:
            invoices.write({'fusion_grace_until': fields.Datetime.now() + timedelta(days=grace)})
            for invoice in invoices:
                invoice._fusion_notify('invoice.drafted')
            return
        invoices.action_post()
        # Off-session charge of the card linked from Lago's Stripe customer, if any.
        invoices._fusion_charge_with_token()

    def _fusion_rerate_lines(self, start, end):
        """Rates again the usage periods of this order that end in (start, end], updating their
        lines (new ones for usage that had none) and the true-ups of the plan periods they end;
        their late events are late no more. Returns the order lines added."""
        self.ensure_one()
        terms = self._fusion_terms()
        added = self.env['sale.order.line']
        periods = usage_due(terms, _aware(start), _aware(end))
        for period in periods:
            usages = self._fusion_rate({self.id: period})[self.id]
            for command in self._fusion_usage_lines(period, usages):
                values = command[2]
                existing = self.order_line.filtered(
                    lambda line: line.fusion_charge_id.id == values['fusion_charge_id'] and line.fusion_filter == values['fusion_filter']
                    and line.fusion_period_start == values['fusion_period_start'] and line._fusion_billed_at_close())
                if existing:
                    existing.write({key: values[key] for key in ('name', 'price_unit', 'fusion_units', 'fusion_events_count')})
                else:
                    before = self.order_line
                    self.write({'order_line': [command]})
                    added |= self.order_line - before
            self.env.cr.execute(
                'UPDATE fusion_billing_usage SET late = FALSE WHERE order_id = %s AND late AND "timestamp" >= %s AND "timestamp" < %s',
                [self.id, _naive_utc(period.start), _naive_utc(period.end)])
            plan_period = self._fusion_plan_period_ended_by(period)
            if plan_period:
                added |= self._fusion_refresh_true_up(plan_period)
        self.env['fusion.billing.usage'].invalidate_model(['late'])
        return added

    def _fusion_refresh_true_up(self, period):
        """The true-up of `period` after its usage changed: smaller (0.00 once the fees reach the
        commitment), or a new one."""
        true_up = self.order_line.filtered(lambda line: line.fusion_true_up and line.fusion_period_start == _naive_utc(period.start))
        if not true_up:
            before = self.order_line
            lines = self._fusion_true_up_lines(period)
            if lines:
                self.write({'order_line': lines})
            return self.order_line - before
        true_up.write({'price_unit': float(self._fusion_true_up_amount(period))})
        return self.env['sale.order.line']


class AccountMove(models.Model):
    _inherit = 'account.move'

    def _fusion_refresh_draft(self):
        """Draft invoices of subscriptions re-rated: every usage period they bill (and those with
        no usage then), with the events that arrived since."""
        for move in self.filtered(lambda m: m.state == 'draft' and m.move_type == 'out_invoice'):
            for order in move._fusion_subscriptions():
                lines = move.invoice_line_ids.sale_line_ids.filtered(
                    lambda line: line.order_id == order and line.fusion_period_start and not line.fusion_in_advance)
                if not lines:
                    continue
                # The usage periods the invoice closed: those ending after the earliest start it bills.
                start = min(lines.mapped('fusion_period_start'))
                end = max(lines.mapped('fusion_period_end'))
                added = order._fusion_rerate_lines(start, end)
                move._fusion_sync_lines(order, added)
        return self

    def _fusion_sync_lines(self, order, added):
        """The draft's lines follow the order's: prices updated, added order lines invoiced here."""
        self.ensure_one()
        for line in self.invoice_line_ids.filtered('sale_line_ids'):
            order_line = line.sale_line_ids[:1]
            if order_line.order_id == order and (line.price_unit != order_line.price_unit or line.name != order_line.name):
                line.write({'price_unit': order_line.price_unit, 'name': order_line.name})
        new = [Command.create(order_line._prepare_invoice_line()) for order_line in added if order_line.qty_to_invoice]
        if new:
            self.write({'invoice_line_ids': new})

    def _fusion_finalize_draft(self):
        """End of the grace period (or PUT /finalize): refreshed, posted, charged."""
        drafts = self.filtered(lambda m: m.state == 'draft' and m.move_type == 'out_invoice')
        drafts._fusion_refresh_draft()
        drafts.write({'fusion_grace_until': False})
        drafts.action_post()
        drafts._fusion_charge_with_token()
        return drafts

    @api.model
    def _cron_fusion_finalize_drafts(self):
        """Drafts whose grace period is over are posted, one at a time (one that fails waits for the next run)."""
        due = self.search([('state', '=', 'draft'), ('move_type', '=', 'out_invoice'), ('fusion_grace_until', '!=', False),
                           ('fusion_grace_until', '<=', fields.Datetime.now())])
        for move in due:
            try:
                with self.env.cr.savepoint():
                    move._fusion_finalize_draft()
            except Exception:  # pylint: disable=broad-exception-caught  # logged; the draft waits for the next run
                _logger.exception('fusion_billing: finalizing draft invoice %s failed', move.id)
        return due
