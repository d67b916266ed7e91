"""Moving a service off Lago: importing its accounts, the billing mode, and the guarded cutover.

`fusion-billing lago import-accounts` reads Lago's customers and subscriptions with the official
client and sends them here one customer at a time (JSON-2: one transaction each, so a customer is
imported whole or not at all). The import goes through the API's own handlers, so a customer gets
the same identity resolution (one partner per real customer across services) and the same Stripe
card linking as `POST /customers`, and subscriptions keep their external ids, plan and start date.

A service in shadow mode is rated and reconciled but bills nobody. It becomes live only when its
last `cutover_periods` closed periods reconciled with no open mismatch: the check guards every
write of the mode, so neither the CLI nor an upgrade of a spec that says `live` can skip it."""

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.exceptions import UserError, ValidationError

from ..controllers.api import ApiError
from ..controllers.customers import partner_values
from ..controllers.handlers import create_subscription, upsert_customer
from .fusion_billing_account_link_resolve import _ilike_literal
from .sale_order_usage import _aware, _naive_utc

_logger = logging.getLogger(__name__)


# Partner fields an import may change: compared before and after to report "unchanged".
_PARTNER_FIELDS = ('name', 'email', 'phone', 'vat', 'street', 'street2', 'city', 'zip', 'state_id', 'country_id', 'tz', 'is_company', 'company_registry')


class FusionBillingService(models.Model):
    _inherit = 'fusion.billing.service'

    @api.model
    def _fusion_by_code(self, code):
        service = self.search([('code', '=', code)], limit=1)
        if not service:
            raise UserError(self.env._('No billing service has the code %s.', code))
        return service

    # -------------------------------------------------------------------------------- import

    @api.model
    def fusion_import_account(self, service_code, customer, subscriptions, apply=False):
        """Import one Lago customer (Lago's customer object) and its subscriptions (Lago's
        subscription objects) into `service_code`; a report of what was (or, without `apply`,
        would be) done. Without `apply` everything is rolled back: nothing is written and Stripe
        is not asked. A refusal of any part raises, so that nothing of the customer is kept."""
        service = self._fusion_by_code(service_code)
        env = self.env(context=dict(self.env.context, fusion_billing_import=True))
        service = service.with_env(env)
        savepoint = env.cr.savepoint()
        try:
            report = service._fusion_import_account(customer, subscriptions, apply)
        except ApiError as error:
            savepoint.close(rollback=True)
            env.invalidate_all()
            raise UserError(self.env._('Customer %(customer)s cannot be imported: %(error)s',
                                       customer=customer.get('external_id'), error=error.error_details or error.code or str(error))) from error
        except Exception:
            savepoint.close(rollback=True)
            env.invalidate_all()
            raise
        savepoint.close(rollback=not apply)
        if not apply:
            env.invalidate_all()
        return report

    def _fusion_import_account(self, customer, subscriptions, apply):
        self.ensure_one()
        Links = self.env['fusion.billing.account.link'].with_context(active_test=False)
        external_id = customer.get('external_id')
        existing = Links.search([('service_id', '=', self.id), ('external_id', '=', external_id)], limit=1)
        values = partner_values(self.env, customer, existing.partner_id.country_id)
        identity = self._fusion_identity(existing, values)
        before = existing.partner_id.read(list(_PARTNER_FIELDS))[0] if existing else None
        raw = {key: customer.get(key) for key in (
            'external_id', 'name', 'email', 'phone', 'address_line1', 'address_line2', 'city', 'zipcode', 'state',
            'country', 'timezone', 'tax_identification_number', 'legal_name', 'legal_number', 'customer_type', 'currency')
            if customer.get(key) is not None}
        billing = customer.get('billing_configuration') or {}
        stripe_customer = billing.get('provider_customer_id') if billing.get('payment_provider') == 'stripe' else None
        tokens_before = self._fusion_stripe_tokens(existing.partner_id)
        if stripe_customer and apply:
            raw['billing_configuration'] = {'payment_provider': 'stripe', 'provider_customer_id': stripe_customer}
        upsert_customer(self, {'customer': raw}, {}, {})
        link = Links.search([('service_id', '=', self.id), ('external_id', '=', external_id)], limit=1)
        after = link.partner_id.read(list(_PARTNER_FIELDS))[0]
        card = None
        if stripe_customer:
            tokens = self._fusion_stripe_tokens(link.partner_id)
            card = {'provider_customer_id': stripe_customer,
                    'action': ('would_link' if not apply else 'unchanged' if tokens == tokens_before and tokens else 'linked')}
        report = {
            'external_id': external_id,
            'partner': {'id': link.partner_id.id if apply else None, 'name': link.partner_id.name, **identity},
            'action': 'created' if not existing else ('unchanged' if before == after else 'updated'),
            'payment_method': card,
            'subscriptions': [],
        }
        # Active ones first: a pending one with the same external id is Lago's downgrade waiting
        # for the period's end, which becomes the active subscription's next plan.
        for subscription in sorted(subscriptions, key=lambda s: s.get('status') == 'pending'):
            report['subscriptions'].append(self._fusion_import_subscription(subscription, apply))
        return report

    def _fusion_identity(self, existing, values):
        """How the customer's partner is resolved, as the API would resolve it: the account's own
        partner, a partner of another service's account (merged by email or VAT), one that this
        service's other account already holds (a conflict: a new partner), or a new one."""
        if existing:
            return {'resolution': 'existing', 'matched_by': None, 'shared_with': self._fusion_services_of(existing.partner_id)}
        Links = self.env['fusion.billing.account.link']
        email, vat = values.get('email'), values.get('vat')
        partner = Links._fusion_matching_partner(self, email, vat)
        if partner:
            matched_by = 'email' if email and (partner.email or '').strip().lower() == email.strip().lower() else 'vat'
            return {'resolution': 'merged', 'matched_by': matched_by, 'shared_with': self._fusion_services_of(partner)}
        same = ([[('partner_id.email', '=ilike', _ilike_literal(email))]] if email else []) + ([[('partner_id.vat', '=', vat)]] if vat else [])
        if same:
            taken = Links.with_context(active_test=False).search(
                Domain.AND([[('service_id', '=', self.id)], Domain.OR(same)]), limit=1)
            if taken:
                return {'resolution': 'conflict', 'matched_by': 'email' if email else 'vat', 'shared_with': [],
                        'conflict_with': taken.external_id}
        return {'resolution': 'new', 'matched_by': None, 'shared_with': []}

    def _fusion_services_of(self, partner):
        links = self.env['fusion.billing.account.link'].with_context(active_test=False).search([('partner_id', '=', partner.id)])
        return sorted({f'{link.service_id.code}:{link.external_id}' for link in links if link.service_id != self})

    def _fusion_stripe_tokens(self, partner):
        if not partner:
            return []
        return self.env['payment.token'].sudo().search([('partner_id', '=', partner.id), ('provider_code', '=', 'stripe')]).mapped('provider_ref')

    def _fusion_import_subscription(self, subscription, apply):
        external_id = subscription.get('external_id')
        entry = {'external_id': external_id, 'plan_code': subscription.get('plan_code'),
                 'billing_time': subscription.get('billing_time') or 'calendar',
                 'subscription_at': subscription.get('subscription_at')}
        if subscription.get('status') not in (None, 'active', 'pending'):
            return {**entry, 'action': 'skipped', 'reason': f"status {subscription.get('status')}: nothing left to bill"}
        Order = self.env['sale.order']
        existing = Order.search([('fusion_service_id', '=', self.id), ('fusion_external_id', '=', external_id)], limit=1)
        raw = {key: subscription.get(key) for key in ('external_customer_id', 'plan_code', 'external_id', 'name', 'ending_at', 'billing_time')
               if subscription.get(key) is not None}
        raw['subscription_at'] = subscription.get('started_at') or subscription.get('subscription_at')
        create_subscription(self, {'subscription': raw}, {}, {})
        order = Order.search([('fusion_service_id', '=', self.id), ('fusion_external_id', '=', external_id), ('fusion_status', '=', 'active')], limit=1)
        if order and not order.fusion_trial_ended_at:
            # Lago already ended (and announced) a trial that is over: it must not end again here.
            ended = subscription.get('trial_ended_at')
            ended = fields.Datetime.to_datetime(ended.replace('T', ' ').replace('Z', '')[:19]) if ended else order._fusion_trial_end()
            if ended and ended <= fields.Datetime.now():
                order.fusion_trial_ended_at = ended
        return {**entry, 'action': 'unchanged' if existing else 'created'}

    # --------------------------------------------------------------------------- billing mode

    def write(self, vals):
        if vals.get('billing_mode') == 'live':
            going_live = self.filtered(lambda s: s.billing_mode == 'shadow')
            # The first period Odoo bills: the current one, unless the cutover names another.
            at = self.env.context.get('fusion_cutover_at')
            at = fields.Datetime.to_datetime(at) if at else None
            for service in going_live:
                blockers = service._fusion_cutover_blockers(at)
                if blockers:
                    raise ValidationError(self.env._(
                        '%(service)s cannot go live yet:\n%(blockers)s',
                        service=service.name, blockers='\n'.join(f'- {blocker}' for blocker in blockers)))
            result = super().write(vals)
            for service in going_live:
                service._fusion_start_billing(at)
            return result
        return super().write(vals)

    @api.model
    def _fusion_first_billed_period_start(self, order, at=None):
        """Where Odoo starts billing `order` at cutover (aware UTC): the start of its current
        period, or, with `at` inside a month named by the operator, of its first period that starts
        in that month or later (an anniversary period that began the month before stays Lago's)."""
        if not at:
            return order._fusion_period_at(fields.Datetime.now()).start
        period = order._fusion_period_at(at)
        zone = ZoneInfo(order._fusion_tz())
        local = _aware(at).astimezone(zone)
        month_start = datetime(local.year, local.month, 1, tzinfo=zone).astimezone(timezone.utc)
        return period.start if period.start >= month_start else period.end

    def _fusion_closed_periods_to_reconcile(self, order, at=None):
        """The last `cutover_periods` periods of `order` before Odoo's first, newest first (fewer
        for a subscription that has not lived that long)."""
        boundary = self._fusion_first_billed_period_start(order, at)
        started = _aware(order.fusion_started_at)
        periods = []
        while len(periods) < self.cutover_periods and boundary > started:
            period = order._fusion_period_at(boundary - timedelta(seconds=1))
            periods.append(period)
            boundary = period.start
        return periods

    def _fusion_cutover_blockers(self, at=None):
        """What keeps this service from going live: each (subscription, period) of the last
        closed periods that has no reconciliation line, and every open mismatch."""
        self.ensure_one()
        Reconciliation = self.env['fusion.billing.reconciliation']
        blockers = []
        orders = self.env['sale.order'].search([
            ('fusion_service_id', '=', self.id), ('fusion_external_id', '!=', False), ('fusion_status', '=', 'active'), ('state', '=', 'sale')])
        reconciled = {
            (line['external_subscription_id'], line['period_start'])
            for line in Reconciliation.search_read([('service_id', '=', self.id)], ['external_subscription_id', 'period_start'])
        }
        for order in orders:
            for period in self._fusion_closed_periods_to_reconcile(order, at):
                if (order.fusion_external_id, _naive_utc(period.start)) not in reconciled:
                    blockers.append(self.env._('%(subscription)s, %(period)s: not reconciled',
                                               subscription=order.fusion_external_id, period=Reconciliation._fusion_period_label(order, period)))
        causes = dict(Reconciliation._fields['cause'].selection)
        for line in Reconciliation.search([('service_id', '=', self.id), ('state', '=', 'mismatch')]):
            report = line._fusion_report()[0]
            blockers.append(self.env._(
                '%(subscription)s, %(period)s, %(fee)s: open mismatch (%(cause)s), amount delta %(delta)s %(currency)s',
                subscription=line.external_subscription_id, period=line.period, fee=line.fee_code,
                cause=causes.get(line.cause, line.cause or ''), delta=report['amount_delta'], currency=report['currency']))
        return blockers

    def _fusion_start_billing(self, at=None):
        """At cutover Odoo bills from each subscription's first period on (see
        _fusion_first_billed_period_start): the periods before it, which Lago billed, are marked
        closed (their usage stays, for reconciliation and past usage)."""
        orders = self.env['sale.order'].search([('fusion_service_id', '=', self.id), ('fusion_external_id', '!=', False), ('state', '=', 'sale')])
        for order in orders:
            first = self._fusion_first_billed_period_start(order, at)
            start = _naive_utc(first)
            if not order.fusion_closed_until or order.fusion_closed_until < start:
                order.fusion_closed_until = start
            # Lago billed a fee paid in advance when its period began: Odoo bills the next one.
            fees_from = _naive_utc(order._fusion_period_at(first, charges=False).end) if order.sale_order_template_id.fusion_pay_in_advance else start
            if not order.fusion_fees_until or order.fusion_fees_until < fees_from:
                order.fusion_fees_until = fees_from
        _logger.info('fusion_billing: %s went live; %s subscription(s) billed by Odoo from their next period', self.code, len(orders))

    @api.model
    def fusion_cutover_status(self, service_code, from_period=None):
        """{mode, cutover_periods, blockers} of a service, for `fusion-billing lago cutover`.
        `from_period` (YYYY-MM): the first period Odoo is to bill (default: the current one)."""
        service = self._fusion_by_code(service_code)
        return {
            'mode': service.billing_mode,
            'cutover_periods': service.cutover_periods,
            'blockers': service._fusion_cutover_blockers(_period_moment(from_period)) if service.billing_mode == 'shadow' else [],
        }

    @api.model
    def fusion_cutover(self, service_code, from_period=None):
        """Switch a shadow service to live, Odoo billing from `from_period` (YYYY-MM, default the
        current period) on; refused, naming what blocks, unless the periods before it reconciled."""
        service = self._fusion_by_code(service_code)
        if service.billing_mode == 'shadow':
            at = _period_moment(from_period)
            service.with_context(fusion_cutover_at=fields.Datetime.to_string(at) if at else False).write({'billing_mode': 'live'})
        return self.fusion_cutover_status(service_code)


def _period_moment(period):
    """A moment inside month `period` (YYYY-MM) in every timezone: noon UTC of its first day
    (00:00 on the 1st at UTC-12, 02:00 on the 1st at UTC+14)."""
    if not period:
        return None
    try:
        year, month = (int(part) for part in period.split('-'))
        return fields.Datetime.to_datetime(f'{year:04d}-{month:02d}-01 12:00:00')
    except (ValueError, TypeError) as error:
        raise UserError(f'{period!r} is not a period (YYYY-MM)') from error
