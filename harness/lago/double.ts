// A Lago API double for the migration tests: a small stateful HTTP server that answers the reads
// an operator's migration makes of a Lago organisation (billable metrics, plans, customers,
// subscriptions, events, invoices with their fees) and the event writes an application makes, in
// the shapes of Lago's OpenAPI document. `tests/harness/lago-double.test.ts` checks it by pointing
// Lago's official client at it and type-checking every answer against the client's declarations.
//
// The organisation is seeded by fixtures (harness/lago/fixtures/): plain facts, including the
// invoices' fees, which fixtures compute by hand from Lago's documented math. The double computes
// nothing about money. Every request is recorded, so a test can assert what reached "Lago".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { formatCents } from '../support/money.ts';

export type LagoAggregation = 'count_agg' | 'sum_agg' | 'max_agg' | 'unique_count_agg' | 'weighted_sum_agg' | 'latest_agg' | 'custom_agg';

export interface SeedMetric {
  code: string;
  name: string;
  aggregation_type: LagoAggregation;
  field_name?: string | null;
  recurring?: boolean;
  description?: string | null;
  filters?: { key: string; values: string[] }[];
  rounding_function?: 'ceil' | 'floor' | 'round' | null;
  rounding_precision?: number | null;
  expression?: string | null;
}

export interface SeedCharge {
  code?: string;
  billable_metric_code: string;
  charge_model: string;
  properties: Record<string, unknown>;
  invoice_display_name?: string | null;
  pay_in_advance?: boolean;
  invoiceable?: boolean;
  prorated?: boolean;
  min_amount_cents?: number;
  filters?: { invoice_display_name?: string | null; properties: Record<string, unknown>; values: Record<string, string[]> }[];
}

export interface SeedPlan {
  code: string;
  name: string;
  interval: 'weekly' | 'monthly' | 'quarterly' | 'semiannual' | 'yearly';
  amount_cents: number;
  amount_currency: string;
  description?: string;
  invoice_display_name?: string;
  trial_period?: number;
  pay_in_advance?: boolean;
  bill_charges_monthly?: boolean | null;
  minimum_commitment?: { amount_cents: number; invoice_display_name?: string };
  usage_thresholds?: { amount_cents: number; threshold_display_name?: string; recurring?: boolean }[];
  charges: SeedCharge[];
}

export interface SeedCustomer {
  external_id: string;
  name: string;
  email?: string | null;
  customer_type?: 'company' | 'individual' | null;
  country?: string | null;
  state?: string | null;
  city?: string | null;
  zipcode?: string | null;
  address_line1?: string | null;
  timezone?: string | null;
  currency?: string | null;
  tax_identification_number?: string | null;
  legal_name?: string | null;
  phone?: string | null;
  /** Lago's billing_configuration: a Stripe customer when payment_provider is stripe. */
  billing_configuration?: { payment_provider?: 'stripe' | 'gocardless' | 'adyen'; provider_customer_id?: string };
}

export interface SeedSubscription {
  external_id: string;
  external_customer_id: string;
  plan_code: string;
  name?: string | null;
  billing_time: 'calendar' | 'anniversary';
  /** ISO 8601, UTC. */
  subscription_at: string;
  status?: 'active' | 'pending' | 'terminated' | 'canceled';
  terminated_at?: string | null;
  ending_at?: string | null;
}

export interface SeedEvent {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  /** ISO 8601 with milliseconds, UTC. */
  timestamp: string;
  properties?: Record<string, unknown>;
}

export interface SeedFee {
  external_subscription_id: string;
  /** A subscription fee (the plan's base fee) or a charge fee (usage of one billable metric). */
  item: { type: 'subscription' | 'charge'; code: string; name?: string };
  /** The charge's code in the plan, for charge fees (Lago writes lago_charge_id; fixtures name the charge). */
  charge_code?: string;
  units: string;
  events_count: number | null;
  amount_cents: number;
  /** The precise amount before rounding to cents, as Lago keeps it. */
  precise_amount?: string;
  taxes_amount_cents?: number;
  from_date: string;
  to_date: string;
}

export interface SeedInvoice {
  number: string;
  external_customer_id: string;
  issuing_date: string;
  currency: string;
  status?: 'draft' | 'finalized' | 'voided';
  payment_status?: 'pending' | 'succeeded' | 'failed';
  fees: SeedFee[];
}

export interface LagoOrganisation {
  name?: string;
  metrics: SeedMetric[];
  plans: SeedPlan[];
  customers: SeedCustomer[];
  subscriptions: SeedSubscription[];
  events: SeedEvent[];
  invoices: SeedInvoice[];
}

export interface RecordedLagoRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The parsed JSON body of writes. */
  body?: unknown;
  status: number;
}

const DEFAULT_PER_PAGE = 100;
const CREATED_AT = '2025-01-15T10:00:00Z';

/** A stable UUID per object (Lago's ids are UUIDs): derived from its kind and key. */
function uuidOf(kind: string, key: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const ch of `${kind}:${key}`) {
    h1 = Math.imul(h1 ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    h2 = Math.imul(h2 + ch.charCodeAt(0), 0x5bd1e995) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class LagoDouble {
  readonly apiKey: string;
  private server?: Server;
  private readonly org: LagoOrganisation;
  private readonly recorded: RecordedLagoRequest[] = [];

  constructor(org: LagoOrganisation, options: { apiKey?: string } = {}) {
    this.org = structuredClone(org);
    this.apiKey = options.apiKey ?? `lago_${randomUUID()}`;
  }

  /** The API root an official client is given (…/api/v1). */
  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/api/v1`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((done, fail) => {
      this.server!.once('error', fail);
      this.server!.listen(port, '127.0.0.1', () => done());
    });
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((done) => server.close(() => done()));
  }

  /** Every request answered, in order. */
  requests(): RecordedLagoRequest[] {
    return structuredClone(this.recorded);
  }

  /** Requests other than reads: what an application or a migration wrote to "Lago". */
  writes(): RecordedLagoRequest[] {
    return this.requests().filter((request) => request.method !== 'GET');
  }

  /** Adds an invoice (as Lago issues one when a period closes). */
  addInvoice(invoice: SeedInvoice): void {
    this.org.invoices.push(structuredClone(invoice));
  }

  /** Lago's invoices as they are now (a test rewrites them to inject what Lago billed differently). */
  replaceInvoices(invoices: SeedInvoice[]): void {
    this.org.invoices = structuredClone(invoices);
  }

  addEvents(events: SeedEvent[]): void {
    this.org.events.push(...structuredClone(events));
  }

  // ---------------------------------------------------------------------------------- routing

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://double');
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const key = name.replace(/\[\]$/, '');
      if (name.endsWith('[]')) query[key] = [...((query[key] as string[] | undefined) ?? []), value];
      else query[key] = value;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    const answer = (status: number, payload: unknown) => {
      this.recorded.push({ method: request.method ?? 'GET', path: url.pathname, query, ...(body === undefined ? {} : { body }), status });
      response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
    };
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) return answer(401, { status: 401, error: 'Unauthorized' });
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        return answer(400, { status: 400, error: 'Bad request', code: 'bad_request' });
      }
    }
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const notFound = (resource: string) => answer(404, { status: 404, error: 'Not Found', code: `${resource}_not_found` });
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [collection, key] = segments;
    const method = request.method ?? 'GET';
    if (method === 'POST' && collection === 'events' && segments.length === 1) return answer(200, this.createEvent(body));
    if (method === 'POST' && collection === 'events' && key === 'batch' && segments.length === 2) {
      const events = (body as { events?: unknown[] } | undefined)?.events ?? [];
      return answer(200, { events: events.map((event) => (this.createEvent({ event }) as { event: unknown }).event) });
    }
    if (method !== 'GET') return notFound('resource');
    switch (collection) {
      case 'billable_metrics': {
        if (key === undefined)
          return answer(
            200,
            this.page(
              'billable_metrics',
              this.org.metrics.map((m) => this.metricObject(m)),
              query,
            ),
          );
        const metric = this.org.metrics.find((m) => m.code === key);
        return metric ? answer(200, { billable_metric: this.metricObject(metric) }) : notFound('billable_metric');
      }
      case 'plans': {
        if (key === undefined)
          return answer(
            200,
            this.page(
              'plans',
              this.org.plans.map((p) => this.planObject(p)),
              query,
            ),
          );
        const plan = this.org.plans.find((p) => p.code === key);
        return plan ? answer(200, { plan: this.planObject(plan) }) : notFound('plan');
      }
      case 'customers': {
        if (key === undefined)
          return answer(
            200,
            this.page(
              'customers',
              this.org.customers.map((c) => this.customerObject(c)),
              query,
            ),
          );
        const customer = this.org.customers.find((c) => c.external_id === key);
        return customer ? answer(200, { customer: this.customerObject(customer) }) : notFound('customer');
      }
      case 'subscriptions': {
        if (key === undefined)
          return answer(
            200,
            this.page(
              'subscriptions',
              this.subscriptions(query).map((s) => this.subscriptionObject(s)),
              query,
            ),
          );
        const subscription = this.org.subscriptions.find((s) => s.external_id === key);
        return subscription ? answer(200, { subscription: this.subscriptionObject(subscription) }) : notFound('subscription');
      }
      case 'events': {
        if (key === undefined)
          return answer(
            200,
            this.page(
              'events',
              this.events(query).map((e) => this.eventObject(e)),
              query,
            ),
          );
        const event = this.org.events.find((e) => e.transaction_id === key);
        return event ? answer(200, { event: this.eventObject(event) }) : notFound('event');
      }
      case 'invoices': {
        if (key === undefined)
          return answer(
            200,
            this.page(
              'invoices',
              this.invoices(query).map((i) => this.invoiceObject(i, false)),
              query,
            ),
          );
        const invoice = this.org.invoices.find((i) => uuidOf('invoice', i.number) === key);
        return invoice ? answer(200, { invoice: this.invoiceObject(invoice) }) : notFound('invoice');
      }
      default:
        return notFound('resource');
    }
  }

  /** Lago's pagination (Kaminari): `page`, `per_page`, and its `meta`, all zero when empty. */
  private page(name: string, items: unknown[], query: Record<string, string | string[]>): Record<string, unknown> {
    const positive = (value: unknown, fallback: number) => {
      const number = Number.parseInt(String(value ?? ''), 10);
      return Number.isFinite(number) && number > 0 ? number : fallback;
    };
    const page = positive(query.page, 1);
    const perPage = positive(query.per_page, DEFAULT_PER_PAGE);
    const total = items.length;
    const totalPages = Math.ceil(total / perPage);
    const meta =
      total === 0
        ? { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 }
        : {
            current_page: page,
            next_page: page < totalPages ? page + 1 : null,
            prev_page: page > 1 ? page - 1 : null,
            total_pages: totalPages,
            total_count: total,
          };
    return { [name]: items.slice((page - 1) * perPage, page * perPage), meta };
  }

  private subscriptions(query: Record<string, string | string[]>): SeedSubscription[] {
    // Lago lists active subscriptions unless status[] says otherwise.
    const statuses = Array.isArray(query.status) ? query.status : ['active'];
    return this.org.subscriptions.filter(
      (s) =>
        statuses.includes(s.status ?? 'active') &&
        (query.external_customer_id === undefined || s.external_customer_id === query.external_customer_id) &&
        (query.plan_code === undefined || s.plan_code === query.plan_code),
    );
  }

  private events(query: Record<string, string | string[]>): SeedEvent[] {
    const from = typeof query.timestamp_from === 'string' ? Date.parse(query.timestamp_from) : -Infinity;
    const to = typeof query.timestamp_to === 'string' ? Date.parse(query.timestamp_to) : Infinity;
    return (
      this.org.events
        .filter(
          (e) =>
            (query.external_subscription_id === undefined || e.external_subscription_id === query.external_subscription_id) &&
            (query.code === undefined || e.code === query.code) &&
            Date.parse(e.timestamp) >= from &&
            Date.parse(e.timestamp) <= to,
        )
        // Newest first, as Lago lists them.
        .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp) || b.transaction_id.localeCompare(a.transaction_id))
    );
  }

  private invoices(query: Record<string, string | string[]>): SeedInvoice[] {
    return this.org.invoices
      .filter(
        (i) =>
          (query.external_customer_id === undefined || i.external_customer_id === query.external_customer_id) &&
          (typeof query.issuing_date_from !== 'string' || i.issuing_date >= query.issuing_date_from) &&
          (typeof query.issuing_date_to !== 'string' || i.issuing_date <= query.issuing_date_to),
      )
      .sort((a, b) => b.issuing_date.localeCompare(a.issuing_date) || b.number.localeCompare(a.number));
  }

  private createEvent(body: unknown): unknown {
    const event = (body as { event?: SeedEvent & { timestamp?: string | number } } | undefined)?.event;
    const stored: SeedEvent = {
      transaction_id: String(event?.transaction_id),
      external_subscription_id: String(event?.external_subscription_id),
      code: String(event?.code),
      timestamp: new Date(typeof event?.timestamp === 'number' ? event.timestamp * 1000 : (event?.timestamp ?? Date.now())).toISOString(),
      properties: event?.properties ?? {},
    };
    // Lago keeps one event per subscription and transaction id: a resend is acknowledged, not stored twice.
    const known = this.org.events.find(
      (e) => e.transaction_id === stored.transaction_id && e.external_subscription_id === stored.external_subscription_id,
    );
    if (known) return { event: this.eventObject(known) };
    this.org.events.push(stored);
    return { event: this.eventObject(stored) };
  }

  // -------------------------------------------------------------------------------- serializers

  private metricObject(metric: SeedMetric): Record<string, unknown> {
    return {
      lago_id: uuidOf('metric', metric.code),
      name: metric.name,
      code: metric.code,
      description: metric.description ?? null,
      aggregation_type: metric.aggregation_type,
      weighted_interval: metric.aggregation_type === 'weighted_sum_agg' ? 'seconds' : null,
      recurring: metric.recurring ?? false,
      rounding_function: metric.rounding_function ?? null,
      rounding_precision: metric.rounding_precision ?? null,
      created_at: CREATED_AT,
      field_name: metric.field_name ?? null,
      ...(metric.expression ? { expression: metric.expression } : {}),
      filters: metric.filters ?? [],
    };
  }

  private chargeObject(plan: SeedPlan, charge: SeedCharge, index: number): Record<string, unknown> {
    return {
      lago_id: uuidOf('charge', `${plan.code}/${charge.code ?? index}`),
      lago_billable_metric_id: uuidOf('metric', charge.billable_metric_code),
      code: charge.code ?? null,
      invoice_display_name: charge.invoice_display_name ?? null,
      billable_metric_code: charge.billable_metric_code,
      created_at: CREATED_AT,
      charge_model: charge.charge_model,
      invoiceable: charge.invoiceable ?? true,
      regroup_paid_fees: null,
      pay_in_advance: charge.pay_in_advance ?? false,
      prorated: charge.prorated ?? false,
      min_amount_cents: charge.min_amount_cents ?? 0,
      properties: charge.properties,
      filters: (charge.filters ?? []).map((filter) => ({
        invoice_display_name: filter.invoice_display_name ?? null,
        properties: filter.properties,
        values: filter.values,
      })),
      taxes: [],
    };
  }

  private planObject(plan: SeedPlan): Record<string, unknown> {
    return {
      lago_id: uuidOf('plan', plan.code),
      name: plan.name,
      invoice_display_name: plan.invoice_display_name ?? plan.name,
      created_at: CREATED_AT,
      code: plan.code,
      interval: plan.interval,
      ...(plan.description ? { description: plan.description } : {}),
      amount_cents: plan.amount_cents,
      amount_currency: plan.amount_currency,
      trial_period: plan.trial_period ?? 0,
      pay_in_advance: plan.pay_in_advance ?? false,
      bill_charges_monthly: plan.bill_charges_monthly ?? null,
      ...(plan.minimum_commitment
        ? {
            minimum_commitment: {
              lago_id: uuidOf('commitment', plan.code),
              plan_code: plan.code,
              amount_cents: plan.minimum_commitment.amount_cents,
              invoice_display_name: plan.minimum_commitment.invoice_display_name ?? 'Minimum commitment',
              interval: plan.interval,
              created_at: CREATED_AT,
              updated_at: CREATED_AT,
              taxes: [],
            },
          }
        : {}),
      charges: plan.charges.map((charge, index) => this.chargeObject(plan, charge, index)),
      usage_thresholds: (plan.usage_thresholds ?? []).map((threshold, index) => ({
        lago_id: uuidOf('threshold', `${plan.code}/${index}`),
        threshold_display_name: threshold.threshold_display_name ?? null,
        amount_cents: threshold.amount_cents,
        recurring: threshold.recurring ?? false,
        created_at: CREATED_AT,
        updated_at: CREATED_AT,
      })),
      taxes: [],
    };
  }

  private customerObject(customer: SeedCustomer): Record<string, unknown> {
    const address = {
      address_line1: customer.address_line1 ?? null,
      address_line2: null,
      city: customer.city ?? null,
      zipcode: customer.zipcode ?? null,
      state: customer.state ?? null,
      country: customer.country ?? null,
    };
    const index = this.org.customers.indexOf(customer) + 1;
    return {
      lago_id: uuidOf('customer', customer.external_id),
      external_id: customer.external_id,
      account_type: 'customer',
      name: customer.name,
      firstname: null,
      lastname: null,
      customer_type: customer.customer_type ?? null,
      sequential_id: index,
      slug: `LAGO-${String(index).padStart(4, '0')}`,
      created_at: CREATED_AT,
      updated_at: CREATED_AT,
      ...address,
      email: customer.email ?? null,
      url: null,
      phone: customer.phone ?? null,
      logo_url: null,
      legal_name: customer.legal_name ?? null,
      legal_number: null,
      currency: customer.currency ?? null,
      tax_identification_number: customer.tax_identification_number ?? null,
      timezone: customer.timezone ?? null,
      applicable_timezone: customer.timezone ?? 'UTC',
      net_payment_term: null,
      external_salesforce_id: null,
      finalize_zero_amount_invoice: 'inherit',
      billing_configuration: {
        document_locale: 'en',
        subscription_invoice_issuing_date_anchor: null,
        subscription_invoice_issuing_date_adjustment: null,
        ...(customer.billing_configuration?.payment_provider
          ? {
              payment_provider: customer.billing_configuration.payment_provider,
              payment_provider_code: customer.billing_configuration.payment_provider,
              provider_customer_id: customer.billing_configuration.provider_customer_id ?? null,
              sync: false,
              sync_with_provider: false,
              provider_payment_methods: ['card'],
            }
          : {}),
      },
      shipping_address: address,
      skip_invoice_custom_sections: false,
      metadata: [],
    };
  }

  private subscriptionObject(subscription: SeedSubscription): Record<string, unknown> {
    const plan = this.org.plans.find((p) => p.code === subscription.plan_code);
    const status = subscription.status ?? 'active';
    const started = status === 'pending' ? null : subscription.subscription_at;
    return {
      lago_id: uuidOf('subscription', subscription.external_id),
      external_id: subscription.external_id,
      lago_customer_id: uuidOf('customer', subscription.external_customer_id),
      external_customer_id: subscription.external_customer_id,
      name: subscription.name ?? null,
      plan_code: subscription.plan_code,
      plan_amount_cents: plan?.amount_cents ?? 0,
      plan_amount_currency: plan?.amount_currency ?? 'USD',
      status,
      billing_time: subscription.billing_time,
      subscription_at: subscription.subscription_at,
      started_at: started,
      trial_ended_at: null,
      ending_at: subscription.ending_at ?? null,
      terminated_at: subscription.terminated_at ?? null,
      canceled_at: null,
      created_at: subscription.subscription_at,
      previous_plan_code: null,
      next_plan_code: null,
      downgrade_plan_date: null,
      current_billing_period_started_at: null,
      current_billing_period_ending_at: null,
      on_termination_credit_note: null,
      on_termination_invoice: 'generate',
      consolidate_invoice: false,
      purchase_order_number: null,
      activated_at: started,
      payment_method: { payment_method_id: null, payment_method_type: 'provider' },
      activation_rules: [],
    };
  }

  private eventObject(event: SeedEvent): Record<string, unknown> {
    return {
      lago_id: uuidOf('event', `${event.external_subscription_id}/${event.transaction_id}`),
      transaction_id: event.transaction_id,
      lago_customer_id: null,
      code: event.code,
      timestamp: event.timestamp,
      precise_total_amount_cents: null,
      properties: event.properties ?? {},
      lago_subscription_id: uuidOf('subscription', event.external_subscription_id),
      external_subscription_id: event.external_subscription_id,
      created_at: event.timestamp,
    };
  }

  /** Lago's invoice; lists carry neither fees nor subscriptions (GET /invoices/{id} does). */
  private invoiceObject(invoice: SeedInvoice, extended = true): Record<string, unknown> {
    const lagoId = uuidOf('invoice', invoice.number);
    const fees = invoice.fees.map((fee, index) => this.feeObject(invoice, fee, index));
    const feesCents = invoice.fees.reduce((sum, fee) => sum + fee.amount_cents, 0);
    const taxesCents = invoice.fees.reduce((sum, fee) => sum + (fee.taxes_amount_cents ?? 0), 0);
    const paid = invoice.payment_status === 'succeeded';
    const subscriptionIds = [...new Set(invoice.fees.map((fee) => fee.external_subscription_id))];
    return {
      lago_id: lagoId,
      billing_entity_code: null,
      sequential_id: this.org.invoices.indexOf(invoice) + 1,
      number: invoice.number,
      purchase_order_number: null,
      issuing_date: invoice.issuing_date,
      payment_dispute_lost_at: null,
      payment_due_date: invoice.issuing_date,
      payment_overdue: false,
      net_payment_term: 0,
      invoice_type: 'subscription',
      status: invoice.status ?? 'finalized',
      payment_status: invoice.payment_status ?? 'pending',
      currency: invoice.currency,
      fees_amount_cents: feesCents,
      taxes_amount_cents: taxesCents,
      progressive_billing_credit_amount_cents: 0,
      coupons_amount_cents: 0,
      credit_notes_amount_cents: 0,
      sub_total_excluding_taxes_amount_cents: feesCents,
      sub_total_including_taxes_amount_cents: feesCents + taxesCents,
      total_amount_cents: feesCents + taxesCents,
      total_due_amount_cents: paid ? 0 : feesCents + taxesCents,
      total_paid_amount_cents: paid ? feesCents + taxesCents : 0,
      total_offsetted_credit_note_amount_cents: 0,
      prepaid_credit_amount_cents: 0,
      prepaid_granted_credit_amount_cents: 0,
      prepaid_purchased_credit_amount_cents: 0,
      file_url: null,
      xml_url: null,
      version_number: 4,
      self_billed: false,
      created_at: `${invoice.issuing_date}T06:00:00Z`,
      updated_at: `${invoice.issuing_date}T06:00:00Z`,
      voided_at: null,
      customer: this.customerObject(this.org.customers.find((c) => c.external_id === invoice.external_customer_id)!),
      ...(extended
        ? {
            subscriptions: subscriptionIds.map((id) => this.subscriptionObject(this.org.subscriptions.find((s) => s.external_id === id)!)),
            fees,
          }
        : {}),
      applied_taxes: [],
      metadata: [],
    };
  }

  private feeObject(invoice: SeedInvoice, fee: SeedFee, index: number): Record<string, unknown> {
    const subscription = this.org.subscriptions.find((s) => s.external_id === fee.external_subscription_id);
    const plan = this.org.plans.find((p) => p.code === subscription?.plan_code);
    const chargeIndex =
      plan?.charges.findIndex((c) => (fee.charge_code ? c.code === fee.charge_code : c.billable_metric_code === fee.item.code)) ?? -1;
    const charge = chargeIndex >= 0 ? plan!.charges[chargeIndex]! : undefined;
    const isCharge = fee.item.type === 'charge';
    const taxes = fee.taxes_amount_cents ?? 0;
    const metric = this.org.metrics.find((m) => m.code === fee.item.code);
    return {
      lago_id: uuidOf('fee', `${invoice.number}/${index}`),
      lago_charge_id: isCharge && charge ? uuidOf('charge', `${plan!.code}/${charge.code ?? chargeIndex}`) : null,
      lago_charge_filter_id: null,
      lago_fixed_charge_id: null,
      lago_invoice_id: uuidOf('invoice', invoice.number),
      lago_true_up_fee_id: null,
      lago_true_up_parent_fee_id: null,
      lago_original_fee_id: null,
      lago_subscription_id: uuidOf('subscription', fee.external_subscription_id),
      external_subscription_id: fee.external_subscription_id,
      lago_customer_id: uuidOf('customer', invoice.external_customer_id),
      external_customer_id: invoice.external_customer_id,
      item: {
        type: fee.item.type,
        code: fee.item.code,
        name: fee.item.name ?? (isCharge ? (metric?.name ?? fee.item.code) : (plan?.name ?? fee.item.code)),
        description: null,
        invoice_display_name: fee.item.name ?? fee.item.code,
        filters: null,
        filter_invoice_display_name: null,
        lago_item_id: isCharge ? uuidOf('metric', fee.item.code) : uuidOf('subscription', fee.external_subscription_id),
        item_type: isCharge ? 'BillableMetric' : 'Subscription',
      },
      pay_in_advance: false,
      invoiceable: true,
      amount_cents: fee.amount_cents,
      amount_currency: invoice.currency,
      precise_amount: fee.precise_amount ?? formatCents(BigInt(fee.amount_cents)),
      precise_total_amount: formatCents(BigInt(fee.amount_cents + taxes)),
      taxes_amount_cents: taxes,
      taxes_precise_amount: formatCents(BigInt(taxes)),
      taxes_rate: 0,
      units: fee.units,
      precise_unit_amount: '0.0',
      total_aggregated_units: fee.units,
      total_amount_cents: fee.amount_cents + taxes,
      total_amount_currency: invoice.currency,
      events_count: fee.events_count,
      payment_status: invoice.payment_status ?? 'pending',
      created_at: `${invoice.issuing_date}T06:00:00Z`,
      succeeded_at: null,
      failed_at: null,
      refunded_at: null,
      description: null,
      precise_coupons_amount_cents: '0.0',
      sub_total_excluding_taxes_amount_cents: fee.amount_cents,
      sub_total_excluding_taxes_precise_amount_cents: String(fee.amount_cents),
      amount_details: {},
      self_billed: false,
      from_date: fee.from_date,
      to_date: fee.to_date,
    };
  }
}

export { uuidOf as lagoDoubleId };
