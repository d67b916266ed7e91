// One row per fault scenario, appended by the scenario (a vitest file) to the report file that
// harness/run-faults.mjs names in FUSION_FAULTS_REPORT, and printed by it as the table at the end.
import { appendFileSync } from 'node:fs';

export interface FaultRow {
  scenario: string;
  load: string;
  /** What was done to the system. */
  done: string;
  expected: string;
  measured: string;
  /** Acknowledged (or stored) records that are gone. */
  lost: number;
  /** Records stored twice (or stored by a request that was refused). */
  doubled: number;
  /** Answers that were 5xx (or not JSON) where a 4xx belongs. */
  wrongAnswers: number;
  /** Anything else that broke (e.g. a standard Odoo test that fails only with the module). */
  otherFailures?: number;
}

export function recordFaultRow(row: FaultRow): void {
  const file = process.env.FUSION_FAULTS_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
  console.log(
    `faults: ${row.scenario}: ${row.measured} (lost ${row.lost}, doubled ${row.doubled}, wrong answers ${row.wrongAnswers}, other failures ${row.otherFailures ?? 0})`,
  );
}

export function faultRowFailed(row: FaultRow): boolean {
  return row.lost > 0 || row.doubled > 0 || row.wrongAnswers > 0 || (row.otherFailures ?? 0) > 0;
}

/** The rows as a Markdown table (it reads in a terminal and pastes into the README). */
export function formatFaultTable(rows: FaultRow[]): string {
  const header = ['scenario', 'load', 'what was done', 'expected', 'measured', 'lost', 'doubled', '5xx/non-JSON for 4xx', 'other failures'];
  const cells = rows.map((r) => [
    r.scenario,
    r.load,
    r.done,
    r.expected,
    r.measured,
    String(r.lost),
    String(r.doubled),
    String(r.wrongAnswers),
    String(r.otherFailures ?? 0),
  ]);
  const line = (values: string[]) => `| ${values.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...cells.map(line)].join('\n');
}
