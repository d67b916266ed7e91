// The pieces of the migration steps that need no Odoo: the spec document round trip and the
// billing-mode edit, which Lago fees belong to a period, the summary's exact totals, Unix seconds
// from Lago's timestamps, and the CLI's usage errors.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implementationFacts } from '../../generators/generate.ts';
import { validateSpecText } from '../../generators/spec/index.ts';
import { officialClient } from '../../harness/clients/lago.ts';
import { LagoDouble } from '../../harness/lago/double.ts';
import { nexacloudOrganisation, rehearsalPeriods } from '../../harness/lago/fixtures/nexacloud.ts';
import { lagoCommand } from '../../migrate/command.ts';
import { setBillingMode } from '../../migrate/cutover.ts';
import { unixSeconds } from '../../migrate/pull-events.ts';
import { feesOfPeriod, localMonthOf, summarise, type ReconcileResult, type ReconciliationLine } from '../../migrate/reconcile.ts';
import { parseSpecDocument, printSpecDocument, specDiff } from '../../migrate/spec-document.ts';

const SPEC = 'spec/nexa.yaml';
const specText = readFileSync(SPEC, 'utf8');

describe('the spec as a document', () => {
  it('prints an unchanged spec byte for byte', () => {
    expect(printSpecDocument(parseSpecDocument(specText))).toBe(specText);
    expect(specDiff(SPEC, specText, specText)).toBe('');
  });

  it('sets a service’s billing mode in place: one line changes, the rest stays', () => {
    const shadow = setBillingMode(specText, 'nexacloud', 'shadow');
    const changed = shadow.split('\n').filter((line, index) => line !== specText.split('\n')[index]);
    expect(changed).toEqual(['      billing: {mode: shadow, cutover_periods: 2}']);
    expect(validateSpecText(SPEC, shadow, implementationFacts()).spec.catalog.services[0]!.billing).toEqual({
      mode: 'shadow',
      cutover_periods: 2,
    });
    // A service without a billing entry gets one, in the spec's flow style.
    const desk = setBillingMode(specText, 'nexadesk', 'shadow');
    expect(desk).toContain('      billing: {mode: shadow}\n');
    expect(() => setBillingMode(specText, 'nope', 'live')).toThrow('the spec has no service nope');
  });
});

describe('which Lago fees a reconciliation compares', () => {
  const periods = rehearsalPeriods(Date.parse('2026-12-02T10:00:00Z'));
  let double: LagoDouble;
  beforeAll(async () => {
    double = await new LagoDouble(nexacloudOrganisation(periods)).start();
  });
  afterAll(() => double.stop());

  it("reads the customer's local month from from_date, whatever the zone", () => {
    expect([
      localMonthOf('2026-10-01T04:00:00Z'),
      localMonthOf('2026-09-30T15:00:00Z'),
      localMonthOf('2026-10-01T12:00:00Z'),
      localMonthOf('2026-10-16T04:00:00Z'),
    ]).toEqual(['2026-10', '2026-10', '2026-10', '2026-10']);
  });

  it("keeps the period's base and charge fees of the service's plans, and names the others", async () => {
    const client = officialClient({ baseUrl: double.url, basePath: '', apiKey: double.apiKey });
    const listed = (await client.invoices.findAllInvoices({ external_customer_id: 'tnt_tenant01' })).data.invoices;
    const invoices = await Promise.all(listed.map(async (i) => (await client.invoices.findInvoice(i.lago_id)).data.invoice));
    const plans = (await client.plans.findAllPlans()).data.plans;
    const chargeCodes = new Map(plans[0]!.charges!.map((c) => [c.lago_id, c.code!]));
    const { fees, notCompared } = feesOfPeriod(invoices, '2026-10', new Set(['nexacloud_pro']), chargeCodes);
    expect(feesOfPeriod(invoices, '2026-10', new Set(['nexacloud_pro'])).fees.map((f) => f.charge_code)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(fees.map((f) => [f.fee_type, f.code, f.charge_code])).toEqual([
      ['subscription', 'nexacloud_pro', null],
      ['charge', 'nc_api_requests', 'api_requests'],
      ['charge', 'nc_storage_gb', 'storage'],
      ['charge', 'nc_egress_gb', 'egress'],
      ['charge', 'nc_peak_vcpu', 'peak_vcpu'],
    ]);
    expect(fees.every((f) => f.from_date.startsWith('2026-10-01') && f.to_date.startsWith('2026-11-01T03:59:59'))).toBe(true);
    expect(notCompared).toEqual([]);
    expect(feesOfPeriod(invoices, '2026-10', new Set(['another_plan'])).fees).toEqual([]);
    const addOn = structuredClone(invoices[0]!);
    addOn.fees![0]!.item.type = 'add_on';
    expect(feesOfPeriod([addOn], localMonthOf(addOn.fees![0]!.from_date!), new Set(['nexacloud_pro'])).notCompared).toEqual([
      `${addOn.number}: add_on fee nexacloud_pro (9900 cents)`,
    ]);
  });
});

describe('the reconciliation summary', () => {
  const line = (state: ReconciliationLine['state'], lago: string, odoo: string, cause: string | null = null): ReconciliationLine => ({
    id: 1,
    service: 'nexacloud',
    period: '2026-10',
    period_start: '',
    period_end: '',
    external_subscription_id: 's',
    fee_type: 'charge',
    fee_code: 'f',
    metric_code: null,
    currency: 'CAD',
    lago_invoice_number: null,
    lago_units: '0',
    odoo_units: '0',
    units_delta: '0',
    lago_amount: lago,
    odoo_amount: odoo,
    amount_delta: '0',
    lago_events_count: 0,
    odoo_events_count: 0,
    events_delta: 0,
    state,
    cause,
    explanation: null,
    accepted_reason: null,
  });

  it('adds amounts exactly in cents and counts unexplained mismatches', () => {
    const result: ReconcileResult = {
      service: 'nexacloud',
      period: '2026-10',
      notCompared: [],
      lines: [
        line('match', '0.10', '0.10'),
        line('match', '0.20', '0.20'),
        line('mismatch', '10.00', '5.00', 'boundary'),
        line('mismatch', '-1.05', '0.00', 'unexplained'),
        line('accepted', '3.33', '3.34', 'price'),
      ],
    };
    expect(summarise(result)).toEqual({ match: 2, mismatch: 2, accepted: 1, unexplained: 1, lagoTotal: '12.58', odooTotal: '8.64' });
  });
});

describe('fusion-billing lago, its usage and Lago timestamps', () => {
  it('turns Lago’s ISO timestamps into exact Unix seconds', () => {
    expect([
      unixSeconds('2026-10-01T04:00:00.000Z'),
      unixSeconds('2026-10-01T04:00:00.250Z'),
      unixSeconds('1970-01-01T00:00:00.001Z'),
    ]).toEqual(['1790827200.000', '1790827200.250', '0.001']);
    expect(() => unixSeconds('yesterday')).toThrow('unreadable timestamp');
  });

  it('says what is missing, with exit code 2', async () => {
    const errors: string[] = [];
    const io = { out: () => {}, err: (line: string) => errors.push(line), env: {}, implementationFacts };
    expect(await lagoCommand(['import-catalog'], io)).toBe(2);
    expect(await lagoCommand(['reconcile', '--service', 'nexacloud'], io)).toBe(2);
    expect(
      await lagoCommand(
        [
          'reconcile',
          '--service',
          'nexacloud',
          '--period',
          '2026-13',
          '--lago-url',
          'http://127.0.0.1:9',
          '--lago-key',
          'k',
          '--odoo-url',
          'http://127.0.0.1:9',
          '--odoo-db',
          'd',
          '--odoo-key',
          'k',
        ],
        io,
      ),
    ).toBe(2);
    expect(await lagoCommand(['import-accounts', '--service', 'nowhere'], io)).toBe(2);
    expect(await lagoCommand(['teleport', '--service', 'nexacloud'], io)).toBe(2);
    expect(errors.map((e) => e.split('\n')[0])).toEqual([
      'fusion-billing lago: --service is required',
      'fusion-billing lago: --period is required',
      'fusion-billing lago: --period must be YYYY-MM, not 2026-13',
      'fusion-billing lago: the spec has no service nowhere (it has nexacloud, nexadesk, nexamaps, fieldapp, membership)',
      "fusion-billing lago: unknown step 'teleport'",
    ]);
  });
});
