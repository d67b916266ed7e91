"""Lago customer payloads ({external_id, name, email, country, state, ...}) as res.partner values."""

import re

import pytz

from .api import ApiError

# Lago customer field -> res.partner field, for plain texts.
_TEXT_FIELDS = {
    'name': 'name',
    'email': 'email',
    'phone': 'phone',
    'address_line1': 'street',
    'address_line2': 'street2',
    'city': 'city',
    'zipcode': 'zip',
    'tax_identification_number': 'vat',
}
_EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')


def external_id_error(service, value):
    """(external id, None) or (None, Lago error code) for a customer's external id: mandatory
    text matching the service's account id pattern."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, 'value_is_mandatory'
    if not isinstance(value, str) or len(value) > 255:
        return None, 'invalid_format'
    if service.account_id_pattern and not re.fullmatch(service.account_id_pattern, value):
        return None, 'invalid_format'
    return value, None


def partner_values(env, raw, current_country=None):
    """res.partner values for the Lago fields present in `raw` (null clears a field).

    `current_country` is the country of the customer being updated, the one a `state` sent
    alone belongs to. Raises ApiError 422 with every invalid field."""
    values, errors = {}, {}
    for lago_field, partner_field in _TEXT_FIELDS.items():
        if lago_field not in raw:
            continue
        value = raw[lago_field]
        if value is not None and not isinstance(value, str):
            errors[lago_field] = ['invalid_format']
        else:
            values[partner_field] = value.strip() if value and value.strip() else False
    if values.get('email') and not _EMAIL.match(values['email']):
        errors['email'] = ['invalid_email_format']
    if not values.get('name', True):
        values.pop('name')  # a partner keeps a name; null does not clear it
    if not values.get('name') and isinstance(raw.get('legal_name'), str) and raw['legal_name'].strip():
        values['name'] = raw['legal_name'].strip()
    if 'timezone' in raw:
        timezone = raw['timezone']
        if timezone is None:
            values['tz'] = False
        elif timezone in pytz.all_timezones_set:
            values['tz'] = timezone
        else:
            errors['timezone'] = ['invalid_timezone']
    if 'currency' in raw and raw['currency'] is not None:
        currency = raw['currency']
        if not isinstance(currency, str) or not env['res.currency']._fusion_known(currency):
            errors['currency'] = ['value_is_invalid']
    values.update(_address_values(env, raw, errors, current_country))
    if errors:
        raise ApiError.validation(errors)
    return values


def _address_values(env, raw, errors, current_country):
    """country_id and state_id from ISO 3166 codes, so that Odoo's fiscal positions apply."""
    values = {}
    if 'country' not in raw and 'state' not in raw:
        return values
    country = current_country or env['res.country']
    if 'country' in raw:
        code = raw['country']
        country = env['res.country']
        if code is None:
            values['country_id'] = False
        elif isinstance(code, str) and len(code.strip()) == 2:
            country = country._fusion_by_code(code)
            values['country_id'] = country.id
        if code is not None and not country:
            errors['country'] = ['country_code_invalid']
            return values
    state = raw.get('state')
    if 'state' in raw and state is None:
        values['state_id'] = False
    elif state is not None:
        if not isinstance(state, str) or not country:
            # A state means nothing without the country it belongs to.
            errors['state'] = ['value_is_invalid']
            return values
        match, known = country._fusion_state_named(state)
        if not known:
            errors['state'] = ['value_is_invalid']
        else:
            values['state_id'] = match.id or False  # False: the country has no subdivisions in Odoo
    return values
