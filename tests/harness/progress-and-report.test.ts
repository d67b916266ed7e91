import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseOdooLog, type LogGateResult } from '../../harness/odoo-log.ts';
import { progressFromRecords } from '../../harness/runtime/progress.ts';
import type { OdooTestReport } from '../../harness/runtime/types.ts';
import { formatTestReport, summaryLine } from '../../harness/test-report.ts';

describe('progressFromRecords', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('reports milestones at once and per-module lines at most every 5 s', () => {
    const messages: string[] = [];
    const onRecord = progressFromRecords('odoo', (message) => messages.push(message));
    const feed = (line: string): void => onRecord(parseOdooLog(line).records[0]!);

    feed('2026-11-24 18:44:42,000 1 INFO db odoo.modules.loading: Initializing database db ');
    feed('2026-11-24 18:44:42,000 1 INFO db odoo.modules.loading: loading 1 modules... ');
    feed('2026-11-24 18:44:42,000 1 INFO db odoo.modules.loading: loading 57 modules... ');
    feed('2026-11-24 18:44:42,000 1 INFO db odoo.modules.loading: Loading module rpc (2/57) ');
    vi.advanceTimersByTime(1_000);
    feed('2026-11-24 18:44:43,000 1 INFO db odoo.modules.loading: Loading module web (3/57) ');
    vi.advanceTimersByTime(5_000);
    feed('2026-11-24 18:44:48,000 1 INFO db odoo.modules.loading: Loading module mail (20/57) ');
    feed('2026-11-24 18:44:48,000 1 ERROR db odoo.sql_db: bad query: SELECT 1/0 ');
    feed("2026-11-24 18:44:49,000 1 INFO db odoo.tests.result: 0 failed, 0 error(s) of 2 tests when loading database 'db' ");

    expect(messages).toEqual([
      'odoo: creating database db',
      'odoo: loading 57 modules',
      'odoo: installing rpc (2/57)',
      'odoo: installing mail (20/57)',
      'odoo: ERROR odoo.sql_db: bad query: SELECT 1/0',
      'odoo: tests: 0 failed, 0 error(s) of 2 tests',
    ]);
  });
});

describe('test report', () => {
  const cleanGate: LogGateResult = { ok: true, module: 'fusion_billing', violations: [] };
  const base: OdooTestReport = {
    ok: true,
    problems: [],
    exitCode: 0,
    testsRun: 12,
    failed: 0,
    errors: 0,
    failures: [],
    durationMs: 38_340,
    logGate: cleanGate,
    rawLogPath: '/repo/.harness/logs/run.log',
  };

  it('summarises a passing run with counts and timings on one line', () => {
    expect(summaryLine('fusion_billing', base, { postgresMs: 920, totalMs: 40_100 })).toBe(
      'odoo-test fusion_billing: PASSED — 12 tests, 0 failed, 0 errors, log gate clean, exit 0 (postgres 0.9 s, install+tests 38.3 s, total 40.1 s)',
    );
  });

  it('lists problems, failing tests and gate violations of a failed run', () => {
    const [warning] = parseOdooLog(
      '2026-11-24 18:47:37,726 1 WARNING db odoo.registry: The model fusion.billing.meter has no _description ',
    ).records;
    const report: OdooTestReport = {
      ...base,
      ok: false,
      problems: ['1 failed, 0 error(s) of 12 tests'],
      exitCode: 1,
      failed: 1,
      failures: [
        {
          kind: 'FAIL',
          test: 'TestMeter.test_total',
          logger: 'odoo.addons.fusion_billing.tests.test_meter',
          details: 'Traceback...\nAssertionError: 3 != 4',
        },
      ],
      logGate: { ok: false, module: 'fusion_billing', violations: [{ reason: 'module-warning', record: warning! }] },
    };
    expect(formatTestReport('fusion_billing', report).split('\n')).toEqual([
      'odoo-test fusion_billing: FAILED — 12 tests, 1 failed, 0 errors, log gate: 1 violation(s), exit 1 (install+tests 38.3 s)',
      '  problem: 1 failed, 0 error(s) of 12 tests',
      '  FAIL: TestMeter.test_total',
      '      Traceback...',
      '      AssertionError: 3 != 4',
      '  gate: L1 WARNING odoo.registry: The model fusion.billing.meter has no _description',
      '  log: /repo/.harness/logs/run.log',
    ]);
  });
});
