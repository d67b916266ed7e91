"""Validation of Lago event payloads ({transaction_id, external_subscription_id, code,
timestamp?, properties?}) into events ready to store, with Lago's field error codes."""

import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import NamedTuple

# Identifiers live in a b-tree unique index, whose entries are limited to about 2.7 kB.
MAX_ID_LENGTH = 255
# Properties are flat in practice; the bound keeps hostile nesting out of the JSON writer.
MAX_PROPERTIES_DEPTH = 32
_EPOCH = datetime(1970, 1, 1)
_NUMERIC_TEXT = re.compile(r'^\s*\d+(\.\d+)?\s*$')
_MILLISECOND = Decimal('0.001')
_LAST_SECOND = int((datetime(9999, 12, 31, 23, 59, 59) - _EPOCH).total_seconds())


class UsageEvent(NamedTuple):
    """A validated event. `timestamp` is a naive UTC datetime with millisecond precision;
    `metric_id` is None for a code that names no metric (accepted when the service says so)."""
    metric_id: int | None
    code: str
    external_subscription_id: str
    transaction_id: str
    timestamp: datetime
    timestamp_given: bool
    properties: dict

    @property
    def key(self):
        return (self.external_subscription_id, self.transaction_id)

    def same_as(self, code, timestamp, properties):
        """Whether a stored event is an exact resend of this one.

        A resend without timestamp is stamped "now" again, so its timestamp is not compared."""
        return (
            code == self.code
            and properties == self.properties
            and (not self.timestamp_given or timestamp == self.timestamp)
        )


def parse_event(raw, metric_ids, now, accept_unknown_code=False):
    """(UsageEvent, None) or (None, {field: [error codes]}).

    `metric_ids` maps the service's metric codes to ids; `now` stamps events sent without
    timestamp. A code that names no metric is refused (`metric_not_found`) unless
    `accept_unknown_code`, as Lago accepts it and reports it later (events.errors, invalid_code)."""
    if not isinstance(raw, dict):
        return None, {'event': ['invalid_format']}
    errors = {}
    transaction_id = _identifier(raw, 'transaction_id', errors)
    external_subscription_id = _identifier(raw, 'external_subscription_id', errors)
    code = _identifier(raw, 'code', errors)
    if code is not None and code not in metric_ids and not accept_unknown_code:
        errors['code'] = ['metric_not_found']
    timestamp, timestamp_given = _timestamp(raw.get('timestamp'), now, errors)
    properties = raw.get('properties')
    if properties is None:
        properties = {}
    elif not isinstance(properties, dict) or _depth(properties) > MAX_PROPERTIES_DEPTH:
        errors['properties'] = ['invalid_format']
    if errors:
        return None, errors
    return UsageEvent(
        metric_ids.get(code), code, external_subscription_id, transaction_id, timestamp, timestamp_given, properties), None


def _identifier(raw, field, errors):
    value = raw.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # Lago casts numeric ids to strings
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = ['value_is_mandatory']
        return None
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH:
        errors[field] = ['invalid_format']
        return None
    return value


def _timestamp(value, now, errors):
    """Unix seconds (int, decimal number or numeric string) as a naive UTC datetime, to the ms."""
    if value is None:
        return now, False
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _LAST_SECOND:
        return _EPOCH + timedelta(seconds=value), True  # whole seconds, the common case
    if isinstance(value, str) and _NUMERIC_TEXT.match(value):
        value = Decimal(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        errors['timestamp'] = ['invalid_format']
        return None, True
    try:
        seconds = Decimal(value).quantize(_MILLISECOND, rounding=ROUND_DOWN)
        if seconds < 0:
            raise ValueError(value)
        whole = int(seconds)
        millis = int((seconds - whole) * 1000)
        return _EPOCH + timedelta(seconds=whole, milliseconds=millis), True
    except (ArithmeticError, InvalidOperation, OverflowError, ValueError):
        errors['timestamp'] = ['invalid_format']
        return None, True


def _depth(value, level=1):
    if level > MAX_PROPERTIES_DEPTH:
        return level
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(child, level + 1) for child in children if isinstance(child, (dict, list))), default=level)


def now_ms():
    """The current UTC time, naive, truncated to the millisecond like stored timestamps."""
    moment = datetime.now(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
