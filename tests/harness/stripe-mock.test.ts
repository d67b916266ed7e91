// The Stripe mock driven the way payment_stripe drives Stripe: plain form-encoded requests with a
// bearer key, Stripe-Version 2019-05-16, bracketed params, Idempotency-Key on POSTs.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeStripeForm, encodeStripeForm } from '../../harness/stripe/form.ts';
import { startStripeMock, type StripeMock } from '../../harness/stripe/mock.ts';

const KEY = 'sk_test_fusion';
const CUSTOMER = 'cus_LAGO123';

let mock: StripeMock;

beforeEach(async () => {
  mock = await startStripeMock({ secretKey: KEY });
  mock.seedCustomer({ id: CUSTOMER, email: 'ops@acme.test', defaultPaymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242' } });
});

afterEach(async () => {
  await mock.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: Stripe's JSON, read field by field in the assertions
type StripeJson = any;

const STRIPE_HEADERS = {
  Authorization: `Bearer ${KEY}`,
  'Stripe-Version': '2019-05-16',
  'Content-Type': 'application/x-www-form-urlencoded',
};

/** payment_stripe's requests: form-encoded, Python's `True` for booleans; GET params in the query here. */
async function stripe(
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, string | number | boolean> = {},
  headers: Record<string, string> = {},
) {
  const form = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, v === true ? 'True' : String(v)])).toString();
  const url = method === 'GET' && form ? `${mock.baseUrl}${path}?${form}` : `${mock.baseUrl}${path}`;
  const response = await fetch(url, { method, headers: { ...STRIPE_HEADERS, ...headers }, body: method === 'POST' ? form : undefined });
  return { status: response.status, headers: response.headers, json: (await response.json()) as StripeJson };
}

/** A GET with a form body, as Python's `requests.request('GET', url, data=...)` sends it (fetch cannot). */
function getWithBody(path: string, form: string): Promise<StripeJson> {
  return new Promise((done, failed) => {
    const request = httpRequest(
      `${mock.baseUrl}${path}`,
      { method: 'GET', headers: { ...STRIPE_HEADERS, 'Content-Length': Buffer.byteLength(form) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    request.on('error', failed);
    request.end(form);
  });
}

/** payment_stripe's payload for an off-session token payment (_stripe_prepare_payment_intent_payload). */
function tokenPayment(paymentMethod: string, extra: Record<string, string | number | boolean> = {}) {
  return {
    amount: 12_345,
    currency: 'cad',
    description: 'INV/2026/00001',
    capture_method: 'automatic',
    'payment_method_types[]': 'card',
    'expand[]': 'payment_method',
    'shipping[address][city]': '',
    'shipping[name]': 'Acme',
    confirm: true,
    customer: CUSTOMER,
    off_session: true,
    payment_method: paymentMethod,
    ...extra,
  };
}

describe('stripe form encoding', () => {
  it('decodes bracketed keys into nested params', () => {
    expect(decodeStripeForm('a[b][c]=1&list[]=x&list[]=y&idx[0][k]=v&plain=p&expand%5B%5D=payment_method')).toEqual({
      a: { b: { c: '1' } },
      list: ['x', 'y'],
      idx: [{ k: 'v' }],
      plain: 'p',
      expand: ['payment_method'],
    });
  });

  it('round-trips what it encodes', () => {
    const params = { amount: '100', metadata: { order: 'S1' }, payment_method_types: ['card'] };
    expect(decodeStripeForm(encodeStripeForm(params))).toEqual(params);
  });
});

describe('stripe mock: customers and cards', () => {
  it('serves the customer Lago created, with its default card', async () => {
    const { status, json } = await stripe('GET', `customers/${CUSTOMER}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      id: CUSTOMER,
      object: 'customer',
      email: 'ops@acme.test',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const card = await stripe('GET', 'payment_methods/pm_card_visa');
    expect(card.json).toMatchObject({
      id: 'pm_card_visa',
      object: 'payment_method',
      type: 'card',
      customer: CUSTOMER,
      card: { brand: 'visa', last4: '4242' },
    });
  });

  it('lists the cards of a customer from params in a GET body (as requests sends them) and in the query', async () => {
    const body = await getWithBody('payment_methods', `customer=${CUSTOMER}&type=card&limit=1`);
    expect(body).toMatchObject({ object: 'list', has_more: false, data: [{ id: 'pm_card_visa' }] });
    const query = await stripe('GET', `customers/${CUSTOMER}/payment_methods?type=card`);
    expect(query.json.data.map((pm: { id: string }) => pm.id)).toEqual(['pm_card_visa']);
    expect(mock.requests[0]!.params).toEqual({ customer: CUSTOMER, type: 'card', limit: '1' });
  });

  it("answers Stripe's errors: unknown objects, missing params, bad keys", async () => {
    const missing = await stripe('GET', 'customers/cus_NOPE');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: "No such customer: 'cus_NOPE'",
    });
    const noAmount = await stripe('POST', 'payment_intents', { currency: 'cad' });
    expect(noAmount.status).toBe(400);
    expect(noAmount.json.error).toMatchObject({ code: 'parameter_missing', param: 'amount' });
    const badKey = await stripe('GET', `customers/${CUSTOMER}`, {}, { Authorization: 'Bearer sk_test_other' });
    expect(badKey.status).toBe(401);
    const json = await fetch(`${mock.baseUrl}customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
  });

  it('creates customers and setup intents like payment_stripe’s validation flow', async () => {
    const customer = await stripe('POST', 'customers', { 'address[city]': 'Toronto', email: 'new@acme.test', name: 'New' });
    expect(customer.json).toMatchObject({ object: 'customer', email: 'new@acme.test', address: { city: 'Toronto', country: null } });
    expect(customer.json.id).toMatch(/^cus_/);
    const setup = await stripe('POST', 'setup_intents', {
      customer: customer.json.id,
      description: 'V-1',
      'payment_method_types[]': 'card',
    });
    expect(setup.json).toMatchObject({
      object: 'setup_intent',
      customer: customer.json.id,
      status: 'requires_payment_method',
      payment_method_types: ['card'],
    });
    expect((await stripe('GET', `setup_intents/${setup.json.id}`)).json.id).toBe(setup.json.id);
  });
});

describe('stripe mock: off-session payment intents', () => {
  it('charges the linked card: succeeded, payment_method expanded, charges with payment_method_details', async () => {
    const { status, json } = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa'), { 'Idempotency-Key': 'k-1' });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      object: 'payment_intent',
      status: 'succeeded',
      amount: 12_345,
      amount_received: 12_345,
      currency: 'cad',
      customer: CUSTOMER,
      description: 'INV/2026/00001',
      last_payment_error: null,
      payment_method: { id: 'pm_card_visa', type: 'card', card: { brand: 'visa', last4: '4242' } },
      charges: {
        object: 'list',
        data: [
          {
            object: 'charge',
            status: 'succeeded',
            paid: true,
            captured: true,
            payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
          },
        ],
      },
    });
    expect((await stripe('GET', `payment_intents/${json.id}`)).json.payment_method).toBe('pm_card_visa');
    const request = mock.requestsTo('POST', '/v1/payment_intents')[0]!;
    expect(request).toMatchObject({ idempotencyKey: 'k-1', stripeVersion: '2019-05-16', status: 200, replayed: false });
    expect(request.params).toMatchObject({
      confirm: 'True',
      off_session: 'True',
      payment_method_types: ['card'],
      expand: ['payment_method'],
      shipping: { name: 'Acme' },
    });
  });

  it('declines with HTTP 402 and Stripe’s card_error, the intent back to requires_payment_method', async () => {
    mock.seedCustomer({ id: 'cus_DECLINE', paymentMethods: [{ id: 'pm_card_chargeDeclined', brand: 'visa', last4: '0002' }] });
    const { status, json } = await stripe('POST', 'payment_intents', tokenPayment('pm_card_chargeDeclined', { customer: 'cus_DECLINE' }));
    expect(status).toBe(402);
    expect(json.error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
      payment_method: { id: 'pm_card_chargeDeclined', card: { last4: '0002' } },
      payment_intent: {
        status: 'requires_payment_method',
        last_payment_error: { code: 'card_declined', message: 'Your card was declined.' },
      },
    });
    expect(json.error.charge).toMatch(/^ch_/);
    expect(json.error.payment_intent.charges.data[0]).toMatchObject({ status: 'failed', failure_code: 'card_declined' });
  });

  it('asks for authentication: requires_action with a next_action', async () => {
    const { status, json } = await stripe('POST', 'payment_intents', tokenPayment('pm_card_authenticationRequired'));
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'requires_action', next_action: { type: 'use_stripe_sdk' } });
    const settled = mock.settlePaymentIntent(json.id, { status: 'succeeded' });
    expect(settled.status).toBe('succeeded');
  });

  it('plays queued outcomes first, for one customer or anyone, then the card’s own', async () => {
    mock.queueOutcome({ status: 'declined', declineCode: 'insufficient_funds' }, { customer: CUSTOMER });
    mock.queueOutcome({ status: 'processing' });
    const declined = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa'));
    expect(declined.status).toBe(402);
    expect(declined.json.error).toMatchObject({ decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    const processing = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa'));
    expect(processing.json.status).toBe('processing');
    const normal = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa'));
    expect(normal.json.status).toBe('succeeded');
  });

  it('replays an Idempotency-Key: same answer, no second charge; other params under the key are refused', async () => {
    mock.queueOutcome({ status: 'declined' });
    const first = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa'), { 'Idempotency-Key': 'tx-1' });
    const replay = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa'), { 'Idempotency-Key': 'tx-1' });
    expect(replay.status).toBe(402); // the stored answer, although the next outcome would succeed
    expect(replay.json).toEqual(first.json);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(mock.paymentIntentsOf(CUSTOMER)).toHaveLength(1);
    const misuse = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa', { amount: 1 }), { 'Idempotency-Key': 'tx-1' });
    expect(misuse.status).toBe(400);
    expect(misuse.json.error.type).toBe('idempotency_error');
    expect(mock.requests.map((r) => r.replayed)).toEqual([false, true, false]);
  });

  it('captures, cancels and refunds', async () => {
    const manual = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa', { capture_method: 'manual' }));
    expect(manual.json).toMatchObject({ status: 'requires_capture', amount_capturable: 12_345 });
    const captured = await stripe('POST', `payment_intents/${manual.json.id}/capture`);
    expect(captured.json).toMatchObject({ status: 'succeeded', amount_received: 12_345 });
    const refund = await stripe('POST', 'refunds', { payment_intent: manual.json.id, amount: 345 });
    expect(refund.json).toMatchObject({ object: 'refund', amount: 345, status: 'succeeded', payment_intent: manual.json.id });
    const list = await stripe('GET', 'refunds', { charge: refund.json.charge, limit: 100 });
    expect(list.json.data.map((r: { id: string }) => r.id)).toEqual([refund.json.id]);
    const tooMuch = await stripe('POST', 'refunds', { payment_intent: manual.json.id, amount: 20_000 });
    expect(tooMuch.json.error.code).toBe('amount_too_large');
    const open = await stripe('POST', 'payment_intents', {
      amount: 500,
      currency: 'cad',
      customer: CUSTOMER,
      payment_method: 'pm_card_visa',
    });
    expect(open.json.status).toBe('requires_confirmation');
    expect((await stripe('POST', `payment_intents/${open.json.id}/cancel`)).json.status).toBe('canceled');
  });
});

describe('stripe mock: webhooks', () => {
  let receiver: Server;
  let received: { signature: string; body: string }[];
  let receiverUrl: string;

  beforeEach(async () => {
    received = [];
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ signature: String(request.headers['stripe-signature']), body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200, { 'Content-Type': 'application/json' }).end('""');
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', () => done()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/payment/stripe/webhook`;
  });

  afterEach(async () => {
    await new Promise((done) => receiver.close(done));
  });

  it('sends payment_intent events signed so that the stripe package verifies them', async () => {
    mock.queueOutcome({ status: 'processing' });
    const { json: intent } = await stripe('POST', 'payment_intents', tokenPayment('pm_card_visa'));
    mock.settlePaymentIntent(intent.id, { status: 'succeeded' });
    const sent = await mock.sendPaymentIntentEvent(receiverUrl, 'payment_intent.succeeded', intent.id);
    expect(sent.status).toBe(200);
    const [{ signature, body }] = received as [{ signature: string; body: string }];
    const event = Stripe.webhooks.constructEvent(body, signature, mock.webhookSecret);
    expect(event.type).toBe('payment_intent.succeeded');
    // Events carry the object unexpanded; Odoo finds the transaction by its description.
    expect(event.data.object).toMatchObject({
      id: intent.id,
      status: 'succeeded',
      description: 'INV/2026/00001',
      payment_method: 'pm_card_visa',
    });
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(() => Stripe.webhooks.constructEvent(body, signature, 'whsec_other')).toThrow();
  });

  it('signs payment_failed events and can sign with another secret to test rejection', async () => {
    const declined = await stripe('POST', 'payment_intents', tokenPayment('pm_card_chargeDeclined'));
    await mock.sendPaymentIntentEvent(receiverUrl, 'payment_intent.payment_failed', declined.json.error.payment_intent.id, {
      secret: 'whsec_wrong',
    });
    const [{ signature, body }] = received as [{ signature: string; body: string }];
    expect(JSON.parse(body).data.object.last_payment_error.decline_code).toBe('generic_decline');
    expect(() => Stripe.webhooks.constructEvent(body, signature, mock.webhookSecret)).toThrow();
  });

  it('hands its signing secret to the webhook endpoint Odoo creates', async () => {
    const { json } = await stripe('POST', 'webhook_endpoints', {
      url: 'https://odoo.test/payment/stripe/webhook',
      'enabled_events[]': 'payment_intent.succeeded',
      api_version: '2019-05-16',
    });
    expect(json).toMatchObject({ object: 'webhook_endpoint', secret: mock.webhookSecret, enabled_events: ['payment_intent.succeeded'] });
  });
});
