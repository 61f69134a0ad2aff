// How many cases a property test (fast-check) tries: a bounded number in every test run, many
// more with `npm run fuzz`, which sets FASTD_TS_FUZZ_RUNS. A failure prints its seed and
// shrunk case; each such finding becomes a plain regression test beside the property.
export const FUZZ_RUNS = Number(process.env.FASTD_TS_FUZZ_RUNS) || 300;

/** fast-check's parameters for every property here. */
export const FUZZ = { numRuns: FUZZ_RUNS } as const;

/** vitest's time limit for one property test: long runs take as long as they need. */
export const FUZZ_TIMEOUT_MS = Math.max(30_000, FUZZ_RUNS * 20);
