// Vitest settings of the suites that run against a real Odoo 19 (acceptance, faults): slow, one
// file at a time, one Odoo at a time, and their progress lines shown as they come.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export function odooSuiteConfig(include: string, testTimeoutMinutes: number) {
  return defineConfig({
    test: {
      root: fileURLToPath(new URL('..', import.meta.url)),
      include: [include],
      testTimeout: testTimeoutMinutes * 60_000,
      hookTimeout: 30 * 60_000,
      pool: 'forks',
      poolOptions: { forks: { singleFork: true } },
      fileParallelism: false,
      reporters: ['verbose'],
      disableConsoleIntercept: true,
    },
  });
}
