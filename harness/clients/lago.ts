// A typed client for fusion_billing's Lago-shaped REST API (/api/v1, bearer service key).
// Every call answers {status, body} and never throws on an HTTP error: the scenarios assert on
// refusals as much as on successes. Shapes follow lago-anchors.md §1 (Lago's serializers).

export interface LagoErrorBody {
  status: number;
  error: string;
  code?: string;
  /** Field → error codes; for a batch, index → field → error codes. */
  error_details?: Record<string, string[] | Record<string, string[]>>;
}

export interface LagoResponse<T> {
  status: number;
  /** T on 200, LagoErrorBody otherwise (or the raw text when the answer was not JSON). */
  body: T | LagoErrorBody;
}

export interface LagoEventInput {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  /** Unix seconds (decimals for milliseconds); the time of receipt when absent. */
  timestamp?: number | string;
  properties?: Record<string, string | number | boolean | null>;
}

export interface LagoEvent {
  lago_id: string;
  transaction_id: string;
  lago_customer_id: string | null;
  code: string;
  timestamp: string;
  properties: Record<string, unknown>;
  lago_subscription_id: string | null;
  external_subscription_id: string;
  created_at: string;
}

export interface LagoCustomerInput {
  external_id: string;
  name?: string;
  email?: string;
  phone?: string;
  address_line1?: string;
  address_line2?: string;
  city?: string;
  zipcode?: string;
  state?: string;
  country?: string;
  timezone?: string;
  currency?: string;
  legal_name?: string;
  tax_identification_number?: string;
}

export interface LagoCustomer {
  lago_id: string;
  external_id: string;
  name: string;
  country: string | null;
  state: string | null;
  city: string | null;
  zipcode: string | null;
  email: string | null;
  currency: string;
  timezone: string | null;
  applicable_timezone: string;
  created_at: string;
  [field: string]: unknown;
}

export interface LagoSubscriptionInput {
  external_customer_id: string;
  plan_code: string;
  external_id: string;
  name?: string;
  billing_time?: 'calendar' | 'anniversary';
  /** ISO 8601. */
  subscription_at?: string;
}

export interface LagoSubscription {
  lago_id: string;
  external_id: string;
  lago_customer_id: string;
  external_customer_id: string | null;
  name: string | null;
  plan_code: string;
  status: 'active' | 'terminated' | 'pending' | 'canceled';
  billing_time: 'calendar' | 'anniversary';
  subscription_at: string | null;
  started_at: string | null;
  terminated_at: string | null;
  created_at: string;
}

export interface LagoChargeUsage {
  /** Decimal text. */
  units: string;
  events_count: number;
  amount_cents: number;
  amount_currency: string;
  charge: { lago_id: string; charge_model: string; invoice_display_name: string };
  billable_metric: { lago_id: string; name: string; code: string; aggregation_type: string };
  filters: unknown[];
  grouped_usage: unknown[];
}

export interface LagoCustomerUsage {
  from_datetime: string;
  to_datetime: string;
  issuing_date: string;
  lago_invoice_id: string | null;
  currency: string;
  amount_cents: number;
  taxes_amount_cents: number;
  total_amount_cents: number;
  charges_usage: LagoChargeUsage[];
}

export interface LagoInvoice {
  lago_id: string;
  number: string;
  issuing_date: string | null;
  payment_due_date: string | null;
  invoice_type: string;
  status: 'draft' | 'finalized' | 'voided';
  payment_status: 'pending' | 'succeeded' | 'failed';
  currency: string;
  fees_amount_cents: number;
  taxes_amount_cents: number;
  sub_total_excluding_taxes_amount_cents: number;
  sub_total_including_taxes_amount_cents: number;
  total_amount_cents: number;
  created_at: string;
}

export interface LagoPageMeta {
  current_page: number;
  next_page: number | null;
  prev_page: number | null;
  total_pages: number;
  total_count: number;
}

export interface LagoBillableMetric {
  lago_id: string;
  name: string;
  code: string;
  aggregation_type: string;
  recurring: boolean;
  field_name: string | null;
  filters: { key: string; values: string[] }[];
  [field: string]: unknown;
}

export interface LagoPlan {
  lago_id: string;
  name: string;
  code: string;
  interval: string;
  amount_cents: number;
  amount_currency: string;
  charges: { code: string; billable_metric_code: string; charge_model: string; properties: Record<string, unknown>; [field: string]: unknown }[];
  [field: string]: unknown;
}

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

export class LagoClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: LagoClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The same server with another service's key. */
  withKey(apiKey: string): LagoClient {
    return new LagoClient({ ...this.options, apiKey });
  }

  /** The same server and key, sending these headers with every request too. */
  withHeaders(headers: Record<string, string>): LagoClient {
    return new LagoClient({ ...this.options, headers: { ...this.options.headers, ...headers } });
  }

  createEvent(event: LagoEventInput): Promise<LagoResponse<{ event: LagoEvent }>> {
    return this.request('POST', '/events', { body: { event } });
  }

  createEventsBatch(events: LagoEventInput[]): Promise<LagoResponse<{ events: LagoEvent[] }>> {
    return this.request('POST', '/events/batch', { body: { events } });
  }

  upsertCustomer(customer: LagoCustomerInput): Promise<LagoResponse<{ customer: LagoCustomer }>> {
    return this.request('POST', '/customers', { body: { customer } });
  }

  currentUsage(
    externalCustomerId: string,
    externalSubscriptionId: string,
    options: { applyTaxes?: boolean } = {},
  ): Promise<LagoResponse<{ customer_usage: LagoCustomerUsage }>> {
    return this.request('GET', `/customers/${encodeURIComponent(externalCustomerId)}/current_usage`, {
      query: { external_subscription_id: externalSubscriptionId, apply_taxes: options.applyTaxes },
    });
  }

  createSubscription(subscription: LagoSubscriptionInput): Promise<LagoResponse<{ subscription: LagoSubscription }>> {
    return this.request('POST', '/subscriptions', { body: { subscription } });
  }

  terminateSubscription(externalId: string): Promise<LagoResponse<{ subscription: LagoSubscription }>> {
    return this.request('DELETE', `/subscriptions/${encodeURIComponent(externalId)}`);
  }

  listInvoices(query: PageQuery & { external_customer_id?: string } = {}): Promise<LagoResponse<{ invoices: LagoInvoice[]; meta: LagoPageMeta }>> {
    return this.request('GET', '/invoices', { query: { ...query } });
  }

  listBillableMetrics(query: PageQuery = {}): Promise<LagoResponse<{ billable_metrics: LagoBillableMetric[]; meta: LagoPageMeta }>> {
    return this.request('GET', '/billable_metrics', { query: { ...query } });
  }

  listPlans(query: PageQuery = {}): Promise<LagoResponse<{ plans: LagoPlan[]; meta: LagoPageMeta }>> {
    return this.request('GET', '/plans', { query: { ...query } });
  }

  /** Any call, including deliberately bad ones. */
  async request<T = unknown>(method: string, path: string, raw: RawRequest = {}): Promise<LagoResponse<T>> {
    const { url, init } = lagoRequest(this.options, method, path, raw);
    const response = await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    return { status: response.status, body: decodeBody<T>(await response.text()) };
  }
}

/** The HTTP request of an API call (exported for the encoding tests). */
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
  return typeof body === 'object' && body !== null && typeof (body as LagoErrorBody).status === 'number' && typeof (body as LagoErrorBody).error === 'string';
}
