#!/usr/bin/env node
// `npm test`: everything that runs without Odoo, then the acceptance suite against a real Odoo 19
// (which says plainly that it was skipped, and why, when no Odoo tree is on the machine).
// Ends with one plain line "N passed, N failed" summing every suite.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const totals = { passed: 0, failed: 0 };
const steps = [];

function run(title, command, args, options = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? root,
    stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
  });
  if (options.capture) {
    process.stdout.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
  }
  const ok = result.status === 0;
  steps.push({ title, ok, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  return { ok, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Like run, but the output is shown as it comes (long steps must not be minutes of silence) and kept. */
function runStreaming(title, command, args, options = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.once('close', (code) => {
      const ok = code === 0;
      steps.push({ title, ok, seconds: ((Date.now() - started) / 1000).toFixed(1) });
      resolve({ ok, stdout, stderr });
    });
  });
}

function count(passed, failed) {
  totals.passed += passed;
  totals.failed += failed;
}

/** A check that is one assertion of its own (typecheck, drift). */
function single(ok) {
  count(ok ? 1 : 0, ok ? 0 : 1);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes stripped from vitest's summary
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

/** A linter of the addon's Python, from Debian (`package`): run when installed, else a plain "skipped". */
function lint(title, command, args, debianPackage) {
  const found = spawnSync(command, ['--version'], { stdio: 'ignore' });
  if (found.error?.code === 'ENOENT') {
    process.stdout.write(`\n=== ${title}\n${command}: SKIPPED — not installed (Debian package ${debianPackage}; .ci/run installs it)\n`);
    steps.push({ title: `${title} — SKIPPED: ${command} is not installed`, ok: true, seconds: '0.0' });
    return;
  }
  single(run(title, command, args).ok);
}

single(run('typecheck (tsc --noEmit)', 'npx', ['--no-install', 'tsc', '--noEmit']).ok);
// Biome: the TypeScript's lint rules and its format (biome.json); `npx biome check --write .` fixes the format.
single(run('lint and format of the TypeScript (biome check)', 'npx', ['--no-install', 'biome', 'check', '.']).ok);
// The CLI the later steps run is the compiled one (dist/): built from these sources.
single(run('compile the CLI (npm run build)', process.execPath, ['scripts/build-cli.mjs']).ok);

const vitestReport = join(mkdtempSync(join(tmpdir(), 'fb-test-')), 'vitest.json');
const unit = run('unit, golden, static and CLI tests (vitest)', 'npx', [
  '--no-install',
  'vitest',
  'run',
  '--dir',
  'tests',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestReport}`,
]);
try {
  const report = JSON.parse(readFileSync(vitestReport, 'utf8'));
  count(report.numPassedTests, report.numFailedTests + (unit.ok || report.numFailedTests ? 0 : 1));
} catch {
  count(0, 1);
}

single(
  run('generated addon and client match the spec (generate --check)', process.execPath, ['bin/fusion-billing.mjs', 'generate', '--check'])
    .ok,
);
single(
  run('generated client compiles strictly (tsc --strict -p out/client)', 'npx', [
    '--no-install',
    'tsc',
    '--strict',
    '-p',
    'out/client/tsconfig.json',
  ]).ok,
);

const python = run(
  'pure-Python rating core and webhook signing (unittest, no Odoo)',
  'python3',
  ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'],
  { capture: true, cwd: join(root, 'python') },
);
{
  const ran = Number(/Ran (\d+) tests?/.exec(python.stderr)?.[1] ?? 0);
  const failures = /FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?/.exec(python.stderr);
  const failed = failures ? Number(failures[1] ?? 0) + Number(failures[2] ?? 0) : python.ok ? 0 : 1;
  count(ran - (failures ? failed : 0), failed);
}

// Config in .flake8 and .pylintrc. python/fusion_billing is linted as copied into out/ (generate
// --check above says they are the same), where its relative imports resolve; python/tests beside it.
lint('flake8 on python/ and out/', 'flake8', ['--config=.flake8', 'python', 'out'], 'flake8');
lint(
  'pylint on out/fusion_billing (python/fusion_billing included) and python/tests',
  'pylint',
  ['--rcfile=.pylintrc', 'out/fusion_billing', 'python/tests'],
  'pylint',
);

const acceptance = await runStreaming(
  `acceptance suite on a real Odoo 19 (npm run acceptance, ${process.env.FUSION_RUNTIME || 'local'} runtime)`,
  process.execPath,
  ['harness/run-acceptance.mjs'],
);
{
  const skipped = /acceptance: SKIPPED/.test(acceptance.stdout);
  const summary = /Tests\s+(?:(\d+) failed \| )?(\d+) passed/.exec(acceptance.stdout.replace(ANSI_ESCAPE, ''));
  if (skipped) count(0, 0);
  else if (summary) count(Number(summary[2]), Number(summary[1] ?? 0) + (acceptance.ok ? 0 : summary[1] ? 0 : 1));
  else count(0, acceptance.ok ? 0 : 1);
}

process.stdout.write('\n=== summary\n');
for (const step of steps) process.stdout.write(`${step.ok ? 'ok  ' : 'FAIL'} ${step.title} (${step.seconds} s)\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
process.exitCode = totals.failed === 0 && steps.every((s) => s.ok) ? 0 : 1;
