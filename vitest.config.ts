// The unit, golden and CLI tests (`vitest run --dir tests`); the acceptance suite has harness/vitest.config.ts.
// Several start the CLI or Python as child processes: the default 5 s per test fails them when this
// machine runs at half its speed, which it does.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    globalSetup: ['tests/global-setup.ts'],
  },
});
