// `fusion-billing lago import-catalog`: a Lago organisation's billable metrics and plans → the spec.
//
// mapLagoCatalog turns Lago's objects into spec entries and names everything the spec cannot
// express yet (never dropped silently); mergeCatalog writes them into the spec's YAML document
// through the yaml library's document API, so comments, key order and flow/block style of what is
// already there survive, and only values that differ in meaning are rewritten.
import { isMap, isSeq, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { currencyExponent } from '../generators/spec/currencies.ts';
import type { AggregationType, ChargeModel, ChargeSpec, Interval, MetricSpec, PlanSpec, ServiceSpec } from '../generators/spec/types.ts';

/** Lago's objects as its API answers them (the fields this import reads). */
export interface LagoMetricIn {
  code: string;
  name: string;
  description?: string | null;
  aggregation_type: string;
  field_name?: string | null;
  recurring: boolean;
  filters?: { key: string; values: string[] }[];
  rounding_function?: string | null;
  rounding_precision?: number | null;
  expression?: string | null;
  weighted_interval?: string | null;
}

export interface LagoChargeIn {
  code?: string | null;
  billable_metric_code: string;
  charge_model: string;
  invoice_display_name?: string | null;
  pay_in_advance: boolean;
  invoiceable: boolean;
  prorated: boolean;
  min_amount_cents: number;
  properties: Record<string, unknown>;
  filters?: { invoice_display_name?: string | null; properties?: Record<string, unknown> | null; values: Record<string, string[]> }[];
}

export interface LagoPlanIn {
  code: string;
  name: string;
  interval: string;
  amount_cents: number;
  amount_currency: string;
  trial_period?: number | null;
  pay_in_advance?: boolean | null;
  bill_charges_monthly?: boolean | null;
  minimum_commitment?: { amount_cents: number; invoice_display_name?: string | null } | null;
  usage_thresholds?: { amount_cents: number; recurring?: boolean | null; threshold_display_name?: string | null }[] | null;
  taxes?: unknown[];
  charges?: LagoChargeIn[];
}

/** Something Lago has that the spec cannot express yet, named by the object that has it. */
export interface Unsupported {
  object: string;
  feature: string;
  detail: string;
}

export interface CatalogMapping {
  metrics: MetricSpec[];
  plans: PlanSpec[];
  unsupported: Unsupported[];
}

const AGGREGATIONS: Record<string, AggregationType> = {
  count_agg: 'count', sum_agg: 'sum', max_agg: 'max', unique_count_agg: 'unique_count', latest_agg: 'latest', weighted_sum_agg: 'weighted_sum',
};
const CHARGE_MODELS: ChargeModel[] = ['standard', 'graduated', 'volume', 'package', 'percentage', 'graduated_percentage'];
const INTERVALS: Interval[] = ['weekly', 'monthly', 'quarterly', 'semiannual', 'yearly'];
/** Charge properties Lago adds that mean nothing when empty. */
const EMPTY_PROPERTY_KEYS = ['grouped_by', 'pricing_group_keys'];

/** `amount_cents` as the spec's decimal string in the currency's exponent ("99.00"), exact. */
export function centsToDecimal(cents: number, currency: string): string {
  const exponent = currencyExponent(currency) ?? 2;
  const negative = cents < 0;
  const digits = String(Math.abs(cents)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent ? `.${digits.slice(digits.length - exponent)}` : ''}`;
}

/** Lago's charge properties as the spec writes them: nulls and empty grouping keys dropped; `grouped` hears of grouping that is lost. */
function specProperties(raw: Record<string, unknown> | null | undefined, grouped?: (key: string, value: unknown[]) => void): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (value === null || value === undefined) continue;
    if (EMPTY_PROPERTY_KEYS.includes(key)) {
      if (Array.isArray(value) && value.length) grouped?.(key, value);
      continue;
    }
    properties[key] = value;
  }
  return properties;
}

export function mapLagoCatalog(service: ServiceSpec, metrics: LagoMetricIn[], plans: LagoPlanIn[]): CatalogMapping {
  const unsupported: Unsupported[] = [];
  const note = (object: string, feature: string, detail: string) => unsupported.push({ object, feature, detail });
  const mappedMetrics: MetricSpec[] = [];
  for (const metric of metrics) {
    const object = `billable metric ${metric.code}`;
    const aggregation = AGGREGATIONS[metric.aggregation_type];
    if (!aggregation) {
      note(object, 'aggregation_type', `${metric.aggregation_type} (not imported; its charges neither)`);
      continue;
    }
    if (metric.expression) note(object, 'expression', `units computed by the expression ${JSON.stringify(metric.expression)} (imported without it)`);
    if (metric.rounding_function) note(object, 'rounding_function', `${metric.rounding_function} to ${metric.rounding_precision ?? 0} decimals (imported without rounding)`);
    const entry: MetricSpec = { code: metric.code, service: service.code, name: metric.name, aggregation };
    if (metric.field_name && aggregation !== 'count') entry.field_name = metric.field_name;
    if (metric.recurring) entry.recurring = true;
    if (metric.description) entry.description = metric.description;
    if (metric.filters?.length) entry.filters = Object.fromEntries(metric.filters.map((f) => [f.key, [...f.values]]));
    mappedMetrics.push(entry);
  }
  const metricCodes = new Set(mappedMetrics.map((m) => m.code));
  const mappedPlans: PlanSpec[] = [];
  for (const plan of plans) {
    const object = `plan ${plan.code}`;
    if (!INTERVALS.includes(plan.interval as Interval)) {
      note(object, 'interval', `${plan.interval} (not imported)`);
      continue;
    }
    if (plan.amount_currency !== service.currency) {
      note(object, 'amount_currency', `${plan.amount_currency}, but ${service.code} bills in ${service.currency} (not imported)`);
      continue;
    }
    if (plan.taxes?.length) note(object, 'taxes', "plan-level Lago taxes (Odoo's taxes come from the products and fiscal positions)");
    const charges: ChargeSpec[] = [];
    for (const charge of plan.charges ?? []) {
      const code = charge.code || charge.billable_metric_code;
      const chargeObject = `${object}, charge ${code}`;
      if (!metricCodes.has(charge.billable_metric_code)) {
        note(chargeObject, 'billable_metric_code', `${charge.billable_metric_code}, a metric that is not imported (charge not imported)`);
        continue;
      }
      if (!CHARGE_MODELS.includes(charge.charge_model as ChargeModel)) {
        note(chargeObject, 'charge_model', `${charge.charge_model} (charge not imported)`);
        continue;
      }
      if (charge.pay_in_advance) note(chargeObject, 'pay_in_advance', 'billed per event in advance (imported billed in arrears)');
      if (charge.prorated) note(chargeObject, 'prorated', 'prorated charge (imported not prorated)');
      if (!charge.invoiceable) note(chargeObject, 'invoiceable', 'not invoiceable (imported invoiceable)');
      if (charge.min_amount_cents) note(chargeObject, 'min_amount_cents', `a minimum of ${centsToDecimal(charge.min_amount_cents, plan.amount_currency)} per period (imported without it)`);
      const properties = specProperties(charge.properties, (key, value) => note(chargeObject, key, `${JSON.stringify(value)} (imported without grouping)`));
      const entry: ChargeSpec = {
        code,
        metric: charge.billable_metric_code,
        model: charge.charge_model as ChargeModel,
        product: { code: productCode(`${plan.code}_${code}`), name: charge.invoice_display_name || `${plan.name}: ${mappedMetrics.find((m) => m.code === charge.billable_metric_code)!.name}` },
        properties,
      };
      if (charge.invoice_display_name) entry.invoice_display_name = charge.invoice_display_name;
      if (charge.filters?.length) {
        entry.filters = charge.filters.map((filter) => ({
          values: Object.fromEntries(Object.entries(filter.values).map(([key, values]) => [key, [...values]])),
          ...(filter.invoice_display_name ? { invoice_display_name: filter.invoice_display_name } : {}),
          properties: specProperties(filter.properties),
        }));
      }
      charges.push(entry);
    }
    mappedPlans.push({
      code: plan.code,
      service: service.code,
      name: plan.name,
      interval: plan.interval as Interval,
      amount: centsToDecimal(plan.amount_cents, plan.amount_currency),
      ...(plan.pay_in_advance ? { pay_in_advance: true } : {}),
      // Lago ignores the flag on plans shorter than a half-year (Plan#bill_charges_monthly?).
      ...(plan.bill_charges_monthly && (plan.interval === 'yearly' || plan.interval === 'semiannual') ? { bill_charges_monthly: true } : {}),
      ...(plan.trial_period ? { trial_period: plan.trial_period } : {}),
      ...(plan.minimum_commitment?.amount_cents ? { minimum_commitment: {
        amount: centsToDecimal(plan.minimum_commitment.amount_cents, plan.amount_currency),
        ...(plan.minimum_commitment.invoice_display_name ? { invoice_display_name: plan.minimum_commitment.invoice_display_name } : {}),
      } } : {}),
      ...(plan.usage_thresholds?.length ? { usage_thresholds: plan.usage_thresholds.map((threshold) => ({
        amount: centsToDecimal(threshold.amount_cents, plan.amount_currency),
        ...(threshold.recurring ? { recurring: true } : {}),
        ...(threshold.threshold_display_name ? { threshold_display_name: threshold.threshold_display_name } : {}),
      })) } : {}),
      product: { code: productCode(plan.code), name: plan.name },
      charges,
    });
  }
  return { metrics: mappedMetrics, plans: mappedPlans, unsupported };
}

function productCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]+/g, '-');
}

// ------------------------------------------------------------------------------------- merge

export interface MergeReport {
  /** One line per change, e.g. "plan nexacloud_pro: charges[egress].properties.amount". */
  changes: string[];
  /** Spec entries of the service that Lago does not have (kept). */
  onlyInSpec: string[];
}

/** Whether two values mean the same: numbers and decimal strings compare by value, maps by keys. */
export function sameValue(a: unknown, b: unknown): boolean {
  const number = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) ? normaliseDecimal(String(v)) : undefined);
  const na = number(a);
  const nb = number(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  }
  return a === b || ((a === undefined || a === null) && (b === undefined || b === null));
}

function normaliseDecimal(text: string): string {
  const negative = text.startsWith('-');
  let [whole = '0', fraction = ''] = text.replace(/^-/, '').split('.');
  whole = whole.replace(/^0+(?=\d)/, '');
  fraction = fraction.replace(/0+$/, '');
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative && body !== '0' ? `-${body}` : body;
}

/** Merges `mapping` into the spec document (in place). */
export function mergeCatalog(doc: Document, mapping: CatalogMapping, service: string): MergeReport {
  const report: MergeReport = { changes: [], onlyInSpec: [] };
  const metrics = doc.getIn(['catalog', 'metrics']) as YAMLSeq;
  const plans = doc.getIn(['catalog', 'plans']) as YAMLSeq;
  if (!isSeq(metrics) || !isSeq(plans)) throw new Error('the spec has no catalog.metrics or catalog.plans list');
  const findByCode = (seq: YAMLSeq, code: string) => seq.items.find((item) => isMap(item) && item.get('code') === code) as YAMLMap | undefined;

  for (const metric of mapping.metrics) {
    const node = findByCode(metrics, metric.code);
    if (!node) {
      const created = doc.createNode(metric) as YAMLMap;
      created.flow = true;
      metrics.items.push(created);
      report.changes.push(`billable metric ${metric.code}: added`);
      continue;
    }
    if (node.get('service') !== service) throw new Error(`billable metric ${metric.code} belongs to service ${String(node.get('service'))} in the spec, not ${service}`);
    setFields(doc, node, metric as unknown as Record<string, unknown>, ['name', 'aggregation', 'field_name', 'recurring', 'filters', 'description'], `billable metric ${metric.code}`, report, { recurring: false });
  }
  for (const plan of mapping.plans) {
    const node = findByCode(plans, plan.code);
    if (!node) {
      plans.items.push(doc.createNode(plan) as YAMLMap);
      report.changes.push(`plan ${plan.code}: added`);
      continue;
    }
    if (node.get('service') !== service) throw new Error(`plan ${plan.code} belongs to service ${String(node.get('service'))} in the spec, not ${service}`);
    setFields(doc, node, plan as unknown as Record<string, unknown>, ['name', 'interval', 'amount', 'pay_in_advance', 'bill_charges_monthly', 'trial_period', 'minimum_commitment', 'usage_thresholds'], `plan ${plan.code}`, report, {
      pay_in_advance: false,
      bill_charges_monthly: false,
      trial_period: 0,
    });
    const charges = node.get('charges') as YAMLSeq;
    for (const charge of plan.charges) {
      const chargeNode = charges.items.find((item) => isMap(item) && item.get('code') === charge.code) as YAMLMap | undefined;
      const object = `plan ${plan.code}, charge ${charge.code}`;
      if (!chargeNode) {
        charges.items.push(doc.createNode(charge) as YAMLMap);
        report.changes.push(`${object}: added`);
        continue;
      }
      // Product and examples are the spec's own (Lago has neither): kept.
      setFields(doc, chargeNode, charge as unknown as Record<string, unknown>, ['metric', 'model', 'invoice_display_name', 'properties', 'filters'], object, report, {});
    }
    for (const item of charges.items) {
      if (isMap(item) && !plan.charges.some((c) => c.code === item.get('code'))) report.onlyInSpec.push(`plan ${plan.code}, charge ${String(item.get('code'))}`);
    }
  }
  for (const item of metrics.items) {
    if (isMap(item) && item.get('service') === service && !mapping.metrics.some((m) => m.code === item.get('code'))) report.onlyInSpec.push(`billable metric ${String(item.get('code'))}`);
  }
  for (const item of plans.items) {
    if (isMap(item) && item.get('service') === service && !mapping.plans.some((p) => p.code === item.get('code'))) report.onlyInSpec.push(`plan ${String(item.get('code'))}`);
  }
  return report;
}

/** Sets each of `keys` of `values` on `node` where the meaning differs; `defaults` are what an absent key means. */
function setFields(doc: Document, node: YAMLMap, values: Record<string, unknown>, keys: string[], object: string, report: MergeReport, defaults: Record<string, unknown>): void {
  for (const key of keys) {
    const current = node.get(key, false);
    const currentJs = current && typeof (current as { toJSON?: unknown }).toJSON === 'function' ? (current as { toJSON(): unknown }).toJSON() : current;
    const wanted = values[key];
    if (sameValue(currentJs ?? defaults[key], wanted ?? defaults[key])) continue;
    if (wanted === undefined) {
      node.delete(key);
    } else {
      const created = doc.createNode(wanted);
      // Keep the style of what was there: a flow map stays on one line.
      if (isMap(current) || isSeq(current)) (created as YAMLMap).flow = (current as YAMLMap).flow;
      node.set(key, created);
    }
    report.changes.push(`${object}: ${key}`);
  }
}
