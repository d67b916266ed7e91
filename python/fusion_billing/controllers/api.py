"""Request plumbing of the Lago-shaped API: bearer authentication, body limits, JSON parsing,
Lago's error envelope and transaction handling. The route table (main.py) is generated from the
spec; every route hands its handler to `serve`."""

import logging
import re
import uuid

import psycopg2
import psycopg2.errors

from odoo import SUPERUSER_ID
from odoo.exceptions import ConcurrencyError, UserError, ValidationError
from odoo.http import request

from ..lago import jsonio
from ..settings import API_BASE_PATH, MAX_BODY_BYTES

_logger = logging.getLogger(__name__)

# Lago's error titles (app/controllers/concerns/api_errors.rb).
_ERROR_TITLES = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    411: 'Length Required',
    413: 'Payload Too Large',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
}
_BEARER = re.compile(r'^bearer\s+(\S+)\s*$', re.IGNORECASE)
# Where the body read by the first attempt is kept: Odoo replays the whole request after a
# serialization failure, and the input stream can only be read once.
_BODY_CACHE_KEY = 'fusion_billing.body'
_BODY_METHODS = ('POST', 'PUT', 'PATCH')
_FORM_MIMETYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')
# Characters PostgreSQL cannot store in text or jsonb: NUL, and UTF-16 surrogates left unpaired
# (JSON's "\ud800" parses into a Python string that has no UTF-8 form).
_UNSTORABLE = re.compile('[\x00\ud800-\udfff]')
# In a JSON text those can only be written as \u escapes: bodies without one are not walked.
_UNSTORABLE_ESCAPE = re.compile(rb'\\u(?:0000|[dD][89a-fA-F])')


class PlainText(str):
    """A handler's answer sent as text/plain rather than JSON (Lago's GET /webhooks/public_key)."""


class ApiError(Exception):
    """A client error, answered with Lago's error body and nothing written.

    `code` is Lago's machine code (e.g. 'customer_not_found', 'validation_errors');
    `error_details` maps a field (or a batch index) to its error codes.
    """

    def __init__(self, status, code=None, error_details=None, message=None):
        super().__init__(message or code or _ERROR_TITLES.get(status, str(status)))
        self.status = status
        self.code = code
        self.error_details = error_details
        self.message = message

    @classmethod
    def not_found(cls, resource):
        return cls(404, f'{resource}_not_found')

    @classmethod
    def validation(cls, error_details):
        return cls(422, 'validation_errors', error_details)

    @classmethod
    def refused(cls, refusal):
        """A business rule's refusal (lago.refusal.LagoRefusal) as Lago's 422."""
        return cls.validation({refusal.field: [refusal.code]})

    @classmethod
    def bad_request(cls, message):
        return cls(400, message=message)

    def body(self):
        if self.status == 400:
            return {'status': 400, 'error': f'BadRequest: {self.message}'}
        payload = {'status': self.status, 'error': _ERROR_TITLES.get(self.status, 'Error')}
        if self.code:
            payload['code'] = self.code
        if self.error_details is not None:
            payload['error_details'] = self.error_details
        return payload


def missing_root_key(body, key):
    """The object under `key` of a POST body, as Rails' params.require(key) would have it."""
    value = body.get(key) if isinstance(body, dict) else None
    if value in (None, {}, [], ''):
        raise ApiError.bad_request(f'param is missing or the value is empty: {key}')
    return value


def serve(handler, params):
    """Authenticate, read the request, run `handler(service, body, params, query_args)` and
    answer JSON. The handler returns the response payload or raises ApiError."""
    cr = request.env.cr
    try:
        found = _authenticated_service()
        if not found:
            return _refused_key()
        service_id, company_id = found
        body = _read_json_body() if request.httprequest.method in _BODY_METHODS else None
        _check_storable_arguments(params, request.httprequest.args)
        # The key identifies a service, not a user: work as the system user, confined to the
        # service's company; handlers only ever search within `service`.
        request.update_env(user=SUPERUSER_ID, context=dict(request.env.context, allowed_company_ids=[company_id]))
        service = request.env['fusion.billing.service'].browse(service_id)
        payload = handler(service, body, params, request.httprequest.args)
        # Flush here so that a failing write is answered below, not after the response is built.
        request.env.flush_all()
        if isinstance(payload, PlainText):
            return request.make_response(str(payload), headers=[('Content-Type', 'text/plain; charset=utf-8')], status=200)
        return _json_response(payload, 200)
    except ApiError as error:
        cr.rollback()
        return _json_response(error.body(), error.status)
    except (psycopg2.OperationalError, psycopg2.errors.ReadOnlySqlTransaction, ConcurrencyError):
        # Serialization failures, lock timeouts and writes on a read-only cursor: Odoo rolls
        # back and replays the request (odoo.service.model.retrying, http._serve_db). A lost
        # connection is answered 503 by database_outage.
        raise
    except psycopg2.InterfaceError:
        # The connection is closed: nothing to roll back; database_outage answers 503.
        raise
    except psycopg2.errors.UniqueViolation as exc:
        # Uniqueness is checked before writing, so a violation here is a concurrent request
        # that inserted the same key first: replaying the request sees its row.
        cr.rollback()
        raise ConcurrencyError(str(exc)) from exc
    except (ValidationError, UserError) as exc:
        cr.rollback()
        return _json_response(ApiError.validation({'base': [str(exc)]}).body(), 422)
    except Exception:  # pylint: disable=broad-exception-caught  # logged with its traceback, answered 500
        cr.rollback()
        # The client gets an id to quote; the traceback stays in the server log, under that id.
        request_id = str(uuid.uuid4())
        _logger.exception('fusion_billing API: %s %s failed (request id %s)',
                          request.httprequest.method, request.httprequest.path, request_id)
        return _json_response(
            {'status': 500, 'error': _ERROR_TITLES[500], 'code': 'internal_error', 'request_id': request_id}, 500)


def method_not_allowed():
    """A method the path does not serve, in Lago's error body rather than Odoo's HTML page."""
    return _json_response(ApiError(405, 'method_not_allowed').body(), 405)


def is_api_request(httprequest):
    """True for a request under the API's base path (the base path itself included)."""
    path = httprequest.path
    return path == API_BASE_PATH or path.startswith(API_BASE_PATH + '/')


def path_not_found():
    """A path under the API's base path that no route serves: Lago's JSON 404, not Odoo's HTML page."""
    return _json_response(ApiError(404, 'resource_not_found').body(), 404)


def _authenticated_service():
    """(service id, company id) of the active service whose API key is the bearer token, or None."""
    match = _BEARER.match(request.httprequest.headers.get('Authorization', ''))
    if not match:
        return None
    # sudo: the key hash is readable by system users only; this lookup is the authentication.
    return request.env['fusion.billing.service'].sudo()._fusion_authenticate(match.group(1))


def _refused_key():
    """Lago's 401 for a request without a valid key, or 429 with Retry-After once its address
    was refused too often (models/fusion_billing_service_auth_throttle.py). A valid key is never
    throttled, whatever its address did."""
    throttled = request.env['fusion.billing.service'].sudo()._fusion_note_auth_failure(request.httprequest.remote_addr)
    if throttled is None:
        return _json_response(ApiError(401).body(), 401)
    wait, limit = throttled
    return _json_response(ApiError(429, 'too_many_requests').body(), 429, headers=[
        ('Retry-After', str(wait)),
        # Lago Cloud's rate-limit headers (its limits count every request; these, refused keys).
        ('X-RateLimit-Limit', str(limit)),
        ('X-RateLimit-Remaining', '0'),
        ('X-RateLimit-Reset', str(wait)),
    ])


def _read_json_body():
    """The parsed JSON body of at most MAX_BODY_BYTES."""
    environ = request.httprequest.environ
    if _BODY_CACHE_KEY not in environ:
        environ[_BODY_CACHE_KEY] = _read_bounded_body()
    data = environ[_BODY_CACHE_KEY]
    if not data.strip():
        # No body is no parameters (Lago's retry_payment is a body-less POST); routes that need
        # one answer "param is missing" through missing_root_key.
        return None
    try:
        body = jsonio.loads(data)
    except jsonio.JsonSyntaxError as exc:
        raise ApiError.bad_request(f'malformed JSON: {exc}') from exc
    if _UNSTORABLE_ESCAPE.search(data):
        errors = unstorable_fields(body)
        if errors:
            raise ApiError.validation(errors)
    return body


def unstorable_fields(body):
    """Lago-shaped error_details of the fields holding text PostgreSQL cannot store: keyed by the
    field of the root object (`{"event": {...}}` → `transaction_id`), or by index then field for
    an array (`{"events": [...]}` → `"3": {"code": [...]}`)."""
    root = next(iter(body.values())) if isinstance(body, dict) and len(body) == 1 else body
    errors = {}

    def field_errors(fields_of):
        return {str(key): ['invalid_format'] for key, value in fields_of.items() if _holds_unstorable(key) or _holds_unstorable(value)}

    if isinstance(root, dict):
        errors = field_errors(root)
    elif isinstance(root, list):
        for index, item in enumerate(root):
            found = field_errors(item) if isinstance(item, dict) else ({'value': ['invalid_format']} if _holds_unstorable(item) else {})
            if found:
                errors[str(index)] = found
    elif _holds_unstorable(root):
        errors = {'body': ['invalid_format']}
    return errors


def _holds_unstorable(value):
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_holds_unstorable(key) or _holds_unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_unstorable(item) for item in value)
    return False


def _check_storable_arguments(params, query_args):
    """Path parameters and query arguments are compared with stored text: 422 naming the ones
    that hold characters PostgreSQL cannot store."""
    errors = {name: ['invalid_format'] for name, value in params.items() if _holds_unstorable(value)}
    errors.update({name: ['invalid_format'] for name, values in query_args.lists() if _holds_unstorable(values)})
    if errors:
        raise ApiError.validation(errors)


def _read_bounded_body():
    """The raw body, refused (413) from its declared length before anything is read.

    Odoo's request exposes werkzeug's get_data(), which reads the whole input: it is only
    called once the Content-Length is known to be within the limit (the input stream is cut
    at that length). A chunked body declares no length and is refused rather than read."""
    httprequest = request.httprequest
    declared = httprequest.content_length
    if declared is None:
        if 'chunked' in httprequest.headers.get('Transfer-Encoding', '').lower():
            raise ApiError(411)
        return b''
    if declared > MAX_BODY_BYTES:
        raise ApiError(413)
    if httprequest.mimetype in _FORM_MIMETYPES:
        # Odoo has already parsed (and consumed) such a body as form fields.
        raise ApiError.bad_request('the body must be JSON, sent as Content-Type: application/json')
    return httprequest.get_data(cache=False)


def _json_response(payload, status, headers=()):
    # Not make_json_response: its json.dumps cannot write Decimal numbers exactly.
    return request.make_response(
        jsonio.dumps(payload), headers=[('Content-Type', 'application/json; charset=utf-8'), *headers], status=status)
