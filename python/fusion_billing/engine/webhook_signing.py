"""Webhook signatures and retry timing, pure Python (the Odoo outbox and the tests share them).

A delivery carries Lago's headers (``X-Lago-Signature``, ``X-Lago-Signature-Algorithm: hmac``,
``X-Lago-Unique-Key``) plus ``X-Lago-Timestamp``. Unlike Lago, the signature covers the timestamp:
``base64(HMAC-SHA256(secret, "<timestamp>." + body))``, so a captured request cannot be replayed
once the receiver's tolerance has passed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

SIGNATURE_HEADER = "X-Lago-Signature"
ALGORITHM_HEADER = "X-Lago-Signature-Algorithm"
UNIQUE_KEY_HEADER = "X-Lago-Unique-Key"
TIMESTAMP_HEADER = "X-Lago-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_headers(secret: str, timestamp: int, body: bytes, unique_key: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        ALGORITHM_HEADER: "hmac",
        UNIQUE_KEY_HEADER: unique_key,
        TIMESTAMP_HEADER: str(timestamp),
    }


def verify(secret: str, headers: dict[str, str], body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> str | None:
    """None when the request is authentic and fresh, else the reason it is not."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get(ALGORITHM_HEADER.lower()) != "hmac":
        return "unsupported signature algorithm"
    try:
        timestamp = int(lowered.get(TIMESTAMP_HEADER.lower(), ""))
    except ValueError:
        return "missing or malformed timestamp"
    if abs(now - timestamp) > tolerance:
        return "stale timestamp"
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, lowered.get(SIGNATURE_HEADER.lower(), "")):
        return "bad signature"
    if not lowered.get(UNIQUE_KEY_HEADER.lower()):
        return "missing unique key"
    return None


def retry_delay_seconds(attempt: int, base: int, cap: int, rng: random.Random | None = None) -> float:
    """Delay after failed attempt number `attempt` (1-based): base × 4^(attempt-1), capped, plus 0–15% jitter.

    The jitter spreads the retries of many webhooks that failed together (receiver down)."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    delay = min(cap, base * 4 ** (attempt - 1))
    return delay * (1 + (rng or random).uniform(0, 0.15))
