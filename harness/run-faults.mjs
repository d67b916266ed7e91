#!/usr/bin/env node
// `npm run faults [-- --runtime local|containers] [--requests N] [--seed S] [vitest args]`: the
// fault, load and bad-input scenarios (harness/faults/*.fault.ts), each on a real Odoo 19, then
// one table: scenario | load | what was done | expected | measured | lost | doubled | 5xx for 4xx.
// Exits non-zero when a scenario failed or its row counts anything lost, doubled or wrongly
// answered; without a runtime that can run Odoo 19 it says SKIPPED and why (exit 0).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const kind = option('--runtime') ?? process.env.FUSION_RUNTIME ?? 'local';
const requests = option('--requests') ?? process.env.FUSION_FAULTS_REQUESTS ?? '3000';
const seed = option('--seed') ?? process.env.FUSION_FAULTS_SEED ?? String(Date.now() % 2 ** 31);
if (kind !== 'local' && kind !== 'containers') {
  console.error(`faults: --runtime must be local or containers, not '${kind}'`);
  process.exit(2);
}
if (!/^\d+$/.test(requests)) {
  console.error(`faults: --requests must be a whole number, not '${requests}'`);
  process.exit(2);
}

const { runtimeProblem } = await import('./runtime/availability.ts');
const problem = await runtimeProblem(kind);
if (problem) {
  console.log(`faults: SKIPPED — ${kind} runtime: ${problem}`);
  process.exit(0);
}

const { formatFaultTable, faultRowFailed } = await import('./faults/report.ts');
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const reportDir = mkdtempSync(join(tmpdir(), 'fusion-faults-'));
const reportFile = join(reportDir, 'rows.jsonl');
console.log(`faults: ${kind} runtime, ${requests} random API requests, seed ${seed}`);
const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'harness/faults/vitest.config.ts', ...args], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: {
    ...process.env,
    FUSION_RUNTIME: kind,
    FUSION_FAULTS_REPORT: reportFile,
    FUSION_FAULTS_REQUESTS: requests,
    FUSION_FAULTS_SEED: seed,
  },
});
const rows = existsSync(reportFile)
  ? readFileSync(reportFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  : [];
rmSync(reportDir, { recursive: true, force: true });
console.log(`\nfaults: ${rows.length} scenario(s) measured (${kind} runtime, seed ${seed})\n`);
if (rows.length) console.log(formatFaultTable(rows));
const failedRows = rows.filter(faultRowFailed);
const ok = run.status === 0 && rows.length > 0 && failedRows.length === 0;
if (!ok) {
  const why = [
    run.status !== 0 ? `vitest exited ${run.status ?? run.signal}` : '',
    rows.length ? '' : 'no scenario recorded a row',
    failedRows.length ? `${failedRows.length} scenario(s) lost, doubled or answered wrongly` : '',
  ].filter(Boolean);
  console.log(`\nfaults: FAILED — ${why.join('; ')}`);
}
process.exit(ok ? 0 : 1);
