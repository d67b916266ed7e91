// The parsed data of a spec file that parsed cleanly before, and the line:column of its nodes, kept in
// .cache/spec/ (gitignored) under the hash of its text and of the YAML library's version: parsing the
// shipped spec is most of what `validate` and `generate` spend. Only data that JSON carries exactly
// is kept (no Infinity, NaN, -0 or undefined). FUSION_NO_CACHE=1 parses every time.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { hashOf, readEntry, writeEntry } from '../disk-cache.ts';
import { REPO_ROOT } from '../repo-root.ts';
import type { KnownPositions } from './diagnostics.ts';

const CACHE_DIR = join(REPO_ROOT, '.cache', 'spec');
const require = createRequire(import.meta.url);

interface CacheEntry {
  key: string;
  data: unknown;
  positions: KnownPositions;
}

let yamlVersion: string | undefined;
function keyOf(text: string): string {
  yamlVersion ??= (require('yaml/package.json') as { version: string }).version;
  return hashOf([`yaml ${yamlVersion}`, text]);
}

/** One entry per spec file (by its absolute path), replaced when its text changes. */
function entryName(file: string): string {
  return createHash('sha256').update(resolve(file)).digest('hex').slice(0, 32);
}

export function cachedSpecData(file: string, text: string): { found: true; data: unknown; positions: KnownPositions } | { found: false } {
  const entry = readEntry<CacheEntry>(CACHE_DIR, entryName(file));
  return entry?.key === keyOf(text) ? { found: true, data: entry.data, positions: entry.positions ?? {} } : { found: false };
}

export function keepSpecData(file: string, text: string, data: unknown, positions: () => KnownPositions): void {
  if (process.env.FUSION_NO_CACHE || !jsonFaithful(data)) return;
  writeEntry(CACHE_DIR, entryName(file), { key: keyOf(text), data, positions: positions() } satisfies CacheEntry);
}

/** Whether JSON.parse(JSON.stringify(value)) gives `value` back exactly. */
export function jsonFaithful(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((item) => item !== undefined && jsonFaithful(item));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).every(([key, item]) => key !== '__proto__' && item !== undefined && jsonFaithful(item));
  }
  return false;
}
