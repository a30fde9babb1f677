import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds the web console once when web/dist is missing or older than web/ (test/support/console-build.ts).
    globalSetup: ['test/support/console-build.ts'],
    pool: 'forks',
    // PGlite takes seconds to open and argon2 is deliberately slow: generous, never relied on.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
