#!/usr/bin/env node
// CLI entry: runs the compiled CLI in dist/ (scripts/build-cli.mjs; `npm ci` builds it), which
// starts several times faster than the TypeScript sources through tsx. If dist/ is missing or
// older than a source it was built from, that is said on stderr and the sources run through tsx
// instead: never stale code. FUSION_CLI_FROM_SOURCE=1 runs the sources without a word.
import { distStaleness } from '../scripts/cli-build-state.mjs';

const fromSource = Boolean(process.env.FUSION_CLI_FROM_SOURCE);
const stale = fromSource ? undefined : distStaleness(new URL('../', import.meta.url));
let main;
if (fromSource || stale) {
  if (stale)
    process.stderr.write(
      `fusion-billing: the compiled CLI cannot be used (${stale}); running the sources through tsx (slow). \`npm run build\` fixes it.\n`,
    );
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../generators/cli.ts'));
} else {
  ({ main } = await import('../dist/generators/cli.js'));
}
process.exitCode = await main(process.argv.slice(2));
