// The Lago-shaped API of fusion_billing (the same paths and bodies as Lago's), typed, over Node's fetch.
// Errors are values: a refusal carries Lago's error body; a network failure says so.
import type { UsageEvent } from './events.ts';

/** Lago's error body (422 validation_errors, 404 not_found, 401, …). */
export interface LagoErrorBody {
  status: number;
  error: string;
  code?: string;
  error_details?: Record<string, unknown>;
}

export type ApiResult<T> =
  | { ok: true; status: number; value: T }
  | { ok: false; status: number; error: LagoErrorBody }
  | { ok: false; status: 0; error: { status: 0; error: 'network_error'; message: string } };

export interface ClientOptions {
  /** The API's base URL, e.g. https://odoo.example.com/api/v1 (Lago's `api_url` with /api/v1). */
  baseUrl: string;
  apiKey: string;
  /** Default: Node's global fetch. */
  fetch?: typeof fetch;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
}

// Answer types: the fields apps read, declared as Lago's official client declares them (a type-level
// test assigns its objects to these), so code written against Lago's shapes reads them unchanged.
export interface Customer {
  lago_id: string;
  external_id: string;
  name?: string | null;
  email?: string | null;
  currency?: string | null;
  timezone?: string | null;
}

export interface CustomerInput {
  external_id: string;
  name?: string;
  email?: string;
  currency?: string;
  timezone?: string;
  address_line1?: string;
  city?: string;
  zipcode?: string;
  state?: string;
  country?: string;
}

export interface Subscription {
  lago_id: string;
  external_id: string;
  external_customer_id: string;
  plan_code: string;
  status: 'active' | 'pending' | 'terminated' | 'canceled' | 'incomplete';
}

export interface SubscriptionInput<PlanCode extends string = string> {
  external_customer_id: string;
  plan_code: PlanCode;
  external_id: string;
  name?: string;
  billing_time?: 'calendar' | 'anniversary';
  subscription_at?: string;
  ending_at?: string;
  progressive_billing_disabled?: boolean;
}

export interface ChargeUsage {
  units: string;
  events_count: number;
  amount_cents: number;
  amount_currency: string;
  billable_metric: { code: string; name: string; aggregation_type: string };
}

export interface CustomerUsage {
  from_datetime: string;
  to_datetime: string;
  currency?: string;
  amount_cents: number;
  taxes_amount_cents: number;
  total_amount_cents: number;
  charges_usage: ChargeUsage[];
}

export interface Invoice {
  lago_id: string;
  number: string;
  invoice_type: 'subscription' | 'progressive_billing' | 'credit' | string;
  status: 'draft' | 'finalized' | 'voided' | string;
  payment_status: 'pending' | 'succeeded' | 'failed' | string;
  currency: string;
  fees_amount_cents: number;
  total_amount_cents: number;
}

export interface Plan {
  lago_id: string;
  code: string;
  name: string;
  interval: string;
  amount_cents: number;
  amount_currency: string;
}

export interface BillableMetric {
  lago_id: string;
  code: string;
  name: string;
  aggregation_type: string;
  field_name?: string | null;
}

/** The calls an application makes, typed by its service's metric and plan codes. */
export class FusionBillingApi<MetricCode extends string = string, PlanCode extends string = string> {
  readonly #base: string;
  readonly #key: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#key = options.apiKey;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** One HTTP call; `T` is the body of a 2xx answer. */
  async request<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<ApiResult<T>> {
    const url = new URL(this.#base + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: { Authorization: `Bearer ${this.#key}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      return { ok: false, status: 0, error: { status: 0, error: 'network_error', message: error instanceof Error ? error.message : String(error) } };
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return { ok: true, status: response.status, value: parsed as T };
    const error = parsed && typeof parsed === 'object' && 'error' in parsed ? (parsed as LagoErrorBody) : { status: response.status, error: text.slice(0, 200) || response.statusText };
    return { ok: false, status: response.status, error };
  }

  sendEvent(event: UsageEvent<MetricCode>) {
    return this.request<{ event: Record<string, unknown> }>('POST', '/events', { event });
  }

  sendEvents(events: UsageEvent<MetricCode>[]) {
    return this.request<{ events: Record<string, unknown>[] }>('POST', '/events/batch', { events });
  }

  upsertCustomer(customer: CustomerInput) {
    return this.request<{ customer: Customer }>('POST', '/customers', { customer });
  }

  findCustomer(externalId: string) {
    return this.request<{ customer: Customer }>('GET', `/customers/${encodeURIComponent(externalId)}`);
  }

  createSubscription(subscription: SubscriptionInput<PlanCode>) {
    return this.request<{ subscription: Subscription }>('POST', '/subscriptions', { subscription });
  }

  findSubscription(externalId: string) {
    return this.request<{ subscription: Subscription }>('GET', `/subscriptions/${encodeURIComponent(externalId)}`);
  }

  terminateSubscription(externalId: string) {
    return this.request<{ subscription: Subscription }>('DELETE', `/subscriptions/${encodeURIComponent(externalId)}`);
  }

  currentUsage(externalCustomerId: string, externalSubscriptionId: string) {
    return this.request<{ customer_usage: CustomerUsage }>('GET', `/customers/${encodeURIComponent(externalCustomerId)}/current_usage`, undefined,
      { external_subscription_id: externalSubscriptionId });
  }

  pastUsage(externalCustomerId: string, externalSubscriptionId: string, billableMetricCode?: MetricCode) {
    return this.request<{ usage_periods: CustomerUsage[] }>('GET', `/customers/${encodeURIComponent(externalCustomerId)}/past_usage`, undefined,
      { external_subscription_id: externalSubscriptionId, billable_metric_code: billableMetricCode });
  }

  invoices(externalCustomerId?: string) {
    return this.request<{ invoices: Invoice[] }>('GET', '/invoices', undefined, { external_customer_id: externalCustomerId });
  }

  plans() {
    return this.request<{ plans: Plan[] }>('GET', '/plans');
  }

  plan(code: PlanCode) {
    return this.request<{ plan: Plan }>('GET', `/plans/${encodeURIComponent(code)}`);
  }

  billableMetrics() {
    return this.request<{ billable_metrics: BillableMetric[] }>('GET', '/billable_metrics');
  }
}
