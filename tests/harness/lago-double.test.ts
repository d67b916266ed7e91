// The Lago API double is checked the way the issue asks: Lago's official client is pointed at it,
// every answer is type-checked against the client's declarations, and its lists, filters and
// pages behave as Lago's do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLagoError } from 'lago-javascript-client';
import { officialClient } from '../../harness/clients/lago.ts';
import { LagoDouble } from '../../harness/lago/double.ts';
import { nexacloudOrganisation, rehearsalPeriods, CALENDAR_TENANTS } from '../../harness/lago/fixtures/nexacloud.ts';
import { formatProblems, LagoShapeCheck } from '../../harness/lago/shapes.ts';
import { LagoSource } from '../../migrate/lago-source.ts';

const NOW = Date.parse('2026-12-02T10:00:00Z');

describe('the Lago API double, through the official lago-javascript-client', () => {
  const periods = rehearsalPeriods(NOW);
  const org = nexacloudOrganisation(periods);
  let double: LagoDouble;
  let client: ReturnType<typeof officialClient>;
  const shapes = new LagoShapeCheck();

  beforeAll(async () => {
    double = await new LagoDouble(org).start();
    client = officialClient({ baseUrl: double.url, basePath: '', apiKey: double.apiKey });
  });
  afterAll(() => double.stop());

  it('serves the catalog: billable metrics and plans with their charges', async () => {
    const metrics = (await client.billableMetrics.findAllBillableMetrics()).data;
    shapes.expect('metrics', "ResponseOf<'billableMetrics', 'findAllBillableMetrics'>", metrics);
    expect(metrics.billable_metrics.map((m) => [m.code, m.aggregation_type])).toEqual([
      ['nc_api_requests', 'count_agg'],
      ['nc_storage_gb', 'weighted_sum_agg'],
      ['nc_egress_gb', 'sum_agg'],
      ['nc_peak_vcpu', 'max_agg'],
    ]);
    const one = (await client.billableMetrics.findBillableMetric('nc_egress_gb')).data;
    shapes.expect('metric', "ResponseOf<'billableMetrics', 'findBillableMetric'>", one);
    const plans = (await client.plans.findAllPlans()).data;
    shapes.expect('plans', "ResponseOf<'plans', 'findAllPlans'>", plans);
    expect(plans.plans[0]!.charges!.map((c) => [c.billable_metric_code, c.charge_model])).toEqual([
      ['nc_api_requests', 'graduated'],
      ['nc_storage_gb', 'standard'],
      ['nc_egress_gb', 'package'],
      ['nc_peak_vcpu', 'volume'],
    ]);
    shapes.expect('plan', "ResponseOf<'plans', 'findPlan'>", (await client.plans.findPlan('nexacloud_pro')).data);
  });

  it('pages customers as Lago does (meta with next_page) and finds one by external id', async () => {
    const first = (await client.customers.findAllCustomers({ page: 1, per_page: 20 })).data;
    shapes.expect('customers', "ResponseOf<'customers', 'findAllCustomers'>", first);
    expect(first.meta).toEqual({ current_page: 1, next_page: 2, prev_page: null, total_pages: 3, total_count: 50 });
    const last = (await client.customers.findAllCustomers({ page: 3, per_page: 20 })).data;
    expect([last.customers.length, last.meta.next_page, last.meta.prev_page]).toEqual([10, null, 2]);
    const stripe = (await client.customers.findCustomer('tnt_tenant10')).data;
    shapes.expect('customer', "ResponseOf<'customers', 'findCustomer'>", stripe);
    expect(stripe.customer.billing_configuration).toMatchObject({ payment_provider: 'stripe', provider_customer_id: 'cus_NEXATENANT10' });
  });

  it('lists active subscriptions by default, filters by customer and status', async () => {
    const all = await new LagoSource({ url: double.url, apiKey: double.apiKey }).subscriptions();
    expect(all).toHaveLength(CALENDAR_TENANTS + 2);
    expect(all.filter((s) => s.billing_time === 'anniversary')).toHaveLength(2);
    const one = (await client.subscriptions.findAllSubscriptions({ external_customer_id: 'tnt_tenant03' })).data;
    shapes.expect('subscriptions', "ResponseOf<'subscriptions', 'findAllSubscriptions'>", one);
    expect(one.subscriptions.map((s) => s.external_id)).toEqual(['sub_tenant03']);
    const terminated = (await client.subscriptions.findAllSubscriptions({ 'status[]': ['terminated'] } as never)).data;
    expect(terminated.subscriptions).toEqual([]);
    shapes.expect(
      'subscription',
      "ResponseOf<'subscriptions', 'findSubscription'>",
      (await client.subscriptions.findSubscription('sub_tenant01')).data,
    );
  });

  it('filters events by subscription, code and time window, newest first, across pages', async () => {
    const query = {
      external_subscription_id: 'sub_tenant04',
      code: 'nc_api_requests',
      timestamp_from: new Date(periods.first.startMs).toISOString(),
      timestamp_to: new Date(periods.first.endMs - 1).toISOString(),
    };
    const page = (await client.events.findAllEvents({ ...query, per_page: 2 })).data;
    shapes.expect('events', "ResponseOf<'events', 'findAllEvents'>", page);
    const expected = org.events.filter(
      (e) =>
        e.external_subscription_id === 'sub_tenant04' &&
        e.code === 'nc_api_requests' &&
        Date.parse(e.timestamp) >= periods.first.startMs &&
        Date.parse(e.timestamp) < periods.first.endMs,
    );
    expect(page.meta.total_count).toBe(expected.length);
    const all = await new LagoSource({ url: double.url, apiKey: double.apiKey }).events(query);
    expect(all.map((e) => e.transaction_id).sort()).toEqual(expected.map((e) => e.transaction_id).sort());
    expect(all.map((e) => Date.parse(e.timestamp))).toEqual([...all.map((e) => Date.parse(e.timestamp))].sort((a, b) => b - a));
  });

  it('serves invoices with their fees (units, events, amounts, charge and period)', async () => {
    const listed = (await client.invoices.findAllInvoices({ external_customer_id: 'tnt_tenant01' })).data;
    shapes.expect('invoices', "ResponseOf<'invoices', 'findAllInvoices'>", listed);
    expect(listed.invoices).toHaveLength(2);
    const invoice = (await client.invoices.findInvoice(listed.invoices[0]!.lago_id)).data.invoice;
    shapes.expect('invoice', "ResponseOf<'invoices', 'findInvoice'>", { invoice });
    expect(invoice.fees!.map((f) => [f.item.type, f.item.code])).toEqual([
      ['subscription', 'nexacloud_pro'],
      ['charge', 'nc_api_requests'],
      ['charge', 'nc_storage_gb'],
      ['charge', 'nc_egress_gb'],
      ['charge', 'nc_peak_vcpu'],
    ]);
    expect(invoice.fees_amount_cents).toBe(invoice.fees!.reduce((sum, f) => sum + f.amount_cents, 0));
    const dated = (await client.invoices.findAllInvoices({ issuing_date_from: '2026-11-01', issuing_date_to: '2026-11-30' })).data;
    // The second month's calendar invoices (issued on the 1st) and both anniversary ones issued mid-month.
    expect(dated.meta.total_count).toBe(CALENDAR_TENANTS + 2);
  });

  it("refuses a wrong key (401) and names what it cannot find (404), in Lago's error bodies", async () => {
    const stranger = officialClient({ baseUrl: double.url, basePath: '', apiKey: 'wrong' });
    const refused = await stranger.plans.findAllPlans().catch((error: Response) => error);
    expect((refused as Response).status).toBe(401);
    const missing = await client.customers.findCustomer('tnt_nobody').catch((error: Response) => error);
    expect(await getLagoError(missing as Response)).toEqual({ status: 404, error: 'Not Found', code: 'customer_not_found' });
    shapes.expect('401', 'L.ApiErrorUnauthorized', { status: 401, error: 'Unauthorized' });
  });

  it('records writes (an application sending events to Lago) and answers in the event shape', async () => {
    const sent = (
      await client.events.createEvent({
        event: {
          transaction_id: 'tx-both-1',
          external_subscription_id: 'sub_tenant01',
          code: 'nc_api_requests',
          timestamp: NOW / 1000,
          properties: { region: 'ca-central' },
        },
      })
    ).data;
    shapes.expect('event created', "ResponseOf<'events', 'createEvent'>", sent);
    expect(double.writes().map((w) => [w.method, w.path])).toEqual([['POST', '/api/v1/events']]);
  });

  it("answered nothing the official client's types do not declare", () => {
    const problems = shapes.verify();
    expect(problems, formatProblems(problems)).toEqual([]);
  }, 60_000);
});

describe("the NexaCloud fixture's hand math is Lago's documented math", () => {
  it('matches the charge models’ documented cases and the spec’s own examples', async () => {
    const { apiRequestsCents, baseFeeCents, egressCents, peakVcpuCents } = await import('../../harness/lago/fixtures/nexacloud.ts');
    // Lago's package docs: $5 per 100 units, the first 100 free, 201 units → $10.
    expect([egressCents(100n), egressCents(101n), egressCents(201n)]).toEqual([0n, 500n, 1000n]);
    // The spec's examples of the same charges (spec/nexa.yaml), computed independently here.
    expect([apiRequestsCents(100_000n), apiRequestsCents(250_000n), apiRequestsCents(1_500_000n)]).toEqual([0n, 6000n, 48500n]);
    expect([peakVcpuCents(8n), peakVcpuCents(9n), peakVcpuCents(40n)]).toEqual([4800n, 4500n, 17000n]);
    // A base fee prorated by days: 15 of 30 days of 99.00.
    expect(baseFeeCents(15, 30)).toBe(4950n);
  });
});
