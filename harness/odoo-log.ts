// Parsing of Odoo 19 server logs and the verdict of a test run.
//
// Record format, from odoo/netsvc.py (init_logger):
//   '%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s'
// e.g. "2026-11-24 18:29:24,249 5015 ERROR probe1 odoo.addons.x.tests.test_y: FAIL: TestY.test_z"
// dbname is '?' outside a database thread; perf_info is '' (a trailing space) except for werkzeug.
// A record's message may span several lines (tracebacks); those continuation lines carry no header.
// Lines written straight to stderr (docutils "(ERROR/3)" noise when mail installs, "Running as user
// 'root' is a security risk.") are not records: the gate must never judge them by their text.

export type OdooLogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface OdooLogRecord {
  /** 1-based line number of the record's header line in the parsed text. */
  line: number;
  time: string;
  pid: number;
  level: OdooLogLevel;
  db: string;
  logger: string;
  /** First line plus continuation lines, joined with '\n', trailing blanks removed. */
  message: string;
}

export interface ParsedOdooLog {
  records: OdooLogRecord[];
  /** Lines seen before the first record (stderr chatter of the launcher). */
  preamble: string[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes this strips
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;
// Odoo maps its RUNBOT level (25) to the name "INFO" (netsvc.py), so these five names are all there is.
const RECORD_HEADER = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (\d+) (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) ([^\s:]+): ?(.*)$/;

export function parseOdooLog(text: string): ParsedOdooLog {
  const records: OdooLogRecord[] = [];
  const preamble: string[] = [];
  let current: { record: OdooLogRecord; lines: string[] } | undefined;

  const flush = (): void => {
    if (!current) return;
    current.record.message = current.lines.join('\n').trimEnd();
    records.push(current.record);
    current = undefined;
  };

  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(ANSI_ESCAPE, '');
    const header = RECORD_HEADER.exec(line);
    if (header) {
      flush();
      const [, time, pid, level, db, logger, first] = header;
      current = {
        record: {
          line: index + 1,
          time: time!,
          pid: Number(pid),
          level: level as OdooLogLevel,
          db: db!,
          logger: logger!,
          message: '',
        },
        lines: [first!.trimEnd()],
      };
    } else if (current) {
      current.lines.push(line.trimEnd());
    } else if (line.trim() !== '') {
      preamble.push(line);
    }
  });
  flush();
  return { records, preamble };
}

/** Splits a growing stream into records as they complete; for live progress and server logs. */
export class OdooLogStream {
  private pending = '';
  private lineNumber = 0;
  private open: { record: OdooLogRecord; lines: string[] } | undefined;

  constructor(private readonly onRecord: (record: OdooLogRecord) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.takeLine(line);
  }

  end(): void {
    if (this.pending) this.takeLine(this.pending);
    this.pending = '';
    this.emitOpen();
  }

  private takeLine(rawLine: string): void {
    this.lineNumber += 1;
    const parsed = parseOdooLog(rawLine).records[0];
    if (parsed) {
      this.emitOpen();
      this.open = { record: { ...parsed, line: this.lineNumber }, lines: [parsed.message] };
    } else if (this.open) {
      this.open.lines.push(rawLine.replace(ANSI_ESCAPE, '').trimEnd());
    }
  }

  private emitOpen(): void {
    if (!this.open) return;
    this.onRecord({ ...this.open.record, message: this.open.lines.join('\n').trimEnd() });
    this.open = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Test results

export interface OdooTestSummary {
  failed: number;
  errors: number;
  testsRun: number;
}

export interface OdooTestFailure {
  kind: 'FAIL' | 'ERROR';
  /** "TestClass.test_method", or e.g. "setUpClass (odoo.addons.x.tests.test_y.TestY)". */
  test: string;
  logger: string;
  /** The traceback that follows the FAIL/ERROR line. */
  details: string;
}

// odoo/tests/result.py OdooTestResult.__str__, logged by odoo/service/server.py once per database:
//   "1 failed, 1 error(s) of 3 tests when loading database 'probe1'" (ERROR, WARNING when 0 tests, else INFO)
const SUMMARY = /^(\d+) failed, (\d+) error\(s\) of (\d+) tests\b/;
// odoo/tests/result.py logError: "%s: %s\n%s" % (flavour, description, traceback), at ERROR.
const TEST_FAILURE = /^(FAIL|ERROR): (.+)$/;

/** Sums every `odoo.tests.result` summary (one per database); undefined when tests never reported. */
export function findTestSummary(records: readonly OdooLogRecord[]): OdooTestSummary | undefined {
  let summary: OdooTestSummary | undefined;
  for (const record of records) {
    if (record.logger !== 'odoo.tests.result') continue;
    const match = SUMMARY.exec(record.message);
    if (!match) continue;
    summary = {
      failed: (summary?.failed ?? 0) + Number(match[1]),
      errors: (summary?.errors ?? 0) + Number(match[2]),
      testsRun: (summary?.testsRun ?? 0) + Number(match[3]),
    };
  }
  return summary;
}

export function findTestFailures(records: readonly OdooLogRecord[]): OdooTestFailure[] {
  const failures: OdooTestFailure[] = [];
  for (const record of records) {
    if (record.level !== 'ERROR') continue;
    const [firstLine = '', ...rest] = record.message.split('\n');
    const match = TEST_FAILURE.exec(firstLine);
    if (!match) continue;
    failures.push({
      kind: match[1] as 'FAIL' | 'ERROR',
      test: match[2]!,
      logger: record.logger,
      details: rest.join('\n').trim(),
    });
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// Log gate (checklog-odoo style, but scoped to the module under test)

export interface LogGateViolation {
  reason: 'module-warning' | 'error-record';
  record: OdooLogRecord;
}

export interface LogGateResult {
  ok: boolean;
  module: string;
  violations: LogGateViolation[];
}

export interface LogGateOptions {
  /** Technical module name, e.g. "fusion_billing". */
  module: string;
  /** Records whose message matches one of these are tolerated (like checklog-odoo's ignore list). */
  ignore?: readonly RegExp[];
}

const LEVEL_RANK: Record<OdooLogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Matches the module's name ("fusion_billing", but not "fusion_billing_extra") and its model prefix
 * ("fusion.billing.meter"), so warnings that other loggers raise about the module are caught too:
 * "The models [...] have no access rules in module fusion_billing", "The model fusion.billing.x has
 * no _description", py.warnings pointing at a file under fusion_billing/.
 */
export function mentionsModule(module: string): RegExp {
  const modelPrefix = module.replace(/_/g, '.');
  const names = [module, modelPrefix].map(escapeRegExp);
  return new RegExp(`(?<!\\w)(?:${names.join('|')})(?!\\w)`);
}

function isModuleLogger(logger: string, module: string): boolean {
  return logger === `odoo.addons.${module}` || logger.startsWith(`odoo.addons.${module}.`);
}

export function applyLogGate(records: readonly OdooLogRecord[], options: LogGateOptions): LogGateResult {
  const mention = mentionsModule(options.module);
  const violations: LogGateViolation[] = [];
  for (const record of records) {
    const rank = LEVEL_RANK[record.level];
    if (rank < LEVEL_RANK.WARNING) continue;
    if (options.ignore?.some((pattern) => pattern.test(record.message))) continue;
    if (rank >= LEVEL_RANK.ERROR) {
      violations.push({ reason: 'error-record', record });
    } else if (isModuleLogger(record.logger, options.module) || mention.test(record.message)) {
      violations.push({ reason: 'module-warning', record });
    }
  }
  return { ok: violations.length === 0, module: options.module, violations };
}

// ---------------------------------------------------------------------------------------------
// Verdict of one install-and-test run

export interface TestRunVerdict {
  ok: boolean;
  summary: OdooTestSummary;
  failures: OdooTestFailure[];
  logGate: LogGateResult;
  /** Human-readable reasons the run failed; empty when ok. */
  problems: string[];
}

export function judgeTestRun(logText: string, exitCode: number, gate: LogGateOptions): TestRunVerdict {
  const { records } = parseOdooLog(logText);
  const found = findTestSummary(records);
  const summary = found ?? { failed: 0, errors: 0, testsRun: 0 };
  const failures = findTestFailures(records);
  const logGate = applyLogGate(records, gate);

  const problems: string[] = [];
  if (exitCode !== 0) problems.push(`odoo-bin exited with code ${exitCode}`);
  if (!found) problems.push('no test summary in the log (odoo.tests.result): Odoo stopped before running tests');
  if (summary.failed > 0 || summary.errors > 0) {
    problems.push(`${summary.failed} failed, ${summary.errors} error(s) of ${summary.testsRun} tests`);
  }
  if (found && summary.testsRun === 0) {
    problems.push(
      '0 tests ran: the module was already installed, its tests are not imported in tests/__init__.py, or --test-tags matched nothing',
    );
  }
  if (!logGate.ok) {
    problems.push(`log gate: ${logGate.violations.length} WARNING/ERROR record(s) about ${gate.module} or at ERROR level`);
  }
  return { ok: problems.length === 0, summary, failures, logGate, problems };
}

/**
 * One line per violation, for reports: "L123 WARNING odoo.registry: first line of the message",
 * plus " -> <exception>" when the record carries a traceback (the cause of a failed load is there).
 */
export function describeViolation(violation: LogGateViolation): string {
  const { record } = violation;
  const lines = record.message.split('\n');
  const exception = lines.includes('Traceback (most recent call last):') ? lines.filter((line) => line.trim()).pop() : undefined;
  return `L${record.line} ${record.level} ${record.logger}: ${lines[0] ?? ''}${exception ? ` -> ${exception.trim()}` : ''}`;
}
