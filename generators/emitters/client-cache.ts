// Building the typed client takes seconds (ts-morph type-checks and emits it), and most runs of
// `generate` build the same one again. Its files are a function of the IR, the header, client/ (the
// runtime and README), the emitter's own code and ts-morph's version: they are kept in
// .cache/client/ (gitignored) under a hash of all of these and reused. FUSION_NO_CACHE=1 rebuilds
// (and makes render.ts and spec/schema.ts compile templates and schema rather than use dist/'s).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeneratedFile } from './types.ts';

const KEEP = 16;

/** The cached files for these inputs, or `build()`'s, which are then stored. */
export function cachedFiles(repoRoot: string, inputs: string[], build: () => GeneratedFile[]): GeneratedFile[] {
  if (process.env.FUSION_NO_CACHE) return build();
  const dir = join(repoRoot, '.cache', 'client');
  const hash = createHash('sha256');
  for (const input of inputs) hash.update(`${input.length}:${input}`);
  const file = join(dir, `${hash.digest('hex')}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GeneratedFile[];
  } catch {
    // Not built yet (or unreadable): build it.
  }
  const files = build();
  try {
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(files));
    renameSync(partial, file);
    prune(dir);
  } catch {
    // A read-only checkout still generates; it only rebuilds each time.
  }
  return files;
}

function prune(dir: string): void {
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const stale of entries.slice(KEEP)) rmSync(stale.path, { force: true });
}
