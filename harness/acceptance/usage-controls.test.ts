// Usage controls on a real Odoo 19, through the Lago-shaped API (official client) and JSON-2, each
// invoice to the cent against figures computed here from spec/nexa.yaml:
//   - NexaCloud Starter's API requests cheaper from Canada (a charge filter): a month of regional
//     traffic, one invoice line per bucket, `filters` in current usage;
//   - NexaMaps' minimum commitment of 25.00 a month topped up by a true-up line, and its 3-day grace
//     period: the invoice stays a draft, an event arriving late is billed on it (refresh), and it is
//     finalized through the API.
// Money is integer cents (BigInt); dates are the customer's (America/New_York).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../clients/json2.ts';
import { okBody, type LagoClient, type LagoEventInput } from '../clients/lago.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { sendInBatches } from '../support/events.ts';
import { invoiceOf } from '../support/invoices.ts';
import { feeAfterTrialCents } from '../support/lago-proration.ts';
import { divRoundHalfUp, formatCents } from '../support/money.ts';
import { createPhaseTimer } from '../support/phases.ts';
import { isoSeconds, monthPeriod, type MonthPeriod } from '../support/zoned-time.ts';

const TZ = 'America/New_York';
const DAY_MS = 86_400_000;
const HST = 13n;
const STARTER = 2900n;

const { phase, record, summary } = createPhaseTimer();

const taxCents = (untaxed: bigint) => divRoundHalfUp(untaxed * HST, 100n);

/** Starter's API requests, graduated per bucket: 20,000 free, then 0.0005 each (0.0003 from Canada), in cents. */
function starterRequestsCents(units: bigint, canada: boolean): bigint {
  const billed = units > 20_000n ? units - 20_000n : 0n;
  return divRoundHalfUp(billed * (canada ? 3n : 5n), 100n);
}

/** NexaMaps map loads, volume: every load at its tier's price plus the tier's 10.00 flat fee (first tier: 0.0010). */
function mapLoadsCents(units: bigint): bigint {
  if (units === 0n) return 0n;
  if (units > 10_000n) throw new Error('the scenario stays in the first tier');
  return divRoundHalfUp(units * 10n, 100n) + 1000n;
}

interface OrderRow {
  id: number;
  invoice_ids: number[];
  [field: string]: unknown;
}

describe('Usage controls (charge filters, minimum commitment, grace period) on a real Odoo 19', () => {
  let billing: BillingServer;
  let odoo: OdooClient;
  let cloud: LagoClient;
  let maps: LagoClient;
  let m1: MonthPeriod;
  let m2: MonthPeriod;

  const orderOf = async (externalId: string) =>
    (await odoo.searchRead<OrderRow>('sale.order', [['fusion_external_id', '=', externalId]], ['invoice_ids']))[0]!;
  const close = (id: number) => odoo.call('sale.order', 'action_fusion_close_periods', { ids: [id] });
  const requests = (
    externalId: string,
    code: string,
    count: number,
    fromMs: number,
    prefix: string,
    properties?: Record<string, string>,
  ): LagoEventInput[] =>
    Array.from({ length: count }, (_, index) => ({
      transaction_id: `${prefix}-${index}`,
      external_subscription_id: externalId,
      code,
      timestamp: Math.floor((fromMs + index * 1000) / 1000),
      ...(properties ? { properties } : {}),
    }));
  const ingest = async (client: LagoClient, events: LagoEventInput[]) => {
    for (const response of await sendInBatches(client, events)) okBody(response, 'POST /events/batch');
  };

  beforeAll(async () => {
    const started = performance.now();
    billing = await startBillingServer({
      db: 'controls',
      services: ['nexacloud', 'nexamaps'],
      progress: (message) => console.log(`  ${message}`),
      onStep: (step, ms) => console.log(`  TIMING setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    record('setup (database, server, keys)', performance.now() - started);
    odoo = billing.odoo;
    cloud = billing.lago('nexacloud');
    maps = billing.lago('nexamaps');
    // The month must not turn during the run.
    const left = monthPeriod(TZ, Date.now()).endMs - Date.now();
    if (left < 300_000) await new Promise((done) => setTimeout(done, left + 1000));
    const now = Date.now();
    m1 = monthPeriod(TZ, now, -1);
    m2 = monthPeriod(TZ, now);
    for (const [client, id] of [
      [cloud, 'tnt_controls01'],
      [maps, 'maps-controls-01'],
    ] as const) {
      okBody(
        await client.upsertCustomer({
          external_id: id,
          name: 'Controls Robotics Inc.',
          email: 'billing@controls.example',
          address_line1: '1 Yonge Street',
          city: 'Toronto',
          zipcode: 'M5E 1E5',
          state: 'ON',
          country: 'CA',
          timezone: TZ,
        }),
        'POST /customers',
      );
    }
  });

  afterAll(async () => {
    await billing?.stop();
    console.log(summary());
  });

  it('prices API requests from Canada with their filter and the rest with the charge: one line per bucket', async () => {
    okBody(
      await cloud.createSubscription({
        external_customer_id: 'tnt_controls01',
        plan_code: 'nexacloud_starter',
        external_id: 'sub_ctl_region',
        billing_time: 'calendar',
        subscription_at: isoSeconds(m1.startMs),
      }),
      'POST /subscriptions',
    );
    const canada = 30_000;
    const us = 15_000;
    const unknown = 11_000;
    await phase(`ingest ${canada + us + unknown} regional requests`, () =>
      ingest(cloud, [
        ...requests('sub_ctl_region', 'nc_api_requests', canada, m1.startMs + 2 * DAY_MS, 'ctl-ca', { region: 'ca-central' }),
        ...requests('sub_ctl_region', 'nc_api_requests', us, m1.startMs + 3 * DAY_MS, 'ctl-us', { region: 'us-east' }),
        ...requests('sub_ctl_region', 'nc_api_requests', unknown, m1.startMs + 4 * DAY_MS, 'ctl-none'),
      ]),
    );
    const order = await orderOf('sub_ctl_region');
    await phase('close (JSON-2)', () => close(order.id));
    const invoice = await invoiceOf(odoo, (await orderOf('sub_ctl_region')).invoice_ids[0]!);
    // Canada: its own 20,000 free, 10,000 at 0.0003; the others together: 26,000 − 20,000 at 0.0005.
    const canadaCents = starterRequestsCents(BigInt(canada), true);
    const otherCents = starterRequestsCents(BigInt(us + unknown), false);
    // Starter's fee: the month after its 14-day trial, and the current month in advance.
    const fee = feeAfterTrialCents(TZ, m1, 14, STARTER) + STARTER;
    expect(invoice.byCode).toEqual({ 'NC-START': fee, 'NC-API': canadaCents + otherCents });
    const apiLines = invoice.lines
      .filter((line) => line.product_id[1].includes('NC-API'))
      .map((line) => [line.name.includes('(API requests (Canada))'), line.price_subtotal]);
    expect(apiLines.sort()).toEqual([
      [false, Number(formatCents(otherCents))],
      [true, Number(formatCents(canadaCents))],
    ]);
    const untaxed = fee + canadaCents + otherCents;
    expect({ untaxed: invoice.untaxed, total: invoice.total }).toEqual({ untaxed, total: untaxed + taxCents(untaxed) });
    console.log(
      `  regional: Canada ${formatCents(canadaCents)}, the rest ${formatCents(otherCents)}; invoice ${formatCents(untaxed)} + HST`,
    );

    // This month so far, as current usage shows it: the charge, and each bucket under `filters`.
    await ingest(cloud, requests('sub_ctl_region', 'nc_api_requests', 3, m2.startMs + 60_000, 'ctl-now-ca', { region: 'ca-central' }));
    const usage = okBody(await cloud.currentUsage('tnt_controls01', 'sub_ctl_region'), 'GET current_usage').customer_usage;
    const charge = usage.charges_usage.find((c) => c.billable_metric.code === 'nc_api_requests')!;
    expect(charge.units).toBe('3.0');
    expect(charge.filters).toEqual([
      expect.objectContaining({
        units: '3.0',
        events_count: 3,
        amount_cents: 0,
        values: { region: ['ca-central'] },
        invoice_display_name: 'API requests (Canada)',
      }),
      expect.objectContaining({ units: '0.0', events_count: 0, amount_cents: 0, values: {} }),
    ]);
  });

  it('tops NexaMaps up to its 25.00 commitment, keeps the invoice a draft 3 days, bills a late event on it, then finalizes', async () => {
    okBody(
      await maps.createSubscription({
        external_customer_id: 'maps-controls-01',
        plan_code: 'nexamaps_payg',
        external_id: 'maps-ctl-sub',
        billing_time: 'calendar',
        subscription_at: isoSeconds(m1.startMs),
      }),
      'POST /subscriptions',
    );
    await ingest(maps, requests('maps-ctl-sub', 'nm_map_loads', 500, m1.startMs + 5 * DAY_MS, 'maps-load'));
    const order = await orderOf('maps-ctl-sub');
    await phase('close NexaMaps (JSON-2)', () => close(order.id));
    const invoiceId = (await orderOf('maps-ctl-sub')).invoice_ids[0]!;
    const commitment = 2500n;
    let loads = mapLoadsCents(500n);
    let draft = await invoiceOf(odoo, invoiceId);
    expect(draft.move).toMatchObject({ state: 'draft' });
    expect(draft.byCode).toEqual({ 'NM-LOAD': loads, 'NM-PAYG': commitment - loads });
    const listed = okBody(await maps.listInvoices({ external_customer_id: 'maps-controls-01' }), 'GET /invoices').invoices[0]!;
    expect(listed.status).toBe('draft');
    const lagoId = listed.lago_id;
    expect(
      await odoo.searchCount('fusion.billing.webhook', [
        ['webhook_type', '=', 'invoice.drafted'],
        ['object_key', '=', `account.move,${invoiceId}`],
      ]),
    ).toBeGreaterThan(0);

    // Ten loads of last month arrive late: refreshed, the draft bills them and its true-up shrinks.
    await ingest(maps, requests('maps-ctl-sub', 'nm_map_loads', 10, m1.startMs + 20 * DAY_MS, 'maps-late'));
    const refreshed = await phase(
      'refresh (PUT /invoices/{id}/refresh)',
      async () => (await maps.official.invoices.refreshInvoice(lagoId)).data.invoice,
    );
    loads = mapLoadsCents(510n);
    expect(refreshed).toMatchObject({ lago_id: lagoId, status: 'draft', fees_amount_cents: Number(commitment) });
    draft = await invoiceOf(odoo, invoiceId);
    expect(draft.byCode).toEqual({ 'NM-LOAD': loads, 'NM-PAYG': commitment - loads });
    expect(
      await odoo.searchCount('fusion.billing.usage', [
        ['order_id', '=', order.id],
        ['late', '=', true],
      ]),
    ).toBe(0);

    const finalized = await phase(
      'finalize (PUT /invoices/{id}/finalize)',
      async () => (await maps.official.invoices.finalizeInvoice(lagoId)).data.invoice,
    );
    expect(finalized).toMatchObject({
      lago_id: lagoId,
      status: 'finalized',
      fees_amount_cents: Number(commitment),
      total_amount_cents: Number(commitment + taxCents(commitment)),
    });
    const posted = await invoiceOf(odoo, invoiceId);
    expect(posted.move).toMatchObject({ state: 'posted' });
    expect(posted.byCode).toEqual({ 'NM-LOAD': mapLoadsCents(510n), 'NM-PAYG': commitment - mapLoadsCents(510n) });
    expect(
      await odoo.searchCount('fusion.billing.webhook', [
        ['webhook_type', '=', 'invoice.created'],
        ['object_key', '=', `account.move,${invoiceId}`],
      ]),
    ).toBeGreaterThan(0);
    console.log(
      `  NexaMaps: loads ${formatCents(mapLoadsCents(500n))} → ${formatCents(mapLoadsCents(510n))} after the late events, true-up ${formatCents(commitment - mapLoadsCents(510n))}`,
    );
  });
});
