// Acceptance suite against a real Odoo 19: slow, one file at a time, one Odoo process at a time.
// Run through `npm run acceptance` (harness/run-acceptance.mjs), which skips it when the doctor fails.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['harness/acceptance/**/*.test.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 30 * 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    // Progress and summary lines are the point of these tests: show them as they come.
    reporters: ['verbose'],
    disableConsoleIntercept: true,
  },
});
