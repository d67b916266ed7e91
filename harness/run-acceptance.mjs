#!/usr/bin/env node
// `npm run acceptance`: runs the Odoo acceptance suite when the machine can run Odoo 19, and says in
// one line why not otherwise (exit 0, so machines without Odoo keep a green `npm test`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { runDoctor, summarizeProblems } = await import('./doctor.ts');

const doctor = runDoctor();
if (!doctor.ok) {
  console.log(`acceptance: SKIPPED — ${summarizeProblems(doctor)} (set ODOO_SRC; run 'fusion-billing doctor')`);
  process.exit(0);
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'harness/vitest.config.ts', ...process.argv.slice(2)], {
  cwd: repoRoot,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
