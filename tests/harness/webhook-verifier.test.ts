import { describe, expect, it } from 'vitest';
import { DedupLayer, signature, verifyWebhook } from '../../harness/webhooks/verifier.ts';

const SECRET = 'whsec_test';
const BODY = '{"webhook_type":"invoice.created","object_type":"invoice","invoice":{"lago_id":"account.move-7"}}';
// The same vector as python/tests/test_webhook_signing.py, computed independently with openssl.
const VECTOR = 'NcXdt7euZM+SxguJuVX7ZIOk+aGZfQsVIbr+ki6zqBQ=';

function headers(overrides: Record<string, string> = {}) {
  return {
    'x-lago-signature': VECTOR,
    'x-lago-signature-algorithm': 'hmac',
    'x-lago-unique-key': 'key-1',
    'x-lago-timestamp': '1700000000',
    ...overrides,
  };
}

describe('webhook verifier', () => {
  it('computes the same signature as the module', () => {
    expect(signature(SECRET, 1700000000, BODY)).toBe(VECTOR);
  });

  it('accepts an authentic, fresh webhook and returns its unique key', () => {
    expect(verifyWebhook(SECRET, headers(), Buffer.from(BODY), 1700000100)).toEqual({ ok: true, uniqueKey: 'key-1', timestamp: 1700000000 });
  });

  it('rejects a tampered body, a wrong secret, a stale timestamp and a replay with a new timestamp', () => {
    expect(verifyWebhook(SECRET, headers(), BODY.replace('7', '8'), 1700000000)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyWebhook('whsec_other', headers(), BODY, 1700000000)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyWebhook(SECRET, headers(), BODY, 1700000301)).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(verifyWebhook(SECRET, headers({ 'x-lago-timestamp': '1700000500' }), BODY, 1700000500)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('names what is missing', () => {
    expect(verifyWebhook(SECRET, headers({ 'x-lago-unique-key': '' }), BODY, 1700000000)).toEqual({ ok: false, reason: 'missing unique key' });
    expect(verifyWebhook(SECRET, headers({ 'x-lago-signature-algorithm': 'jwt' }), BODY, 1700000000)).toEqual({ ok: false, reason: 'unsupported signature algorithm' });
    expect(verifyWebhook(SECRET, headers({ 'x-lago-timestamp': 'soon' }), BODY, 1700000000)).toEqual({ ok: false, reason: 'missing or malformed timestamp' });
  });

  it('dedups redeliveries by unique key', () => {
    const dedup = new DedupLayer();
    expect([dedup.admit('a'), dedup.admit('a'), dedup.admit('b')]).toEqual([true, false, true]);
    expect(dedup.size).toBe(2);
  });
});
