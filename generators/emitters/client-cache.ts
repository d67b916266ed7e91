// Building the typed client takes seconds (ts-morph type-checks and emits it), and most runs of
// `generate` build the same one again. Its files are a function of the IR, the header, client/ (the
// runtime and README), the emitter's own code and ts-morph's version: they are kept in
// .cache/client/ (gitignored) under a hash of all of these and reused. FUSION_NO_CACHE=1 rebuilds
// (and makes render.ts and spec/schema.ts compile templates and schema rather than use dist/'s).
import { join } from 'node:path';
import { hashOf, readEntry, writeEntry } from '../disk-cache.ts';
import type { GeneratedFile } from './types.ts';

const KEEP = 16;

/** The cached files for these inputs, or `build()`'s, which are then stored. */
export function cachedFiles(repoRoot: string, inputs: string[], build: () => GeneratedFile[]): GeneratedFile[] {
  const dir = join(repoRoot, '.cache', 'client');
  const name = hashOf(inputs);
  const cached = readEntry<GeneratedFile[]>(dir, name);
  if (cached) return cached;
  const files = build();
  writeEntry(dir, name, files, KEEP);
  return files;
}
