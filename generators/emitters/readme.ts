// The addon's README, OCA-style: hand-written Markdown fragments (python/<module>/readme/*.md, as
// OCA's readme/ folder) plus tables derived from the IR, written twice: README.rst (the manifest's
// description, what code hosts show) and static/description/index.html (what Odoo's Apps screen
// shows when it exists: ir.module.module._get_desc).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BillingIR, PlanIR } from '../ir/types.ts';
import type { UnknownPolicy } from '../spec/types.ts';
import { markdownToHtml, markdownToRst, MarkdownError } from '../markdown.ts';
import type { Emitter } from './types.ts';

/** Fragment files, in the order the README shows them; OCA's names, plus the API and webhooks of this module. */
export const README_FRAGMENTS = ['DESCRIPTION', 'CONFIGURE', 'USAGE', 'API', 'WEBHOOKS', 'ROADMAP', 'CONTRIBUTORS'] as const;
const REQUIRED: readonly Fragment[] = ['DESCRIPTION', 'CONFIGURE', 'USAGE', 'API', 'WEBHOOKS', 'CONTRIBUTORS'];
type Fragment = (typeof README_FRAGMENTS)[number];

// The document's title, its sections and the catalog's subsections take `=` (over and under), `=` and
// `-`; a fragment's own `#` headings start one level below its section.
const FRAGMENT_HEADINGS = { htmlOffset: 2, rstAdornments: '-~^' };

/** `fragmentsDir` holds the Markdown; `sourceLabel` is how the generated files name it. */
export function readmeEmitter(fragmentsDir: string, sourceLabel: string): Emitter {
  return ({ ir, render, header }) => {
    const markdown = readFragments(fragmentsDir, sourceLabel);
    const convert = (to: (md: string, h: typeof FRAGMENT_HEADINGS) => string) =>
      Object.fromEntries(
        README_FRAGMENTS.map((name) => {
          try {
            return [name, markdown[name] ? to(markdown[name], FRAGMENT_HEADINGS) : ''];
          } catch (err) {
            if (err instanceof MarkdownError) throw new MarkdownError(`${sourceLabel}/${name}.md: ${err.message}`);
            throw err;
          }
        }),
      );
    const context = { header, source: `${sourceLabel}/*.md`, module: ir.module, tables: readmeTables(ir) };
    const root = ir.module.technicalName;
    return [
      { path: `${root}/README.rst`, content: render('readme/README.rst.hbs', { ...context, fragments: convert(markdownToRst) }) },
      {
        path: `${root}/static/description/index.html`,
        content: render('readme/index.html.hbs', { ...context, fragments: convert(markdownToHtml) }),
      },
    ];
  };
}

/** A module with no readme folder (a spec of another module than the hand-written Python's) gets the tables alone. */
function readFragments(dir: string, sourceLabel: string): Partial<Record<Fragment, string>> {
  if (!existsSync(dir)) return {};
  const missing = REQUIRED.filter((name) => !existsSync(join(dir, `${name}.md`)));
  if (missing.length) throw new Error(`the addon README needs ${missing.map((m) => `${sourceLabel}/${m}.md`).join(', ')}`);
  return Object.fromEntries(
    README_FRAGMENTS.filter((name) => existsSync(join(dir, `${name}.md`))).map((name) => [
      name,
      readFileSync(join(dir, `${name}.md`), 'utf8'),
    ]),
  );
}

/** What the README's generated tables list: every value resolved here, none left optional (the templates are strict). */
export function readmeTables(ir: BillingIR) {
  const { catalog, module } = ir;
  const serviceCode = new Map(catalog.services.map((s) => [s.xmlid, s.code]));
  const metricName = new Map(catalog.metrics.map((m) => [m.code, m.name]));
  return {
    groups: module.groups.map((g) => ({ name: g.name, comment: g.comment ?? '' })),
    services: catalog.services.map((s) => ({
      code: s.code,
      name: s.name,
      kind: s.kind,
      currency: s.currency,
      identityLabel: s.accountIdLabel ?? 'account id',
      identityPattern: s.accountIdPattern ?? '',
      billingMode: s.billingMode,
      invoiceGracePeriod: s.invoiceGracePeriod,
      unknownEvents: unknownEventsPolicy(s.unknownMetric, s.unknownSubscription),
    })),
    metrics: catalog.metrics.map((m) => ({
      code: m.code,
      name: m.name,
      service: serviceCode.get(m.serviceXmlid)!,
      aggregation: m.aggregation,
      fieldName: m.fieldName ?? '',
      recurring: m.recurring,
      filters: m.filters ? Object.entries(m.filters).map(([key, values]) => `${key}: ${values.join(', ')}`) : [],
    })),
    plans: catalog.plans.map((p) => ({
      code: p.code,
      name: p.name,
      service: serviceCode.get(p.serviceXmlid)!,
      interval: p.interval,
      baseFee: `${toCurrencyDecimals(p.amount, p.currencyExponent)} ${p.currency}`,
      charges: p.charges.map((c) => ({ code: c.metricCode, name: metricName.get(c.metricCode) ?? c.metricCode, model: c.model })),
      terms: planTerms(p),
    })),
    webhookEndpoints: catalog.services.flatMap((s) =>
      s.webhooks.map((w) => ({
        service: s.code,
        code: w.code,
        url: w.url,
        signature: w.signatureAlgorithm,
        eventTypes: w.eventTypes ?? [],
      })),
    ),
    // `{id:path}` tells the generator the id may hold slashes; the reader needs only `{id}`.
    routes: module.api.routes.map((r) => ({ method: r.method, path: r.path.replace(/\{(\w+):path\}/g, '{$1}') })),
    // Odoo's interval types are plural ('minutes'): "minute" for one, "15 minutes" otherwise.
    crons: module.crons.map((c) => ({
      name: c.name,
      every: c.intervalNumber === 1 ? c.intervalType.replace(/s$/, '') : `${c.intervalNumber} ${c.intervalType}`,
    })),
    api: { basePath: module.api.basePath, eventsBatchLimit: module.api.eventsBatchLimit, maxBodyBytes: module.api.maxBodyBytes },
    webhooks: module.webhooks,
  };
}

function unknownEventsPolicy(metric: UnknownPolicy, subscription: UnknownPolicy): string {
  const say = (policy: UnknownPolicy) => (policy === 'accept' ? 'accepted, reported in events.errors' : 'refused (422)');
  return metric === subscription ? say(metric) : `unknown metric: ${say(metric)}; unknown subscription: ${say(subscription)}`;
}

/** A plan's terms beyond its base fee, as short phrases; money stays a decimal string in the plan's currency. */
function planTerms(plan: PlanIR): string[] {
  const money = (amount: string) => `${toCurrencyDecimals(amount, plan.currencyExponent)} ${plan.currency}`;
  const terms: string[] = [];
  if (plan.payInAdvance) terms.push('base fee paid in advance');
  if (plan.trialPeriod > 0) terms.push(`${plan.trialPeriod}-day trial`);
  if (plan.billChargesMonthly) terms.push('usage billed monthly');
  if (!/^0(\.0*)?$/.test(plan.minimumCommitment)) terms.push(`minimum commitment ${money(plan.minimumCommitment)}`);
  for (const t of plan.usageThresholds) {
    const amount = money(subunitsToDecimal(t.amount_cents, plan.currencyExponent));
    terms.push(t.recurring ? `progressive invoice every ${amount} more` : `progressive invoice at ${amount}`);
  }
  return terms;
}

/** "0" → "0.00" for a 2-decimal currency; never rounds (a longer fraction, as a unit price has, stays). */
export function toCurrencyDecimals(amount: string, exponent: number): string {
  const [whole, fraction = ''] = amount.split('.');
  if (exponent === 0) return fraction.replace(/0+$/, '') ? amount : whole!;
  return `${whole}.${fraction.padEnd(exponent, '0')}`;
}

/** 15000 subunits, exponent 2 → "150.00": string arithmetic, no float. */
export function subunitsToDecimal(subunits: number, exponent: number): string {
  const digits = String(Math.abs(subunits)).padStart(exponent + 1, '0');
  const sign = subunits < 0 ? '-' : '';
  return exponent === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
