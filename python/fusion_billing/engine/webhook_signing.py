"""Webhook signatures and retry timing, pure Python (the Odoo outbox and the tests share them).

Each delivery carries Lago's headers, written exactly as Lago writes them, so that receivers built
for Lago accept it unchanged:

- ``X-Lago-Signature``: with ``X-Lago-Signature-Algorithm: jwt`` (Lago's default), an RS256 JWT of
  ``{"data": <raw body>, "iss": <issuer>}`` (signed on the Odoo side, which holds the key); with
  ``hmac``, ``base64(HMAC-SHA256(key, raw body))`` (``lago_hmac``).
- ``X-Lago-Unique-Key``: the webhook's id; receivers drop one they have already processed.

Lago's signatures cover the body alone, so a captured request can be replayed forever. Hardened
receivers also check two headers of this project's own, which Lago receivers simply ignore:
``X-Fusion-Timestamp`` (Unix seconds) and ``X-Fusion-Signature: v1=<base64 HMAC-SHA256(secret,
"<timestamp>." + raw body)>`` with the endpoint's secret; ``verify_fusion`` rejects a request whose
timestamp is outside the tolerance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

SIGNATURE_HEADER = "X-Lago-Signature"
ALGORITHM_HEADER = "X-Lago-Signature-Algorithm"
UNIQUE_KEY_HEADER = "X-Lago-Unique-Key"
FUSION_TIMESTAMP_HEADER = "X-Fusion-Timestamp"
FUSION_SIGNATURE_HEADER = "X-Fusion-Signature"
FUSION_SIGNATURE_VERSION = "v1"
ALGORITHMS = ("jwt", "hmac")
DEFAULT_TOLERANCE_SECONDS = 300


def _hmac_b64(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def lago_hmac(secret: str, body: bytes) -> str:
    """Lago's HMAC signature: base64(HMAC-SHA256(key, raw body)) (app/models/webhook.rb#hmac_signature)."""
    return _hmac_b64(secret, body)


def fusion_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The timestamped signature of X-Fusion-Signature: ``v1=`` + base64 HMAC of "<timestamp>.<body>"."""
    return f"{FUSION_SIGNATURE_VERSION}={_hmac_b64(secret, f'{timestamp}.'.encode() + body)}"


def signed_headers(algorithm: str, body: bytes, unique_key: str, timestamp: int, secret: str, jwt_token: str | None = None) -> dict[str, str]:
    """The headers of one delivery. `jwt_token` is the RS256 signature of the body (jwt endpoints)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"signature algorithm: expected jwt or hmac, got {algorithm!r}")
    if algorithm == "jwt" and not jwt_token:
        raise ValueError("a jwt endpoint needs the body's JWT")
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: jwt_token if algorithm == "jwt" else lago_hmac(secret, body),
        ALGORITHM_HEADER: algorithm,
        UNIQUE_KEY_HEADER: unique_key,
        FUSION_TIMESTAMP_HEADER: str(timestamp),
        FUSION_SIGNATURE_HEADER: fusion_signature(secret, timestamp, body),
    }


def _lowered(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def verify_lago_hmac(secret: str, headers: dict[str, str], body: bytes) -> str | None:
    """As a receiver written for Lago checks an hmac webhook: None when authentic, else why not."""
    lowered = _lowered(headers)
    if lowered.get(ALGORITHM_HEADER.lower()) != "hmac":
        return "unsupported signature algorithm"
    if not hmac.compare_digest(lago_hmac(secret, body), lowered.get(SIGNATURE_HEADER.lower(), "")):
        return "bad signature"
    return None


def verify_fusion(secret: str, headers: dict[str, str], body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> str | None:
    """The hardened check: the timestamped signature and its freshness. None when authentic and fresh."""
    lowered = _lowered(headers)
    try:
        timestamp = int(lowered.get(FUSION_TIMESTAMP_HEADER.lower(), ""))
    except ValueError:
        return "missing or malformed timestamp"
    if abs(now - timestamp) > tolerance:
        return "stale timestamp"
    if not hmac.compare_digest(fusion_signature(secret, timestamp, body), lowered.get(FUSION_SIGNATURE_HEADER.lower(), "")):
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
