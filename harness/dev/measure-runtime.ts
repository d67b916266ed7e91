// Measures the local runtime's slow steps on this machine:
//   npx tsx harness/dev/measure-runtime.ts [--deps sale_management,account,payment] [--template]
// Prints one line per step with its wall time. Needs what `fusion-billing doctor` checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyAddon } from '../fixtures/tiny-addon.ts';
import { LocalRuntime } from '../runtime/local.ts';

const args = process.argv.slice(2);
const depsIndex = args.indexOf('--deps');
const deps = depsIndex >= 0 ? (args[depsIndex + 1] ?? '').split(',').filter(Boolean) : ['sale_management', 'account', 'payment'];
const withTemplate = args.includes('--template');

const addonsDir = mkdtempSync(join(tmpdir(), 'fusion-tiny-'));
writeTinyAddon(addonsDir, { name: 'tiny_measure', depends: ['base', ...deps] });
const runtime = new LocalRuntime({ addonsDirs: [addonsDir] });

async function timed<T>(label: string, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await step();
  console.log(`TIMING ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

try {
  await timed('initdb + postgres start', () => runtime.start((message) => console.log(`  ${message}`)));
  const modules = [...deps, 'tiny_measure'];
  const report = await timed(`fresh db: install ${modules.join(',')} + tests`, () => runtime.installAndTest('measure_fresh', modules));
  console.log(
    `  ok=${report.ok} tests=${report.testsRun} failed=${report.failed} errors=${report.errors} gate=${report.logGate.ok} log=${report.rawLogPath}`,
  );
  for (const problem of report.problems) console.log(`  problem: ${problem}`);

  if (withTemplate) {
    await timed(`template db: install ${deps.join(',')}`, () => runtime.createDatabase('measure_template', { modules: deps }));
    const copy = await timed('template copy + install tiny_measure + tests', () =>
      runtime.installAndTest('measure_copy', ['tiny_measure'], { template: 'measure_template' }),
    );
    console.log(`  ok=${copy.ok} tests=${copy.testsRun} gate=${copy.logGate.ok}`);
  }

  const server = await timed('startServer until /web/login 200', () => runtime.startServer('measure_fresh'));
  const key = await timed('createApiKey (odoo-bin shell)', () => runtime.createApiKey('measure_fresh', 'admin'));
  const response = await fetch(`${server.baseUrl}/json/2/res.partner/search_read`, {
    method: 'POST',
    headers: { Authorization: `bearer ${key}`, 'Content-Type': 'application/json', 'X-Odoo-Database': server.db },
    body: JSON.stringify({ domain: [], fields: ['name'], limit: 1 }),
  });
  console.log(`  JSON-2 search_read: HTTP ${response.status} ${(await response.text()).slice(0, 120)}`);
  await timed('server stop', () => server.stop());
} finally {
  await timed('runtime stop', () => runtime.stop());
  rmSync(addonsDir, { recursive: true, force: true });
}
