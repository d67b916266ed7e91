from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.fusion_billing.models import fusion_billing_service_auth_throttle as throttle

from .api_common import FusionApiCase

UNAUTHORIZED = {'status': 401, 'error': 'Unauthorized'}
TOO_MANY = {'status': 429, 'error': 'Too Many Requests', 'code': 'too_many_requests'}
# HttpCase's requests come from the loopback address.
HERE = '127.0.0.1'
ELSEWHERE = '198.51.100.7'


@tagged('post_install', '-at_install')
class TestApiThrottle(FusionApiCase):
    """Refused keys are counted per client address in PostgreSQL; past the limit, Lago's 429."""

    def setUp(self):
        super().setUp()
        # The failure is written on a cursor of its own. A test's cursors all share the test's
        # transaction, and Odoo's tests refuse a read/write cursor opened after a read-only
        # route's (a server has no such rule: its GET routes' cursor is another connection).
        # Elsewhere in the tests a refused key on a GET route is therefore not counted.
        self.set_registry_readonly_mode(False)
        self.addCleanup(self.set_registry_readonly_mode, True)
        self.env['ir.config_parameter'].sudo().set_param(throttle.LIMIT_PARAM, '3')
        self.env.cr.execute(f'DELETE FROM {throttle.TABLE}')

    def failures(self, address=HERE):
        self.env.cr.execute(f'SELECT count(*) FROM {throttle.TABLE} WHERE address = %s', [address])
        return self.env.cr.fetchone()[0]

    def fail_earlier(self, address, seconds_ago, times):
        for _ in range(times):
            self.env.cr.execute(
                f"INSERT INTO {throttle.TABLE} (address, failed_at) VALUES (%s, clock_timestamp() - make_interval(secs => %s))",
                [address, seconds_ago])

    def assertThrottled(self, response):
        self.assertEqual(response.status_code, 429, response.text)
        self.assertTrue(response.headers['Content-Type'].startswith('application/json'))
        self.assertEqual(response.json(), TOO_MANY)
        wait = int(response.headers['Retry-After'])
        self.assertTrue(1 <= wait <= throttle.DEFAULT_WINDOW_SECONDS, wait)
        self.assertEqual(response.headers['X-RateLimit-Limit'], '3')
        self.assertEqual(response.headers['X-RateLimit-Remaining'], '0')
        self.assertEqual(response.headers['X-RateLimit-Reset'], str(wait))
        return wait

    def test_bad_keys_past_the_limit_get_lagos_429(self):
        for _ in range(3):
            self.assertEqual(self.get('/plans', 'fb_wrong').json(), UNAUTHORIZED)
        self.assertEqual(self.failures(), 3)
        self.assertThrottled(self.get('/plans', 'fb_wrong'))
        self.assertThrottled(self.get('/plans', 'fb_another-wrong-key'))
        # A throttled answer adds no row: a flood keeps `limit` rows per address.
        self.assertEqual(self.failures(), 3)

    def test_every_refusal_counts_and_a_throttled_write_stores_nothing(self):
        self.assertApiError(self.call('GET', '/plans'), 401)
        self.assertApiError(self.call('GET', '/plans', headers={'Authorization': f'Basic {self.cloud_key}'}), 401)
        event = {'event': {'transaction_id': 'tx-429', 'external_subscription_id': 'sub', 'code': 'api_requests'}}
        self.assertApiError(self.post('/events', event, key='fb_wrong'), 401)
        self.assertThrottled(self.post('/events', event, key='fb_wrong'))
        self.assertFalse(self.usage_rows(transaction_id='tx-429'))

    def test_a_valid_key_is_served_from_a_throttled_address(self):
        # The documented choice: keys are 256-bit random (the throttle is not what keeps them from
        # being guessed), and one process of a host still sending a revoked key must not cut off
        # the host's other applications. A valid key neither reads nor adds a failure.
        self.fail_earlier(HERE, 1, 3)
        self.assertThrottled(self.get('/plans', 'fb_wrong'))
        self.assertOk(self.get('/plans', self.cloud_key))
        self.assertOk(self.get('/billable_metrics', self.desk_key))
        self.assertEqual(self.failures(), 3)

    def test_each_address_has_its_own_count(self):
        self.fail_earlier(ELSEWHERE, 1, 10)
        self.assertEqual(self.get('/plans', 'fb_wrong').json(), UNAUTHORIZED)
        self.fail_earlier(HERE, 1, 5)
        self.assertThrottled(self.get('/plans', 'fb_wrong'))
        Service = self.env['fusion.billing.service']
        self.assertIsNone(Service._fusion_note_auth_failure('203.0.113.1'))
        self.assertEqual(Service._fusion_note_auth_failure(HERE)[1], 3)

    def test_the_window_slides(self):
        # Failures older than the window no longer count ...
        self.fail_earlier(HERE, throttle.DEFAULT_WINDOW_SECONDS + 5, 3)
        self.assertEqual(self.get('/plans', 'fb_wrong').json(), UNAUTHORIZED)
        # ... and Retry-After is when the oldest failure inside it ages out.
        self.fail_earlier(HERE, throttle.DEFAULT_WINDOW_SECONDS - 10, 2)
        wait = self.assertThrottled(self.get('/plans', 'fb_wrong'))
        self.assertTrue(8 <= wait <= 11, wait)

    def test_limits_are_system_parameters(self):
        params = self.env['ir.config_parameter'].sudo()
        params.set_param(throttle.WINDOW_PARAM, '5')
        self.fail_earlier(HERE, 10, 3)
        self.assertEqual(self.get('/plans', 'fb_wrong').json(), UNAUTHORIZED)
        params.set_param(throttle.LIMIT_PARAM, '0')
        for _ in range(5):
            self.assertEqual(self.get('/plans', 'fb_wrong').json(), UNAUTHORIZED)
        self.assertEqual(self.failures(), 4)
        params.set_param(throttle.LIMIT_PARAM, 'ten')
        with mute_logger(throttle.__name__):
            self.assertEqual(self.env['fusion.billing.service']._fusion_auth_throttle_limits(), (throttle.DEFAULT_LIMIT, 5))

    def test_old_failures_are_pruned_by_a_later_refusal(self):
        self.fail_earlier(ELSEWHERE, 3 * throttle.DEFAULT_WINDOW_SECONDS, 4)
        self.fail_earlier(ELSEWHERE, 1, 1)
        throttle._last_prune.clear()
        self.assertEqual(self.get('/plans', 'fb_wrong').json(), UNAUTHORIZED)
        self.assertEqual(self.failures(ELSEWHERE), 1)
        self.assertEqual(self.failures(), 1)
