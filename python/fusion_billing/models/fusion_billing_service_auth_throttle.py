"""Throttle of refused API keys, per client address, shared by every worker of the server.

Every request the API refuses for its key (no Authorization, a malformed one, a key no active
service has) adds a row to an insert-only table: the client's address and the time. An address
that was refused `limit` times in the last `window` seconds is answered Lago's 429 instead of 401,
with Retry-After, until its oldest failure in the window has aged out; those answers add no row,
so a flood from one address keeps at most `limit` rows and is let through again at `limit` tries
per window (a sliding window). A request whose key is valid never reads or writes the table.

The table lives in PostgreSQL so that every prefork worker counts the same failures. It is UNLOGGED
(a crash empties it: the cost is a fresh budget of bad keys) and written in a transaction of its
own, committed whatever becomes of the request's. The count and the insert take no lock: two
workers refusing the same address at the same instant may both insert past the limit, by at most
one row per worker. Rows older than the window are deleted on the fly, at most once a minute per
worker, by a request that is refused anyway.

Limits are system parameters (Settings > Technical > System Parameters):
`fusion_billing.auth_throttle_limit` (default 10 refused keys; 0 turns the throttle off) and
`fusion_billing.auth_throttle_window_seconds` (default 60).

The client's address is werkzeug's remote_addr: the socket's peer, or the proxy's X-Forwarded-For
when Odoo runs with --proxy-mode (Odoo's ProxyFix); the header is never trusted otherwise.
"""

import logging

from odoo import api, models

from ..engine.bookkeeping import write_now_and_then

_logger = logging.getLogger(__name__)

TABLE = 'fusion_billing_auth_failure'
LIMIT_PARAM = 'fusion_billing.auth_throttle_limit'
WINDOW_PARAM = 'fusion_billing.auth_throttle_window_seconds'
DEFAULT_LIMIT = 10
DEFAULT_WINDOW_SECONDS = 60
PRUNE_EVERY_SECONDS = 60
# Per database: when this worker last deleted the failures older than the window.
_last_prune = {}


def _int_param(params, key, default):
    try:
        return int(params.get_param(key, default))
    except (TypeError, ValueError):
        _logger.warning('system parameter %s is not a whole number: %s used', key, default)
        return default


class FusionBillingService(models.Model):
    _inherit = 'fusion.billing.service'

    def init(self):
        # Runs on install and on every upgrade. A plain table rather than a model: nothing reads
        # it through the ORM, and no user, however privileged, can read it over RPC.
        super().init()
        self.env.cr.execute(f"""
            CREATE UNLOGGED TABLE IF NOT EXISTS {TABLE} (
                address text NOT NULL,
                failed_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )""")
        self.env.cr.execute(f'CREATE INDEX IF NOT EXISTS {TABLE}_address_failed_at_idx ON {TABLE} (address, failed_at)')

    @api.model
    def _fusion_auth_throttle_limits(self):
        """(refused keys allowed per window and address, window in seconds); a limit of 0 or less is no throttle."""
        params = self.env['ir.config_parameter'].sudo()
        return _int_param(params, LIMIT_PARAM, DEFAULT_LIMIT), max(1, _int_param(params, WINDOW_PARAM, DEFAULT_WINDOW_SECONDS))

    @api.model
    def _fusion_note_auth_failure(self, address):
        """Count a refused key from `address`: None when it is answered 401 (and was counted), or
        (seconds to wait, limit) when the address is over its limit and is answered 429."""
        limit, window = self._fusion_auth_throttle_limits()
        if limit <= 0:
            return None
        address = address or ''
        try:
            # A cursor of its own: the failure is committed whatever the request's transaction does,
            # and a read-only request (GET routes) can record it too.
            with self.env.registry.cursor() as cr:
                cr.execute(f"""
                    SELECT count(*),
                           ceil(extract(epoch FROM min(failed_at) + make_interval(secs => %(window)s) - clock_timestamp()))
                      FROM {TABLE}
                     WHERE address = %(address)s AND failed_at > clock_timestamp() - make_interval(secs => %(window)s)
                """, {'address': address, 'window': window})
                failures, wait = cr.fetchone()
                if failures >= limit:
                    return max(1, min(window, int(wait or 1))), limit
                cr.execute(f'INSERT INTO {TABLE} (address) VALUES (%s)', [address])
        except Exception:  # pylint: disable=broad-exception-caught  # the key is refused either way: an uncounted failure is better than a 500
            # psycopg2's errors; in Odoo's tests also the refusal of a read/write cursor opened
            # under a read-only route's (tests share one transaction; a server's GET routes run
            # on a connection of their own, or on a replica, and this cursor is another one).
            _logger.info('refused API key from %s not counted by the throttle', address, exc_info=True)
            return None
        self._fusion_prune_auth_failures(window)
        return None

    @api.model
    def _fusion_prune_auth_failures(self, window):
        """Delete the failures older than the window, at most once a minute per worker, waiting for no lock."""
        write_now_and_then(
            self.env, _last_prune, self.env.cr.dbname, PRUNE_EVERY_SECONDS,
            f'DELETE FROM {TABLE} WHERE failed_at < clock_timestamp() - make_interval(secs => %s)', [window],
            'pruning of old refused API keys')
