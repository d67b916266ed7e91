// Scenario 7 of issue 14: random spec input through the CLI a spec author runs. Mutants of
// spec/nexa.yaml — of its YAML tree (wrong types, missing keys, unknown references, huge numbers,
// unicode, duplicates) and of its text (anchors and aliases, cycles of them, alias bombs, stray
// bytes, truncation) — each written to a file and given to `fusion-billing validate`, as a new
// process: it must end within its time limit with exit 0 (valid) or exit 1 and only located
// problems (file:line:column: message), never a stack trace. Some accepted mutants are also
// generated (`generate --out`). No Odoo needed: what is judged is the toolchain.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../../generators/repo-root.ts';
import { apply, applyToText, mutation, NEXA_SPEC_TEXT, shippedTree, textMutation } from '../support/spec-mutants.ts';
import { recordFaultRow } from './report.ts';

const MUTANTS = Number(process.env.FUSION_FAULTS_SPEC_MUTANTS ?? 200);
const SEED = Number(process.env.FUSION_FAULTS_SEED ?? 7);
/** Accepted mutants also generated into a scratch directory (each may rebuild the client: seconds). */
const GENERATED = 6;
const TIME_LIMIT_MS = 30_000;
const CONCURRENCY = 2;
const CLI = join(REPO_ROOT, 'bin', 'fusion-billing.mjs');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

function runCli(args: string[]): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    // No cache: every mutant is parsed as a spec author's first run parses it, and .cache/ stays clean.
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, FUSION_NO_CACHE: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIME_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started, timedOut });
    });
  });
}

/** What is wrong with a validate run's answer to a spec of `lineCount` lines; undefined when it is right. */
function misanswer(run: CliRun, file: string, lineCount: number): string | undefined {
  if (run.timedOut) return `no answer within ${TIME_LIMIT_MS / 1000} s`;
  if (/^\s+at .+:\d+:\d+\)?$/m.test(run.stderr) || /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/.test(run.stderr))
    return `a stack trace: ${run.stderr.slice(0, 300)}`;
  if (run.code === 0) return /: valid \(/.test(run.stdout) ? undefined : `exit 0 without the summary: ${run.stdout.slice(0, 200)}`;
  if (run.code !== 1) return `exit ${run.code}`;
  // The CLI's own notice that it runs from the sources (a stale build) is not an answer about the spec.
  const lines = run.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('fusion-billing: the compiled CLI'));
  const summary = lines.pop() ?? '';
  if (!/^\d+ problems? in the spec\.$/.test(summary)) return `no problem count at the end: ${summary}`;
  if (!lines.length) return 'exit 1 without a problem';
  const located = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+): \\S`);
  for (const line of lines) {
    // A message may run over several lines (a list of choices); each problem starts with its location.
    if (/^\s/.test(line)) continue;
    const at = located.exec(line);
    if (!at) return `unlocated problem: ${line}`;
    if (Number(at[1]) < 1 || Number(at[1]) > lineCount + 1 || Number(at[2]) < 1) return `location outside the file: ${line}`;
  }
  return undefined;
}

describe('random spec input through the CLI', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fusion-spec-mutants-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it(`${MUTANTS} mutants of spec/nexa.yaml: validate answers each with exit 0 or located problems`, async () => {
    const kind = fc.oneof(
      fc.record({ tree: fc.array(mutation, { minLength: 1, maxLength: 2 }) }),
      fc.record({ text: fc.array(textMutation, { minLength: 1, maxLength: 2 }) }),
    );
    const mutants = fc.sample(kind, { numRuns: MUTANTS, seed: SEED });
    const tally = { refused: 0, accepted: 0, generated: 0, treeMutants: 0, textMutants: 0, slowestMs: 0 };
    const wrong: string[] = [];
    const durations: number[] = [];
    let next = 0;
    let done = 0;
    const worker = async (slot: number) => {
      for (let index = next++; index < mutants.length; index = next++) {
        const mutant = mutants[index]!;
        let text: string;
        let applied: string[];
        if ('tree' in mutant) {
          tally.treeMutants++;
          const tree = shippedTree();
          applied = mutant.tree.map((m) => apply(tree, m));
          text = stringify(tree, { lineWidth: 0 });
        } else {
          tally.textMutants++;
          text = NEXA_SPEC_TEXT;
          applied = mutant.text.map((m) => {
            const result = applyToText(text, m);
            text = result.text;
            return result.applied;
          });
        }
        const file = join(scratch, `mutant-${slot}.yaml`);
        writeFileSync(file, text);
        const run = await runCli(['validate', file]);
        durations.push(run.ms);
        tally.slowestMs = Math.max(tally.slowestMs, run.ms);
        const problem = misanswer(run, file, text.split('\n').length);
        if (problem) {
          wrong.push(`mutant ${index} (${applied.join('; ')}): ${problem}`);
          writeFileSync(join(REPO_ROOT, '.harness', `spec-mutant-${index}.yaml`), text);
        } else if (run.code === 0) {
          tally.accepted++;
          if (tally.generated < GENERATED) {
            tally.generated++;
            const generated = await runCli(['generate', file, '--out', join(scratch, `out-${slot}`)]);
            if (generated.code !== 0 || generated.timedOut)
              wrong.push(`mutant ${index} (${applied.join('; ')}) validated but generate failed: ${generated.stderr.slice(0, 300)}`);
          }
        } else {
          tally.refused++;
        }
        if (++done % 50 === 0)
          console.log(`  ${done}/${mutants.length} mutants: ${tally.refused} refused, ${tally.accepted} accepted, ${wrong.length} wrong`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, slot) => worker(slot)));
    durations.sort((a, b) => a - b);
    const median = durations[Math.floor(durations.length / 2)] ?? 0;
    for (const line of wrong) console.log(`  WRONG: ${line}`);
    recordFaultRow({
      scenario: '7 random spec input',
      load: `${MUTANTS} fast-check mutants of spec/nexa.yaml (${tally.treeMutants} of its tree, ${tally.textMutants} of its text), seed ${SEED}, each a new CLI process`,
      done: 'wrong types, deleted keys, unknown references, huge numbers, unicode, duplicates; alias cycles, alias bombs, aliases elsewhere, stray bytes, truncation, CRLF, BOM',
      expected:
        'validate answers within 30 s: exit 0, or exit 1 with every problem at file:line:column inside the file; never a stack trace',
      measured: `${tally.refused} refused with located problems, ${tally.accepted} accepted (${tally.generated} of them generated); median ${(median / 1000).toFixed(2)} s, slowest ${(tally.slowestMs / 1000).toFixed(2)} s per validate`,
      lost: 0,
      doubled: 0,
      wrongAnswers: wrong.length,
    });
    expect(wrong).toEqual([]);
    expect(tally.refused + tally.accepted).toBe(MUTANTS);
  });
});
