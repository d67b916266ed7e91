"""Webhook signing, verification and retry timing (no Odoo)."""

import random
import unittest

from fusion_billing.engine.webhook_signing import retry_delay_seconds, sign, signed_headers, verify

SECRET = "whsec_test"
BODY = b'{"webhook_type":"invoice.created","object_type":"invoice","invoice":{"lago_id":"account.move-7"}}'


class Signing(unittest.TestCase):
    def test_known_vector(self):
        # base64(HMAC-SHA256("whsec_test", "1700000000." + BODY)), computed independently with openssl.
        self.assertEqual(sign(SECRET, 1700000000, BODY), "NcXdt7euZM+SxguJuVX7ZIOk+aGZfQsVIbr+ki6zqBQ=")

    def test_authentic_fresh_request_verifies(self):
        headers = signed_headers(SECRET, 1700000000, BODY, "key-1")
        self.assertIsNone(verify(SECRET, headers, BODY, now=1700000100))
        # Header names are case-insensitive, as HTTP says.
        self.assertIsNone(verify(SECRET, {k.lower(): v for k, v in headers.items()}, BODY, now=1700000100))

    def test_tampered_body_wrong_secret_and_stale_timestamp_are_rejected(self):
        headers = signed_headers(SECRET, 1700000000, BODY, "key-1")
        self.assertEqual(verify(SECRET, headers, BODY.replace(b"7", b"8"), now=1700000000), "bad signature")
        self.assertEqual(verify("whsec_other", headers, BODY, now=1700000000), "bad signature")
        self.assertEqual(verify(SECRET, headers, BODY, now=1700000000 + 301), "stale timestamp")
        replayed = dict(headers, **{"X-Lago-Timestamp": "1700000500"})  # new timestamp, old signature
        self.assertEqual(verify(SECRET, replayed, BODY, now=1700000500), "bad signature")

    def test_missing_pieces_are_named(self):
        headers = signed_headers(SECRET, 1700000000, BODY, "")
        self.assertEqual(verify(SECRET, headers, BODY, now=1700000000), "missing unique key")
        self.assertEqual(verify(SECRET, {}, BODY, now=1700000000), "unsupported signature algorithm")


class RetryTiming(unittest.TestCase):
    def test_exponential_with_cap_and_bounded_jitter(self):
        rng = random.Random(7)
        for attempt, base_delay in [(1, 15), (2, 60), (3, 240), (4, 960), (5, 3600), (9, 3600)]:
            delay = retry_delay_seconds(attempt, 15, 3600, rng)
            self.assertGreaterEqual(delay, base_delay)
            self.assertLessEqual(delay, base_delay * 1.15)

    def test_jitter_spreads_simultaneous_failures(self):
        rng = random.Random(1)
        delays = {round(retry_delay_seconds(2, 15, 3600, rng), 3) for _ in range(20)}
        self.assertGreater(len(delays), 15)

    def test_attempts_start_at_one(self):
        with self.assertRaises(ValueError):
            retry_delay_seconds(0, 15, 3600)


if __name__ == "__main__":
    unittest.main()
