// Human-readable summary of an install-and-test run, shared by the CLI and the acceptance suite.
import { describeViolation } from './odoo-log.ts';
import type { OdooTestReport } from './runtime/types.ts';

export interface RunTimings {
  /** initdb + PostgreSQL start. */
  postgresMs?: number;
  /** Whole run, runtime start to stop. */
  totalMs?: number;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
// SQL in "bad query" records runs to kilobytes; the log file has it all.
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** "odoo-test fusion_billing: PASSED — 12 tests, 0 failed, 0 errors, log gate clean (postgres 0.9 s, install+tests 38.3 s)" */
export function summaryLine(module: string, report: OdooTestReport, timings: RunTimings = {}): string {
  const verdict = report.ok ? 'PASSED' : 'FAILED';
  const gate = report.logGate.ok ? 'log gate clean' : `log gate: ${report.logGate.violations.length} violation(s)`;
  const times = [
    timings.postgresMs !== undefined ? `postgres ${seconds(timings.postgresMs)}` : undefined,
    `install+tests ${seconds(report.durationMs)}`,
    timings.totalMs !== undefined ? `total ${seconds(timings.totalMs)}` : undefined,
  ].filter(Boolean);
  return (
    `odoo-test ${module}: ${verdict} — ${report.testsRun} tests, ${report.failed} failed, ${report.errors} errors, ` +
    `${gate}, exit ${report.exitCode} (${times.join(', ')})`
  );
}

/** Summary line, then (when failed) the reasons, failing tests and gate violations, then the log path. */
export function formatTestReport(module: string, report: OdooTestReport, timings: RunTimings = {}): string {
  const lines = [summaryLine(module, report, timings)];
  for (const problem of report.problems) lines.push(`  problem: ${problem}`);
  for (const failure of report.failures) {
    lines.push(`  ${failure.kind}: ${failure.test}`);
    const details = failure.details.split('\n').slice(-12);
    for (const line of details) lines.push(`      ${line}`);
  }
  const violations = report.logGate.violations;
  for (const violation of violations.slice(0, 20)) lines.push(`  gate: ${clip(describeViolation(violation), 300)}`);
  if (violations.length > 20) lines.push(`  gate: ... and ${violations.length - 20} more`);
  lines.push(`  log: ${report.rawLogPath}`);
  return lines.join('\n');
}
