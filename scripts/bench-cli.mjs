#!/usr/bin/env node
// `npm run bench:cli [-- --runs N] [--checkout DIR]`: the CLI's start-to-exit time on the shipped spec, whole
// processes, median of N (default 5) after one unmeasured warm-up run (it fills the client cache),
// beside the median of `node -e 0` measured in the same run, and the ratio of the two.
// generate writes to a temporary directory, so out/ is left as it is.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, checkout: { type: 'string' } }, strict: true });
// --checkout DIR: time another checkout's CLI (an older commit, say) in the same conditions.
const root = values.checkout ?? fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'fusion-billing.mjs');
const runs = Number(values.runs);
const out = mkdtempSync(join(tmpdir(), 'fb-bench-'));

const cases = [
  ['node -e 0', ['-e', '0']],
  ['validate', [bin, 'validate']],
  ['generate --check', [bin, 'generate', '--check']],
  ['generate (to a temp dir)', [bin, 'generate', '--out', out]],
];

function once(args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  if (result.stderr.includes('out of date')) throw new Error(result.stderr.trim());
  return seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
try {
  for (const [name, args] of cases) {
    once(args);
    const times = Array.from({ length: runs }, () => once(args));
    rows.push({ name, median: median(times), times });
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
const reference = rows[0].median;
process.stdout.write(`${bin}: median of ${runs} whole-process runs (node ${process.version}, ${process.platform})\n`);
for (const row of rows) {
  const ratio = row === rows[0] ? '' : `  ${(row.median / reference).toFixed(1)}× node -e 0`;
  process.stdout.write(`  ${row.name.padEnd(26)} ${row.median.toFixed(3)} s${ratio}   (${row.times.map((t) => t.toFixed(3)).join(' ')})\n`);
}
