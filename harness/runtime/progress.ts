// Turns Odoo log records into a few progress lines: milestones at once, per-module and per-test
// lines at most every few seconds (an install logs hundreds of records).
import type { OdooLogRecord } from '../odoo-log.ts';
import type { ProgressCallback } from './types.ts';

const THROTTLE_MS = 5_000;

const MILESTONES: ReadonlyArray<readonly [RegExp, (match: RegExpExecArray) => string]> = [
  [/^Initializing database (\S+)/, (m) => `creating database ${m[1]}`],
  // The first pass always loads base alone ("loading 1 modules..."): not worth a line.
  [/^loading ([2-9]|\d{2,}) modules\.\.\./, (m) => `loading ${m[1]} modules`],
  [/^Starting post tests/, () => 'running post-install tests'],
  [/^(\d+ failed, \d+ error\(s\) of \d+ tests)/, (m) => `tests: ${m[1]}`],
  [/^Duplicate database `([^`]+)` to `([^`]+)`/, (m) => `copying database ${m[1]} to ${m[2]}`],
];

export function progressFromRecords(label: string, progress: ProgressCallback): (record: OdooLogRecord) => void {
  let lastThrottled = Number.NEGATIVE_INFINITY;
  const say = (message: string): void => progress(`${label}: ${message}`);
  const throttled = (message: string): void => {
    const now = Date.now();
    if (now - lastThrottled < THROTTLE_MS) return;
    lastThrottled = now;
    say(message);
  };

  return (record) => {
    const firstLine = record.message.split('\n', 1)[0] ?? '';
    if (record.level === 'ERROR' || record.level === 'CRITICAL') {
      say(`${record.level} ${record.logger}: ${firstLine}`);
      return;
    }
    for (const [pattern, describe] of MILESTONES) {
      const match = pattern.exec(firstLine);
      if (match) return say(describe(match));
    }
    const loading = /^Loading module (\S+) \((\d+\/\d+)\)/.exec(firstLine);
    if (loading) return throttled(`installing ${loading[1]} (${loading[2]})`);
    const testing = /^Starting (\S+) \.\.\./.exec(firstLine);
    if (testing && record.logger.includes('.tests.')) throttled(`testing ${testing[1]}`);
  };
}
