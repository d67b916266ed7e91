// The harness's view of fusion_billing's Lago-shaped API (/api/v1, bearer service key).
//
// Every typed call goes through Lago's official `lago-javascript-client`, exactly as an
// application that moved from Lago would make it; this wrapper only turns the official client's
// thrown error responses into `{status, body}` values (read with its `getLagoError`), because
// the scenarios assert on refusals as much as on successes. `request()` sends raw HTTP: the
// official client can only send well-formed requests of its own types, and the scenarios also
// need malformed JSON, oversized bodies and missing or wrong keys.
import { Client, getLagoError, type Api } from 'lago-javascript-client';
import type * as Lago from 'lago-javascript-client';

export interface LagoErrorBody {
  status: number;
  error: string;
  code?: string;
  /** Field → error codes; for a batch, index → field → error codes. */
  error_details?: Record<string, string[] | Record<string, string[]>>;
  request_id?: string;
}

export interface LagoResponse<T> {
  status: number;
  /** T on 200, LagoErrorBody otherwise (or the raw text when the answer was not JSON). */
  body: T | LagoErrorBody;
}

export type LagoEventInput = Lago.EventInputObject;
export type LagoEvent = Lago.EventObject;
export type LagoCustomerInput = Lago.CustomerCreateInput['customer'];
export type LagoCustomer = Lago.CustomerObjectExtended;
export type LagoSubscriptionInput = Lago.SubscriptionCreateInput['subscription'];
export type LagoSubscription = Lago.SubscriptionObjectExtended;
export type LagoCustomerUsage = Lago.CustomerUsageObject;
export type LagoInvoice = Lago.InvoiceObjectExtended;
export type LagoPageMeta = Lago.PaginationMeta;
export type LagoBillableMetric = Lago.BillableMetricObject;
export type LagoPlan = Lago.PlanObject;

export interface PageQuery {
  page?: number;
  per_page?: number;
}

export interface RawRequest {
  /** Sent as is when a string (malformed JSON, oversized bodies), else JSON-encoded. */
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  /** Overrides the client's key for this call; null sends no Authorization header. */
  apiKey?: string | null;
}

export interface LagoClientOptions {
  /** The Odoo server, e.g. http://127.0.0.1:8069 (the API lives under /api/v1). */
  baseUrl: string;
  apiKey: string;
  basePath?: string;
  /** Sent with every request (e.g. X-Odoo-Database, as a reverse proxy may add). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** An official client for the API at `options` (what an application configures: base URL and key). */
export function officialClient(options: LagoClientOptions): Api<unknown> {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return Client(options.apiKey, {
    baseUrl: `${options.baseUrl.replace(/\/+$/, '')}${options.basePath ?? '/api/v1'}`,
    baseApiParams: { headers: { ...options.headers } },
    customFetch: (input, init) => fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) }),
  });
}

/** The official client's result as `{status, body}`: its thrown error responses become values. */
export async function settle<T>(call: Promise<Lago.HttpResponse<T, unknown>>): Promise<LagoResponse<T>> {
  try {
    const response = await call;
    return { status: response.status, body: response.data };
  } catch (error) {
    if (error instanceof Response) {
      // getLagoError gives the parsed error body; a body that was not JSON comes back as the
      // parser's SyntaxError, and the raw text is not recoverable from the official client.
      const body = await getLagoError<unknown>(error).catch((reason) => reason);
      return { status: error.status, body: (body instanceof Error ? `non-JSON answer (${body.message})` : body) as LagoErrorBody };
    }
    throw error;
  }
}

const id = encodeURIComponent;

export class LagoClient {
  /** The official client, for calls this wrapper does not name. */
  readonly official: Api<unknown>;

  constructor(private readonly options: LagoClientOptions) {
    this.official = officialClient(options);
  }

  /** The same server with another service's key. */
  withKey(apiKey: string): LagoClient {
    return new LagoClient({ ...this.options, apiKey });
  }

  /** The same server and key, sending these headers with every request too. */
  withHeaders(headers: Record<string, string>): LagoClient {
    return new LagoClient({ ...this.options, headers: { ...this.options.headers, ...headers } });
  }

  createEvent(event: LagoEventInput): Promise<LagoResponse<Lago.EventCreated>> {
    return settle(this.official.events.createEvent({ event }));
  }

  createEventsBatch(events: LagoEventInput[]): Promise<LagoResponse<Lago.EventsCreated>> {
    return settle(this.official.events.createBatchEvents({ events }));
  }

  upsertCustomer(customer: LagoCustomerInput): Promise<LagoResponse<Lago.Customer>> {
    return settle(this.official.customers.createCustomer({ customer }));
  }

  currentUsage(externalCustomerId: string, externalSubscriptionId: string, options: { applyTaxes?: boolean } = {}) {
    return settle(
      this.official.customers.findCustomerCurrentUsage(id(externalCustomerId), {
        external_subscription_id: externalSubscriptionId,
        ...(options.applyTaxes === undefined ? {} : { apply_taxes: options.applyTaxes }),
      }),
    );
  }

  createSubscription(subscription: LagoSubscriptionInput) {
    return settle(this.official.subscriptions.createSubscription({ subscription }));
  }

  findSubscription(externalId: string, query: { status?: 'active' | 'terminated' | 'pending' | 'canceled' } = {}) {
    return settle(this.official.subscriptions.findSubscription(id(externalId), query));
  }

  updateSubscription(externalId: string, subscription: Lago.SubscriptionUpdateInput['subscription']) {
    return settle(this.official.subscriptions.updateSubscription(id(externalId), { subscription }));
  }

  terminateSubscription(externalId: string) {
    return settle(this.official.subscriptions.destroySubscription(id(externalId)));
  }

  listInvoices(query: PageQuery & { external_customer_id?: string } = {}) {
    return settle(this.official.invoices.findAllInvoices(query));
  }

  listBillableMetrics(query: PageQuery = {}) {
    return settle(this.official.billableMetrics.findAllBillableMetrics(query));
  }

  listPlans(query: PageQuery = {}) {
    return settle(this.official.plans.findAllPlans(query));
  }

  /** Any call, including deliberately bad ones the official client cannot send. */
  async request<T = unknown>(method: string, path: string, raw: RawRequest = {}): Promise<LagoResponse<T>> {
    const { url, init } = lagoRequest(this.options, method, path, raw);
    const fetchImpl = this.options.fetch ?? fetch;
    const response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    return { status: response.status, body: decodeBody<T>(await response.text()) };
  }
}

/** The HTTP request of a raw API call (exported for the encoding tests). */
export function lagoRequest(
  options: Pick<LagoClientOptions, 'baseUrl' | 'apiKey' | 'basePath' | 'headers'>,
  method: string,
  path: string,
  raw: RawRequest = {},
): { url: string; init: RequestInit & { headers: Record<string, string> } } {
  const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}${options.basePath ?? '/api/v1'}${path}`);
  for (const [name, value] of Object.entries(raw.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { Accept: 'application/json' };
  const key = raw.apiKey === undefined ? options.apiKey : raw.apiKey;
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (raw.body !== undefined) {
    body = typeof raw.body === 'string' ? raw.body : JSON.stringify(raw.body);
    headers['Content-Type'] = 'application/json';
  }
  return { url: url.toString(), init: { method, headers: { ...headers, ...options.headers, ...raw.headers }, body } };
}

function decodeBody<T>(text: string): T | LagoErrorBody {
  try {
    return JSON.parse(text) as T;
  } catch {
    // Not JSON (a proxy page, an empty answer): keep the text for the assertion message.
    return text as unknown as T;
  }
}

/** The body of a 200 answer; anything else throws with the status and body, for readable failures. */
export function okBody<T>(response: LagoResponse<T>, what = 'request'): T {
  if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 800)}`);
  return response.body as T;
}

export function isLagoError(body: unknown): body is LagoErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as LagoErrorBody).status === 'number' &&
    typeof (body as LagoErrorBody).error === 'string'
  );
}
