"""Handlers of the Lago-shaped API routes (named in the spec's route table).

Each takes (service, body, params, query_args): the authenticated service (system environment,
confined to its company), the parsed JSON body (None for GET/DELETE), the path parameters and the
query string. Each returns the response payload (a PlainText for text answers) or raises
ApiError. Every lookup is scoped to `service`: another service's object is "not found", never
"forbidden". Searches and business rules live in the models; handlers read the request, call
them and shape the answer."""

import re
from datetime import date, datetime, timezone

from ..lago.events import now_ms, parse_event
from ..lago.ids import lago_id
from ..lago.serializers import (
    INVOICE_AMOUNT_COLUMNS,
    customer_object,
    event_payload,
    event_payloads,
    metric_object,
    page_meta,
    page_request,
    plan_object,
    search_page,
    stored_number,
    stored_numbers,
    subscription_object,
)
from ..lago.refusal import LagoRefusal
from ..rating.alerts import ALERT_TYPES, threshold_error
from ..models.account_move_webhooks import API_INCLUDES
from ..settings import EVENTS_BATCH_LIMIT
from .api import ApiError, PlainText, missing_root_key
from .customers import external_id_error, partner_values
from .customers_billing import link_payment_provider

_MAX_ID_LENGTH = 255
# ASCII digits only: str.isdigit() also takes '²', which int() refuses.
_INTEGER = re.compile(r'-?[0-9]{1,18}')
_TRUE, _FALSE = ('true', '1'), ('false', '0')

# ----------------------------------------------------------------------------------- events


def create_event(service, body, params, query_args):
    raw = _root_object(body, 'event')
    accept_metric, accept_subscription = service._fusion_accepts_unknown(service.id)
    event, errors = parse_event(raw, _metric_ids(service), now_ms(), accept_unknown_code=accept_metric)
    if errors:
        raise ApiError.validation(errors)
    result = service.env['fusion.billing.usage']._fusion_ingest(service, [event])
    if result.conflicts:
        raise ApiError.validation({'transaction_id': ['value_already_exist']})
    if result.unattached and not accept_subscription:
        raise ApiError.validation({'external_subscription_id': ['subscription_not_found']})
    return {'event': event_payload(service.env, result.rows[0])}


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
    accept_metric, accept_subscription = service._fusion_accepts_unknown(service.id)
    metric_ids, now = _metric_ids(service), now_ms()
    events, errors = [], {}
    for index, raw in enumerate(raw_events):
        event, event_errors = parse_event(raw, metric_ids, now, accept_unknown_code=accept_metric)
        if event_errors:
            errors[str(index)] = event_errors
        events.append(event)
    if errors:
        # All or nothing: one invalid event refuses the whole batch.
        raise ApiError.validation(errors)
    result = service.env['fusion.billing.usage']._fusion_ingest(service, events)
    errors = {str(index): {'transaction_id': ['value_already_exist']} for index in result.conflicts}
    if not accept_subscription:
        errors.update({str(index): {'external_subscription_id': ['subscription_not_found']}
                       for index in result.unattached if str(index) not in errors})
    if errors:
        raise ApiError.validation(dict(sorted(errors.items(), key=lambda item: int(item[0]))))
    return {'events': event_payloads(service.env, result.rows)}


def get_event(service, body, params, query_args):
    """The first stored event with this transaction id (Lago: the id is unique per subscription)."""
    row = service.env['fusion.billing.usage']._fusion_stored_by_transaction_id(service, params.get('transaction_id') or '')
    if not row:
        raise ApiError.not_found('event')
    return {'event': event_payload(service.env, row)}


def _metric_ids(service):
    return service.env['fusion.billing.metric']._fusion_codes(service.id)


# -------------------------------------------------------------------------------- customers


def upsert_customer(service, body, params, query_args):
    raw = _root_object(body, 'customer')
    external_id, error = external_id_error(service, raw.get('external_id'))
    if error:
        raise ApiError.validation({'external_id': [error]})
    existing = _links(service)._fusion_find(service, external_id, include_archived=True)
    # A state sent alone belongs to the country the customer already has.
    values = partner_values(service.env, raw, existing.partner_id.country_id)
    grace = _grace_period(raw.get('billing_configuration'))
    link = _links(service).with_context(fusion_defer_customer_webhook=True)._fusion_upsert(service, external_id, values)
    link_payment_provider(service, link.partner_id, raw.get('billing_configuration'))
    if grace is not _UNSET and (link.invoice_grace_period or None) != grace:
        link.invoice_grace_period = grace or False
    # Lago's upsert: customer.created for a new customer, customer.updated for a known one.
    link._fusion_notify('customer.updated' if existing else 'customer.created')
    return {'customer': customer_object(link, ('integration_customers', 'taxes'))}


_UNSET = object()


def _grace_period(billing_configuration):
    """billing_configuration.invoice_grace_period: the customer's own grace period in days (None:
    the service's), _UNSET when not sent; checked before anything is written."""
    if not isinstance(billing_configuration, dict) or 'invoice_grace_period' not in billing_configuration:
        return _UNSET
    days = billing_configuration['invoice_grace_period']
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365):
        raise ApiError.validation({'invoice_grace_period': ['invalid_value']})
    return days or None


def list_customers(service, body, params, query_args):
    Links = _links(service)
    try:
        domain = Links._fusion_api_domain(service, _customer_filters(query_args))
    except ValueError as exc:
        raise ApiError.validation({str(exc): ['value_is_invalid']}) from exc
    links, meta = search_page(Links, domain, 'create_date desc, id', query_args)
    return {'customers': [customer_object(link, ('integration_customers', 'taxes')) for link in links], 'meta': meta}


def get_customer(service, body, params, query_args):
    link = _customer_link(service, params.get('external_customer_id'))
    return {'customer': customer_object(link, ('integration_customers', 'taxes'))}


def current_usage(service, body, params, query_args):
    external_subscription_id = query_args.get('external_subscription_id')
    if not external_subscription_id:
        raise ApiError.bad_request('param is missing or the value is empty: external_subscription_id')
    apply_taxes = _boolean_arg(query_args, 'apply_taxes', default=True)
    link = _customer_link(service, params.get('external_customer_id'))
    order = _subscription(service, external_subscription_id, partner=link.partner_id)
    return {'customer_usage': order._fusion_customer_usage(apply_taxes=apply_taxes)}


def past_usage(service, body, params, query_args):
    """Closed periods of one subscription, from what was billed (Lago's past_usage)."""
    external_subscription_id = query_args.get('external_subscription_id')
    if not external_subscription_id:
        raise ApiError.validation({'external_subscription_id': ['value_is_mandatory']})
    metric = service.env['fusion.billing.metric']
    if query_args.get('billable_metric_code'):
        metric = metric._fusion_by_code(service, query_args['billable_metric_code'])
        if not metric:
            raise ApiError.not_found('billable_metric')
    page, per_page = page_request(query_args)
    link = _links(service)._fusion_find(service, params.get('external_customer_id'))
    order = service.env['sale.order']._fusion_find_subscription(
        service, external_subscription_id, status=None, partner=link.partner_id) if link else None
    # Like Lago, an unknown customer or subscription has no past usage (200, empty), not a 404.
    periods = order._fusion_past_usage(metric=metric or None) if order else []
    total = len(periods)
    periods = periods[(page - 1) * per_page:page * per_page]
    if query_args.get('periods_count'):
        periods = periods[:_positive_int(query_args, 'periods_count')]
    return {'usage_periods': periods, 'meta': page_meta(page, per_page, total)}


def customer_portal_url(service, body, params, query_args):
    """Odoo's customer portal, opened with an access token: the customer's latest subscription,
    which lists its invoices and lets them be paid (Lago: its customer portal URL)."""
    link = _customer_link(service, params.get('external_customer_id'))
    return {'customer': {'portal_url': link._fusion_portal_url()}}


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
    ending_at = _datetime(raw, 'ending_at', errors)
    billing_time = raw.get('billing_time') or 'calendar'
    if billing_time not in ('calendar', 'anniversary'):
        errors['billing_time'] = ['value_is_invalid']
    progressive_off = _progressive_billing_disabled(raw, errors)
    if errors:
        raise ApiError.validation(errors)
    plan = service.env['sale.order.template']._fusion_by_code(service, plan_code)
    if not plan:
        raise ApiError.not_found('plan')
    if ending_at and ending_at <= (started_at or datetime.now(timezone.utc).replace(tzinfo=None)):
        raise ApiError.validation({'ending_at': ['invalid_date']})
    # Like Lago (Customer.find_or_initialize_by), an unknown customer is created bare.
    link = _links(service)._fusion_upsert(service, external_customer_id, {})
    try:
        order, _created = service.env['sale.order']._fusion_subscribe(
            service, link, plan, external_id, started_at=started_at, name=name or None, ending_at=ending_at, billing_time=billing_time)
    except LagoRefusal as refused:
        raise ApiError.refused(refused) from refused
    if progressive_off is not None:
        order.fusion_progressive_billing_disabled = progressive_off
    return {'subscription': order._fusion_lago_subscription(include_plan=True)}


def _progressive_billing_disabled(raw, errors):
    """Lago's progressive_billing_disabled of a subscription body: a boolean, or None when not sent."""
    value = raw.get('progressive_billing_disabled')
    if value is not None and not isinstance(value, bool):
        errors['progressive_billing_disabled'] = ['invalid_format']
    return value


def list_subscriptions(service, body, params, query_args):
    Order = service.env['sale.order']
    partner = None
    if query_args.get('external_customer_id'):
        partner = _links(service)._fusion_find(service, query_args['external_customer_id']).partner_id
    filters = {name: query_args.get(name) for name in ('plan_code', 'external_id', 'currency')}
    domain = Order._fusion_api_domain(service, dict(filters, statuses=_many(query_args, 'status')), partner=partner)
    orders, meta = search_page(Order, domain, 'fusion_started_at desc, create_date desc, id', query_args)
    return {'subscriptions': [subscription_object(order) for order in orders], 'meta': meta}


def get_subscription(service, body, params, query_args):
    status = query_args.get('status') or 'active'
    order = service.env['sale.order']._fusion_find_subscription(service, params.get('external_id'), status=status)
    if not order:
        raise ApiError.not_found('subscription')
    return {'subscription': order._fusion_lago_subscription(include_plan=True)}


def update_subscription(service, body, params, query_args):
    """Lago's PUT /subscriptions/{id}: name and ending_at (a key sent as null clears it)."""
    raw = _root_object(body, 'subscription')
    orders = service.env['sale.order']._fusion_service_subscriptions(service, [('fusion_external_id', '=', params.get('external_id') or '')])
    if len(orders) > 1:
        orders = orders.filtered(lambda o: o.fusion_status == (query_args.get('status') or 'active'))
    order = orders[:1]
    if not order:
        raise ApiError.not_found('subscription')
    errors, values = {}, {}
    if 'name' in raw:
        if raw['name'] is not None and not isinstance(raw['name'], str):
            errors['name'] = ['invalid_format']
        values['name'] = raw['name']
    if 'ending_at' in raw:
        ending_at = _datetime(raw, 'ending_at', errors)
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        if ending_at is not None and (ending_at <= now or ending_at <= order.fusion_started_at):
            errors['ending_at'] = ['invalid_date']
        values['ending_at'] = ending_at
    if 'progressive_billing_disabled' in raw:
        values['progressive_billing_disabled'] = bool(_progressive_billing_disabled(raw, errors))
    for unsupported in ('plan_overrides', 'usage_thresholds', 'activation_rules'):
        if raw.get(unsupported):
            errors[unsupported] = ['not_supported']
    if errors:
        raise ApiError.validation(errors)
    order._fusion_update(values)
    return {'subscription': order._fusion_lago_subscription(include_plan=True)}


def terminate_subscription(service, body, params, query_args):
    # Like Lago, only an active subscription can be terminated; a terminated one is not found.
    order = _subscription(service, params.get('external_id'))
    order._fusion_terminate()
    return {'subscription': order._fusion_lago_subscription(include_plan=True)}


# --------------------------------------------------------------------------------- invoices


def list_invoices(service, body, params, query_args):
    Move = service.env['account.move']
    external_customer_id = query_args.get('external_customer_id') or query_args.get('customer_external_id')
    partner = _customer_link(service, external_customer_id).partner_id if external_customer_id else None
    try:
        domain = Move._fusion_api_domain(service, _invoice_filters(query_args), partner=partner)
    except LagoRefusal as refused:
        raise ApiError.refused(refused) from refused
    moves, meta = search_page(Move, domain, 'invoice_date desc, create_date desc, id', query_args)
    amounts = stored_numbers(moves, INVOICE_AMOUNT_COLUMNS)
    return {
        'invoices': [move._fusion_lago_invoice(('customer', 'applied_taxes'), service, amounts[move.id]) for move in moves],
        'meta': meta,
    }


def get_invoice(service, body, params, query_args):
    invoice = _service_invoice(service, params.get('lago_id'))
    return {'invoice': invoice._fusion_lago_invoice(API_INCLUDES, service)}


def download_invoice(service, body, params, query_args):
    """The invoice with `file_url`: its PDF through Odoo's portal, with an access token."""
    invoice = _service_invoice(service, params.get('lago_id'))
    if invoice.state != 'posted':
        raise ApiError.not_found('invoice')  # Lago: only finalized invoices have a file
    payload = invoice._fusion_lago_invoice((), service)
    payload['file_url'] = invoice._fusion_portal_url(report_type='pdf', download=True)
    return {'invoice': payload}


def invoice_payment_url(service, body, params, query_args):
    """Odoo's portal page of the invoice, where the customer pays it online (Lago's payment_url)."""
    invoice = _service_invoice(service, params.get('lago_id'))
    if invoice.state != 'posted' or invoice.payment_state in ('paid', 'in_payment'):
        raise ApiError.validation({'base': ['invalid_invoice_status_or_payment_status']})
    link = invoice._fusion_customer_link(service)
    details = {
        'lago_customer_id': lago_id(link),
        'external_customer_id': link.external_id,
        'lago_invoice_id': lago_id(invoice),
        'payment_url': invoice._fusion_portal_url(),
    }
    provider = invoice._fusion_online_payment_provider()
    if provider:
        details['payment_provider'] = provider
    return {'invoice_payment_details': details}


def retry_invoice_payment(service, body, params, query_args):
    """Charge an unpaid invoice again on the customer's linked card (Lago's retry_payment)."""
    invoice = _service_invoice(service, params.get('lago_id'))
    if invoice.payment_state in ('paid', 'in_payment'):
        raise ApiError(405, 'invoice_payment_already_succeeded')
    if not invoice._fusion_payment_token():
        raise ApiError.validation({'payment_method': ['not_found']})
    invoice._fusion_charge_with_token()
    return {'invoice': invoice._fusion_lago_invoice((), service)}


# ----------------------------------------------------------------------------------- alerts

def get_lifetime_usage(service, body, params, query_args):
    """Lago's GET /subscriptions/{external_id}/lifetime_usage: lifetime usage and its thresholds' progress."""
    return {'lifetime_usage': _subscription(service, params.get('external_id'))._fusion_lifetime_usage()}


def update_lifetime_usage(service, body, params, query_args):
    """Lago's PUT /subscriptions/{external_id}/lifetime_usage: the usage billed before (historical)."""
    order = _subscription(service, params.get('external_id'))
    raw = _root_object(body, 'lifetime_usage')
    amount = raw.get('external_historical_usage_amount_cents')
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ApiError.validation({'external_historical_usage_amount_cents': ['value_is_invalid']})
    order.fusion_historical_usage_cents = amount
    return {'lifetime_usage': order._fusion_lifetime_usage()}


def create_alert(service, body, params, query_args):
    """Lago's POST /subscriptions/{external_id}/alerts: a usage alert of the subscription."""
    order = _subscription(service, params.get('external_id'))
    raw = _root_object(body, 'alert')
    errors = {}
    code = _text(raw, 'code', errors)
    alert_type = raw.get('alert_type')
    if alert_type not in ALERT_TYPES:
        errors['alert_type'] = ['value_is_invalid'] if alert_type else ['value_is_mandatory']
    metric = service.env['fusion.billing.metric']
    if alert_type in ALERT_TYPES and alert_type != 'current_usage_amount':
        metric = metric._fusion_by_code(service, raw.get('billable_metric_code'))
        if not metric:
            raise ApiError.not_found('billable_metric')
    error = threshold_error(raw.get('thresholds'))
    if error:
        errors['thresholds'] = [error]
    if raw.get('name') is not None and not isinstance(raw.get('name'), str):
        errors['name'] = ['invalid_format']
    if errors:
        raise ApiError.validation(errors)
    try:
        alert = service.env['fusion.billing.alert']._fusion_create_for(order, metric, {
            'code': code, 'name': raw.get('name'), 'alert_type': alert_type, 'thresholds': raw['thresholds']})
    except LagoRefusal as refused:
        raise ApiError.refused(refused) from refused
    # As in Lago the previous value starts at 0: thresholds the usage already passed are reported at the next check.
    return {'alert': alert._fusion_lago_alert()}


def list_alerts(service, body, params, query_args):
    order = _subscription(service, params.get('external_id'))
    alerts = service.env['fusion.billing.alert']._fusion_of_order(order)
    return {'alerts': [alert._fusion_lago_alert() for alert in alerts]}


def get_alert(service, body, params, query_args):
    return {'alert': _alert(service, params)._fusion_lago_alert()}


def delete_alert(service, body, params, query_args):
    alert = _alert(service, params)
    payload = alert._fusion_lago_alert()
    alert.unlink()
    return {'alert': payload}


def _alert(service, params):
    order = _subscription(service, params.get('external_id'))
    alert = service.env['fusion.billing.alert']._fusion_of_order(order, params.get('code') or '')
    if not alert:
        raise ApiError.not_found('alert')
    return alert


def refresh_invoice(service, body, params, query_args):
    """Lago's PUT /invoices/{id}/refresh: a draft invoice's usage rated again (late events
    included); a finalized invoice is returned as it is, as Lago does."""
    invoice = _service_invoice(service, params.get('lago_id'))
    invoice._fusion_refresh_draft()
    return {'invoice': invoice._fusion_lago_invoice(API_INCLUDES, service)}


def finalize_invoice(service, body, params, query_args):
    """Lago's PUT /invoices/{id}/finalize: a draft invoice refreshed and posted now, its grace
    period cut short (then charged on the linked card, as at the end of the grace period)."""
    invoice = _service_invoice(service, params.get('lago_id'))
    invoice._fusion_finalize_draft()
    return {'invoice': invoice._fusion_lago_invoice(API_INCLUDES, service)}


def _service_invoice(service, invoice_lago_id):
    invoice = service.env['account.move']._fusion_service_invoice(service, invoice_lago_id)
    if not invoice:
        raise ApiError.not_found('invoice')
    return invoice


def _invoice_filters(query_args):
    """GET /invoices' query string as {filter: value}, each Lago filter under one name."""
    def many(name):
        return _many(query_args, name)

    filters = {
        'statuses': many('statuses') or many('status'),
        'payment_statuses': many('payment_statuses') or many('payment_status'),
        'invoice_type': many('invoice_type'),
        'currency': query_args.get('currency'),
        'search_term': query_args.get('search_term'),
        'purchase_order_number': query_args.get('purchase_order_number'),
        'settlements': many('settlements'),
        'self_billed': _boolean_arg(query_args, 'self_billed', default=None),
        'partially_paid': _boolean_arg(query_args, 'partially_paid', default=None),
        'payment_overdue': _boolean_arg(query_args, 'payment_overdue', default=None),
        # Lago selects invoices whose dispute was lost for any value, "false" included.
        'payment_dispute_lost': query_args.get('payment_dispute_lost'),
        'metadata': _metadata_filter(query_args),
        'amount_from': _amount_cents_arg(query_args, 'amount_from'),
        'amount_to': _amount_cents_arg(query_args, 'amount_to'),
    }
    for name in ('issuing_date_from', 'issuing_date_to'):
        # Lago ignores a date it cannot read (Date.iso8601 raising is rescued).
        try:
            filters[name] = date.fromisoformat(query_args.get(name) or '')
        except ValueError:
            filters[name] = None
    _refuse_billing_entities(query_args)
    return filters


def _amount_cents_arg(query_args, name):
    """Lago's amount_from/amount_to: an integer of the invoice currency's subunits."""
    value = query_args.get(name)
    if value in (None, ''):
        return None
    if not _INTEGER.fullmatch(value):
        raise ApiError.validation({name: ['value_is_invalid']})
    return int(value)


# ---------------------------------------------------------------------------------- catalog


def list_billable_metrics(service, body, params, query_args):
    Metric = service.env['fusion.billing.metric']
    metrics, meta = search_page(Metric, Metric._fusion_api_domain(service), 'create_date desc, id', query_args)
    return {'billable_metrics': [metric_object(metric) for metric in metrics], 'meta': meta}


def get_billable_metric(service, body, params, query_args):
    metric = service.env['fusion.billing.metric']._fusion_by_code(service, params.get('code'))
    if not metric:
        raise ApiError.not_found('billable_metric')
    return {'billable_metric': metric_object(metric)}


def list_plans(service, body, params, query_args):
    Plan = service.env['sale.order.template']
    plans, meta = search_page(Plan, Plan._fusion_api_domain(service), 'create_date desc, id', query_args)
    amounts = stored_numbers(plans, ('fusion_amount',))
    return {
        'plans': [plan_object(plan, amounts[plan.id][0], plan.fusion_currency_id or service.currency_id) for plan in plans],
        'meta': meta,
    }


def get_plan(service, body, params, query_args):
    plan = service.env['sale.order.template']._fusion_by_code(service, params.get('code'))
    if not plan:
        raise ApiError.not_found('plan')
    amount = stored_number(plan, 'fusion_amount')
    return {'plan': plan_object(plan, amount, plan.fusion_currency_id or service.currency_id)}


# --------------------------------------------------------------------------------- webhooks


def webhook_public_key(service, body, params, query_args):
    """The key that verifies JWT webhook signatures, base64 of its PEM as plain text (as Lago)."""
    return PlainText(_signing_key(service)._fusion_public_key_base64())


def webhook_json_public_key(service, body, params, query_args):
    return {'webhook': {'public_key': _signing_key(service)._fusion_public_key_base64()}}


def _signing_key(service):
    return service.env['fusion.billing.signing.key']._fusion_key_of(service.company_id)


# ---------------------------------------------------------------------------------- helpers


def _root_object(body, key):
    raw = missing_root_key(body, key)
    if not isinstance(raw, dict):
        raise ApiError.bad_request(f'{key} must be an object')
    return raw


def _links(service):
    return service.env['fusion.billing.account.link']


def _customer_link(service, external_customer_id):
    """The customer (application account) `external_customer_id` of `service`, or 404 customer_not_found."""
    link = _links(service)._fusion_find(service, external_customer_id)
    if not external_customer_id or not link:
        raise ApiError.not_found('customer')
    return link


def _many(query_args, name):
    """The values of an array filter, sent as `name[]=…` (Lago's clients) or `name=…`."""
    return query_args.getlist(f'{name}[]') or query_args.getlist(name)


def _customer_filters(query_args):
    def many(name):
        return _many(query_args, name)

    _refuse_billing_entities(query_args)
    return {
        'external_id': query_args.get('external_id'),
        'search_term': query_args.get('search_term'),
        'currencies': many('currencies'),
        'countries': many('countries'),
        'states': many('states'),
        'zipcodes': many('zipcodes'),
        'account_type': many('account_type'),
        'customer_type': query_args.get('customer_type'),
        'has_customer_type': _boolean_arg(query_args, 'has_customer_type', default=None),
        'has_tax_identification_number': _boolean_arg(query_args, 'has_tax_identification_number', default=None),
        'metadata': _metadata_filter(query_args),
    }


def _metadata_filter(query_args):
    """Lago's metadata filter, sent as `metadata[key]=value`."""
    return {key: value for key, value in query_args.items() if key.startswith('metadata[')}


def _refuse_billing_entities(query_args):
    if any(_many(query_args, 'billing_entity_codes')):
        raise ApiError.not_found('billing_entity')  # there are no billing entities here


def _subscription(service, external_id, partner=None):
    """The active subscription `external_id` of `service` (of `partner` when given), or 404."""
    order = service.env['sale.order']._fusion_find_subscription(service, external_id, partner=partner)
    if not order:
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
        if moment.tzinfo:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except (AttributeError, TypeError, ValueError, OverflowError):  # OverflowError: 0001-01-01T00:00+01:00
        errors[field] = ['invalid_date']
        return None
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


def _positive_int(query_args, name):
    value = query_args.get(name, '')
    if not _INTEGER.fullmatch(value) or int(value) < 1:
        raise ApiError.validation({name: ['value_is_invalid']})
    return int(value)
