"""The invoices of a service as Lago's API finds them (GET /invoices, GET /invoices/{id}): the
searches live here, where an Enterprise bridge can extend them, and the controllers stay thin."""

from datetime import date
from decimal import Decimal

from odoo import api, models

from ..lago.ids import record_of
from ..lago.refusal import LagoRefusal

LAGO_INVOICE_STATUSES = ('draft', 'finalized', 'voided', 'failed', 'pending')
LAGO_PAYMENT_STATUSES = ('pending', 'succeeded', 'failed')
LAGO_INVOICE_TYPES = ('subscription', 'add_on', 'credit', 'one_off', 'advance_charges', 'progressive_billing')


def _lago_values(filters, name, allowed):
    """The values of the list filter `name`, refused (value_is_invalid) when one is not Lago's."""
    values = filters.get(name)
    if values and set(values) - set(allowed):
        raise LagoRefusal(name, 'value_is_invalid')
    return values


class AccountMove(models.Model):
    _inherit = 'account.move'

    @api.model
    def _fusion_service_domain(self, service):
        """Invoices and refunds of `service`'s subscriptions that Lago would show: posted, drafts
        in their grace period (Lago's draft), or cancelled after posting (Lago's voided).

        Extension point: a bridge may widen it to the invoices it makes (e.g. Enterprise's
        recurring invoices of the same subscriptions); it must call super() and combine with the
        domain it returns. Every API read of an invoice (list, get, download) goes through it."""
        return [
            ('move_type', 'in', ('out_invoice', 'out_refund')),
            ('invoice_line_ids.sale_line_ids.order_id', 'any', [('fusion_service_id', '=', service.id)]),
            '|', '|', ('state', '=', 'posted'), '&', ('state', '=', 'draft'), ('fusion_grace_until', '!=', False),
            '&', ('state', '=', 'cancel'), ('name', 'not in', ('/', False)),
        ]

    @api.model
    def _fusion_service_invoice(self, service, invoice_lago_id):
        """The invoice of `service` a lago_id names, or an empty recordset."""
        invoice = record_of(self.env, 'account.move', invoice_lago_id)
        if not invoice:
            return invoice
        return self.search([('id', '=', invoice.id), *self._fusion_service_domain(service)], limit=1)

    @api.model
    def _fusion_api_domain(self, service, filters, partner=None):
        """GET /invoices' domain for Lago's filters (app/queries/invoices_query.rb). `filters`:
        {name: value or [values]} as the query string gives them; `partner` is the customer's when
        the request names one. Every filter Lago documents narrows the result or is refused
        (LagoRefusal): none is ignored.

        Extension point: a bridge may honour filters of its own or narrow the result; it must
        call super() and extend the domain it returns."""
        domain = list(self._fusion_service_domain(service))
        if partner is not None:
            domain.append(('partner_id', '=', partner.id))
        statuses = _lago_values(filters, 'statuses', LAGO_INVOICE_STATUSES)
        if statuses:
            # Invoices here are drafts (grace period), finalized (posted) or voided (cancelled after posting).
            states = {'draft': 'draft', 'finalized': 'posted', 'voided': 'cancel'}
            domain.append(('state', 'in', [states[s] for s in statuses if s in states]))
        payment_statuses = _lago_values(filters, 'payment_statuses', LAGO_PAYMENT_STATUSES)
        if payment_statuses:
            domain.append(('id', 'in', self._fusion_ids_with_payment_status(domain, payment_statuses)))
        if filters.get('payment_overdue') is not None:
            overdue = [('state', '=', 'posted'), ('payment_state', 'not in', ('paid', 'in_payment')),
                       ('invoice_date_due', '<', date.today())]
            domain += overdue if filters['payment_overdue'] else ['!', '&', '&', *overdue]
        invoice_types = _lago_values(filters, 'invoice_type', LAGO_INVOICE_TYPES)
        if invoice_types:
            # Lago's types of the invoices billed here: subscription (invoices), progressive_billing
            # (invoices of usage past a threshold, sale_order_thresholds.py) and credit (refunds).
            progressive = [('invoice_line_ids.sale_line_ids.fusion_progressive_seq', '>', 0)]
            kinds = {
                'subscription': ['&', ('move_type', '=', 'out_invoice'), '!', *progressive],
                'progressive_billing': ['&', ('move_type', '=', 'out_invoice'), *progressive],
                'credit': [('move_type', '=', 'out_refund')],
            }
            chosen = [kinds[t] for t in invoice_types if t in kinds]
            domain += ['|'] * (len(chosen) - 1) + [leaf for kind in chosen for leaf in kind] if chosen else [('id', '=', 0)]
        if filters.get('currency'):
            domain.append(('currency_id.name', '=', filters['currency'].upper()))
        if filters.get('issuing_date_from'):
            domain.append(('invoice_date', '>=', filters['issuing_date_from']))
        if filters.get('issuing_date_to'):
            domain.append(('invoice_date', '<=', filters['issuing_date_to']))
        for name, operator in (('amount_from', '>='), ('amount_to', '<=')):
            if filters.get(name) is not None:
                domain += self._fusion_amount_domain(domain, operator, filters[name])
        if filters.get('partially_paid') is not None:
            partial = ('payment_state', '=', 'partial')
            domain.append(partial if filters['partially_paid'] else ('payment_state', '!=', 'partial'))
        if filters.get('search_term'):
            term = filters['search_term']
            searched = ['|', ('name', 'ilike', term), '|', ('partner_id.name', 'ilike', term), ('partner_id.email', 'ilike', term)]
            if partner is None:
                searched = ['|', ('partner_id', 'in', self.env['fusion.billing.account.link'].sudo().search(
                    [('service_id', '=', service.id), ('external_id', 'ilike', term)]).partner_id.ids), *searched]
            domain += searched
        # Lago features this module has no invoices for: the filter is honoured, and matches none.
        if filters.get('self_billed') or filters.get('payment_dispute_lost') is not None \
                or filters.get('purchase_order_number') or filters.get('metadata') or filters.get('settlements'):
            domain.append(('id', '=', False))
        return domain

    @api.model
    def _fusion_amount_domain(self, domain, operator, subunits):
        """amount_total compared with an amount in subunits (Lago's total_amount_cents) of each
        invoice's own currency: cents for CAD, yen for JPY, fils for KWD."""
        currencies = [currency for [currency] in self._read_group(domain, ['currency_id'])]
        if not currencies:
            return [('id', '=', False)]
        per_currency = [
            ['&', ('currency_id', '=', currency.id), ('amount_total', operator, Decimal(subunits).scaleb(-currency.decimal_places))]
            for currency in currencies]
        return ['|'] * (len(per_currency) - 1) + [term for terms in per_currency for term in terms]

    @api.model
    def _fusion_ids_with_payment_status(self, domain, payment_statuses):
        """Ids among `domain` whose Lago payment_status (lago.serializers.invoice_payment_status:
        succeeded when paid, failed when the last payment transaction failed) is in `payment_statuses`."""
        candidates = self.search(domain)
        if not candidates:
            return []
        self.env.cr.execute(
            """SELECT DISTINCT ON (rel.invoice_id) rel.invoice_id, tx.state
                 FROM account_invoice_transaction_rel rel JOIN payment_transaction tx ON tx.id = rel.transaction_id
                WHERE rel.invoice_id = ANY(%s) ORDER BY rel.invoice_id, tx.id DESC""",
            [candidates.ids],
        )
        last_state = dict(self.env.cr.fetchall())
        wanted = set(payment_statuses)
        chosen = []
        for move in candidates:
            if move.payment_state in ('paid', 'in_payment'):
                status = 'succeeded'
            elif last_state.get(move.id) == 'error':
                status = 'failed'
            else:
                status = 'pending'
            if status in wanted:
                chosen.append(move.id)
        return chosen

    def _fusion_portal_url(self, report_type=None, download=False):
        """Absolute URL of the invoice in Odoo's customer portal, with its access token: the page
        where it is paid online, or its PDF (report_type='pdf')."""
        self.ensure_one()
        return f'{self.get_base_url()}{self.sudo().get_portal_url(report_type=report_type, download=download)}'

    def _fusion_online_payment_provider(self):
        """Code of the provider the portal charges with (Stripe when the company has it enabled)."""
        self.ensure_one()
        providers = self.env['payment.provider'].sudo().search(
            [('company_id', '=', self.company_id.id), ('state', 'in', ('enabled', 'test'))], order='sequence, id')
        stripe = providers.filtered(lambda p: p.code == 'stripe')[:1]
        return (stripe or providers[:1]).code or None
