"""Odoo records as Lago objects (lago-api app/serializers/v1/*) for API responses and webhooks, and pagination."""

import math
from datetime import datetime, timezone
from decimal import Decimal

from ..rating.money import round_amount, to_subunits

# Lago's aggregation_type values for the spec's aggregation names.
LAGO_AGGREGATION = {
    'count': 'count_agg',
    'sum': 'sum_agg',
    'max': 'max_agg',
    'unique_count': 'unique_count_agg',
    'latest': 'latest_agg',
    'weighted_sum': 'weighted_sum_agg',
}
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


def lago_id(record):
    """Stable string id of a record, in place of Lago's UUIDs."""
    return f'{record._name}-{record.id}'


def iso_utc(moment: datetime | None, milliseconds: bool = False) -> str | None:
    """ISO 8601 in UTC with a Z (naive datetimes are UTC, as Odoo stores them)."""
    if not moment:
        return None
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    # isoformat rather than strftime: a batch response writes two per event.
    return moment.isoformat(timespec='milliseconds' if milliseconds else 'seconds') + 'Z'


def row_lago_id(model_name, res_id):
    """lago_id of a row read by SQL."""
    return f'{model_name}-{res_id}' if res_id else None


def iso_ms(moment):
    """ISO 8601 in UTC with milliseconds, as Lago writes event timestamps."""
    return iso_utc(moment, milliseconds=True)


def cents(amount, currency):
    """Integer subunits of a stored monetary amount (Decimal from SQL, or Odoo's float)."""
    if amount is None:
        amount = 0
    if isinstance(amount, float):
        # repr() of a float read from a numeric column gives back the stored digits.
        amount = Decimal(repr(amount))
    exponent = currency.decimal_places
    return to_subunits(round_amount(Decimal(amount), exponent), exponent)


def event_payload(row):
    """A stored usage row (dict from the ingestion SQL) as Lago's event object."""
    return event_payloads([row])[0]


def event_payloads(rows):
    """Lago's event objects of stored usage rows. The rows of one request share their
    created_at and often their timestamps: each distinct moment is formatted once."""
    stamped, created = {}, {}

    def once(formatted, moment, format_moment):
        text = formatted.get(moment)
        if text is None:
            text = formatted[moment] = format_moment(moment)
        return text

    return [{
        'lago_id': row_lago_id('fusion.billing.usage', row['id']),
        'transaction_id': row['transaction_id'],
        'lago_customer_id': None,
        'code': row['code'],
        'timestamp': once(stamped, row['timestamp'], iso_ms),
        'properties': row['properties'],
        'lago_subscription_id': row_lago_id('sale.order', row['order_id']),
        'external_subscription_id': row['external_subscription_id'],
        'created_at': once(created, row['created_at'], iso_utc),
    } for row in rows]


def customer_payload(link, service):
    partner = link.partner_id
    return {
        'lago_id': lago_id(partner),
        'external_id': link.external_id,
        'name': partner.name,
        'created_at': iso_utc(link.create_date),
        'country': partner.country_id.code or None,
        'address_line1': partner.street or None,
        'address_line2': partner.street2 or None,
        'state': partner.state_id.code or None,
        'zipcode': partner.zip or None,
        'email': partner.email or None,
        'city': partner.city or None,
        'phone': partner.phone or None,
        'legal_name': partner.commercial_company_name or None,
        'tax_identification_number': partner.vat or None,
        'currency': service.currency_id.name,
        'timezone': partner.tz or None,
        'applicable_timezone': partner.tz or 'UTC',
    }


def metric_payload(metric):
    filters = metric.filters if isinstance(metric.filters, dict) else {}
    return {
        'lago_id': lago_id(metric),
        'name': metric.name,
        'code': metric.code,
        'description': metric.description or None,
        'aggregation_type': LAGO_AGGREGATION[metric.aggregation_type],
        'weighted_interval': 'seconds' if metric.aggregation_type == 'weighted_sum' else None,
        'recurring': metric.recurring,
        'field_name': metric.field_name or None,
        'filters': [{'key': key, 'values': list(values or [])} for key, values in filters.items()],
        'created_at': iso_utc(metric.create_date),
    }


def charge_payload(charge):
    return {
        'lago_id': lago_id(charge),
        'code': charge.code,
        'lago_billable_metric_id': lago_id(charge.metric_id),
        'billable_metric_code': charge.metric_id.code,
        'charge_model': charge.charge_model,
        'invoice_display_name': charge.invoice_display_name or None,
        'properties': charge.properties or {},
        'created_at': iso_utc(charge.create_date),
    }


def plan_payload(plan, amount, currency):
    """`amount` is the plan's base fee as an exact Decimal (read from its numeric column)."""
    return {
        'lago_id': lago_id(plan),
        'name': plan.name,
        'code': plan.fusion_plan_code,
        'interval': plan.fusion_interval,
        'amount_cents': cents(amount, currency),
        'amount_currency': currency.name,
        'created_at': iso_utc(plan.create_date),
        'charges': [charge_payload(charge) for charge in plan.fusion_charge_ids.sorted(lambda c: (c.code, c.id))],
    }


def page_request(query_args):
    """(page, per_page) from the query string; invalid values fall back to the defaults."""
    page = _positive_int(query_args.get('page'), 1)
    per_page = min(_positive_int(query_args.get('per_page'), DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return page, per_page


def page_meta(page, per_page, total_count):
    total_pages = math.ceil(total_count / per_page) if total_count else 0
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


def invoice_payload(move, amounts=None):
    """`amounts`: (untaxed, tax, total) read exactly from the database; read here when not given."""
    amounts = amounts or stored_numbers(move, ('amount_untaxed', 'amount_tax', 'amount_total'))[move.id]
    untaxed, tax, total = amounts
    currency = move.currency_id
    sign = -1 if move.move_type == 'out_refund' else 1
    if move.state == 'cancel':
        status = 'voided'
    else:
        status = 'finalized' if move.state == 'posted' else 'draft'
    if move.payment_state in ('paid', 'in_payment'):
        payment_status = 'succeeded'
    elif last_transaction_state(move) == 'error':
        payment_status = 'failed'
    else:
        payment_status = 'pending'
    return {
        'lago_id': lago_id(move),
        'number': move.name,
        'issuing_date': move.invoice_date and move.invoice_date.isoformat(),
        'payment_due_date': move.invoice_date_due and move.invoice_date_due.isoformat(),
        # Refunds have no Lago invoice type (Lago issues credit notes); they are marked and negative.
        'invoice_type': 'credit_note' if sign < 0 else 'subscription',
        'status': status,
        'payment_status': payment_status,
        'currency': currency.name,
        'fees_amount_cents': sign * cents(untaxed, currency),
        'taxes_amount_cents': sign * cents(tax, currency),
        'sub_total_excluding_taxes_amount_cents': sign * cents(untaxed, currency),
        'sub_total_including_taxes_amount_cents': sign * cents(total, currency),
        'total_amount_cents': sign * cents(total, currency),
        'created_at': iso_utc(move.create_date),
    }


def last_transaction_state(move):
    # Online payment transactions are linked to invoices by account_payment (auto-installed).
    transactions = move['transaction_ids'] if 'transaction_ids' in move._fields else ()
    return transactions.sorted('id')[-1].state if transactions else None


def stored_numbers(records, columns):
    """{id: (Decimal, ...)} of numeric columns read from the database, not through floats."""
    if not records:
        return {}
    records.flush_recordset(list(columns))
    cr = records.env.cr
    cr.execute(
        f'SELECT id, {", ".join(columns)} FROM {records._table} WHERE id = ANY(%s)',  # noqa: S608 (fixed names)
        [records.ids],
    )
    return {row[0]: row[1:] for row in cr.fetchall()}
