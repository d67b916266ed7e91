// The generated client's webhook side: the types it knows are the module's, and receiveWebhook
// verifies, parses and flags redeliveries. (Signatures: tests/harness/webhook-verifier.test.ts,
// which runs the same implementation against tokens signed by jose.)
import { generateKeyPairSync, createSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DedupLayer,
  lagoHmac,
  publicKeyFromLago,
  receiveWebhook,
  verifyRs256,
  WEBHOOK_TYPES,
  type WebhookPayload,
} from '../../out/client/src/index.ts';
import { WEBHOOK_TYPES as MODULE_WEBHOOK_TYPES } from '../../generators/spec/webhook-types.ts';

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

describe('the generated client’s webhooks', () => {
  it('knows every webhook type the module sends, and no other', () => {
    expect([...WEBHOOK_TYPES].sort()).toEqual([...MODULE_WEBHOOK_TYPES].sort());
  });

  it('verifies, parses and flags a redelivery by its unique key', async () => {
    const body = JSON.stringify({
      webhook_type: 'alert.triggered',
      object_type: 'triggered_alert',
      organization_id: 'org',
      triggered_alert: { alert_code: 'spend', current_value: 250 },
    });
    const headers = { 'x-lago-signature-algorithm': 'hmac', 'x-lago-signature': lagoHmac('key', body), 'x-lago-unique-key': 'u-1' };
    const dedup = new DedupLayer();
    const first = await receiveWebhook({ hmacKey: 'key' }, headers, body, dedup);
    expect(first).toMatchObject({ ok: true, duplicate: false, uniqueKey: 'u-1' });
    if (first.ok && first.payload.webhook_type === 'alert.triggered') {
      // Narrowed by its type: the triggered alert is typed.
      const alert: string = first.payload.triggered_alert.alert_code;
      expect(alert).toBe('spend');
    } else throw new Error('not narrowed');
    expect(await receiveWebhook({ hmacKey: 'key' }, headers, body, dedup)).toMatchObject({ ok: true, duplicate: true });
    expect(await receiveWebhook({ hmacKey: 'other' }, headers, body, dedup)).toEqual({ ok: false, reason: 'bad signature' });
    const unknown = JSON.stringify({ webhook_type: 'wallet.created' });
    expect(await receiveWebhook({ hmacKey: 'key' }, { ...headers, 'x-lago-signature': lagoHmac('key', unknown) }, unknown, dedup)).toEqual({
      ok: false,
      reason: 'unknown webhook type wallet.created',
    });
  });

  it('verifies RS256 with Node’s crypto only, refusing another algorithm and a wrong issuer', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = publicKeyFromLago(Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })).toString('base64'));
    const sign = (header: object, claims: object) => {
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      return `${input}.${b64url(createSign('RSA-SHA256').update(input).sign(privateKey))}`;
    };
    expect(verifyRs256(sign({ alg: 'RS256' }, { data: '{}', iss: 'https://x' }), key, 'https://x')).toEqual({
      data: '{}',
      iss: 'https://x',
    });
    expect(() => verifyRs256(sign({ alg: 'RS256' }, { data: '{}', iss: 'https://y' }), key, 'https://x')).toThrow(/iss/);
    expect(() => verifyRs256(sign({ alg: 'none' }, { data: '{}' }), key)).toThrow(/algorithm/);
    expect(() => verifyRs256(sign({ alg: 'RS256' }, { data: '{}', exp: 10 }), key, undefined, 20)).toThrow(/expired/);
    const forged = sign({ alg: 'RS256' }, { data: '{}' }).replace(/\.[^.]+$/, `.${b64url('forged')}`);
    expect(() => verifyRs256(forged, key)).toThrow(/verification failed/);
  });
});

// A payload's object is typed by its webhook type (checked by tsc).
// biome-ignore lint/suspicious/noExportsInTest: exported so tsc checks it as an application would use the client
export function invoiceTotal(payload: WebhookPayload): number | undefined {
  return payload.webhook_type === 'invoice.created' ? payload.invoice.total_amount_cents : undefined;
}
