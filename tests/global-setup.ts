// Before the tests: the CLI they run (bin/fusion-billing.mjs) is compiled from the sources as they
// are now, else it would warn and fall back to the slow tsx path on every call.
import { spawnSync } from 'node:child_process';
import { distStaleness } from '../scripts/cli-build-state.mjs';

export default function buildCliIfStale(): void {
  const root = new URL('../', import.meta.url);
  if (!distStaleness(root)) return;
  const build = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('scripts/build-cli.mjs failed');
}
