import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: process.env['RP_TEST_REPORT'] ? ['default', ['json', { outputFile: process.env['RP_TEST_REPORT'] }]] : ['default'],
  },
});
