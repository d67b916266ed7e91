"""The shadow run's pull of Lago's events, without Odoo: page requests and event inputs."""

import unittest
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

from fusion_billing.lago.events import parse_event
from fusion_billing.lago.pull import event_input, events_page_url, next_page, unix_seconds


class PullFromLago(unittest.TestCase):
    def test_page_url_names_the_subscription_window_and_page(self):
        url = events_page_url('https://lago.example/api/v1/', 'sub 1', datetime(2026, 9, 1, 4, tzinfo=timezone.utc),
                              datetime(2026, 10, 1, 4, 0, 0, 250000, tzinfo=timezone.utc), 2)
        parts = urlsplit(url)
        self.assertEqual(parts.path, '/api/v1/events')
        self.assertEqual(parse_qs(parts.query), {
            'external_subscription_id': ['sub 1'], 'timestamp_from': ['2026-09-01T04:00:00.000Z'],
            'timestamp_to': ['2026-10-01T04:00:00.250Z'], 'page': ['2'], 'per_page': ['100']})

    def test_events_keep_their_ids_and_exact_timestamps(self):
        self.assertEqual([unix_seconds('2026-10-01T04:00:00.000Z'), unix_seconds('2026-10-01T04:00:00.250Z'), unix_seconds('2026-10-01T00:00:00-04:00')],
                         ['1790827200', '1790827200.25', '1790827200'])
        lago = {'lago_id': 'x', 'transaction_id': 'tx-1', 'external_subscription_id': 'sub', 'code': 'api_requests',
                'timestamp': '2026-10-01T04:00:00.250Z', 'properties': {'region': 'ca'}, 'created_at': '2026-10-01T04:00:01Z'}
        raw = event_input(lago)
        self.assertEqual(raw, {'transaction_id': 'tx-1', 'external_subscription_id': 'sub', 'code': 'api_requests',
                               'timestamp': '1790827200.25', 'properties': {'region': 'ca'}})
        event, errors = parse_event(raw, {'api_requests': 7}, datetime(2026, 12, 1))
        self.assertIsNone(errors)
        self.assertEqual(event.timestamp, datetime(2026, 10, 1, 4, 0, 0, 250000))

    def test_next_page_follows_lagos_meta(self):
        self.assertEqual([next_page({'meta': {'next_page': 3}}), next_page({'meta': {'next_page': None}}), next_page({})], [3, None, None])
