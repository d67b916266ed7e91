"""Lago's JSON 503 for API requests while PostgreSQL cannot be reached.

When the database server is stopped, restarting or cuts its connections, Odoo's http layer fails
around the controllers rather than in them: the registry's cursor cannot be opened (Request.
_serve_db raises RegistryError and Odoo serves the request without a database, where no API route
exists: an HTML 404 page), no database is selected at all (--db-filter lists databases over a
connection that fails: the same page, also when PostgreSQL is back a moment later), or a query fails mid-request and Odoo's HTTP dispatcher
answers werkzeug's HTML 500. An API client must instead get a retryable answer in Lago's error
body, with Retry-After, which its retry loop resends once the database is back.

Request._serve_db and Request._serve_nodb are wrapped once, when the module is imported (Odoo has
no per-database hook that runs before the registry's cursor is opened). Only requests under the
API's base path are answered here, and only for a lost database connection: any other error is
left to Odoo, and every other path keeps Odoo's behaviour.

The prefork server's master is kept alive through the outage too: before it spawns a worker (one
recycled after its request limit, one that died), it checks the registries on a new cursor, and a
failure there stops the whole server. Its process_spawn is wrapped so that a lost connection
postpones the spawn to the next beat instead (the master imports the module when it preloads the
database's registry; a master that preloads none is not covered).
"""

import logging
from contextlib import closing

import psycopg2
import psycopg2.errors

from odoo import http, sql_db
from odoo.service import server

from .api import ApiError, _json_response, is_api_request

_logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# A connection the server ended (shutdown, crash, start-up) or a connection exception (SQLSTATE
# classes 57P and 08), or one psycopg2 found closed.
_CONNECTION_LOST = (
    psycopg2.InterfaceError,
    psycopg2.errors.AdminShutdown,
    psycopg2.errors.CrashShutdown,
    psycopg2.errors.CannotConnectNow,
    psycopg2.errors.ConnectionException,
)
_CLIENT_SIDE = (psycopg2.OperationalError, psycopg2.DatabaseError)


def lost_connection(exc):
    """True when `exc`, or an exception it was raised from or while handling, is PostgreSQL being
    unreachable: not a query's error (a serialization failure, a constraint, a bug)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        # Failures on the client's side carry no SQLSTATE: a refused connection is a bare
        # OperationalError, a pooled connection the server closed fails its reset with a bare
        # DatabaseError (which Odoo's pool does not catch).
        if isinstance(exc, _CONNECTION_LOST) or (type(exc) in _CLIENT_SIDE and not exc.pgcode):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def database_unavailable_response():
    return _json_response(ApiError(503, 'database_unavailable').body(), 503, [('Retry-After', str(RETRY_AFTER_SECONDS))])


def postgres_reachable():
    """A query on the maintenance database: distinguishes "PostgreSQL is down" from "this request
    names no database" when Odoo serves an API request without one."""
    try:
        with closing(sql_db.db_connect('postgres').cursor()) as cr:
            cr.execute('SELECT 1')
        return True
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        return False


def _reason(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _answer_outage(request, exc):
    _logger.warning('fusion_billing API: %s %s answered 503, PostgreSQL unreachable: %s',
                    request.httprequest.method, request.httprequest.path, _reason(exc))
    return database_unavailable_response()


def _serve_db(self):
    try:
        return _odoo_serve_db(self)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # re-raised unless PostgreSQL is unreachable
        if is_api_request(self.httprequest) and lost_connection(exc):
            return _answer_outage(self, exc)
        raise


def database_lost_before_selection():
    """True when an API request reached Odoo's no-database path because PostgreSQL could not be
    reached when Odoo listed the databases: it still cannot, or it is back and the list it gives
    now has a database for the request (it came back between the two, as after a restart)."""
    return not postgres_reachable() or bool(http.db_list(force=True))


def _serve_nodb(self):
    if is_api_request(self.httprequest) and database_lost_before_selection():
        return _answer_outage(self, psycopg2.OperationalError('no database could be selected'))
    return _odoo_serve_nodb(self)


def _process_spawn(self):
    try:
        return _odoo_process_spawn(self)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # re-raised unless PostgreSQL is unreachable
        if not lost_connection(exc):
            raise
        _logger.warning('prefork server: PostgreSQL unreachable, spawning workers at the next beat: %s', _reason(exc))
        # As after a successful check: no connection of the master may be inherited by a worker.
        sql_db.close_all()
        return None


# Once per process, whichever database imported the module first.
if not getattr(http.Request._serve_db, 'fusion_billing_outage', False):
    _odoo_serve_db = http.Request._serve_db
    _odoo_serve_nodb = http.Request._serve_nodb
    _odoo_process_spawn = server.PreforkServer.process_spawn
    _serve_db.fusion_billing_outage = True
    http.Request._serve_db = _serve_db
    http.Request._serve_nodb = _serve_nodb
    server.PreforkServer.process_spawn = _process_spawn
