// `fusion-billing lago <step>`: moving a service off Lago, one command per step of the runbook
// (README, "Moving a service off Lago"). Lago is read with its official client; Odoo is driven
// through JSON-2 (an administrator's API key) and, for events, through the module's own API.
// Exit codes: 0 done, 1 something is left (unsupported, failed, mismatched, blocked), 2 usage.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OdooClient } from '../harness/clients/json2.ts';
import { LagoClient } from '../harness/clients/lago.ts';
import { readSpecText, validateSpecText } from '../generators/spec/index.ts';
import type { ServiceSpec } from '../generators/spec/types.ts';
import { formatImport, importAccounts, importIncomplete } from './accounts.ts';
import { mapLagoCatalog, mergeCatalog, type LagoMetricIn, type LagoPlanIn } from './catalog.ts';
import { cutover, setBillingMode } from './cutover.ts';
import { LagoSource } from './lago-source.ts';
import { pullEvents } from './pull-events.ts';
import { formatReconcile, reconcile, reconcileHtml, summarise, type ReconciliationLine } from './reconcile.ts';
import { parseSpecDocument, printSpecDocument, specDiff } from './spec-document.ts';
import { LAGO_OPTIONS, LAGO_USAGE, specOf } from '../generators/commands.ts';

export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  /** Checks the spec's references against the hand-written Python (generate.ts). */
  implementationFacts?: () => import('../generators/spec/index.ts').ImplementationFacts;
}

export { LAGO_USAGE };
const OPTIONS = LAGO_OPTIONS;

class UsageError extends Error {}

export async function lagoCommand(args: string[], io: CommandIo): Promise<number> {
  const [step, ...rest] = args;
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true }));
  } catch (error) {
    io.err(`fusion-billing lago: ${(error as Error).message}\n\n${LAGO_USAGE}`);
    return 2;
  }
  const text = (name: keyof typeof OPTIONS, envName?: string): string => {
    const value = (values[name] as string | undefined) ?? (envName ? io.env[envName] : undefined);
    if (!value) throw new UsageError(`--${name}${envName ? ` (or ${envName})` : ''} is required`);
    return value;
  };
  try {
    const { spec: specArg, rest: extra } = specOf(values, positionals);
    if (extra.length > 0) throw new UsageError(`expected one spec file, got ${positionals.join(' ')}`);
    const specFile = resolve(specArg);
    const specText = readSpecText(specFile);
    const spec = validateSpecText(specFile, specText, io.implementationFacts?.()).spec;
    const serviceCode = text('service');
    const service = spec.catalog.services.find((s) => s.code === serviceCode);
    if (!service) throw new UsageError(`the spec has no service ${serviceCode} (it has ${spec.catalog.services.map((s) => s.code).join(', ')})`);
    const lago = () => new LagoSource({ url: text('lago-url', 'LAGO_API_URL'), apiKey: text('lago-key', 'LAGO_API_KEY') }, io.out);
    const odoo = () => new OdooClient({ baseUrl: text('odoo-url', 'FUSION_ODOO_URL'), db: text('odoo-db', 'FUSION_ODOO_DB'), apiKey: text('odoo-key', 'FUSION_ODOO_API_KEY') });
    const planCodes = spec.catalog.plans.filter((p) => p.service === serviceCode).map((p) => p.code);
    switch (step) {
      case 'import-catalog':
        return await importCatalogStep(lago(), service, specFile, specText, values, io);
      case 'import-accounts': {
        const result = await importAccounts(lago(), odoo(), { service: serviceCode, planCodes, apply: Boolean(values.apply), progress: io.out });
        formatImport(result).forEach(io.out);
        if (values.report) writeFileSync(values.report as string, `${JSON.stringify(result, null, 2)}\n`);
        const left = importIncomplete(result);
        if (!values.apply) io.out('dry run: nothing was written; --apply imports');
        if (left.failures) return 1;
        if (left.unsupported && !values['allow-partial']) {
          io.out(`${left.unsupported} subscription(s) cannot be imported yet (listed above): exit 1; --allow-partial leaves them in Lago`);
          return 1;
        }
        return 0;
      }
      case 'pull-events': {
        const api = new LagoClient({ baseUrl: text('odoo-url', 'FUSION_ODOO_URL'), apiKey: text('service-key', 'FUSION_SERVICE_API_KEY'), headers: { 'X-Odoo-Database': text('odoo-db', 'FUSION_ODOO_DB') } });
        const result = await pullEvents(lago(), odoo(), api, { service: serviceCode, from: values.from as string | undefined, to: values.to as string | undefined, progress: io.out });
        io.out(`pull-events ${serviceCode}: ${result.subscriptions} subscription(s), ${result.read} event(s) read from Lago, ${result.sent} stored or already stored, ${result.refused.length} refused`);
        for (const refused of result.refused) io.out(`  refused: ${refused.external_subscription_id} ${refused.transaction_id}: ${JSON.stringify(refused.errors)}`);
        return result.refused.length ? 1 : 0;
      }
      case 'reconcile': {
        const period = text('period');
        if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new UsageError(`--period must be YYYY-MM, not ${period}`);
        const result = await reconcile(lago(), odoo(), { service: serviceCode, period, planCodes, progress: io.out });
        formatReconcile(result).forEach(io.out);
        const html = resolve((values.html as string | undefined) ?? `reconciliation-${serviceCode}-${period}.html`);
        writeFileSync(html, reconcileHtml(result));
        io.out(`report: ${html}`);
        const summary = summarise(result);
        if (summary.mismatch) io.out(`${summary.mismatch} open mismatch(es) block the cutover until they are fixed and reconciled again, or accepted with a reason (lago accept)`);
        return summary.unexplained ? 1 : 0;
      }
      case 'accept': {
        const ids = text('line').split(',').map((id) => Number.parseInt(id, 10));
        if (ids.some((id) => !Number.isInteger(id))) throw new UsageError('--line takes line ids, e.g. --line 12,13');
        const reason = text('reason').trim();
        if (!reason) throw new UsageError('--reason must say why the mismatch may stand');
        const lines = await odoo().call<ReconciliationLine[]>('fusion.billing.reconciliation', 'fusion_accept', { line_ids: ids, reason });
        for (const line of lines) io.out(`line ${line.id}: ${line.external_subscription_id} ${line.fee_code} ${line.period}: ${line.state}`);
        return lines.length === ids.length && lines.every((l) => l.state !== 'mismatch') ? 0 : 1;
      }
      case 'cutover':
        return await cutoverStep(lago(), odoo(), serviceCode, planCodes, specFile, specText, values, io);
      default:
        io.err(`fusion-billing lago: unknown step '${step ?? ''}'\n\n${LAGO_USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`fusion-billing lago: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

async function importCatalogStep(lago: LagoSource, service: ServiceSpec, specFile: string, specText: string, values: Record<string, unknown>, io: CommandIo): Promise<number> {
  const only = values.plans ? new Set(String(values.plans).split(',')) : undefined;
  const plans = ((await lago.plans()) as unknown as LagoPlanIn[]).filter((p) => !only || only.has(p.code));
  const allMetrics = (await lago.metrics()) as unknown as LagoMetricIn[];
  // With --plans (a Lago organisation shared by services), only the metrics those plans charge.
  const charged = new Set(plans.flatMap((p) => (p.charges ?? []).map((c) => c.billable_metric_code)));
  const metrics = only ? allMetrics.filter((m) => charged.has(m.code)) : allMetrics;
  const mapping = mapLagoCatalog(service, metrics, plans);
  const doc = parseSpecDocument(specText);
  const merge = mergeCatalog(doc, mapping, service.code);
  const after = printSpecDocument(doc);
  // Never write a spec that does not validate: the located errors say what to fix in Lago or here.
  validateSpecText(specFile, after, io.implementationFacts?.());
  const diff = specDiff(specFile, specText, after);
  io.out(`lago: ${metrics.length} billable metric(s), ${plans.length} plan(s) for ${service.code}`);
  if (diff) io.out(diff.trimEnd());
  io.out(merge.changes.length ? `${merge.changes.length} change(s): ${merge.changes.join('; ')}` : 'the spec already holds this catalog: no change');
  for (const entry of merge.onlyInSpec) io.out(`  only in the spec (kept): ${entry}`);
  for (const item of mapping.unsupported) io.out(`  unsupported: ${item.object}: ${item.feature}: ${item.detail}`);
  if (values.apply && diff) {
    writeFileSync(specFile, after);
    io.out(`wrote ${specFile}; regenerate the module (npm run generate) and upgrade it`);
  } else if (diff) {
    io.out('dry run: the spec is unchanged; --apply writes it');
  }
  if (mapping.unsupported.length && !values['allow-partial']) {
    io.out(`${mapping.unsupported.length} Lago feature(s) the spec cannot express yet (listed above): exit 1; --allow-partial imports the rest`);
    return 1;
  }
  return 0;
}

async function cutoverStep(lago: LagoSource, odoo: OdooClient, service: string, planCodes: string[], specFile: string, specText: string, values: Record<string, unknown>, io: CommandIo): Promise<number> {
  const fromPeriod = values.from as string | undefined;
  if (fromPeriod && !/^\d{4}-(0[1-9]|1[0-2])$/.test(fromPeriod)) throw new UsageError(`--from must be YYYY-MM, not ${fromPeriod}`);
  const result = await cutover(lago, odoo, { service, planCodes, fromPeriod, allowPartial: Boolean(values['allow-partial']), apply: !values.check });
  const { status } = result;
  if (status.mode === 'live' && !result.switched) {
    io.out(`${service} is live: Odoo bills it`);
  }
  for (const line of result.notInOdoo) io.out(`  ${values['allow-partial'] ? 'stays in Lago' : 'blocks'}: ${line}`);
  for (const blocker of status.blockers) io.out(`  blocks: ${blocker}`);
  if (result.switched) {
    writeFileSync(specFile, setBillingMode(specText, service, 'live'));
    io.out(`cutover ${service}: live; Odoo bills from ${fromPeriod ?? 'the current period'} on. ${specFile} now says billing: {mode: live}: regenerate (npm run generate) and commit it.`);
    io.out(`in Lago: stop billing ${service}'s subscriptions from the same period (README, "Moving a service off Lago", step 6)`);
    return 0;
  }
  if (status.mode === 'shadow') {
    const blocking = status.blockers.length + (values['allow-partial'] ? 0 : result.notInOdoo.length);
    io.out(blocking ? `cutover ${service} refused: ${blocking} thing(s) block it (the last ${status.cutover_periods} closed period(s) must reconcile with no open mismatch)` : `cutover ${service}: nothing blocks it (--check: not switched)`);
    return blocking ? 1 : 0;
  }
  return 0;
}

