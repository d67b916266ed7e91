// Whether dist/ (scripts/build-cli.mjs) still matches the sources it was compiled from: a cheap
// mtime check of each source against the build's start, for bin/fusion-billing.mjs and the tests.
import { readFileSync, statSync } from 'node:fs';

/** Why dist/ under `root` (a file: URL ending in /) cannot be used, or undefined if it can. */
export function distStaleness(root) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(new URL('dist/manifest.json', root), 'utf8'));
  } catch {
    return 'dist/ is missing';
  }
  for (const source of manifest.sources) {
    let mtime;
    try {
      mtime = statSync(new URL(source, root)).mtimeMs;
    } catch {
      return `${source} is gone`;
    }
    if (mtime > manifest.builtAt) return `${source} changed after it was built`;
  }
  return undefined;
}
