"""Subscriptions on Odoo Community: a confirmed sale.order linked to a plan (quotation template)
and to the application's external subscription id. Each closed billing period adds its own
lines (see sale_order_usage), so a new subscription starts with none."""

from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lago.refusal import LagoRefusal
from ..lago.serializers import subscription_object


class Subscribed(NamedTuple):
    order: models.Model
    created: bool


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    # --------------------------------------------------------------------------- lifecycle

    @api.model
    def _fusion_subscribe(self, service, link, plan, external_id, started_at=None, name=None, ending_at=None, billing_time='calendar'):
        """POST /subscriptions as Lago decides it (app/services/subscriptions/create_service.rb).

        Extension point (the Enterprise bridge and plan changes build on it; call super()):
        - no subscription has `external_id`: a new one is created and confirmed;
        - the customer's own subscription with that id and plan: it is returned unchanged, so that an
          application retrying a create after a timeout gets 200 and the same subscription;
        - the id is another customer's active subscription: LagoRefusal(external_id, value_already_exist);
        - the customer's subscription with another plan is Lago's plan change (upgrade now, downgrade
          at the end of the period), not supported yet: LagoRefusal(plan_code, plan_change_not_supported).
        """
        existing = self.search(
            [('fusion_service_id', '=', service.id), ('fusion_external_id', '=', external_id)], order='id desc', limit=1)
        if existing:
            if existing.partner_id != link.partner_id:
                raise LagoRefusal('external_id', 'value_already_exist')
            if existing.fusion_status != 'active':
                # A terminated subscription keeps its id (its periods and invoices refer to it).
                raise LagoRefusal('external_id', 'value_already_exist')
            if existing.sale_order_template_id != plan:
                raise LagoRefusal('plan_code', 'plan_change_not_supported')
            return Subscribed(existing, False)
        order = self._fusion_create_subscription(
            service, link.partner_id, plan, external_id, started_at=started_at, name=name, ending_at=ending_at, billing_time=billing_time)
        return Subscribed(order, True)

    @api.model
    def _fusion_create_subscription(self, service, partner, plan, external_id, started_at=None, name=None, ending_at=None, billing_time='calendar'):
        """Create and confirm the subscription order of `partner` to `plan` for `service`.

        Events already received for this external id (when the service accepts events before
        their subscription exists, as Lago does) are attached to it.
        """
        if plan.fusion_service_id != service:
            raise ValidationError(self.env._("Plan %(plan)s does not belong to service %(service)s.", plan=plan.fusion_plan_code, service=service.code))
        if self.sudo().search_count([('fusion_service_id', '=', service.id), ('fusion_external_id', '=', external_id)], limit=1):
            raise ValidationError(self.env._("Subscription %s already exists.", external_id))
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
            'fusion_started_at': started_at or fields.Datetime.now(),
            'fusion_ending_at': ending_at or False,
            # Lago's billing_time: periods start on the 1st (calendar) or on the start's day (anniversary).
            'fusion_billing_time': billing_time,
        })
        order.action_confirm()
        self.env.cr.execute(
            """UPDATE fusion_billing_usage SET order_id = %s
                WHERE service_id = %s AND external_subscription_id = %s AND order_id IS NULL""",
            [order.id, service.id, external_id],
        )
        self.env['fusion.billing.usage'].invalidate_model(['order_id'])
        order._fusion_notify('subscription.started')
        return order

    def _fusion_update(self, values):
        """PUT /subscriptions/{id}: Lago's name and ending_at (only the keys given; None clears),
        then subscription.updated. A subscription whose ending_at has passed terminates at the
        next period close (the daily cron, or the Bill usage now button)."""
        self.ensure_one()
        write = {}
        if 'name' in values:
            write['client_order_ref'] = values['name'] or False
        if 'ending_at' in values:
            write['fusion_ending_at'] = values['ending_at'] or False
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

    def _fusion_terminate(self, at=None):
        """Terminate the subscription and bill its last, partial period (Lago's termination invoice)."""
        self.ensure_one()
        if self.fusion_status == 'terminated':
            return self
        at = max(at or fields.Datetime.now(), self.fusion_started_at)
        self.write({'fusion_status': 'terminated', 'fusion_terminated_at': at})
        self._fusion_notify('subscription.terminated')
        self._fusion_close_periods(until=at)
        return self

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
        """The subscription as Lago's API and webhooks show it. Extension point."""
        self.ensure_one()
        return subscription_object(self, include_plan=include_plan, include_customer=include_customer)
