"""Lago's object ids (`lago_id`, `lago_customer_id`, …) for Odoo records, as UUIDs.

Lago's ids are UUIDs and applications store them as such (often in `uuid` columns), so an id
here must be one too. It is also reversible, so that a `lago_id` sent back in a request finds its
record without a lookup column: a version 8 (custom layout, RFC 9562) UUID holding

    48 bits  this database's prefix (from its `database.uuid`: two databases never share ids)
     4 bits  version 8
    12 bits  the model's number (MODEL_NUMBERS)
     2 bits  RFC 4122 variant
    62 bits  the record id

Pure Python: the Odoo side passes the prefix of its database (database_prefix).
"""

from __future__ import annotations

import functools
import re
import uuid

# Append only: an id's model number must never change meaning.
MODEL_NUMBERS = {
    'res.company': 1,  # organization_id
    'fusion.billing.account.link': 2,  # customer (an application account of one service)
    'sale.order': 3,  # subscription
    'account.move': 4,  # invoice
    'fusion.billing.usage': 5,  # event
    'fusion.billing.metric': 6,  # billable metric
    'fusion.billing.charge': 7,  # charge
    'sale.order.template': 8,  # plan
    'account.move.line': 9,  # fee
    'account.tax': 10,  # tax
    'fusion.billing.webhook': 11,
    'fusion.billing.alert': 12,  # usage alert
}
_CANONICAL = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
_MAX_ID = (1 << 62) - 1


def prefix_of(database_uuid: str) -> int:
    """The 48-bit prefix of a database, from its `database.uuid` parameter."""
    digits = re.sub(r'[^0-9a-f]', '', (database_uuid or '').lower())
    if len(digits) < 12:
        raise ValueError(f'not a database uuid: {database_uuid!r}')
    return int(digits[:12], 16)


def encode(prefix: int, model: str, res_id: int) -> str:
    if not 0 < res_id <= _MAX_ID:
        raise ValueError(f'record id out of range: {res_id}')
    # Text of the low 64 bits after the cached high ones: a batch answer holds two ids per event,
    # and building uuid.UUID objects for them took about a tenth of the request.
    low = f'{(0b10 << 62) | res_id:016x}'
    return f'{_head(prefix, model)}{low[:4]}-{low[4:]}'


@functools.lru_cache(maxsize=64)
def _head(prefix: int, model: str) -> str:
    """The first three groups of the ids of `model` in a database ('xxxxxxxx-xxxx-8mmm-')."""
    high = f'{(prefix << 16) | (0x8 << 12) | MODEL_NUMBERS[model]:016x}'
    return f'{high[:8]}-{high[8:12]}-{high[12:]}-'


def decode(prefix: int, model: str, text) -> int | None:
    """The record id a lago_id of `model` holds, or None when it is no such id of this database."""
    if not isinstance(text, str) or not _CANONICAL.match(text.lower()):
        return None
    value = uuid.UUID(text).int
    if value >> 80 != prefix or (value >> 76) & 0xF != 0x8 or (value >> 64) & 0xFFF != MODEL_NUMBERS[model]:
        return None
    if (value >> 62) & 0b11 != 0b10:
        return None
    return (value & _MAX_ID) or None


_PREFIXES: dict[str, int] = {}


def database_prefix(env) -> int:
    """The prefix of the database `env` works on (read once per database and process)."""
    dbname = env.cr.dbname
    prefix = _PREFIXES.get(dbname)
    if prefix is None:
        prefix = _PREFIXES[dbname] = prefix_of(env['ir.config_parameter'].sudo().get_param('database.uuid'))
    return prefix


def lago_id(record) -> str | None:
    """The lago_id of one record (None for an empty recordset)."""
    if not record:
        return None
    record.ensure_one()
    return encode(database_prefix(record.env), record._name, record.id)


def row_lago_id(env, model: str, res_id) -> str | None:
    """lago_id of a row read by SQL."""
    return encode(database_prefix(env), model, res_id) if res_id else None


def record_of(env, model: str, text):
    """The record of `model` a lago_id names (possibly deleted: check `.exists()`), or an empty recordset."""
    res_id = decode(database_prefix(env), model, text)
    return env[model].browse(res_id) if res_id else env[model]
