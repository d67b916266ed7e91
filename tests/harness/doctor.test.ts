import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findPostgresBin,
  formatDoctorReport,
  readOdooSeries,
  resolveEnterpriseSrc,
  runDoctor,
  summarizeProblems,
} from '../../harness/doctor.ts';
import { addonsDirsOf, REPO_ROOT } from '../../harness/runtime/harness-runtime.ts';

let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'doctor-test-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function fakeExecutable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho "pg_ctl (PostgreSQL) 15.8"\n', { mode: 0o755 });
  return path;
}

function fakeOdooTree(root: string, versionInfo: string): void {
  mkdirSync(join(root, 'odoo'), { recursive: true });
  mkdirSync(join(root, 'addons'));
  writeFileSync(join(root, 'odoo-bin'), '');
  writeFileSync(join(root, 'odoo', 'release.py'), `RELEASE_LEVELS = []\nversion_info = ${versionInfo}\n`);
}

describe('runDoctor', () => {
  it('names the empty ODOO_SRC, a missing interpreter, wkhtmltopdf and PostgreSQL, each with its fix', () => {
    const emptyOdoo = join(scratch, 'odoo');
    mkdirSync(emptyOdoo);
    const result = runDoctor({
      odooSrc: emptyOdoo,
      python: join(scratch, 'no-python'),
      env: { PATH: join(scratch, 'empty-path') },
      postgresRoot: join(scratch, 'no-postgresql'),
    });

    expect(result.ok).toBe(false);
    expect(result.odooSrc).toBe(emptyOdoo);
    expect(result.found).toEqual([]);
    expect(result.problems.map((p) => p.what)).toEqual([
      `no Odoo 19 tree at ${emptyOdoo} (odoo-bin missing)`,
      `no usable Python at ${join(scratch, 'no-python')}`,
      'wkhtmltopdf not on PATH (Odoo renders invoice PDFs with it)',
      expect.stringMatching(/^PostgreSQL server binaries \(initdb, pg_ctl, postgres\) not found/),
    ]);
    expect(result.problems[0]?.fix).toMatch(/set ODOO_SRC to an Odoo 19\.0 Community checkout/);
    expect(result.problems[2]?.fix).toBe('apt-get install -y --no-install-recommends wkhtmltopdf');
    expect(result.problems[3]?.fix).toMatch(/apt-get install -y --no-install-recommends postgresql/);

    const printed = formatDoctorReport(result);
    expect(printed).toContain(`MISSING  no Odoo 19 tree at ${emptyOdoo} (odoo-bin missing)`);
    expect(printed).toContain('fix: set ODOO_SRC');
    expect(printed).toMatch(/4 problem\(s\)/);
    expect(summarizeProblems(result)).toBe(`no Odoo 19 tree at ${emptyOdoo} (odoo-bin missing) (+3 more)`);
  });

  it('rejects an Odoo tree of another series', () => {
    const odoo17 = join(scratch, 'odoo17');
    fakeOdooTree(odoo17, "(17, 0, 0, FINAL, 0, '')");
    const result = runDoctor({ odooSrc: odoo17, python: join(scratch, 'none'), env: { PATH: '' }, postgresRoot: scratch });
    expect(result.problems[0]?.what).toBe(`Odoo tree at ${odoo17} is series 17.0, not 19.0`);
  });

  it('lists the apt packages for the Python imports that fail', () => {
    // A fake interpreter answering the probe the way Debian's python3 would with two packages missing.
    const python = join(scratch, 'python3');
    writeFileSync(python, '#!/bin/sh\necho \'{"version": "3.11.2", "missing": ["lxml", "PIL"]}\'\n', { mode: 0o755 });
    const result = runDoctor({ odooSrc: scratch, python, env: { PATH: '' }, postgresRoot: scratch });
    const pythonProblem = result.problems.find((p) => p.what.startsWith(python));
    expect(pythonProblem).toEqual({
      what: `${python} cannot import 2 Odoo dependencies: lxml, PIL`,
      fix: 'apt-get install -y --no-install-recommends python3-pil python3-lxml',
    });
  });
});

describe('readOdooSeries', () => {
  it('reads the series from odoo/release.py', () => {
    fakeOdooTree(scratch, "(19, 0, 0, FINAL, 0, '')");
    expect(readOdooSeries(scratch)).toBe('19.0');
  });

  it('reads saas series', () => {
    fakeOdooTree(scratch, "('saas~18', 4, 0, FINAL, 0, '')");
    expect(readOdooSeries(scratch)).toBe('saas~18.4');
  });
});

describe('findPostgresBin', () => {
  it('follows a PATH symlink to the directory that also holds postgres (Debian layout)', () => {
    const real = join(scratch, 'lib', 'postgresql', '15', 'bin');
    for (const tool of ['initdb', 'pg_ctl', 'postgres']) fakeExecutable(real, tool);
    const pathDir = join(scratch, 'usr-local-bin');
    mkdirSync(pathDir);
    symlinkSync(join(real, 'initdb'), join(pathDir, 'initdb'));
    expect(findPostgresBin({ PATH: pathDir }, join(scratch, 'nowhere'))).toBe(real);
  });

  it('falls back to the newest /usr/lib/postgresql/<major>/bin', () => {
    const root = join(scratch, 'postgresql');
    for (const major of ['13', '16', '9'])
      for (const tool of ['initdb', 'pg_ctl', 'postgres']) fakeExecutable(join(root, major, 'bin'), tool);
    expect(findPostgresBin({ PATH: '' }, root)).toBe(join(root, '16', 'bin'));
  });

  it('prefers PG_BIN and skips directories missing one of the three tools', () => {
    const partial = join(scratch, 'partial');
    fakeExecutable(partial, 'initdb');
    const chosen = join(scratch, 'chosen');
    for (const tool of ['initdb', 'pg_ctl', 'postgres']) fakeExecutable(chosen, tool);
    expect(findPostgresBin({ PATH: partial, PG_BIN: chosen }, scratch)).toBe(chosen);
    expect(findPostgresBin({ PATH: partial }, join(scratch, 'nowhere'))).toBeUndefined();
  });
});

describe('the Enterprise addons tree (ODOO_ENTERPRISE_SRC)', () => {
  it('goes on the addons path before the requested addons when set, and is left out when unset', () => {
    const enterprise = join(scratch, 'enterprise');
    mkdirSync(enterprise);
    expect(addonsDirsOf(undefined, { ODOO_ENTERPRISE_SRC: enterprise })).toEqual([enterprise, join(REPO_ROOT, 'out')]);
    expect(addonsDirsOf([scratch], { ODOO_ENTERPRISE_SRC: enterprise })).toEqual([enterprise, scratch]);
    expect(addonsDirsOf(undefined, {})).toEqual([join(REPO_ROOT, 'out')]);
  });

  it('refuses a name that is not a directory instead of silently testing without Enterprise', () => {
    const file = join(scratch, 'not-a-dir');
    writeFileSync(file, '');
    expect(() => resolveEnterpriseSrc({ ODOO_ENTERPRISE_SRC: file })).toThrow(/ODOO_ENTERPRISE_SRC=.*not-a-dir is not a directory/);
    expect(() => resolveEnterpriseSrc({ ODOO_ENTERPRISE_SRC: join(scratch, 'missing') })).toThrow(/is not a directory/);
  });
});
