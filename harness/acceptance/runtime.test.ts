// The runtime and its verdicts, proven against tiny throwaway addons (no generated module needed):
// a clean addon passes; warnings, failures, 0 tests and an already-installed module all fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyAddon, type TinyAddonVariant } from '../fixtures/tiny-addon.ts';
import { createRuntime } from '../runtime/index.ts';
import { summaryLine } from '../test-report.ts';

const addonsDir = mkdtempSync(join(tmpdir(), 'fusion-tiny-addons-'));
const VARIANTS: Record<string, TinyAddonVariant> = {
  tiny_clean: 'clean',
  tiny_warning: 'warning',
  tiny_failing: 'failing',
  tiny_notests: 'no-tests',
};
for (const [name, variant] of Object.entries(VARIANTS)) writeTinyAddon(addonsDir, { name, variant });

// A stand-in for an Enterprise addons tree: ODOO_ENTERPRISE_SRC puts it on the addons path (and,
// in containers, mounts it).
const enterpriseDir = mkdtempSync(join(tmpdir(), 'fusion-tiny-enterprise-'));
writeTinyAddon(enterpriseDir, { name: 'tiny_enterprise', variant: 'clean' });

const TEMPLATE = 'tiny_template';

describe('the runtime against tiny addons', () => {
  const runtime = createRuntime({ addonsDirs: [addonsDir], env: { ...process.env, ODOO_ENTERPRISE_SRC: enterpriseDir } });

  beforeAll(async () => {
    await runtime.start((message) => console.log(`  ${message}`));
    // base only, once: each test then starts from a copy (odoo-bin db duplicate) instead of an empty db.
    await runtime.createDatabase(TEMPLATE);
  });

  afterAll(async () => {
    await runtime.stop();
    rmSync(addonsDir, { recursive: true, force: true });
    rmSync(enterpriseDir, { recursive: true, force: true });
  });

  it('installs a module of the Enterprise tree named by ODOO_ENTERPRISE_SRC, and says it uses one', async () => {
    expect(runtime.description).toContain(`Enterprise addons ${enterpriseDir}`);
    const report = await runtime.installAndTest('run_enterprise', ['tiny_enterprise'], { template: TEMPLATE });
    console.log(summaryLine('tiny_enterprise', report));
    expect(report).toMatchObject({ ok: true, exitCode: 0, testsRun: 2, failed: 0, errors: 0 });
  });

  it('passes a clean addon: exit 0, its 2 tests ran, log gate clean', async () => {
    const report = await runtime.installAndTest('run_clean', ['tiny_clean'], { template: TEMPLATE });
    console.log(summaryLine('tiny_clean', report));
    expect(report).toMatchObject({ ok: true, exitCode: 0, testsRun: 2, failed: 0, errors: 0, problems: [] });
    expect(report.logGate.ok).toBe(true);
  });

  it('fails an addon whose tests pass but which logs warnings about itself', async () => {
    const report = await runtime.installAndTest('run_warning', ['tiny_warning'], { template: TEMPLATE });
    console.log(summaryLine('tiny_warning', report));
    expect(report.testsRun).toBe(2);
    expect(report.failed + report.errors).toBe(0);
    expect(report.ok).toBe(false);
    const messages = report.logGate.violations.map((violation) => violation.record.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^The model tiny\.warning has no _description/),
        expect.stringMatching(/have no access rules in module tiny_warning/),
      ]),
    );
    expect(report.logGate.violations.every((violation) => violation.reason === 'module-warning')).toBe(true);
  });

  it('reports failing and erroring tests by name, with a non-zero exit', async () => {
    const report = await runtime.installAndTest('run_failing', ['tiny_failing'], { template: TEMPLATE });
    console.log(summaryLine('tiny_failing', report));
    expect(report).toMatchObject({ ok: false, testsRun: 4, failed: 1, errors: 1 });
    expect(report.exitCode).not.toBe(0);
    expect(report.failures.map((failure) => `${failure.kind}: ${failure.test}`).sort()).toEqual([
      'ERROR: TestTinyRecord.test_raises',
      'FAIL: TestTinyRecord.test_fails',
    ]);
    expect(report.failures.find((failure) => failure.kind === 'ERROR')?.details).toContain('ValueError: deliberate error');
  });

  it('fails an addon without tests: 0 tests is not a pass', async () => {
    const report = await runtime.installAndTest('run_notests', ['tiny_notests'], { template: TEMPLATE });
    console.log(summaryLine('tiny_notests', report));
    expect(report.testsRun).toBe(0);
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/0 tests ran/);
  });

  it('fails a rerun on a database where the module is already installed (Odoo 19 skips its tests)', async () => {
    const report = await runtime.installAndTest('run_clean', ['tiny_clean']);
    console.log(summaryLine('tiny_clean (reinstall)', report));
    expect(report.testsRun).toBe(0);
    expect(report.ok).toBe(false);
  });

  it('serves HTTP and answers JSON-2 with an API key made by createApiKey', async () => {
    const started = performance.now();
    const server = await runtime.startServer('run_clean');
    console.log(`  startServer until /web/login 200: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    try {
      const login = await fetch(`${server.baseUrl}/web/login`);
      expect(login.status).toBe(200);

      const key = await runtime.createApiKey('run_clean', 'admin');
      expect(key).toMatch(/^[0-9a-f]{40}$/);
      const call = (authorization: string) =>
        fetch(`${server.baseUrl}/json/2/tiny.clean/search_read`, {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/json' },
          body: JSON.stringify({ domain: [], fields: ['name'] }),
        });
      const answer = await call(`bearer ${key}`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual([]);
      expect((await call('bearer not-a-key')).status).toBe(401);
      expect(server.logs()).toMatch(/odoo\.service\.server: HTTP service \(werkzeug\) running on/);
    } finally {
      await server.stop();
    }
  });
});
