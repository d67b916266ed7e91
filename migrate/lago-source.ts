// Reading a Lago organisation with Lago's official client (lago-javascript-client): every list
// page by page, as Lago paginates (`page`, `per_page`, `meta.next_page`).
import type * as Lago from 'lago-javascript-client';
import { officialClient, settle, type LagoResponse } from '../harness/clients/lago.ts';

export interface LagoConnection {
  /** Lago's API root, e.g. https://api.getlago.com/api/v1 (the official client's baseUrl). */
  url: string;
  apiKey: string;
}

const PER_PAGE = 100;

export class LagoSource {
  private readonly api: Lago.Api<unknown>;
  /** Pages read, for the progress lines. */
  pagesRead = 0;

  constructor(connection: LagoConnection, private readonly progress: (line: string) => void = () => {}) {
    // officialClient appends a base path to a server URL; Lago's URL already ends with /api/v1.
    this.api = officialClient({ baseUrl: connection.url, basePath: '', apiKey: connection.apiKey });
  }

  metrics(): Promise<Lago.BillableMetricObject[]> {
    return this.all('billable metrics', (page) => this.api.billableMetrics.findAllBillableMetrics({ page, per_page: PER_PAGE }), (body) => body.billable_metrics);
  }

  plans(): Promise<Lago.PlanObject[]> {
    return this.all('plans', (page) => this.api.plans.findAllPlans({ page, per_page: PER_PAGE }), (body) => body.plans);
  }

  customers(): Promise<Lago.CustomerObject[]> {
    return this.all('customers', (page) => this.api.customers.findAllCustomers({ page, per_page: PER_PAGE }), (body) => body.customers);
  }

  /** Subscriptions of every status Lago can still bill or has billed. */
  subscriptions(statuses: ('active' | 'pending' | 'terminated' | 'canceled')[] = ['active', 'pending']): Promise<Lago.SubscriptionObject[]> {
    return this.all('subscriptions', (page) => this.api.subscriptions.findAllSubscriptions({ page, per_page: PER_PAGE, 'status[]': statuses } as never), (body) => body.subscriptions);
  }

  /** Events of one subscription between two instants (ISO 8601), optionally of one metric. */
  events(query: { external_subscription_id: string; code?: string; timestamp_from?: string; timestamp_to?: string }): Promise<Lago.EventObject[]> {
    return this.all(`events of ${query.external_subscription_id}`, (page) => this.api.events.findAllEvents({ ...query, page, per_page: PER_PAGE }), (body) => body.events, false);
  }

  /** Invoices issued between two dates (YYYY-MM-DD, inclusive), each read with its fees (GET /invoices/{id}). */
  async invoices(query: { issuing_date_from?: string; issuing_date_to?: string }): Promise<Lago.InvoiceObjectExtended[]> {
    const listed = await this.all('invoices', (page) => this.api.invoices.findAllInvoices({ ...query, page, per_page: PER_PAGE }), (body) => body.invoices);
    const withFees: Lago.InvoiceObjectExtended[] = [];
    for (const [index, invoice] of listed.entries()) {
      withFees.push(okOf(await settle(this.api.invoices.findInvoice(invoice.lago_id)), `invoice ${invoice.number}`).invoice);
      if ((index + 1) % 25 === 0) this.progress(`lago: invoices: ${index + 1} of ${listed.length} read with their fees`);
    }
    return withFees;
  }

  private async all<B, T>(what: string, fetchPage: (page: number) => Promise<Lago.HttpResponse<B, unknown>>, items: (body: B) => T[], report = true): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page += 1) {
      const body = okOf(await settle(fetchPage(page)), `${what} page ${page}`) as B & { meta?: Lago.PaginationMeta };
      this.pagesRead += 1;
      out.push(...items(body));
      if (report && (body.meta?.total_pages ?? 0) > 1) this.progress(`lago: ${what}: page ${page} of ${body.meta?.total_pages} (${out.length} read)`);
      if (!body.meta?.next_page) return out;
    }
  }
}

function okOf<T>(response: LagoResponse<T>, what: string): T {
  if (response.status !== 200) throw new Error(`Lago answered ${response.status} to ${what}: ${JSON.stringify(response.body).slice(0, 300)}`);
  return response.body as T;
}
