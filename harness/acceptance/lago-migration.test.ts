// The NexaCloud migration rehearsal, end to end on a real Odoo 19, against the Lago API double:
// the operator's commands (`fusion-billing lago …`, run in-process as the CLI runs them) import the
// catalog and 50 tenants (some sharing an email with NexaDesk workspaces, two sharing one within
// NexaCloud, one paying with the Stripe card Lago uses), pull two months of events while the
// service is in shadow (Odoo bills nobody), reconcile them against Lago's invoices (all match),
// then find each injected discrepancy with its delta and explanation, refuse the cutover, allow it
// after each mismatch is accepted with a reason, and Odoo bills the next period.
//
// Lago's invoices are the fixture's, computed by hand from Lago's documented math
// (harness/lago/fixtures/nexacloud.ts); every expected delta below is computed here, by hand too.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implementationFacts } from '../../generators/generate.ts';
import { validateSpecText } from '../../generators/spec/index.ts';
import { lagoCommand } from '../../migrate/command.ts';
import { unixSeconds } from '../../migrate/pull-events.ts';
import type { ReconciliationLine } from '../../migrate/reconcile.ts';
import { OdooClient, OdooValidationError } from '../clients/json2.ts';
import { LagoClient, officialClient, okBody, type LagoEventInput } from '../clients/lago.ts';
import { LagoDouble, type SeedEvent } from '../lago/double.ts';
import {
  anniversaryPeriod,
  BOUNDARY_EVENT_GB,
  BOUNDARY_TENANT,
  CALENDAR_TENANTS,
  egressCents,
  nexacloudOrganisation,
  nexacloudTenants,
  OVERRIDE_TENANT,
  OVERRIDE_VCPU_CENTS,
  PHANTOM_EVENTS,
  PHANTOM_TENANT,
  peakVcpuCents,
  rehearsalPeriods,
  tenantEvents,
  tenantFees,
  UNCOUNTED_EVENT_GB,
  UNCOUNTED_TENANT,
  uncountedEvent,
  type RehearsalPeriods,
  type Tenant,
} from '../lago/fixtures/nexacloud.ts';
import { prepareBillingDatabase } from '../runtime/billing-database.ts';
import type { HarnessRuntime } from '../runtime/harness-runtime.ts';
import { createRuntime } from '../runtime/index.ts';
import { REPO_ROOT } from '../runtime/local.ts';
import type { OdooServer } from '../runtime/types.ts';
import type { StripeMockHandle } from '../services/handles.ts';
import { formatCents } from '../support/money.ts';
import { createPhaseTimer } from '../support/phases.ts';
import { localDate, monthPeriod } from '../support/zoned-time.ts';
import { useStripeMock } from '../support/stripe-provider.ts';

const DB = 'lago_migration';
const TENANTS = CALENDAR_TENANTS + 2;
const STRIPE_SECRET_KEY = 'sk_test_fusion_migration';
const run = promisify(execFile);
const { phase, record, summary } = createPhaseTimer();

interface Row {
  id: number;
  [field: string]: unknown;
}

const monthOf = (ms: number) => {
  const { year, month } = localDate('America/New_York', ms + 3_600_000);
  return `${year}-${String(month).padStart(2, '0')}`;
};

describe('NexaCloud leaves Lago: import, shadow, reconcile, cut over (real Odoo 19, Lago double)', () => {
  let runtime: HarnessRuntime;
  let server: OdooServer;
  let odoo: OdooClient;
  let adminKey: string;
  let mock: StripeMockHandle;
  let double: LagoDouble;
  let cloud: LagoClient;
  let cloudKey: string;
  let desk: LagoClient;
  let periods: RehearsalPeriods;
  let tenants: Tenant[];
  let serviceId: number;
  let endpointId: number;
  const dir = mkdtempSync(join(tmpdir(), 'fb-migration-'));
  const specCopy = join(dir, 'nexa.yaml');
  const output: string[] = [];

  /** One operator command, as `fusion-billing lago …` runs it; its output is kept and shown. */
  async function lago(...args: string[]): Promise<{ code: number; out: string }> {
    const start = output.length;
    const code = await lagoCommand([args[0]!, '--service', 'nexacloud', '--spec', specCopy, ...args.slice(1)], {
      out: (line) => {
        output.push(line);
        console.log(`    | ${line}`);
      },
      err: (line) => {
        output.push(line);
        console.log(`    ! ${line}`);
      },
      env: connectionEnv(),
      implementationFacts,
    });
    return { code, out: output.slice(start).join('\n') };
  }

  function connectionEnv(): Record<string, string> {
    return {
      LAGO_API_URL: double.url,
      LAGO_API_KEY: double.apiKey,
      FUSION_ODOO_URL: server.baseUrl,
      FUSION_ODOO_DB: DB,
      FUSION_ODOO_API_KEY: adminKey,
      FUSION_SERVICE_API_KEY: cloudKey,
    };
  }

  const orders = () =>
    odoo.searchRead<
      Row & {
        fusion_external_id: string;
        invoice_ids: number[];
        fusion_closed_until: string | false;
        partner_id: [number, string];
        fusion_billing_time: string;
      }
    >(
      'sale.order',
      [
        ['fusion_service_id', '=', serviceId],
        ['fusion_external_id', '!=', false],
      ],
      ['fusion_external_id', 'invoice_ids', 'fusion_closed_until', 'partner_id', 'fusion_started_at', 'fusion_billing_time'],
      { order: 'fusion_external_id' },
    );
  const invoiceWebhooks = () =>
    odoo.searchCount('fusion.billing.webhook', [
      ['endpoint_id', '=', endpointId],
      ['webhook_type', '=like', 'invoice.%'],
    ]);
  const lines = (period: string) =>
    odoo.call<ReconciliationLine[]>('fusion.billing.reconciliation', 'fusion_lines', { service_code: 'nexacloud', periods: [period] });
  const eventsOf = (tenant: Tenant, month: number, period: { startMs: number; endMs: number; seconds: number }) =>
    tenantEvents(tenant, period as never, month);
  const tenant = (index: number) => tenants[index - 1]!;

  beforeAll(async () => {
    const started = performance.now();
    // The months must not turn during the run.
    const left = monthPeriod('America/New_York', Date.now()).endMs - Date.now();
    if (left < 600_000) await new Promise((done) => setTimeout(done, left + 1000));
    periods = rehearsalPeriods(Date.now());
    tenants = nexacloudTenants(periods);
    double = await new LagoDouble(nexacloudOrganisation(periods)).start();
    writeFileSync(specCopy, readFileSync(join(REPO_ROOT, 'spec', 'nexa.yaml'), 'utf8'));

    runtime = createRuntime({ addonsDirs: [join(REPO_ROOT, 'out'), join(REPO_ROOT, 'harness', 'addons')] });
    await runtime.start((message) => console.log(`  ${message}`));
    mock = await runtime.startStripeMock({ secretKey: STRIPE_SECRET_KEY });
    await mock.seedCustomer({
      id: 'cus_NEXATENANT10',
      email: 'ops@tenant10.example',
      name: 'Tenant 10 Inc.',
      defaultPaymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242' },
    });
    await prepareBillingDatabase(runtime, DB, {
      onStep: (name, ms) => console.log(`  TIMING setup: ${name}: ${(ms / 1000).toFixed(1)} s`),
    });
    await runtime.installModules(DB, ['fusion_billing_stripe_mock']);
    server = await runtime.startServer(DB);
    adminKey = await runtime.createApiKey(DB, 'admin');
    odoo = new OdooClient({ baseUrl: server.baseUrl, db: DB, apiKey: adminKey });
    await useStripeMock(odoo, mock.baseUrl, {
      secretKey: STRIPE_SECRET_KEY,
      publishableKey: 'pk_test_fusion_migration',
      webhookSecret: 'whsec_unused',
    });
    const services = await odoo.searchRead<Row & { code: string }>(
      'fusion.billing.service',
      [['code', 'in', ['nexacloud', 'nexadesk']]],
      ['code'],
    );
    const keyOf = async (code: string) =>
      (
        await odoo.call<{ fusion_api_key: string }>('fusion.billing.service', 'action_generate_api_key', {
          ids: [services.find((s) => s.code === code)!.id],
        })
      ).fusion_api_key;
    cloudKey = await keyOf('nexacloud');
    cloud = new LagoClient({ baseUrl: server.baseUrl, apiKey: cloudKey });
    desk = new LagoClient({ baseUrl: server.baseUrl, apiKey: await keyOf('nexadesk') });
    serviceId = services.find((s) => s.code === 'nexacloud')!.id;
    const [endpointRef] = await odoo.searchRead<Row & { res_id: number }>(
      'ir.model.data',
      [
        ['module', '=', 'fusion_billing'],
        ['name', '=', 'webhook_endpoint_nexacloud_billing_events'],
      ],
      ['res_id'],
    );
    endpointId = endpointRef!.res_id;
    // Step 1 of the runbook: the spec says `billing: {mode: shadow}` for NexaCloud and the module
    // is upgraded; here the upgrade's write of the mode, on the database the suite installed.
    await odoo.call('fusion.billing.service', 'write', { ids: [serviceId], vals: { billing_mode: 'shadow' } });
    record('setup (database, server, Stripe mock, Lago double)', performance.now() - started);
  });

  afterAll(async () => {
    await double?.stop();
    await runtime?.stop();
    console.log(summary());
  });

  it("imports the catalog: Lago's NexaCloud metrics and plans (Pro; Starter with its trial, paid in advance) are the spec's already (no diff)", async () => {
    const { code, out } = await phase('lago import-catalog', () => lago('import-catalog'));
    expect(code).toBe(0);
    expect(out).toContain('4 billable metric(s), 2 plan(s) for nexacloud');
    expect(out).toContain('the spec already holds this catalog: no change');
    expect(out).toContain('only in the spec (kept): plan nexacloud_pro_annual');
  });

  it('imports 50 tenants: a dry run first, then --apply; merges across services, a conflict, a Stripe card, subscriptions as they were', async () => {
    // NexaDesk already bills five of NexaCloud's customers (same billing emails).
    for (let index = 1; index <= 5; index++) {
      okBody(
        await desk.upsertCustomer({
          external_id: `ws-10${index}0`,
          name: `Tenant 0${index} Inc. (desk)`,
          email: tenant(index).customer.email!,
        } as never),
        'desk customer',
      );
    }
    const partnersBefore = await odoo.searchCount('res.partner', []);
    const dry = await phase('lago import-accounts (dry run)', () => lago('import-accounts'));
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('customers: 50 would be created, 0 would be updated, 0 unchanged, 0 failed');
    expect(dry.out).toContain('subscriptions: 50 would be created, 0 unchanged, 0 unsupported, 0 skipped');
    expect(dry.out).toContain('card: tnt_tenant10: Stripe customer cus_NEXATENANT10 would link');
    expect(await odoo.searchCount('res.partner', []), 'a dry run writes nothing').toBe(partnersBefore);
    expect(await odoo.searchCount('fusion.billing.account.link', [['service_id', '=', serviceId]])).toBe(0);
    expect(await mock.requests(), 'nor asks Stripe').toEqual([]);

    const applied = await phase('lago import-accounts --apply', () =>
      lago('import-accounts', '--apply', '--report', join(dir, 'import.json')),
    );
    expect(applied.code).toBe(0);
    expect(applied.out).toContain('customers: 50 created, 0 updated, 0 unchanged, 0 failed');
    expect(applied.out).toContain('subscriptions: 50 created, 0 unchanged, 0 unsupported, 0 skipped');
    for (let index = 1; index <= 5; index++)
      expect(applied.out).toContain(`merge: tnt_tenant0${index} → the partner of nexadesk:ws-10${index}0 (same email)`);
    expect(applied.out).toContain(
      'conflict: tnt_tenant08 has the email of tnt_tenant07, another account of this service: a partner of its own',
    );

    const links = await odoo.searchRead<Row & { external_id: string; partner_id: [number, string] }>(
      'fusion.billing.account.link',
      [],
      ['external_id', 'partner_id', 'service_id'],
    );
    const partnerOf = (externalId: string) => links.find((l) => l.external_id === externalId)!.partner_id[0];
    expect(links.filter((l) => l.external_id.startsWith('tnt_'))).toHaveLength(50);
    for (let index = 1; index <= 5; index++)
      expect(partnerOf(`tnt_tenant0${index}`), 'one partner across services').toBe(partnerOf(`ws-10${index}0`));
    expect(partnerOf('tnt_tenant08')).not.toBe(partnerOf('tnt_tenant07'));
    const tokens = await odoo.searchRead<Row & { provider_ref: string; partner_id: [number, string] }>(
      'payment.token',
      [['provider_code', '=', 'stripe']],
      ['provider_ref', 'partner_id'],
    );
    expect(tokens.map((t) => [t.provider_ref, t.partner_id[0]])).toEqual([['cus_NEXATENANT10', partnerOf('tnt_tenant10')]]);

    const imported = await orders();
    expect(imported).toHaveLength(TENANTS);
    for (const order of imported) {
      const seed = tenants.find((t) => t.subscription.external_id === order.fusion_external_id)!.subscription;
      expect(`${String(order.fusion_started_at).replace(' ', 'T')}Z`, `${seed.external_id} keeps its start date`).toBe(
        seed.subscription_at,
      );
      expect(order.fusion_billing_time, `${seed.external_id} keeps its billing time`).toBe(seed.billing_time);
    }
    expect(
      await odoo.searchCount('fusion.billing.webhook', [['endpoint_id', '=', endpointId]]),
      'the apps already know these tenants: no webhook',
    ).toBe(0);

    const again = await phase('lago import-accounts --apply (again)', () => lago('import-accounts', '--apply'));
    expect(again.code).toBe(0);
    expect(again.out).toContain('customers: 0 created, 0 updated, 50 unchanged, 0 failed');
    expect(again.out).toContain('subscriptions: 0 created, 50 unchanged, 0 unsupported, 0 skipped');
    expect(await odoo.searchCount('fusion.billing.account.link', [])).toBe(links.length);
    expect(await odoo.searchCount('payment.token', [['provider_code', '=', 'stripe']])).toBe(1);
  });

  it('imports a customer whole or not at all: a subscription Odoo refuses leaves nothing of its customer', async () => {
    const broken = await new LagoDouble({
      metrics: [],
      plans: [],
      events: [],
      invoices: [],
      customers: [{ external_id: 'tnt_broken01', name: 'Broken Ltd', email: 'broken@example.test' }],
      subscriptions: [
        {
          external_id: 'sub_broken01',
          external_customer_id: 'tnt_broken01',
          plan_code: 'nexacloud_pro',
          billing_time: 'calendar',
          subscription_at: '2026-01-01T05:00:00Z',
          ending_at: '2025-06-01T00:00:00Z',
        },
      ],
    }).start();
    try {
      const code = await lagoCommand(['import-accounts', '--service', 'nexacloud', '--spec', specCopy, '--apply'], {
        out: (line) => console.log(`    | ${line}`),
        err: (line) => console.log(`    ! ${line}`),
        env: { ...connectionEnv(), LAGO_API_URL: broken.url, LAGO_API_KEY: broken.apiKey },
        implementationFacts,
      });
      expect(code).toBe(1);
      expect(await odoo.searchCount('fusion.billing.account.link', [['external_id', '=', 'tnt_broken01']])).toBe(0);
      expect(await odoo.searchCount('res.partner', [['email', '=', 'broken@example.test']])).toBe(0);
    } finally {
      await broken.stop();
    }
  });

  it('shadows three months of usage: pulled from Lago and sent by the app to both, each event once; Odoo bills nobody', async () => {
    // The application sends this month's events to both Lago and Odoo (README, "Sending to both").
    const now = Date.now();
    const both: LagoEventInput[] = [1, 2, 3].map((k) => ({
      transaction_id: `sub_tenant01-now-${k}`,
      external_subscription_id: 'sub_tenant01',
      code: 'nc_api_requests',
      timestamp: Math.floor(now / 1000) - k * 60,
      properties: { region: 'ca-central' },
    }));
    const toLago = officialClient({ baseUrl: double.url, basePath: '', apiKey: double.apiKey });
    for (const event of both) {
      await toLago.events.createEvent({ event });
      okBody(await cloud.createEvent(event), 'event to Odoo');
    }
    // Odoo pulls on its schedule once the service knows Lago's URL and key: the cron runs here.
    await odoo.call('fusion.billing.service', 'write', {
      ids: [serviceId],
      vals: { lago_api_url: double.url, lago_api_key: double.apiKey },
    });
    const [cron] = await odoo.searchRead<Row & { res_id: number }>(
      'ir.model.data',
      [
        ['module', '=', 'fusion_billing'],
        ['name', '=', 'cron_pull_lago_events'],
      ],
      ['res_id'],
    );
    await phase('Odoo pulls from Lago (cron)', () => odoo.call('ir.cron', 'method_direct_trigger', { ids: [cron!.res_id] }));
    const lagoEvents = nexacloudOrganisation(periods).events;
    const stored = await odoo.searchCount('fusion.billing.usage', [['service_id', '=', serviceId]]);
    expect(stored, "every subscription's events, the app's own sent once").toBe(lagoEvents.length + both.length);
    expect(double.requests().filter((r) => r.method === 'GET' && r.path === '/api/v1/events').length).toBeGreaterThanOrEqual(TENANTS);
    const [pulled] = await odoo.searchRead<Row & { lago_pulled_until: string | false }>(
      'fusion.billing.service',
      [['id', '=', serviceId]],
      ['lago_pulled_until'],
    );
    expect(pulled!.lago_pulled_until).toBeTruthy();
    // The operator's command does the same from outside (for a Lago Odoo cannot reach): nothing new.
    const first = await phase('lago pull-events', () =>
      lago('pull-events', '--from', new Date(periods.first.startMs - 40 * 86_400_000).toISOString()),
    );
    expect(first.code).toBe(0);
    expect(first.out).toContain(`pull-events nexacloud: 50 subscription(s), ${lagoEvents.length + both.length} event(s) read from Lago`);
    await odoo.call('ir.cron', 'method_direct_trigger', { ids: [cron!.res_id] });
    expect(await odoo.searchCount('fusion.billing.usage', [['service_id', '=', serviceId]]), 'idempotent: same transaction ids').toBe(
      stored,
    );

    // Shadow: closing the periods rates nothing onto the orders, posts no invoice, charges no card, sends no invoice webhook.
    const ids = (await orders()).map((o) => o.id);
    await odoo.call('sale.order', 'action_fusion_close_periods', { ids });
    expect((await orders()).every((o) => o.invoice_ids.length === 0 && !o.fusion_closed_until)).toBe(true);
    expect(await odoo.searchCount('account.move', [['move_type', '=', 'out_invoice']])).toBe(0);
    expect(await mock.requestsTo('POST', '/v1/payment_intents')).toEqual([]);
    expect(await invoiceWebhooks()).toBe(0);
  });

  it('reconciles both months Lago invoiced: every fee matches (units, events, amounts), with a report', async () => {
    for (const period of [periods.first, periods.second]) {
      const month = monthOf(period.startMs);
      const html = join(dir, `reconciliation-${month}.html`);
      // The operator's command, through the CLI binary.
      const { stdout } = await phase(`lago reconcile ${month}`, () =>
        run(
          'node',
          [
            join(REPO_ROOT, 'bin', 'fusion-billing.mjs'),
            'lago',
            'reconcile',
            '--service',
            'nexacloud',
            '--spec',
            specCopy,
            '--period',
            month,
            '--html',
            html,
          ],
          { env: { ...process.env, ...connectionEnv() } },
        ),
      );
      console.log(
        stdout
          .split('\n')
          .map((line) => `    | ${line}`)
          .join('\n'),
      );
      const fees = TENANTS * 5;
      expect(stdout).toMatch(
        new RegExp(`reconciliation nexacloud ${month}: ${fees} fee\\(s\\): ${fees} match, 0 mismatch \\(0 unexplained\\), 0 accepted`),
      );
      const reconciled = await lines(month);
      expect(reconciled).toHaveLength(fees);
      expect(
        reconciled.every((l) => l.state === 'match' && l.units_delta === '0' && l.amount_delta === '0.00' && l.events_delta === 0),
      ).toBe(true);
      expect(readFileSync(html, 'utf8')).toContain(`${fees} fee(s): ${fees} match, 0 mismatch`);
    }
    // The hand-computed figures are the ones compared: tenant 3's partial first month, for one.
    const t3 = (await lines(monthOf(periods.first.startMs))).find(
      (l) => l.external_subscription_id === 'sub_tenant03' && l.fee_type === 'subscription',
    )!;
    const expected = tenantFees(tenant(3), periods.first, [])[0]!;
    expect(t3.lago_amount).toBe(formatCents(BigInt(expected.amount_cents)));
  });

  it('reports each injected discrepancy with its delta and explanation; an unexplained one fails the command', async () => {
    double.replaceInvoices(
      nexacloudOrganisation(periods, { boundaryInFirstMonth: true, priceOverride: true, phantomEvents: true }).invoices,
    );
    const lost = uncountedEvent(tenants, periods);
    okBody(await cloud.createEvent({ ...lost, timestamp: unixSeconds(lost.timestamp) } as LagoEventInput), 'an event Lago never received');
    const [first, second] = [monthOf(periods.first.startMs), monthOf(periods.second.startMs)];
    const one = await phase(`lago reconcile ${first} (injected)`, () =>
      lago('reconcile', '--period', first, '--html', join(dir, `injected-${first}.html`)),
    );
    expect(one.code, 'explained mismatches only').toBe(0);
    const two = await phase(`lago reconcile ${second} (injected)`, () =>
      lago('reconcile', '--period', second, '--html', join(dir, `injected-${second}.html`)),
    );
    expect(two.code, "tenant 9's phantom events are unexplained").toBe(1);

    const gb = (events: SeedEvent[]) =>
      events.filter((e) => e.code === 'nc_egress_gb').reduce((sum, e) => sum + BigInt(String(e.properties!.gb)), 0n);
    const mismatches = [...(await lines(first)), ...(await lines(second))].filter((l) => l.state !== 'match');
    const line = (tenantIndex: number, fee: string, period: string) =>
      mismatches.find(
        (l) => l.external_subscription_id === tenant(tenantIndex).subscription.external_id && l.fee_code === fee && l.period === period,
      );
    expect(mismatches).toHaveLength(5);

    // The boundary event: Lago counted it in the first month, Odoo in the second (its timestamp is the second's first instant).
    const t7a = gb(eventsOf(tenant(BOUNDARY_TENANT), 0, periods.first));
    const boundaryA = line(BOUNDARY_TENANT, 'egress', first)!;
    expect([boundaryA.units_delta, boundaryA.events_delta, boundaryA.amount_delta, boundaryA.cause]).toEqual([
      `-${BOUNDARY_EVENT_GB}`,
      -1,
      formatCents(egressCents(t7a) - egressCents(t7a + BOUNDARY_EVENT_GB)),
      'boundary',
    ]);
    expect(boundaryA.explanation).toContain('sub_tenant07-boundary');
    const t7b = gb(eventsOf(tenant(BOUNDARY_TENANT), 1, periods.second));
    const boundaryB = line(BOUNDARY_TENANT, 'egress', second)!;
    expect([boundaryB.units_delta, boundaryB.events_delta, boundaryB.amount_delta, boundaryB.cause]).toEqual([
      String(BOUNDARY_EVENT_GB),
      1,
      formatCents(egressCents(t7b + BOUNDARY_EVENT_GB) - egressCents(t7b)),
      'boundary',
    ]);

    // The event Lago never counted: only in Odoo, with its units.
    const t5 = gb(eventsOf(tenant(UNCOUNTED_TENANT), 1, periods.second));
    const uncounted = line(UNCOUNTED_TENANT, 'egress', second)!;
    expect([uncounted.units_delta, uncounted.events_delta, uncounted.amount_delta, uncounted.cause]).toEqual([
      String(UNCOUNTED_EVENT_GB),
      1,
      formatCents(egressCents(t5 + UNCOUNTED_EVENT_GB) - egressCents(t5)),
      'events_only_odoo',
    ]);
    expect(uncounted.explanation).toContain(`sub_tenant05-lost`);
    expect(uncounted.explanation).toContain(`gb=${UNCOUNTED_EVENT_GB}`);

    // The price Lago's plan override gave tenant 6's vCPUs: same usage, another amount.
    const cpu = eventsOf(tenant(OVERRIDE_TENANT), 1, periods.second)
      .filter((e) => e.code === 'nc_peak_vcpu')
      .map((e) => BigInt(String(e.properties!.vcpus)));
    // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
    const peak = cpu.reduce((a, b) => (a > b ? a : b));
    const price = line(OVERRIDE_TENANT, 'peak_vcpu', second)!;
    expect([price.units_delta, price.events_delta, price.amount_delta, price.cause]).toEqual([
      '0',
      0,
      formatCents(peakVcpuCents(peak) - peak * OVERRIDE_VCPU_CENTS),
      'price',
    ]);

    const phantom = line(PHANTOM_TENANT, 'api_requests', second)!;
    expect([phantom.units_delta, phantom.events_delta, phantom.cause]).toEqual([
      `-${PHANTOM_EVENTS}`,
      -Number(PHANTOM_EVENTS),
      'unexplained',
    ]);
    expect(phantom.explanation).toContain('Lago billed usage that neither side lists');
    expect(one.out).toContain(`reconciliation nexacloud ${first}: 250 fee(s): 249 match, 1 mismatch (0 unexplained), 0 accepted`);
    expect(two.out).toContain(`reconciliation nexacloud ${second}: 250 fee(s): 246 match, 4 mismatch (1 unexplained), 0 accepted`);
  });

  it('refuses the cutover while mismatches are open, allows it once each is accepted with a reason, and the spec says live', async () => {
    const from = monthOf(periods.afterCutover.startMs);
    const refused = await phase('lago cutover (refused)', () => lago('cutover', '--from', from));
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(
      /blocks: sub_tenant07, \d{4}-\d{2}, egress: open mismatch \(Event on a period boundary\), amount delta -?\d+\.\d{2} CAD/,
    );
    expect(refused.out).toContain('cutover nexacloud refused: 5 thing(s) block it');
    // Not through the back door either: the mode's write is guarded.
    await expect(odoo.call('fusion.billing.service', 'write', { ids: [serviceId], vals: { billing_mode: 'live' } })).rejects.toBeInstanceOf(
      OdooValidationError,
    );

    const open = [...(await lines(monthOf(periods.first.startMs))), ...(await lines(monthOf(periods.second.startMs)))].filter(
      (l) => l.state === 'mismatch',
    );
    const accepted = await phase('lago accept', () =>
      lago(
        'accept',
        '--line',
        open.map((l) => l.id).join(','),
        '--reason',
        'Lago figures checked by finance (F. Tremblay); Odoo is right; credited in Lago',
      ),
    );
    expect(accepted.code).toBe(0);
    const allowed = await phase('lago cutover', () => lago('cutover', '--from', from));
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain(`cutover nexacloud: live; Odoo bills from ${from} on`);
    const [service] = await odoo.searchRead<Row & { billing_mode: string }>(
      'fusion.billing.service',
      [['id', '=', serviceId]],
      ['billing_mode'],
    );
    expect(service!.billing_mode).toBe('live');
    const spec = validateSpecText(specCopy, readFileSync(specCopy, 'utf8'), implementationFacts()).spec;
    expect(spec.catalog.services.find((s) => s.code === 'nexacloud')!.billing).toEqual({ mode: 'live', cutover_periods: 2 });
  });

  it('after cutover Odoo invoices the next period (not the ones Lago billed), charges the card, and writes nothing to Lago', async () => {
    const writesBefore = double.writes();
    const ids = (await orders()).map((o) => o.id);
    await phase('period close after cutover (JSON-2)', () => odoo.call('sale.order', 'action_fusion_close_periods', { ids }));
    const billed = await orders();
    const isAnniversary = (o: { fusion_external_id: string }) =>
      tenants.find((t) => t.subscription.external_id === o.fusion_external_id)!.subscription.billing_time === 'anniversary';
    expect(billed.filter((o) => !isAnniversary(o)).every((o) => o.invoice_ids.length === 1)).toBe(true);
    // An anniversary subscription's first Odoo period starts in that month and has not ended yet.
    for (const order of billed.filter(isAnniversary)) {
      const seed = tenants.find((t) => t.subscription.external_id === order.fusion_external_id)!;
      expect(order.invoice_ids).toEqual([]);
      expect(`${String(order.fusion_closed_until).replace(' ', 'T')}Z`).toBe(
        new Date(anniversaryPeriod(seed, periods.afterCutover).startMs).toISOString().replace('.000Z', 'Z'),
      );
    }
    const invoiceLines = await odoo.searchRead<Row & { fusion_period_start: string; order_id: [number, string] }>(
      'sale.order.line',
      [
        ['order_id', 'in', ids],
        ['fusion_period_start', '!=', false],
      ],
      ['fusion_period_start', 'order_id'],
    );
    const starts = new Set(invoiceLines.map((l) => l.fusion_period_start));
    expect([...starts].map((s) => monthOf(Date.parse(`${s.replace(' ', 'T')}Z`)))).toEqual([monthOf(periods.afterCutover.startMs)]);
    // Tenant 1's invoice is the fixture's hand-computed fees of that month (untaxed).
    const t1 = billed.find((o) => o.fusion_external_id === 'sub_tenant01')!;
    const [move] = await odoo.searchRead<Row & { amount_untaxed: number }>(
      'account.move',
      [['id', '=', t1.invoice_ids[0]!]],
      ['amount_untaxed'],
    );
    const fees = tenantFees(tenant(1), periods.afterCutover, eventsOf(tenant(1), 2, periods.afterCutover));
    expect(formatCents(BigInt(Math.round(move!.amount_untaxed * 100)))).toBe(
      formatCents(fees.reduce((sum, f) => sum + BigInt(f.amount_cents), 0n)),
    );
    const charges = await mock.requestsTo('POST', '/v1/payment_intents');
    expect(charges.map((c) => c.params.customer)).toEqual(['cus_NEXATENANT10']);
    expect(await invoiceWebhooks()).toBeGreaterThanOrEqual(CALENDAR_TENANTS);
    // Lago received the application's own events (sent to both before cutover) and nothing else.
    expect(double.writes()).toEqual(writesBefore);
    expect(double.writes().map((w) => [w.method, w.path, (w.body as { event: { transaction_id: string } }).event.transaction_id])).toEqual(
      [1, 2, 3].map((k) => ['POST', '/api/v1/events', `sub_tenant01-now-${k}`]),
    );
  });
});
