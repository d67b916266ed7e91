// The CLI's messages and exit codes, which scripts rely on.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, NEXA, REPO } from '../helpers.ts';

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(REPO, 'bin/fusion-billing.mjs'), ...args], { cwd: REPO, encoding: 'utf8' });
}

describe('fusion-billing CLI', () => {
  it('validate: 0 and a summary for the shipped spec', () => {
    const r = cli('validate');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('spec/nexa.yaml: valid (5 services, 11 metrics, 8 plans, 18 charges, 11 models)\n');
  });

  it('validate: 1 and file:line:column errors for a broken spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-cli-'));
    const m = mutate(NEXA, 'metric: nc_storage_gb', 'metric: stor');
    writeFileSync(join(dir, 'bad.yaml'), m.text);
    const r = cli('validate', join(dir, 'bad.yaml'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`bad.yaml:${m.line}:${m.column + 'metric: '.length}: charge 'storage' refers to unknown metric 'stor'`);
    expect(r.stderr).toContain('1 problem in the spec.');
  });

  it('validate: 1, not a crash, for a missing file or malformed YAML', () => {
    const missing = cli('validate', 'spec/nope.yaml');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('spec/nope.yaml:1:1: cannot read spec: file not found');
    const dir = mkdtempSync(join(tmpdir(), 'fb-cli-'));
    writeFileSync(join(dir, 'bad.yaml'), 'catalog: {services: [\n');
    const malformed = cli('validate', join(dir, 'bad.yaml'));
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toMatch(/bad\.yaml:\d+:\d+: YAML: /);
  });

  it('generate --check: 0 on the committed tree, 1 with the drifted files listed', () => {
    expect(cli('generate', '--check').status).toBe(0);
    const out = mkdtempSync(join(tmpdir(), 'fb-cli-out-'));
    cpSync(join(REPO, 'out/fusion_billing'), join(out, 'fusion_billing'), { recursive: true });
    const csv = join(out, 'fusion_billing/security/ir.model.access.csv');
    writeFileSync(csv, readFileSync(csv, 'utf8').replace(',1,1,1,1', ',1,1,1,0'));
    const r = cli('generate', '--check', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('changed:    ');
    expect(r.stderr).toContain('fusion_billing/security/ir.model.access.csv');
  }, 30_000);

  it('exits 2 on usage errors', () => {
    expect(cli('frobnicate').status).toBe(2);
    expect(cli('generate', '--nope').status).toBe(2);
    expect(cli('validate', 'a.yaml', 'b.yaml').status).toBe(2);
  });
});
