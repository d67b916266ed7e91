// The NexaCloud pilot, end to end on a real Odoo 19: a Toronto customer subscribes to
// nexacloud_pro through the Lago-shaped API, a month of usage arrives in batches (with resends,
// concurrent resends, conflicts and bad requests), current usage is rated, the month is closed
// through JSON-2 into a posted invoice with Ontario HST, a late event stays out of it, and the
// subscription is terminated. The module is driven only through /api/v1 and Odoo's JSON-2.
//
// Every expected amount is computed here by hand from spec/nexa.yaml's plans; money is integer
// cents (BigInt), never float arithmetic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooAccessError, OdooClient, OdooMissingError, OdooNotFoundError, OdooUserError, OdooValidationError } from '../clients/json2.ts';
import { applyLogGate, describeViolation, parseOdooLog } from '../odoo-log.ts';
import { isLagoError, okBody, type LagoClient, type LagoCustomerUsage, type LagoEventInput } from '../clients/lago.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { chunk, EVENTS_BATCH_LIMIT, sendInBatches, spreadSeconds } from '../support/events.ts';
import { add, dec, divRoundHalfUp, formatCents, ratioToFixed } from '../support/money.ts';
import { isoSeconds, localDate, monthPeriod, type MonthPeriod } from '../support/zoned-time.ts';
import { createPhaseTimer } from '../support/phases.ts';
import { invoiceOf as invoiceOfOdoo } from '../support/invoices.ts';
import { recordIdOf, UUID_PATTERN } from '../support/lago-ids.ts';
import { nexacloud, ncApiRequests, ncEgressGb, ncPeakVcpu, ncStorageGb, type NexacloudEvent } from '../../out/client/src/index.ts';

// Lago keeps customer time zones as Rails' zone names: a Toronto customer is Eastern Time,
// America/New_York (Lago refuses America/Toronto); the clocks are the same.
const TZ = 'America/New_York';
const CUSTOMER = 'tnt_acme01';
const SUBSCRIPTION = 'sub_acme_pro';
/** Enough to reach the second tier of api_requests (100,001+ at 0.0004), in batches of 100. */
const API_REQUESTS_LAST_MONTH = 103_000;
const DAY = 86_400;
const HST = 13n; // percent, Ontario
const GST = 5n; // percent, Alberta

interface Row {
  id: number;
  [field: string]: unknown;
}

const { phase, record, summary } = createPhaseTimer();

/** Tax in cents on an untaxed amount, Odoo's "round globally": one rounding per tax. */
function taxCents(untaxedCents: bigint, percent: bigint): bigint {
  return divRoundHalfUp(untaxedCents * percent, 100n);
}

describe('NexaCloud pilot through the Lago-shaped API and JSON-2, on a real Odoo 19', () => {
  let billing: BillingServer;
  let odoo: OdooClient;
  let cloud: LagoClient;
  let desk: LagoClient;
  let field: LagoClient;
  let orderId: number;
  let cloudServiceId: number;

  // The previous calendar month in Toronto is a finished period; the current one is open.
  let previous: MonthPeriod;
  let current: MonthPeriod;
  let nowSeconds: number;
  let currentStorageDeltaAt: number; // seconds
  let firstInvoiceId: number;
  let subscriptionLagoId: string;
  let usageBeforeClose: LagoCustomerUsage;

  const previousEvents: LagoEventInput[] = [];
  const currentEvents: LagoEventInput[] = [];

  const usageCount = (domain: unknown[] = []): Promise<number> =>
    odoo.searchCount('fusion.billing.usage', [['service_id', '=', cloudServiceId], ...domain]);
  const orderUsageCount = (metric: string): Promise<number> =>
    odoo.searchCount('fusion.billing.usage', [
      ['order_id', '=', orderId],
      ['metric_id.code', '=', metric],
    ]);

  beforeAll(async () => {
    const started = performance.now();
    billing = await startBillingServer({
      db: 'pilot',
      progress: (message) => console.log(`  ${message}`),
      onStep: (step, ms) => console.log(`  TIMING setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    record('setup (database, server, keys)', performance.now() - started);
    odoo = billing.odoo;
    cloud = billing.lago('nexacloud');
    desk = billing.lago('nexadesk');
    field = billing.lago('fieldapp');
    cloudServiceId = billing.serviceIds.nexacloud!;

    // Events of the current month need some elapsed time to spread over, and the month must not
    // end during the run (the close would then bill two months): wait out those edges.
    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
    const left = monthPeriod(TZ, Date.now()).endMs - Date.now();
    if (left < 300_000) await sleep(left + 1000);
    const elapsed = Date.now() - monthPeriod(TZ, Date.now()).startMs;
    if (elapsed < 180_000) await sleep(180_000 - elapsed);
    const now = Date.now();
    previous = monthPeriod(TZ, now, -1);
    current = monthPeriod(TZ, now);
    nowSeconds = Math.floor(now / 1000);
  });

  afterAll(async () => {
    await billing?.stop();
    console.log(summary());
  });

  it('runs a Canadian company in Ontario: CAD, the l10n_ca chart, HST 13% on the catalog products, provincial fiscal positions', async () => {
    await phase('company and taxes (JSON-2)', async () => {
      const [company] = await odoo.searchRead(
        'res.company',
        [['id', '=', 1]],
        ['country_id', 'state_id', 'currency_id', 'chart_template', 'account_sale_tax_id'],
      );
      expect(company).toMatchObject({
        chart_template: 'ca_2023',
        country_id: [expect.any(Number), 'Canada'],
        state_id: [expect.any(Number), expect.stringMatching(/Ontario/)],
        currency_id: [expect.any(Number), 'CAD'],
        account_sale_tax_id: [expect.any(Number), '13% HST'],
      });

      const products = await odoo.searchRead<Row & { default_code: string; taxes_id: number[] }>(
        'product.product',
        [['default_code', 'in', ['NC-PRO', 'NC-API', 'NC-STOR', 'NC-EGR', 'NC-VCPU']]],
        ['default_code', 'taxes_id'],
      );
      expect(products).toHaveLength(5);
      const taxIds = [...new Set(products.flatMap((product) => product.taxes_id))];
      const taxes = await odoo.searchRead('account.tax', [['id', 'in', taxIds]], ['name', 'amount', 'type_tax_use']);
      // A company in ON gets l10n_ca's HST 13% as default sales tax (GST 5% without a province).
      expect(taxes).toEqual([expect.objectContaining({ name: '13% HST', amount: 13, type_tax_use: 'sale' })]);

      const positions = await odoo.searchRead<Row & { name: string; tax_ids: number[] }>(
        'account.fiscal.position',
        [
          ['auto_apply', '=', true],
          ['country_id.code', '=', 'CA'],
          ['state_ids.code', 'in', ['ON', 'AB']],
        ],
        ['name', 'tax_ids'],
      );
      expect(positions.map((position) => position.name).sort()).toEqual(['Alberta (AB)', 'Ontario (ON)']);
    });
  });

  it('answers the same through the XML-RPC fallback, and both transports raise typed errors with the server message', async () => {
    await phase('JSON-2 and XML-RPC clients', async () => {
      const xmlrpc = new OdooClient({
        baseUrl: billing.server.baseUrl,
        db: billing.db,
        apiKey: billing.adminKey,
        transport: 'xmlrpc',
        login: 'admin',
      });
      const read = (client: OdooClient) =>
        client.searchRead('fusion.billing.service', [['code', 'in', ['nexacloud', 'nexadesk']]], ['code', 'currency_id', 'kind'], {
          order: 'code',
        });
      expect(await read(xmlrpc)).toEqual(await read(odoo));

      // A Python constraint: JSON-2 names the ValidationError; XML-RPC only says "UserError"
      // (fault code 2). Both carry the server's message, and nothing was written.
      const [admin] = await odoo.searchRead<Row & { partner_id: [number, string] }>('res.users', [['login', '=', 'admin']], ['partner_id']);
      const recursive = { ids: [admin!.partner_id[0]], vals: { parent_id: admin!.partner_id[0] } };
      const viaJson2 = await odoo.call('res.partner', 'write', recursive).catch((error: unknown) => error);
      expect(viaJson2).toBeInstanceOf(OdooValidationError);
      expect(viaJson2).toMatchObject({
        status: 422,
        odooName: 'odoo.exceptions.ValidationError',
        message: 'You cannot create recursive Partner hierarchies.',
      });
      const viaXmlrpc = await xmlrpc.call('res.partner', 'write', recursive).catch((error: unknown) => error);
      expect(viaXmlrpc).toBeInstanceOf(OdooUserError);
      expect(viaXmlrpc).toMatchObject({ transport: 'xmlrpc', message: 'You cannot create recursive Partner hierarchies.' });
      expect(await odoo.searchRead('res.partner', [['id', '=', admin!.partner_id[0]]], ['parent_id'])).toEqual([
        { id: admin!.partner_id[0], parent_id: false },
      ]);

      await expect(odoo.call('sale.order', 'write', { ids: [999_999], vals: { note: 'x' } })).rejects.toBeInstanceOf(OdooMissingError);
      await expect(odoo.call('sale.order', 'no_such_method', {})).rejects.toBeInstanceOf(OdooNotFoundError);
      // Rating is private (leading underscore): refused remotely, hence odoo-bin shell in the benchmark.
      const privateCall = await odoo.call('sale.order', '_fusion_rate', { period_of: {} }).catch((error: unknown) => error);
      expect(privateCall).toBeInstanceOf(OdooAccessError);
      expect(privateCall).toMatchObject({ status: 403, message: expect.stringMatching(/^Private methods/) });
    });
  });

  it('publishes the catalog: billable metrics and the plans, Pro among them', async () => {
    await phase('catalog (GET /billable_metrics, /plans)', async () => {
      const metrics = okBody(await cloud.listBillableMetrics(), 'GET /billable_metrics');
      expect(metrics.billable_metrics.map((metric) => [metric.code, metric.aggregation_type, metric.recurring]).sort()).toEqual([
        ['nc_api_requests', 'count_agg', false],
        ['nc_egress_gb', 'sum_agg', false],
        ['nc_peak_vcpu', 'max_agg', false],
        ['nc_storage_gb', 'weighted_sum_agg', true],
      ]);
      expect(metrics.meta).toMatchObject({ current_page: 1, total_count: 4 });

      const plans = okBody(await cloud.listPlans(), 'GET /plans');
      expect(
        plans.plans.map((p) => [p.code, p.interval, p.amount_cents, p.pay_in_advance, p.trial_period, p.bill_charges_monthly]).sort(),
      ).toEqual([
        ['nexacloud_pro', 'monthly', 9900, false, 0, null],
        ['nexacloud_pro_annual', 'yearly', 99000, true, 0, true],
        ['nexacloud_starter', 'monthly', 2900, true, 14, null],
      ]);
      const plan = plans.plans.find((p) => p.code === 'nexacloud_pro');
      expect(plan).toMatchObject({ code: 'nexacloud_pro', interval: 'monthly', amount_cents: 9900, amount_currency: 'CAD' });
      expect(plan!.charges!.map((charge) => [charge.code, charge.billable_metric_code, charge.charge_model])).toEqual([
        ['api_requests', 'nc_api_requests', 'graduated'],
        ['egress', 'nc_egress_gb', 'package'],
        ['peak_vcpu', 'nc_peak_vcpu', 'volume'],
        ['storage', 'nc_storage_gb', 'standard'],
      ]);
    });
  });

  it('creates the Toronto customer and the nexacloud_pro subscription from the start of the previous month', async () => {
    await phase('customer and subscription (API)', async () => {
      const { customer } = okBody(
        await cloud.upsertCustomer({
          external_id: CUSTOMER,
          name: 'Acme Robotics Inc.',
          email: 'billing@acme-robotics.example',
          address_line1: '200 Bay Street',
          city: 'Toronto',
          zipcode: 'M5J 2J1',
          state: 'ON',
          country: 'CA',
          timezone: TZ,
        }),
        'POST /customers',
      );
      expect(customer).toMatchObject({ external_id: CUSTOMER, country: 'CA', state: 'ON', city: 'Toronto', currency: 'CAD', timezone: TZ });

      const { subscription } = okBody(
        await cloud.createSubscription({
          external_customer_id: CUSTOMER,
          plan_code: 'nexacloud_pro',
          external_id: SUBSCRIPTION,
          billing_time: 'calendar',
          subscription_at: isoSeconds(previous.startMs),
        }),
        'POST /subscriptions',
      );
      expect(subscription).toMatchObject({
        external_id: SUBSCRIPTION,
        external_customer_id: CUSTOMER,
        plan_code: 'nexacloud_pro',
        status: 'active',
        subscription_at: isoSeconds(previous.startMs),
      });
      orderId = recordIdOf(subscription.lago_id, 'sale.order');
      subscriptionLagoId = subscription.lago_id;

      // The subscription is a confirmed order in CAD, and Odoo gave it Ontario's fiscal position.
      const [order] = await odoo.searchRead(
        'sale.order',
        [['fusion_external_id', '=', SUBSCRIPTION]],
        ['state', 'currency_id', 'fiscal_position_id', 'fusion_status'],
      );
      expect(order).toMatchObject({
        id: orderId,
        state: 'sale',
        currency_id: [expect.any(Number), 'CAD'],
        fiscal_position_id: [expect.any(Number), 'Ontario (ON)'],
        fusion_status: 'active',
      });
    });
  });

  it(`ingests last month's usage for every charge through the generated client: ${API_REQUESTS_LAST_MONTH} API requests, egress, peak vCPU, storage deltas`, async () => {
    // Built by the typed constructors of out/client (a wrong metric or property would not compile)
    // and sent by its batching sender, as the NexaCloud app does.
    const base = (transactionId: string, timestamp: number) => ({ transactionId, externalSubscriptionId: SUBSCRIPTION, timestamp });
    const typed: NexacloudEvent[] = [];
    // API requests (count): spread evenly over the month, whole seconds.
    spreadSeconds(previous.startMs, previous.endMs, API_REQUESTS_LAST_MONTH).forEach((timestamp, index) =>
      typed.push(ncApiRequests({ ...base(`api-prev-${index}`, timestamp), properties: { region: index % 3 ? 'ca-central' : 'us-east' } })),
    );
    // Egress (sum), as decimal strings and JSON numbers: 12.5 + 30 + 7.25 + 48 + 0.75 + 55.5 + 19
    // + 23.25 + 60 + 11.75 + 40 + 17 = 325 GB.
    const egress: (`${number}` | number)[] = ['12.5', 30, '7.25', 48, '0.75', '55.5', '19', '23.25', 60, '11.75', '40', 17];
    expect(add(...egress.map((gb) => dec(gb))).coefficient).toBe(32500n);
    spreadSeconds(previous.startMs, previous.endMs, egress.length).forEach((timestamp, index) =>
      typed.push(ncEgressGb({ ...base(`egr-prev-${index}`, timestamp + 3600), properties: { gb: egress[index]! } })),
    );
    // Peak vCPU (max): 16.
    [4, 8, 16, 12, 6].forEach((vcpus, index) =>
      typed.push(ncPeakVcpu({ ...base(`cpu-prev-${index}`, previous.startMs / 1000 + (index + 1) * 5 * DAY), properties: { vcpus } })),
    );
    // Storage (weighted_sum, recurring): deltas +100 at the start, +50 after 10 days, -30 after 20 days.
    (
      [
        [0, '100'],
        [10 * DAY, '50'],
        [20 * DAY, '-30'],
      ] as const
    ).forEach(([offset, gb], index) =>
      typed.push(ncStorageGb({ ...base(`sto-prev-${index}`, previous.startMs / 1000 + offset), properties: { gb } })),
    );
    previousEvents.push(...(typed as LagoEventInput[]));

    const refused: unknown[] = [];
    const sender = nexacloud.sender(
      nexacloud.client({ baseUrl: `${billing.server.baseUrl}/api/v1`, apiKey: billing.serviceKeys.nexacloud! }),
      { onRejected: (events, error) => refused.push({ events: events.length, error }) },
    );
    const stats = await phase(
      `ingest ${typed.length} events of last month (generated client's sender, batches of ${EVENTS_BATCH_LIMIT})`,
      async () => {
        for (const event of typed) await sender.send(event);
        return sender.close();
      },
    );
    expect(refused).toEqual([]);
    expect(stats).toMatchObject({ sent: typed.length, rejected: 0, queued: 0 });
    const first = okBody(await cloud.request<{ event: Record<string, unknown> }>('GET', '/events/api-prev-0'), 'GET /events/{id}');
    expect(first.event).toMatchObject({
      transaction_id: 'api-prev-0',
      code: 'nc_api_requests',
      external_subscription_id: SUBSCRIPTION,
      lago_subscription_id: subscriptionLagoId,
      timestamp: new Date(previous.startMs).toISOString(),
    });

    await phase('count stored rows per metric (JSON-2)', async () => {
      expect(await orderUsageCount('nc_api_requests')).toBe(API_REQUESTS_LAST_MONTH);
      expect(await orderUsageCount('nc_egress_gb')).toBe(12);
      expect(await orderUsageCount('nc_peak_vcpu')).toBe(5);
      expect(await orderUsageCount('nc_storage_gb')).toBe(3);
    });
  });

  it('ingests the current month so far, in a batch with in-batch duplicates and as single events', async () => {
    const span = (count: number) => spreadSeconds(current.startMs, nowSeconds * 1000, count + 1).slice(1);
    // 250 API requests, then the first 10 again inside the same batch: counted once.
    span(250).forEach((timestamp, index) =>
      currentEvents.push({
        transaction_id: `api-cur-${index}`,
        external_subscription_id: SUBSCRIPTION,
        code: 'nc_api_requests',
        timestamp,
        properties: { region: 'ca-central' },
      }),
    );
    const withDuplicates = [...currentEvents.slice(0, 90), ...currentEvents.slice(0, 10)];
    const [egressAt, cpuAt] = [span(3), span(3)];
    // Egress 150 + 25.5 + 30 = 205.5 GB; peak vCPU max(3, 40, 12) = 40.
    const egress = ['150', '25.5', '30'].map(
      (gb, index): LagoEventInput => ({
        transaction_id: `egr-cur-${index}`,
        external_subscription_id: SUBSCRIPTION,
        code: 'nc_egress_gb',
        timestamp: egressAt[index]!,
        properties: { gb },
      }),
    );
    const cpu = [3, 40, 12].map(
      (vcpus, index): LagoEventInput => ({
        transaction_id: `cpu-cur-${index}`,
        external_subscription_id: SUBSCRIPTION,
        code: 'nc_peak_vcpu',
        timestamp: cpuAt[index]!,
        properties: { vcpus },
      }),
    );
    // Storage: +80 GB halfway through the elapsed part of the month.
    currentStorageDeltaAt = current.startMs / 1000 + Math.floor((nowSeconds - current.startMs / 1000) / 2);
    const storage: LagoEventInput = {
      transaction_id: 'sto-cur-0',
      external_subscription_id: SUBSCRIPTION,
      code: 'nc_storage_gb',
      timestamp: currentStorageDeltaAt,
      properties: { gb: '80' },
    };

    await phase('ingest the current month (batch with duplicates, single events)', async () => {
      const duplicated = okBody(await cloud.createEventsBatch(withDuplicates), 'batch with in-batch duplicates');
      // A duplicate inside the batch answers the same stored event as its first occurrence.
      expect(duplicated.events.slice(90).map((event) => event.lago_id)).toEqual(
        duplicated.events.slice(0, 10).map((event) => event.lago_id),
      );
      for (const batch of chunk(currentEvents.slice(90), EVENTS_BATCH_LIMIT))
        okBody(await cloud.createEventsBatch(batch), 'current month batch');
      for (const event of [...egress, ...cpu, storage]) okBody(await cloud.createEvent(event), `POST /events ${event.transaction_id}`);
    });
    currentEvents.push(...egress, ...cpu, storage);
    expect(await usageCount([['transaction_id', '=like', 'api-cur-%']])).toBe(250);
  });

  it('answers exact resends with the stored event and stores nothing more', async () => {
    await phase('exact resends', async () => {
      const before = await usageCount();
      const resent = await sendInBatches(cloud, previousEvents.slice(0, 2 * EVENTS_BATCH_LIMIT), { concurrency: 2 });
      const again = await sendInBatches(cloud, previousEvents.slice(0, 2 * EVENTS_BATCH_LIMIT), { concurrency: 2 });
      expect(resent.map((response) => response.status)).toEqual([200, 200]);
      expect(again.flatMap((response) => okBody(response).events.map((event) => event.lago_id))).toEqual(
        resent.flatMap((response) => okBody(response).events.map((event) => event.lago_id)),
      );
      const single = okBody(await cloud.createEvent(currentEvents.at(-1)!), 'single resend');
      expect(single.event.transaction_id).toBe('sto-cur-0');
      expect(await usageCount()).toBe(before);
    });
  });

  it('stores an event posted by 8 concurrent requests exactly once', async () => {
    const event: LagoEventInput = {
      transaction_id: 'api-cur-concurrent',
      external_subscription_id: SUBSCRIPTION,
      code: 'nc_api_requests',
      timestamp: nowSeconds - 60,
      properties: { region: 'us-east' },
    };
    const responses = await phase('8 concurrent resends of one event', () =>
      Promise.all(Array.from({ length: 8 }, () => cloud.createEvent(event))),
    );
    expect(responses.map((response) => [response.status, isLagoError(response.body) ? response.body : 'ok'])).toEqual(
      Array(8).fill([200, 'ok']),
    );
    expect(new Set(responses.map((response) => okBody(response).event.lago_id)).size).toBe(1);
    expect(await usageCount([['transaction_id', '=', 'api-cur-concurrent']])).toBe(1);
    currentEvents.push(event);
  });

  it('refuses a conflicting resend with 422 value_already_exist, alone or in a batch, and writes nothing', async () => {
    await phase('conflicting resends', async () => {
      const before = await usageCount();
      const conflicting = { ...previousEvents.find((event) => event.transaction_id === 'egr-prev-0')!, properties: { gb: '999' } };
      const single = await cloud.createEvent(conflicting);
      expect(single).toEqual({
        status: 422,
        body: {
          status: 422,
          error: 'Unprocessable Entity',
          code: 'validation_errors',
          error_details: { transaction_id: ['value_already_exist'] },
        },
      });

      const fresh: LagoEventInput = {
        transaction_id: 'egr-cur-never',
        external_subscription_id: SUBSCRIPTION,
        code: 'nc_egress_gb',
        timestamp: nowSeconds - 30,
        properties: { gb: '1' },
      };
      const batch = await cloud.createEventsBatch([fresh, conflicting]);
      expect(batch).toEqual({
        status: 422,
        body: {
          status: 422,
          error: 'Unprocessable Entity',
          code: 'validation_errors',
          error_details: { 1: { transaction_id: ['value_already_exist'] } },
        },
      });

      expect(await usageCount()).toBe(before);
      expect(await usageCount([['transaction_id', '=', 'egr-cur-never']])).toBe(0);
      const [stored] = await odoo.searchRead('fusion.billing.usage', [['transaction_id', '=', 'egr-prev-0']], ['properties']);
      expect(stored!.properties).toEqual({ gb: '12.5' });
    });
  });

  it('refuses bad requests without writing anything: 401, 404, 413, 422 unknown metric, 400 malformed JSON', async () => {
    await phase('bad requests', async () => {
      const before = await usageCount();
      const event: LagoEventInput = {
        transaction_id: 'bad-0',
        external_subscription_id: SUBSCRIPTION,
        code: 'nc_api_requests',
        timestamp: nowSeconds - 10,
        properties: { region: 'us-east' },
      };

      expect(await cloud.request('POST', '/events', { body: { event }, apiKey: 'fb_not-a-key' })).toEqual({
        status: 401,
        body: { status: 401, error: 'Unauthorized' },
      });
      expect(await cloud.request('POST', '/events', { body: { event }, apiKey: null })).toEqual({
        status: 401,
        body: { status: 401, error: 'Unauthorized' },
      });

      // NexaDesk's key does not see NexaCloud's customer or subscription.
      expect(await desk.currentUsage(CUSTOMER, SUBSCRIPTION)).toEqual({
        status: 404,
        body: { status: 404, error: 'Not Found', code: 'customer_not_found' },
      });
      expect(await desk.terminateSubscription(SUBSCRIPTION)).toEqual({
        status: 404,
        body: { status: 404, error: 'Not Found', code: 'subscription_not_found' },
      });

      // 100 events carrying 11 kB each: over the 1 MiB body limit.
      const oversized = Array.from({ length: 100 }, (_, index) => ({
        ...event,
        transaction_id: `bad-big-${index}`,
        properties: { region: 'us-east', note: 'x'.repeat(11_000) },
      }));
      const tooLarge = await cloud.request('POST', '/events/batch', { body: { events: oversized } });
      expect(tooLarge).toEqual({ status: 413, body: { status: 413, error: 'Payload Too Large' } });

      // One unknown metric code refuses the whole batch, with the error under its index.
      const unknown = await cloud.createEventsBatch([
        { ...event, transaction_id: 'bad-ok-0' },
        { ...event, transaction_id: 'bad-unknown', code: 'nc_gpu_hours' },
        { ...event, transaction_id: 'bad-ok-2' },
      ]);
      expect(unknown).toEqual({
        status: 422,
        body: {
          status: 422,
          error: 'Unprocessable Entity',
          code: 'validation_errors',
          error_details: { 1: { code: ['metric_not_found'] } },
        },
      });

      const malformed = await cloud.request('POST', '/events', { body: '{"event": {"transaction_id": "bad-json", ' });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ status: 400, error: expect.stringMatching(/^BadRequest: /) });

      expect(await usageCount()).toBe(before);
      expect(await usageCount([['transaction_id', '=like', 'bad-%']])).toBe(0);
      const [order] = await odoo.searchRead('sale.order', [['id', '=', orderId]], ['fusion_status']);
      expect(order!.fusion_status).toBe('active');
    });
  });

  it('rates the current month in current_usage as computed by hand', async () => {
    const usage = await phase(
      'current_usage',
      async () => okBody(await cloud.currentUsage(CUSTOMER, SUBSCRIPTION), 'GET current_usage').customer_usage,
    );
    usageBeforeClose = usage;
    const Q = BigInt(current.seconds);
    const start = BigInt(current.startMs / 1000);
    const deltaAt = BigInt(currentStorageDeltaAt);
    const end = BigInt(current.endMs / 1000);
    // Storage carries last month's closing 100 + 50 - 30 = 120 GB, then 200 GB from the +80 delta
    // to the end of the period: units = (120 × (t − start) + 200 × (end − t)) / Q GB-month, at 0.12.
    const storageGbSeconds = 120n * (deltaAt - start) + 200n * (end - deltaAt);
    const storageCents = divRoundHalfUp(12n * storageGbSeconds, Q);
    const expected = {
      // 251 requests (250 + the concurrent one): inside the free first tier (0–100,000).
      nc_api_requests: { units: '251.0', events_count: 251, amount_cents: 0 },
      // 205.5 GB, 100 free, packages of 100 at 5.00: ceil(105.5 / 100) = 2 → 10.00.
      nc_egress_gb: { units: '205.5', events_count: 3, amount_cents: 1000 },
      // Peak 40 vCPUs: volume tier 33+ at 4.00 plus 10.00 flat → 170.00.
      nc_peak_vcpu: { units: '40.0', events_count: 3, amount_cents: 17000 },
      nc_storage_gb: { events_count: 1, amount_cents: Number(storageCents) },
    };
    const charges = Object.fromEntries(usage.charges_usage.map((charge) => [charge.billable_metric.code, charge]));
    for (const [code, figures] of Object.entries(expected)) expect(charges[code], code).toMatchObject(figures);
    expect(charges.nc_storage_gb!.units.startsWith(ratioToFixed(storageGbSeconds, Q, 8))).toBe(true);

    const amount = 1000n + 17000n + storageCents;
    expect(usage).toMatchObject({
      from_datetime: isoSeconds(current.startMs),
      to_datetime: isoSeconds(current.endMs - 1000),
      currency: 'CAD',
      amount_cents: Number(amount),
      // Ontario: 13% HST on the whole (one tax, rounded once).
      taxes_amount_cents: Number(taxCents(amount, HST)),
      total_amount_cents: Number(amount + taxCents(amount, HST)),
    });
    console.log(
      `  current usage: ${formatCents(amount)} CAD + HST ${formatCents(taxCents(amount, HST))} (storage ${charges.nc_storage_gb!.units} GB-month)`,
    );
  });

  // Last month, by hand: base fee 99.00 for the full month;
  //  API requests 103,000: tier 1 (0–100,000) free, tier 2 from 100,001: 103,000 − 100,001 + 1 = 3,000 × 0.0004 = 1.20;
  //  egress 325 GB: 225 paid → ceil(2.25) = 3 packages × 5.00 = 15.00;
  //  peak vCPU 16: volume tier 9–32 at 5.00 → 80.00;
  //  storage: 100 GB for 10 days, 150 GB for 10 days, 120 GB for the rest (P − 20 days), ÷ P s, × 0.12.
  function lastMonthLines(): Record<string, bigint> {
    const P = BigInt(previous.seconds);
    const gbSeconds = 100n * 864_000n + 150n * 864_000n + 120n * (P - 1_728_000n);
    return { 'NC-PRO': 9900n, 'NC-API': 120n, 'NC-EGR': 1500n, 'NC-VCPU': 8000n, 'NC-STOR': divRoundHalfUp(12n * gbSeconds, P) };
  }

  const invoiceOf = (invoiceId: number) => invoiceOfOdoo(odoo, invoiceId);

  it('closes last month through JSON-2 into a posted invoice, to the cent, with 13% HST', async () => {
    await phase('period close (JSON-2 action_fusion_close_periods)', () =>
      odoo.call('sale.order', 'action_fusion_close_periods', { ids: [orderId] }),
    );
    const [order] = await odoo.searchRead<Row & { invoice_ids: number[]; fusion_closed_until: string }>(
      'sale.order',
      [['id', '=', orderId]],
      ['invoice_ids', 'fusion_closed_until'],
    );
    expect(order!.fusion_closed_until).toBe(isoSeconds(current.startMs).replace('T', ' ').replace('Z', ''));
    expect(order!.invoice_ids).toHaveLength(1);
    firstInvoiceId = order!.invoice_ids[0]!;

    const invoice = await invoiceOf(firstInvoiceId);
    const expected = lastMonthLines();
    const untaxed = Object.values(expected).reduce((sum, cents) => sum + cents, 0n);
    expect(invoice.move).toMatchObject({
      state: 'posted',
      move_type: 'out_invoice',
      currency_id: [expect.any(Number), 'CAD'],
      fiscal_position_id: [expect.any(Number), 'Ontario (ON)'],
    });
    expect(invoice.byCode).toEqual(expected);
    expect(invoice.lines.every((line) => line.quantity === 1)).toBe(true);
    expect(invoice.taxNames).toEqual(['13% HST']);
    expect({ untaxed: invoice.untaxed, tax: invoice.tax, total: invoice.total }).toEqual({
      untaxed,
      tax: taxCents(untaxed, HST),
      total: untaxed + taxCents(untaxed, HST),
    });
    console.log(
      `  last month's invoice: ${formatCents(untaxed)} + HST ${formatCents(taxCents(untaxed, HST))} = ${formatCents(untaxed + taxCents(untaxed, HST))} CAD (storage ${formatCents(expected['NC-STOR']!)})`,
    );
  });

  it('lists the invoice through GET /invoices in integer cents', async () => {
    const { invoices, meta } = await phase('GET /invoices', async () =>
      okBody(await cloud.listInvoices({ external_customer_id: CUSTOMER }), 'GET /invoices'),
    );
    const untaxed = Object.values(lastMonthLines()).reduce((sum, cents) => sum + cents, 0n);
    expect(meta.total_count).toBe(1);
    expect(invoices[0]).toMatchObject({
      lago_id: expect.stringMatching(UUID_PATTERN),
      status: 'finalized',
      payment_status: 'pending',
      currency: 'CAD',
      fees_amount_cents: Number(untaxed),
      taxes_amount_cents: Number(taxCents(untaxed, HST)),
      total_amount_cents: Number(untaxed + taxCents(untaxed, HST)),
    });
    expect(recordIdOf(invoices[0]!.lago_id, 'account.move')).toBe(firstInvoiceId);
  });

  it('closing again changes nothing', async () => {
    const read = () =>
      odoo.searchRead<Row & { invoice_ids: number[]; order_line: number[] }>(
        'sale.order',
        [['id', '=', orderId]],
        ['invoice_ids', 'order_line', 'fusion_closed_until'],
      );
    const [before] = await read();
    await phase('second close (JSON-2)', () => odoo.call('sale.order', 'action_fusion_close_periods', { ids: [orderId] }));
    const [after] = await read();
    expect(after).toEqual(before);
    expect((await invoiceOf(firstInvoiceId)).byCode).toEqual(lastMonthLines());
  });

  it('stores a late event (last month, sent after the close) with late = true, and no invoice changes', async () => {
    await phase('late event', async () => {
      const late: LagoEventInput = {
        transaction_id: 'api-late-0',
        external_subscription_id: SUBSCRIPTION,
        code: 'nc_api_requests',
        timestamp: previous.startMs / 1000 + 5 * DAY,
        properties: { region: 'us-east' },
      };
      okBody(await cloud.createEvent(late), 'late event');
      const [row] = await odoo.searchRead('fusion.billing.usage', [['transaction_id', '=', 'api-late-0']], ['late', 'order_id']);
      expect(row).toMatchObject({ late: true, order_id: [orderId, expect.any(String)] });

      await odoo.call('sale.order', 'action_fusion_close_periods', { ids: [orderId] });
      const [order] = await odoo.searchRead<Row & { invoice_ids: number[] }>('sale.order', [['id', '=', orderId]], ['invoice_ids']);
      expect(order!.invoice_ids).toEqual([firstInvoiceId]);
      const invoice = await invoiceOf(firstInvoiceId);
      expect(invoice.byCode).toEqual(lastMonthLines());
      // Nor does it touch the open period.
      const usage = okBody(await cloud.currentUsage(CUSTOMER, SUBSCRIPTION)).customer_usage;
      expect(usage.amount_cents).toBe(usageBeforeClose.amount_cents);
      expect(usage.charges_usage.map((charge) => charge.units)).toEqual(usageBeforeClose.charges_usage.map((charge) => charge.units));
    });
  });

  it('DELETE /subscriptions/{id} terminates and bills the partial current month', async () => {
    const { subscription } = await phase('terminate (DELETE /subscriptions)', async () =>
      okBody(await cloud.terminateSubscription(SUBSCRIPTION), 'DELETE /subscriptions'),
    );
    expect(subscription).toMatchObject({ external_id: SUBSCRIPTION, status: 'terminated', terminated_at: expect.stringMatching(/Z$/) });
    const T = BigInt(Date.parse(subscription.terminated_at!) / 1000);
    const [order] = await odoo.searchRead<Row & { invoice_ids: number[] }>(
      'sale.order',
      [['id', '=', orderId]],
      ['fusion_status', 'invoice_ids'],
    );
    expect(order!.fusion_status).toBe('terminated');
    const termination = order!.invoice_ids.filter((id) => id !== firstInvoiceId);
    expect(termination).toHaveLength(1);

    // The period [start of month, T): base fee 99.00 × days / days of the month, as Lago prorates
    // (every local day touched counts whole: the 1st to the termination day); the usage up to T
    // (API 0.00, egress 10.00, peak vCPU 170.00); storage 120 GB until the delta, 200 GB until T.
    const Q = BigInt(current.seconds);
    const start = BigInt(current.startMs / 1000);
    const deltaAt = BigInt(currentStorageDeltaAt);
    const daysBilled = BigInt(localDate(TZ, Number(T) * 1000).day);
    const daysInMonth = BigInt(Math.round(current.seconds / 86_400));
    const expected = {
      'NC-PRO': divRoundHalfUp(9900n * daysBilled, daysInMonth),
      'NC-API': 0n,
      'NC-EGR': 1000n,
      'NC-VCPU': 17000n,
      'NC-STOR': divRoundHalfUp(12n * (120n * (deltaAt - start) + 200n * (T - deltaAt)), Q),
    };
    const invoice = await invoiceOf(termination[0]!);
    expect(invoice.byCode).toEqual(expected);
    const untaxed = Object.values(expected).reduce((sum, cents) => sum + cents, 0n);
    expect({ untaxed: invoice.untaxed, tax: invoice.tax }).toEqual({ untaxed, tax: taxCents(untaxed, HST) });

    expect(await cloud.terminateSubscription(SUBSCRIPTION)).toEqual({
      status: 404,
      body: { status: 404, error: 'Not Found', code: 'subscription_not_found' },
    });
    expect(okBody(await cloud.listInvoices({ external_customer_id: CUSTOMER })).meta.total_count).toBe(2);
  });

  it('rates the other aggregations: unique_count (nexadesk_team, Alberta: 5% GST) and latest (fieldapp_business)', async () => {
    await phase('unique_count and latest plans', async () => {
      // NexaDesk, a workspace in Calgary: its months start at Edmonton midnight.
      // (Mountain Time is America/Denver in Lago's zone names; Edmonton's clocks are the same.)
      const deskMonth = monthPeriod('America/Denver', nowSeconds * 1000);
      okBody(
        await desk.upsertCustomer({
          external_id: 'ws-20240',
          name: 'Prairie Support Ltd.',
          city: 'Calgary',
          state: 'AB',
          country: 'CA',
          timezone: 'America/Denver',
        }),
        'desk customer',
      );
      okBody(
        await desk.createSubscription({
          external_customer_id: 'ws-20240',
          plan_code: 'nexadesk_team',
          external_id: 'desk_team_1',
          subscription_at: isoSeconds(deskMonth.startMs),
        }),
        'desk subscription',
      );
      const agents = ['a1', 'a2', 'a3', 'a1', 'a4', 'a5', 'a6', 'a2', 'a7'];
      const deskAt = spreadSeconds(deskMonth.startMs, nowSeconds * 1000, agents.length + 38 + 1).slice(1);
      const deskEvents: LagoEventInput[] = [
        ...agents.map((agent_id, index) => ({
          transaction_id: `agent-${index}`,
          external_subscription_id: 'desk_team_1',
          code: 'nd_agents',
          timestamp: deskAt[index]!,
          properties: { agent_id },
        })),
        // a3 leaves: its last operation is a remove.
        {
          transaction_id: 'agent-remove-a3',
          external_subscription_id: 'desk_team_1',
          code: 'nd_agents',
          timestamp: deskAt[agents.length]!,
          properties: { agent_id: 'a3', operation_type: 'remove' },
        },
        ...Array.from({ length: 37 }, (_, index) => ({
          transaction_id: `ticket-${index}`,
          external_subscription_id: 'desk_team_1',
          code: 'nd_tickets',
          timestamp: deskAt[agents.length + 1 + index]!,
        })),
      ];
      okBody(await desk.createEventsBatch(deskEvents), 'desk events');
      const deskUsage = okBody(await desk.currentUsage('ws-20240', 'desk_team_1'), 'desk current_usage').customer_usage;
      const deskCharges = Object.fromEntries(deskUsage.charges_usage.map((charge) => [charge.billable_metric.code, charge]));
      // Agents a1, a2, a4, a5, a6, a7 = 6 (a3 removed): tier 0–5 flat 49.00, tier 6+ 1 × 12.00 → 61.00.
      expect(deskCharges.nd_agents).toMatchObject({
        units: '6.0',
        amount_cents: 6100,
        billable_metric: { aggregation_type: 'unique_count_agg' },
      });
      // 37 tickets × 0.02 = 0.74.
      expect(deskCharges.nd_tickets).toMatchObject({ units: '37.0', amount_cents: 74 });
      // Alberta: the fiscal position maps HST 13% to GST 5%: 61.74 × 5% = 3.087 → 3.09.
      expect(deskUsage).toMatchObject({
        amount_cents: 6174,
        taxes_amount_cents: Number(taxCents(6174n, GST)),
        total_amount_cents: 6174 + 309,
      });

      // NexaField, a Toronto client: devices is the latest value, payments a percentage.
      const fieldMonth = monthPeriod(TZ, nowSeconds * 1000);
      okBody(
        await field.upsertCustomer({
          external_id: 'C10001',
          name: 'Lakeshore Plumbing',
          city: 'Toronto',
          state: 'ON',
          country: 'CA',
          timezone: TZ,
        }),
        'fieldapp customer',
      );
      okBody(
        await field.createSubscription({
          external_customer_id: 'C10001',
          plan_code: 'fieldapp_business',
          external_id: 'field_biz_1',
          subscription_at: isoSeconds(fieldMonth.startMs),
        }),
        'fieldapp subscription',
      );
      const fieldAt = spreadSeconds(fieldMonth.startMs, nowSeconds * 1000, 8).slice(1);
      const fieldEvents: LagoEventInput[] = [
        ...[10, 14, 12].map((devices, index) => ({
          transaction_id: `devices-${index}`,
          external_subscription_id: 'field_biz_1',
          code: 'fa_devices',
          timestamp: fieldAt[index]!,
          properties: { devices },
        })),
        ...['100', '100', '100', '50'].map((amount, index) => ({
          transaction_id: `payment-${index}`,
          external_subscription_id: 'field_biz_1',
          code: 'fa_payments',
          timestamp: fieldAt[3 + index]!,
          properties: { amount },
        })),
      ];
      okBody(await field.createEventsBatch(fieldEvents), 'fieldapp events');
      const fieldUsage = okBody(await field.currentUsage('C10001', 'field_biz_1'), 'fieldapp current_usage').customer_usage;
      const fieldCharges = Object.fromEntries(fieldUsage.charges_usage.map((charge) => [charge.billable_metric.code, charge]));
      // Latest device count 12 (not the max 14) × 3.50 = 42.00.
      expect(fieldCharges.fa_devices).toMatchObject({
        units: '12.0',
        amount_cents: 4200,
        billable_metric: { aggregation_type: 'latest_agg' },
      });
      // 350 processed: the first 3 payments are free, the 4th (50) costs 1.2% + 0.10 = 0.70.
      expect(fieldCharges.fa_payments).toMatchObject({ units: '350.0', amount_cents: 70 });
      // Ontario: 42.70 × 13% = 5.551 → 5.55.
      expect(fieldUsage).toMatchObject({
        amount_cents: 4270,
        taxes_amount_cents: Number(taxCents(4270n, HST)),
        total_amount_cents: 4270 + 555,
      });
    });
  });

  it('left no ERROR record, and no WARNING about fusion_billing, in the server log', () => {
    // Refused requests are answered, not logged as errors; concurrent resends are retried by Odoo (INFO).
    const gate = applyLogGate(parseOdooLog(billing.server.logs()).records, { module: 'fusion_billing' });
    expect(gate.violations.map(describeViolation)).toEqual([]);
  });
});
