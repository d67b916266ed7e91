// The CLI's messages and exit codes, which scripts rely on; its command table; the compiled build.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest } from '../../generators/cli.ts';
import { COMMANDS } from '../../generators/commands.ts';
import { distStaleness } from '../../scripts/cli-build-state.mjs';
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

describe('fusion-billing command table', () => {
  it('--help and help list every command with its summary, exit 0', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = cli(...args);
      expect(r.status).toBe(0);
      for (const command of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${command.name} +${escapeRegExp(command.summary)}$`, 'm'));
    }
  });

  it('no command: the list on stderr, exit 2', () => {
    const r = cli();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('commands:');
  });

  it('--version prints the package version', () => {
    const r = cli('--version');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n`);
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help and -h print its usage, exit 0', (name) => {
    const command = COMMANDS.find((c) => c.name === name)!;
    for (const flag of ['--help', '-h']) {
      const r = cli(name, flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(command.usage);
      expect(r.stdout.startsWith(`usage: fusion-billing ${name}`)).toBe(true);
    }
    expect(cli('help', name).stdout).toBe(command.usage);
    // Every option the command accepts is in its usage.
    for (const option of Object.keys(command.options)) expect(command.usage, option).toContain(`--${option}`);
  });

  it.each(COMMANDS.map((c) => c.name))('%s: an unknown option is one line naming it, exit 2', (name) => {
    const r = cli(name, '--frobnicate');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`fusion-billing ${name}: unknown option '--frobnicate'; see fusion-billing ${name} --help\n`);
  });

  it('a near miss says what was meant', () => {
    expect(cli('genrate').stderr).toBe("fusion-billing: unknown command 'genrate' (did you mean 'generate'?); see fusion-billing --help\n");
    expect(cli('generate', '--chek').stderr).toBe(
      "fusion-billing generate: unknown option '--chek' (did you mean '--check'?); see fusion-billing generate --help\n",
    );
    expect(cli('odoo-test', '--modul', 'x').stderr).toMatch(/unknown option '--modul' \(did you mean '--module'\?\)/);
    const step = cli('lago', 'reconcil');
    expect(step.status).toBe(2);
    expect(step.stderr).toBe("fusion-billing lago: unknown step 'reconcil' (did you mean 'reconcile'?); see fusion-billing lago --help\n");
    expect(
      closest(
        'valdiate',
        COMMANDS.map((c) => c.name),
      ),
    ).toBe('validate');
    expect(
      closest(
        'xyz',
        COMMANDS.map((c) => c.name),
      ),
    ).toBeUndefined();
  });

  it('every command that reads a spec takes it as [spec] and as --spec FILE', () => {
    const spec = COMMANDS.filter((c) => c.readsSpec).map((c) => c.name);
    expect(spec).toEqual(['validate', 'generate', 'price', 'dev', 'lago']);
    for (const name of spec) expect(COMMANDS.find((c) => c.name === name)!.usage).toMatch(/\[spec\][\s\S]*--spec FILE/);
    // A spec that is not there: each command reads the spec it was given, in either form.
    const missing = 'spec/nope.yaml';
    const calls: Record<string, string[]> = {
      validate: [],
      generate: ['--check'],
      price: ['--examples'],
      lago: ['reconcile', '--service', 'nexacloud', '--period', '2026-01'],
    };
    for (const [name, args] of Object.entries(calls)) {
      const lead = name === 'lago' ? args.slice(0, 1) : [];
      const tail = name === 'lago' ? args.slice(1) : args;
      for (const form of [
        [...lead, missing, ...tail],
        [...lead, ...tail, '--spec', missing],
      ]) {
        const r = cli(name, ...form);
        expect(r.stderr, `${name} ${form.join(' ')}`).toContain(`${missing}:1:1: cannot read spec: file not found`);
        expect(r.status).toBe(1);
      }
    }
    expect(cli('validate', '--spec', 'spec/nexa.yaml').stdout).toBe(cli('validate', 'spec/nexa.yaml').stdout);
    const both = cli('validate', 'a.yaml', '--spec', 'b.yaml');
    expect(both.status).toBe(2);
  });

  it('dev takes the spec the same way (without starting anything when it is not there)', async () => {
    const { devCommand } = await import('../../harness/dev-command.ts');
    for (const args of [['spec/nope.yaml'], ['--spec', 'spec/nope.yaml']]) {
      const lines: string[] = [];
      expect(await devCommand(args, { out: (l) => lines.push(l), err: (l) => lines.push(l) })).toBe(1);
      expect(lines.join('\n')).toContain('spec/nope.yaml:1:1: cannot read spec: file not found');
    }
  });
});

describe('the compiled CLI', () => {
  it('is built from the current sources (else the bin says so and runs them through tsx)', () => {
    expect(distStaleness(new URL(`file://${REPO}`))).toBeUndefined();
    expect(cli('--version').stderr).toBe('');
  });

  it('says so when dist/ is older than a source, and runs the sources instead', () => {
    const root = mkdtempSync(join(tmpdir(), 'fb-stale-'));
    mkdirSync(join(root, 'dist'));
    mkdirSync(join(root, 'generators'));
    writeFileSync(join(root, 'generators/cli.ts'), '');
    writeFileSync(join(root, 'dist/manifest.json'), JSON.stringify({ builtAt: Date.now() - 60_000, sources: ['generators/cli.ts'] }));
    expect(distStaleness(new URL(`file://${root}/`))).toBe('generators/cli.ts changed after it was built');
    writeFileSync(join(root, 'dist/manifest.json'), JSON.stringify({ builtAt: Date.now() + 60_000, sources: ['generators/cli.ts'] }));
    expect(distStaleness(new URL(`file://${root}/`))).toBeUndefined();
    rmSync(join(root, 'dist/manifest.json'));
    expect(distStaleness(new URL(`file://${root}/`))).toBe('dist/ is missing');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
