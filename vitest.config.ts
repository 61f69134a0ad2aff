import { configDefaults, defineConfig } from 'vitest/config';

// Two projects. `unit` tests run inside the test process (worker threads allowed): no root,
// no network namespaces, no child processes (neither Debian's fastd nor bin/fastd-ts), so
// `npm test` runs them in well under a minute. `system` tests are the rest: a file belongs
// there when any of its tests needs root, a namespace, Debian's fastd or a spawned daemon or
// CLI. Name a new system test `*.e2e.test.ts`; SYSTEM_FILES lists the older ones until the
// test tree is laid out anew.
//
// Tests run against the TypeScript sources; the system tests spawn bin/fastd-ts, which runs
// the compiled dist/ (npm test and scripts/test.sh build first). Namespace/interop tests
// create real network namespaces, so the system project runs after the unit project and, as
// the single project did before, at most two files at a time.
const SYSTEM_FILES = [
  'test/cli/bad-input.test.ts',
  'test/cli/keys.test.ts',
  'test/cli/options.test.ts',
  'test/config/corpus.test.ts',
  'test/config/shipped-examples.test.ts',
  'test/crypto/ec25519/keys.test.ts',
  'test/io/udp-socket.test.ts',
];
const SYSTEM = ['test/**/*.e2e.test.ts', ...SYSTEM_FILES];

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
