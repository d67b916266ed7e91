// Verifies fusion_billing's outbound webhooks the way receiving apps do.
//
// - As a receiver written for Lago does (Lago's "Format & Signature" page), unchanged:
//   `X-Lago-Signature-Algorithm: jwt` → the RS256 JWT in X-Lago-Signature verifies with the public
//   key from GET /webhooks/public_key (base64 of a PEM), its `iss` is the expected issuer, and its
//   `data` claim equals the raw body; `hmac` → X-Lago-Signature is base64(HMAC-SHA256(key, raw body)).
// - The hardened check on top (this project's own headers, which Lago receivers ignore):
//   X-Fusion-Signature is `v1=` + base64(HMAC-SHA256(secret, "<X-Fusion-Timestamp>.<raw body>")) and
//   the timestamp is within the tolerance, so a captured request cannot be replayed later.
// - A dedup layer on X-Lago-Unique-Key (delivery is at least once).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type Headers = Record<string, string | string[] | undefined>;

export type Verdict = { ok: true; uniqueKey: string; algorithm: 'jwt' | 'hmac' } | { ok: false; reason: string };

export function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Lago's HMAC signature: base64(HMAC-SHA256(key, raw body)). */
export function lagoHmac(key: string, rawBody: Buffer | string): string {
  return createHmac('sha256', key).update(rawBody).digest('base64');
}

/** The timestamped signature of X-Fusion-Signature. */
export function fusionSignature(secret: string, timestamp: number, rawBody: Buffer | string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('base64')}`;
}

/** What a Lago receiver persists from GET /webhooks/public_key: base64 of a PEM public key. */
export async function publicKeyFromLago(base64Pem: string) {
  return importSPKI(Buffer.from(base64Pem, 'base64').toString('utf8'), 'RS256');
}

export type LagoKeys = {
  /** Key of hmac endpoints (Lago's organization HMAC key; here the endpoint's secret). */
  hmacKey?: string;
  /** Base64 PEM from GET /webhooks/public_key, for jwt endpoints. */
  publicKey?: string;
  /** The issuer a Lago receiver expects in the JWT (its Lago API URL). */
  issuer?: string;
};

/** The check of a receiver written for Lago, nothing more. */
export async function verifyAsLagoReceiver(keys: LagoKeys, headers: Headers, rawBody: Buffer | string): Promise<Verdict> {
  const algorithm = header(headers, 'X-Lago-Signature-Algorithm');
  const signature = header(headers, 'X-Lago-Signature') ?? '';
  const uniqueKey = header(headers, 'X-Lago-Unique-Key');
  if (!uniqueKey) return { ok: false, reason: 'missing unique key' };
  if (algorithm === 'hmac') {
    if (!keys.hmacKey) return { ok: false, reason: 'no HMAC key' };
    return sameText(lagoHmac(keys.hmacKey, rawBody), signature) ? { ok: true, uniqueKey, algorithm } : { ok: false, reason: 'bad signature' };
  }
  if (algorithm === 'jwt') {
    if (!keys.publicKey) return { ok: false, reason: 'no public key' };
    try {
      const { payload } = await jwtVerify(signature, await publicKeyFromLago(keys.publicKey), {
        algorithms: ['RS256'],
        ...(keys.issuer ? { issuer: keys.issuer } : {}),
      });
      if (payload.data !== rawBody.toString()) return { ok: false, reason: 'bad signature: the JWT data is not the body' };
      return { ok: true, uniqueKey, algorithm };
    } catch (error) {
      return { ok: false, reason: `bad signature: ${(error as Error).message}` };
    }
  }
  return { ok: false, reason: 'unsupported signature algorithm' };
}

/** The hardened check: timestamped signature with the endpoint's secret, within the tolerance. */
export function verifyFusionTimestamp(
  secret: string,
  headers: Headers,
  rawBody: Buffer | string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): { ok: true; timestamp: number } | { ok: false; reason: string } {
  const timestampText = header(headers, 'X-Fusion-Timestamp') ?? '';
  if (!/^\d+$/.test(timestampText)) return { ok: false, reason: 'missing or malformed timestamp' };
  const timestamp = Number(timestampText);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale timestamp' };
  if (!sameText(fusionSignature(secret, timestamp, rawBody), header(headers, 'X-Fusion-Signature') ?? '')) {
    return { ok: false, reason: 'bad timestamped signature' };
  }
  return { ok: true, timestamp };
}

/** A hardened receiver: Lago's check, then the timestamped one. */
export async function verifyWebhook(
  keys: LagoKeys & { secret: string },
  headers: Headers,
  rawBody: Buffer | string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<Verdict> {
  const lago = await verifyAsLagoReceiver(keys, headers, rawBody);
  if (!lago.ok) return lago;
  const fresh = verifyFusionTimestamp(keys.secret, headers, rawBody, nowSeconds, toleranceSeconds);
  return fresh.ok ? lago : fresh;
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
