// Verifying fusion_billing's webhooks, as an application does (Node's crypto only).
//
// - As a receiver written for Lago does (Lago's "Format & Signature" page), unchanged:
//   `X-Lago-Signature-Algorithm: jwt` → the RS256 JWT in X-Lago-Signature verifies with the public
//   key from GET /webhooks/public_key (base64 of a PEM), its `iss` is the expected issuer, and its
//   `data` claim equals the raw body; `hmac` → X-Lago-Signature is base64(HMAC-SHA256(key, raw body)).
// - The hardened check on top (this project's own headers, which Lago receivers ignore):
//   X-Fusion-Signature is `v1=` + base64(HMAC-SHA256(secret, "<X-Fusion-Timestamp>.<raw body>")) and
//   the timestamp is within the tolerance, so a captured request cannot be replayed later.
// - A dedup layer on X-Lago-Unique-Key (delivery is at least once).
import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

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
export function publicKeyFromLago(base64Pem: string): KeyObject {
  return createPublicKey(Buffer.from(base64Pem, 'base64').toString('utf8'));
}

/** The claims of an RS256 JWT whose signature verifies with `key`; throws otherwise. */
export function verifyRs256(token: string, key: KeyObject, issuer?: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const [head, body, signature] = parts as [string, string, string];
  const protectedHeader = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
  // The algorithm is fixed here, never taken from the token ("alg": "none" or HS256 with the public key).
  if (protectedHeader.alg !== 'RS256') throw new Error(`unexpected JWT algorithm ${String(protectedHeader.alg)}`);
  if (!verify('RSA-SHA256', Buffer.from(`${head}.${body}`), key, Buffer.from(signature, 'base64url'))) throw new Error('signature verification failed');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (issuer !== undefined && claims.iss !== issuer) throw new Error(`unexpected "iss" claim value`);
  if (typeof claims.exp === 'number' && nowSeconds >= claims.exp) throw new Error('the JWT has expired');
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) throw new Error('the JWT is not valid yet');
  return claims;
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
      const claims = verifyRs256(signature, publicKeyFromLago(keys.publicKey), keys.issuer);
      if (claims.data !== rawBody.toString()) return { ok: false, reason: 'bad signature: the JWT data is not the body' };
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

// ------------------------------------------------------------------------------ typed payloads

/** Lago's usage threshold (progressive billing). */
export interface UsageThreshold {
  lago_id: string;
  threshold_display_name: string | null;
  amount_cents: number;
  recurring: boolean;
  created_at: string;
  updated_at: string;
}

/** The objects of the webhooks fusion_billing sends, in Lago's shapes (the fields apps act on; the rest is passed through). */
export interface WebhookCustomer { lago_id: string; external_id: string; name: string | null; email: string | null; currency: string | null; [field: string]: unknown }
export interface WebhookPlan { lago_id: string; code: string; name: string; interval: string; amount_cents: number; amount_currency: string; [field: string]: unknown }
export interface WebhookSubscription {
  lago_id: string;
  external_id: string;
  external_customer_id: string;
  plan_code: string;
  status: 'active' | 'pending' | 'terminated' | 'canceled';
  plan?: WebhookPlan;
  customer?: WebhookCustomer;
  [field: string]: unknown;
}
export interface WebhookInvoice {
  lago_id: string;
  number: string;
  invoice_type: string;
  status: 'draft' | 'finalized' | 'voided' | string;
  payment_status: 'pending' | 'succeeded' | 'failed' | string;
  payment_overdue: boolean;
  currency: string;
  total_amount_cents: number;
  customer?: WebhookCustomer;
  subscriptions?: WebhookSubscription[];
  [field: string]: unknown;
}
export interface PaymentFailure {
  lago_invoice_id: string;
  lago_customer_id: string | null;
  external_customer_id: string | null;
  provider_customer_id: string | null;
  payment_provider: string;
  payment_provider_code: string;
  provider_error: { message: string | null; error_code: string | null };
}
export interface TriggeredAlert {
  lago_id: string;
  lago_alert_id: string;
  alert_code: string;
  alert_name: string | null;
  alert_type: string;
  external_subscription_id: string;
  external_customer_id: string | null;
  billable_metric_code: string | null;
  current_value: number | string;
  previous_value: number | string;
  crossed_thresholds: { code: string | null; value: number | string; recurring: boolean }[];
  triggered_at: string;
  [field: string]: unknown;
}

type Envelope<Type extends string, ObjectType extends string, Payload> = {
  webhook_type: Type;
  object_type: ObjectType;
  organization_id: string;
} & { [key in ObjectType]: Payload };

/** Every webhook fusion_billing sends; narrow it on `webhook_type`. */
export type WebhookPayload =
  | Envelope<'customer.created' | 'customer.updated', 'customer', WebhookCustomer>
  | Envelope<'subscription.started' | 'subscription.updated' | 'subscription.terminated' | 'subscription.trial_ended', 'subscription', WebhookSubscription>
  | Envelope<'subscription.usage_threshold_reached', 'subscription', WebhookSubscription & {
      usage_threshold: UsageThreshold;
      applicable_usage_thresholds: Pick<UsageThreshold, 'threshold_display_name' | 'amount_cents' | 'recurring'>[];
    }>
  | Envelope<'invoice.drafted' | 'invoice.created' | 'invoice.payment_status_updated' | 'invoice.payment_overdue', 'invoice', WebhookInvoice>
  | Envelope<'invoice.payment_failure', 'payment_provider_invoice_payment_error', PaymentFailure>
  | Envelope<'events.errors', 'events_errors', Record<string, string[]>>
  | Envelope<'alert.triggered', 'triggered_alert', TriggeredAlert>;

export type WebhookType = WebhookPayload['webhook_type'];

/** The webhook types this client knows, as the module sends them. */
export const WEBHOOK_TYPES: readonly WebhookType[] = [
  'customer.created', 'customer.updated',
  'subscription.started', 'subscription.updated', 'subscription.terminated', 'subscription.trial_ended', 'subscription.usage_threshold_reached',
  'invoice.drafted', 'invoice.created', 'invoice.payment_status_updated', 'invoice.payment_failure', 'invoice.payment_overdue',
  'events.errors', 'alert.triggered',
];

export type Received =
  | { ok: true; duplicate: boolean; uniqueKey: string; payload: WebhookPayload }
  | { ok: false; reason: string };

/** What an application's webhook route does: verify (Lago's signature, and the timestamped one when
 * `secret` is given), parse, and tell a redelivery (`duplicate`: acknowledge it, do not act twice). */
export async function receiveWebhook(keys: LagoKeys & { secret?: string }, headers: Headers, rawBody: Buffer | string,
  dedup: DedupLayer, nowSeconds = Math.floor(Date.now() / 1000)): Promise<Received> {
  const verdict = keys.secret ? await verifyWebhook({ ...keys, secret: keys.secret }, headers, rawBody, nowSeconds) : await verifyAsLagoReceiver(keys, headers, rawBody);
  if (!verdict.ok) return verdict;
  let payload: WebhookPayload;
  try {
    payload = JSON.parse(rawBody.toString()) as WebhookPayload;
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  if (!WEBHOOK_TYPES.includes(payload.webhook_type)) return { ok: false, reason: `unknown webhook type ${String(payload.webhook_type)}` };
  return { ok: true, duplicate: !dedup.admit(verdict.uniqueKey), uniqueKey: verdict.uniqueKey, payload };
}
