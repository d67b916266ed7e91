// `fusion-billing lago reconcile --service S --period YYYY-MM`: Lago's invoiced fees of the period
// against Odoo's rating of the same period (fusion.billing.reconciliation, computed in Odoo by the
// engine that bills), a readable summary, and an HTML report. Figures stay decimal text end to end.
import type * as Lago from 'lago-javascript-client';
import type { OdooClient } from '../harness/clients/json2.ts';
import { dec, formatCents, toCents } from '../harness/support/money.ts';
import type { LagoSource } from './lago-source.ts';

/** A Lago fee as the module's fusion_reconcile reads it. */
export interface FeeToReconcile {
  lago_fee_id: string | null;
  invoice_number: string;
  external_subscription_id: string;
  fee_type: 'subscription' | 'charge';
  /** The billable metric code (charges) or plan code (base fee). */
  code: string;
  charge_code: string | null;
  units: string;
  events_count: number | null;
  amount_cents: number;
  from_date: string;
  to_date: string;
}

/** A line of fusion.billing.reconciliation, as the module reports it. */
export interface ReconciliationLine {
  id: number;
  service: string;
  period: string;
  period_start: string;
  period_end: string;
  external_subscription_id: string;
  fee_type: 'subscription' | 'charge';
  fee_code: string;
  metric_code: string | null;
  currency: string;
  lago_invoice_number: string | null;
  lago_units: string;
  odoo_units: string;
  units_delta: string;
  lago_amount: string;
  odoo_amount: string;
  amount_delta: string;
  lago_events_count: number;
  odoo_events_count: number;
  events_delta: number;
  state: 'match' | 'mismatch' | 'accepted';
  cause: string | null;
  explanation: string | null;
  accepted_reason: string | null;
}

export interface ReconcileResult {
  service: string;
  period: string;
  lines: ReconciliationLine[];
  /** Fees of other kinds (add-ons, credits, commitments) that are not compared, named. */
  notCompared: string[];
}

const DAY_MS = 86_400_000;

/** The local month of a period start: from_date is the customer's local midnight in UTC, at most 14 h off. */
export function localMonthOf(fromDate: string): string {
  return new Date(Date.parse(fromDate) + 14 * 3_600_000).toISOString().slice(0, 7);
}

/**
 * The charge and base fees of `invoices` that bill `period` for subscriptions to `planCodes`.
 * `chargeCodes` maps Lago's charge ids to their codes in the plans (GET /plans): a fee names its
 * charge only by id, and two charges of a plan may bill the same metric.
 */
export function feesOfPeriod(invoices: Lago.InvoiceObjectExtended[], period: string, planCodes: Set<string>, chargeCodes: Map<string, string> = new Map()): { fees: FeeToReconcile[]; notCompared: string[] } {
  const fees: FeeToReconcile[] = [];
  const notCompared: string[] = [];
  for (const invoice of invoices) {
    if (invoice.status === 'voided' || invoice.status === 'draft') continue;
    const planOf = new Map((invoice.subscriptions ?? []).map((s) => [s.external_id, s.plan_code]));
    for (const fee of invoice.fees ?? []) {
      const subscription = fee.external_subscription_id ?? '';
      const plan = planOf.get(subscription);
      if (!fee.from_date || !fee.to_date || localMonthOf(fee.from_date) !== period) continue;
      if (plan !== undefined && !planCodes.has(plan)) continue;
      const type = fee.item.type;
      if (type !== 'charge' && type !== 'subscription') {
        notCompared.push(`${invoice.number}: ${type} fee ${fee.item.code} (${fee.amount_cents} cents)`);
        continue;
      }
      fees.push({
        lago_fee_id: fee.lago_id ?? null,
        invoice_number: invoice.number,
        external_subscription_id: subscription,
        fee_type: type,
        code: fee.item.code,
        charge_code: (fee.lago_charge_id && chargeCodes.get(fee.lago_charge_id)) || null,
        units: fee.units,
        events_count: fee.events_count ?? null,
        amount_cents: fee.amount_cents,
        from_date: fee.from_date,
        to_date: fee.to_date,
      });
    }
  }
  return { fees, notCompared };
}

export interface ReconcileOptions {
  service: string;
  /** YYYY-MM */
  period: string;
  planCodes: string[];
  progress?: (line: string) => void;
}

export async function reconcile(lago: LagoSource, odoo: OdooClient, options: ReconcileOptions): Promise<ReconcileResult> {
  const progress = options.progress ?? (() => {});
  const [year, month] = options.period.split('-').map(Number) as [number, number];
  // Invoices of a period are issued once it ends: from its first day to the end of the next month.
  const issuedTo = new Date(Date.UTC(year, month + 1, 0)).toISOString().slice(0, 10);
  const invoices = await lago.invoices({ issuing_date_from: `${options.period}-01`, issuing_date_to: issuedTo });
  const chargeCodes = new Map((await lago.plans()).flatMap((plan) => (plan.charges ?? []).flatMap((c) => (c.code ? [[c.lago_id, c.code] as [string, string]] : []))));
  const { fees, notCompared } = feesOfPeriod(invoices, options.period, new Set(options.planCodes), chargeCodes);
  progress(`lago: ${invoices.length} invoice(s), ${fees.length} fee(s) of ${options.period} to compare`);
  const byId = new Map<number, ReconciliationLine>();
  for (let start = 0; start < fees.length; start += 100) {
    const lines = await odoo.call<ReconciliationLine[]>('fusion.billing.reconciliation', 'fusion_reconcile', { service_code: options.service, fees: fees.slice(start, start + 100) });
    for (const line of lines) byId.set(line.id, line);
    progress(`odoo: ${Math.min(start + 100, fees.length)} of ${fees.length} fee(s) rated and compared`);
  }
  // Mismatched usage: Lago's events of the subscription and metric, a day either side, explain it.
  const toExplain = [...byId.values()].filter((line) => line.state === 'mismatch' && line.fee_type === 'charge' && line.metric_code && line.cause !== 'missing_odoo');
  for (const line of toExplain) {
    const events = await lago.events({
      external_subscription_id: line.external_subscription_id,
      code: line.metric_code!,
      timestamp_from: new Date(Date.parse(`${line.period_start.replace(" ", "T")}Z`) - DAY_MS).toISOString(),
      timestamp_to: new Date(Date.parse(`${line.period_end.replace(" ", "T")}Z`) + DAY_MS).toISOString(),
    });
    const [explained] = await odoo.call<ReconciliationLine[]>('fusion.billing.reconciliation', 'fusion_explain', { line_id: line.id, lago_events: events });
    if (explained) byId.set(explained.id, explained);
  }
  if (toExplain.length) progress(`lago: events of ${toExplain.length} mismatched fee(s) compared`);
  return { service: options.service, period: options.period, lines: [...byId.values()], notCompared };
}

// ------------------------------------------------------------------------------------ report

export function summarise(result: ReconcileResult): { match: number; mismatch: number; accepted: number; unexplained: number; lagoTotal: string; odooTotal: string } {
  const count = (state: ReconciliationLine['state']) => result.lines.filter((l) => l.state === state).length;
  const total = (key: 'lago_amount' | 'odoo_amount') => result.lines.reduce((sum, l) => sum + toCents(dec(l[key])), 0n);
  return {
    match: count('match'),
    mismatch: count('mismatch'),
    accepted: count('accepted'),
    unexplained: result.lines.filter((l) => l.state === 'mismatch' && (l.cause === 'unexplained' || !l.cause)).length,
    lagoTotal: formatCents(total('lago_amount')),
    odooTotal: formatCents(total('odoo_amount')),
  };
}

export function formatReconcile(result: ReconcileResult): string[] {
  const s = summarise(result);
  const currency = result.lines[0]?.currency ?? '';
  const lines = [
    `reconciliation ${result.service} ${result.period}: ${result.lines.length} fee(s): ${s.match} match, ${s.mismatch} mismatch (${s.unexplained} unexplained), ${s.accepted} accepted; Lago ${s.lagoTotal} ${currency}, Odoo ${s.odooTotal} ${currency}`,
  ];
  for (const line of result.lines.filter((l) => l.state !== 'match')) {
    lines.push(`  ${line.state}: ${line.external_subscription_id} ${line.fee_code}: units ${line.lago_units} → ${line.odoo_units} (Δ ${line.units_delta}), events ${line.lago_events_count} → ${line.odoo_events_count} (Δ ${line.events_delta}), amount ${line.lago_amount} → ${line.odoo_amount} (Δ ${line.amount_delta}) [line ${line.id}]`);
    if (line.explanation) lines.push(`    ${line.cause}: ${line.explanation}`);
    if (line.accepted_reason) lines.push(`    accepted: ${line.accepted_reason}`);
  }
  for (const item of result.notCompared) lines.push(`  not compared: ${item}`);
  return lines;
}

const escapeHtml = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export function reconcileHtml(result: ReconcileResult): string {
  const s = summarise(result);
  const rows = result.lines
    .map((l) => `<tr class="${l.state}"><td>${escapeHtml(l.external_subscription_id)}</td><td>${escapeHtml(l.fee_code)}</td><td>${escapeHtml(l.lago_units)}</td><td>${escapeHtml(l.odoo_units)}</td><td>${l.lago_events_count}</td><td>${l.odoo_events_count}</td><td>${escapeHtml(l.lago_amount)}</td><td>${escapeHtml(l.odoo_amount)}</td><td>${escapeHtml(l.amount_delta)}</td><td>${escapeHtml(l.state)}</td><td>${escapeHtml(l.cause ?? '')}${l.explanation ? `: ${escapeHtml(l.explanation)}` : ''}${l.accepted_reason ? `<br>accepted: ${escapeHtml(l.accepted_reason)}` : ''}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reconciliation ${escapeHtml(result.service)} ${escapeHtml(result.period)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:nth-child(-n+2),td:last-child{text-align:left}tr.mismatch{background:#fde2e2}tr.accepted{background:#fff4d6}</style></head>
<body><h1>Reconciliation with Lago: ${escapeHtml(result.service)}, ${escapeHtml(result.period)}</h1>
<p>Generated by fusion-billing lago reconcile. Each fee Lago invoiced, compared with Odoo's rating of the same period; units at 10 decimals, amounts exact; deltas are Odoo minus Lago.</p>
<p><strong>${result.lines.length} fee(s): ${s.match} match, ${s.mismatch} mismatch (${s.unexplained} unexplained), ${s.accepted} accepted. Lago ${s.lagoTotal}, Odoo ${s.odooTotal}.</strong></p>
<table><thead><tr><th>Subscription</th><th>Fee</th><th>Lago units</th><th>Odoo units</th><th>Lago events</th><th>Odoo events</th><th>Lago</th><th>Odoo</th><th>Delta</th><th>State</th><th>Explanation</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${result.notCompared.length ? `<h2>Not compared</h2><ul>${result.notCompared.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
