import { describe, expect, it } from 'vitest';
import {
  OdooLogStream,
  applyLogGate,
  describeViolation,
  findTestFailures,
  findTestSummary,
  judgeTestRun,
  mentionsModule,
  parseOdooLog,
  type OdooLogRecord,
} from '../../harness/odoo-log.ts';

// Excerpts of real Odoo 19 runs (harness logs), trailing blanks included as Odoo writes them.
const PREAMBLE = "Running as user 'root' is a security risk.";

const MAIL_INSTALL_WITH_DOCUTILS_NOISE = `${PREAMBLE}
2026-11-24 18:44:40,900 10618 INFO ? odoo: Odoo version 19.0 
2026-11-24 18:44:42,141 10618 WARNING measure_fresh odoo.modules.module: The module agreement_sign_oca has an incompatible version, setting installable=False 
2026-11-24 18:44:54,156 10618 INFO measure_fresh odoo.models: Prepare computation of res.partner.email_normalized 
<string>:38: (ERROR/3) Unexpected indentation.
<string>:43: (WARNING/2) Block quote ends without a blank line; unexpected unindent.
2026-11-24 18:44:55,393 10618 INFO measure_fresh odoo.modules.loading: loading mail/data/mail_groups.xml 
2026-11-24 18:45:15,566 10618 INFO measure_fresh odoo.modules.loading: Loading module fusion_billing (57/57) 
2026-11-24 18:45:15,670 10618 INFO measure_fresh odoo.addons.fusion_billing.tests.test_record: Starting TestTinyRecord.test_create ... 
2026-11-24 18:45:17,343 10618 INFO measure_fresh odoo.tests.stats: fusion_billing: 4 tests 0.12s 17 queries 
2026-11-24 18:45:17,344 10618 INFO measure_fresh odoo.tests.result: 0 failed, 0 error(s) of 2 tests when loading database 'measure_fresh' 
`;

const FAILING_TESTS = `2026-11-24 18:47:44,533 12067 INFO run_failing odoo.addons.fusion_billing.tests.test_record: ====================================================================== 
2026-11-24 18:47:44,533 12067 ERROR run_failing odoo.addons.fusion_billing.tests.test_record: FAIL: TestTinyRecord.test_fails
Traceback (most recent call last):
  File "/tmp/addons/fusion_billing/tests/test_record.py", line 15, in test_fails
    self.assertEqual(1, 2)
AssertionError: 1 != 2
 
2026-11-24 18:47:44,534 12067 INFO run_failing odoo.addons.fusion_billing.tests.test_record: Starting TestTinyRecord.test_raises ... 
2026-11-24 18:47:44,534 12067 ERROR run_failing odoo.addons.fusion_billing.tests.test_record: ERROR: TestTinyRecord.test_raises
Traceback (most recent call last):
  File "/tmp/addons/fusion_billing/tests/test_record.py", line 18, in test_raises
    raise ValueError("deliberate error")
ValueError: deliberate error
 
2026-11-24 18:47:44,561 12067 ERROR run_failing odoo.modules.loading: Module fusion_billing: 1 failures, 1 errors of 4 tests 
2026-11-24 18:47:44,736 12067 ERROR run_failing odoo.tests.result: 1 failed, 1 error(s) of 4 tests when loading database 'run_failing' 
`;

const MODULE_WARNINGS = `2026-11-24 18:47:37,726 11997 WARNING run_warning odoo.registry: The model fusion.billing.meter has no _description 
2026-11-24 18:47:37,802 11997 WARNING run_warning odoo.modules.loading: The models ['fusion.billing.meter'] have no access rules in module fusion_billing, consider adding some, like:
id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink
fusion_billing.access_fusion_billing_meter,access_fusion_billing_meter,fusion_billing.model_fusion_billing_meter,base.group_user,1,0,0,0 
2026-11-24 18:47:38,100 11997 WARNING run_warning odoo.addons.fusion_billing.models.meter: meter without unit, defaulting to 'unit' 
2026-11-24 18:47:38,200 11997 WARNING run_warning py.warnings: /tmp/addons/fusion_billing/models/meter.py:12: DeprecationWarning: Since 19.0, read_group is deprecated 
2026-11-24 18:47:38,300 11997 INFO run_warning odoo.tests.result: 0 failed, 0 error(s) of 3 tests when loading database 'run_warning' 
`;

function record(partial: Partial<OdooLogRecord> & Pick<OdooLogRecord, 'level' | 'logger' | 'message'>): OdooLogRecord {
  return { line: 1, time: '2026-11-24 18:00:00,000', pid: 1, db: 'db', ...partial };
}

describe('parseOdooLog', () => {
  it('splits records on headers and keeps launcher chatter before the first record apart', () => {
    const { records, preamble } = parseOdooLog(MAIL_INSTALL_WITH_DOCUTILS_NOISE);
    expect(preamble).toEqual([PREAMBLE]);
    expect(records).toHaveLength(8);
    expect(records[0]).toEqual({
      line: 2,
      time: '2026-11-24 18:44:40,900',
      pid: 10618,
      level: 'INFO',
      db: '?',
      logger: 'odoo',
      message: 'Odoo version 19.0',
    });
  });

  it('attaches docutils stderr noise to the preceding record instead of making it an ERROR record', () => {
    const { records } = parseOdooLog(MAIL_INSTALL_WITH_DOCUTILS_NOISE);
    expect(records.filter((r) => r.level === 'ERROR')).toEqual([]);
    const carrier = records.find((r) => r.message.includes('(ERROR/3)'));
    expect(carrier?.level).toBe('INFO');
    expect(carrier?.message.split('\n')).toEqual([
      'Prepare computation of res.partner.email_normalized',
      '<string>:38: (ERROR/3) Unexpected indentation.',
      '<string>:43: (WARNING/2) Block quote ends without a blank line; unexpected unindent.',
    ]);
  });

  it('keeps a multi-line traceback inside its record, with the header line number', () => {
    const { records } = parseOdooLog(FAILING_TESTS);
    const fail = records.find((r) => r.message.startsWith('FAIL:'));
    expect(fail?.line).toBe(2);
    expect(fail?.message).toBe(
      [
        'FAIL: TestTinyRecord.test_fails',
        'Traceback (most recent call last):',
        '  File "/tmp/addons/fusion_billing/tests/test_record.py", line 15, in test_fails',
        '    self.assertEqual(1, 2)',
        'AssertionError: 1 != 2',
      ].join('\n'),
    );
  });

  it('reads colored output (ODOO_PY_COLORS) like plain output', () => {
    const colored =
      "2026-11-24 18:47:44,736 12067 \x1b[1;31m\x1b[1;49mERROR\x1b[0m db odoo.tests.result: 1 failed, 0 error(s) of 1 tests when loading database 'db' ";
    const [parsed] = parseOdooLog(colored).records;
    expect(parsed).toMatchObject({ level: 'ERROR', logger: 'odoo.tests.result' });
  });
});

describe('OdooLogStream', () => {
  it('emits the same records as parseOdooLog whatever the chunking', () => {
    const text = MAIL_INSTALL_WITH_DOCUTILS_NOISE + FAILING_TESTS;
    const seen: OdooLogRecord[] = [];
    const stream = new OdooLogStream((r) => seen.push(r));
    for (let i = 0; i < text.length; i += 37) stream.push(text.slice(i, i + 37));
    stream.end();
    expect(seen).toEqual(parseOdooLog(text).records);
  });
});

describe('test results', () => {
  it('reads the odoo.tests.result summary line', () => {
    expect(findTestSummary(parseOdooLog(FAILING_TESTS).records)).toEqual({ failed: 1, errors: 1, testsRun: 4 });
    expect(findTestSummary(parseOdooLog(MAIL_INSTALL_WITH_DOCUTILS_NOISE).records)).toEqual({ failed: 0, errors: 0, testsRun: 2 });
  });

  it('has no summary when Odoo never got to the tests', () => {
    expect(
      findTestSummary(
        parseOdooLog('2026-11-24 18:00:00,000 1 CRITICAL db odoo.service.server: Failed to initialize database `db`.\n').records,
      ),
    ).toBeUndefined();
  });

  it('names each failing and erroring test with its traceback', () => {
    const failures = findTestFailures(parseOdooLog(FAILING_TESTS).records);
    expect(failures.map((f) => [f.kind, f.test])).toEqual([
      ['FAIL', 'TestTinyRecord.test_fails'],
      ['ERROR', 'TestTinyRecord.test_raises'],
    ]);
    expect(failures[1]?.details).toMatch(/ValueError: deliberate error$/);
    expect(failures[0]?.logger).toBe('odoo.addons.fusion_billing.tests.test_record');
  });

  it('also reads class-level errors reported by unittest', () => {
    const text =
      '2026-11-24 18:00:00,000 1 ERROR db unittest.suite: ERROR: setUpClass (odoo.addons.fusion_billing.tests.test_x.TestX)\nTraceback (most recent call last):\nKeyError: 1 \n';
    expect(findTestFailures(parseOdooLog(text).records)).toEqual([
      {
        kind: 'ERROR',
        test: 'setUpClass (odoo.addons.fusion_billing.tests.test_x.TestX)',
        logger: 'unittest.suite',
        details: 'Traceback (most recent call last):\nKeyError: 1',
      },
    ]);
  });
});

describe('mentionsModule', () => {
  const mention = mentionsModule('fusion_billing');
  it.each([
    ['The model fusion.billing.meter has no _description', true],
    ['have no access rules in module fusion_billing, consider', true],
    ['/tmp/addons/fusion_billing/models/meter.py:12: DeprecationWarning', true],
    ['odoo.addons.fusion_billing.models', true],
    ['The module fusion_billing_extra has an incompatible version', false],
    ['The module agreement_sign_oca has an incompatible version', false],
    ['field sale.order.fusion_billingx', false],
  ])('%s -> %s', (message, expected) => {
    expect(mention.test(message)).toBe(expected);
  });
});

describe('applyLogGate', () => {
  it('passes a run whose only warnings concern other modules, and ignores docutils noise', () => {
    const gate = applyLogGate(parseOdooLog(MAIL_INSTALL_WITH_DOCUTILS_NOISE).records, { module: 'fusion_billing' });
    expect(gate).toEqual({ ok: true, module: 'fusion_billing', violations: [] });
  });

  it('fails on every WARNING about the module, whichever logger raised it', () => {
    const gate = applyLogGate(parseOdooLog(MODULE_WARNINGS).records, { module: 'fusion_billing' });
    expect(gate.ok).toBe(false);
    expect(gate.violations.map((v) => [v.reason, v.record.logger])).toEqual([
      ['module-warning', 'odoo.registry'],
      ['module-warning', 'odoo.modules.loading'],
      ['module-warning', 'odoo.addons.fusion_billing.models.meter'],
      ['module-warning', 'py.warnings'],
    ]);
    expect(describeViolation(gate.violations[1]!)).toBe(
      "L2 WARNING odoo.modules.loading: The models ['fusion.billing.meter'] have no access rules in module fusion_billing, consider adding some, like:",
    );
  });

  it('fails on any ERROR or CRITICAL record, even from another module', () => {
    const records = [
      record({ level: 'ERROR', logger: 'odoo.sql_db', message: 'bad query: INSERT ...' }),
      record({ level: 'CRITICAL', logger: 'odoo.service.server', message: 'Failed to initialize database `db`.' }),
      record({ level: 'WARNING', logger: 'odoo.addons.sale.models.sale_order', message: 'something about sale' }),
    ];
    const gate = applyLogGate(records, { module: 'fusion_billing' });
    expect(gate.violations.map((v) => [v.reason, v.record.level])).toEqual([
      ['error-record', 'ERROR'],
      ['error-record', 'CRITICAL'],
    ]);
  });

  it('ignores INFO records that mention the module, and tolerates patterns it is told to ignore', () => {
    const records = [
      record({ level: 'INFO', logger: 'odoo.modules.loading', message: 'Loading module fusion_billing (57/57)' }),
      record({ level: 'WARNING', logger: 'odoo.registry', message: 'The model fusion.billing.x has no _description' }),
    ];
    expect(applyLogGate(records, { module: 'fusion_billing', ignore: [/has no _description/] }).ok).toBe(true);
    expect(applyLogGate(records, { module: 'fusion_billing' }).ok).toBe(false);
  });
});

describe('judgeTestRun', () => {
  it('accepts exit 0, tests > 0, none failed, clean gate', () => {
    const verdict = judgeTestRun(MAIL_INSTALL_WITH_DOCUTILS_NOISE, 0, { module: 'fusion_billing' });
    expect(verdict).toMatchObject({ ok: true, problems: [], summary: { testsRun: 2, failed: 0, errors: 0 } });
  });

  it('rejects 0 tests even with exit 0 and a clean log (Odoo 19 skips tests of installed modules)', () => {
    const log = "2026-11-24 18:00:00,000 1 WARNING db odoo.tests.result: 0 failed, 0 error(s) of 0 tests when loading database 'db' \n";
    const verdict = judgeTestRun(log, 0, { module: 'fusion_billing' });
    expect(verdict.ok).toBe(false);
    expect(verdict.logGate.ok).toBe(true);
    expect(verdict.problems).toEqual([expect.stringMatching(/^0 tests ran/)]);
  });

  it('rejects failures with every reason listed', () => {
    const verdict = judgeTestRun(FAILING_TESTS, 1, { module: 'fusion_billing' });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([
      'odoo-bin exited with code 1',
      '1 failed, 1 error(s) of 4 tests',
      expect.stringMatching(/^log gate: 4 WARNING\/ERROR record/),
    ]);
  });

  it('rejects a passing suite when the module logged warnings', () => {
    const verdict = judgeTestRun(MODULE_WARNINGS, 0, { module: 'fusion_billing' });
    expect(verdict.summary.testsRun).toBe(3);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([expect.stringMatching(/^log gate: 4 /)]);
  });

  it('rejects a run that never reached the tests', () => {
    const verdict = judgeTestRun(`${PREAMBLE}\n`, 255, { module: 'fusion_billing' });
    expect(verdict.problems).toEqual(['odoo-bin exited with code 255', expect.stringMatching(/^no test summary/)]);
  });
});

describe('describeViolation', () => {
  it('appends the exception of a traceback, so a failed module load names its cause', () => {
    const log = `2026-11-24 18:50:10,520 13309 CRITICAL db odoo.service.server: Failed to initialize database \`db\`. 
Traceback (most recent call last):
  File "/opt/odoo/odoo/modules/module.py", line 506, in load_openerp_module
    __import__(qualname)
  File "/work/main/out/fusion_billing/controllers/main.py", line 5, in <module>
    from .api import serve
ModuleNotFoundError: No module named 'odoo.addons.fusion_billing.controllers.api'
2026-11-24 18:50:10,521 13309 INFO db odoo.service.server: Initiating shutdown 
`;
    const [violation] = applyLogGate(parseOdooLog(log).records, { module: 'fusion_billing' }).violations;
    expect(describeViolation(violation!)).toBe(
      "L1 CRITICAL odoo.service.server: Failed to initialize database `db`. -> ModuleNotFoundError: No module named 'odoo.addons.fusion_billing.controllers.api'",
    );
  });
});
