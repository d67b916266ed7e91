// Verifies fusion_billing's outbound webhooks the way a receiving app should: HMAC-SHA256 over
// "<timestamp>.<raw body>", a timestamp tolerance against replays, and a dedup layer on
// X-Lago-Unique-Key (delivery is at least once).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type Headers = Record<string, string | string[] | undefined>;

export type Verdict = { ok: true; uniqueKey: string; timestamp: number } | { ok: false; reason: string };

function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export function signature(secret: string, timestamp: number, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('base64');
}

export function verifyWebhook(
  secret: string,
  headers: Headers,
  rawBody: Buffer | string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Verdict {
  if (header(headers, 'X-Lago-Signature-Algorithm') !== 'hmac') return { ok: false, reason: 'unsupported signature algorithm' };
  const timestampText = header(headers, 'X-Lago-Timestamp') ?? '';
  if (!/^\d+$/.test(timestampText)) return { ok: false, reason: 'missing or malformed timestamp' };
  const timestamp = Number(timestampText);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale timestamp' };
  const expected = Buffer.from(signature(secret, timestamp, rawBody));
  const given = Buffer.from(header(headers, 'X-Lago-Signature') ?? '');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad signature' };
  const uniqueKey = header(headers, 'X-Lago-Unique-Key');
  if (!uniqueKey) return { ok: false, reason: 'missing unique key' };
  return { ok: true, uniqueKey, timestamp };
}

/** Remembers processed unique keys, so that a redelivered webhook is acknowledged but not acted on twice. */
export class DedupLayer {
  private readonly seen = new Set<string>();

  /** True the first time a key is seen. */
  admit(uniqueKey: string): boolean {
    if (this.seen.has(uniqueKey)) return false;
    this.seen.add(uniqueKey);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
