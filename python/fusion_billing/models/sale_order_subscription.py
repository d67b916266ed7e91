"""Subscriptions on Odoo Community: a confirmed sale.order linked to a plan (quotation template)
and to the application's external subscription id. Each closed billing period adds its own
lines (see sale_order_usage), so a new subscription starts with none."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lago.serializers import iso_utc, lago_id


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    @api.model
    def _fusion_create_subscription(self, service, partner, plan, external_id, started_at=None, name=None):
        """Create and confirm the subscription order of `partner` to `plan` for `service`.

        Events already received for this external id (Lago accepts events before the subscription
        exists) are attached to it.
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
            'client_order_ref': name or external_id,
            'fusion_service_id': service.id,
            'fusion_external_id': external_id,
            'fusion_status': 'active',
            'fusion_started_at': started_at or fields.Datetime.now(),
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

    def _fusion_notify(self, webhook_type):
        self.env['fusion.billing.webhook']._fusion_enqueue(
            self.fusion_service_id, webhook_type, 'subscription', self, self._fusion_lago_subscription())

    def _fusion_lago_subscription(self):
        """The subscription as Lago's API and webhooks show it."""
        self.ensure_one()
        return {
            'lago_id': lago_id(self),
            'external_id': self.fusion_external_id,
            'lago_customer_id': lago_id(self.partner_id),
            'external_customer_id': self.env['fusion.billing.account.link']._fusion_external_id_of(self.fusion_service_id, self.partner_id),
            'name': self.client_order_ref or self.fusion_external_id,
            'plan_code': self.sale_order_template_id.fusion_plan_code,
            'status': self.fusion_status or 'active',
            'billing_time': 'calendar',
            'subscription_at': iso_utc(self.fusion_started_at),
            'started_at': iso_utc(self.fusion_started_at),
            'terminated_at': iso_utc(self.fusion_terminated_at),
            'created_at': iso_utc(self.create_date),
        }
