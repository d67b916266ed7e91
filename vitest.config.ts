// Unit, golden, static and CLI tests (tests/). Several start the CLI or Python as child processes:
// the default 5 s per test fails them when this machine runs at half its speed, which it does.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
