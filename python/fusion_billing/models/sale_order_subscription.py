"""Subscriptions on Odoo Community: a confirmed sale.order linked to a plan (quotation template)
and to the application's external subscription id. Each closed billing period adds its own
lines (see sale_order_usage), so a new subscription starts with none."""

from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command

from ..lago.refusal import LagoRefusal
from ..lago.serializers import stored_number, subscription_object
from ..rating.money import round_amount
from ..rating.schedule import trial_end, unused_credit, yearly_amount
from .sale_order_usage import _naive_utc


class Subscribed(NamedTuple):
    order: models.Model
    created: bool


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    # --------------------------------------------------------------------------- lifecycle

    @api.model
    def _fusion_subscribe(self, service, link, plan, external_id, started_at=None, name=None, ending_at=None, billing_time='calendar'):
        """POST /subscriptions as Lago decides it (app/services/subscriptions/create_service.rb).

        Extension point: the Enterprise bridge builds on it (e.g. also starting a
        sale_subscription); it must call super() and keep these outcomes:
        - no active subscription has `external_id`: a new one is created and confirmed;
        - the customer's own subscription with that id and plan: it is returned unchanged, so that an
          application retrying a create after a timeout gets 200 and the same subscription;
        - the id is another customer's active subscription: LagoRefusal(external_id, value_already_exist);
        - the customer's subscription with another plan of the service: Lago's change of plan
          (_fusion_change_plan: an upgrade now, a downgrade at the end of the period).
        """
        existing = self.search(
            [('fusion_service_id', '=', service.id), ('fusion_external_id', '=', external_id), ('fusion_status', '=', 'active')],
            order='id desc', limit=1)
        if existing:
            if existing.partner_id != link.partner_id:
                raise LagoRefusal('external_id', 'value_already_exist')
            if existing.sale_order_template_id != plan:
                return Subscribed(existing._fusion_change_plan(plan, name=name, ending_at=ending_at), False)
            return Subscribed(existing, False)
        if self.search_count([('fusion_service_id', '=', service.id), ('fusion_external_id', '=', external_id),
                              ('partner_id', '!=', link.partner_id.id)], limit=1):
            # A terminated subscription keeps its id for its customer (its periods and invoices refer to it).
            raise LagoRefusal('external_id', 'value_already_exist')
        order = self._fusion_create_subscription(
            service, link.partner_id, plan, external_id, started_at=started_at, name=name, ending_at=ending_at, billing_time=billing_time)
        return Subscribed(order, True)

    @api.model
    def _fusion_create_subscription(self, service, partner, plan, external_id, started_at=None, name=None, ending_at=None,
                                    billing_time='calendar', previous=None):
        """Create and confirm the subscription order of `partner` to `plan` for `service`.

        Events already received for this external id (when the service accepts events before
        their subscription exists, as Lago does) are attached to it; after a change of plan
        (`previous`), so are the previous plan's events from the switch on.
        """
        if plan.fusion_service_id != service:
            raise ValidationError(self.env._("Plan %(plan)s does not belong to service %(service)s.", plan=plan.fusion_plan_code, service=service.code))
        if self.sudo().search_count(
            [('fusion_service_id', '=', service.id), ('fusion_external_id', '=', external_id), ('fusion_status', '=', 'active')],
            limit=1,
        ):
            raise ValidationError(self.env._("Subscription %s already exists.", external_id))
        started_at = started_at or fields.Datetime.now()
        order = self.create({
            'partner_id': partner.id,
            'company_id': service.company_id.id,
            'sale_order_template_id': plan.id,
            'pricelist_id': self._fusion_pricelist(plan.fusion_currency_id or service.currency_id, service.company_id).id,
            # Lago's subscription name (shown on invoices); the external id is kept apart.
            'client_order_ref': name or False,
            'fusion_service_id': service.id,
            'fusion_external_id': external_id,
            'fusion_status': 'active',
            'fusion_started_at': started_at,
            # Lago's subscription_at: anniversary periods and trials count from the first plan's start.
            'fusion_subscription_at': previous.fusion_subscription_at or previous.fusion_started_at if previous else started_at,
            'fusion_trial_ended_at': previous.fusion_trial_ended_at if previous else False,
            'fusion_previous_order_id': previous.id if previous else False,
            'fusion_ending_at': ending_at or False,
            # Lago's billing_time: periods start on the 1st (calendar) or on the start's day (anniversary).
            'fusion_billing_time': billing_time,
        })
        order.action_confirm()
        self.env['fusion.billing.usage'].flush_model(['order_id', 'timestamp'])
        self.env.cr.execute(
            """UPDATE fusion_billing_usage SET order_id = %s
                WHERE service_id = %s AND external_subscription_id = %s
                  AND (order_id IS NULL OR (order_id = %s AND "timestamp" >= %s))""",
            [order.id, service.id, external_id, previous.id if previous else None, started_at],
        )
        self.env['fusion.billing.usage'].invalidate_model(['order_id'])
        order._fusion_notify('subscription.started')
        return order

    # ---------------------------------------------------------------------- change of plan

    def _fusion_change_plan(self, plan, name=None, ending_at=None):
        """Lago's change of plan (Subscriptions::CreateService#upgrade?, PlanUpgradeService,
        PlanDowngradeService): a plan whose yearly amount is at least the current one's applies
        now: this subscription terminates, billing its days and usage so far (a pay-in-advance
        fee is credited for the days left), and a new one with the same external id starts on
        the new plan (returned). A cheaper plan waits for the end of the current period
        (next_plan_code until then; subscription.updated); this subscription is returned."""
        self.ensure_one()
        currency = plan.fusion_currency_id or self.fusion_service_id.currency_id
        if currency != self.currency_id:
            raise LagoRefusal('currency', 'currencies_does_not_match')
        current = self.sale_order_template_id
        if self._fusion_yearly_amount(plan) >= self._fusion_yearly_amount(current):
            now = max(fields.Datetime.now(), self.fusion_started_at)
            new = self._fusion_switch_plan(plan, now, upgrade=True, name=name, ending_at=ending_at)
            # A plan paid in advance bills the rest of its period now.
            new._fusion_close_periods(until=now)
            return new
        switch_at = self._fusion_period_at(fields.Datetime.now(), charges=False).end
        self.write({'fusion_next_plan_id': plan.id, 'fusion_next_plan_at': _naive_utc(switch_at)})
        self._fusion_notify('subscription.updated')
        return self

    def _fusion_next_order(self):
        """The subscription that replaced this one by a change of plan, if any."""
        self.ensure_one()
        return self.search([('fusion_previous_order_id', '=', self.id)], limit=1) if self.fusion_status == 'terminated' else self.browse()

    @api.model
    def _fusion_yearly_amount(self, plan):
        return yearly_amount(plan.fusion_interval, stored_number(plan, 'fusion_amount'))

    def _fusion_apply_next_plans(self, now=None):
        """Those of these subscriptions whose downgrade is due switch plans: each terminates at
        the end of its period (billing it whole) and a subscription on the next plan starts
        there. Returns the new subscriptions."""
        now = now or fields.Datetime.now()
        started = self.browse()
        for order in self.filtered(lambda o: o.fusion_status == 'active' and o.fusion_next_plan_id and o.fusion_next_plan_at and o.fusion_next_plan_at <= now):
            started |= order._fusion_switch_plan(order.fusion_next_plan_id, order.fusion_next_plan_at)
        return started

    def _fusion_switch_plan(self, plan, at, upgrade=False, name=None, ending_at=None):
        """This subscription terminates at `at` and one on `plan` with the same external id,
        customer, billing time and (unless given) name and ending_at starts there."""
        self.ensure_one()
        self._fusion_terminate(at=at, upgrade=upgrade)
        return self._fusion_create_subscription(
            self.fusion_service_id, self.partner_id, plan, self.fusion_external_id, started_at=at,
            name=name or self.client_order_ref, ending_at=ending_at or self.fusion_ending_at,
            billing_time=self.fusion_billing_time or 'calendar', previous=self)

    # ------------------------------------------------------------------------------- trials

    def _fusion_trial_end(self):
        self.ensure_one()
        end = trial_end(self._fusion_terms())
        return _naive_utc(end) if end else None

    def _fusion_end_trials(self, now=None):
        """Subscriptions whose trial is over: trial_ended_at is set and subscription.trial_ended
        sent, once (Subscriptions::FreeTrialBillingService). A pay-in-advance fee then falls due."""
        now = now or fields.Datetime.now()
        for order in self.filtered(lambda o: o.fusion_status == 'active' and not o.fusion_trial_ended_at and o.sale_order_template_id.fusion_trial_period):
            ended = order._fusion_trial_end()
            if ended and ended <= now:
                order.fusion_trial_ended_at = ended
                order._fusion_notify('subscription.trial_ended')

    def _fusion_update(self, values):
        """PUT /subscriptions/{id}: Lago's name, ending_at and progressive_billing_disabled (only the keys given; None clears),
        then subscription.updated. A subscription whose ending_at has passed terminates at the
        next period close (the daily cron, or the Bill usage now button)."""
        self.ensure_one()
        write = {}
        if 'name' in values:
            write['client_order_ref'] = values['name'] or False
        if 'ending_at' in values:
            write['fusion_ending_at'] = values['ending_at'] or False
        if 'progressive_billing_disabled' in values:
            write['fusion_progressive_billing_disabled'] = values['progressive_billing_disabled']
        if write:
            self.write(write)
        self._fusion_notify('subscription.updated')
        return self

    @api.model
    def _fusion_pricelist(self, currency, company):
        """A pricelist in the plan's currency, so that the order and its invoices are in it."""
        Pricelist = self.env['product.pricelist'].sudo()
        pricelist = Pricelist.search(
            [('currency_id', '=', currency.id), ('company_id', 'in', [company.id, False])], order='company_id, id', limit=1)
        return pricelist or Pricelist.create({'name': f'Fusion Billing {currency.name}', 'currency_id': currency.id, 'company_id': company.id})

    def _fusion_terminate(self, at=None, upgrade=False):
        """Terminate the subscription and bill its last, partial period (Lago's termination
        invoice); a fee paid in advance is credited for the days not used.

        Extension point: a bridge may end what it attached (e.g. Enterprise's recurring
        subscription); it must call super()."""
        self.ensure_one()
        if self.fusion_status == 'terminated':
            return self
        at = max(at or fields.Datetime.now(), self.fusion_started_at)
        # Lago cancels a pending downgrade with its subscription (TerminateService#cancel_next_subscription).
        self.write({'fusion_status': 'terminated', 'fusion_terminated_at': at, 'fusion_next_plan_id': False, 'fusion_next_plan_at': False})
        self._fusion_notify('subscription.terminated')
        self._fusion_close_periods(until=at)
        self._fusion_credit_unused(upgrade=upgrade)
        return self

    def _fusion_credit_unused(self, upgrade=False):
        """A credit note for the days of a pay-in-advance period after termination
        (CreditNotes::CreateFromTermination, on_termination_credit_note: credit), on the invoice
        of that period's fee; it stays as the customer's credit for their next invoices."""
        self.ensure_one()
        stopped = self.fusion_terminated_at
        fee_line = self.order_line.filtered(
            lambda line: line.fusion_in_advance and line.fusion_period_start <= stopped < line.fusion_period_end
            and line.invoice_lines.move_id.filtered(lambda move: move.state == 'posted'))[:1]
        if not fee_line or self.fusion_service_id.billing_mode == 'shadow':
            return self.env['account.move']
        billed = stored_number(fee_line, 'price_subtotal')
        credit = unused_credit(self._fusion_terms(), billed, upgrade=upgrade)
        amount = round_amount(credit, self.currency_id.decimal_places)
        if amount <= 0:
            return self.env['account.move']
        invoice_line = fee_line.invoice_lines.filtered(lambda line: line.move_id.state == 'posted')[:1]
        day = fields.Date.to_string(fields.Datetime.context_timestamp(self, stopped).date())
        return self._fusion_credit_note(
            invoice_line, amount, self.env._('%(fee)s — unused days after %(day)s', fee=fee_line.name, day=day),
            self.env._('Unused days of %s', invoice_line.move_id.name))

    def _fusion_credit_note(self, invoice_line, amount, name, ref):
        """A posted credit note of `amount` on the invoice of `invoice_line`, for its product and
        taxes; it stays as the customer's credit for their next invoices."""
        invoice = invoice_line.move_id
        refund = self.env['account.move'].create({
            'move_type': 'out_refund',
            'partner_id': invoice.partner_id.id,
            'company_id': invoice.company_id.id,
            'currency_id': invoice.currency_id.id,
            'journal_id': invoice.journal_id.id,
            'reversed_entry_id': invoice.id,
            'invoice_origin': self.name,
            'ref': ref,
            'fiscal_position_id': invoice.fiscal_position_id.id,
            # Not linked to the order line: what was invoiced stays invoiced once, the credit stands apart.
            'invoice_line_ids': [Command.create({
                'product_id': invoice_line.product_id.id,
                'name': name,
                'quantity': 1,
                'price_unit': float(amount),
                'tax_ids': [Command.set(invoice_line.tax_ids.ids)],
            })],
        })
        refund.action_post()
        return refund

    def _fusion_terminate_ended(self, now=None):
        """Those of these subscriptions whose ending_at has passed terminate at that time (Lago's
        ending_at); returns them."""
        now = now or fields.Datetime.now()
        ended = self.filtered(lambda o: o.fusion_status == 'active' and o.fusion_ending_at and o.fusion_ending_at <= now)
        for order in ended:
            order._fusion_terminate(at=order.fusion_ending_at)
        return ended

    # ------------------------------------------------------------------------- Lago objects

    def _fusion_customer_link(self):
        """The application account (Lago's customer) this subscription belongs to."""
        self.ensure_one()
        return self.env['fusion.billing.account.link']._fusion_link_of(self.fusion_service_id, self.partner_id)

    def _fusion_notify(self, webhook_type):
        # Lago's subscription webhooks carry the plan and the customer (app/services/webhooks/subscriptions/*).
        self.env['fusion.billing.webhook']._fusion_enqueue(
            self.fusion_service_id, webhook_type, 'subscription', self,
            self._fusion_lago_subscription(include_plan=True, include_customer=True))

    def _fusion_lago_subscription(self, include_plan=False, include_customer=False):
        """The subscription as Lago's API and webhooks show it.

        Extension point: a bridge may add keys (never remove or rename Lago's); it must call
        super() and extend the dict it returns."""
        self.ensure_one()
        return subscription_object(self, include_plan=include_plan, include_customer=include_customer)
