"""Reading a subscription's events from Lago's API (GET /events), for the shadow run's pull.

Pure functions (no Odoo import): the request of each page, and Lago's event objects turned back
into the event input the API stores (`timestamp` in Unix seconds, as Lago's POST /events takes it)."""

from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlencode

PER_PAGE = 100


def events_page_url(api_url, external_subscription_id, timestamp_from, timestamp_to, page):
    """The URL of one page of a subscription's events between two aware datetimes."""
    query = {
        'external_subscription_id': external_subscription_id,
        'timestamp_from': _iso(timestamp_from),
        'timestamp_to': _iso(timestamp_to),
        'page': page,
        'per_page': PER_PAGE,
    }
    return f"{api_url.rstrip('/')}/events?{urlencode(query)}"


def _iso(moment):
    return moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'


def unix_seconds(iso_text):
    """"2026-09-01T04:00:00.250Z" → "1756699200.25" as exact text (Lago's timestamps are to the ms)."""
    moment = datetime.fromisoformat(iso_text.replace('Z', '+00:00'))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    delta = moment - epoch
    seconds = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds // 1000) / 1000
    return format(seconds, 'f')


def event_input(event):
    """Lago's event object as the input of POST /events, with its original transaction id."""
    return {
        'transaction_id': event['transaction_id'],
        'external_subscription_id': event['external_subscription_id'],
        'code': event['code'],
        'timestamp': unix_seconds(event['timestamp']),
        'properties': event.get('properties') or {},
    }


def next_page(body):
    """The next page number Lago's meta names, or None."""
    meta = body.get('meta') if isinstance(body, dict) else None
    return (meta or {}).get('next_page')
