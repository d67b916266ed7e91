"""JSON in and out of the API without binary floats.

Event properties and amounts travel as JSON numbers; parsing them into floats would change
values such as 0.1 or 12345678901234567890.5 before they are stored or echoed. Numbers are
parsed as Decimal and written back digit for digit."""

import json
import re
import secrets
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
    """Serialise `value` to JSON text; Decimal is written as the exact number it holds.

    The C encoder does the work (responses carry hundreds of events): each Decimal becomes a
    string holding a per-call random marker and its index, and the quoted markers are then
    replaced by the digits. A string of the payload cannot forge a marker it cannot guess."""
    digits, markers = [], []

    def number(item):
        if not isinstance(item, Decimal):
            raise TypeError(f'{type(item).__name__} is not JSON serialisable')
        if not item.is_finite():
            raise ValueError(f'{item} cannot be written as JSON')
        if not markers:
            markers.append('\x00' + secrets.token_hex(8))
        digits.append(str(item))
        return f'{markers[0]}{len(digits) - 1}'

    text = json.dumps(value, ensure_ascii=False, separators=(',', ':'), default=number)
    if not digits:
        return text
    marker = markers[0]
    # json.dumps writes the NUL of the marker as \u0000.
    quoted = re.compile('"' + re.escape(json.dumps(marker)[1:-1]) + '([0-9]+)"')
    return quoted.sub(lambda match: digits[int(match.group(1))], text)
