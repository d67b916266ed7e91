import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runHarnessCommand, type HarnessIo } from '../../harness/cli.ts';

let scratch: string;
let io: HarnessIo & { stdout: string[]; stderr: string[] };

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'harness-cli-test-'));
  // An environment without Odoo, whatever this machine has.
  vi.stubEnv('ODOO_SRC', scratch);
  vi.stubEnv('ODOO_PYTHON', join(scratch, 'no-python'));
  const stdout: string[] = [];
  const stderr: string[] = [];
  io = { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(scratch, { recursive: true, force: true });
});

describe('runHarnessCommand', () => {
  it('doctor prints what is missing and exits 1', async () => {
    expect(await runHarnessCommand(['doctor'], io)).toBe(1);
    expect(io.stdout.join('\n')).toContain(`MISSING  no Odoo 19 tree at ${scratch} (odoo-bin missing)`);
  });

  it('odoo-test exits 2 (environment) without starting anything when the doctor fails', async () => {
    expect(await runHarnessCommand(['odoo-test', '--module', 'fusion_billing', '--runtime', 'local'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('no Odoo 19 tree at');
    expect(io.stdout).toEqual([]);
  });

  it('odoo-test rejects unknown options with exit 2 and its usage', async () => {
    expect(await runHarnessCommand(['odoo-test', '--modul', 'x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/Unknown option '--modul'[\s\S]*usage: fusion-billing odoo-test/);
  });

  it('odoo-test --help prints usage and exits 0', async () => {
    expect(await runHarnessCommand(['odoo-test', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/--keep/);
  });

  it('rejects an unknown subcommand with exit 2', async () => {
    expect(await runHarnessCommand(['odoo-tset'], io)).toBe(2);
  });
});
