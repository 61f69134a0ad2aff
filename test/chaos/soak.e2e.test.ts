// The soak, end to end in a short form: fastd-ts alone as the supernode for 45 s of its cycles
// (traffic, floods, reloads, reconnects) with a sample every 3 s. Asserts that every series was
// sampled, that after each cycle fastd-ts holds exactly the descriptors and io_uring rings it
// held before the first (no leak per cycle), that every client came back and that the daemon
// survived; never how fast anything was.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runSoak } from '../../src/chaos/soak.ts';
import { parseSoakOptions, SERIES, type SoakOptions } from '../../src/chaos/soak-report.ts';
import { cleanUpEverything } from '../../src/testbed/cleanup.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.ts';

const ok = requireSystem('soak short run', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  iperf3: existsSync('/usr/bin/iperf3'),
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))),
});

/** The lab's start, 45 s of cycles, the last cycle's overrun (a reconnect may wait up to 60 s) and the teardown. */
const DEADLINE_MS = 240_000;

describe.runIf(ok)('soak', () => {
  afterAll(cleanUpEverything);

  it('samples every series and leaks no descriptor or ring over reconnect and reload cycles', async () => {
    const options: SoakOptions = { ...(parseSoakOptions(['--minutes', '0.75', '--interval', '3', '--only', 'fastd-ts']) as SoakOptions), iperfSeconds: 2, garbageDatagrams: 20_000, garbageRate: 50_000, initRate: 2_000, initSeconds: 1 };
    const result = await runSoak(options);
    expect(result.survived['fastd-ts']).toBe(true);

    expect(result.samples.length).toBeGreaterThanOrEqual(5);
    for (const sample of result.samples) {
      const reading = sample.readings['fastd-ts'];
      expect(reading, `sample at ${sample.seconds} s`).toBeDefined();
      for (const { key } of SERIES) expect(Number.isFinite(reading![key]) && reading![key]! >= 0, `${key} at ${sample.seconds} s: ${reading![key]}`).toBe(true);
      expect(reading!.rings).toBeGreaterThan(0);
    }
    expect(result.verdicts.map((v) => v.series)).toEqual(SERIES.map((spec) => spec.key));

    const [before, ...after] = result.checkpoints['fastd-ts']!;
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const checkpoint of after) {
      expect({ cycle: checkpoint.cycle, fds: checkpoint.fds, rings: checkpoint.rings }).toEqual({ cycle: checkpoint.cycle, fds: before!.fds, rings: before!.rings });
    }
    // the routers' restart and probe 1's kill -9 both came round, and every client was back each time
    expect(result.cycles['fastd-ts']!.length).toBe(after.length);
    for (const cycle of result.cycles['fastd-ts']!) expect(cycle.reconnectSeconds, `cycle ${cycle.cycle}`).toBeDefined();
  }, DEADLINE_MS);
});
