import hashlib
import hmac
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.fusion_billing.controllers import handlers
from odoo.addons.fusion_billing.models import fusion_billing_service_api_key as api_key_model
from odoo.addons.fusion_billing.settings import API_BASE_PATH as BASE_PATH, MAX_BODY_BYTES

from .api_common import FusionApiCase

UNAUTHORIZED = {'status': 401, 'error': 'Unauthorized'}


@tagged('post_install', '-at_install')
class TestApiKeys(FusionApiCase):
    """Keys are random, shown once, stored as a digest, and revocable."""

    def test_generate_shows_the_key_once_and_stores_its_digest(self):
        action = self.cloud.action_generate_api_key()
        key = action['fusion_api_key']
        self.assertTrue(key.startswith('fb_'))
        self.assertGreaterEqual(len(key), 40)
        # Shown once, in a dialog whose context alone carries it.
        self.assertEqual((action['res_model'], action['target']), ('fusion.billing.service', 'new'))
        self.assertEqual(self.cloud.with_context(action['context']).fusion_new_api_key, key)
        self.assertEqual(self.cloud.api_key_hash, hashlib.sha256(key.encode()).hexdigest())
        self.assertEqual(self.cloud.api_key_prefix, key[:10])
        self.assertTrue(self.cloud.api_key_created_at)
        stored = self.cloud.read(['api_key_hash', 'api_key_prefix', 'name', 'code'])[0]
        self.assertNotIn(key, stored.values())
        self.assertNotEqual(self.cloud.action_generate_api_key()['fusion_api_key'], key)

    def test_a_new_key_replaces_the_old_one(self):
        old_key = self.cloud_key
        new_key = self.cloud.action_generate_api_key()['fusion_api_key']
        self.assertEqual(self.get('/billable_metrics', old_key).json(), UNAUTHORIZED)
        self.assertOk(self.get('/billable_metrics', new_key))

    def test_revoked_key_is_refused(self):
        self.assertOk(self.get('/billable_metrics', self.desk_key))
        self.desk.action_revoke_api_key()
        self.assertFalse(self.desk.api_key_hash)
        self.assertFalse(self.desk.api_key_prefix)
        response = self.get('/billable_metrics', self.desk_key)
        self.assertApiError(response, 401)
        self.assertEqual(response.json(), UNAUTHORIZED)

    def test_archived_service_key_is_refused(self):
        self.desk.active = False
        self.assertApiError(self.get('/billable_metrics', self.desk_key), 401)

    def test_only_managers_manage_keys(self):
        user = new_test_user(self.env, login='fb_api_reader', groups='fusion_billing.group_user')
        with self.assertRaises(AccessError):
            self.cloud.with_user(user).action_generate_api_key()
        with self.assertRaises(AccessError):
            self.cloud.with_user(user).action_revoke_api_key()
        manager = new_test_user(self.env, login='fb_api_manager', groups='fusion_billing.group_manager')
        key = self.cloud.with_user(manager).action_generate_api_key()['fusion_api_key']
        self.assertOk(self.get('/billable_metrics', key))

    def test_lookup_by_key(self):
        Service = self.env['fusion.billing.service']
        self.assertEqual(Service._fusion_service_for_key(self.cloud_key), self.cloud)
        self.assertEqual(Service._fusion_service_for_key(self.desk_key), self.desk)
        for wrong in (None, '', 'fb_', self.cloud_key + 'x', self.cloud_key[3:], self.cloud.api_key_hash):
            self.assertFalse(Service._fusion_service_for_key(wrong), wrong)

    def test_no_key_is_stored_in_clear(self):
        key = self.cloud.action_generate_api_key()['fusion_api_key']
        self.assertOk(self.get('/billable_metrics', key))
        self.env.flush_all()
        # Every text column of the database: only the digest and the 10-character prefix are kept.
        secret = key[api_key_model.DISPLAY_CHARS:]
        self.env.cr.execute("""
            SELECT c.table_name, c.column_name FROM information_schema.columns c
              JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
               AND c.data_type IN ('character varying', 'text', 'jsonb', 'json')""")
        columns = self.env.cr.fetchall()
        self.assertGreater(len(columns), 100)
        holding = []
        for table, column in columns:
            self.env.cr.execute(f'SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s LIMIT 1', [f'%{secret}%'])
            if self.env.cr.fetchone():
                holding.append(f'{table}.{column}')
        self.assertEqual(holding, [])
        self.env.cr.execute('SELECT api_key_hash FROM fusion_billing_service WHERE id = %s', [self.cloud.id])
        self.assertEqual(self.env.cr.fetchone()[0], api_key_model.digest_of(key))

    def test_keys_are_compared_in_constant_time(self):
        # hmac.compare_digest decides: every known digest is compared with the presented key's
        # digest by it (no dict lookup, no ==), and its answer is what authenticates.
        Service = self.env['fusion.billing.service']
        compared = []
        real_compare = hmac.compare_digest

        def spy(known, presented):
            compared.append((known, presented))
            return real_compare(known, presented)

        wrong = 'fb_' + 'x' * 43
        with patch.object(api_key_model.hmac, 'compare_digest', spy):
            self.assertFalse(Service._fusion_service_for_key(wrong))
        self.assertIn((self.cloud.api_key_hash, api_key_model.digest_of(wrong)), compared)
        self.assertIn((self.desk.api_key_hash, api_key_model.digest_of(wrong)), compared)
        self.assertEqual(len(compared), len(Service._fusion_key_index()))
        with patch.object(api_key_model.hmac, 'compare_digest', return_value=False):
            self.assertFalse(Service._fusion_service_for_key(self.cloud_key))
            self.assertApiError(self.get('/billable_metrics', self.cloud_key), 401)
        with patch.object(api_key_model.hmac, 'compare_digest', side_effect=lambda known, _: known == self.desk.api_key_hash):
            self.assertEqual(Service._fusion_service_for_key(wrong), self.desk)


@tagged('post_install', '-at_install')
class TestApiRequests(FusionApiCase):
    """Authentication, body limits and Lago's error envelope, on the real routes."""

    def test_missing_invalid_and_malformed_authorization(self):
        for headers in ({}, {'Authorization': 'Bearer'}, {'Authorization': f'Basic {self.cloud_key}'},
                        {'Authorization': 'Bearer fb_not-a-key'}, {'Authorization': self.cloud_key}):
            with self.subTest(headers=headers):
                response = self.call('GET', '/plans', headers=headers)
                self.assertApiError(response, 401)
                self.assertEqual(response.json(), UNAUTHORIZED)
        self.assertOk(self.call('GET', '/plans', headers={'Authorization': f'bearer  {self.cloud_key}'}))

    def test_unauthorized_post_writes_nothing(self):
        event = {'event': {'transaction_id': 'tx-401', 'external_subscription_id': 'sub', 'code': 'api_requests'}}
        self.assertApiError(self.post('/events', event, key='fb_wrong'), 401)
        self.assertFalse(self.usage_rows(transaction_id='tx-401'))

    def test_body_over_the_limit_is_413(self):
        padding = 'x' * (MAX_BODY_BYTES + 1)
        payload = {'event': {'transaction_id': 'tx-413', 'external_subscription_id': 'sub', 'code': 'api_requests',
                             'properties': {'padding': padding}}}
        response = self.post('/events', payload)
        body = self.assertApiError(response, 413)
        self.assertEqual(body, {'status': 413, 'error': 'Payload Too Large'})
        self.assertFalse(self.usage_rows(transaction_id='tx-413'))

    def test_body_without_length_is_411(self):
        def chunks():
            yield b'{"event": '
            yield b'{"transaction_id": "tx-411", "external_subscription_id": "sub", "code": "api_requests"}}'

        response = self.call('POST', '/events', self.cloud_key, data=chunks(), headers={'Content-Type': 'application/json'})
        self.assertEqual(self.assertApiError(response, 411), {'status': 411, 'error': 'Length Required'})
        self.assertFalse(self.usage_rows(transaction_id='tx-411'))

    def test_form_body_is_400(self):
        response = self.call('POST', '/events', self.cloud_key, data={'event': 'x'})
        body = self.assertApiError(response, 400)
        self.assertEqual(body['error'], 'BadRequest: the body must be JSON, sent as Content-Type: application/json')

    def test_malformed_json_is_400(self):
        for data in ('{"event": {"transaction_id": ', 'not json', '{"event": NaN}', b'\xff\xfe{}'):
            with self.subTest(data=data):
                response = self.call('POST', '/events', self.cloud_key, data=data,
                                     headers={'Content-Type': 'application/json'})
                body = self.assertApiError(response, 400)
                self.assertTrue(body['error'].startswith('BadRequest: '), body)
                self.assertEqual(set(body), {'status', 'error'})

    def test_missing_root_key_is_400(self):
        cases = [('/events', {'transaction_id': 'x'}, 'event'), ('/customers', {'external_id': 'tnt_abcdef'}, 'customer'),
                 ('/subscriptions', {}, 'subscription'), ('/events', [], 'event')]
        for path, payload, key in cases:
            with self.subTest(path=path, payload=payload):
                body = self.assertApiError(self.post(path, payload), 400)
                self.assertEqual(body['error'], f'BadRequest: param is missing or the value is empty: {key}')
        body = self.assertApiError(self.call('POST', '/events', self.cloud_key, data=''), 400)
        self.assertTrue(body['error'].startswith('BadRequest: '))

    def test_root_key_of_the_wrong_type_is_400(self):
        self.assertApiError(self.post('/events', {'event': 'tx'}), 400)
        self.assertApiError(self.post('/events/batch', {'events': {'transaction_id': 'x'}}), 400)

    def test_unexpected_error_is_500_and_rolled_back(self):
        def failing(service, body, params, query_args):
            service.env['fusion.billing.metric'].create({
                'service_id': service.id, 'name': 'Half written', 'code': 'half_written', 'aggregation_type': 'count'})
            raise RuntimeError('boom')

        with patch.object(handlers, 'upsert_customer', failing), \
                mute_logger('odoo.addons.fusion_billing.controllers.api'):
            response = self.post('/customers', {'customer': {'external_id': 'tnt_failing1'}})
        self.assertEqual(response.status_code, 500)
        body = response.json()
        request_id = body.pop('request_id')
        self.assertRegex(request_id, r'^[0-9a-f-]{36}$', 'an id the client can quote; the traceback is in the server log')
        self.assertEqual(body, {'status': 500, 'error': 'Internal Server Error', 'code': 'internal_error'})
        self.assertFalse(self.env['fusion.billing.metric'].search([('code', '=', 'half_written')]))

    def test_routes_live_under_the_spec_base_path(self):
        self.assertEqual(BASE_PATH, '/api/v1')
        self.assertEqual(self.url_open('/api/v1/plans').status_code, 401)

    def test_a_method_the_path_does_not_serve_gets_lagos_405_body(self):
        for method, path in (('GET', '/events'), ('PATCH', '/subscriptions/some-id'), ('DELETE', '/plans')):
            with self.subTest(method=method, path=path):
                response = self.url_open(f'{BASE_PATH}{path}', method=method, headers={'Authorization': f'Bearer {self.cloud_key}'})
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response.json(), {'status': 405, 'error': 'Method Not Allowed', 'code': 'method_not_allowed'})
        # The served methods are unaffected.
        self.assertEqual(self.url_open(f'{BASE_PATH}/plans', headers={'Authorization': f'Bearer {self.cloud_key}'}).status_code, 200)
