import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Suites share real brokers and ports on a 2-core machine; a few files at a time keeps them honest.
    maxWorkers: 2,
  },
});
