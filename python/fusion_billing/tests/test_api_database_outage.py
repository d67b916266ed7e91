from unittest.mock import patch

import psycopg2
import psycopg2.errors

from odoo import http
from odoo.http import RegistryError
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger

from odoo.addons.fusion_billing.controllers import database_outage, handlers

from .api_common import FusionApiCase

UNAVAILABLE = {'status': 503, 'error': 'Service Unavailable', 'code': 'database_unavailable'}
OUTAGE_LOGGER = 'odoo.addons.fusion_billing.controllers.database_outage'
EVENTS = {'events': [{'transaction_id': 'outage-1', 'external_subscription_id': 'sub_x', 'code': 'api_requests'}]}


@tagged('post_install', '-at_install')
class TestApiDatabaseOutage(FusionApiCase):
    """While PostgreSQL cannot be reached, API requests get Lago's JSON 503 with Retry-After,
    wherever Odoo's http layer meets the lost connection; other paths keep Odoo's answer."""

    def assertUnavailable(self, response):
        self.assertEqual((response.status_code, response.json()), (503, UNAVAILABLE), response.text)
        self.assertTrue(response.headers['Content-Type'].startswith('application/json'))
        self.assertEqual(response.headers['Retry-After'], str(database_outage.RETRY_AFTER_SECONDS))

    def test_lost_connection_before_the_controller(self):
        # Odoo checks the registry's signaling on a cursor before matching any route (the test
        # server's registry has it patched on the instance, hence the patch there).
        lost = psycopg2.OperationalError('server closed the connection unexpectedly')
        with patch.object(self.registry, 'check_signaling', side_effect=lost), self.assertLogs(OUTAGE_LOGGER, 'WARNING'):
            self.assertUnavailable(self.post('/events/batch', EVENTS))

    def test_lost_connection_in_the_handler(self):
        closed = psycopg2.InterfaceError('connection already closed')
        with patch.object(handlers, 'create_events_batch', side_effect=closed), self.assertLogs(OUTAGE_LOGGER, 'WARNING'):
            self.assertUnavailable(self.post('/events/batch', EVENTS))
        self.assertFalse(self.env['fusion.billing.usage'].search_count([('transaction_id', '=', 'outage-1')]))

    def test_no_database_selected_while_postgres_is_down(self):
        # With --db-filter, Odoo lists the databases over a connection: when that fails, it
        # serves the request without a database, where no API route exists.
        with patch('odoo.http.db_filter', return_value=[]), \
                patch.object(database_outage, 'postgres_reachable', return_value=False), \
                self.assertLogs(OUTAGE_LOGGER, 'WARNING'):
            self.assertUnavailable(self.post('/events/batch', EVENTS))

    def test_no_database_selected_while_postgres_came_back(self):
        # The list failed while PostgreSQL was starting; by the time the request is answered it
        # is up and the list has the database: a resend will be served, so 503, not a 404 page.
        back = []
        real_filter = http.db_filter

        def probe():
            back.append(True)
            return True

        with patch('odoo.http.db_filter', side_effect=lambda dbs, host=None: real_filter(dbs, host) if back else []), \
                patch.object(database_outage, 'postgres_reachable', side_effect=probe), \
                self.assertLogs(OUTAGE_LOGGER, 'WARNING'):
            self.assertUnavailable(self.post('/events/batch', EVENTS))

    def test_no_database_selected_while_postgres_is_up_is_left_to_odoo(self):
        with patch('odoo.http.db_filter', return_value=[]), patch.object(database_outage, 'postgres_reachable', return_value=True):
            response = self.post('/events/batch', EVENTS)
        self.assertEqual(response.status_code, 404)
        self.assertNotIn('database_unavailable', response.text)

    @mute_logger('odoo.http')  # Odoo's own warning: "Database or registry unusable, trying without"
    def test_other_paths_keep_odoos_answer(self):
        lost = psycopg2.OperationalError('server closed the connection unexpectedly')
        with patch.object(self.registry, 'check_signaling', side_effect=lost), patch.object(database_outage, 'postgres_reachable', return_value=False):
            response = self.url_open('/web/webclient/version_info', data='{}', headers={'Content-Type': 'application/json'})
        self.assertNotIn('database_unavailable', response.text)


@tagged('post_install', '-at_install')
class TestLostConnection(BaseCase):
    """Which errors are a lost connection (answered 503) and which are left to Odoo."""

    def test_connection_errors(self):
        closed_unexpectedly = psycopg2.OperationalError('server closed the connection unexpectedly')
        for exc in (
            closed_unexpectedly,
            psycopg2.InterfaceError('connection already closed'),
            psycopg2.errors.AdminShutdown('terminating connection due to administrator command'),
            psycopg2.errors.CannotConnectNow('the database system is starting up'),
            # What resetting a pooled connection the server closed raises.
            psycopg2.DatabaseError('server closed the connection unexpectedly'),
        ):
            self.assertTrue(database_outage.lost_connection(exc), exc)
        registry_error = RegistryError('Cannot get registry')
        registry_error.__cause__ = closed_unexpectedly
        self.assertTrue(database_outage.lost_connection(registry_error))

    def test_query_errors_and_bugs(self):
        for exc in (
            psycopg2.errors.SerializationFailure('could not serialize access'),
            psycopg2.errors.LockNotAvailable('could not obtain lock'),
            psycopg2.errors.UniqueViolation('duplicate key'),
            psycopg2.ProgrammingError('relation does not exist'),
            psycopg2.errors.InternalError_('internal error'),
            KeyError('a bug'),
        ):
            self.assertFalse(database_outage.lost_connection(exc), exc)
