"""Webhook signing, verification and retry timing (no Odoo)."""

import random
import unittest

from fusion_billing.engine.webhook_signing import (
    fusion_signature,
    lago_hmac,
    retry_delay_seconds,
    signed_headers,
    verify_fusion,
    verify_lago_hmac,
)

SECRET = "whsec_test"
BODY = b'{"webhook_type":"invoice.created","object_type":"invoice","invoice":{"lago_id":"account.move-7"}}'


class LagoSignature(unittest.TestCase):
    def test_known_vector_of_lagos_hmac(self):
        # base64(HMAC-SHA256("whsec_test", BODY)): the raw body alone, as Lago signs it
        # (app/models/webhook.rb#hmac_signature); computed independently with openssl.
        self.assertEqual(lago_hmac(SECRET, BODY), "yZkCp934kxHPm96T0X8YvQkewdn9JmXpjbJOMTq9abc=")

    def test_hmac_endpoint_verifies_as_a_lago_receiver_checks_it(self):
        headers = signed_headers("hmac", BODY, "key-1", 1700000000, SECRET)
        self.assertEqual(headers["X-Lago-Signature-Algorithm"], "hmac")
        self.assertEqual(headers["X-Lago-Signature"], lago_hmac(SECRET, BODY))
        self.assertIsNone(verify_lago_hmac(SECRET, headers, BODY))
        self.assertEqual(verify_lago_hmac(SECRET, headers, BODY.replace(b"7", b"8")), "bad signature")
        self.assertEqual(verify_lago_hmac("whsec_other", headers, BODY), "bad signature")

    def test_jwt_endpoint_carries_the_token_it_is_given(self):
        headers = signed_headers("jwt", BODY, "key-1", 1700000000, SECRET, jwt_token="header.payload.sig")
        self.assertEqual(headers["X-Lago-Signature"], "header.payload.sig")
        self.assertEqual(headers["X-Lago-Signature-Algorithm"], "jwt")
        with self.assertRaises(ValueError):
            signed_headers("jwt", BODY, "key-1", 1700000000, SECRET)
        with self.assertRaises(ValueError):
            signed_headers("rsa", BODY, "key-1", 1700000000, SECRET)


class FusionSignature(unittest.TestCase):
    def test_known_vector_of_the_timestamped_signature(self):
        # base64(HMAC-SHA256("whsec_test", "1700000000." + BODY)), computed independently with openssl.
        self.assertEqual(fusion_signature(SECRET, 1700000000, BODY), "v1=NcXdt7euZM+SxguJuVX7ZIOk+aGZfQsVIbr+ki6zqBQ=")

    def test_authentic_fresh_request_verifies(self):
        for algorithm, token in (("hmac", None), ("jwt", "a.b.c")):
            headers = signed_headers(algorithm, BODY, "key-1", 1700000000, SECRET, jwt_token=token)
            self.assertIsNone(verify_fusion(SECRET, headers, BODY, now=1700000100))
            # Header names are case-insensitive, as HTTP says.
            self.assertIsNone(verify_fusion(SECRET, {k.lower(): v for k, v in headers.items()}, BODY, now=1700000100))

    def test_tampered_body_wrong_secret_and_stale_timestamp_are_rejected(self):
        headers = signed_headers("hmac", BODY, "key-1", 1700000000, SECRET)
        self.assertEqual(verify_fusion(SECRET, headers, BODY.replace(b"7", b"8"), now=1700000000), "bad signature")
        self.assertEqual(verify_fusion("whsec_other", headers, BODY, now=1700000000), "bad signature")
        self.assertEqual(verify_fusion(SECRET, headers, BODY, now=1700000000 + 301), "stale timestamp")
        replayed = dict(headers, **{"X-Fusion-Timestamp": "1700000500"})  # new timestamp, old signature
        self.assertEqual(verify_fusion(SECRET, replayed, BODY, now=1700000500), "bad signature")

    def test_missing_pieces_are_named(self):
        headers = signed_headers("hmac", BODY, "", 1700000000, SECRET)
        self.assertEqual(verify_fusion(SECRET, headers, BODY, now=1700000000), "missing unique key")
        self.assertEqual(verify_fusion(SECRET, {}, BODY, now=1700000000), "missing or malformed timestamp")


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
