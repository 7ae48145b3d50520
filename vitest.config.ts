import { defineConfig } from 'vitest/config';

// Integration tests share one Temporal dev server and one PostgreSQL: run files one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts Babelfish for the SQL Server suites when MSSQL_URL is unset (once per run).
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest.json' },
  },
});
