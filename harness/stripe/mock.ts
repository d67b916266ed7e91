// A stateful Stripe API mock on 127.0.0.1 for the harness: the endpoints Odoo's payment_stripe
// calls, Stripe's form-encoded params, object shapes (API version 2019-05-16) and error shape,
// scripted charge outcomes, Idempotency-Key replays, a log of every request, and correctly signed
// webhooks (via the `stripe` package) to Odoo's /payment/stripe/webhook.
//
//   const mock = await startStripeMock();
//   mock.seedCustomer({ id: 'cus_LAGO123', email: 'a@b.c', defaultPaymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242' } });
//   mock.queueOutcome({ status: 'declined' }, { customer: 'cus_LAGO123' });   // the next intent of that customer
//   ... point Odoo at mock.baseUrl (fusion_billing_stripe_mock.base_url) ...
//   mock.requests.filter((r) => r.path === '/v1/payment_intents');
//   await mock.sendPaymentIntentEvent(`${odoo}/payment/stripe/webhook`, 'payment_intent.succeeded', piId);
//   await mock.stop();
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { decodeStripeForm, formBoolean, formList, formString, type FormObject } from './form.ts';
import {
  cardErrorFor,
  EMPTY_ADDRESS,
  invalidRequest,
  listOf,
  noSuch,
  paymentMethodJson,
  TEST_PAYMENT_METHODS,
  type CardDetails,
  type CardErrorJson,
  type ChargeJson,
  type ChargeOutcome,
  type CustomerJson,
  type PaymentIntentJson,
  type PaymentMethodJson,
  type RefundJson,
  type SetupIntentJson,
  type StripeErrorBody,
  type WebhookEndpointJson,
} from './objects.ts';

export type { ChargeOutcome, DeclineCode } from './objects.ts';

/** The version payment_stripe pins (const.API_VERSION); answers follow it unless a request says otherwise. */
export const ODOO_STRIPE_API_VERSION = '2019-05-16';
// From this version on, PaymentIntents carry `latest_charge` instead of the `charges` list.
const LATEST_CHARGE_VERSION = '2022-11-15';

export interface StripeMockOptions {
  /** Only this secret key is accepted (any `Bearer sk_…`/`rk_…` otherwise). */
  secretKey?: string;
  /** The signing secret of the webhooks the mock sends (and of the endpoints it "creates"). */
  webhookSecret?: string;
}

export interface SeedPaymentMethod extends CardDetails {
  id: string;
  /** Outcome of charging this card; default: the test card's own, else success. */
  outcome?: ChargeOutcome;
}

export interface SeedCustomer {
  id: string;
  email?: string;
  name?: string;
  /** The card Lago made the customer's default (invoice_settings.default_payment_method). */
  defaultPaymentMethod?: SeedPaymentMethod;
  /** More cards attached to the customer, not default. */
  paymentMethods?: SeedPaymentMethod[];
}

export interface RecordedRequest {
  method: string;
  /** e.g. /v1/payment_intents */
  path: string;
  /** Decoded params: query string merged with the form body (GET requests may carry a body, as `requests` sends it). */
  params: FormObject;
  /** As sent: the query string (without '?') and the form body, for replaying the request elsewhere. */
  query: string;
  body: string;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  status: number;
  /** True when the answer is the stored one of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export interface SentWebhook {
  url: string;
  event: WebhookEvent;
  signature: string;
  status: number;
  body: string;
}

export type PaymentIntentEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.processing'
  | 'payment_intent.canceled'
  | 'payment_intent.amount_capturable_updated';

export interface WebhookEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
  data: { object: unknown };
}

// ------------------------------------------------------------------------------------ state

interface StoredCustomer {
  id: string;
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  address: Stripe.Address;
  created: number;
  defaultPaymentMethod: string | null;
}

interface StoredPaymentMethod {
  id: string;
  card: CardDetails;
  customer: string | null;
  created: number;
  outcome?: ChargeOutcome;
}

interface StoredCharge {
  id: string;
  paymentIntent: string;
  amount: number;
  amountCaptured: number;
  amountRefunded: number;
  currency: string;
  customer: string | null;
  description: string | null;
  paymentMethod: string;
  status: 'succeeded' | 'pending' | 'failed';
  captured: boolean;
  failure: CardErrorJson | null;
  created: number;
}

interface StoredPaymentIntent {
  id: string;
  amount: number;
  amountReceived: number;
  amountCapturable: number;
  currency: string;
  customer: string | null;
  description: string | null;
  paymentMethod: string | null;
  paymentMethodTypes: string[];
  captureMethod: 'automatic' | 'manual';
  setupFutureUsage: 'off_session' | 'on_session' | null;
  status: Stripe.PaymentIntent.Status;
  lastError: CardErrorJson | null;
  charges: string[];
  canceledAt: number | null;
  cancellationReason: Stripe.PaymentIntent.CancellationReason | null;
  metadata: Record<string, string>;
  created: number;
  clientSecret: string;
}

interface StoredRefund {
  id: string;
  amount: number;
  charge: string;
  paymentIntent: string;
  currency: string;
  reason: Stripe.Refund.Reason | null;
  status: 'succeeded' | 'pending' | 'failed';
  created: number;
}

interface StoredSetupIntent {
  id: string;
  customer: string | null;
  description: string | null;
  paymentMethod: string | null;
  paymentMethodTypes: string[];
  status: Stripe.SetupIntent.Status;
  created: number;
  clientSecret: string;
}

interface Answer {
  status: number;
  body: unknown;
}

interface RequestContext {
  method: string;
  path: string;
  params: FormObject;
  apiVersion: string;
  expand: string[];
}

type Handler = (ctx: RequestContext, match: RegExpExecArray) => Answer;

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.error.message);
  }
}

// ------------------------------------------------------------------------------------- mock

export class StripeMock {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Stripe's API root on the mock, e.g. http://127.0.0.1:40123/v1/ (the value of fusion_billing_stripe_mock.base_url). */
  readonly baseUrl: string;
  readonly webhookSecret: string;
  readonly requests: RecordedRequest[] = [];
  readonly webhooksSent: SentWebhook[] = [];

  private readonly customers = new Map<string, StoredCustomer>();
  private readonly paymentMethods = new Map<string, StoredPaymentMethod>();
  private readonly paymentIntents = new Map<string, StoredPaymentIntent>();
  private readonly charges = new Map<string, StoredCharge>();
  private readonly refunds = new Map<string, StoredRefund>();
  private readonly setupIntents = new Map<string, StoredSetupIntent>();
  private readonly webhookEndpoints = new Map<string, WebhookEndpointJson>();
  /** Scripted outcomes: per customer id, and '*' for any customer; consumed first in, first out. */
  private readonly outcomeQueues = new Map<string, ChargeOutcome[]>();
  private readonly idempotent = new Map<string, { fingerprint: string; answer: Answer }>();
  private readonly routes: [string, RegExp, Handler][];

  constructor(
    private readonly server: Server,
    private readonly options: StripeMockOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.baseUrl = `${this.url}/v1/`;
    this.webhookSecret = options.webhookSecret ?? `whsec_mock${randomId(24)}`;
    const id = '([A-Za-z0-9_]+)';
    this.routes = [
      ['POST', /^\/v1\/customers$/, (ctx) => this.createCustomer(ctx)],
      ['GET', new RegExp(`^/v1/customers/${id}$`), (_ctx, m) => ok(this.customerJson(this.customer(m[1]!, 404)))],
      ['POST', new RegExp(`^/v1/customers/${id}$`), (ctx, m) => this.updateCustomer(ctx, m[1]!)],
      ['GET', new RegExp(`^/v1/customers/${id}/payment_methods$`), (ctx, m) => this.listPaymentMethods(ctx, m[1]!, ctx.path)],
      ['GET', /^\/v1\/payment_methods$/, (ctx) => this.listPaymentMethods(ctx, required(ctx.params, 'customer'), ctx.path)],
      ['GET', new RegExp(`^/v1/payment_methods/${id}$`), (_ctx, m) => ok(this.paymentMethodJson(this.paymentMethod(m[1]!, 404)))],
      ['POST', new RegExp(`^/v1/payment_methods/${id}/attach$`), (ctx, m) => this.attachPaymentMethod(ctx, m[1]!)],
      ['POST', /^\/v1\/setup_intents$/, (ctx) => this.createSetupIntent(ctx)],
      ['GET', new RegExp(`^/v1/setup_intents/${id}$`), (ctx, m) => ok(this.setupIntentJson(this.setupIntent(m[1]!), ctx))],
      ['POST', /^\/v1\/payment_intents$/, (ctx) => this.createPaymentIntent(ctx)],
      ['GET', new RegExp(`^/v1/payment_intents/${id}$`), (ctx, m) => ok(this.paymentIntentJson(this.paymentIntent(m[1]!, 404), ctx))],
      ['POST', new RegExp(`^/v1/payment_intents/${id}/confirm$`), (ctx, m) => this.confirmPaymentIntent(ctx, m[1]!)],
      ['POST', new RegExp(`^/v1/payment_intents/${id}/capture$`), (ctx, m) => this.capturePaymentIntent(ctx, m[1]!)],
      ['POST', new RegExp(`^/v1/payment_intents/${id}/cancel$`), (ctx, m) => this.cancelPaymentIntent(ctx, m[1]!)],
      ['POST', /^\/v1\/refunds$/, (ctx) => this.createRefund(ctx)],
      ['GET', /^\/v1\/refunds$/, (ctx) => this.listRefunds(ctx)],
      ['POST', /^\/v1\/webhook_endpoints$/, (ctx) => this.createWebhookEndpoint(ctx)],
      [
        'POST',
        /^\/v1\/apple_pay\/domains$/,
        (ctx) =>
          ok({
            id: newId('apwc'),
            object: 'apple_pay_domain',
            domain_name: formString(ctx.params.domain_name) ?? null,
            livemode: false,
            created: now(),
          }),
      ],
    ];
  }

  // ------------------------------------------------------------------------ the test's API

  /** A customer (and cards) that already exist on the Stripe account, e.g. created by Lago. */
  seedCustomer(seed: SeedCustomer): void {
    const cards = [...(seed.defaultPaymentMethod ? [seed.defaultPaymentMethod] : []), ...(seed.paymentMethods ?? [])];
    this.customers.set(seed.id, {
      id: seed.id,
      email: seed.email ?? null,
      name: seed.name ?? null,
      description: null,
      phone: null,
      address: EMPTY_ADDRESS,
      created: now(),
      defaultPaymentMethod: seed.defaultPaymentMethod?.id ?? null,
    });
    for (const { id, outcome, ...card } of cards) {
      this.paymentMethods.set(id, { id, card, customer: seed.id, created: now(), outcome: outcome ?? TEST_PAYMENT_METHODS[id]?.outcome });
    }
  }

  /**
   * The outcome of the next PaymentIntent confirmed for `customer` (or for anyone), ahead of what
   * its card would do. Queued outcomes are consumed in order.
   */
  queueOutcome(outcome: ChargeOutcome, scope: { customer?: string } = {}): void {
    const key = scope.customer ?? '*';
    this.outcomeQueues.set(key, [...(this.outcomeQueues.get(key) ?? []), outcome]);
  }

  /** The PaymentIntent as Stripe would return it (payment_method expanded). */
  getPaymentIntent(id: string): PaymentIntentJson | undefined {
    const intent = this.paymentIntents.get(id);
    return intent && this.paymentIntentJson(intent, { apiVersion: ODOO_STRIPE_API_VERSION, expand: ['payment_method'] });
  }

  paymentIntentsOf(customer: string): PaymentIntentJson[] {
    return [...this.paymentIntents.keys()].map((id) => this.getPaymentIntent(id)!).filter((pi) => pi.customer === customer);
  }

  /**
   * Finishes a PaymentIntent left `processing` or `requires_action` (the customer authenticated, the
   * bank answered), as Stripe does asynchronously; send the matching event afterwards.
   */
  settlePaymentIntent(id: string, outcome: ChargeOutcome): PaymentIntentJson {
    const intent = this.paymentIntent(id, 404);
    if (!['processing', 'requires_action', 'requires_confirmation'].includes(intent.status)) {
      throw new Error(`payment intent ${id} is ${intent.status}: nothing to settle`);
    }
    this.applyOutcome(intent, outcome);
    return this.getPaymentIntent(id)!;
  }

  /** Requests for `method` and a path starting with `pathPrefix` (e.g. '/v1/payment_intents'). */
  /** Every request answered so far, in order (the control API's view of `requests`). */
  recordedRequests(): RecordedRequest[] {
    return this.requests;
  }

  requestsTo(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  /** Sends a signed Stripe event about a PaymentIntent to `url` (Odoo's /payment/stripe/webhook). */
  sendPaymentIntentEvent(
    url: string,
    type: PaymentIntentEventType,
    paymentIntentId: string,
    options: { timestamp?: number; secret?: string } = {},
  ): Promise<SentWebhook> {
    // Events carry the object unexpanded, at the account's (here: Odoo's) API version.
    const object = this.paymentIntentJson(this.paymentIntent(paymentIntentId, 404), { apiVersion: ODOO_STRIPE_API_VERSION, expand: [] });
    return this.sendEvent(url, type, object, options);
  }

  /** Sends any event object, signed with the webhook secret (or `options.secret`, to test rejection). */
  async sendEvent(url: string, type: string, object: unknown, options: { timestamp?: number; secret?: string } = {}): Promise<SentWebhook> {
    const event: WebhookEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: ODOO_STRIPE_API_VERSION,
      created: now(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object },
    };
    const payload = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? this.webhookSecret,
      timestamp: options.timestamp,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Stripe-Signature': signature,
        'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      },
      body: payload,
    });
    const sent: SentWebhook = { url, event, signature, status: response.status, body: await response.text() };
    this.webhooksSent.push(sent);
    return sent;
  }

  stop(): Promise<void> {
    return new Promise((done) => {
      this.server.closeAllConnections();
      this.server.close(() => done());
    });
  }

  // ---------------------------------------------------------------------------- transport

  /** @internal */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const body = await readBody(request);
    const method = (request.method ?? 'GET').toUpperCase();
    const idempotencyKey = header(request, 'idempotency-key');
    const stripeVersion = header(request, 'stripe-version');
    const params = { ...decodeStripeForm(url.search.slice(1)), ...decodeStripeForm(body) };
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      params,
      query: url.search.slice(1),
      body,
      idempotencyKey,
      stripeVersion,
      status: 0,
      replayed: false,
    };
    this.requests.push(record);

    let answer: Answer;
    const extraHeaders: Record<string, string> = {};
    const authError = this.checkAuthorization(header(request, 'authorization'));
    const stored =
      idempotencyKey && method === 'POST' ? this.idempotent.get(`${header(request, 'authorization')}|${idempotencyKey}`) : undefined;
    const fingerprint = `${method} ${url.pathname} ${JSON.stringify(sortKeys(params))}`;
    if (authError) {
      answer = authError;
    } else if ((header(request, 'content-type') ?? '').includes('application/json')) {
      answer = fail(
        400,
        invalidRequest('Invalid request: Stripe takes form-encoded parameters (application/x-www-form-urlencoded), not JSON.'),
      );
    } else if (stored && stored.fingerprint !== fingerprint) {
      answer = fail(400, {
        error: {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        },
      });
    } else if (stored) {
      answer = stored.answer;
      record.replayed = true;
      extraHeaders['Idempotent-Replayed'] = 'true';
    } else {
      answer = this.dispatch({
        method,
        path: url.pathname,
        params,
        apiVersion: stripeVersion ?? ODOO_STRIPE_API_VERSION,
        expand: formList(params.expand),
      });
      // Stripe stores the result of any request that reached the API, errors included (not 500s).
      if (idempotencyKey && method === 'POST' && answer.status < 500) {
        this.idempotent.set(`${header(request, 'authorization')}|${idempotencyKey}`, { fingerprint, answer });
      }
    }
    record.status = answer.status;
    const text = JSON.stringify(answer.body, null, 2);
    response.writeHead(answer.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Request-Id': newId('req'),
      'Stripe-Version': stripeVersion ?? ODOO_STRIPE_API_VERSION,
      ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
      ...extraHeaders,
    });
    response.end(text);
  }

  private checkAuthorization(authorization: string | null): Answer | undefined {
    const key = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!key) {
      return fail(
        401,
        invalidRequest(
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ),
      );
    }
    if (!/^(sk|rk)_/.test(key) || (this.options.secretKey && key !== this.options.secretKey)) {
      return fail(
        401,
        invalidRequest(`Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`, {
          code: 'api_key_invalid',
        }),
      );
    }
    return undefined;
  }

  private dispatch(ctx: RequestContext): Answer {
    for (const [method, pattern, handler] of this.routes) {
      const match = method === ctx.method ? pattern.exec(ctx.path) : null;
      if (!match) continue;
      try {
        return handler(ctx, match);
      } catch (error) {
        if (error instanceof StripeFailure) return fail(error.status, error.body);
        throw error;
      }
    }
    return fail(404, invalidRequest(`Unrecognized request URL (${ctx.method}: ${ctx.path}).`));
  }

  // ---------------------------------------------------------------------------- customers

  private createCustomer(ctx: RequestContext): Answer {
    const address = ctx.params.address;
    const customer: StoredCustomer = {
      id: newId('cus', 14),
      email: formString(ctx.params.email) ?? null,
      name: formString(ctx.params.name) ?? null,
      description: formString(ctx.params.description) ?? null,
      phone: formString(ctx.params.phone) ?? null,
      address:
        address && typeof address === 'object' && !Array.isArray(address)
          ? { ...EMPTY_ADDRESS, ...Object.fromEntries(Object.entries(address).map(([k, v]) => [k, formString(v) ?? null])) }
          : EMPTY_ADDRESS,
      created: now(),
      defaultPaymentMethod: null,
    };
    const pm = formString(ctx.params.payment_method);
    this.customers.set(customer.id, customer);
    if (pm) this.attach(this.paymentMethod(pm, 400, 'payment_method'), customer.id);
    return ok(this.customerJson(customer));
  }

  private updateCustomer(ctx: RequestContext, id: string): Answer {
    const customer = this.customer(id, 404);
    for (const field of ['email', 'name', 'description', 'phone'] as const) {
      if (field in ctx.params) customer[field] = formString(ctx.params[field]) ?? null;
    }
    const settings = ctx.params.invoice_settings;
    if (settings && typeof settings === 'object' && !Array.isArray(settings) && 'default_payment_method' in settings) {
      const pm = formString(settings.default_payment_method);
      if (pm && this.paymentMethod(pm, 400, 'invoice_settings[default_payment_method]').customer !== id) {
        throw new StripeFailure(
          400,
          invalidRequest(
            `No such PaymentMethod: '${pm}'; It's possible this PaymentMethod exists on one of your connected accounts, in which case you should retry this request on that connected account.`,
            { code: 'resource_missing', param: 'invoice_settings[default_payment_method]' },
          ),
        );
      }
      customer.defaultPaymentMethod = pm ?? null;
    }
    return ok(this.customerJson(customer));
  }

  private customer(id: string, status: 400 | 404, param?: string): StoredCustomer {
    const customer = this.customers.get(id);
    if (!customer) throw new StripeFailure(status, noSuch('customer', id, status === 404 ? 'id' : param));
    return customer;
  }

  private customerJson(customer: StoredCustomer): CustomerJson {
    return {
      id: customer.id,
      object: 'customer',
      created: customer.created,
      livemode: false,
      email: customer.email,
      name: customer.name,
      description: customer.description,
      phone: customer.phone,
      address: customer.address,
      metadata: {},
      balance: 0,
      default_source: null,
      shipping: null,
      invoice_settings: { default_payment_method: customer.defaultPaymentMethod, custom_fields: null, footer: null },
    };
  }

  // ------------------------------------------------------------------------ payment methods

  private listPaymentMethods(ctx: RequestContext, customerId: string, url: string): Answer {
    this.customer(customerId, url.startsWith('/v1/customers/') ? 404 : 400, 'customer');
    const type = formString(ctx.params.type);
    const limit = Math.min(Math.max(Number(formString(ctx.params.limit) ?? 10) || 10, 1), 100);
    // Newest first, like Stripe's lists.
    const all = [...this.paymentMethods.values()].filter((pm) => pm.customer === customerId && (!type || type === 'card')).reverse();
    return ok(
      listOf(
        url,
        all.slice(0, limit).map((pm) => this.paymentMethodJson(pm)),
        all.length > limit,
      ),
    );
  }

  private attachPaymentMethod(ctx: RequestContext, id: string): Answer {
    const customer = this.customer(required(ctx.params, 'customer'), 400, 'customer');
    const pm = this.paymentMethod(id, 404);
    this.attach(pm, customer.id);
    return ok(this.paymentMethodJson(this.paymentMethods.get(pm.id)!));
  }

  private attach(pm: StoredPaymentMethod, customer: string): void {
    this.paymentMethods.set(pm.id, { ...pm, customer });
  }

  /** A stored card, or one of Stripe's test cards (usable by id without being attached). */
  private paymentMethod(id: string, status: 400 | 404, param?: string): StoredPaymentMethod {
    const stored = this.paymentMethods.get(id);
    if (stored) return stored;
    const test = TEST_PAYMENT_METHODS[id];
    if (test) return { id, card: test.card, customer: null, created: now(), outcome: test.outcome };
    throw new StripeFailure(status, noSuch('PaymentMethod', id, status === 404 ? undefined : param));
  }

  private paymentMethodJson(pm: StoredPaymentMethod): PaymentMethodJson {
    return paymentMethodJson(
      pm.id,
      pm.card,
      pm.customer,
      pm.created,
      pm.customer ? (this.customers.get(pm.customer)?.email ?? null) : null,
    );
  }

  // ------------------------------------------------------------------------- setup intents

  private createSetupIntent(ctx: RequestContext): Answer {
    const customer = formString(ctx.params.customer);
    if (customer) this.customer(customer, 400, 'customer');
    const id = newId('seti');
    const intent: StoredSetupIntent = {
      id,
      customer: customer ?? null,
      description: formString(ctx.params.description) ?? null,
      paymentMethod: null,
      paymentMethodTypes: formList(ctx.params.payment_method_types).length ? formList(ctx.params.payment_method_types) : ['card'],
      status: 'requires_payment_method',
      created: now(),
      clientSecret: `${id}_secret_${randomId(24)}`,
    };
    this.setupIntents.set(id, intent);
    return ok(this.setupIntentJson(intent, ctx));
  }

  private setupIntent(id: string): StoredSetupIntent {
    const intent = this.setupIntents.get(id);
    if (!intent) throw new StripeFailure(404, noSuch('setupintent', id, 'intent'));
    return intent;
  }

  private setupIntentJson(intent: StoredSetupIntent, ctx: Pick<RequestContext, 'expand'>): SetupIntentJson {
    const pm = intent.paymentMethod ? this.paymentMethod(intent.paymentMethod, 404) : null;
    return {
      id: intent.id,
      object: 'setup_intent',
      client_secret: intent.clientSecret,
      created: intent.created,
      customer: intent.customer,
      description: intent.description,
      livemode: false,
      metadata: {},
      payment_method: pm ? (ctx.expand.includes('payment_method') ? this.paymentMethodJson(pm) : pm.id) : null,
      payment_method_types: intent.paymentMethodTypes,
      status: intent.status,
      usage: 'off_session',
    };
  }

  // ----------------------------------------------------------------------- payment intents

  private createPaymentIntent(ctx: RequestContext): Answer {
    const { params } = ctx;
    const amountText = required(params, 'amount');
    const amount = Number(amountText);
    if (!/^\d+$/.test(amountText) || amount < 1) {
      throw new StripeFailure(
        400,
        invalidRequest(`Invalid integer: ${amountText}`, { code: 'parameter_invalid_integer', param: 'amount' }),
      );
    }
    const currency = required(params, 'currency');
    if (!/^[a-z]{3}$/.test(currency)) throw new StripeFailure(400, invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' }));
    const customer = formString(params.customer);
    if (customer) this.customer(customer, 400, 'customer');
    const paymentMethod = formString(params.payment_method);
    if (paymentMethod) this.paymentMethod(paymentMethod, 400, 'payment_method');
    const id = newId('pi');
    const captureMethod = formString(params.capture_method) === 'manual' ? 'manual' : 'automatic';
    const setupFutureUsage = formString(params.setup_future_usage);
    const intent: StoredPaymentIntent = {
      id,
      amount,
      amountReceived: 0,
      amountCapturable: 0,
      currency,
      customer: customer ?? null,
      description: formString(params.description) ?? null,
      paymentMethod: paymentMethod ?? null,
      paymentMethodTypes: formList(params.payment_method_types).length ? formList(params.payment_method_types) : ['card'],
      captureMethod,
      setupFutureUsage: setupFutureUsage === 'off_session' || setupFutureUsage === 'on_session' ? setupFutureUsage : null,
      status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
      lastError: null,
      charges: [],
      canceledAt: null,
      cancellationReason: null,
      metadata: metadataOf(params),
      created: now(),
      clientSecret: `${id}_secret_${randomId(24)}`,
    };
    this.paymentIntents.set(id, intent);
    return formBoolean(params.confirm) ? this.confirm(intent, ctx) : ok(this.paymentIntentJson(intent, ctx));
  }

  private confirmPaymentIntent(ctx: RequestContext, id: string): Answer {
    const intent = this.paymentIntent(id, 404);
    const paymentMethod = formString(ctx.params.payment_method);
    if (paymentMethod) intent.paymentMethod = this.paymentMethod(paymentMethod, 400, 'payment_method').id;
    if (!['requires_confirmation', 'requires_payment_method', 'requires_action'].includes(intent.status)) {
      throw new StripeFailure(400, {
        error: {
          type: 'invalid_request_error',
          code: 'payment_intent_unexpected_state',
          message: `This PaymentIntent's status is ${intent.status}, but must be one of requires_confirmation, requires_payment_method or requires_action to be confirmed.`,
          payment_intent: this.paymentIntentJson(intent, ctx),
        },
      });
    }
    return this.confirm(intent, ctx);
  }

  private confirm(intent: StoredPaymentIntent, ctx: RequestContext): Answer {
    if (!intent.paymentMethod) {
      throw new StripeFailure(
        400,
        invalidRequest(
          "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
          { code: 'payment_intent_unexpected_state' },
        ),
      );
    }
    const pm = this.paymentMethod(intent.paymentMethod, 400, 'payment_method');
    const outcome = this.nextOutcome(intent.customer) ?? pm.outcome ?? { status: 'succeeded' };
    this.applyOutcome(intent, outcome);
    if (intent.status === 'requires_payment_method' && intent.lastError) {
      // A decline answers 402 with the card error, the charge, the card and the PaymentIntent.
      return fail(402, { error: { ...this.lastErrorJson(intent)!, payment_intent: this.paymentIntentJson(intent, ctx) } });
    }
    return ok(this.paymentIntentJson(intent, ctx));
  }

  private nextOutcome(customer: string | null): ChargeOutcome | undefined {
    for (const key of [customer, '*']) {
      const queue = key ? this.outcomeQueues.get(key) : undefined;
      if (queue?.length) return queue.shift();
    }
    return undefined;
  }

  private applyOutcome(intent: StoredPaymentIntent, outcome: ChargeOutcome): void {
    const charge = (status: StoredCharge['status'], failure: CardErrorJson | null): StoredCharge => {
      const stored: StoredCharge = {
        id: newId('ch'),
        paymentIntent: intent.id,
        amount: intent.amount,
        amountCaptured: status === 'succeeded' && intent.captureMethod === 'automatic' ? intent.amount : 0,
        amountRefunded: 0,
        currency: intent.currency,
        customer: intent.customer,
        description: intent.description,
        paymentMethod: intent.paymentMethod!,
        status,
        captured: status === 'succeeded' && intent.captureMethod === 'automatic',
        failure,
        created: now(),
      };
      this.charges.set(stored.id, stored);
      intent.charges.push(stored.id);
      return stored;
    };
    intent.lastError = null;
    switch (outcome.status) {
      case 'succeeded': {
        charge('succeeded', null);
        if (intent.captureMethod === 'manual') {
          intent.status = 'requires_capture';
          intent.amountCapturable = intent.amount;
        } else {
          intent.status = 'succeeded';
          intent.amountReceived = intent.amount;
        }
        return;
      }
      case 'declined': {
        const failure = cardErrorFor(outcome.declineCode ?? 'generic_decline', outcome.message);
        const failed = charge('failed', failure);
        intent.lastError = { ...failure, charge: failed.id };
        intent.status = 'requires_payment_method';
        return;
      }
      case 'requires_action':
        intent.status = 'requires_action';
        return;
      case 'processing':
        charge('pending', null);
        intent.status = 'processing';
        return;
    }
  }

  private capturePaymentIntent(ctx: RequestContext, id: string): Answer {
    const intent = this.paymentIntent(id, 404);
    if (intent.status !== 'requires_capture') {
      throw new StripeFailure(
        400,
        invalidRequest(
          `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
          { code: 'payment_intent_unexpected_state' },
        ),
      );
    }
    const toCapture = Number(formString(ctx.params.amount_to_capture) ?? intent.amountCapturable);
    const charge = this.charges.get(intent.charges.at(-1)!)!;
    charge.captured = true;
    charge.amountCaptured = toCapture;
    intent.amountReceived = toCapture;
    intent.amountCapturable = 0;
    intent.status = 'succeeded';
    return ok(this.paymentIntentJson(intent, ctx));
  }

  private cancelPaymentIntent(ctx: RequestContext, id: string): Answer {
    const intent = this.paymentIntent(id, 404);
    if (['succeeded', 'canceled'].includes(intent.status)) {
      throw new StripeFailure(
        400,
        invalidRequest(
          `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
          { code: 'payment_intent_unexpected_state' },
        ),
      );
    }
    intent.status = 'canceled';
    intent.canceledAt = now();
    intent.amountCapturable = 0;
    intent.cancellationReason = (formString(ctx.params.cancellation_reason) as Stripe.PaymentIntent.CancellationReason | undefined) ?? null;
    return ok(this.paymentIntentJson(intent, ctx));
  }

  private paymentIntent(id: string, status: 400 | 404): StoredPaymentIntent {
    const intent = this.paymentIntents.get(id);
    if (!intent) throw new StripeFailure(status, noSuch('payment_intent', id, status === 404 ? 'intent' : 'payment_intent'));
    return intent;
  }

  private lastErrorJson(intent: StoredPaymentIntent): PaymentIntentJson['last_payment_error'] {
    if (!intent.lastError) return null;
    const pm = intent.paymentMethod ? this.paymentMethod(intent.paymentMethod, 404) : null;
    return { ...intent.lastError, ...(pm ? { payment_method: this.paymentMethodJson(pm) } : {}) };
  }

  private paymentIntentJson(intent: StoredPaymentIntent, ctx: Pick<RequestContext, 'apiVersion' | 'expand'>): PaymentIntentJson {
    const pm = intent.paymentMethod ? this.paymentMethod(intent.paymentMethod, 404) : null;
    const charges = intent.charges.map((id) => this.chargeJson(this.charges.get(id)!));
    const json: PaymentIntentJson = {
      id: intent.id,
      object: 'payment_intent',
      amount: intent.amount,
      amount_capturable: intent.amountCapturable,
      amount_received: intent.amountReceived,
      canceled_at: intent.canceledAt,
      cancellation_reason: intent.cancellationReason,
      capture_method: intent.captureMethod,
      client_secret: intent.clientSecret,
      confirmation_method: 'automatic',
      created: intent.created,
      currency: intent.currency,
      customer: intent.customer,
      description: intent.description,
      last_payment_error: this.lastErrorJson(intent),
      livemode: false,
      metadata: intent.metadata,
      next_action:
        intent.status === 'requires_action'
          ? {
              type: 'use_stripe_sdk',
              use_stripe_sdk: {
                type: 'three_d_secure_redirect',
                stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${intent.id}`,
              },
            }
          : null,
      payment_method: pm ? (ctx.expand.includes('payment_method') ? this.paymentMethodJson(pm) : pm.id) : null,
      payment_method_types: intent.paymentMethodTypes,
      setup_future_usage: intent.setupFutureUsage,
      status: intent.status,
    };
    // Stripe lists charges newest first.
    if (ctx.apiVersion < LATEST_CHARGE_VERSION) json.charges = listOf(`/v1/charges?payment_intent=${intent.id}`, charges.reverse());
    else json.latest_charge = intent.charges.at(-1) ?? null;
    return json;
  }

  private chargeJson(charge: StoredCharge): ChargeJson {
    const pm = this.paymentMethod(charge.paymentMethod, 404);
    const refunds = [...this.refunds.values()].filter((r) => r.charge === charge.id).reverse();
    return {
      id: charge.id,
      object: 'charge',
      amount: charge.amount,
      amount_captured: charge.amountCaptured,
      amount_refunded: charge.amountRefunded,
      captured: charge.captured,
      created: charge.created,
      currency: charge.currency,
      customer: charge.customer,
      description: charge.description,
      failure_code: charge.failure?.code ?? null,
      failure_message: charge.failure?.message ?? null,
      livemode: false,
      metadata: {},
      outcome: charge.failure
        ? {
            network_status: 'declined_by_network',
            reason: charge.failure.decline_code,
            risk_level: 'normal',
            seller_message: 'The bank did not return any further details with this decline.',
            type: 'issuer_declined',
          }
        : {
            network_status: 'approved_by_network',
            reason: null,
            risk_level: 'normal',
            seller_message: 'Payment complete.',
            type: 'authorized',
          },
      paid: charge.status === 'succeeded',
      payment_intent: charge.paymentIntent,
      payment_method: charge.paymentMethod,
      payment_method_details: {
        type: 'card',
        card: {
          brand: pm.card.brand,
          last4: pm.card.last4,
          exp_month: pm.card.expMonth ?? 12,
          exp_year: pm.card.expYear ?? new Date().getUTCFullYear() + 3,
          country: pm.card.country ?? 'US',
          funding: pm.card.funding ?? 'credit',
          network: pm.card.brand,
          mandate: null,
        },
      },
      refunded: charge.amountRefunded > 0 && charge.amountRefunded === charge.amountCaptured,
      refunds: listOf(
        `/v1/charges/${charge.id}/refunds`,
        refunds.map((r) => this.refundJson(r)),
      ),
      status: charge.status,
    };
  }

  // ------------------------------------------------------------------------------- refunds

  private createRefund(ctx: RequestContext): Answer {
    const intentId = formString(ctx.params.payment_intent);
    const chargeId = formString(ctx.params.charge);
    let charge: StoredCharge | undefined;
    if (intentId) {
      const intent = this.paymentIntent(intentId, 400);
      charge = intent.charges.map((id) => this.charges.get(id)!).find((c) => c.status === 'succeeded' && c.captured);
      if (!charge)
        throw new StripeFailure(
          400,
          invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, {
            code: 'charge_not_refundable',
          }),
        );
    } else if (chargeId) {
      charge = this.charges.get(chargeId);
      if (!charge) throw new StripeFailure(400, noSuch('charge', chargeId, 'charge'));
    } else {
      throw new StripeFailure(
        400,
        invalidRequest('One of the following params should be provided for this request: payment_intent or charge.'),
      );
    }
    const remaining = charge.amountCaptured - charge.amountRefunded;
    const amount = Number(formString(ctx.params.amount) ?? remaining);
    if (!Number.isInteger(amount) || amount < 1)
      throw new StripeFailure(400, invalidRequest(`Invalid positive integer`, { param: 'amount' }));
    if (amount > remaining) {
      throw new StripeFailure(
        400,
        invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, {
          code: 'amount_too_large',
          param: 'amount',
        }),
      );
    }
    charge.amountRefunded += amount;
    const reason = formString(ctx.params.reason) as Stripe.Refund.Reason | undefined;
    const refund: StoredRefund = {
      id: newId('re'),
      amount,
      charge: charge.id,
      paymentIntent: charge.paymentIntent,
      currency: charge.currency,
      reason: reason ?? null,
      status: 'succeeded',
      created: now(),
    };
    this.refunds.set(refund.id, refund);
    return ok(this.refundJson(refund));
  }

  private listRefunds(ctx: RequestContext): Answer {
    const charge = formString(ctx.params.charge);
    const intent = formString(ctx.params.payment_intent);
    const limit = Math.min(Math.max(Number(formString(ctx.params.limit) ?? 10) || 10, 1), 100);
    let all = [...this.refunds.values()]
      .filter((r) => (!charge || r.charge === charge) && (!intent || r.paymentIntent === intent))
      .reverse();
    const after = formString(ctx.params.starting_after);
    if (after) all = all.slice(all.findIndex((r) => r.id === after) + 1);
    return ok(
      listOf(
        '/v1/refunds',
        all.slice(0, limit).map((r) => this.refundJson(r)),
        all.length > limit,
      ),
    );
  }

  private refundJson(refund: StoredRefund): RefundJson {
    return {
      id: refund.id,
      object: 'refund',
      amount: refund.amount,
      charge: refund.charge,
      created: refund.created,
      currency: refund.currency,
      metadata: {},
      payment_intent: refund.paymentIntent,
      reason: refund.reason,
      status: refund.status,
    };
  }

  // ---------------------------------------------------------------------- webhook endpoints

  private createWebhookEndpoint(ctx: RequestContext): Answer {
    const url = required(ctx.params, 'url');
    const endpoint: WebhookEndpointJson = {
      id: newId('we'),
      object: 'webhook_endpoint',
      api_version: formString(ctx.params.api_version) ?? null,
      created: now(),
      enabled_events: formList(ctx.params.enabled_events),
      livemode: false,
      // Every endpoint signs with the mock's one secret, so that sendEvent verifies in Odoo.
      secret: this.webhookSecret,
      status: 'enabled',
      url,
    };
    this.webhookEndpoints.set(endpoint.id, endpoint);
    return ok(endpoint);
  }
}

/** Starts a mock on a free port of 127.0.0.1. */
export async function startStripeMock(options: StripeMockOptions = {}): Promise<StripeMock> {
  let mock: StripeMock | undefined;
  const server = createServer((request, response) => {
    mock!.handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ error: { type: 'api_error', message: `Stripe mock failure: ${(error as Error).message}` } }));
    });
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => listening());
  });
  mock = new StripeMock(server, options);
  return mock;
}

// ---------------------------------------------------------------------------------- helpers

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function fail(status: number, body: StripeErrorBody): Answer {
  return { status, body };
}

function required(params: FormObject, name: string): string {
  const value = formString(params[name]);
  if (value === undefined)
    throw new StripeFailure(400, invalidRequest(`Missing required param: ${name}.`, { code: 'parameter_missing', param: name }));
  return value;
}

function metadataOf(params: FormObject): Record<string, string> {
  const metadata = params.metadata;
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return {};
  return Object.fromEntries(Object.entries(metadata).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((done, failed) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    request.on('error', failed);
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  return value;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomId(length: number): string {
  return [...randomBytes(length)].map((byte) => BASE62[byte % 62]).join('');
}

function newId(prefix: string, length = 24): string {
  return `${prefix}_${randomId(length)}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
