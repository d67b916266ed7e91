// The subscription lifecycle on a real Odoo 19, through the Lago-shaped API (official client) and
// JSON-2: one NexaCloud subscription per feature, started two months ago and closed over three
// periods, each invoice checked to the cent against figures computed here by hand from
// spec/nexa.yaml and Lago's rules (getlago/lago-api Fees::SubscriptionService: days billed ×
// amount / days of the period, every local day touched counting whole):
//   - Starter: a 14-day trial, then its fee paid in advance; usage in arrears;
//   - Pro annual: the year's fee in advance, usage every month;
//   - Starter → Pro: an upgrade now (usage so far billed on Starter, unused days credited);
//   - Pro → Starter: a downgrade waiting for the end of the month;
//   - Pro, anniversary: periods from the 10th.
// Money is integer cents (BigInt); dates are the customer's (America/New_York, Lago's name for Toronto).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../clients/json2.ts';
import { okBody, type LagoClient, type LagoEventInput } from '../clients/lago.ts';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { invoiceOf } from '../support/invoices.ts';
import { daysOf as daysInMonth, feeAfterTrialCents } from '../support/lago-proration.ts';
import { divRoundHalfUp, formatCents } from '../support/money.ts';
import { createPhaseTimer } from '../support/phases.ts';
import { recordIdOf } from '../support/lago-ids.ts';
import { isoSeconds, localDate, localMidnightUtc, monthPeriod, type MonthPeriod } from '../support/zoned-time.ts';

const TZ = 'America/New_York';
const CUSTOMER = 'tnt_lifecycle01';
const DAY_MS = 86_400_000;
const HST = 13n;
const STARTER = 2900n;
const PRO = 9900n;
const PRO_ANNUAL = 99000n;

const { phase, record, summary } = createPhaseTimer();

interface OrderRow {
  id: number;
  invoice_ids: number[];
  fusion_status: string;
  fusion_started_at: string;
  fusion_terminated_at: string | false;
  [field: string]: unknown;
}

function taxCents(untaxed: bigint): bigint {
  return divRoundHalfUp(untaxed * HST, 100n);
}

const daysOf = (month: MonthPeriod): number => daysInMonth(TZ, month);

/** Package egress: 5.00 per started 100 GB beyond 100 GB free. */
function egressCents(gb: bigint): bigint {
  return gb <= 100n ? 0n : ((gb - 100n + 99n) / 100n) * 500n;
}

/** Volume peak vCPU: 6.00 each up to 8, 5.00 each from 9 to 32, 4.00 each + 10.00 from 33. */
function vcpuCents(units: bigint): bigint {
  if (units <= 8n) return units * 600n;
  if (units <= 32n) return units * 500n;
  return units * 400n + 1000n;
}

/** "2026-03-01 05:00:00": a stored Odoo datetime of an instant. */
function odooDatetime(ms: number): string {
  return isoSeconds(ms).replace('T', ' ').replace('Z', '');
}

describe('Subscription lifecycle as Lago bills it, on a real Odoo 19', () => {
  let billing: BillingServer;
  let odoo: OdooClient;
  let cloud: LagoClient;
  let now: number;
  let m0: MonthPeriod;
  let m1: MonthPeriod;
  let m2: MonthPeriod;
  let endpointId: number;
  const webhooks = (type: string, orderId: number) =>
    odoo.searchCount('fusion.billing.webhook', [
      ['endpoint_id', '=', endpointId],
      ['webhook_type', '=', type],
      ['object_key', '=', `sale.order,${orderId}`],
    ]);

  const orders = (externalId: string) =>
    odoo.searchRead<OrderRow>(
      'sale.order',
      [['fusion_external_id', '=', externalId]],
      ['invoice_ids', 'fusion_status', 'fusion_started_at', 'fusion_terminated_at'],
      { order: 'id' },
    );
  const close = (ids: number[]) => odoo.call('sale.order', 'action_fusion_close_periods', { ids });
  const event = (
    externalId: string,
    code: string,
    atMs: number,
    transaction: string,
    properties?: Record<string, string>,
  ): LagoEventInput => ({
    transaction_id: transaction,
    external_subscription_id: externalId,
    code,
    timestamp: Math.floor(atMs / 1000),
    ...(properties ? { properties } : {}),
  });
  const send = async (events: LagoEventInput[]) => okBody(await cloud.createEventsBatch(events), 'POST /events/batch');
  const subscribe = async (
    externalId: string,
    planCode: string,
    startedMs?: number,
    billingTime: 'calendar' | 'anniversary' = 'calendar',
  ) =>
    okBody(
      await cloud.createSubscription({
        external_customer_id: CUSTOMER,
        plan_code: planCode,
        external_id: externalId,
        billing_time: billingTime,
        ...(startedMs === undefined ? {} : { subscription_at: isoSeconds(startedMs) }),
      }),
      `POST /subscriptions ${externalId} ${planCode}`,
    ).subscription;

  /** Starter from the first of m0: the trial ends 14 days later; m0's fee covers the days after. */
  const starterFeeOfFirstMonth = (): bigint => feeAfterTrialCents(TZ, m0, 14, STARTER);

  beforeAll(async () => {
    const started = performance.now();
    billing = await startBillingServer({
      db: 'lifecycle',
      services: ['nexacloud'],
      progress: (message) => console.log(`  ${message}`),
      onStep: (step, ms) => console.log(`  TIMING setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    record('setup (database, server, keys)', performance.now() - started);
    odoo = billing.odoo;
    cloud = billing.lago('nexacloud');
    // The month must not turn during the run, and the switch must come after the first minutes
    // of the month's usage: wait out those edges.
    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
    const left = monthPeriod(TZ, Date.now()).endMs - Date.now();
    if (left < 300_000) await sleep(left + 1000);
    const elapsed = Date.now() - monthPeriod(TZ, Date.now()).startMs;
    if (elapsed < 180_000) await sleep(180_000 - elapsed);
    now = Date.now();
    m0 = monthPeriod(TZ, now, -2);
    m1 = monthPeriod(TZ, now, -1);
    m2 = monthPeriod(TZ, now);
    // An endpoint of every webhook type (the spec's own endpoint takes a few).
    const created = await odoo.call<number[]>('fusion.billing.webhook.endpoint', 'create', {
      vals_list: [{ service_id: billing.serviceIds.nexacloud!, code: 'lifecycle_all', url: 'http://127.0.0.1:9/hooks' }],
    });
    endpointId = created[0]!;
    okBody(
      await cloud.upsertCustomer({
        external_id: CUSTOMER,
        name: 'Lifecycle Labs Inc.',
        email: 'billing@lifecycle.example',
        address_line1: '100 King Street West',
        city: 'Toronto',
        zipcode: 'M5X 1A9',
        state: 'ON',
        country: 'CA',
        timezone: TZ,
      }),
      'POST /customers',
    );
  });

  afterAll(async () => {
    await billing?.stop();
    console.log(summary());
  });

  it('Starter: no fee during the 14-day trial, then the rest of the month; later months in advance; usage in arrears', async () => {
    const subscription = await subscribe('sub_lc_trial', 'nexacloud_starter', m0.startMs);
    expect(subscription.plan).toMatchObject({ code: 'nexacloud_starter', pay_in_advance: true, trial_period: 14 });
    await send([
      event('sub_lc_trial', 'nc_egress_gb', m0.startMs + 20 * DAY_MS, 'lc-trial-egress-0', { gb: '250' }),
      event('sub_lc_trial', 'nc_egress_gb', m1.startMs + 3 * DAY_MS, 'lc-trial-egress-1', { gb: '120' }),
      ...[1, 2, 3].map((n) => event('sub_lc_trial', 'nc_api_requests', m0.startMs + n * DAY_MS, `lc-trial-api-${n}`)),
    ]);
    const [order] = await orders('sub_lc_trial');
    await phase('close Starter (JSON-2)', () => close([order!.id]));
    const [closed] = await orders('sub_lc_trial');
    expect(closed!.invoice_ids).toHaveLength(1);
    const invoice = await invoiceOf(odoo, closed!.invoice_ids[0]!);
    // Fees of m0 (after the trial), m1 and m2 (in advance); egress of m0 (250 GB) and m1 (120 GB).
    const expected = {
      'NC-START': starterFeeOfFirstMonth() + STARTER + STARTER,
      'NC-EGR': egressCents(250n) + egressCents(120n),
      'NC-API': 0n,
    };
    expect(invoice.byCode).toEqual(expected);
    const untaxed = expected['NC-START'] + expected['NC-EGR'];
    expect({ untaxed: invoice.untaxed, tax: invoice.tax, total: invoice.total }).toEqual({
      untaxed,
      tax: taxCents(untaxed),
      total: untaxed + taxCents(untaxed),
    });
    expect(invoice.taxNames).toEqual(['13% HST']);
    console.log(
      `  Starter: first month ${formatCents(starterFeeOfFirstMonth())} (trial to ${isoSeconds(m0.startMs + 14 * DAY_MS)}), invoice ${formatCents(untaxed)} + HST`,
    );
    const read = okBody(await cloud.findSubscription('sub_lc_trial'), 'GET /subscriptions/{id}').subscription;
    expect(read.trial_ended_at).toBe(isoSeconds(m0.startMs + 14 * DAY_MS));
    expect(await webhooks('subscription.trial_ended', order!.id)).toBe(1);
    // Closing again bills nothing more.
    await close([order!.id]);
    expect((await orders('sub_lc_trial'))[0]!.invoice_ids).toHaveLength(1);
  });

  it('Pro annual: the year paid in advance (prorated from the start), usage invoiced every month', async () => {
    await subscribe('sub_lc_annual', 'nexacloud_pro_annual', m0.startMs);
    await send([
      event('sub_lc_annual', 'nc_peak_vcpu', m0.startMs + 5 * DAY_MS, 'lc-annual-vcpu-0', { vcpus: '9' }),
      event('sub_lc_annual', 'nc_peak_vcpu', m1.startMs + 5 * DAY_MS, 'lc-annual-vcpu-1', { vcpus: '8' }),
    ]);
    const [order] = await orders('sub_lc_annual');
    await phase('close Pro annual (JSON-2)', () => close([order!.id]));
    const invoice = await invoiceOf(odoo, (await orders('sub_lc_annual'))[0]!.invoice_ids[0]!);
    // Each calendar year the subscription touched by now, its fee due when it starts.
    const first = localDate(TZ, m0.startMs);
    let yearFees = 0n;
    for (let year = first.year; year <= localDate(TZ, now).year; year++) {
      const daysInYear = BigInt((Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)) / DAY_MS);
      const from = year === first.year ? Date.UTC(first.year, first.month - 1, 1) : Date.UTC(year, 0, 1);
      const days = BigInt((Date.UTC(year + 1, 0, 1) - from) / DAY_MS);
      yearFees += days === daysInYear ? PRO_ANNUAL : divRoundHalfUp(PRO_ANNUAL * days, daysInYear);
    }
    expect(invoice.byCode).toEqual({ 'NC-PRO-Y': yearFees, 'NC-VCPU': vcpuCents(9n) + vcpuCents(8n) });
    const past = okBody(
      await cloud.request<{ usage_periods: { from_datetime: string; amount_cents: number }[] }>(
        'GET',
        `/customers/${CUSTOMER}/past_usage`,
        {
          query: { external_subscription_id: 'sub_lc_annual' },
        },
      ),
      'GET past_usage',
    ).usage_periods;
    // Two monthly usage periods, newest first; the year's fee sits with the latest on the invoice.
    expect(past.map((p) => [p.from_datetime, BigInt(p.amount_cents)])).toEqual([
      [isoSeconds(m1.startMs), vcpuCents(8n) + yearFees],
      [isoSeconds(m0.startMs), vcpuCents(9n)],
    ]);
    const usage = okBody(await cloud.currentUsage(CUSTOMER, 'sub_lc_annual'), 'GET current_usage').customer_usage;
    expect(usage.from_datetime).toBe(isoSeconds(m2.startMs));
  });

  it('Starter → Pro is an upgrade: now, Starter billed to the switch and its unused days credited', async () => {
    const before = await subscribe('sub_lc_up', 'nexacloud_starter', m0.startMs);
    const [starter] = await orders('sub_lc_up');
    await close([starter!.id]);
    const firstInvoiceId = (await orders('sub_lc_up'))[0]!.invoice_ids[0]!;
    expect((await invoiceOf(odoo, firstInvoiceId)).byCode).toEqual({ 'NC-START': starterFeeOfFirstMonth() + STARTER + STARTER });
    await send([event('sub_lc_up', 'nc_egress_gb', m2.startMs + 60_000, 'lc-up-egress', { gb: '300' })]);

    const upgraded = await phase('upgrade (POST /subscriptions)', () => subscribe('sub_lc_up', 'nexacloud_pro'));
    const switchMs = Date.parse(upgraded.started_at!);
    expect(upgraded).toMatchObject({
      plan_code: 'nexacloud_pro',
      previous_plan_code: 'nexacloud_starter',
      status: 'active',
      subscription_at: isoSeconds(m0.startMs),
    });
    expect(upgraded.lago_id).not.toBe(before.lago_id);
    const [old, pro] = await orders('sub_lc_up');
    expect(old).toMatchObject({ fusion_status: 'terminated', fusion_terminated_at: odooDatetime(switchMs) });
    expect(pro).toMatchObject({ fusion_status: 'active', fusion_started_at: odooDatetime(switchMs) });
    // Starter's usage up to the switch, on its own charges (300 GB egress), and no second fee.
    const termination = await invoiceOf(odoo, old!.invoice_ids.find((id) => id !== firstInvoiceId)!);
    expect(termination.byCode).toEqual({ 'NC-EGR': egressCents(300n) });
    // CreditNotes::CreateFromTermination (upgrade): the switch day and the rest of the month, at Starter's price per day.
    const unusedDays = BigInt(daysOf(m2) - (localDate(TZ, switchMs).day - 1));
    const credit = [STARTER, divRoundHalfUp(STARTER * unusedDays, BigInt(daysOf(m2)))].reduce((a, b) => (a < b ? a : b));
    const [refund] = await odoo.searchRead<{ id: number }>(
      'account.move',
      [
        ['reversed_entry_id', '=', firstInvoiceId],
        ['move_type', '=', 'out_refund'],
        ['state', '=', 'posted'],
      ],
      ['id'],
    );
    const creditNote = await invoiceOf(odoo, refund!.id);
    expect({ untaxed: creditNote.untaxed, total: creditNote.total }).toEqual({ untaxed: credit, total: credit + taxCents(credit) });
    console.log(`  upgrade at ${isoSeconds(switchMs)}: ${unusedDays} unused day(s) of Starter credited, ${formatCents(credit)} + HST`);
    expect(await webhooks('subscription.terminated', old!.id)).toBe(1);
    expect(await webhooks('subscription.started', pro!.id)).toBe(1);

    // Usage from now on is Pro's.
    await send([event('sub_lc_up', 'nc_api_requests', Math.max(Date.now(), switchMs), 'lc-up-api')]);
    expect(await odoo.searchCount('fusion.billing.usage', [['order_id', '=', pro!.id]])).toBe(1);
    const usage = okBody(await cloud.currentUsage(CUSTOMER, 'sub_lc_up'), 'GET current_usage').customer_usage;
    expect(usage.from_datetime).toBe(isoSeconds(switchMs));
    expect(usage.charges_usage.find((c) => c.billable_metric.code === 'nc_api_requests')!.events_count).toBe(1);
    expect(recordIdOf(upgraded.lago_id, 'sale.order')).toBe(pro!.id);
  });

  it('Pro → Starter is a downgrade: the month ends on Pro, next_plan_code says what comes', async () => {
    const pro = await subscribe('sub_lc_down', 'nexacloud_pro', m1.startMs);
    await send([event('sub_lc_down', 'nc_peak_vcpu', m1.startMs + 4 * DAY_MS, 'lc-down-vcpu', { vcpus: '40' })]);
    const downgraded = await phase('downgrade (POST /subscriptions)', () => subscribe('sub_lc_down', 'nexacloud_starter'));
    const next = localDate(TZ, m2.endMs);
    expect(downgraded).toMatchObject({
      lago_id: pro.lago_id,
      plan_code: 'nexacloud_pro',
      next_plan_code: 'nexacloud_starter',
      downgrade_plan_date: `${next.year}-${String(next.month).padStart(2, '0')}-${String(next.day).padStart(2, '0')}`,
    });
    const [order] = await orders('sub_lc_down');
    expect(await webhooks('subscription.updated', order!.id)).toBe(1);
    await close([order!.id]);
    const after = await orders('sub_lc_down');
    expect(after).toHaveLength(1);
    expect(after[0]!.fusion_status).toBe('active');
    const invoice = await invoiceOf(odoo, after[0]!.invoice_ids[0]!);
    expect(invoice.byCode).toEqual({ 'NC-PRO': PRO, 'NC-VCPU': vcpuCents(40n) });
  });

  it('Pro on anniversary: periods from the 10th, each base fee whole', async () => {
    const startMs = localMidnightUtc(TZ, localDate(TZ, m0.startMs).year, localDate(TZ, m0.startMs).month, 10);
    const subscription = await subscribe('sub_lc_anniv', 'nexacloud_pro', startMs, 'anniversary');
    const month = (period: MonthPeriod) => localDate(TZ, period.startMs);
    const tenth = (period: MonthPeriod) => localMidnightUtc(TZ, month(period).year, month(period).month, 10);
    // [m0 10th, m1 10th) is over; [m1 10th, m2 10th) too once the 10th of this month has come.
    const periods = Date.now() >= tenth(m2) ? 2 : 1;
    expect(subscription.current_billing_period_started_at).toBe(isoSeconds(periods === 2 ? tenth(m2) : tenth(m1)));
    const [order] = await orders('sub_lc_anniv');
    await close([order!.id]);
    const invoice = await invoiceOf(odoo, (await orders('sub_lc_anniv'))[0]!.invoice_ids[0]!);
    expect(invoice.byCode).toEqual({ 'NC-PRO': PRO * BigInt(periods) });
    const lines = await odoo.searchRead<{ fusion_period_start: string }>(
      'sale.order.line',
      [
        ['order_id', '=', order!.id],
        ['fusion_period_start', '!=', false],
      ],
      ['fusion_period_start'],
      { order: 'fusion_period_start' },
    );
    expect(lines[0]!.fusion_period_start).toBe(odooDatetime(startMs));
  });
});
