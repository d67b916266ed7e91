"""Handlers of the Lago-shaped API routes (named in the spec's route table).

Each takes (service, body, params, query_args): the authenticated service (system environment,
confined to its company), the parsed JSON body (None for GET/DELETE), the path parameters and the
query string. Each returns the response payload or raises ApiError. Every lookup is scoped to
`service`: another service's object is "not found", never "forbidden"."""

from datetime import datetime, timezone

from ..lago.events import now_ms, parse_event
from .api import ApiError, missing_root_key
from .customers import external_id_error, partner_values
from .customers_billing import link_payment_provider
from ..lago.serializers import (
    cents,
    customer_payload,
    event_payload,
    event_payloads,
    invoice_payload,
    iso_utc,
    lago_id,
    metric_payload,
    page_meta,
    page_request,
    plan_payload,
    stored_numbers,
)
from ..settings import EVENTS_BATCH_LIMIT

_MAX_ID_LENGTH = 255
_TRUE, _FALSE = ('true', '1'), ('false', '0')

# ----------------------------------------------------------------------------------- events


def create_event(service, body, params, query_args):
    raw = _root_object(body, 'event')
    event, errors = parse_event(raw, _metric_ids(service), now_ms())
    if errors:
        raise ApiError.validation(errors)
    result = service.env['fusion.billing.usage']._fusion_ingest(service, [event])
    if result.conflicts:
        raise ApiError.validation({'transaction_id': ['value_already_exist']})
    return {'event': event_payload(result.rows[0])}


def create_events_batch(service, body, params, query_args):
    if not isinstance(body, dict):
        raise ApiError.bad_request('param is missing or the value is empty: events')
    raw_events = body.get('events')
    if raw_events in (None, []):
        raise ApiError.validation({'events': ['no_events']})
    if not isinstance(raw_events, list):
        raise ApiError.bad_request('events must be an array')
    if len(raw_events) > EVENTS_BATCH_LIMIT:
        raise ApiError.validation({'events': ['too_many_events']})
    metric_ids, now = _metric_ids(service), now_ms()
    events, errors = [], {}
    for index, raw in enumerate(raw_events):
        event, event_errors = parse_event(raw, metric_ids, now)
        if event_errors:
            errors[str(index)] = event_errors
        events.append(event)
    if errors:
        # All or nothing: one invalid event refuses the whole batch.
        raise ApiError.validation(errors)
    result = service.env['fusion.billing.usage']._fusion_ingest(service, events)
    if result.conflicts:
        raise ApiError.validation(
            {str(index): {'transaction_id': ['value_already_exist']} for index in result.conflicts})
    return {'events': event_payloads(result.rows)}


def _metric_ids(service):
    return service.env['fusion.billing.metric']._fusion_codes(service.id)


# -------------------------------------------------------------------------------- customers


def upsert_customer(service, body, params, query_args):
    raw = _root_object(body, 'customer')
    external_id, error = external_id_error(service, raw.get('external_id'))
    if error:
        raise ApiError.validation({'external_id': [error]})
    existing = _links(service).with_context(active_test=False).search(
        [('service_id', '=', service.id), ('external_id', '=', external_id)], limit=1)
    # A state sent alone belongs to the country the customer already has.
    values = partner_values(service.env, raw, existing.partner_id.country_id)
    link = _links(service)._fusion_upsert(service, external_id, values)
    link_payment_provider(service, link.partner_id, raw.get('billing_configuration'))
    return {'customer': customer_payload(link, service)}


def current_usage(service, body, params, query_args):
    external_subscription_id = query_args.get('external_subscription_id')
    if not external_subscription_id:
        raise ApiError.bad_request('param is missing or the value is empty: external_subscription_id')
    apply_taxes = _boolean_arg(query_args, 'apply_taxes', default=True)
    link = _customer_link(service, params.get('external_customer_id'))
    order = _subscription(service, external_subscription_id, partner=link.partner_id)
    return {'customer_usage': order._fusion_customer_usage(apply_taxes=apply_taxes)}


# ---------------------------------------------------------------------------- subscriptions


def create_subscription(service, body, params, query_args):
    raw = _root_object(body, 'subscription')
    errors = {}
    external_customer_id, error = external_id_error(service, raw.get('external_customer_id'))
    if error:
        errors['external_customer_id'] = [error]
    plan_code = _text(raw, 'plan_code', errors)
    external_id = _text(raw, 'external_id', errors)
    name = raw.get('name')
    if name is not None and not isinstance(name, str):
        errors['name'] = ['invalid_format']
    started_at = _datetime(raw, 'subscription_at', errors)
    if raw.get('billing_time') not in (None, 'calendar'):
        # The rating engine bills calendar periods; anniversary billing is not supported.
        errors['billing_time'] = ['value_is_invalid']
    if errors:
        raise ApiError.validation(errors)
    plan = service.env['sale.order.template'].search(
        [('fusion_service_id', '=', service.id), ('fusion_plan_code', '=', plan_code)], limit=1)
    if not plan:
        raise ApiError.not_found('plan')
    if _orders(service, [('fusion_external_id', '=', external_id)]):
        raise ApiError.validation({'external_id': ['value_already_exist']})
    # Like Lago (Customer.find_or_initialize_by), an unknown customer is created bare.
    link = _links(service)._fusion_upsert(service, external_customer_id, {})
    order = service.env['sale.order']._fusion_create_subscription(
        service, link.partner_id, plan, external_id, started_at=started_at, name=name or None)
    return {'subscription': order._fusion_lago_subscription()}


def terminate_subscription(service, body, params, query_args):
    # Like Lago, only an active subscription can be terminated; a terminated one is not found.
    order = _subscription(service, params.get('external_id'))
    order._fusion_terminate()
    return {'subscription': order._fusion_lago_subscription()}


# --------------------------------------------------------------------------------- invoices


def retry_invoice_payment(service, body, params, query_args):
    """Charge an unpaid invoice again on the customer's linked card (Lago's retry_payment)."""
    invoice = _service_invoice(service, params.get('lago_id'))
    if invoice.payment_state in ('paid', 'in_payment'):
        raise ApiError(405, 'invoice_payment_already_succeeded')
    if not invoice._fusion_payment_token():
        raise ApiError.validation({'payment_method': ['not_found']})
    invoice._fusion_charge_with_token()
    return {'invoice': invoice_payload(invoice)}


def _service_invoice(service, invoice_lago_id):
    """A posted invoice of this service's subscriptions, from its lago_id; 404 otherwise."""
    prefix = 'account.move-'
    if not (invoice_lago_id or '').startswith(prefix) or not invoice_lago_id[len(prefix):].isdigit():
        raise ApiError.not_found('invoice')
    invoice = service.env['account.move'].search([
        ('id', '=', int(invoice_lago_id[len(prefix):])),
        ('move_type', '=', 'out_invoice'),
        ('state', '=', 'posted'),
        ('invoice_line_ids.sale_line_ids.order_id.fusion_service_id', '=', service.id),
    ], limit=1)
    if not invoice:
        raise ApiError.not_found('invoice')
    return invoice


def list_invoices(service, body, params, query_args):
    # Only invoices of this service's subscriptions: the partner may also be billed by others.
    order_domain = [('fusion_service_id', '=', service.id)]
    external_customer_id = query_args.get('external_customer_id')
    if external_customer_id:
        link = _customer_link(service, external_customer_id)
        order_domain.append(('partner_id', '=', link.partner_id.id))
    Move = service.env['account.move']
    domain = [
        ('move_type', 'in', ('out_invoice', 'out_refund')),
        ('invoice_line_ids.sale_line_ids.order_id', 'any', order_domain),
        # Posted invoices, and those cancelled after posting (Lago's voided).
        '|', ('state', '=', 'posted'), '&', ('state', '=', 'cancel'), ('name', 'not in', ('/', False)),
    ]
    page, per_page = page_request(query_args)
    total = Move.search_count(domain)
    moves = Move.search(domain, order='invoice_date desc, id desc', offset=(page - 1) * per_page, limit=per_page)
    amounts = stored_numbers(moves, ('amount_untaxed', 'amount_tax', 'amount_total'))
    return {
        'invoices': [invoice_payload(move, amounts[move.id]) for move in moves],
        'meta': page_meta(page, per_page, total),
    }


# ---------------------------------------------------------------------------------- catalog


def list_billable_metrics(service, body, params, query_args):
    Metric = service.env['fusion.billing.metric']
    domain = [('service_id', '=', service.id)]
    page, per_page = page_request(query_args)
    metrics = Metric.search(domain, order='code, id', offset=(page - 1) * per_page, limit=per_page)
    return {
        'billable_metrics': [metric_payload(metric) for metric in metrics],
        'meta': page_meta(page, per_page, Metric.search_count(domain)),
    }


def list_plans(service, body, params, query_args):
    Plan = service.env['sale.order.template']
    domain = [('fusion_service_id', '=', service.id)]
    page, per_page = page_request(query_args)
    plans = Plan.search(domain, order='fusion_plan_code, id', offset=(page - 1) * per_page, limit=per_page)
    amounts = stored_numbers(plans, ('fusion_amount',))
    return {
        'plans': [
            plan_payload(plan, amounts[plan.id][0], plan.fusion_currency_id or service.currency_id) for plan in plans
        ],
        'meta': page_meta(page, per_page, Plan.search_count(domain)),
    }


# ---------------------------------------------------------------------------------- helpers


def _root_object(body, key):
    raw = missing_root_key(body, key)
    if not isinstance(raw, dict):
        raise ApiError.bad_request(f'{key} must be an object')
    return raw


def _links(service):
    return service.env['fusion.billing.account.link']


def _orders(service, domain=()):
    """The subscriptions (sale orders) of `service` matching `domain`."""
    return service.env['sale.order'].search([('fusion_service_id', '=', service.id), *domain])


def _customer_link(service, external_customer_id):
    link = _links(service).search(
        [('service_id', '=', service.id), ('external_id', '=', external_customer_id or '')], limit=1)
    if not external_customer_id or not link:
        raise ApiError.not_found('customer')
    return link


def _subscription(service, external_id, partner=None):
    """The active subscription `external_id` of `service` (of `partner` when given), or 404."""
    domain = [('fusion_service_id', '=', service.id), ('fusion_external_id', '=', external_id or ''),
              ('fusion_status', '=', 'active')]
    if partner is not None:
        domain.append(('partner_id', '=', partner.id))
    order = service.env['sale.order'].search(domain, limit=1)
    if not external_id or not order:
        raise ApiError.not_found('subscription')
    return order


def _text(raw, field, errors):
    value = raw.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = ['value_is_mandatory']
        return None
    if not isinstance(value, str) or len(value) > _MAX_ID_LENGTH:
        errors[field] = ['invalid_format']
        return None
    return value


def _datetime(raw, field, errors):
    """An optional ISO 8601 date-time as a naive UTC datetime."""
    value = raw.get(field)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace('Z', '+00:00'))
    except (AttributeError, TypeError, ValueError):
        errors[field] = ['invalid_date']
        return None
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _boolean_arg(query_args, name, default):
    value = query_args.get(name)
    if value is None or value == '':
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ApiError.validation({name: ['value_is_invalid']})
