"""JSON in and out of the API without binary floats.

Event properties and amounts travel as JSON numbers; parsing them into floats would change
values such as 0.1 or 12345678901234567890.5 before they are stored or echoed. Numbers are
parsed as Decimal and written back digit for digit."""

import json
from decimal import Decimal


class JsonSyntaxError(ValueError):
    """The request body is not a JSON document."""


def _reject_constant(name):
    # NaN and Infinity are not JSON and have no place in usage or money.
    raise JsonSyntaxError(f'{name} is not a valid JSON value')


def loads(data):
    """Parse a request body (bytes) into Python values, numbers with a fraction as Decimal."""
    try:
        text = data.decode('utf-8')
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise JsonSyntaxError('the body is not UTF-8') from exc
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(f'{exc.msg} at line {exc.lineno} column {exc.colno}') from exc
    except RecursionError as exc:
        raise JsonSyntaxError('the document is nested too deeply') from exc


def dumps(value):
    """Serialise `value` to JSON text; Decimal is written as the exact number it holds."""
    parts = []
    _write(value, parts.append)
    return ''.join(parts)


def _write(value, emit):
    if value is None or isinstance(value, (bool, str)):
        emit(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        emit(str(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f'{value} cannot be written as JSON')
        emit(str(value))
    elif isinstance(value, float):
        # Only non-money values (e.g. jsonb read back by psycopg2) can be floats here.
        emit(json.dumps(value))
    elif isinstance(value, dict):
        emit('{')
        for index, (key, item) in enumerate(value.items()):
            if index:
                emit(',')
            emit(json.dumps(str(key), ensure_ascii=False))
            emit(':')
            _write(item, emit)
        emit('}')
    elif isinstance(value, (list, tuple)):
        emit('[')
        for index, item in enumerate(value):
            if index:
                emit(',')
            _write(item, emit)
        emit(']')
    else:
        raise TypeError(f'{type(value).__name__} is not JSON serialisable')
