import { configDefaults, defineConfig } from 'vitest/config';

// Two projects, told apart by name. `unit` tests (every `*.test.ts`) run inside the test
// process (worker threads allowed): no root, no network namespaces, no child processes
// (neither Debian's fastd nor bin/fastd-ts), so `npm test` runs them in well under a minute.
// `system` tests (`*.e2e.test.ts`) are the rest: a test belongs there when it needs root, a
// namespace, Debian's fastd or a spawned daemon or CLI. A file that has both kinds is two
// files, X.test.ts and X.e2e.test.ts, sharing their helpers through a module beside them.
//
// Tests run against the TypeScript sources; the system tests spawn bin/fastd-ts, which runs
// the compiled dist/ (npm test and scripts/test.sh build first). Namespace/interop tests
// create real network namespaces, so the system project runs after the unit project and, as
// the single project did before, at most two files at a time.
const SYSTEM = ['test/**/*.e2e.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SYSTEM],
          // Files share their worker's module cache: importing the sources once per worker
          // instead of once per file takes the lane from ~60 s to ~12 s on 2 busy cores.
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'system', include: SYSTEM, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
