"""Odoo records as Lago objects, field for field as lago-api's serializers write them
(app/serializers/v1/*), for API responses and webhooks; and Lago's pagination.

Lago's customer is an application account of one service (fusion.billing.account.link), its
organization the service's company, its subscription a confirmed sale.order, its plan a quotation
template, its invoice an account.move and its fee an invoice line. Dates are ISO 8601 in UTC as
Lago writes them: seconds (`iso8601`), milliseconds where Lago uses `iso8601(3)` (a subscription's
started_at, an event's timestamp), plain dates for Date columns. Decimal columns are strings."""

import functools
import math
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ..rating.filters import display_name, filter_named
from ..rating.money import decimal_str, round_amount, to_subunits
from .ids import lago_id, row_lago_id

# Lago's aggregation_type values for the spec's aggregation names.
LAGO_AGGREGATION = {
    'count': 'count_agg',
    'sum': 'sum_agg',
    'max': 'max_agg',
    'unique_count': 'unique_count_agg',
    'latest': 'latest_agg',
    'weighted_sum': 'weighted_sum_agg',
}
# app/controllers/concerns/pagination.rb PER_PAGE; Lago sets no maximum, this API caps pages at
# MAX_PER_PAGE so that one request cannot read a whole table.
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
MAX_PAGE = 2**31 - 1
INTERVAL_PER_YEAR = {'weekly': 52, 'monthly': 12, 'quarterly': 4, 'semiannual': 2, 'yearly': 1}


def iso_utc(moment: datetime | None, milliseconds: bool = False) -> str | None:
    """ISO 8601 in UTC with a Z (naive datetimes are UTC, as Odoo stores them)."""
    if not moment:
        return None
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    # isoformat rather than strftime: a batch response writes two per event.
    return moment.isoformat(timespec='milliseconds' if milliseconds else 'seconds') + 'Z'


def iso_ms(moment):
    """ISO 8601 in UTC with milliseconds (Lago's iso8601(3))."""
    return iso_utc(moment, milliseconds=True)


def iso_date(day):
    return day.isoformat() if day else None


def cents(amount, currency):
    """Integer subunits of a stored monetary amount (Decimal from SQL, or Odoo's float)."""
    if amount is None:
        amount = 0
    if isinstance(amount, float):
        # repr() of a float read from a numeric column gives back the stored digits.
        amount = Decimal(repr(amount))
    exponent = currency.decimal_places
    return to_subunits(round_amount(Decimal(amount), exponent), exponent)


def decimal_text(value):
    """A decimal column as Lago writes it: a string, never a float ("0.0" for zero)."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    text = decimal_str(Decimal(value or 0))
    return text if '.' in text else f'{text}.0'


# -------------------------------------------------------------------------------------- events

def event_payload(env, row):
    """A stored usage row (dict from the ingestion SQL) as Lago's event object."""
    return event_payloads(env, [row])[0]


def event_payloads(env, rows):
    """Lago's event objects of stored usage rows. The rows of one request share their
    created_at and often their timestamps: each distinct moment is formatted once."""
    stamped, created, subscriptions = {}, {}, {}
    subscription_id = functools.partial(row_lago_id, env, 'sale.order')

    def once(formatted, moment, format_moment):
        text = formatted.get(moment)
        if text is None:
            text = formatted[moment] = format_moment(moment)
        return text

    return [{
        'lago_id': row_lago_id(env, 'fusion.billing.usage', row['id']),
        'transaction_id': row['transaction_id'],
        # Lago's Postgres store links events to customers and subscriptions asynchronously: null.
        'lago_customer_id': None,
        'code': row['code'],
        'timestamp': once(stamped, row['timestamp'], iso_ms),
        'precise_total_amount_cents': None,
        'properties': row['properties'],
        'lago_subscription_id': once(subscriptions, row['order_id'], subscription_id),
        'external_subscription_id': row['external_subscription_id'],
        'created_at': once(created, row['created_at'], iso_utc),
    } for row in rows]


# ----------------------------------------------------------------------------------- customers

def _stripe_customer_id(partner, company):
    """The Stripe customer (cus_…) of the partner's saved card, as Lago's billing_configuration names it."""
    tokens = partner.env['payment.token'].sudo().search([
        ('partner_id', '=', partner.id), ('provider_code', '=', 'stripe'), ('company_id', '=', company.id)],
        order='id desc', limit=1)
    return tokens.provider_ref or None


def customer_object(link, includes=()):
    """Lago's customer (V1::CustomerSerializer), with `includes` (integration_customers, taxes:
    none here) as the API action or webhook asks for them."""
    partner, service = link.partner_id, link.service_id
    address = {
        'address_line1': partner.street or None,
        'address_line2': partner.street2 or None,
        'city': partner.city or None,
        'zipcode': partner.zip or None,
        'state': partner.state_id.code or None,
        'country': partner.country_id.code or None,
    }
    # Per-customer invoicing overrides: Lago's null means "as the billing entity says" (here, the service).
    billing_configuration = {
        'document_locale': (partner.lang or 'en_US').split('_')[0],
        'subscription_invoice_issuing_date_anchor': None,
        'subscription_invoice_issuing_date_adjustment': None,
    }
    if link.invoice_grace_period:
        # The client declares it a number or absent (Lago writes null when the customer has none).
        billing_configuration['invoice_grace_period'] = link.invoice_grace_period
    stripe_customer = _stripe_customer_id(partner, service.company_id)
    if stripe_customer:
        billing_configuration.update(payment_provider='stripe', provider_customer_id=stripe_customer, provider_payment_methods=['card'])
    updated = max(filter(None, (link.write_date, partner.write_date)), default=link.create_date)
    return {
        'lago_id': lago_id(link),
        'external_id': link.external_id,
        'account_type': 'customer',
        'name': partner.name or None,
        'firstname': None,
        'lastname': None,
        'customer_type': 'company' if partner.is_company else 'individual',
        'sequential_id': link.id,
        'slug': f'{service.code.upper()}-{link.id:04d}',
        'created_at': iso_utc(link.create_date),
        'updated_at': iso_utc(updated),
        **address,
        'email': partner.email or None,
        'url': partner.website or None,
        'phone': partner.phone or None,
        'logo_url': None,
        'legal_name': partner.commercial_company_name or None,
        'legal_number': partner.company_registry or None,
        'currency': service.currency_id.name,
        'tax_identification_number': partner.vat or None,
        'timezone': partner.tz or None,
        'applicable_timezone': partner.tz or 'UTC',
        'net_payment_term': None,
        'external_salesforce_id': None,
        'finalize_zero_amount_invoice': 'inherit',
        'billing_configuration': billing_configuration,
        'shipping_address': address,
        'skip_invoice_custom_sections': False,
        'metadata': [],
        **{include: [] for include in includes if include in ('integration_customers', 'taxes')},
    }


# ------------------------------------------------------------------------------------- catalog

def metric_object(metric):
    filters = metric.filters if isinstance(metric.filters, dict) else {}
    return {
        'lago_id': lago_id(metric),
        'name': metric.name,
        'code': metric.code,
        'description': metric.description or None,
        'aggregation_type': LAGO_AGGREGATION[metric.aggregation_type],
        'weighted_interval': 'seconds' if metric.aggregation_type == 'weighted_sum' else None,
        'recurring': metric.recurring,
        'rounding_function': None,
        'rounding_precision': None,
        'created_at': iso_utc(metric.create_date),
        'field_name': metric.field_name or None,
        'filters': [{'key': key, 'values': sorted(values or [])} for key, values in sorted(filters.items())],
    }


def charge_object(charge):
    return {
        'lago_id': lago_id(charge),
        'lago_billable_metric_id': lago_id(charge.metric_id),
        'code': charge.code,
        'invoice_display_name': charge.invoice_display_name or None,
        'billable_metric_code': charge.metric_id.code,
        'created_at': iso_utc(charge.create_date),
        'charge_model': charge.charge_model,
        'invoiceable': True,
        'regroup_paid_fees': None,
        'pay_in_advance': False,
        'prorated': False,
        'min_amount_cents': 0,
        'properties': charge.properties or {},
        'filters': [
            {'invoice_display_name': entry.get('invoice_display_name') or None, 'properties': entry['properties'],
             'values': {key: list(values) for key, values in entry['values'].items()}}
            for entry in charge.filters or []
        ],
        'taxes': [],
    }


def plan_object(plan, amount, currency):
    """`amount` is the plan's base fee as an exact Decimal (read from its numeric column)."""
    payload = {
        'lago_id': lago_id(plan),
        'name': plan.name,
        'invoice_display_name': plan.name,
        'created_at': iso_utc(plan.create_date),
        'code': plan.fusion_plan_code,
        'interval': plan.fusion_interval,
        'amount_cents': cents(amount, currency),
        'amount_currency': currency.name,
        'trial_period': plan.fusion_trial_period or 0,
        'pay_in_advance': bool(plan.fusion_pay_in_advance),
        # Lago answers null unless the plan is yearly or semiannual.
        'bill_charges_monthly': bool(plan.fusion_bill_charges_monthly) if plan.fusion_interval in ('yearly', 'semiannual') else None,
        'charges': [charge_object(charge) for charge in plan.fusion_charge_ids.sorted(lambda c: (c.code, c.id))],
        'usage_thresholds': [usage_threshold_object(plan, threshold) for threshold in plan.fusion_usage_thresholds or []],
        'taxes': [],
    }
    # Read exactly only when there is one: plan lists would pay a query per plan.
    commitment = stored_number(plan, 'fusion_minimum_commitment') if plan.fusion_minimum_commitment else 0
    if commitment:
        # V1::CommitmentSerializer, present only when the plan has one (PlanSerializer#minimum_commitment).
        payload['minimum_commitment'] = {
            'lago_id': lago_id(plan), 'plan_code': plan.fusion_plan_code,
            'amount_cents': cents(commitment, currency), 'interval': plan.fusion_interval,
            'created_at': iso_utc(plan.create_date), 'updated_at': iso_utc(plan.write_date), 'taxes': [],
        }
        if plan.fusion_commitment_display_name:
            payload['minimum_commitment']['invoice_display_name'] = plan.fusion_commitment_display_name
    return payload


def usage_threshold_object(plan, threshold):
    """Lago's usage threshold (V1::UsageThresholdSerializer) of a plan; its id derives from the
    plan and the threshold's (amount, recurring), which a plan holds once."""
    key = f"{lago_id(plan)}:{threshold['amount_cents']}:{int(bool(threshold.get('recurring')))}"
    return {
        'lago_id': str(uuid.uuid5(uuid.NAMESPACE_URL, f'fusion-billing:usage-threshold:{key}')),
        'threshold_display_name': threshold.get('threshold_display_name'),
        'amount_cents': threshold['amount_cents'],
        'recurring': bool(threshold.get('recurring')),
        'created_at': iso_utc(plan.create_date),
        'updated_at': iso_utc(plan.write_date),
    }


# ------------------------------------------------------------------------------- subscriptions

def subscription_object(order, now=None, include_plan=False, include_customer=False):
    """Lago's subscription (V1::SubscriptionSerializer), with its plan and customer when asked."""
    plan = order.sale_order_template_id
    currency = plan.fusion_currency_id or order.fusion_service_id.currency_id
    amount = stored_number(plan, 'fusion_amount')
    link = order._fusion_customer_link()
    period_start = period_end = None
    if order.fusion_status == 'active':
        # Lago's current_billing_period_* are the charges' boundaries (dates_service.charges_from_datetime).
        period = order._fusion_period_at(now or datetime.now(timezone.utc).replace(tzinfo=None))
        period_start, period_end = period.start, period.end - timedelta(seconds=1)
    payload = {
        'lago_id': lago_id(order),
        'external_id': order.fusion_external_id,
        'lago_customer_id': lago_id(link),
        'external_customer_id': link.external_id or None,
        'name': order.client_order_ref or None,
        'plan_code': plan.fusion_plan_code,
        'plan_amount_cents': cents(amount, currency),
        'plan_amount_currency': currency.name,
        'status': order.fusion_status or 'active',
        'billing_time': order.fusion_billing_time or 'calendar',
        'subscription_at': iso_utc(order.fusion_subscription_at or order.fusion_started_at),
        'started_at': iso_ms(order.fusion_started_at),
        'trial_ended_at': iso_utc(order.fusion_trial_ended_at),
        'ending_at': iso_utc(order.fusion_ending_at),
        'terminated_at': iso_utc(order.fusion_terminated_at),
        'canceled_at': None,
        'created_at': iso_utc(order.create_date),
        'previous_plan_code': order.fusion_previous_order_id.sale_order_template_id.fusion_plan_code or None,
        # A pending downgrade's plan, or the plan that replaced this one (Subscription#next_subscription).
        'next_plan_code': (order.fusion_next_plan_id or order._fusion_next_order().sale_order_template_id).fusion_plan_code or None,
        'downgrade_plan_date': iso_date(order._fusion_local_date(order.fusion_next_plan_at)) if order.fusion_next_plan_at else None,
        'current_billing_period_started_at': iso_utc(period_start),
        'current_billing_period_ending_at': iso_utc(period_end),
        # Lago's default for plans paid in advance; empty for plans billed in arrears (app/models/subscription.rb#validates).
        'on_termination_credit_note': 'credit' if plan.fusion_pay_in_advance else None,
        'on_termination_invoice': 'generate',
        'progressive_billing_disabled': bool(order.fusion_progressive_billing_disabled),
        'consolidate_invoice': False,
        'purchase_order_number': None,
        'activated_at': iso_utc(order.fusion_started_at),
    }
    if include_customer and link:
        payload['customer'] = customer_object(link)
    payload['payment_method'] = {'payment_method_id': None, 'payment_method_type': 'provider'}
    if include_plan:
        payload['plan'] = plan_object(plan, amount, currency)
    payload['activation_rules'] = []
    return payload


# ------------------------------------------------------------------------------------ invoices

def invoice_status(move):
    if move.state == 'cancel':
        return 'voided'
    return 'finalized' if move.state == 'posted' else 'draft'


def invoice_payment_status(move):
    if move.payment_state in ('paid', 'in_payment'):
        return 'succeeded'
    if last_transaction_state(move) == 'error':
        return 'failed'
    return 'pending'


def invoice_object(move, amounts=None, link=None, includes=()):
    """Lago's invoice (V1::InvoiceSerializer). `amounts`: (untaxed, tax, total, residual) read exactly
    from the database (read here when not given). `includes`: any of customer, subscriptions,
    fees, applied_taxes, as Lago's API actions and webhooks ask for them."""
    amounts = amounts or stored_numbers(move, INVOICE_AMOUNT_COLUMNS)[move.id]
    untaxed, tax, total, residual = amounts
    currency = move.currency_id
    sign = -1 if move.move_type == 'out_refund' else 1
    status = invoice_status(move)
    total_cents = cents(total, currency)
    due_cents = 0 if status == 'voided' else cents(residual, currency)
    payment_status = invoice_payment_status(move)
    today = datetime.now(timezone.utc).date()
    # Progressive billing (sale_order_thresholds.py): a progressive invoice bills the period's
    # usage so far; its deductions, and the period invoice's, are Lago's progressive billing credit.
    sale_lines = move.invoice_line_ids.sale_line_ids
    progressive = any(sale_lines.mapped('fusion_progressive_seq'))
    credit_cents = -sign * sum(cents(line.price_subtotal, currency) for line in move.invoice_line_ids
                               if line.sale_line_ids[:1].fusion_deduction)
    payload = {
        'lago_id': lago_id(move),
        'billing_entity_code': None,
        'sequential_id': move.id,
        'number': move.name,
        'purchase_order_number': None,
        'issuing_date': iso_date(move.invoice_date),
        'payment_dispute_lost_at': None,
        'payment_due_date': iso_date(move.invoice_date_due),
        'payment_overdue': bool(status == 'finalized' and payment_status != 'succeeded'
                                and move.invoice_date_due and move.invoice_date_due < today),
        'net_payment_term': (move.invoice_date_due - move.invoice_date).days if move.invoice_date and move.invoice_date_due else 0,
        # Refunds have no Lago invoice type (Lago issues credit notes); they are marked and negative.
        'invoice_type': 'credit' if sign < 0 else 'progressive_billing' if progressive else 'subscription',
        'status': status,
        'payment_status': payment_status,
        'currency': currency.name,
        'fees_amount_cents': sign * cents(untaxed, currency) + credit_cents,
        'taxes_amount_cents': sign * cents(tax, currency),
        'progressive_billing_credit_amount_cents': credit_cents,
        'coupons_amount_cents': 0,
        'credit_notes_amount_cents': 0,
        'sub_total_excluding_taxes_amount_cents': sign * cents(untaxed, currency),
        'sub_total_including_taxes_amount_cents': sign * total_cents,
        'total_amount_cents': sign * total_cents,
        'total_due_amount_cents': sign * due_cents,
        'total_paid_amount_cents': sign * (total_cents - due_cents) if status != 'voided' else 0,
        'total_offsetted_credit_note_amount_cents': 0,
        'prepaid_credit_amount_cents': 0,
        'prepaid_granted_credit_amount_cents': 0,
        'prepaid_purchased_credit_amount_cents': 0,
        'file_url': None,
        'xml_url': None,
        'version_number': 4,
        'self_billed': False,
        'created_at': iso_utc(move.create_date),
        'updated_at': iso_utc(move.write_date),
        'voided_at': None,
    }
    if 'customer' in includes and link:
        payload['customer'] = customer_object(link)
    if 'subscriptions' in includes:
        orders = move.invoice_line_ids.sale_line_ids.order_id.filtered('fusion_external_id')
        payload['subscriptions'] = [subscription_object(order) for order in orders.sorted(lambda o: (o.client_order_ref or '', o.id))]
    if 'fees' in includes:
        payload['fees'] = [fee_object(line, link) for line in move.invoice_line_ids.filtered(
            lambda line: line.display_type == 'product' and not line.sale_line_ids[:1].fusion_deduction)]
    if 'applied_taxes' in includes:
        payload['applied_taxes'] = invoice_applied_taxes(move)
    if progressive:
        # V1::AppliedUsageThresholdSerializer, on progressive invoices only (as Lago's invoice).
        plan = sale_lines.order_id.sale_order_template_id[:1]
        payload['applied_usage_thresholds'] = [{
            'lifetime_usage_amount_cents': applied['lifetime_usage_amount_cents'],
            'created_at': applied.get('applied_at') or iso_utc(move.create_date),
            'usage_threshold': usage_threshold_object(plan, applied),
        } for applied in move.fusion_applied_thresholds or []]
    payload['metadata'] = []
    return payload


INVOICE_AMOUNT_COLUMNS = ('amount_untaxed', 'amount_tax', 'amount_total', 'amount_residual')


def invoice_applied_taxes(move):
    """Lago's applied_taxes of an invoice: one per tax, its amount and the fees it applies to."""
    currency = move.currency_id
    by_tax = {}
    for line in move.line_ids.filtered(lambda tax_line: tax_line.display_type == 'tax' and tax_line.tax_line_id):
        entry = by_tax.setdefault(line.tax_line_id, {'amount': Decimal(0), 'line': line})
        entry['amount'] += Decimal(repr(abs(line.amount_currency)))
    applied = []
    for tax, entry in by_tax.items():
        base = sum((Decimal(repr(abs(invoice_line.price_subtotal))) for invoice_line in move.invoice_line_ids if tax in invoice_line.tax_ids), Decimal(0))
        applied.append({
            'lago_id': row_lago_id(move.env, 'account.move.line', entry['line'].id),
            'lago_invoice_id': lago_id(move),
            'lago_tax_id': lago_id(tax),
            'tax_name': tax.name,
            'tax_code': tax_code(tax),
            'tax_rate': float(tax.amount),
            'tax_description': tax.description and str(tax.description) or None,
            'amount_cents': cents(entry['amount'], currency),
            'amount_currency': currency.name,
            'fees_amount_cents': cents(base, currency),
            'created_at': iso_utc(move.create_date),
        })
    return applied


def tax_code(tax):
    """A stable code for an Odoo tax (Lago taxes have one; Odoo's have a name and an id)."""
    return f"{''.join(ch if ch.isalnum() else '_' for ch in (tax.name or 'tax').lower()).strip('_')}_{tax.id}"


def fee_object(line, link):
    """Lago's fee (V1::FeeSerializer) of an invoice line: the plan's base fee (a subscription
    fee) or a usage charge (a charge fee) of one billing period."""
    move, currency = line.move_id, line.currency_id
    order_line = line.sale_line_ids[:1]
    order = order_line.order_id
    charge = order_line.fusion_charge_id
    amount = Decimal(repr(line.price_subtotal))
    taxes = Decimal(repr(line.price_total)) - amount
    units = Decimal(repr(order_line.fusion_units or 0)) if charge else Decimal(1)
    amount_cents, taxes_cents = cents(amount, currency), cents(taxes, currency)
    rate = sum(tax.amount for tax in line.tax_ids if tax.amount_type == 'percent')
    if charge:
        metric = charge.metric_id
        # The charge filter a line prices (V1::FeeSerializer: charge_filter.to_h, its display name).
        entry = filter_named(charge.filters, order_line.fusion_filter)
        item = {
            'type': 'charge', 'code': metric.code, 'name': metric.name, 'description': metric.description or None,
            'invoice_display_name': charge.invoice_display_name or line.name,
            'filters': {key: list(values) for key, values in entry['values'].items()} if entry else None,
            'filter_invoice_display_name': display_name(entry) if entry else None,
            'lago_item_id': lago_id(metric), 'item_type': 'BillableMetric',
        }
    else:
        plan = order.sale_order_template_id
        item = {
            # A true-up is Lago's commitment fee; it names the plan as a subscription fee does.
            'type': 'commitment' if order_line.fusion_true_up else 'subscription', 'code': plan.fusion_plan_code or '', 'name': plan.name or line.name,
            'description': None, 'invoice_display_name': line.name, 'filters': None,
            'filter_invoice_display_name': None, 'lago_item_id': lago_id(order) if order else '',
            'item_type': 'Subscription',
        }
    payment_status = invoice_payment_status(move)
    return {
        'lago_id': lago_id(line),
        'lago_charge_id': lago_id(charge),
        'lago_charge_filter_id': None,
        'lago_fixed_charge_id': None,
        'lago_invoice_id': lago_id(move),
        'lago_true_up_fee_id': None,
        'lago_true_up_parent_fee_id': None,
        'lago_original_fee_id': None,
        'lago_subscription_id': lago_id(order),
        'external_subscription_id': order.fusion_external_id or None,
        'lago_customer_id': lago_id(link),
        'external_customer_id': link.external_id if link else None,
        'item': item,
        'pay_in_advance': False,
        'invoiceable': True,
        'amount_cents': amount_cents,
        'amount_currency': currency.name,
        'precise_amount': decimal_str(amount),
        'precise_total_amount': decimal_str(amount + taxes),
        'taxes_amount_cents': taxes_cents,
        'taxes_precise_amount': decimal_str(taxes),
        'taxes_rate': float(rate),
        'total_aggregated_units': decimal_text(units),
        'total_amount_cents': amount_cents + taxes_cents,
        'total_amount_currency': currency.name,
        'units': decimal_text(units),
        'description': line.name or None,
        'precise_unit_amount': decimal_text(Decimal(repr(line.price_unit))),
        'precise_coupons_amount_cents': '0.0',
        'sub_total_excluding_taxes_amount_cents': amount_cents,
        'sub_total_excluding_taxes_precise_amount_cents': decimal_text(amount * 10 ** currency.decimal_places),
        'events_count': order_line.fusion_events_count if charge else None,
        'payment_status': payment_status,
        'created_at': iso_utc(line.create_date),
        'succeeded_at': iso_utc(move.write_date) if payment_status == 'succeeded' else None,
        'failed_at': None,
        'refunded_at': None,
        'amount_details': {},
        'self_billed': False,
        'from_date': iso_utc(order_line.fusion_period_start),
        'to_date': iso_utc(order_line.fusion_period_end - timedelta(seconds=1)) if order_line.fusion_period_end else None,
    }


def last_transaction_state(move):
    # Online payment transactions are linked to invoices by account_payment (auto-installed).
    transactions = move['transaction_ids'] if 'transaction_ids' in move._fields else ()
    return transactions.sorted('id')[-1].state if transactions else None


def stored_number(record, column):
    """One record's numeric column as an exact Decimal (0 when empty, or for no record)."""
    if not record:
        return Decimal(0)
    return stored_numbers(record, (column,))[record.id][0] or Decimal(0)


def stored_numbers(records, columns):
    """{id: (Decimal | None, ...)} of numeric columns, read as text: Odoo's driver would turn
    numerics into floats (and units without a fixed scale would lose digits)."""
    if not records:
        return {}
    records.flush_recordset(list(columns))
    selected = ', '.join(f'{column}::text' for column in columns)
    records.env.cr.execute(f'SELECT id, {selected} FROM {records._table} WHERE id = ANY(%s)', [records.ids])  # noqa: S608 (fixed names)
    return {row[0]: tuple(Decimal(value) if value is not None else None for value in row[1:]) for row in records.env.cr.fetchall()}


# ---------------------------------------------------------------------------------- pagination

def page_request(query_args):
    """(page, per_page) from the query string, as Kaminari reads them: invalid values fall back
    to the defaults."""
    # Capped so that the offset stays a PostgreSQL bigint: a page that far is empty either way.
    page = min(_positive_int(query_args.get('page'), 1), MAX_PAGE)
    per_page = min(_positive_int(query_args.get('per_page'), DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return page, per_page


def search_page(model, domain, order, query_args):
    """(records, meta) of the page the query string asks for: one search of that page and one
    count, as every Lago list answers."""
    page, per_page = page_request(query_args)
    records = model.search(domain, order=order, offset=(page - 1) * per_page, limit=per_page)
    return records, page_meta(page, per_page, model.search_count(domain))


def page_meta(page, per_page, total_count):
    """Lago's meta (app/controllers/concerns/pagination.rb): all zero when nothing matches."""
    if not total_count:
        return {'current_page': 0, 'next_page': None, 'prev_page': None, 'total_pages': 0, 'total_count': 0}
    total_pages = math.ceil(total_count / per_page)
    return {
        'current_page': page,
        'next_page': page + 1 if page < total_pages else None,
        'prev_page': page - 1 if page > 1 else None,
        'total_pages': total_pages,
        'total_count': total_count,
    }


def _positive_int(value, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
