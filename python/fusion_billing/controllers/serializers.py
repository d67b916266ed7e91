"""Odoo records as Lago API objects (lago-api app/serializers/v1/*), and pagination."""

import math
from datetime import timezone
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
    """Stable id of a record in API payloads: '<model>-<id>' (the rating engine uses the same)."""
    return f'{record._name}-{record.id}' if record else None


def row_lago_id(model_name, res_id):
    """lago_id of a row read by SQL."""
    return f'{model_name}-{res_id}' if res_id else None


def iso_ms(moment):
    """ISO 8601 in UTC with milliseconds, as Lago writes event timestamps."""
    if not moment:
        return None
    moment = _utc(moment)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'


def iso_s(moment):
    """ISO 8601 in UTC to the second, as Lago writes created_at and most dates."""
    if not moment:
        return None
    return _utc(moment).strftime('%Y-%m-%dT%H:%M:%SZ')


def _utc(moment):
    # Odoo stores naive UTC datetimes.
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment


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
    return {
        'lago_id': row_lago_id('fusion.billing.usage', row['id']),
        'transaction_id': row['transaction_id'],
        'lago_customer_id': None,
        'code': row['code'],
        'timestamp': iso_ms(row['timestamp']),
        'properties': row['properties'],
        'lago_subscription_id': row_lago_id('sale.order', row['order_id']),
        'external_subscription_id': row['external_subscription_id'],
        'created_at': iso_s(row['created_at']),
    }


def customer_payload(link, service):
    partner = link.partner_id
    return {
        'lago_id': lago_id(partner),
        'external_id': link.external_id,
        'name': partner.name,
        'created_at': iso_s(link.create_date),
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


def subscription_payload(order, external_customer_id):
    plan = order.sale_order_template_id
    return {
        'lago_id': lago_id(order),
        'external_id': order.fusion_external_id,
        'lago_customer_id': lago_id(order.partner_id),
        'external_customer_id': external_customer_id,
        'name': order.client_order_ref or None,
        'plan_code': plan.fusion_plan_code,
        'status': order.fusion_status or 'active',
        # The rating engine bills calendar periods only.
        'billing_time': 'calendar',
        'subscription_at': iso_s(order.fusion_started_at),
        'started_at': iso_ms(order.fusion_started_at),
        'terminated_at': iso_s(order.fusion_terminated_at),
        'created_at': iso_s(order.create_date),
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
        'created_at': iso_s(metric.create_date),
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
        'created_at': iso_s(charge.create_date),
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
        'created_at': iso_s(plan.create_date),
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
