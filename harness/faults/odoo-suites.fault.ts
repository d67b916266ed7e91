// Scenario 10 of issue 14: Odoo's own tests of the flows fusion_billing extends — sale, the
// invoicing and payment flows of account, account_payment and payment_stripe — run on a database
// where fusion_billing is installed, with its code loaded while they run (they are post_install
// tests: Odoo runs them after every installed module is loaded). A test that fails there is run
// again on the same database without fusion_billing: only one that passes without it is the
// module's doing, and counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeViolation, type OdooTestFailure } from '../odoo-log.ts';
import { BILLING_MODULE, prepareBillingDatabase } from '../runtime/billing-database.ts';
import type { HarnessRuntime } from '../runtime/harness-runtime.ts';
import { createRuntime } from '../runtime/index.ts';
import type { OdooTestReport } from '../runtime/types.ts';
import { recordFaultRow } from './report.ts';

/** The test files of the flows the module overrides or builds on (account: invoicing and payments only). */
const SUITES = [
  '/sale',
  '/account_payment',
  '/payment_stripe',
  ...[
    'test_account_move_out_invoice',
    'test_account_move_out_refund',
    'test_account_move_send',
    'test_account_move_payments_widget',
    'test_account_payment',
    'test_account_payment_register',
    'test_invoice_taxes',
    'test_payment_term',
    'test_portal_invoice',
  ].map((file) => `/account/tests/${file}.py`),
];
/** What the module adds that the suites' modules do not have (the baseline installs these instead). */
const MODULE_DEPENDENCIES_BEYOND_BASE = ['account_payment', 'payment_stripe'];

/** Tags selecting exactly the failed tests ("Class.method" from the log). */
function tagsOf(failures: OdooTestFailure[]): string {
  return [...new Set(failures.map((f) => /^(\w+)\.(\w+)$/.exec(f.test)?.slice(1).join('.') ?? ''))]
    .filter(Boolean)
    .map((classAndMethod) => `:${classAndMethod}`)
    .join(',');
}

function summary(report: OdooTestReport): string {
  return `${report.testsRun} tests, ${report.failed} failed, ${report.errors} errors in ${(report.durationMs / 60_000).toFixed(1)} min`;
}

describe("Odoo's own suites with fusion_billing installed", () => {
  let runtime: HarnessRuntime;
  const progress = (message: string) => console.log(`  ${message}`);

  beforeAll(async () => {
    runtime = createRuntime();
    await runtime.start(progress);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('sale, account (invoicing, payments), account_payment, payment_stripe pass with the module loaded', async () => {
    await prepareBillingDatabase(runtime, 'faults_suites', {
      onStep: (step, ms) => progress(`setup: ${step}: ${(ms / 1000).toFixed(1)} s`),
    });
    const withModule = await runtime.testInstalled('faults_suites', { testTags: SUITES.join(','), gateModule: BILLING_MODULE });
    progress(`with ${BILLING_MODULE}: ${summary(withModule)} (log ${withModule.rawLogPath})`);
    for (const failure of withModule.failures) progress(`  ${failure.kind} ${failure.test}: ${failure.details.split('\n').pop()}`);
    const moduleWarnings = withModule.logGate.violations.filter((v) => v.record.logger.includes(BILLING_MODULE));
    for (const violation of moduleWarnings) progress(`  log: ${describeViolation(violation)}`);

    // Failures are judged against the same tests on the same database without the module.
    let failingWithout: Set<string> = new Set();
    if (withModule.failures.length) {
      await prepareBillingDatabase(runtime, 'faults_suites_baseline', { install: MODULE_DEPENDENCIES_BEYOND_BASE });
      const baseline = await runtime.testInstalled('faults_suites_baseline', {
        testTags: tagsOf(withModule.failures),
        gateModule: BILLING_MODULE,
      });
      progress(`without ${BILLING_MODULE}, the failed tests only: ${summary(baseline)}`);
      failingWithout = new Set(baseline.failures.map((f) => f.test));
    }
    const brokenByModule = withModule.failures.filter((f) => !failingWithout.has(f.test));
    const notOurs = withModule.failures.length - brokenByModule.length;
    for (const failure of brokenByModule) progress(`  BROKEN BY THE MODULE: ${failure.test}\n${failure.details}`);

    recordFaultRow({
      scenario: "10 Odoo's own suites with the module",
      load: `${withModule.testsRun} post_install tests of ${SUITES.length} selections (sale, account_payment, payment_stripe, 9 account invoicing/payment files)`,
      done: `run on the billing database (l10n_ca, CAD) with ${BILLING_MODULE} installed and loaded; a failure is re-run without the module`,
      expected: 'every test passes, or fails the same without the module; no WARNING of the module in their log',
      measured: `${summary(withModule)}; ${notOurs} failing without the module too; ${brokenByModule.length} only with it; ${moduleWarnings.length} module warnings`,
      lost: 0,
      doubled: 0,
      wrongAnswers: 0,
      otherFailures: brokenByModule.length + moduleWarnings.length,
    });
    expect(withModule.testsRun).toBeGreaterThan(300);
    expect(brokenByModule.map((f) => f.test)).toEqual([]);
    expect(moduleWarnings.map(describeViolation)).toEqual([]);
  });
});
