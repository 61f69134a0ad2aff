import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources; the CLI tests spawn bin/fastd-ts, which runs
// the compiled dist/ (npm test builds first). Namespace/interop tests create real
// network namespaces, so they must not run concurrently with each other.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
