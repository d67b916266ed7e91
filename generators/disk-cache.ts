// One JSON file per entry under .cache/<area>/ (gitignored): what the client and parsed-spec caches
// share. Entries are written whole or not at all (rename), so two processes never read half of one;
// a read-only checkout only loses the speed-up. FUSION_NO_CACHE=1 reads and writes nothing.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A hash of `inputs`, each length-prefixed so that no two lists hash alike. */
export function hashOf(inputs: readonly string[]): string {
  const hash = createHash('sha256');
  for (const input of inputs) hash.update(`${input.length}:${input}`);
  return hash.digest('hex');
}

/** The entry `name` of `dir`, or undefined when absent or unreadable. */
export function readEntry<T>(dir: string, name: string): T | undefined {
  if (process.env.FUSION_NO_CACHE) return undefined;
  try {
    return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes the entry `name` of `dir`; with `keep`, only the `keep` newest entries of `dir` stay. */
export function writeEntry(dir: string, name: string, value: unknown, keep?: number): void {
  if (process.env.FUSION_NO_CACHE) return;
  try {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.json`);
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(value));
    renameSync(partial, file);
    if (keep !== undefined) prune(dir, keep);
  } catch {
    // A read-only checkout still works; it only redoes the work each time.
  }
}

function prune(dir: string, keep: number): void {
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const stale of entries.slice(keep)) rmSync(stale.path, { force: true });
}
