// The Stripe objects the mock serves, as subsets of the `stripe` package's types (so names and
// value types follow Stripe's), shaped like API version 2019-05-16, the one payment_stripe pins:
// a PaymentIntent carries `charges` (newer versions replace it with `latest_charge`).
import type Stripe from 'stripe';

export type DeclineCode = 'generic_decline' | 'insufficient_funds' | 'expired_card' | 'authentication_required' | 'lost_card';

/** What confirming a PaymentIntent does. */
export type ChargeOutcome =
  | { status: 'succeeded' }
  | { status: 'declined'; declineCode?: DeclineCode; message?: string }
  | { status: 'requires_action' }
  | { status: 'processing' };

export interface CardDetails {
  brand: string;
  last4: string;
  expMonth?: number;
  expYear?: number;
  country?: string;
  funding?: 'credit' | 'debit' | 'prepaid' | 'unknown';
}

/**
 * Stripe's test PaymentMethods (docs.stripe.com/testing): usable without being attached, each with
 * the outcome Stripe gives it. The id decides the outcome unless a test queues another one.
 */
export const TEST_PAYMENT_METHODS: Record<string, { card: CardDetails; outcome: ChargeOutcome }> = {
  pm_card_visa: { card: { brand: 'visa', last4: '4242' }, outcome: { status: 'succeeded' } },
  pm_card_visa_debit: { card: { brand: 'visa', last4: '5556', funding: 'debit' }, outcome: { status: 'succeeded' } },
  pm_card_mastercard: { card: { brand: 'mastercard', last4: '4444' }, outcome: { status: 'succeeded' } },
  pm_card_amex: { card: { brand: 'amex', last4: '8431' }, outcome: { status: 'succeeded' } },
  pm_card_chargeDeclined: { card: { brand: 'visa', last4: '0002' }, outcome: { status: 'declined', declineCode: 'generic_decline' } },
  pm_card_chargeDeclinedInsufficientFunds: {
    card: { brand: 'visa', last4: '9995' },
    outcome: { status: 'declined', declineCode: 'insufficient_funds' },
  },
  pm_card_chargeDeclinedExpiredCard: {
    card: { brand: 'visa', last4: '0069' },
    outcome: { status: 'declined', declineCode: 'expired_card' },
  },
  pm_card_chargeDeclinedLostCard: { card: { brand: 'visa', last4: '9987' }, outcome: { status: 'declined', declineCode: 'lost_card' } },
  // On-session this card asks for 3-D Secure; off-session, see harness/stripe/README.md.
  pm_card_authenticationRequired: { card: { brand: 'visa', last4: '3184' }, outcome: { status: 'requires_action' } },
};

/** Stripe's error `code` and customer-facing message per decline code. */
export const DECLINES: Record<DeclineCode, { code: string; message: string }> = {
  generic_decline: { code: 'card_declined', message: 'Your card was declined.' },
  insufficient_funds: { code: 'card_declined', message: 'Your card has insufficient funds.' },
  lost_card: { code: 'card_declined', message: 'Your card was declined.' },
  expired_card: { code: 'expired_card', message: 'Your card has expired.' },
  authentication_required: {
    code: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
};

// ------------------------------------------------------------------------------------- shapes

type NullableAddress = Stripe.Address;

export type CustomerJson = Pick<
  Stripe.Customer,
  | 'id'
  | 'object'
  | 'created'
  | 'livemode'
  | 'email'
  | 'name'
  | 'description'
  | 'phone'
  | 'metadata'
  | 'balance'
  | 'default_source'
  | 'shipping'
> & {
  address: NullableAddress | null;
  invoice_settings: { default_payment_method: string | null; custom_fields: null; footer: null };
};

export type CardJson = Pick<
  Stripe.PaymentMethod.Card,
  'brand' | 'last4' | 'exp_month' | 'exp_year' | 'country' | 'funding' | 'fingerprint'
> & {
  checks: { address_line1_check: null; address_postal_code_check: null; cvc_check: 'pass' };
  three_d_secure_usage: { supported: boolean };
  wallet: null;
};

export type PaymentMethodJson = Pick<Stripe.PaymentMethod, 'id' | 'object' | 'created' | 'livemode' | 'metadata'> & {
  type: 'card';
  customer: string | null;
  card: CardJson;
  billing_details: { address: NullableAddress; email: string | null; name: string | null; phone: string | null };
};

export type CardErrorJson = {
  type: 'card_error';
  code: string;
  decline_code: string;
  message: string;
  doc_url: string;
  charge?: string;
  payment_method?: PaymentMethodJson;
};

export type ChargeJson = Pick<
  Stripe.Charge,
  | 'id'
  | 'object'
  | 'amount'
  | 'amount_captured'
  | 'amount_refunded'
  | 'captured'
  | 'created'
  | 'currency'
  | 'description'
  | 'failure_code'
  | 'failure_message'
  | 'livemode'
  | 'metadata'
  | 'paid'
  | 'payment_method'
  | 'refunded'
  | 'status'
> & {
  customer: string | null;
  payment_intent: string;
  payment_method_details: {
    type: 'card';
    card: Pick<CardJson, 'brand' | 'last4' | 'exp_month' | 'exp_year' | 'country' | 'funding'> & { network: string; mandate: null };
  };
  outcome: { network_status: string; reason: string | null; risk_level: 'normal'; seller_message: string; type: string };
  refunds: ListJson<RefundJson>;
};

export type PaymentIntentJson = Pick<
  Stripe.PaymentIntent,
  | 'id'
  | 'object'
  | 'amount'
  | 'amount_capturable'
  | 'amount_received'
  | 'capture_method'
  | 'client_secret'
  | 'confirmation_method'
  | 'created'
  | 'currency'
  | 'description'
  | 'livemode'
  | 'metadata'
  | 'payment_method_types'
  | 'status'
  | 'canceled_at'
  | 'cancellation_reason'
  | 'setup_future_usage'
> & {
  customer: string | null;
  payment_method: string | PaymentMethodJson | null;
  last_payment_error: (CardErrorJson & { payment_method?: PaymentMethodJson }) | null;
  next_action: { type: 'use_stripe_sdk'; use_stripe_sdk: { type: 'three_d_secure_redirect'; stripe_js: string } } | null;
  /** API versions before 2022-11-15. */
  charges?: ListJson<ChargeJson>;
  /** API versions from 2022-11-15. */
  latest_charge?: string | null;
};

export type SetupIntentJson = Pick<
  Stripe.SetupIntent,
  'id' | 'object' | 'client_secret' | 'created' | 'description' | 'livemode' | 'metadata' | 'payment_method_types' | 'status' | 'usage'
> & {
  customer: string | null;
  payment_method: string | PaymentMethodJson | null;
};

export type RefundJson = Pick<Stripe.Refund, 'id' | 'object' | 'amount' | 'created' | 'currency' | 'metadata' | 'reason' | 'status'> & {
  charge: string;
  payment_intent: string;
};

export type WebhookEndpointJson = Pick<
  Stripe.WebhookEndpoint,
  'id' | 'object' | 'api_version' | 'created' | 'enabled_events' | 'livemode' | 'secret' | 'status' | 'url'
>;

export interface ListJson<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export interface StripeErrorBody {
  error: {
    type: 'card_error' | 'invalid_request_error' | 'idempotency_error' | 'authentication_error' | 'api_error';
    message: string;
    code?: string;
    decline_code?: string;
    param?: string;
    doc_url?: string;
    charge?: string;
    payment_intent?: PaymentIntentJson;
    payment_method?: PaymentMethodJson;
  };
}

// ----------------------------------------------------------------------------------- builders

export const EMPTY_ADDRESS: NullableAddress = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

export function listOf<T>(url: string, data: T[], hasMore = false): ListJson<T> {
  return { object: 'list', data, has_more: hasMore, url };
}

export function paymentMethodJson(
  id: string,
  card: CardDetails,
  customer: string | null,
  created: number,
  email: string | null = null,
): PaymentMethodJson {
  return {
    id,
    object: 'payment_method',
    type: 'card',
    created,
    livemode: false,
    metadata: {},
    customer,
    billing_details: { address: EMPTY_ADDRESS, email, name: null, phone: null },
    card: {
      brand: card.brand,
      last4: card.last4,
      exp_month: card.expMonth ?? 12,
      exp_year: card.expYear ?? new Date().getUTCFullYear() + 3,
      country: card.country ?? 'US',
      funding: card.funding ?? 'credit',
      fingerprint: `fp${card.brand}${card.last4}`,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
  };
}

export function cardErrorFor(declineCode: DeclineCode, message?: string): Omit<CardErrorJson, 'charge' | 'payment_method'> {
  const decline = DECLINES[declineCode];
  return {
    type: 'card_error',
    code: decline.code,
    decline_code: declineCode,
    message: message ?? decline.message,
    doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
  };
}

export function invalidRequest(message: string, extra: { code?: string; param?: string } = {}): StripeErrorBody {
  return { error: { type: 'invalid_request_error', message, ...extra } };
}

export function noSuch(kind: string, id: string, param?: string): StripeErrorBody {
  return invalidRequest(`No such ${kind}: '${id}'`, { code: 'resource_missing', ...(param ? { param } : {}) });
}
