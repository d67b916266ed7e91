// The fault suite against a real Odoo 19: one scenario file at a time, one Odoo at a time.
// Run through `npm run faults` (harness/run-faults.mjs), which prints the table of their rows.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['harness/faults/**/*.fault.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 30 * 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    reporters: ['verbose'],
    disableConsoleIntercept: true,
  },
});
