// The generated module on a real Odoo 19: fresh database, install from out/, its own tests, clean log.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeViolation } from '../odoo-log.ts';
import { createRuntime } from '../runtime/index.ts';
import { REPO_ROOT } from '../runtime/local.ts';
import { formatTestReport } from '../test-report.ts';

const MODULE = 'fusion_billing';
const OUT_DIR = join(REPO_ROOT, 'out');

describe(`${MODULE} on a real Odoo 19`, () => {
  const runtime = createRuntime({ addonsDirs: [OUT_DIR] });
  let postgresMs = 0;

  beforeAll(async () => {
    const started = performance.now();
    await runtime.start((message) => console.log(`  ${message}`));
    postgresMs = performance.now() - started;
  });

  afterAll(() => runtime.stop());

  it('installs on a fresh database, runs its own tests (> 0, all passing) and logs no warning about itself', async () => {
    const manifest = join(OUT_DIR, MODULE, '__manifest__.py');
    expect(existsSync(manifest), `${manifest} missing: run 'fusion-billing generate' first`).toBe(true);

    const report = await runtime.installAndTest(`accept_${MODULE}`, [MODULE], { testTags: `/${MODULE}` });
    console.log(formatTestReport(MODULE, report, { postgresMs }));

    expect(report.exitCode).toBe(0);
    expect(report.failures.map((failure) => `${failure.kind}: ${failure.test}`)).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.errors).toBe(0);
    expect(report.testsRun).toBeGreaterThan(0);
    expect(report.logGate.violations.map(describeViolation)).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
