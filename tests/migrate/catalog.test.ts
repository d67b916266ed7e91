// lago import-catalog: Lago's billable metrics and plans → the spec, merged through the YAML
// document API, with what the spec cannot express named; and the CLI step against the Lago double.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implementationFacts } from '../../generators/generate.ts';
import { validateSpecFile, validateSpecText } from '../../generators/spec/index.ts';
import { LagoDouble, type LagoOrganisation } from '../../harness/lago/double.ts';
import { NEXACLOUD_METRICS, NEXACLOUD_PLAN } from '../../harness/lago/fixtures/nexacloud.ts';
import {
  centsToDecimal,
  mapLagoCatalog,
  mergeCatalog,
  sameValue,
  type LagoChargeIn,
  type LagoMetricIn,
  type LagoPlanIn,
} from '../../migrate/catalog.ts';
import { lagoCommand } from '../../migrate/command.ts';
import { parseSpecDocument, printSpecDocument } from '../../migrate/spec-document.ts';

const SPEC = 'spec/nexa.yaml';
const specText = readFileSync(SPEC, 'utf8');
const spec = validateSpecFile(SPEC, implementationFacts()).spec;
const nexacloud = spec.catalog.services.find((s) => s.code === 'nexacloud')!;

/** The fixture's seeds as Lago's API answers them (the fields the import reads). */
const lagoMetrics = (): LagoMetricIn[] => NEXACLOUD_METRICS.map((m) => ({ ...m, recurring: m.recurring ?? false }));
type ChargeSeed = Omit<LagoChargeIn, 'pay_in_advance' | 'invoiceable' | 'prorated' | 'min_amount_cents'> & Partial<LagoChargeIn>;
const lagoPlan = (changes: Omit<Partial<LagoPlanIn>, 'charges'> & { charges?: ChargeSeed[] } = {}): LagoPlanIn => ({
  ...NEXACLOUD_PLAN,
  ...changes,
  charges: (changes.charges ?? NEXACLOUD_PLAN.charges).map((c) => ({
    pay_in_advance: false,
    invoiceable: true,
    prorated: false,
    min_amount_cents: 0,
    filters: [],
    ...c,
  })),
});

function merged(metrics: LagoMetricIn[], plans: LagoPlanIn[]) {
  const mapping = mapLagoCatalog(nexacloud, metrics, plans);
  const doc = parseSpecDocument(specText);
  const report = mergeCatalog(doc, mapping, 'nexacloud');
  return { mapping, report, text: printSpecDocument(doc) };
}

describe('mapping Lago’s catalog onto the spec', () => {
  it("finds NexaCloud's Lago catalog already in the spec: no change at all, byte for byte", () => {
    const { mapping, report, text } = merged(lagoMetrics(), [lagoPlan()]);
    expect(mapping.unsupported).toEqual([]);
    expect(report.changes).toEqual([]);
    expect(text).toBe(specText);
  });

  it('rewrites only what differs in meaning, keeps comments and layout, and adds what is new', () => {
    const plan = lagoPlan({
      amount_cents: 10900,
      charges: NEXACLOUD_PLAN.charges.map((c) =>
        c.code === 'egress' ? { ...c, properties: { amount: '6.00', package_size: 100, free_units: 100 } } : c,
      ),
    });
    const extra: LagoMetricIn = {
      code: 'nc_snapshots',
      name: 'Snapshots',
      aggregation_type: 'unique_count_agg',
      field_name: 'snapshot_id',
      recurring: false,
    };
    const { report, text } = merged([...lagoMetrics(), extra], [plan]);
    expect(report.changes).toEqual([
      'billable metric nc_snapshots: added',
      'plan nexacloud_pro: amount',
      'plan nexacloud_pro, charge egress: properties',
    ]);
    const before = specText.split('\n');
    const after = text.split('\n');
    const changed = after.filter((line) => !before.includes(line));
    expect(changed).toEqual([
      '    - {code: nc_snapshots, service: nexacloud, name: Snapshots, aggregation: unique_count, field_name: snapshot_id}',
      '      amount: "109.00"',
      '          properties: {amount: "6.00", package_size: 100, free_units: 100}',
    ]);
    // Every comment of the spec survives, and the result is a valid spec.
    const comments = (lines: string[]) => lines.filter((line) => line.trim().startsWith('#'));
    expect(comments(after)).toEqual(comments(before));
    expect(() => validateSpecText(SPEC, text, implementationFacts())).not.toThrow();
  });

  it('names everything the spec cannot express yet, by object and feature', () => {
    const metrics: LagoMetricIn[] = [
      ...lagoMetrics(),
      { code: 'nc_custom', name: 'Custom', aggregation_type: 'custom_agg', recurring: false },
      {
        code: 'nc_rounded',
        name: 'Rounded',
        aggregation_type: 'sum_agg',
        field_name: 'gb',
        recurring: false,
        rounding_function: 'ceil',
        rounding_precision: 0,
      },
    ];
    const plan = lagoPlan({
      trial_period: 14,
      minimum_commitment: { amount_cents: 50000 },
      charges: [
        ...NEXACLOUD_PLAN.charges,
        { code: 'custom', billable_metric_code: 'nc_custom', charge_model: 'standard', properties: { amount: '1' } },
        { code: 'rounded', billable_metric_code: 'nc_rounded', charge_model: 'dynamic', properties: {} },
        {
          code: 'rounded_std',
          billable_metric_code: 'nc_rounded',
          charge_model: 'standard',
          properties: { amount: '0.5', grouped_by: ['region'] },
          pay_in_advance: true,
          min_amount_cents: 1000,
        },
      ],
    });
    const usd: LagoPlanIn = { ...lagoPlan(), code: 'nexacloud_usd', amount_currency: 'USD' };
    const { mapping } = merged(metrics, [plan, usd]);
    expect(mapping.unsupported.map((u) => `${u.object}: ${u.feature}`)).toEqual([
      'billable metric nc_custom: aggregation_type',
      'billable metric nc_rounded: rounding_function',
      'plan nexacloud_pro, charge custom: billable_metric_code',
      'plan nexacloud_pro, charge rounded: charge_model',
      'plan nexacloud_pro, charge rounded_std: pay_in_advance',
      'plan nexacloud_pro, charge rounded_std: min_amount_cents',
      'plan nexacloud_pro, charge rounded_std: grouped_by',
      'plan nexacloud_usd: amount_currency',
    ]);
    expect(mapping.unsupported.find((u) => u.feature === 'min_amount_cents')!.detail).toContain('10.00');
    expect(mapping.plans.map((p) => p.code)).toEqual(['nexacloud_pro']);
    // Lago's plan settings that the spec holds are imported, not listed.
    expect(mapping.plans[0]).toMatchObject({ trial_period: 14, minimum_commitment: { amount: '500.00' } });
    expect(mapping.plans[0]!.usage_thresholds).toEqual([
      { amount: '150.00', threshold_display_name: 'First usage invoice' },
      { amount: '400.00' },
      { amount: '500.00', recurring: true, threshold_display_name: 'Every 500.00 more' },
    ]);
    expect(mapping.plans[0]!.charges.map((c) => c.code)).toEqual(['api_requests', 'storage', 'egress', 'peak_vcpu', 'rounded_std']);
  });

  it('turns cents into the spec’s decimal strings exactly, in the currency’s exponent', () => {
    expect([
      centsToDecimal(9900, 'CAD'),
      centsToDecimal(5, 'USD'),
      centsToDecimal(1500, 'JPY'),
      centsToDecimal(1234, 'BHD'),
      centsToDecimal(-250, 'CAD'),
    ]).toEqual(['99.00', '0.05', '1500', '1.234', '-2.50']);
    expect([
      sameValue('0', 0),
      sameValue('5.00', '5'),
      sameValue('0.0004', '0.00040'),
      sameValue('0.1', '0.10001'),
      sameValue({ a: '1' }, { a: 1, b: null }),
    ]).toEqual([true, true, true, false, true]);
  });
});

describe('fusion-billing lago import-catalog, against the Lago double', () => {
  let double: LagoDouble;
  const dir = mkdtempSync(join(tmpdir(), 'fb-catalog-'));
  const copy = join(dir, 'nexa.yaml');
  const out: string[] = [];
  const run = (...args: string[]) =>
    lagoCommand(['import-catalog', '--service', 'nexacloud', '--spec', copy, ...args], {
      out: (line) => out.push(line),
      err: (line) => out.push(line),
      env: { LAGO_API_URL: double.url, LAGO_API_KEY: double.apiKey },
      implementationFacts,
    });

  beforeAll(async () => {
    const org: LagoOrganisation = {
      metrics: [
        ...NEXACLOUD_METRICS,
        { code: 'nc_ipv4', name: 'Public IPv4 addresses', aggregation_type: 'unique_count_agg', field_name: 'ip' },
      ],
      plans: [
        {
          ...NEXACLOUD_PLAN,
          trial_period: 30,
          charges: [
            ...NEXACLOUD_PLAN.charges,
            {
              code: 'ipv4',
              billable_metric_code: 'nc_ipv4',
              charge_model: 'standard',
              properties: { amount: '3.00' },
              min_amount_cents: 1000,
            },
          ],
        },
      ],
      customers: [],
      subscriptions: [],
      events: [],
      invoices: [],
    };
    double = await new LagoDouble(org).start();
    writeFileSync(copy, specText);
  });
  afterAll(() => double.stop());

  it('prints the diff first, lists the unsupported charge minimum and exits 1 without --allow-partial, writing nothing', async () => {
    expect(await run()).toBe(1);
    const text = out.join('\n');
    expect(text).toContain(
      '+    - {code: nc_ipv4, service: nexacloud, name: Public IPv4 addresses, aggregation: unique_count, field_name: ip}',
    );
    expect(text).toContain('+      trial_period: 30');
    expect(text).toContain(
      'unsupported: plan nexacloud_pro, charge ipv4: min_amount_cents: a minimum of 10.00 per period (imported without it)',
    );
    expect(text).toContain('dry run: the spec is unchanged');
    expect(readFileSync(copy, 'utf8')).toBe(specText);
  });

  it('writes the merge with --apply --allow-partial; a second run finds nothing to change', async () => {
    out.length = 0;
    expect(await run('--apply', '--allow-partial')).toBe(0);
    const written = readFileSync(copy, 'utf8');
    expect(written).not.toBe(specText);
    const valid = validateSpecText(copy, written, implementationFacts()).spec;
    const plan = valid.catalog.plans.find((p) => p.code === 'nexacloud_pro')!;
    expect(plan.trial_period).toBe(30);
    expect(plan.charges.find((c) => c.code === 'ipv4')).toMatchObject({
      metric: 'nc_ipv4',
      model: 'standard',
      properties: { amount: '3.00' },
      product: { code: 'NEXACLOUD-PRO-IPV4' },
    });
    out.length = 0;
    expect(await run('--apply', '--allow-partial')).toBe(0);
    expect(out.join('\n')).toContain('the spec already holds this catalog: no change');
    expect(readFileSync(copy, 'utf8')).toBe(written);
  });
});
