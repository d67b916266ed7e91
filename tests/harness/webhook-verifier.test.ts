import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  DedupLayer,
  fusionSignature,
  lagoHmac,
  verifyAsLagoReceiver,
  verifyFusionTimestamp,
  verifyWebhook,
} from '../../harness/webhooks/verifier.ts';

const SECRET = 'whsec_test';
const BODY = '{"webhook_type":"invoice.created","object_type":"invoice","invoice":{"lago_id":"account.move-7"}}';
// The vectors of python/tests/test_webhook_signing.py, computed independently with openssl.
const LAGO_HMAC = 'yZkCp934kxHPm96T0X8YvQkewdn9JmXpjbJOMTq9abc=';
const FUSION = 'v1=NcXdt7euZM+SxguJuVX7ZIOk+aGZfQsVIbr+ki6zqBQ=';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
// What GET /webhooks/public_key serves: base64 of the PEM.
const PUBLIC_KEY_B64 = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })).toString('base64');
const ISSUER = 'https://billing.example.test';

function jwtOf(data: string, issuer = ISSUER, key = privateKey) {
  return new SignJWT({ data }).setProtectedHeader({ alg: 'RS256' }).setIssuer(issuer).sign(key);
}

function headers(overrides: Record<string, string> = {}) {
  return {
    'x-lago-signature': LAGO_HMAC,
    'x-lago-signature-algorithm': 'hmac',
    'x-lago-unique-key': 'key-1',
    'x-fusion-timestamp': '1700000000',
    'x-fusion-signature': FUSION,
    ...overrides,
  };
}

describe('webhook verifier', () => {
  it('computes the same signatures as the module', () => {
    expect(lagoHmac(SECRET, BODY)).toBe(LAGO_HMAC);
    expect(fusionSignature(SECRET, 1700000000, BODY)).toBe(FUSION);
  });

  it('checks hmac webhooks as a Lago receiver does: the raw body alone', async () => {
    expect(await verifyAsLagoReceiver({ hmacKey: SECRET }, headers(), Buffer.from(BODY))).toEqual({
      ok: true,
      uniqueKey: 'key-1',
      algorithm: 'hmac',
    });
    expect(await verifyAsLagoReceiver({ hmacKey: SECRET }, headers(), BODY.replace('7', '8'))).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    expect(await verifyAsLagoReceiver({ hmacKey: 'whsec_other' }, headers(), BODY)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('checks jwt webhooks with the published public key, the issuer and the data claim', async () => {
    const jwt = await jwtOf(BODY);
    const keys = { publicKey: PUBLIC_KEY_B64, issuer: ISSUER };
    expect(await verifyAsLagoReceiver(keys, headers({ 'x-lago-signature-algorithm': 'jwt', 'x-lago-signature': jwt }), BODY)).toEqual({
      ok: true,
      uniqueKey: 'key-1',
      algorithm: 'jwt',
    });
    const tampered = await verifyAsLagoReceiver(
      keys,
      headers({ 'x-lago-signature-algorithm': 'jwt', 'x-lago-signature': jwt }),
      BODY.replace('7', '8'),
    );
    expect(tampered).toEqual({ ok: false, reason: 'bad signature: the JWT data is not the body' });
    const otherIssuer = await verifyAsLagoReceiver(
      keys,
      headers({ 'x-lago-signature-algorithm': 'jwt', 'x-lago-signature': await jwtOf(BODY, 'https://elsewhere') }),
      BODY,
    );
    expect(otherIssuer.ok).toBe(false);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = await verifyAsLagoReceiver(
      keys,
      headers({ 'x-lago-signature-algorithm': 'jwt', 'x-lago-signature': await jwtOf(BODY, ISSUER, otherKey) }),
      BODY,
    );
    expect(forged).toMatchObject({ ok: false, reason: expect.stringContaining('signature verification failed') });
  });

  it('hardened receivers also reject a replay outside the tolerance and a re-stamped timestamp', async () => {
    const keys = { hmacKey: SECRET, secret: SECRET };
    expect(await verifyWebhook(keys, headers(), BODY, 1700000100)).toEqual({ ok: true, uniqueKey: 'key-1', algorithm: 'hmac' });
    expect(await verifyWebhook(keys, headers(), BODY, 1700000301)).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(await verifyWebhook(keys, headers({ 'x-fusion-timestamp': '1700000500' }), BODY, 1700000500)).toEqual({
      ok: false,
      reason: 'bad timestamped signature',
    });
    // A Lago receiver (no timestamp check) still accepts the old capture: that is Lago's behaviour.
    expect((await verifyAsLagoReceiver(keys, headers(), BODY)).ok).toBe(true);
  });

  it('names what is missing', async () => {
    expect(await verifyAsLagoReceiver({ hmacKey: SECRET }, headers({ 'x-lago-unique-key': '' }), BODY)).toEqual({
      ok: false,
      reason: 'missing unique key',
    });
    expect(await verifyAsLagoReceiver({ hmacKey: SECRET }, headers({ 'x-lago-signature-algorithm': 'rsa' }), BODY)).toEqual({
      ok: false,
      reason: 'unsupported signature algorithm',
    });
    expect(verifyFusionTimestamp(SECRET, headers({ 'x-fusion-timestamp': 'soon' }), BODY, 1700000000)).toEqual({
      ok: false,
      reason: 'missing or malformed timestamp',
    });
  });

  it('dedups redeliveries by unique key', () => {
    const dedup = new DedupLayer();
    expect([dedup.admit('a'), dedup.admit('a'), dedup.admit('b')]).toEqual([true, false, true]);
    expect(dedup.size).toBe(2);
  });
});
