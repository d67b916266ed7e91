import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal

import requests

import odoo
from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME
from odoo.tools import mute_logger

from odoo.addons.fusion_billing.settings import API_BASE_PATH as BASE_PATH, EVENTS_BATCH_LIMIT
from odoo.addons.fusion_billing.lago.events import parse_event

from ..lago.ids import lago_id
from .api_common import FusionApiCase


def event(transaction_id, subscription='sub_1', code='api_requests', **fields):
    return {'transaction_id': transaction_id, 'external_subscription_id': subscription, 'code': code, **fields}


@tagged('post_install', '-at_install')
class TestApiEvents(FusionApiCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Most events here go to subscriptions that do not exist, as Lago accepts them; the
        # default (refused with 422) is tested on its own below.
        (cls.cloud | cls.desk).unknown_subscription = 'accept'
        partner = cls.env['res.partner'].create({'name': 'Subscriber'})
        cls.subscription = cls.env['sale.order'].create({
            'partner_id': partner.id, 'fusion_service_id': cls.cloud.id, 'fusion_external_id': 'sub_linked',
            'fusion_status': 'active', 'fusion_closed_until': datetime(2026, 2, 1),
        })

    def test_single_event_is_stored_and_echoed(self):
        payload = {'event': event('tx-1', timestamp='1651240791.123', properties={'region': 'ca-central', 'gb': 1.5})}
        body = self.assertOk(self.post('/events', payload))['event']
        row = self.usage_rows(transaction_id='tx-1')
        self.assertEqual(len(row), 1)
        self.assertEqual(body, {
            'lago_id': lago_id(row),
            'transaction_id': 'tx-1',
            'lago_customer_id': None,
            'code': 'api_requests',
            'timestamp': '2022-04-29T13:59:51.123Z',
            'precise_total_amount_cents': None,
            'properties': {'region': 'ca-central', 'gb': 1.5},
            'lago_subscription_id': None,
            'external_subscription_id': 'sub_1',
            'created_at': body['created_at'],
        })
        self.assertRegex(body['created_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        self.assertEqual(row.metric_id, self.api_requests)
        self.assertEqual(row.company_id, self.cloud.company_id)
        self.assertEqual(row.timestamp, datetime(2022, 4, 29, 13, 59, 51, 123000))
        self.assertEqual(row.properties, {'region': 'ca-central', 'gb': 1.5})
        self.assertFalse(row.order_id)
        self.assertFalse(row.late)
        # Lago's created_at is when the row was stored.
        self.assertEqual(body['created_at'], row.received_at.strftime('%Y-%m-%dT%H:%M:%SZ'))

    def test_timestamp_forms(self):
        cases = {
            1651240791: '2022-04-29T13:59:51.000Z',
            '1651240791': '2022-04-29T13:59:51.000Z',
            1651240791.5: '2022-04-29T13:59:51.500Z',
            '1651240791.123456': '2022-04-29T13:59:51.123Z',
        }
        for index, (timestamp, expected) in enumerate(cases.items()):
            with self.subTest(timestamp=timestamp):
                body = self.assertOk(self.post('/events', {'event': event(f'tx-ts-{index}', timestamp=timestamp)}))
                self.assertEqual(body['event']['timestamp'], expected)
        before = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        body = self.assertOk(self.post('/events', {'event': event('tx-now')}))['event']
        stamped = datetime.strptime(body['timestamp'], '%Y-%m-%dT%H:%M:%S.%fZ')
        self.assertLessEqual(before, stamped)
        self.assertLess((stamped - before).total_seconds(), 60)

    def test_numbers_keep_their_exact_digits(self):
        properties = {'gb': Decimal('0.1'), 'big': Decimal('12345678901234567890.123456789'), 'n': 3}
        data = '{"event": {"transaction_id": "tx-exact", "external_subscription_id": "s", "code": "storage_gb", ' \
               '"properties": {"gb": 0.1, "big": 12345678901234567890.123456789, "n": 3}}}'
        response = self.call('POST', '/events', self.cloud_key, data=data, headers={'Content-Type': 'application/json'})
        self.assertOk(response)
        self.assertIn('"big":12345678901234567890.123456789', response.text)
        self.env.cr.execute(
            "SELECT properties->>'big', properties->>'gb' FROM fusion_billing_usage WHERE transaction_id = 'tx-exact'")
        self.assertEqual(self.env.cr.fetchone(), (str(properties['big']), '0.1'))

    def test_field_errors_are_422_with_details(self):
        cases = [
            (event(None), {'transaction_id': ['value_is_mandatory']}),
            (event('tx', subscription=''), {'external_subscription_id': ['value_is_mandatory']}),
            ({'transaction_id': 'tx', 'external_subscription_id': 's'}, {'code': ['value_is_mandatory']}),
            (event('tx', timestamp='yesterday'), {'timestamp': ['invalid_format']}),
            (event('tx', timestamp=True), {'timestamp': ['invalid_format']}),
            (event('tx', timestamp='1e9x'), {'timestamp': ['invalid_format']}),
            (event('tx', code='tickets'), {'code': ['metric_not_found']}),  # NexaDesk's metric
            (event('tx', code='nope'), {'code': ['metric_not_found']}),
            (event('tx', properties=['a']), {'properties': ['invalid_format']}),
            (event('tx', properties='gb=1'), {'properties': ['invalid_format']}),
            (event('x' * 256), {'transaction_id': ['invalid_format']}),
            ({'code': 'nope', 'timestamp': 'x'}, {
                'transaction_id': ['value_is_mandatory'], 'external_subscription_id': ['value_is_mandatory'],
                'code': ['metric_not_found'], 'timestamp': ['invalid_format']}),
        ]
        for payload, details in cases:
            with self.subTest(payload=payload):
                self.assertApiError(self.post('/events', {'event': payload}), 422, 'validation_errors', details)
        self.assertFalse(self.usage_rows())
        self.assertEqual(
            self.post('/events', {'event': event(None)}).json(),
            {'status': 422, 'error': 'Unprocessable Entity', 'code': 'validation_errors',
             'error_details': {'transaction_id': ['value_is_mandatory']}})

    def test_event_is_linked_to_its_subscription_and_flagged_late(self):
        on_time = self.assertOk(self.post('/events', {'event': event('tx-a', 'sub_linked', timestamp=1772323200)}))['event']
        late = self.assertOk(self.post('/events', {'event': event('tx-b', 'sub_linked', timestamp=1767225600)}))['event']
        self.assertEqual(on_time['lago_subscription_id'], lago_id(self.subscription))
        self.assertEqual(late['lago_subscription_id'], lago_id(self.subscription))
        rows = self.usage_rows(external_subscription_id='sub_linked')
        self.assertEqual(rows.order_id, self.subscription)
        self.assertEqual({r.transaction_id: r.late for r in rows}, {'tx-a': False, 'tx-b': True})
        # The same external id at another service is not that subscription.
        self.assertOk(self.post('/events', {'event': event('tx-c', 'sub_linked', 'tickets')}, self.desk_key))
        self.assertFalse(self.usage_rows(self.desk).order_id)

    def test_exact_resend_is_idempotent(self):
        payload = {'event': event('tx-resend', timestamp=1700000000, properties={'region': 'us-east'})}
        first = self.assertOk(self.post('/events', payload))
        second = self.assertOk(self.post('/events', payload))
        self.assertEqual(first, second)
        self.assertEqual(len(self.usage_rows(transaction_id='tx-resend')), 1)

    def test_resend_without_timestamp_is_idempotent(self):
        first = self.assertOk(self.post('/events', {'event': event('tx-untimed')}))
        second = self.assertOk(self.post('/events', {'event': event('tx-untimed')}))
        self.assertEqual(first, second)
        self.assertEqual(len(self.usage_rows(transaction_id='tx-untimed')), 1)

    def test_conflicting_resend_is_422(self):
        self.assertOk(self.post('/events', {'event': event('tx-x', timestamp=1700000000, properties={'gb': 1})}))
        for changed in ({'properties': {'gb': 2}}, {'timestamp': 1700000001}, {'code': 'storage_gb'}):
            with self.subTest(changed=changed):
                payload = {'event': {**event('tx-x', timestamp=1700000000, properties={'gb': 1}), **changed}}
                self.assertApiError(self.post('/events', payload), 422, 'validation_errors',
                                    {'transaction_id': ['value_already_exist']})
        row = self.usage_rows(transaction_id='tx-x')
        self.assertEqual(len(row), 1)
        self.assertEqual(row.properties, {'gb': 1})

    def test_transaction_id_is_unique_per_subscription_and_service(self):
        self.assertOk(self.post('/events', {'event': event('tx-shared', 'sub_a')}))
        self.assertOk(self.post('/events', {'event': event('tx-shared', 'sub_b')}))
        self.assertOk(self.post('/events', {'event': event('tx-shared', 'sub_a', 'tickets')}, self.desk_key))
        self.assertEqual(len(self.usage_rows(transaction_id='tx-shared')), 2)
        self.assertEqual(len(self.usage_rows(self.desk, transaction_id='tx-shared')), 1)

    def test_batch(self):
        events = [event(f'tx-batch-{i}', timestamp=1700000000 + i, properties={'i': i}) for i in range(3)]
        body = self.assertOk(self.post('/events/batch', {'events': events}))
        self.assertEqual([e['transaction_id'] for e in body['events']], ['tx-batch-0', 'tx-batch-1', 'tx-batch-2'])
        self.assertEqual(body['events'][2]['timestamp'], '2023-11-14T22:13:22.000Z')
        self.assertEqual(len(self.usage_rows()), 3)
        # A resend of the same batch stores nothing more and answers the same events.
        self.assertEqual(self.assertOk(self.post('/events/batch', {'events': events})), body)
        self.assertEqual(len(self.usage_rows()), 3)

    def test_batch_is_all_or_nothing(self):
        events = [event('tx-ok-0'), event('tx-bad', timestamp='soon'), event('tx-ok-2'), event('tx-ok-3', code='x')]
        self.assertApiError(self.post('/events/batch', {'events': events}), 422, 'validation_errors', {
            '1': {'timestamp': ['invalid_format']}, '3': {'code': ['metric_not_found']}})
        self.assertFalse(self.usage_rows())

    def test_batch_conflict_with_a_stored_event_refuses_the_batch(self):
        self.assertOk(self.post('/events', {'event': event('tx-stored', properties={'v': 1})}))
        events = [event('tx-new-0'), event('tx-stored', properties={'v': 2}), event('tx-new-2')]
        self.assertApiError(self.post('/events/batch', {'events': events}), 422, 'validation_errors', {
            '1': {'transaction_id': ['value_already_exist']}})
        self.assertEqual(self.usage_rows().mapped('transaction_id'), ['tx-stored'])

    def test_batch_duplicates_in_the_payload(self):
        same = event('tx-dup', timestamp=1700000000)
        body = self.assertOk(self.post('/events/batch', {'events': [same, event('tx-other'), same]}))
        self.assertEqual(body['events'][0], body['events'][2])
        self.assertEqual(len(self.usage_rows(transaction_id='tx-dup')), 1)
        different = {**same, 'properties': {'v': 1}}
        self.assertApiError(self.post('/events/batch', {'events': [event('tx-z'), same, different]}), 422,
                            'validation_errors', {'2': {'transaction_id': ['value_already_exist']}})
        self.assertFalse(self.usage_rows(transaction_id='tx-z'))

    def test_batch_limits(self):
        self.assertApiError(self.post('/events/batch', {'events': []}), 422, 'validation_errors', {'events': ['no_events']})
        self.assertApiError(self.post('/events/batch', {}), 422, 'validation_errors', {'events': ['no_events']})
        too_many = [event(f'tx-{i}') for i in range(EVENTS_BATCH_LIMIT + 1)]
        self.assertApiError(self.post('/events/batch', {'events': too_many}), 422, 'validation_errors',
                            {'events': ['too_many_events']})
        self.assertOk(self.post('/events/batch', {'events': too_many[:EVENTS_BATCH_LIMIT]}))
        self.assertEqual(len(self.usage_rows()), EVENTS_BATCH_LIMIT)

    def test_concurrent_resends_over_http_store_one_event(self):
        """Two clients send the same event at once; both get it back, it is stored once.

        HttpCase serialises requests on its test cursor: this drives the routes from two
        threads; test_concurrent_ingestion_on_two_connections races real transactions."""
        payload = {'event': event('tx-race', timestamp=1700000000)}
        url = self.base_url() + BASE_PATH + '/events'
        headers = {'Authorization': f'Bearer {self.cloud_key}'}
        self.env.flush_all()
        with self.allow_requests():
            cookies = {TEST_CURSOR_COOKIE_NAME: self.opener.cookies[TEST_CURSOR_COOKIE_NAME]}
            with ThreadPoolExecutor(max_workers=4) as pool:
                responses = list(pool.map(
                    lambda _: requests.post(url, json=payload, headers=headers, cookies=cookies, timeout=30), range(4)))
        bodies = [self.assertOk(response) for response in responses]
        self.assertTrue(all(body == bodies[0] for body in bodies))
        self.assertEqual(len(self.usage_rows(transaction_id='tx-race')), 1)


@tagged('post_install', '-at_install')
class TestConcurrentIngestion(FusionApiCase):
    """Two transactions insert the same event at the same time, on two real connections."""

    def test_concurrent_ingestion_on_two_connections(self):
        # Rows written by other connections must reference committed records: use the
        # installed catalog (committed at install), never this test's uncommitted fixtures.
        db_name = self.env.cr.dbname
        with odoo.sql_db.db_connect(db_name).cursor() as probe:
            probe.execute("""SELECT metric.id, metric.code, metric.service_id FROM fusion_billing_metric metric
                              JOIN fusion_billing_service service ON service.id = metric.service_id
                             WHERE service.active ORDER BY metric.id LIMIT 1""")
            found = probe.fetchone()
            probe.execute('SELECT COALESCE(MAX(id), 0) FROM fusion_billing_webhook')
            webhooks_before = probe.fetchone()[0]
        if not found:
            self.skipTest('no committed billing metric to ingest against')
        metric_id, code, service_id = found
        subscription = f'race-{uuid.uuid4().hex}'
        raw = {'transaction_id': 'tx-race', 'external_subscription_id': subscription, 'code': code,
               'timestamp': 1700000000, 'properties': {'n': 1}}
        both_started = threading.Barrier(2, timeout=20)
        results, errors = [None, None], []

        def ingest(slot):
            try:
                with odoo.sql_db.db_connect(db_name).cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    service = env['fusion.billing.service'].browse(service_id)
                    parsed, problems = parse_event(raw, {code: metric_id}, datetime(2026, 1, 1))
                    assert not problems, problems
                    cr.execute('SELECT 1')  # take both snapshots before either inserts
                    both_started.wait()
                    results[slot] = retrying(lambda: env['fusion.billing.usage']._fusion_ingest(service, [parsed]), env)
            except Exception as exc:  # pylint: disable=broad-exception-caught  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=ingest, args=(slot,)) for slot in (0, 1)]
        try:
            with mute_logger('odoo.service.model', 'odoo.sql_db'):
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(60)
            self.assertFalse(errors, errors)
            self.assertEqual([r.conflicts for r in results], [[], []])
            self.assertEqual(results[0].rows[0]['id'], results[1].rows[0]['id'])
            self.assertEqual(sorted(r.rows[0]['inserted'] for r in results), [False, True])
            with odoo.sql_db.db_connect(db_name).cursor() as cr:
                cr.execute('SELECT count(*) FROM fusion_billing_usage WHERE external_subscription_id = %s', [subscription])
                self.assertEqual(cr.fetchone()[0], 1)
        finally:
            with odoo.sql_db.db_connect(db_name).cursor() as cr:
                cr.execute('DELETE FROM fusion_billing_usage WHERE external_subscription_id = %s', [subscription])
                # The committed ingestion also reported its unattached event (events.errors).
                cr.execute('DELETE FROM fusion_billing_webhook WHERE id > %s', [webhooks_before])
                cr.commit()


@tagged('post_install', '-at_install')
class TestApiEventsOfUnknownThings(FusionApiCase):
    """What a service does with events of a subscription or a metric that does not exist: refused
    at once by default, or accepted as Lago does (spec: catalog.services[].events)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partner = cls.env['res.partner'].create({'name': 'Known subscriber'})
        cls.env['fusion.billing.account.link'].create({'service_id': cls.cloud.id, 'external_id': 'tnt_known0001', 'partner_id': partner.id})
        cls.known = cls.env['sale.order'].create({
            'partner_id': partner.id, 'fusion_service_id': cls.cloud.id, 'fusion_external_id': 'sub_known',
            'fusion_status': 'active', 'fusion_started_at': datetime(2026, 1, 1),
        })

    def test_events_of_an_unknown_subscription_are_refused_by_default(self):
        self.assertEqual(self.cloud.unknown_subscription, 'reject')
        self.assertApiError(self.post('/events', {'event': event('tx-u1', 'sub_nobody')}), 422, 'validation_errors',
                            {'external_subscription_id': ['subscription_not_found']})
        batch = {'events': [event('tx-u2', 'sub_known'), event('tx-u3', 'sub_nobody'), event('tx-u4', 'sub_known')]}
        self.assertApiError(self.post('/events/batch', batch), 422, 'validation_errors',
                            {'1': {'external_subscription_id': ['subscription_not_found']}})
        self.assertFalse(self.usage_rows(), 'a refused request stores nothing, the known events of its batch included')

    def test_accepted_events_of_an_unknown_subscription_are_reported_then_adopted(self):
        self.cloud.unknown_subscription = 'accept'
        endpoint = self.env['fusion.billing.webhook.endpoint'].create(
            {'service_id': self.cloud.id, 'code': 'errors', 'url': 'http://127.0.0.1:9/hooks'})
        body = self.assertOk(self.post('/events', {'event': event('tx-early', 'sub_later', timestamp=1767312000)}))['event']
        self.assertIsNone(body['lago_subscription_id'])
        report = self.env['fusion.billing.webhook'].search([('endpoint_id', '=', endpoint.id), ('webhook_type', '=', 'events.errors')])
        self.assertEqual(report.payload['events_errors']['unattached_events'], ['tx-early'])
        self.assertEqual(report.payload['events_errors']['invalid_code'], [])
        link = self.env['fusion.billing.account.link'].search([('external_id', '=', 'tnt_known0001')])
        order = self.env['sale.order']._fusion_create_subscription(
            self.cloud, link.partner_id, self.cloud_plan, 'sub_later', started_at=datetime(2026, 1, 1))
        self.assertEqual(self.usage_rows(transaction_id='tx-early').order_id, order)

    def test_events_of_an_unknown_metric_are_refused_by_default(self):
        self.assertEqual(self.cloud.unknown_metric, 'reject')
        self.assertApiError(self.post('/events', {'event': event('tx-m1', 'sub_known', code='gpu_hours')}), 422,
                            'validation_errors', {'code': ['metric_not_found']})
        self.assertFalse(self.usage_rows())

    def test_accepted_events_of_an_unknown_metric_are_reported_and_count_once_it_exists(self):
        self.cloud.unknown_metric = 'accept'
        endpoint = self.env['fusion.billing.webhook.endpoint'].create(
            {'service_id': self.cloud.id, 'code': 'errors', 'url': 'http://127.0.0.1:9/hooks'})
        body = self.assertOk(self.post('/events', {'event': event('tx-gpu', 'sub_known', code='gpu_hours',
                                                                  timestamp=1767312000, properties={'hours': '2.5'})}))['event']
        self.assertEqual(body['code'], 'gpu_hours')
        row = self.usage_rows(transaction_id='tx-gpu')
        self.assertEqual((row.metric_id, row.code, row.order_id), (self.env['fusion.billing.metric'], 'gpu_hours', self.known))
        report = self.env['fusion.billing.webhook'].search([('endpoint_id', '=', endpoint.id), ('webhook_type', '=', 'events.errors')])
        self.assertEqual(report.payload['events_errors']['invalid_code'], ['tx-gpu'])
        # Found again by its transaction id, with its code, as sent.
        self.assertEqual(self.assertOk(self.get('/events/tx-gpu'))['event']['code'], 'gpu_hours')
        metric = self.env['fusion.billing.metric'].create({
            'service_id': self.cloud.id, 'name': 'GPU hours', 'code': 'gpu_hours', 'aggregation_type': 'sum', 'field_name': 'hours'})
        row.invalidate_recordset()
        self.assertEqual((row.metric_id, row.code, row.value), (metric, False, 2.5))
