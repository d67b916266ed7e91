#!/usr/bin/env node
// `npm run acceptance [-- --runtime local|containers] [vitest args]`: runs the Odoo acceptance
// suite when the machine can run Odoo 19 on the chosen runtime (FUSION_RUNTIME, default local),
// and says in one line why not otherwise (exit 0, so machines without Odoo keep a green `npm test`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
const flag = args.indexOf('--runtime');
const requested = flag >= 0 ? args.splice(flag, 2)[1] : undefined;
const kind = requested ?? process.env.FUSION_RUNTIME ?? 'local';
if (kind !== 'local' && kind !== 'containers') {
  console.error(`acceptance: --runtime must be local or containers, not '${kind}'`);
  process.exit(2);
}

const { runtimeProblem } = await import('./runtime/availability.ts');
const problem = await runtimeProblem(kind);
if (problem) {
  console.log(`acceptance: SKIPPED — ${kind} runtime: ${problem}`);
  process.exit(0);
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
console.log(`acceptance: ${kind} runtime`);
const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'harness/vitest.config.ts', ...args], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, FUSION_RUNTIME: kind },
});
process.exit(run.status ?? 1);
