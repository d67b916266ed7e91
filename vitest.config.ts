// The unit, golden and CLI tests (`vitest run --dir tests`); the acceptance suite has harness/vitest.config.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['tests/global-setup.ts'],
  },
});
